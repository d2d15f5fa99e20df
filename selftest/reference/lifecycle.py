"""Lifecycle policies: the rules ECR checks when one is put (ops P.9-P.12), and what a preview of one
would expire or archive (ops P.15).

A policy is ``{"rules": [rule, ...]}``, each rule ``{rulePriority, description?, selection{tagStatus,
tagPrefixList?, tagPatternList?, countType, countUnit?, countNumber}, action{type, targetStorageClass?}}``
(AWS user guide, LifecyclePolicies). Every problem is an InvalidParameterException at
'LifecyclePolicyText' with the P.9 prefix; the reasons are in messages.json under "lifecycle".
"""

from __future__ import annotations

import fnmatch

from selftest.reference.errors import error, messages
from selftest.reference.policytext import compact, parsed_object
from selftest.reference.registry import Image

TAG_STATUSES = ("tagged", "untagged", "any")
COUNT_TYPES = ("imageCountMoreThan", "sinceImagePushed", "sinceImagePulled", "sinceImageTransitioned")
ACTIONS = ("expire", "transition")
DAY = 24 * 60 * 60


def checked(text: str) -> str:
    """The policy as ECR stores it: compact, rules ordered by rulePriority (P.8, P.13); raises
    InvalidParameterException for the first rule of P.9-P.12 it breaks."""
    document = parsed_object(text)
    rules = document.get("rules") if document is not None else None
    if not isinstance(rules, list) or not rules or not all(isinstance(rule, dict) for rule in rules):
        raise _invalid("unmappable")
    for rule in rules:
        _check_rule(rule)
    priorities = [rule["rulePriority"] for rule in rules]
    duplicate = next((p for p in priorities if priorities.count(p) > 1), None)
    if duplicate is not None:
        raise _invalid("duplicate-priority", value=duplicate)  # P.12: unique rulePriority
    by_priority = sorted(rules, key=lambda rule: rule["rulePriority"])
    statuses = [rule["selection"]["tagStatus"] for rule in by_priority]
    if "any" in statuses and statuses.index("any") != len(statuses) - 1:
        raise _invalid("any-not-last")  # P.10, P.12: "any" has the highest number
    if statuses.count("untagged") > 1:
        raise _invalid("one-untagged")  # P.10, P.12
    return compact({**document, "rules": by_priority})


def _check_rule(rule: dict) -> None:
    _require(rule, ("rulePriority", "selection", "action"))
    selection, action = rule["selection"], rule["action"]
    if not isinstance(selection, dict) or not isinstance(action, dict):
        raise _invalid("unmappable")
    _require(selection, ("tagStatus", "countType", "countNumber"))
    _require(action, ("type",))
    for value, allowed in ((selection["tagStatus"], TAG_STATUSES), (selection["countType"], COUNT_TYPES),
                           (action["type"], ACTIONS)):
        if value not in allowed:
            raise _invalid("enum", value=value, values=",".join(f'"{a}"' for a in allowed))
    for number in (rule["rulePriority"], selection["countNumber"]):
        if not isinstance(number, int) or isinstance(number, bool):
            raise _invalid("unmappable")
        if number < 1:
            raise _invalid("minimum", value=number)  # P.12: rulePriority >= 1
    if selection["tagStatus"] == "tagged" and not (selection.get("tagPrefixList") or selection.get("tagPatternList")):
        raise _invalid("tagged-needs-list")  # P.10, P.12
    if "countUnit" in selection and selection["countType"] == "imageCountMoreThan":
        raise _invalid("count-unit")  # P.12: countUnit only with a since* count type


def _require(document: dict, names: tuple[str, ...]) -> None:
    if any(value is None for value in document.values()):
        raise _invalid("null-member")  # P.9: a null value
    missing = [name for name in names if name not in document]
    if missing:
        raise _invalid("missing", names=",".join(f'"{name}"' for name in missing))


def _invalid(reason: str, **fields):
    return error("invalid-lifecycle-policy", reason=messages()["lifecycle"][reason].format(**fields))


def preview(text: str, images: list[Image], now: float) -> list[dict]:
    """previewResults of GetLifecyclePolicyPreview for a checked policy: each image the first matching
    rule (by priority) would expire or archive, newest images kept first (P.15, user guide)."""
    rules = sorted(parsed_object(text)["rules"], key=lambda rule: rule["rulePriority"])  # stored in any order
    taken: set[str] = set()
    results = []
    for rule in rules:
        selection = rule["selection"]
        chosen = sorted((i for i in images if i.digest not in taken and _selects(selection, i)),
                        key=lambda i: i.pushed_at, reverse=True)
        taken.update(i.digest for i in chosen)
        for image in _acted_on(selection, chosen, now):
            action = {"type": rule["action"]["type"].upper()}
            if action["type"] == "TRANSITION":
                action["targetStorageClass"] = "ARCHIVE"
            entry = {"imageDigest": image.digest, "imagePushedAt": image.pushed_at, "action": action,
                     "appliedRulePriority": rule["rulePriority"], "storageClass": _storage_class(image)}
            if image.tags:
                entry["imageTags"] = sorted(image.tags)
            results.append(entry)
    return results


def _selects(selection: dict, image: Image) -> bool:
    status = selection["tagStatus"]
    if status == "untagged":
        return not image.tags
    if status == "any":
        return True
    prefixes, patterns = selection.get("tagPrefixList", []), selection.get("tagPatternList", [])
    return any(tag.startswith(p) for tag in image.tags for p in prefixes) or \
        any(fnmatch.fnmatchcase(tag, p) for tag in image.tags for p in patterns)


def _acted_on(selection: dict, newest_first: list[Image], now: float) -> list[Image]:
    count = selection["countNumber"]
    if selection["countType"] == "imageCountMoreThan":
        return newest_first[count:]
    return [i for i in newest_first if now - i.pushed_at > count * DAY]


def _storage_class(image: Image) -> str:
    return "ARCHIVE" if image.status == "ARCHIVED" else "STANDARD"
