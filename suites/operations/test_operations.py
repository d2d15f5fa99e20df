"""Every operation of the model, held to its schemas and its table (fixtures/operations/<Operation>.toml).

The same families of checks for each operation, with no code of its own: a valid request on the run's
own resources succeeds, and its answer names the repositories and registry asked for, with repository
ARNs and URIs in ECR's forms, and carries what ECR always sends; each absent resource it names gets the not-found answer its table gives; each
request that breaks one input constraint is refused as invalid, both naming absent resources and naming
the run's own. An operation the target does not implement is reported as unsupported, per operation.
Every check makes what it needs for itself, so verdicts do not depend on order or on workers.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json

import pytest

from ecrconf import checks
from ecrconf.generate import boundaries
from ecrconf.spec import evidence, schemas
from ecrconf.wire import protocol
from ecrconf.checks import ConformanceFailure, identifiers
from ecrconf.generate import tables
from ecrconf.resources import prerequisites
from ecrconf.resources.world import World, offline

# These have suites of their own, in depth (suites/start_image_scan): their cases are not repeated here.
IN_DEPTH = frozenset({"StartImageScan"})
# Check ids are known at collection, before any target answers: the cases come from requests filled with
# values that name nothing (offline), whose shape is all that case ids depend on.
COLLECTION_WORLD = offline("ecrconf-collect", "123456789012", "us-east-1")
MODEL = "service model and API reference; fixtures/operations/{operation}.toml"
# Where the identifiers of an answer have their forms and echoes (ecrconf/checks/identifiers.py).
IDENTIFIERS = "ops R.1"
IDENTIFIER_MEMBERS = frozenset({"repositoryName", "registryId", "repositoryArn", "repositoryUri"})
# Breakages made from the value they break (a name with a character more): which exist depends on the
# run's own names, so they are sent for absent resources only, where the values are fixed.
VALUE_DEPENDENT = frozenset({"pattern", "not-base64"})


def hold_its_state(world: World, operation: str, request: dict) -> None:
    """Before a call of an operation that changes registry-wide state: hold that state (may skip)."""
    state = tables.table(operation).state
    if state is not None:
        world.hold(state, request)


@pytest.fixture(scope="module")
def registry(resources) -> str:
    """The run's own registry id, as the target reports it: invalid requests name it, never another's."""
    return resources.repository().registry_id


def _param(operation: str, case: str | None, level: str, source: str, *marks):
    return pytest.param(operation, case, id=operation if case is None else f"{operation}-{case}",
                        marks=[pytest.mark.operation(operation), pytest.mark.evidence(level, source), *marks])


def _success_params() -> list:
    return [_param(t.operation, None, "documented", MODEL.format(operation=t.operation)) for t in tables.tables()]


def _identifier_params() -> list:
    """The operations whose answers can carry a repository's or registry's identifiers (one level down)."""
    return [_param(t.operation, None, evidence.level_of(IDENTIFIERS), f"{IDENTIFIERS}; ecrconf/checks/identifiers.py")
            for t in tables.tables() if _identifier_members(schemas.output_schema(t.operation))]


def _identifier_members(schema: dict) -> set[str]:
    found = set(schema.get("properties", {})) & IDENTIFIER_MEMBERS
    for member in schema.get("properties", {}).values():
        inner = member.get("items", member)
        found |= set(inner.get("properties", {})) & IDENTIFIER_MEMBERS
    return found


def _always_params() -> list:
    return [_param(t.operation, None, evidence.level_of(t.always_evidence),
                   f"{t.always_evidence}; fixtures/operations/{t.operation}.toml")
            for t in tables.tables() if t.always]


def _not_found_params() -> list:
    return [_param(t.operation, case.id, evidence.level_of(case.evidence),
                   f"{case.evidence}; fixtures/operations/{t.operation}.toml")
            for t in tables.tables() for case in t.not_found]


@functools.cache
def _collected_cases(operation: str) -> list[boundaries.InvalidCase]:
    return _invalid_cases(operation, COLLECTION_WORLD)


def _invalid_params() -> list:
    return [_case_param(t.operation, case) for t in tables.tables() if t.operation not in IN_DEPTH
            for case in _collected_cases(t.operation)]


def _own_resource_params() -> list:
    params = []
    for t in tables.tables():
        seen = set()
        for case in _collected_cases(t.operation):
            # One breakage of each kind per member: each case makes resources of its own, so not all of
            # them (the absent-resource family sends every one).
            if case.kind not in VALUE_DEPENDENT and (case.broken, case.kind) not in seen:
                seen.add((case.broken, case.kind))
                params.append(_case_param(t.operation, case))
    return params


def _case_param(operation: str, case: boundaries.InvalidCase):
    """An invalid case's parameters: documented when it breaks the model, else its observed rule's level."""
    if case.evidence == "documented":
        return _param(operation, case.id, "documented",
                      "service model constraints; error type: real-ecr-behaviour.md section 3")
    return _param(operation, case.id, case.evidence, "fixtures/constraints/observed.json")


def _invalid_cases(operation: str, world) -> list[boundaries.InvalidCase]:
    """The single-constraint breakages of operation's table request, filled from world."""
    base = tables.fill(operation, tables.table(operation).request, world)
    return boundaries.boundary_cases(operation, base)


def _refused(resources, operation: str, invalid: boundaries.InvalidCase) -> str:
    """Send the invalid request and hold the answer to a refusal: a request that cannot even be read is a
    serialization error (or a validation one), the rest a validation error. Returns the error type seen.
    Whatever a target that accepted it created is removed before the answer is judged."""
    exchange = resources.call_undone(operation, invalid.request)
    unreadable = invalid.kind in ("wrong-type", "null", "not-base64")
    return checks.failed_with(exchange, checks.SERIALIZATION_ERRORS if unreadable else checks.VALIDATION_ERRORS)


def _offline_case(operation: str, case: str, prefix: str, registry: str, region: str) -> boundaries.InvalidCase:
    """The invalid case, its other values naming nothing under a prefix of its own: should a target
    wrongly act on it (create a repository of that name), no other case meets what it made."""
    digest = hashlib.sha256(f"{operation}/{case}".encode()).hexdigest()
    shared = _offline_cases(operation, f"{prefix}-shared", registry, region)[case]
    own = json.loads(json.dumps(shared.request).replace(f"{prefix}-shared", f"{prefix}-{digest[:6]}"))
    return _own_number(dataclasses.replace(shared, request=own), digest)


def _own_number(invalid: boundaries.InvalidCase, digest: str) -> boundaries.InvalidCase:
    """A number given for a member of another type, of its own: a target that reads it as text (12 as
    "12") and acts on that name meets nothing another case made under the same name."""
    if invalid.kind != "wrong-type" or not invalid.id.endswith("-number"):
        return invalid
    return dataclasses.replace(invalid, request=tables.replaced(invalid.request, invalid.broken, int(digest[:8], 16)))


@functools.cache
def _offline_cases(operation: str, prefix: str, registry: str, region: str) -> dict:
    return {case.id: case for case in _invalid_cases(operation, offline(prefix, registry, region))}


@pytest.mark.parametrize(("operation", "case"), _success_params())
def test_valid_request_succeeds(resources, world, operation, case):
    """A valid request on the run's own resources MUST succeed: HTTP 200 and a body valid against the output schema."""
    _, exchange = _valid_call(resources, world, operation)
    checks.succeeded(exchange)


@pytest.mark.parametrize(("operation", "case"), _identifier_params())
def test_answer_names_what_was_asked(client, resources, world, registry, operation, case):
    """A successful answer MUST name the repositories and registry the request asked for, and give a repository's ARN and URI in ECR's forms."""
    request, exchange = _valid_call(resources, world, operation)
    identifiers.names_what_was_asked(_answered(exchange), request, registry, client.region)


@pytest.mark.parametrize(("operation", "case"), _always_params())
def test_answer_carries_what_ecr_always_sends(resources, world, operation, case):
    """A successful answer MUST carry the members real ECR always sends, even empty (a batch operation's failures)."""
    table = tables.table(operation)
    _, exchange = _valid_call(resources, world, operation)
    missing = [member for member in table.always if member not in _answered(exchange).body]
    if missing:
        raise ConformanceFailure(f"{operation}: the answer leaves out {', '.join(missing)}",
                                 received=", ".join(sorted(exchange.body)) or "no members",
                                 expected=f"{', '.join(table.always)} present, even when empty", exchange=exchange)


def _valid_call(resources, world, operation: str):
    """The table's valid request of operation on the run's own resources, sent: (request, exchange). What it
    created of the whole registry is deleted at once (none of the run's repositories)."""
    table = tables.table(operation)
    with prerequisites(operation):
        world.establish(table.needs)
        request = tables.fill(operation, table.request, world)
        hold_its_state(world, operation, request)
    exchange = resources.call_undone(operation, request)
    return request, exchange


def _answered(exchange):
    """exchange, when it is a successful answer with a JSON object to judge further; a target that does not
    implement the operation is unsupported, and any other answer is not judged here (skipped): the success
    check judges it."""
    checks.responded(exchange)
    if exchange.status != 200 or not isinstance(exchange.body, dict):
        if protocol.not_implemented(exchange):
            raise checks.OperationUnsupported(exchange)
        pytest.skip(f"not judged: the valid request got no successful answer (HTTP {exchange.status}); "
                    "test_valid_request_succeeds judges that")
    return exchange


@pytest.mark.parametrize(("operation", "case"), _not_found_params())
def test_absent_resource_is_not_found(client, world, operation, case):
    """A request naming a resource that does not exist MUST get the not-found answer of that resource."""
    table = tables.table(operation)
    expected = next(c for c in table.not_found if c.id == case)
    with prerequisites(operation):
        world.establish(expected.needs)
        request = tables.fill(operation, table.absent(expected), world)
        hold_its_state(world, operation, request)
    exchange = client.call(operation, request)
    if expected.error is not None:
        checks.failed_with(exchange, {expected.error})
        return
    failures = checks.succeeded(exchange).get("failures") or []
    codes = [f.get("failureCode") for f in failures if isinstance(f, dict)]
    if expected.failure not in codes:
        raise ConformanceFailure("the absent item is not reported as a failure of that item",
                                 received=", ".join(map(str, codes)) or "no failures",
                                 expected=f"a failure with failureCode {expected.failure}", exchange=exchange)


@pytest.mark.parametrize(("operation", "case"), _invalid_params())
def test_invalid_request_is_rejected(client, world, resources, registry, operation, case, record_property):
    """A request that breaks one input constraint MUST be rejected with HTTP 400 and a validation error."""
    invalid = _offline_case(operation, case, resources.prefix, registry, client.region)
    with prerequisites(operation):
        hold_its_state(world, operation, invalid.request)
    record_property("error_type_seen", _refused(resources, operation, invalid))


@pytest.mark.parametrize(("operation", "case"), _own_resource_params())
def test_invalid_request_naming_own_resources_is_rejected(client, resources, world, operation, case, record_property):
    """A request that breaks one input constraint MUST be rejected as invalid also when it names the run's own resources."""
    table = tables.table(operation)
    with prerequisites(operation):
        world.establish(table.needs)
        base = tables.fill(operation, table.request, world)
        # Resources of this test alone: a target that wrongly acts on the request changes nothing another meets.
        invalid = {c.id: c for c in boundaries.boundary_cases(operation, base, only=case)}[case]  # value-free: there
        invalid = _own_number(invalid, hashlib.sha256(f"own/{operation}/{case}".encode()).hexdigest())
        hold_its_state(world, operation, invalid.request)
    record_property("error_type_seen", _refused(resources, operation, invalid))
