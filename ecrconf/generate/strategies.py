"""Hypothesis strategies for valid ECR request bodies, and the rules real ECR enforces beyond the model.

Valid requests come from the committed input schemas through hypothesis-jsonschema, tightened by the
rules real ECR enforces beyond the model (``fixtures/constraints/observed.json``). A request narrower
than the model can never cause a false alarm; a wider one can. Requests at and across the schema's
boundaries (one constraint broken, or a member at its limit) are ``ecrconf.generate.boundaries``.
"""

from __future__ import annotations

import copy
import json
import string
from dataclasses import dataclass
from functools import cache

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis_jsonschema import from_schema
from jsonschema import Draft7Validator

from ecrconf import paths
from ecrconf.spec import schemas

__all__ = [
    "ObservedRule",
    "effective_schema",
    "image_digests",
    "image_ids",
    "image_tags",
    "observed_rules",
    "registry_ids",
    "repository_names",
    "requests",
    "check_operation",
    "validator",
]

OBSERVED = paths.data("fixtures", "constraints", "observed.json")
RULE_EVIDENCE = ("observed", "inferred")


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
    check_operation(operation, ValueError)
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
def validator(operation: str) -> Draft7Validator:
    """A validator of operation's effective schema (the model and the observed rules), built once."""
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
        check_operation(operation, InvalidArgument)
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
    problems = [e.message for e in validator(operation).iter_errors(request)]
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


# --- documents and paths -------------------------------------------------------------------------


def check_operation(operation: str, error: type[Exception]) -> None:
    """Raise error unless operation is one of the model's."""
    if operation not in schemas.operations():
        raise error(f"operation={operation!r} is not an ECR operation")


def _schema_at(schema: dict, path: tuple) -> dict:
    for step in path:
        schema = schema["items"] if step is None or isinstance(step, int) else schema["properties"][step]
    return schema
