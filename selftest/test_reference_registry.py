"""The reference's policy, tag, registry-level and paging rules, and its variant knobs, one test per rule
(ops rows P, T, G, N of /work/shared/research/real-ecr-behaviour-operations.md)."""

from __future__ import annotations

import base64
import json
import time
import uuid

import pytest

from selftest.reference import ReferenceEcr
from selftest.reference_calls import ACCOUNT, Caller, arn

POLICY = {"Version": "2012-10-17", "Statement": [{"Sid": "AllowPull", "Effect": "Allow", "Principal": "*",
                                                  "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]}]}
JACKSON = ('{\n  "Version" : "2012-10-17",\n  "Statement" : [ {\n    "Sid" : "AllowPull",\n    "Effect" : "Allow",\n'
           '    "Principal" : "*",\n    "Action" : [ "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer" ]\n  } ]\n}')


def rule(priority, status="untagged", count=5, **selection) -> dict:
    return {"rulePriority": priority, "description": "a rule of the test's",
            "selection": {"tagStatus": status, "countType": "imageCountMoreThan", "countNumber": count, **selection},
            "action": {"type": "expire"}}


def lifecycle(*rules) -> str:
    return json.dumps({"rules": list(rules)}, indent=1)


class Clock:
    """The server's time, moved by the test (by seconds: requests are signed with the real time)."""

    def __init__(self):
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def clock():
    return Clock()


@pytest.fixture(scope="module")
def ref(clock):
    with ReferenceEcr(clock=clock) as url:
        yield Caller(url)


@pytest.fixture
def repo(ref):
    return ref.repository()


# --- repository policy (P.1-P.3) ----------------------------------------------------------------------


def test_repository_policy_is_answered_re_serialised_jackson_style_p1(ref, repo):
    sent = json.dumps(POLICY, separators=(",", ":"))
    assert ref.ok("SetRepositoryPolicy", {"repositoryName": repo, "policyText": sent})["policyText"] == JACKSON
    assert ref.ok("GetRepositoryPolicy", {"repositoryName": repo})["policyText"] == JACKSON
    assert ref.ok("DeleteRepositoryPolicy", {"repositoryName": repo})["policyText"] == JACKSON


def test_no_repository_policy_is_repository_policy_not_found_p2(ref, repo):
    body = ref.fails("GetRepositoryPolicy", {"repositoryName": repo}, "RepositoryPolicyNotFoundException")
    assert body["message"] == (f"Repository policy does not exist for the repository with name '{repo}' in the "
                               f"registry with id '{ACCOUNT}'")
    ref.fails("DeleteRepositoryPolicy", {"repositoryName": repo}, "RepositoryPolicyNotFoundException")


@pytest.mark.parametrize("text", ["{not json", "[]", '{"Version": "2012-10-17"}'])
def test_a_policy_text_that_is_no_policy_is_invalid_parameter_r3_16(ref, repo, text):
    body = ref.fails("SetRepositoryPolicy", {"repositoryName": repo, "policyText": text}, "InvalidParameterException")
    assert body["message"] == ("Invalid parameter at 'PolicyText' failed to satisfy constraint: "
                               "'Invalid repository policy provided'")


# --- lifecycle policy (P.7-P.15) ----------------------------------------------------------------------


def test_lifecycle_policy_is_stored_compact_by_priority_with_last_evaluated_at_p8_p13(ref, repo):
    text = lifecycle(rule(2, "any"), rule(1))
    stored = json.dumps({"rules": [rule(1), rule(2, "any")]}, separators=(",", ":"))
    assert ref.ok("PutLifecyclePolicy", {"repositoryName": repo, "lifecyclePolicyText": text})[
        "lifecyclePolicyText"] == stored
    got = ref.ok("GetLifecyclePolicy", {"repositoryName": repo})
    assert (got["lifecyclePolicyText"], got["lastEvaluatedAt"]) == (stored, 0)
    assert ref.ok("DeleteLifecyclePolicy", {"repositoryName": repo})["lifecyclePolicyText"] == stored


def test_no_lifecycle_policy_is_lifecycle_policy_not_found_p7(ref, repo):
    body = ref.fails("GetLifecyclePolicy", {"repositoryName": repo}, "LifecyclePolicyNotFoundException")
    assert body["message"] == (f"Lifecycle policy does not exist for the repository with name '{repo}' in the "
                               f"registry with id '{ACCOUNT}'")


@pytest.mark.parametrize("text, reason", [
    ('{"rules": "none"} ' + " " * 90, "Could not map policyString into LifecyclePolicy."),
    (lifecycle(rule(1), rule(1, "any")), "Rule priority 1 is used by more than one rule"),
    (lifecycle(rule(0)), "numeric instance is lower than the required minimum (minimum: 1, found: 0)"),
    (lifecycle(rule(1, "any"), rule(2)), "Rule for tagStatus=ANY must have the lowest priority per storage class"),
    (lifecycle(rule(1, "tagged")), "Must specify tagPrefixList or tagPatternList when tagStatus=TAGGED."),
    (lifecycle(rule(1), rule(2)), "Only one rule can select Untagged images per storage class"),
    (lifecycle(rule(1, countUnit=None)), "instance failed to match exactly one schema (matched 0 out of 2)"),
    (lifecycle(rule(1, "every")), 'instance value ("every") not found in enum (possible values: '
                                  '["tagged","untagged","any"])'),
], ids=["unmappable", "duplicate-priority", "priority-0", "any-not-last", "tagged-without-list", "two-untagged",
        "null-member", "bad-tag-status"])
def test_lifecycle_rules_are_validated_p9_p12(ref, repo, text, reason):
    body = ref.fails("PutLifecyclePolicy", {"repositoryName": repo, "lifecyclePolicyText": text},
                     "InvalidParameterException")
    assert body["message"] == ("Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: "
                               f"'Lifecycle policy validation failure: {reason}'")


def test_lifecycle_preview_runs_then_completes_with_results_p15(ref, repo, clock):
    ref.fails("GetLifecyclePolicyPreview", {"repositoryName": repo}, "LifecyclePolicyPreviewNotFoundException")
    ref.fails("StartLifecyclePolicyPreview", {"repositoryName": repo}, "LifecyclePolicyNotFoundException")
    pushed = []
    for step in range(3):  # distinct push times, oldest first
        clock.now += 1
        pushed.append(ref.push(repo, tag=f"t{step}"))
    text = lifecycle(rule(1, "any", count=1))
    started = ref.ok("StartLifecyclePolicyPreview", {"repositoryName": repo, "lifecyclePolicyText": text})
    assert started["status"] == "IN_PROGRESS"
    ref.fails("StartLifecyclePolicyPreview", {"repositoryName": repo}, "LifecyclePolicyPreviewInProgressException")
    assert ref.ok("GetLifecyclePolicyPreview", {"repositoryName": repo})["status"] == "IN_PROGRESS"
    clock.now += 1
    done = ref.ok("GetLifecyclePolicyPreview", {"repositoryName": repo})
    assert done["status"] == "COMPLETE" and done["summary"] == {"expiringImageTotalCount": 2}
    assert {r["imageDigest"] for r in done["previewResults"]} == {image.digest for image in pushed[:2]}
    asked = ref.ok("GetLifecyclePolicyPreview", {"repositoryName": repo,
                                                 "imageIds": [{"imageTag": "t0"}, {"imageTag": "never-pushed"}]})
    assert [r["imageDigest"] for r in asked["previewResults"]] == [pushed[0].digest]


# --- tags (T) -----------------------------------------------------------------------------------------


def test_tag_and_untag_answer_nothing_and_list_tags_answers_key_value_pairs_t1(ref, repo):
    resource = arn(repo)
    assert ref.ok("TagResource", {"resourceArn": resource, "tags": [{"Key": "a", "Value": "1"},
                                                                      {"Key": "b", "Value": ""}]}) == {}
    assert ref.ok("TagResource", {"resourceArn": resource, "tags": [{"Key": "a", "Value": "2"}]}) == {}
    assert ref.ok("UntagResource", {"resourceArn": resource, "tagKeys": ["b", "never-set"]}) == {}
    assert ref.ok("ListTagsForResource", {"resourceArn": resource}) == {"tags": [{"Key": "a", "Value": "2"}]}


def test_more_than_50_tags_is_too_many_tags_t5(ref, repo):
    tags = [{"Key": f"k{i}", "Value": "v"} for i in range(50)]
    ref.ok("TagResource", {"resourceArn": arn(repo), "tags": tags})
    ref.fails("TagResource", {"resourceArn": arn(repo), "tags": [{"Key": "one-more", "Value": "v"}]},
              "TooManyTagsException")


@pytest.mark.parametrize("tag", [{"Key": "aws:reserved", "Value": "v"}, {"Key": "k" * 129, "Value": "v"},
                                 {"Key": "k", "Value": "v" * 257}], ids=["aws-prefix", "key-129", "value-257"])
def test_a_reserved_or_too_long_tag_is_invalid_tag_parameter_t3(ref, repo, tag):
    ref.fails("TagResource", {"resourceArn": arn(repo), "tags": [tag]}, "InvalidTagParameterException")


def test_create_repository_with_a_bad_tag_creates_nothing_t4(ref):
    name = f"ops-{uuid.uuid4().hex[:8]}"
    ref.fails("CreateRepository", {"repositoryName": name, "tags": [{"Key": "aws:x", "Value": "v"}]},
              "InvalidTagParameterException")
    ref.fails("DescribeRepositories", {"repositoryNames": [name]}, "RepositoryNotFoundException")


@pytest.mark.parametrize("resource", ["not-an-arn", "arn:aws:s3:::bucket",
                                      "arn:aws:ecr:eu-west-1:123456789012:repository/x"],
                         ids=["garbage", "other-service", "other-region"])
def test_a_malformed_arn_is_invalid_parameter_t2(ref, resource):
    body = ref.fails("ListTagsForResource", {"resourceArn": resource}, "InvalidParameterException")
    assert body["message"] == "The ARN provided is invalid."


def test_the_arn_of_an_absent_repository_is_repository_not_found(ref):
    ref.fails("ListTagsForResource", {"resourceArn": arn("ops-absent")}, "RepositoryNotFoundException")


# --- registry-level (G) -------------------------------------------------------------------------------


def test_authorization_token_is_aws_password_for_12_hours_per_registry_g1_g3(ref, clock):
    data = ref.ok("GetAuthorizationToken", {"registryIds": ["210987654321"]})["authorizationData"]
    assert len(data) == 1
    assert base64.b64decode(data[0]["authorizationToken"]).decode().startswith("AWS:")
    assert data[0]["expiresAt"] == pytest.approx(clock.now + 12 * 3600, abs=0.01)
    assert data[0]["proxyEndpoint"] == "https://210987654321.dkr.ecr.us-east-1.amazonaws.com"
    own = ref.ok("GetAuthorizationToken", {})["authorizationData"]
    assert own[0]["proxyEndpoint"] == f"https://{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com"


def test_a_fresh_registry_scans_basic_without_rules_gap10():
    with ReferenceEcr() as url:
        answer = Caller(url).ok("GetRegistryScanningConfiguration")
    assert answer == {"registryId": ACCOUNT, "scanningConfiguration": {"scanType": "BASIC", "rules": []}}


def test_repository_scanning_configuration_follows_registry_rules_and_reports_missing_ones_g7(ref, repo):
    ref.ok("PutRegistryScanningConfiguration", {"scanType": "BASIC", "rules": [
        {"scanFrequency": "SCAN_ON_PUSH", "repositoryFilters": [{"filter": repo, "filterType": "WILDCARD"}]}]})
    answer = ref.ok("BatchGetRepositoryScanningConfiguration", {"repositoryNames": [repo, "ops-absent"]})
    assert [(c["repositoryName"], c["scanFrequency"]) for c in answer["scanningConfigurations"]] == [
        (repo, "SCAN_ON_PUSH")]
    assert [(f["repositoryName"], f["failureCode"]) for f in answer["failures"]] == [
        ("ops-absent", "REPOSITORY_NOT_FOUND")]
    ref.ok("PutRegistryScanningConfiguration", {"rules": []})


def test_replication_to_this_registry_in_this_region_is_refused_g5(ref):
    self_copy = {"rules": [{"destinations": [{"region": "us-east-1", "registryId": ACCOUNT}]}]}
    body = ref.fails("PutReplicationConfiguration", {"replicationConfiguration": self_copy},
                     "InvalidParameterException")
    assert "Replication destination cannot be the same as the source registry" in body["message"]


def test_no_registry_policy_is_registry_policy_not_found_p5():
    with ReferenceEcr() as url:
        body = Caller(url).fails("GetRegistryPolicy", {}, "RegistryPolicyNotFoundException")
    assert body["message"] == f"Registry policy does not exist in the registry with id '{ACCOUNT}'"


def test_pull_through_cache_rules_exist_once_and_unknown_ones_are_not_found_g8(ref):
    prefix = f"ptc-{uuid.uuid4().hex[:8]}"
    created = {"ecrRepositoryPrefix": prefix, "upstreamRegistryUrl": "public.ecr.aws", "upstreamRegistry": "ecr-public"}
    ref.ok("CreatePullThroughCacheRule", created)
    ref.fails("CreatePullThroughCacheRule", created, "PullThroughCacheRuleAlreadyExistsException")
    ref.fails("DescribePullThroughCacheRules", {"ecrRepositoryPrefixes": [prefix, "ptc-absent"]},
              "PullThroughCacheRuleNotFoundException")
    ref.ok("DeletePullThroughCacheRule", {"ecrRepositoryPrefix": prefix})
    ref.fails("ValidatePullThroughCacheRule", {"ecrRepositoryPrefix": prefix}, "PullThroughCacheRuleNotFoundException")


def test_creation_templates_exist_once_and_unknown_ones_are_not_found_g9(ref):
    prefix = f"tpl-{uuid.uuid4().hex[:8]}"
    ref.ok("CreateRepositoryCreationTemplate", {"prefix": prefix, "appliedFor": ["REPLICATION"]})
    ref.fails("CreateRepositoryCreationTemplate", {"prefix": prefix, "appliedFor": ["REPLICATION"]},
              "TemplateAlreadyExistsException")
    ref.ok("DeleteRepositoryCreationTemplate", {"prefix": prefix})
    ref.fails("UpdateRepositoryCreationTemplate", {"prefix": prefix}, "TemplateNotFoundException")


def test_an_unknown_account_setting_is_a_validation_exception_g9(ref):
    ref.fails("GetAccountSetting", {"name": "NO_SUCH_SETTING"}, "ValidationException")
    ref.fails("PutAccountSetting", {"name": "BASIC_SCAN_TYPE_VERSION", "value": "SOMETHING"}, "ValidationException")
