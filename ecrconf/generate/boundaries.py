"""Requests at and across the boundaries of an operation's input: one constraint broken, or one member
at its limit.

An invalid request starts from a valid base request and breaks exactly one constraint, so a rejection
can be blamed on that constraint. ``boundary_cases`` lists them without randomness (safe at collection
time, identical in every xdist worker); ``invalid_requests`` draws them with generated values;
``valid_boundary_requests`` gives base with one member at a length or value bound.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis_jsonschema import from_schema

from ecrconf.generate.strategies import RULE_EVIDENCE, check_operation, observed_rules, validator
from ecrconf.spec import schemas

__all__ = ["InvalidCase", "ValidCase", "boundary_cases", "invalid_requests", "valid_boundary_requests"]


@dataclass(frozen=True)
class InvalidCase:
    """A request that breaks exactly one constraint of a valid base request."""

    id: str  # stable and readable, e.g. "repositoryName-too-long-257"
    kind: str  # missing, null, wrong-type, too-short, too-long, too-small, too-large, pattern, not-base64, enum, or an observed rule's kind
    request: dict
    broken: str  # the member path, e.g. "imageId.imageTag" or "imageIds[0].imageDigest"
    evidence: str = "documented"  # "documented" (the model) or the evidence of the observed rule broken


@dataclass(frozen=True)
class ValidCase:
    """A valid request that holds an edge value (a minimum or maximum) in one member."""

    id: str  # e.g. "repositoryName-length-256"
    request: dict
    member: str


# --- invalid requests ----------------------------------------------------------------------------

_MISSING = object()

# One value of each JSON type, for "wrong type" cases; and generated ones for invalid_requests.
_TYPE_SAMPLES = {"string": "x", "number": 12, "boolean": True, "object": {}, "array": []}
_TYPE_VALUES = {
    "string": st.text(max_size=20),
    "number": st.integers() | st.floats(allow_nan=False, allow_infinity=False),
    "boolean": st.booleans(),
    "object": st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3),
    "array": st.lists(st.text(max_size=8), max_size=3),
}


@dataclass(frozen=True)
class _Member:
    path: tuple  # of names and list indexes
    schema: dict  # the modelled schema, without observed rules
    value: Any  # _MISSING when the base lacks the member
    required: bool


@dataclass(frozen=True)
class _Breakage:
    """One way to break one member: the values to try, and the one validation error they must cause."""

    member: _Member
    kind: str
    keyword: str
    examples: tuple  # (name or None, candidate values): one boundary case each, from the first candidate that fits
    values: st.SearchStrategy
    evidence: str = "documented"


def boundary_cases(operation: str, base: dict, *, only: str | None = None) -> list[InvalidCase]:
    """Every single-constraint violation derivable from the schema and the observed rules, as a fixed list.

    For each member of each object in base (recursively, and into the first item of lists): required
    members missing, null, each wrong JSON type, one below the minimum and one above the maximum length
    or value, near misses of a pattern, a value outside an enum, and the named violations of each
    observed rule. A case is kept only if it fails validation with exactly one error, at its member,
    for its constraint. Length and pattern cases for optional members need the member in base.
    With only (a case id), just the cases of that member and kind are built, that one among them.
    """
    _check_base(operation, base, ValueError)
    cases = []
    for breakage in _breakages(operation, base):
        if only is not None and not only.startswith(f"{_display(breakage.member.path)}-{breakage.kind}"):
            continue
        for name, candidates in breakage.examples:
            found = (_case(operation, base, breakage, value, name) for value in candidates)
            case = next((c for c in found if c is not None), None)
            if case is not None:
                cases.append(case)
    return cases


def invalid_requests(operation: str, base: dict) -> st.SearchStrategy[InvalidCase]:
    """Requests that break exactly one constraint of base, with generated values (see boundary_cases).

    Examples shrink towards the first kinds of breakage of the first members, and towards small values.
    The strategy is built once per operation and base (a JSON document), however often it is asked for.
    """
    try:
        key = json.dumps(base)
    except (TypeError, ValueError):  # not a JSON document: _check_base will say so when drawn
        return _invalid_requests(operation, base)
    return _invalid_requests_of(operation, key)


@lru_cache(maxsize=256)
def _invalid_requests_of(operation: str, base_json: str) -> st.SearchStrategy[InvalidCase]:
    return _invalid_requests(operation, json.loads(base_json))


def _invalid_requests(operation: str, base: dict) -> st.SearchStrategy[InvalidCase]:
    def build() -> st.SearchStrategy[InvalidCase]:
        _check_base(operation, base, InvalidArgument)
        breakages = list(_breakages(operation, base))
        return st.sampled_from(breakages).flatmap(
            lambda b: b.values.map(lambda value: _case(operation, base, b, value))
        ).filter(lambda case: case is not None)

    return st.deferred(build)


def valid_boundary_requests(operation: str, base: dict) -> list[ValidCase]:
    """base with one member at a length or value bound (repositoryName of 2 and of 256 characters, ...)."""
    _check_base(operation, base, ValueError)
    cases = []
    for member in _members(schemas.input_schema(operation), base):
        kind = member.schema["type"]
        if kind == "string":
            edges = [("length", n, _fillers(n, member.value))
                     for n in sorted({member.schema[k] for k in ("minLength", "maxLength") if k in member.schema})]
        elif kind == "integer":
            edges = [("value", n, (n,))
                     for n in sorted({member.schema[k] for k in ("minimum", "maximum") if k in member.schema})]
        else:
            edges = []
        for label, n, candidates in edges:
            requests_ = (_with(base, member.path, value) for value in candidates)
            request = next((r for r in requests_ if validator(operation).is_valid(r)), None)
            if request is not None:
                where = _display(member.path)
                cases.append(ValidCase(id=f"{where}-{label}-{n}", request=request, member=where))
    return cases


def _breakages(operation: str, base: dict) -> Iterator[_Breakage]:
    rules = observed_rules(operation)
    for member in _members(schemas.input_schema(operation), base):
        yield from _modelled_breakages(member)
        generic = tuple(None if isinstance(step, int) else step for step in member.path)
        for rule in rules:
            if rule.path == generic:
                yield _Breakage(member, rule.kind, rule.keyword, tuple((n, (v,)) for n, v in rule.violations.items()),
                                st.sampled_from(list(rule.violations.values()))
                                | from_schema(member.schema).filter(lambda v, rule=rule: not rule.accepts(v)),
                                rule.evidence)


def _modelled_breakages(member: _Member) -> Iterator[_Breakage]:
    schema, value, kind = member.schema, member.value, member.schema["type"]
    if member.required and value is not _MISSING:
        yield _Breakage(member, "missing", "required", ((None, (_MISSING,)),), st.just(_MISSING))
    # JSON null reads as an absent member (Smithy awsJson1_1 null.smithy): a violation only where the
    # member is required, or in a list, where an item cannot be absent.
    if (member.required or isinstance(member.path[-1], int)) and value is not _MISSING:
        yield _Breakage(member, "null", "type", ((None, (None,)),), st.none())
    wrong = [t for t in _TYPE_SAMPLES if t != kind and {t, kind} != {"integer", "number"}]
    yield _Breakage(member, "wrong-type", "type", tuple((t, (_TYPE_SAMPLES[t],)) for t in wrong),
                    st.one_of([_TYPE_VALUES[t] for t in wrong]))
    if kind == "string":
        yield from _string_breakages(member)
    elif kind == "integer":
        if "minimum" in schema:
            low = schema["minimum"] - 1
            yield _Breakage(member, "too-small", "minimum", ((None, (low,)),), st.integers(max_value=low))
        if "maximum" in schema:
            high = schema["maximum"] + 1
            yield _Breakage(member, "too-large", "maximum", ((None, (high,)),), st.integers(min_value=high))
    elif kind == "array" and isinstance(value, list):
        if schema.get("minItems", 0) > 0:
            n = schema["minItems"] - 1
            yield _Breakage(member, "too-short", "minItems", ((None, (value[:n],)),),
                            st.integers(0, n).map(lambda k: value[:k]))
        if "maxItems" in schema and value:
            def longer(k: int) -> list:
                return value + [value[-1]] * (k - len(value))
            n = schema["maxItems"] + 1
            yield _Breakage(member, "too-long", "maxItems", ((None, (longer(n),)),), st.integers(n, n + 8).map(longer))


def _string_breakages(member: _Member) -> Iterator[_Breakage]:
    schema, value = member.schema, member.value
    if schema.get("minLength", 0) > 0:
        n = schema["minLength"] - 1
        yield _Breakage(member, "too-short", "minLength", ((None, _fillers(n, value)),), _sized(schema, value, 0, n))
    if "maxLength" in schema:
        n = schema["maxLength"] + 1
        yield _Breakage(member, "too-long", "maxLength", ((None, _fillers(n, value)),),
                        _sized(schema, value, n, n + 64))
    if "enum" in schema:
        allowed = schema["enum"]
        # The lower-case spelling of a valid value is a client's likeliest mistake.
        yield _Breakage(member, "enum", "enum", ((None, (allowed[0].lower(), "NOT_A_VALUE")),),
                        st.text().filter(lambda text: text not in allowed))
    if "pattern" in schema and isinstance(value, str):
        room = len(value) < schema.get("maxLength", len(value) + 1)

        def insert(at: int, char: str) -> str:  # overwrite instead when the value is at its maximum length
            return value[:at] + char + value[at + (0 if room else 1):]

        # A blob that is not base64 cannot be read at all: a serialization error, not a validation one.
        kind = "not-base64" if schema.get("contentEncoding") == "base64" else "pattern"
        yield _Breakage(member, kind, "pattern", tuple((name, (v,)) for name, v in _near_misses(value)),
                        st.builds(insert, st.integers(0, max(len(value) - (0 if room else 1), 0)), st.characters()))


def _near_misses(value: str) -> list[tuple[str, str]]:
    """Mistakes people make in names and ids like ECR's; the caller keeps those the pattern rejects."""
    mid = len(value) // 2
    # Labels name the mistake, never the value's length: a case keeps its id whatever value it breaks.
    return [
        ("uppercase", value.upper()),
        ("illegal-character", value[:mid] + "!" + value[mid:]),
        ("leading-separator", "-" + value),
        ("doubled-separator", value[:mid] + ".." + value[mid:]),
        ("empty-segment", value[:mid] + "//" + value[mid:]),
        ("trailing-slash", value + "/"),
        ("one-short", value[:-1]),
        ("one-long", value + value[-1:]),
        ("with-letter", value[:-1] + "x"),
    ]


def _fillers(n: int, value: Any) -> tuple[str, ...]:
    """Strings of length n to try in turn, hoping one keeps the member's other constraints."""
    candidates = ["a" * n, "0" * n]
    if isinstance(value, str) and value:
        candidates.append((value * (n // len(value) + 1))[:n])
    return tuple(candidates)


def _sized(schema: dict, value: Any, low: int, high: int) -> st.SearchStrategy[str]:
    """Strings with a length in [low, high]: random text where nothing else constrains them."""
    if "pattern" in schema or high > 1000:
        return st.integers(low, high).flatmap(lambda n: st.sampled_from(_fillers(n, value)))
    return st.text(min_size=low, max_size=high)


def _case(operation: str, base: dict, breakage: _Breakage, value: Any, name: str | None = None) -> InvalidCase | None:
    """The case that puts value at the breakage's member, or None unless that breaks just the constraint meant."""
    path = breakage.member.path
    request = _with(base, path, value)
    at = path[:-1] if breakage.kind == "missing" else path
    # A modelled constraint is judged by the model alone: an empty imageTag breaks its minimum length,
    # even though it also breaks the observed tag pattern.
    judge = validator(operation) if breakage.evidence in RULE_EVIDENCE else schemas.validator("input", operation)
    errors = [(tuple(e.absolute_path), e.validator) for e in judge.iter_errors(request)]
    if errors != [(at, breakage.keyword)]:
        return None
    where = _display(path)
    label = name or _label(breakage.kind, value)
    return InvalidCase(id="-".join(part for part in (where, breakage.kind, label) if part), kind=breakage.kind,
                       request=request, broken=where, evidence=breakage.evidence)


def _label(kind: str, value: Any) -> str | None:
    if kind in ("too-short", "too-long"):
        return str(len(value))
    if kind in ("too-small", "too-large"):
        return str(value)
    if kind == "wrong-type":
        return next(t for t, cls in (("boolean", bool), ("number", (int, float)), ("string", str),
                                     ("object", dict), ("array", list)) if isinstance(value, cls))
    return None



# --- documents and paths -------------------------------------------------------------------------


def _check_base(operation: str, base: dict, error: type[Exception]) -> None:
    check_operation(operation, error)
    problems = [e.message for e in validator(operation).iter_errors(base)]
    if problems:
        raise error(f"base={base!r} is not a valid {operation} request: {problems}")


def _members(schema: dict, document: dict, path: tuple = ()) -> Iterator[_Member]:
    """Every member of every object in document, present or not, and the first item of every list."""
    required = schema.get("required", [])
    for name, member_schema in schema.get("properties", {}).items():
        value = document.get(name, _MISSING)
        yield _Member(path + (name,), member_schema, value, name in required)
        yield from _inside(member_schema, value, path + (name,))


def _inside(schema: dict, value: Any, path: tuple) -> Iterator[_Member]:
    if isinstance(value, dict):
        yield from _members(schema, value, path)
    elif isinstance(value, list) and value and "items" in schema:
        yield _Member(path + (0,), schema["items"], value[0], False)
        yield from _inside(schema["items"], value[0], path + (0,))


def _with(document: dict, path: tuple, value: Any) -> dict:
    """A deep copy of document with value at path (or the member removed, for _MISSING)."""
    result = copy.deepcopy(document)
    *parents, last = path
    target = result
    for step in parents:
        target = target[step]
    if value is _MISSING:
        del target[last]
    else:
        target[last] = copy.deepcopy(value)
    return result


def _display(path: tuple) -> str:
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else step)
    return text
