"""What the tag operations mean on a repository: tags read back, a key set again is overwritten, UntagResource
removes, at most 50 tags, the aws: prefix is reserved, a malformed ARN is refused (ops T.1-T.6).

An ARN of an absent repository is a check of the generic suite (fixtures/operations/TagResource.toml and its
siblings): it is not repeated here.

Every repository of a run carries the run tag (``ecrconf:run``, ecrconf.resources.RUN_TAG_KEY) from its
creation. What TagResource and UntagResource do is judged on the other keys, and the 50-tag limit counts the
tags the repository already holds, so that these verdicts do not depend on whether a target keeps tags given
to CreateRepository (or refused them: ecrconf.resources.RunTagRefused).
"""

from __future__ import annotations

import pytest

from ecrconf import checks
from ecrconf.resources import RUN_TAG_KEY

MAX_TAGS = 50  # ops T.3, Q.2: tags per repository


def _tags(pairs: dict[str, str]) -> list[dict]:
    return [{"Key": key, "Value": value} for key, value in pairs.items()]


def _listed(client, arn: str):
    """ListTagsForResource: (the exchange, its tags but the run tag as (Key, Value) pairs, sorted; duplicates
    kept)."""
    exchange = client.call("ListTagsForResource", {"resourceArn": arn})
    tags = checks.succeeded(exchange).get("tags") or []
    return exchange, sorted((tag.get("Key"), tag.get("Value")) for tag in tags
                            if isinstance(tag, dict) and tag.get("Key") != RUN_TAG_KEY)


def _held(client, resources, arn: str) -> int:
    """How many tags the repository holds before the check adds any: as ListTagsForResource answers, else
    the tags the run created it with."""
    tags = client.call("ListTagsForResource", {"resourceArn": arn}).body
    tags = tags.get("tags") if isinstance(tags, dict) else None
    return len(tags) if isinstance(tags, list) else len(resources.run_tags())


@pytest.mark.operation("ListTagsForResource")
@pytest.mark.evidence("documented", "ops T.1, T.3")
def test_tags_read_back_and_a_key_tagged_again_takes_the_new_value(client, resources, world):
    """ListTagsForResource MUST give back the tags TagResource set, each key once; TagResource of a key the
    repository has MUST overwrite its value."""
    arn = world.repository.arn  # as CreateRepository answered it, else built from its parts
    resources.call("TagResource", {"resourceArn": arn, "tags": _tags({"stage": "integ", "team": "ecrconf"})})
    resources.call("TagResource", {"resourceArn": arn, "tags": _tags({"stage": "prod"})})
    exchange, got = _listed(client, arn)
    expected = [("stage", "prod"), ("team", "ecrconf")]
    checks.require(got == expected, "the tags read back are not the ones set", received=repr(got),
                   expected=repr(expected), exchange=exchange)


@pytest.mark.operation("UntagResource")
@pytest.mark.evidence("documented", "ops T.1, T.6")
def test_untag_resource_removes_the_keys_it_names(client, resources, world):
    """After UntagResource of one key, ListTagsForResource MUST give the other tags and not that one."""
    arn = world.repository.arn  # as CreateRepository answered it, else built from its parts
    resources.call("TagResource", {"resourceArn": arn, "tags": _tags({"stage": "integ", "team": "ecrconf"})})
    resources.call("UntagResource", {"resourceArn": arn, "tagKeys": ["stage"]})
    exchange, got = _listed(client, arn)
    checks.require(got == [("team", "ecrconf")], "UntagResource did not remove exactly the key it named",
                   received=repr(got), expected=repr([("team", "ecrconf")]), exchange=exchange)


@pytest.mark.operation("TagResource")
@pytest.mark.evidence("documented", "model: TooManyTagsException; ops T.3, T.5")
def test_a_repository_holds_at_most_50_tags(client, resources, world):
    """TagResource up to 50 tags on the repository MUST succeed; one more tag on that repository MUST then fail
    with TooManyTagsException."""
    arn = world.repository.arn  # as CreateRepository answered it, else built from its parts
    room = MAX_TAGS - _held(client, resources, arn)  # the run tag is one of the 50
    checks.succeeded(client.call("TagResource", {
        "resourceArn": arn, "tags": _tags({f"key-{n:02}": f"value-{n}" for n in range(room)})}))
    checks.failed_with(client.call("TagResource", {"resourceArn": arn, "tags": _tags({"one-more": "tag"})}),
                       {"TooManyTagsException"})


@pytest.mark.operation("TagResource")
@pytest.mark.evidence("documented", "ops T.3 (aws: is reserved), T.5 (a bad key: InvalidTagParameterException)")
def test_a_key_with_the_reserved_aws_prefix_is_refused(client, resources, world):
    """TagResource of a key that begins with aws: MUST fail as an invalid tag (InvalidTagParameterException) or
    invalid parameter (InvalidParameterException), the two the model gives for it."""
    arn = world.repository.arn  # as CreateRepository answered it, else built from its parts
    exchange = client.call("TagResource", {"resourceArn": arn, "tags": _tags({"aws:ecrconf": "reserved"})})
    checks.failed_with(exchange, {"InvalidTagParameterException", "InvalidParameterException"})


@pytest.mark.operation("ListTagsForResource")
@pytest.mark.evidence("observed", "ops T.2")
def test_a_malformed_arn_is_refused(client):
    """ListTagsForResource of a resourceArn that is not an ARN MUST fail with InvalidParameterException."""
    checks.failed_with(client.call("ListTagsForResource", {"resourceArn": "ecrconf-this-is-not-an-arn"}),
                       {"InvalidParameterException"})

