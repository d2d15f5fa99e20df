"""The operation tables (``fixtures/operations/<Operation>.toml``): what the model cannot say about an operation.

``table(operation)`` reads and checks one; ``tables()`` every one. A table that breaks its format
(``table.schema.json``) or names what the model does not have raises ``TableInvalid`` with one line
naming the file and the fault. ``fill`` turns a table's request, with ``{placeholders}``, into the
request the run sends. The format and the placeholders are in ``fixtures/operations/README.md``.
"""

from __future__ import annotations

import json
import re
import string
import tomllib
from dataclasses import dataclass
from functools import cache
from typing import Any

from jsonschema import Draft7Validator

from ecrconf import paths
from ecrconf.spec import schemas

DIRECTORY = paths.data("fixtures", "operations")
COMMON_ERRORS = DIRECTORY.parent / "common_errors.json"

# Every placeholder a table may use: the README's vocabulary, which the run's world provides.
VOCABULARY = frozenset({
    "registry", "region",
    "repository.name", "repository.arn", "repository.uri",
    *(f"image.{a}" for a in ("repository", "digest", "tag", "manifest", "media_type", "layer")),
    "new.repository", "new.tag",
    "new.cache_prefix", "new.template", "new.principal",
    *(f"new_image.{a}" for a in ("repository", "manifest", "digest", "media_type", "layer")),
    "upload.repository", "upload.id",
    *(f"part.{a}" for a in ("repository", "id", "blob", "last_byte")),
    "sent.repository", "sent.id", "sent.digest",
    "policy_repository.name", "lifecycle_repository.name",
    "scanned.repository", "scanned.digest", "unscanned.repository", "unscanned.digest",
    "preview_repository.name",
    "cache_rule.prefix", "template.prefix", "exclusion.principal",
    "replication.region", "replication.registry", "backfill.id",
    "texts.repository_policy", "texts.lifecycle_policy", "texts.registry_policy",
    *(f"absent.{a}" for a in ("repository", "digest", "tag", "upload", "arn", "prefix",
                              "template", "principal", "backfill")),
})
_STEP = re.compile(r"([A-Za-z][A-Za-z0-9]*)((?:\[\d+\])*)")


class TableInvalid(ValueError):
    """A table breaks its format or names what the model does not have; the message is one line."""


@dataclass(frozen=True)
class NotFound:
    """One way to name something absent: a member replaced by value, or a whole request of its own."""

    evidence: str
    needs: tuple[str, ...] = ()  # state made sure of before the call (World.establish)
    error: str | None = None  # the whole call's error type, or None when a per-item failure is expected
    failure: str | None = None  # the failureCode of a per-item failure in a 200 answer
    member: str | None = None
    value: str | None = None
    request: dict | None = None

    @property
    def id(self) -> str:
        """Stable and readable, for check ids: the member, or the error for a whole request."""
        return self.member or f"state-{self.error or self.failure}"


@dataclass(frozen=True)
class Table:
    operation: str
    family: str
    state: str | None  # the registry-wide state its calls change (table key account_wide), None if none
    evidence: str
    request: dict
    not_found: tuple[NotFound, ...]
    needs: tuple[str, ...] = ()  # state the success request needs (World.establish)
    always: tuple[str, ...] = ()  # output members every successful answer carries, even empty
    always_evidence: str = ""  # where that comes from

    @property
    def account_wide(self) -> bool:
        return self.state is not None

    def absent(self, case: NotFound) -> dict:
        """The request of a not-found case, placeholders unfilled: the member replaced, or the case's own."""
        if case.request is not None:
            return case.request
        return replaced(self.request, case.member, case.value)


def operations() -> list[str]:
    """The operations that have a table, sorted."""
    return sorted(path.stem for path in DIRECTORY.glob("*.toml"))


def tables() -> list[Table]:
    """Every table, checked, in operation order."""
    return [table(operation) for operation in operations()]


@cache
def table(operation: str) -> Table:
    """operation's table, checked; TableInvalid when it is missing, malformed or wrong about the model."""
    path = DIRECTORY / f"{operation}.toml"
    where = f"fixtures/operations/{path.name}"
    if operation not in schemas.operations():
        raise TableInvalid(f"{where}: {operation!r} is not an operation of the model")
    try:
        document = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise TableInvalid(f"{where}: no table for {operation}") from None
    except tomllib.TOMLDecodeError as exc:
        raise TableInvalid(f"{where}: not TOML: {exc}") from None
    problem = next(iter(sorted(_format().iter_errors(document), key=lambda e: list(e.path))), None)
    if problem is not None:
        at = "/".join(str(p) for p in problem.path) or "top level"
        raise TableInvalid(f"{where}: {at}: {problem.message}")
    cases = tuple(NotFound(**{**entry, "needs": tuple(entry.get("needs", ()))})
                  for entry in document.get("not_found", []))
    always = document.get("always", {})
    found = Table(operation, document["family"], document["account_wide"] or None, document["evidence"],
                  document["request"], cases, tuple(document.get("needs", ())), tuple(always.get("members", ())),
                  always.get("evidence", ""))
    for fault in _faults(found):
        raise TableInvalid(f"{where}: {fault}")
    return found


def _faults(table: Table):
    """What the table says that the model contradicts, one line each."""
    operation = table.operation
    yield from _placeholder_faults(table.request, "request")
    yield from _member_faults(operation, table.request, "request")
    allowed_errors = set(schemas.modelled_errors(operation)) | set(_common_errors())
    failure_codes = set(_failure_codes(schemas.output_schema(operation)))
    outputs = schemas.output_schema(operation).get("properties", {})
    for member in table.always:
        if member not in outputs:
            yield f"always: {operation}'s output has no member {member!r}"
    ids = [case.id for case in table.not_found]
    if len(ids) != len(set(ids)):
        yield f"not_found: two cases with the same id in {ids}"
    for case in table.not_found:
        where = f"not_found {case.id}"
        if case.member is not None:
            try:
                replaced(table.request, case.member, case.value)
            except KeyError:
                yield f"{where}: the request has no member {case.member!r}"
            yield from _placeholder_faults(case.value, where)
        else:
            yield from _placeholder_faults(case.request, where)
            yield from _member_faults(operation, case.request, where)
        if case.error is not None and case.error not in allowed_errors:
            yield f"{where}: {case.error} is neither modelled for {operation} nor a common error"
        if case.failure is not None and case.failure not in failure_codes:
            yield f"{where}: failure {case.failure!r} is not a failureCode of {operation}'s output"


def _member_faults(operation: str, request: dict, where: str):
    known = schemas.input_schema(operation).get("properties", {})
    for name in request:
        if name not in known:
            yield f"{where}: {operation} has no input member {name!r}"


def _placeholder_faults(value: Any, where: str):
    try:
        fields = _fields(value)
    except ValueError as exc:  # a lone brace, or a conversion or format spec on a placeholder
        yield f"{where}: malformed placeholder: {exc}"
        return
    for field in sorted(fields - VOCABULARY):
        yield f"{where}: {{{field}}} is not a placeholder of the vocabulary (fixtures/operations/README.md)"


def _fields(value: Any) -> set[str]:
    """The placeholder names in every string of value; ValueError for a string that is not only text
    and plain {root.attribute} placeholders."""
    if isinstance(value, str):
        found = set()
        for _, name, spec, conversion in string.Formatter().parse(value):
            if name is not None and (spec or conversion):
                raise ValueError(f"{{{name}}} in {value!r} has a conversion or format spec")
            if name is not None:
                found.add(name)
        return found
    if isinstance(value, dict):
        return set().union(*map(_fields, value.values()))
    if isinstance(value, list):
        return set().union(*map(_fields, value))
    return set()


def replaced(request: dict, member: str, value: Any) -> dict:
    """A copy of request with the member at path (``a.b[0].c``) set to value; KeyError if it lacks it."""
    copy = json.loads(json.dumps(request))
    steps = [step for part in member.split(".") for step in _steps(part)]
    node = copy
    try:
        for step in steps[:-1]:
            node = node[step]
        node[steps[-1]]  # the member must be there already: a table names what its request has
    except (IndexError, KeyError, TypeError):
        raise KeyError(member) from None
    node[steps[-1]] = value
    return copy


def _steps(part: str) -> list:
    matched = _STEP.fullmatch(part)
    if not matched:
        raise KeyError(part)
    return [matched.group(1), *(int(i) for i in re.findall(r"\d+", matched.group(2)))]


def fill(operation: str, request: Any, world: Any) -> Any:
    """request with every placeholder replaced by the world's value (``world.<root>.<attribute>``, or
    ``world.registry``); a string member that the input schema types as an integer becomes one.

    Raises AttributeError when the world lacks a placeholder (``tables`` only lets the vocabulary in)."""
    filled = _filled(request, world)
    return _typed(filled, schemas.input_schema(operation))


def _filled(value: Any, world: Any) -> Any:
    if isinstance(value, str):
        return string.Formatter().vformat(value, (), _Roots(world)) if "{" in value else value
    if isinstance(value, dict):
        return {k: _filled(v, world) for k, v in value.items()}
    if isinstance(value, list):
        return [_filled(v, world) for v in value]
    return value


class _Roots(dict):
    """Format fields looked up as attributes of the world: {image.digest} is world.image.digest."""

    def __init__(self, world: Any):
        super().__init__()
        self.world = world

    def __missing__(self, root: str) -> Any:
        return getattr(self.world, root)


def _typed(value: Any, schema: dict) -> Any:
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        return {k: _typed(v, properties.get(k, {})) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v, schema.get("items", {})) for v in value]
    if isinstance(value, str) and schema.get("type") == "integer" and re.fullmatch(r"-?\d+", value):
        return int(value)
    return value


@cache
def _format() -> Draft7Validator:
    return Draft7Validator(json.loads((DIRECTORY / "table.schema.json").read_text()))


@cache
def _common_errors() -> frozenset[str]:
    return frozenset(json.loads(COMMON_ERRORS.read_text())["errors"])


def _failure_codes(schema: Any) -> list[str]:
    """Every enum value of a ``failureCode`` member anywhere in an output schema."""
    if isinstance(schema, list):
        return [code for item in schema for code in _failure_codes(item)]
    if not isinstance(schema, dict):
        return []
    found = list(schema.get("properties", {}).get("failureCode", {}).get("enum", []))
    return found + [code for value in schema.values() for code in _failure_codes(value)]
