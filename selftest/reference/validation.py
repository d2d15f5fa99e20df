"""Input validation driven by the committed JSON Schemas, answered with ECR's error types and texts.

Two passes, as Coral does them: reading the JSON into the model's types (a wrong JSON type is a
SerializationException; unknown members are dropped; null means absent, as Smithy's awsJson1_1 server
test AwsJson11ServersDontDeserializeNullStructureValues says), then checking the model's
constraints and the rules real ECR enforces beyond the model (``fixtures/constraints/observed.json``),
where the first broken one is an InvalidParameterException. The schemas say ``additionalProperties:
false`` only so that generated requests stay inside the model; a server ignores unknown members.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import math
import re
from collections.abc import Collection, Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType

from jsonschema import Draft7Validator

from ecrconf.spec import schemas
from selftest.reference.errors import EcrError, constraint_texts, error, invalid_parameter, messages

OBSERVED_FILE = Path(__file__).resolve().parents[2] / "fixtures" / "constraints" / "observed.json"
_ANY_ITEM = None  # in a member path, stands for any element of a list


def validated(operation: str, request: dict, constraints: Mapping[str, Mapping] = MappingProxyType({}),
              skipped_rules: Collection[str] = ()) -> dict:
    """request read into the model's types and checked; raises EcrError for the first problem.

    constraints and skipped_rules are breakages: see Behaviour.input_constraints and skipped_rules.
    """
    schema = _with_constraints(operation, schemas.input_schema(operation), constraints)
    document = _read(schema, request)
    _check_members(schema, document, (), _rules(operation, skipped_rules))
    return document


def require_object(document: object) -> None:
    """A request body is a structure: anything else is a SerializationException."""
    _check_json_type("structure", document)


def _with_constraints(operation: str, schema: dict, constraints: Mapping[str, Mapping]) -> dict:
    """schema with the keywords of constraints ("Operation.member.path" -> {keyword: value}) put in; a path
    steps through a list to its items ("BatchDeleteImage.imageIds.imageTag": the imageTag of every item)."""
    mine = {key: keywords for key, keywords in constraints.items() if key.partition(".")[0] == operation}
    if not mine:
        return schema
    schema = copy.deepcopy(schema)
    for key, keywords in mine.items():
        target = schema
        for name in filter(None, key.partition(".")[2].split(".")):
            target = target["items"] if target.get("type") == "array" else target
            target = target["properties"][name]
        target.update(keywords)
    return schema


# --- pass 1: JSON types --------------------------------------------------------------------------


def _kind(schema: dict) -> str:
    if schema.get("type") == "object":
        return "map" if isinstance(schema.get("additionalProperties"), dict) else "structure"
    if schema.get("type") == "array":
        return "list"
    if schema.get("contentEncoding") == "base64":
        return "blob"
    return schema["type"]


def _read(schema: dict, value: object) -> object:
    kind = _kind(schema)
    _check_json_type(kind, value)
    if kind == "structure":
        properties = schema.get("properties", {})
        return {name: _read(properties[name], member) for name, member in value.items()
                if name in properties and member is not None}
    if kind == "map":
        return {key: None if item is None else _read(schema["additionalProperties"], item)
                for key, item in value.items()}
    if kind == "list":
        return [None if item is None else _read(schema["items"], item) for item in value]
    if kind == "blob":
        try:
            return base64.b64decode(value, validate=True)
        except binascii.Error:
            raise _wrong_type("blob", "string", value) from None
    if kind == "integer":
        return math.floor(value)  # Coral truncates numbers read as integers (kinesalite: Math.floor)
    return value


def _check_json_type(kind: str, value: object) -> None:
    found = _json_type(value)
    if found == "object" and kind not in ("structure", "map"):
        raise _wrong_type_text(messages()["wrong_type"]["object"])
    if found == "array" and kind != "list":
        raise _wrong_type_text(messages()["wrong_type"]["array"])
    if kind in ("structure", "map", "list"):
        if found not in ("object", "array"):
            raise _wrong_type_text(messages()["wrong_type"][kind])
        return
    accepted = {"string": {"string"}, "blob": {"string"}, "boolean": {"boolean"},
                "integer": {"number"}, "number": {"number"}}[kind]
    if found not in accepted:
        raise _wrong_type(kind, found, value)


def _json_type(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return {str: "string", dict: "object", list: "array", type(None): "null"}[type(value)]


def _wrong_type(kind: str, found: str, value: object) -> EcrError:
    text = messages()["wrong_type"][kind][found]
    return _wrong_type_text(text.format(value=value, upper=str(value).upper()))


def _wrong_type_text(text: str) -> EcrError:
    return error("wrong-type", text=text)


# --- pass 2: constraints -------------------------------------------------------------------------


@cache
def _all_rules() -> tuple[dict, ...]:
    return tuple(json.loads(OBSERVED_FILE.read_text())["rules"])


def _rules(operation: str, skipped: Collection[str]) -> dict[tuple, list[dict]]:
    """The observed rules of operation by member path (a tuple of names and _ANY_ITEM), but the skipped ones."""
    found: dict[tuple, list[dict]] = {}
    for rule in _all_rules():
        if rule["operation"] == operation and f"{operation}.{rule['member']}" not in skipped:
            path = tuple(step for part in rule["member"].split(".")
                         for step in [part.split("[")[0]] + [_ANY_ITEM] * part.count("[]"))
            found.setdefault(path, []).append(rule)
    return found


def _check_members(schema: dict, document: dict, path: tuple, rules: dict) -> None:
    required = schema.get("required", [])
    for name, member_schema in schema.get("properties", {}).items():
        if name not in document:
            if name in required:
                raise invalid_parameter(name, _text(member_schema, "null", name))
            continue
        _check_value(member_schema, document[name], name, path + (name,), rules)


def _check_value(schema: dict, value: object, name: str, path: tuple, rules: dict) -> None:
    broken = _broken_constraint(schema, value, name) or _broken_rule(rules.get(path, ()), value, name, schema)
    if broken is not None:
        raise invalid_parameter(name, broken)
    _check_inside(schema, value, name, path, rules)


def _check_item(schema: dict, item: object, name: str, path: tuple, rules: dict) -> None:
    """An element of list (or map) name: what it breaks is reported at the list (research 3.7)."""
    if item is None:
        broken = _text(schema, "null", name, style="member")
    else:
        broken = _broken_constraint(schema, item, name, style="member") or \
            _broken_rule(rules.get(path, ()), item, name, schema, style="member")
    if broken is not None:
        raise invalid_parameter(name, constraint_texts()["item"].format(inner=broken))
    _check_inside(schema, item, name, path, rules)


def _check_inside(schema: dict, value: object, name: str, path: tuple, rules: dict) -> None:
    kind = _kind(schema)
    if kind == "structure":
        _check_members(schema, value, path, rules)
    elif kind == "list":
        for item in value:
            _check_item(schema["items"], item, name, path + (_ANY_ITEM,), rules)
    elif kind == "map":
        for item in value.values():
            _check_item(schema["additionalProperties"], item, name, path + (_ANY_ITEM,), rules)


def _broken_constraint(schema: dict, value: object, name: str, style: str | None = None) -> str | None:
    """The text of the first modelled constraint value breaks, or None."""
    kind = _kind(schema)
    length = len(value) if kind in ("string", "blob") else None
    items = len(value) if kind == "list" else None
    checks = [
        ("minLength", length is not None and length < schema.get("minLength", 0)),
        ("maxLength", length is not None and length > schema.get("maxLength", math.inf)),
        ("minItems", items is not None and items < schema.get("minItems", 0)),
        ("maxItems", items is not None and items > schema.get("maxItems", math.inf)),
        ("minimum", kind in ("integer", "number") and value < schema.get("minimum", -math.inf)),
        ("maximum", kind in ("integer", "number") and value > schema.get("maximum", math.inf)),
        ("pattern", kind == "string" and "pattern" in schema and not re.fullmatch(schema["pattern"], value)),
        ("enum", "enum" in schema and value not in schema["enum"]),
    ]
    keyword = next((keyword for keyword, broken in checks if broken), None)
    return None if keyword is None else _text(schema, keyword, name, style=style)


def _broken_rule(rules: list[dict], value: object, name: str, schema: dict, style: str | None = None) -> str | None:
    """The text of the first observed rule value breaks, or None."""
    for rule in rules:
        fragment = rule["schema"]
        if "pattern" in fragment:  # matched whole, as Java does: jsonschema's search lets "x\n" match "^x$"
            if isinstance(value, str) and not re.fullmatch(fragment["pattern"], value):
                return _text({**schema, **fragment}, "pattern", name, style=style)
        elif not Draft7Validator(fragment).is_valid(value):
            return constraint_texts()["observed_kinds"][rule["kind"]]
    return None


def _text(schema: dict, keyword: str, name: str, style: str | None = None) -> str:
    texts = constraint_texts()
    if style is None:
        style = "member" if _kind(schema) in ("structure", "list", "map") or "enum" in schema else "scalar"
    if keyword == "pattern" and style == "scalar" and name in texts["unquoted_pattern_members"]:
        keyword = "pattern-unquoted"
    limit = schema.get(keyword)
    pattern = _bare(schema.get("pattern", ""))
    return texts[style][keyword].format(limit=limit, pattern=pattern, values=", ".join(schema.get("enum", ())))


def _bare(pattern: str) -> str:
    """The model's regular expression, without the anchors the schema generator put around it."""
    match = re.fullmatch(r"\^\(\?:(.*)\)\$", pattern)
    return match.group(1) if match else pattern
