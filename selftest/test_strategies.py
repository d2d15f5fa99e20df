"""Valid strategies give valid requests; every invalid case breaks exactly the one member it names."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from jsonschema import Draft7Validator

from ecrconf.generate import boundaries, strategies
from ecrconf.spec import schemas
from ecrconf.generate.boundaries import InvalidCase

REPO = Path(__file__).resolve().parent.parent
FAST = settings(max_examples=25, deadline=None, database=None)

BASE = {
    "registryId": "123456789012",
    "repositoryName": "sample-repo",
    "imageId": {
        "imageDigest": "sha256:74b2c688c700ec95a93e478cdb959737c148df3fbf5ea706abe0318726e885e6",
        "imageTag": "latest",
    },
}
CASES = boundaries.boundary_cases("StartImageScan", BASE)
EDGES = boundaries.valid_boundary_requests("StartImageScan", BASE)


def effective(operation: str) -> Draft7Validator:
    return Draft7Validator(strategies.effective_schema(operation))


def steps(member: str) -> list:
    """'imageIds[0].imageDigest' -> ['imageIds', 0, 'imageDigest']"""
    return [int(s) if s.isdigit() else s for s in re.findall(r"[^.\[\]]+", member)]


def value_at(document, member: str):
    for step in steps(member):
        document = document[step]
    return document


GONE = object()


def replaced(document: dict, member: str, value=GONE) -> dict:
    """A copy of document with member set to value, or taken out (its parent kept)."""
    document = json.loads(json.dumps(document))
    *parents, last = steps(member)
    target = document
    for step in parents:
        target = target[step]
    if value is not GONE:
        target[last] = value
    elif isinstance(target, list) or last in target:
        target.pop(last)
    return document


def canonical(document) -> str:
    return json.dumps(document, sort_keys=True)


def assert_breaks_only_its_member(operation: str, base: dict, case: InvalidCase) -> None:
    documented = schemas.validator("input", operation)
    if case.evidence == "documented":
        judge = documented
    else:
        # An observed rule is beyond the model: the model accepts the request, the rule does not.
        assert documented.is_valid(case.request), case.id
        judge = effective(operation)
    errors = list(judge.iter_errors(case.request))
    assert len(errors) == 1, (case.id, [error.message for error in errors])
    at = steps(case.broken)[:-1] if case.kind == "missing" else steps(case.broken)
    assert list(errors[0].absolute_path) == at, case.id
    # Compared as JSON text, because in Python True == 1 and a wrong-type case would look unchanged.
    assert canonical(case.request) != canonical(base), case.id
    assert canonical(replaced(case.request, case.broken)) == canonical(replaced(base, case.broken)), case.id


# --- valid requests --------------------------------------------------------------------------------


@FAST
@given(strategies.requests("StartImageScan"))
def test_requests_satisfy_the_schema_and_the_observed_rules(request):
    assert schemas.violations("input", "StartImageScan", request) == []
    assert effective("StartImageScan").is_valid(request)


@FAST
@given(strategies.requests("StartImageScan", overrides={"repositoryName": strategies.repository_names(),
                                                        "registryId": st.just("000000000000")}))
def test_overridden_members_are_always_present(request):
    assert request["registryId"] == "000000000000"
    assert effective("StartImageScan").is_valid(request)


@pytest.mark.parametrize("kwargs, message", [
    ({"operation": "StartImageScans"}, "not an ECR operation"),
    ({"operation": "StartImageScan", "overrides": {"imageDigest": st.just("x")}}, "does not have"),
    ({"operation": "StartImageScan", "overrides": {"repositoryName": "sample-repo"}}, "is not a strategy"),
    ({"operation": "StartImageScan", "overrides": {"repositoryName": st.just("Sample")}}, "invalid"),
])
def test_requests_rejects_impossible_arguments(kwargs, message):
    @settings(max_examples=1, database=None, phases=[Phase.generate])
    @given(strategies.requests(**kwargs))
    def draw(_):
        pass

    with pytest.raises(InvalidArgument, match=message):
        draw()


MEMBER_STRATEGIES = {
    "repositoryName": strategies.repository_names(),
    "registryId": strategies.registry_ids(),
    "imageId.imageDigest": strategies.image_digests(),
    "imageId.imageTag": strategies.image_tags(),
}


@pytest.mark.parametrize("member", sorted(MEMBER_STRATEGIES))
@FAST
@given(data=st.data())
def test_hand_strategies_give_values_the_schema_and_the_rules_accept(member, data):
    value = data.draw(MEMBER_STRATEGIES[member])
    assert effective("StartImageScan").is_valid(replaced(BASE, member, value)), value


@FAST
@given(strategies.image_digests())
def test_image_digests_are_sha256_in_lowercase_hex(digest):
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", digest)


@FAST
@given(strategies.image_tags())
def test_image_tags_are_safe_for_every_client(tag):
    assert re.fullmatch(r"[a-zA-Z0-9_][a-zA-Z0-9._-]{0,299}", tag)


# --- boundary cases --------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_boundary_case_breaks_only_its_member(case):
    assert_breaks_only_its_member("StartImageScan", BASE, case)


AT_LIMITS = {"repositoryName": "r" * 256, "imageId": {"imageTag": "t" * 300}}


def test_boundary_cases_from_a_base_at_its_limits_still_break_one_constraint():
    cases = boundaries.boundary_cases("StartImageScan", AT_LIMITS)
    for case in cases:
        assert_breaks_only_its_member("StartImageScan", AT_LIMITS, case)
    ids = {case.id for case in cases}
    assert {"repositoryName-too-long-257", "repositoryName-pattern-uppercase", "imageId.imageTag-too-long-301"} <= ids
    # Inserting a character would also make the name too long.
    assert "repositoryName-pattern-illegal-character" not in ids


def test_boundary_case_ids_are_unique():
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))


def test_boundary_cases_cover_every_kind():
    assert {case.kind for case in CASES} == {
        "missing", "null", "wrong-type", "too-short", "too-long", "pattern",
        "empty-identifier", "malformed-digest", "malformed-tag",
    }
    # StartImageScan has no enum member; PutImageTagMutability has one.
    mutability = boundaries.boundary_cases(
        "PutImageTagMutability", {"repositoryName": "sample-repo", "imageTagMutability": "MUTABLE"})
    assert "imageTagMutability-enum" in [case.id for case in mutability]


def test_boundary_cases_include_the_named_ones():
    expected = {
        "imageId-missing", "repositoryName-missing", "imageId-null", "imageId-wrong-type-string",
        "repositoryName-wrong-type-number", "repositoryName-wrong-type-boolean",
        "repositoryName-wrong-type-object", "repositoryName-wrong-type-array",
        "repositoryName-too-short-1", "repositoryName-too-long-257",
        "imageId.imageTag-too-short-0", "imageId.imageTag-too-long-301",
        "repositoryName-pattern-uppercase", "repositoryName-pattern-illegal-character",
        "repositoryName-pattern-leading-separator", "repositoryName-pattern-doubled-separator",
        "repositoryName-pattern-empty-segment", "repositoryName-pattern-trailing-slash",
        "registryId-pattern-one-short", "registryId-pattern-one-long", "registryId-pattern-with-letter",
        "imageId-empty-identifier-no-digest-no-tag",
        *(f"imageId.imageDigest-malformed-digest-{name}"
          for name in ("no-colon", "no-hex", "bad-hex", "no-algorithm", "none-string", "empty")),
    }
    assert expected <= {case.id for case in CASES}
    lengths = {case.id: len(value_at(case.request, case.broken))
               for case in CASES if case.kind in ("too-short", "too-long")}
    assert lengths == {"repositoryName-too-short-1": 1, "repositoryName-too-long-257": 257,
                       "imageId.imageTag-too-short-0": 0, "imageId.imageTag-too-long-301": 301}


def test_observed_cases_carry_the_rules_evidence():
    rules = {(rule.member, rule.kind): rule.evidence for rule in strategies.observed_rules("StartImageScan")}
    for case in CASES:
        expected = rules.get((case.broken, case.kind), "documented")
        assert case.evidence == expected, case.id


def test_boundary_cases_are_the_same_in_another_process():
    def listing(cases):
        return [[c.id, c.kind, c.broken, c.evidence, c.request] for c in cases]

    script = (
        "import json, sys; from ecrconf.generate import boundaries\n"
        "cases = boundaries.boundary_cases('StartImageScan', json.loads(sys.argv[1]))\n"
        "print(json.dumps([[c.id, c.kind, c.broken, c.evidence, c.request] for c in cases]))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", script, json.dumps(BASE)], env=env, cwd=REPO,
                         capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == listing(CASES)
    assert listing(boundaries.boundary_cases("StartImageScan", BASE)) == listing(CASES)


@pytest.mark.parametrize("function", [boundaries.boundary_cases, boundaries.valid_boundary_requests])
def test_boundary_functions_refuse_an_invalid_base(function):
    with pytest.raises(ValueError, match="not a valid StartImageScan request"):
        function("StartImageScan", {"repositoryName": "sample-repo"})
    with pytest.raises(ValueError, match="not a valid StartImageScan request"):
        function("StartImageScan", {**BASE, "imageId": {"imageDigest": "None"}})
    with pytest.raises(ValueError, match="not an ECR operation"):
        function("NoSuchOperation", BASE)


# --- valid edges ---------------------------------------------------------------------------------


def test_valid_edges_are_the_length_bounds():
    lengths = {edge.id: len(value_at(edge.request, edge.member)) for edge in EDGES}
    assert lengths == {"repositoryName-length-2": 2, "repositoryName-length-256": 256,
                       "imageId.imageTag-length-1": 1, "imageId.imageTag-length-300": 300}


@pytest.mark.parametrize("edge", EDGES, ids=[edge.id for edge in EDGES])
def test_valid_edge_is_valid_and_changes_only_its_member(edge):
    assert effective("StartImageScan").is_valid(edge.request)
    assert canonical(replaced(edge.request, edge.member)) == canonical(replaced(BASE, edge.member))


# --- generated invalid requests ------------------------------------------------------------------


@FAST
@given(boundaries.invalid_requests("StartImageScan", BASE))
def test_invalid_request_breaks_only_its_member(case):
    assert_breaks_only_its_member("StartImageScan", BASE, case)


@pytest.mark.parametrize("kind", sorted({case.kind for case in CASES}))
def test_invalid_requests_reach_every_kind(kind):
    found = find(boundaries.invalid_requests("StartImageScan", BASE), lambda case: case.kind == kind,
                 settings=settings(database=None, max_examples=500))
    assert found.kind == kind


# --- other operations ----------------------------------------------------------------------------

OTHERS = ["DescribeImages", "PutImageTagMutability", "CreateRepository", "PutLifecyclePolicy", "ListImages"]


# No shrinking: each example checks a hundred cases, and shrinking a failure took minutes.
@pytest.mark.parametrize("operation", OTHERS)
@settings(max_examples=5, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow],
          phases=[Phase.explicit, Phase.generate])
@given(data=st.data())
def test_cases_from_any_valid_base_break_only_their_member(operation, data):
    base = data.draw(strategies.requests(operation), label="base")
    for case in boundaries.boundary_cases(operation, base):
        assert_breaks_only_its_member(operation, base, case)
    for edge in boundaries.valid_boundary_requests(operation, base):
        assert effective(operation).is_valid(edge.request)
    assert_breaks_only_its_member(operation, base, data.draw(boundaries.invalid_requests(operation, base)))


def test_list_items_are_broken_too():
    base = {"repositoryName": "sample-repo", "imageIds": [{"imageDigest": "sha256:" + "a" * 64}]}
    ids = {case.id for case in boundaries.boundary_cases("DescribeImages", base)}
    assert {"imageIds-too-short-0", "imageIds-too-long-101", "imageIds[0]-null",
            "imageIds[0].imageDigest-malformed-digest-empty", "imageIds[0].imageTag-too-short-0"} <= ids


def test_every_observed_rule_fits_the_model_and_its_violations_break_it():
    for operation in schemas.operation_names():
        strategies.effective_schema(operation)  # raises on a rule for a member the model lacks
        for rule in strategies.observed_rules(operation):
            assert rule.violations, rule
            for name, value in rule.violations.items():
                assert not rule.accepts(value), (operation, rule.member, name)


def test_boundary_cases_of_one_case_id_are_that_case_alone_built_alike():
    every = boundaries.boundary_cases("StartImageScan", BASE)
    for case in every:
        only = boundaries.boundary_cases("StartImageScan", BASE, only=case.id)
        assert case in only and all(c.id.startswith(f"{case.broken}-{case.kind}") for c in only), case.id
    assert boundaries.boundary_cases("StartImageScan", BASE, only="noSuchMember-missing") == []
