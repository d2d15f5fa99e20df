"""TagResource, UntagResource, ListTagsForResource: tags on repositories, the only taggable resource
(ops T.1-T.6). CreateRepository applies its tags through ``checked_tags`` too (T.4: all or nothing)."""

from __future__ import annotations

import re

from selftest.reference.behaviour import Behaviour
from selftest.reference.errors import error
from selftest.reference.operations.context import Context
from selftest.reference.registry import Repository

MAX_TAGS = 50  # T.3, Q.2
MAX_KEY, MAX_VALUE = 128, 256  # T.3, Q.2, in characters
RESERVED_PREFIX = "aws:"  # T.3
# arn:<partition>:ecr:<region>:<account>:repository/<name>; the name as the model's RepositoryName.
REPOSITORY_ARN = re.compile(r"arn:aws[a-z-]*:ecr:([a-z0-9-]+):([0-9]{12}):repository/"
                            r"([a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*)")


def tag_resource(ctx: Context, request: dict) -> dict:
    """Adds or overwrites tags (T.3), all or none; answers {} (T.1)."""
    repository = _resource(ctx, request["resourceArn"])
    repository.resource_tags = checked_tags(repository.resource_tags, request["tags"], ctx.behaviour)
    return {}


def untag_resource(ctx: Context, request: dict) -> dict:
    """Removes the keys named (an absent key is no error); a reserved or over-long key is refused (T.3)."""
    repository = _resource(ctx, request["resourceArn"])
    for key in request["tagKeys"]:
        if key.startswith(RESERVED_PREFIX) or not 0 < len(key) <= MAX_KEY:
            raise error("invalid-tag-parameter")
    for key in request["tagKeys"]:
        if not ctx.behaviour.untag_ignored:
            repository.resource_tags.pop(key, None)
    return {}


def list_tags_for_resource(ctx: Context, request: dict) -> dict:
    """{"tags": [{"Key", "Value"}]}, capitalised members (T.1), in the order the tags were first set."""
    repository = _resource(ctx, request["resourceArn"])
    return {"tags": [{"Key": key, "Value": value} for key, value in repository.resource_tags.items()]}


def checked_tags(current: dict[str, str], tags: list[dict], behaviour: Behaviour = Behaviour()) -> dict[str, str]:
    """current with tags applied; InvalidTagParameterException for a reserved prefix, an empty or too long
    key or too long value (T.3, T.5), TooManyTagsException beyond 50 tags (T.5). The tag breakages of
    behaviour (retag_keeps_value, tag_limit_per_request, reserved_tag_prefix_allowed) change that."""
    merged = dict(current)
    for tag in tags:
        key, value = tag["Key"], tag["Value"]
        reserved = key.startswith(RESERVED_PREFIX) and not behaviour.reserved_tag_prefix_allowed
        if reserved or not 0 < len(key) <= MAX_KEY or len(value) > MAX_VALUE:
            raise error("invalid-tag-parameter")
        if behaviour.retag_keeps_value:
            merged.setdefault(key, value)
        else:
            merged[key] = value
    counted = {tag["Key"] for tag in tags} if behaviour.tag_limit_per_request else merged
    if len(counted) > MAX_TAGS:
        raise error("too-many-tags")
    return merged


def _resource(ctx: Context, arn: str) -> Repository:
    """The repository an ARN names: a malformed ARN, or one of another region, is an
    InvalidParameterException (T.2); a well-formed ARN of an absent repository RepositoryNotFound (T.6)."""
    match = REPOSITORY_ARN.fullmatch(arn)
    if match is None and ctx.behaviour.malformed_arn_not_found:
        raise error("repository-not-found", repository=arn, registry=ctx.store.account_id)
    if match is None or match.group(1) != ctx.region or len(match.group(3)) > 256:
        raise error("invalid-arn")
    return ctx.store.repository(match.group(2), match.group(3))


HANDLERS = {"TagResource": tag_resource, "UntagResource": untag_resource,
            "ListTagsForResource": list_tags_for_resource}
