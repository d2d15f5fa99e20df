"""What the policy operations mean: a repository or lifecycle policy reads back as the same JSON document, and a
text that is not JSON is refused (ops P.1-P.13; base 3.16).

ECR re-serialises what it stores (ops P.1: Jackson's pretty printer; P.8: compact) and may give lifecycle rules
back ordered by rulePriority (P.13), so documents are compared parsed, rules by their priority, never as bytes.
"""

from __future__ import annotations

import json

import pytest

from ecrconf import checks

NOT_JSON = "ecrconf: this policy text is not JSON { \"rules\": [ { \"rulePriority\": 1, " + "x" * 60
# Two rules, given out of priority order: ECR may store them sorted (P.13).
LIFECYCLE = {"rules": [
    {"rulePriority": 2, "description": "ecrconf: expire untagged images after 1 day",
     "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 1},
     "action": {"type": "expire"}},
    {"rulePriority": 1, "description": "ecrconf: keep the last 5 ecrconf- images",
     "selection": {"tagStatus": "tagged", "tagPrefixList": ["ecrconf-"], "countType": "imageCountMoreThan",
                   "countNumber": 5},
     "action": {"type": "expire"}}]}


def _document(text: object) -> object:
    """text parsed as JSON; None when it is not a string of JSON."""
    try:
        return json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return None


def _by_priority(document: object) -> object:
    """A lifecycle policy document with its rules in rulePriority order (the order ECR may store them in)."""
    if not isinstance(document, dict) or not isinstance(document.get("rules"), list):
        return document
    rules = document["rules"]
    if not all(isinstance(rule, dict) and isinstance(rule.get("rulePriority"), int) for rule in rules):
        return document
    return {**document, "rules": sorted(rules, key=lambda rule: rule["rulePriority"])}


@pytest.mark.operation("GetRepositoryPolicy")
@pytest.mark.evidence("documented", "ops P.1")
def test_repository_policy_reads_back_as_the_same_json(client, resources, world):
    """GetRepositoryPolicy after SetRepositoryPolicy MUST give back policyText that parses to the document set
    (its whitespace and formatting are ECR's own)."""
    repository, sent = world.repository, world.texts.repository_policy
    resources.call("SetRepositoryPolicy", {"repositoryName": repository.name, "policyText": sent})
    exchange = client.call("GetRepositoryPolicy", {"repositoryName": repository.name})
    got = checks.succeeded(exchange).get("policyText")
    checks.require(_document(got) == json.loads(sent), "the policy read back is not the document set",
                   received=repr(got)[:300], expected=sent, exchange=exchange)


@pytest.mark.operation("GetLifecyclePolicy")
@pytest.mark.evidence("documented", "ops P.8, P.13")
def test_lifecycle_policy_reads_back_as_the_same_json(client, resources):
    """GetLifecyclePolicy after PutLifecyclePolicy MUST give back lifecyclePolicyText that parses to the document
    put, its rules compared in rulePriority order (ECR may reorder them)."""
    repository = resources.repository()
    sent = json.dumps(LIFECYCLE)
    resources.call("PutLifecyclePolicy", {"repositoryName": repository.name, "lifecyclePolicyText": sent})
    exchange = client.call("GetLifecyclePolicy", {"repositoryName": repository.name})
    got = checks.succeeded(exchange).get("lifecyclePolicyText")
    checks.require(_by_priority(_document(got)) == _by_priority(LIFECYCLE),
                   "the lifecycle policy read back is not the document put", received=repr(got)[:300],
                   expected=sent, exchange=exchange)


@pytest.mark.parametrize("operation, member", [
    pytest.param("SetRepositoryPolicy", "policyText", id="SetRepositoryPolicy", marks=[
        pytest.mark.operation("SetRepositoryPolicy"),
        pytest.mark.evidence("observed", "base 3.16 (InvalidParameterException for an invalid repository policy)")]),
    pytest.param("PutLifecyclePolicy", "lifecyclePolicyText", id="PutLifecyclePolicy", marks=[
        pytest.mark.operation("PutLifecyclePolicy"),
        pytest.mark.evidence("observed", "ops P.9 (InvalidParameterException for a lifecycle policy that fails "
                                         "validation), P.11")]),
])
def test_policy_text_that_is_not_json_is_refused(client, resources, operation, member):
    """A policy text that is not JSON (long enough for the model's bounds) MUST be refused as invalid:
    InvalidParameterException, or ValidationException where the operation models it (PutLifecyclePolicy)."""
    repository = resources.repository()
    checks.failed_with(client.call(operation, {"repositoryName": repository.name, member: NOT_JSON}),
                       checks.VALIDATION_ERRORS)
