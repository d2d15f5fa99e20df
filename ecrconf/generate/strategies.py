"""Hypothesis strategies for ECR request bodies, valid and invalid.

Valid requests come from the committed input schemas through hypothesis-jsonschema, tightened by the
rules real ECR enforces beyond the model (``fixtures/constraints/observed.json``). A request narrower
than the model can never cause a false alarm; a wider one can.

Invalid requests start from a valid base request and break exactly one constraint, so a rejection can
be blamed on that constraint. ``boundary_cases`` lists them without randomness (safe at collection
time, identical in every xdist worker); ``invalid_requests`` draws them with generated values.
"""

from __future__ import annotations

import copy
import json
import string
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis_jsonschema import from_schema
from jsonschema import Draft7Validator

from ecrconf.spec import schemas

__all__ = [
    "InvalidCase",
    "ObservedRule",
    "ValidCase",
    "boundary_cases",
    "effective_schema",
    "image_digests",
    "image_ids",
    "image_tags",
    "invalid_requests",
    "observed_rules",
    "registry_ids",
    "repository_names",
    "requests",
    "valid_boundary_requests",
]

OBSERVED = Path(__file__).resolve().parents[2] / "fixtures" / "constraints" / "observed.json"
RULE_EVIDENCE = ("observed", "inferred")


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


@dataclass(frozen=True)
class ObservedRule:
    """A constraint real ECR enforces at one member of one operation's input, beyond the model."""

    operation: str
    member: str  # dotted path; "[]" steps into list items
    kind: str
    schema: dict  # a JSON Schema fragment with one keyword
    evidence: str
    source: str
    violations: dict  # name -> a value that breaks this rule and nothing else

    @property
    def keyword(self) -> str:
        (keyword,) = self.schema
        return keyword

    @property
    def path(self) -> tuple:
        """The member as a path in which None stands for any list item."""
        steps: list = []
        for part in self.member.split("."):
            steps.append(part.split("[")[0])
            steps.extend([None] * part.count("[]"))
        return tuple(steps)

    def accepts(self, value: object) -> bool:
        return Draft7Validator(self.schema).is_valid(value)


@cache
def _all_rules() -> tuple[ObservedRule, ...]:
    rules = tuple(ObservedRule(**entry) for entry in json.loads(OBSERVED.read_text())["rules"])
    for rule in rules:
        if rule.operation not in schemas.operations():
            raise ValueError(f"{OBSERVED}: rule for {rule.operation!r}, which is not an ECR operation")
        if len(rule.schema) != 1 or rule.evidence not in RULE_EVIDENCE:
            raise ValueError(f"{OBSERVED}: rule {rule.operation} {rule.member} needs one schema keyword and an "
                             f"evidence level in {RULE_EVIDENCE}")
    return rules


def observed_rules(operation: str) -> list[ObservedRule]:
    """The observed rules that apply to operation's input, in file order."""
    return [rule for rule in _all_rules() if rule.operation == operation]


def effective_schema(operation: str) -> dict:
    """operation's input schema with its observed rules merged in at their members (a fresh copy)."""
    return copy.deepcopy(_effective_schema(operation))


@cache
def _effective_schema(operation: str) -> dict:
    """effective_schema, built once per operation: callers must not change it."""
    _check_operation(operation, ValueError)
    schema = copy.deepcopy(schemas.input_schema(operation))
    for rule in observed_rules(operation):
        try:
            target = _schema_at(schema, rule.path)
        except KeyError:
            raise ValueError(f"observed rule {operation} {rule.member}: the model has no such member") from None
        if rule.keyword in target:
            raise ValueError(f"observed rule {operation} {rule.member}: the model already sets {rule.keyword!r}")
        target.update(copy.deepcopy(rule.schema))
    return schema


@cache
def _validator(operation: str) -> Draft7Validator:
    return Draft7Validator(_effective_schema(operation))


# --- valid requests ------------------------------------------------------------------------------


def requests(operation: str, *, overrides: dict[str, st.SearchStrategy] | None = None) -> st.SearchStrategy[dict]:
    """Valid request bodies for operation: they satisfy its input schema and the observed rules.

    ``overrides`` maps top-level members to strategies for their values, for example
    ``requests("StartImageScan", overrides={"repositoryName": st.just(name)})``. An overridden member is
    always present, and a drawn value that makes the request invalid raises InvalidArgument.

    Examples shrink towards fewer optional members and shorter values.
    """

    def build() -> st.SearchStrategy[dict]:
        _check_operation(operation, InvalidArgument)
        chosen = dict(overrides or {})
        unknown = sorted(set(chosen) - set(_effective_schema(operation).get("properties", {})))
        if unknown:
            raise InvalidArgument(f"overrides names {unknown}, which {operation} does not have")
        for name, strategy in chosen.items():
            if not isinstance(strategy, st.SearchStrategy):
                raise InvalidArgument(f"overrides[{name!r}]={strategy!r} is not a strategy")
        return st.tuples(_unchosen(operation, frozenset(chosen)), st.fixed_dictionaries(chosen)).map(
            lambda pair: _checked(operation, {**pair[0], **pair[1]}))

    return st.deferred(build)


@cache
def _unchosen(operation: str, chosen: frozenset[str]) -> st.SearchStrategy[dict]:
    """The members of operation's requests that no override chose, from the effective schema.

    Built once per operation and set of overridden members: hypothesis-jsonschema's canonicalisation of
    a schema costs milliseconds, and a test that builds its strategy per example would pay it each time.
    """
    rest = copy.deepcopy(_effective_schema(operation))
    for name in chosen:
        del rest["properties"][name]
    rest["required"] = [name for name in rest.get("required", []) if name not in chosen]
    if not rest["required"]:
        del rest["required"]
    return from_schema(rest)


def _checked(operation: str, request: dict) -> dict:
    problems = [e.message for e in _validator(operation).iter_errors(request)]
    if problems:
        raise InvalidArgument(f"overrides made an invalid {operation} request {request!r}: {problems}")
    return request


_NAME_CHARACTERS = string.ascii_lowercase + string.digits
_NAME_SEPARATORS = "._-"
_NAME_RUN = 16  # characters in one run between separators, at most
_NAME_RUNS = 4  # runs in one path component, at most
_NAME_COMPONENTS = 3  # path components, at most: 3 * (4 * 16 + 3) + 2 = 203 characters, under the 256 allowed


@cache
def repository_names() -> st.SearchStrategy[str]:
    """Valid repository names, 2 to 203 characters: they satisfy the model's RepositoryName shape and the
    older, narrower pattern the published API page shows (schemas/spec-differences.json), since real ECR
    has quoted both.

    Built by construction rather than drawn from the pattern and filtered: up to three '/'-separated
    components, each of runs of ``[a-z0-9]`` joined by one of ``._-`` (what both patterns allow). At most
    203 characters, so that a name still fits under a prefix of 53. A one-character name gets a ``0``
    appended. Examples shrink towards ``00``.
    """
    run = st.text(alphabet=_NAME_CHARACTERS, min_size=1, max_size=_NAME_RUN)
    component = st.builds(lambda first, rest: first + "".join(rest), run,
                          st.lists(st.builds(str.__add__, st.sampled_from(_NAME_SEPARATORS), run),
                                   max_size=_NAME_RUNS - 1))
    return st.lists(component, min_size=1, max_size=_NAME_COMPONENTS).map(
        lambda parts: "/".join(parts).ljust(2, "0"))


@cache
def registry_ids() -> st.SearchStrategy[str]:
    """Valid registry ids: twelve digits (the model's RegistryId pattern), drawn as one integer."""
    return st.integers(0, 10**12 - 1).map(lambda n: f"{n:012d}")


@cache
def image_digests() -> st.SearchStrategy[str]:
    """Digests in the form ECR gives them, ``sha256:`` and 64 lowercase hex digits; they shrink towards zeroes.

    The model gives ImageDigest no pattern, so the schema cannot say this. Drawn as 32 bytes, one choice
    rather than 64.
    """
    return st.binary(min_size=32, max_size=32).map(lambda raw: f"sha256:{raw.hex()}")


@cache
def image_tags() -> st.SearchStrategy[str]:
    """Tags of 1 to 300 characters that every registry client accepts: ``[a-zA-Z0-9_][a-zA-Z0-9._-]*``.

    This is narrower than the rule ECR enforces (``[a-zA-Z0-9-_.]+``, see observed.json), so that a tag
    also works for pushes through the Docker registry API, where a tag may not start with '.' or '-'.
    """
    first = string.ascii_letters + string.digits + "_"
    return st.builds(str.__add__, st.sampled_from(first), st.text(alphabet=first + ".-", max_size=299))


@cache
def image_ids() -> st.SearchStrategy[dict]:
    """ImageIdentifier objects with a digest, a tag or both, each in the form every registry accepts.

    Narrower than the schema and its observed rules on purpose: a value meant to be valid can then
    never be one that a stricter, still conformant endpoint refuses. Built as one of the three shapes
    (no empty identifier to filter out); examples shrink towards a digest alone.
    """
    digest, tag = image_digests(), image_tags()
    return st.one_of(st.fixed_dictionaries({"imageDigest": digest}), st.fixed_dictionaries({"imageTag": tag}),
                     st.fixed_dictionaries({"imageDigest": digest, "imageTag": tag}))


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
            request = next((r for r in requests_ if _validator(operation).is_valid(r)), None)
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
    validator = _validator(operation) if breakage.evidence in RULE_EVIDENCE else schemas.validator("input", operation)
    errors = [(tuple(e.absolute_path), e.validator) for e in validator.iter_errors(request)]
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


def _check_operation(operation: str, error: type[Exception]) -> None:
    if operation not in schemas.operations():
        raise error(f"operation={operation!r} is not an ECR operation")


def _check_base(operation: str, base: dict, error: type[Exception]) -> None:
    _check_operation(operation, error)
    problems = [e.message for e in _validator(operation).iter_errors(base)]
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


def _schema_at(schema: dict, path: tuple) -> dict:
    for step in path:
        schema = schema["items"] if step is None or isinstance(step, int) else schema["properties"][step]
    return schema


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
