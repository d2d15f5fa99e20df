"""Paging of the reference's list operations (ops N.1, N.2, N.5, N.6) and its conformant variant knobs
(page_size_cap, token_format, reverse_list_order, policy_whitespace, omit_optional_members)."""

from __future__ import annotations

import json
import time

import pytest

from selftest.reference import Behaviour, ReferenceEcr
from selftest.reference_calls import ACCOUNT, Caller

ITEMS = 5
ASKED = 2  # maxResults of every page
VARIANTS = {"strict": Behaviour(), "page-size-cap": Behaviour(page_size_cap=1),
            "token-format": Behaviour(token_format="hex"), "reverse-list-order": Behaviour(reverse_list_order=True)}
EXPIRE_ALL = json.dumps({"rules": [{"rulePriority": 1, "description": "expire every image of the repository",
                                    "selection": {"tagStatus": "any", "countType": "imageCountMoreThan",
                                                  "countNumber": 1}, "action": {"type": "expire"}}]})


class Clock:
    def __init__(self):
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def _repositories(ref: Caller, clock: Clock):
    return {}, "repositories", "repositoryName", [ref.repository() for _ in range(ITEMS)]


def _images(ref: Caller, clock: Clock, operation_key="imageIds", item_key="imageDigest"):
    repo = ref.repository()
    return {"repositoryName": repo}, operation_key, item_key, [ref.push(repo).digest for _ in range(ITEMS)]


def _rules(ref: Caller, clock: Clock):
    prefixes = [f"ptc-{i}" for i in range(ITEMS)]
    for prefix in prefixes:
        ref.ok("CreatePullThroughCacheRule", {"ecrRepositoryPrefix": prefix, "upstreamRegistryUrl": "public.ecr.aws"})
    return {}, "pullThroughCacheRules", "ecrRepositoryPrefix", prefixes


def _templates(ref: Caller, clock: Clock):
    prefixes = [f"tpl-{i}" for i in range(ITEMS)]
    for prefix in prefixes:
        ref.ok("CreateRepositoryCreationTemplate", {"prefix": prefix, "appliedFor": ["REPLICATION"]})
    return {}, "repositoryCreationTemplates", "prefix", prefixes


def _exclusions(ref: Caller, clock: Clock):
    principals = [f"arn:aws:iam::{ACCOUNT}:role/r{i}" for i in range(ITEMS)]
    for principal in principals:
        ref.ok("RegisterPullTimeUpdateExclusion", {"principalArn": principal})
    return {}, "pullTimeUpdateExclusions", None, principals


def _backfills(ref: Caller, clock: Clock):
    ids = [ref.ok("StartReplicationBackfill", {"destination": {"region": "us-west-2", "registryId": f"{i:012d}"}})[
        "replicationBackfillId"] for i in range(ITEMS)]
    return {}, "backfills", "replicationBackfillId", ids


def _preview(ref: Caller, clock: Clock):
    repo = ref.repository()
    digests = []
    for _ in range(ITEMS + 1):
        clock.now += 1
        digests.append(ref.push(repo).digest)
    ref.ok("StartLifecyclePolicyPreview", {"repositoryName": repo, "lifecyclePolicyText": EXPIRE_ALL})
    clock.now += 1
    # every image but the newest, newest first (lifecycle.preview keeps the newest images)
    return {"repositoryName": repo}, "previewResults", "imageDigest", digests[-2::-1]


LISTS = {"DescribeRepositories": _repositories, "ListImages": _images,
         "DescribeImages": lambda ref, clock: _images(ref, clock, "imageDetails"),
         "DescribePullThroughCacheRules": _rules, "DescribeRepositoryCreationTemplates": _templates,
         "ListPullTimeUpdateExclusions": _exclusions, "ListReplicationBackfills": _backfills,
         "GetLifecyclePolicyPreview": _preview}


def walk(ref: Caller, operation: str, payload: dict, key: str, limit: int = 50) -> list[list]:
    """Every page of a list, following nextToken; fails if it takes more than limit pages."""
    pages, token = [], None
    for _ in range(limit):
        answer = ref.ok(operation, {**payload, "maxResults": ASKED, **({"nextToken": token} if token else {})})
        pages.append(answer[key])
        token = answer.get("nextToken")
        if token is None:
            return pages
    raise AssertionError(f"{operation}: still a nextToken after {limit} pages")


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("operation", list(LISTS))
def test_paging_gives_every_item_once_in_pages_no_larger_than_asked_n1_n2(operation, variant):
    clock = Clock()
    with ReferenceEcr(VARIANTS[variant], clock=clock) as url:
        ref = Caller(url)
        payload, key, item_key, expected = LISTS[operation](ref, clock)
        pages = walk(ref, operation, payload, key)
    largest = VARIANTS[variant].page_size_cap or ASKED
    assert all(len(page) <= largest for page in pages) and all(pages[:-1])
    seen = [item[item_key] if item_key else item for page in pages for item in page]
    assert sorted(seen) == sorted(expected)
    in_order = expected[::-1] if VARIANTS[variant].reverse_list_order else expected
    assert seen == in_order


def test_the_default_page_holds_100_items_n2():
    with ReferenceEcr() as url:
        ref = Caller(url)
        for _ in range(101):
            ref.repository()
        first = ref.ok("DescribeRepositories")
        assert len(first["repositories"]) == 100 and "nextToken" in first
        last = ref.ok("DescribeRepositories", {"nextToken": first["nextToken"]})
    assert len(last["repositories"]) == 1 and "nextToken" not in last


@pytest.mark.parametrize("operation", ["DescribeRepositories", "DescribePullThroughCacheRules",
                                       "ListPullTimeUpdateExclusions", "ListImages"])
@pytest.mark.parametrize("token", ["garbage!", "b2Zmc2V0Oi0x", "6f66667365743a31"], ids=["garbage", "negative", "hex"])
def test_a_garbled_next_token_is_invalid_parameter_n5(operation, token):
    with ReferenceEcr() as url:
        ref = Caller(url)
        payload = {"repositoryName": ref.repository()} if operation == "ListImages" else {}
        body = ref.fails(operation, {**payload, "nextToken": token}, "InvalidParameterException")
    assert body["message"] == ("Invalid parameter at 'nextToken' failed to satisfy constraint: "
                               "'must be a token returned by a previous call'")


@pytest.mark.parametrize("operation, listed", [("DescribeRepositories", "repositoryNames"),
                                               ("DescribeImages", "imageIds"),
                                               ("GetLifecyclePolicyPreview", "imageIds")])
@pytest.mark.parametrize("paging", [{"maxResults": 1}, {"nextToken": "b2Zmc2V0OjE="}], ids=["maxResults", "nextToken"])
def test_paging_with_an_explicit_list_is_invalid_parameter_r9_n6(operation, listed, paging):
    with ReferenceEcr() as url:
        ref = Caller(url)
        repo = ref.repository()
        ids = [repo] if listed == "repositoryNames" else [{"imageTag": "v1"}]
        body = ref.fails(operation, {"repositoryName": repo, listed: ids, **paging}, "InvalidParameterException")
    member = next(iter(paging))
    assert body["message"] == (f"Invalid parameter at '{member}' failed to satisfy constraint: "
                               f"'cannot be used together with {listed}'")


def test_a_token_is_opaque_each_format_refuses_the_others():
    tokens = {}
    for token_format in ("base64", "hex"):
        with ReferenceEcr(Behaviour(token_format=token_format)) as url:
            ref = Caller(url)
            for _ in range(2):
                ref.repository()
            tokens[token_format] = ref.ok("DescribeRepositories", {"maxResults": 1})["nextToken"]
    assert tokens["base64"] != tokens["hex"]
    with ReferenceEcr(Behaviour(token_format="hex")) as url:
        Caller(url).fails("DescribeRepositories", {"nextToken": tokens["base64"]}, "InvalidParameterException")


def test_policy_whitespace_changes_only_the_whitespace_of_a_policy():
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:*"}]}
    answers = []
    for knob in (False, True):
        with ReferenceEcr(Behaviour(policy_whitespace=knob)) as url:
            ref = Caller(url)
            repo = ref.repository()
            answers.append(ref.ok("SetRepositoryPolicy", {"repositoryName": repo,
                                                          "policyText": json.dumps(policy)})["policyText"])
    assert answers[0] != answers[1] and json.loads(answers[0]) == json.loads(answers[1]) == policy
    assert answers[1] == json.dumps(policy, indent=4)


def test_omit_optional_members_leaves_out_empty_optionals_below_the_top_level_but_not_failures():
    with ReferenceEcr(Behaviour(omit_optional_members=True)) as url:
        ref = Caller(url)
        repo = ref.repository()
        scanning = ref.ok("BatchGetRepositoryScanningConfiguration", {"repositoryNames": [repo]})
        registry = ref.ok("DescribeRegistry")
        deleted = ref.ok("BatchDeleteImage", {"repositoryName": repo, "imageIds": [{"imageTag": "absent"}]})
    assert "appliedScanFilters" not in scanning["scanningConfigurations"][0]
    assert scanning["failures"] == []  # ops I.6, L.8: failures stay
    assert registry["replicationConfiguration"] == {"rules": []}  # required by the model: kept
    assert deleted["imageIds"] == [] and len(deleted["failures"]) == 1  # top-level lists stay


def test_the_variant_knobs_are_checked():
    with pytest.raises(ValueError, match="token_format"):
        Behaviour(token_format="rot13")
    with pytest.raises(ValueError, match="page_size_cap"):
        Behaviour(page_size_cap=0)
