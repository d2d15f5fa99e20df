"""StartImageScan, held to its published page, the service model and what real ECR was seen to do.

Every scanned image is pushed fresh by the test: real ECR allows one scan per image per 24 hours.
"""

from __future__ import annotations

import functools
import json
import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecrconf import checks
from ecrconf.generate import boundaries, strategies
from ecrconf.resources import images
from ecrconf.spec import schemas
from ecrconf.wire import protocol

OPERATION = "StartImageScan"
pytestmark = pytest.mark.operation(OPERATION)

MEDIA_TYPES = {"oci": images.OCI_MANIFEST, "docker": images.DOCKER_MANIFEST}
ABSENT_DIGEST = "sha256:" + "0" * 64
# The base of every derived case. Its registryId stands in for the run's own, learned at run time.
PLACEHOLDER = {"registryId": "123456789012", "repositoryName": "placeholder",
               "imageId": {"imageDigest": ABSENT_DIGEST, "imageTag": "absent"}}
INVALID_CASES = {case.id: case for case in boundaries.boundary_cases(OPERATION, PLACEHOLDER)}
TERMINAL_STATUSES = {"COMPLETE", "FAILED"}


@pytest.fixture(scope="module")
def repository(resources):
    return resources.repository()


@pytest.fixture(scope="module")
def absent_repository_name(resources):
    """A valid name under the run's own prefix that no repository has: nothing outside the run is touched."""
    return f"{resources.prefix}-absent"


@pytest.fixture(scope="module")
def absent_base(repository, absent_repository_name):
    """PLACEHOLDER made real: the run's own registry, and a repository name that no repository has."""
    return {**PLACEHOLDER, "registryId": _registry_of(repository), "repositoryName": absent_repository_name}


def _registry_of(repository) -> str:
    # A target that reports a malformed registry id is caught elsewhere; the derived cases need a valid base.
    return repository.registry_id if re.fullmatch(r"[0-9]{12}", repository.registry_id) else PLACEHOLDER["registryId"]


def start_scan(client, pushed, *, by: str):
    image_id = {"digest": {"imageDigest": pushed.digest}, "tag": {"imageTag": pushed.tag}}[by]
    return client.call(OPERATION, {"repositoryName": pushed.repository.name, "imageId": image_id})


def assert_scan_started(exchange, pushed):
    body = checks.succeeded(exchange)
    missing = [m for m in ("registryId", "repositoryName", "imageId", "imageScanStatus") if m not in body]
    if missing:
        raise checks.ConformanceFailure("response lacks documented elements", received=", ".join(missing) + " missing",
                                        expected="registryId, repositoryName, imageId, imageScanStatus",
                                        exchange=exchange)
    echoed = {
        "registryId": (body["registryId"], pushed.repository.registry_id),
        "repositoryName": (body["repositoryName"], pushed.repository.name),
        "imageId.imageDigest": (body["imageId"].get("imageDigest"), pushed.digest),
    }
    if "imageTag" in body["imageId"] and pushed.tag is not None:
        echoed["imageId.imageTag"] = (body["imageId"]["imageTag"], pushed.tag)
    wrong = {k: v for k, v in echoed.items() if v[0] != v[1]}
    if wrong:
        raise checks.ConformanceFailure(
            "response does not describe the image that was asked for",
            received="; ".join(f"{k}={v[0]!r}" for k, v in wrong.items()),
            expected="; ".join(f"{k}={v[1]!r}" for k, v in wrong.items()), exchange=exchange)


@pytest.mark.evidence("documented", "API_StartImageScan: response syntax and example")
@pytest.mark.parametrize("media_type", sorted(MEDIA_TYPES))
@pytest.mark.parametrize("by", ["digest", "tag"])
def test_fresh_image_scan_starts(client, resources, repository, by, media_type):
    """A scan of a never-scanned image MUST start: HTTP 200 with the four documented elements, echoing the image."""
    pushed = resources.fresh_image(repository, tag="v1", media_type=MEDIA_TYPES[media_type])
    assert_scan_started(start_scan(client, pushed, by=by), pushed)


@pytest.mark.evidence("observed", "real-ecr-behaviour.md 4.4; API_StartImageScan: once per 24 hours")
def test_second_scan_is_limit_exceeded(client, resources, repository):
    """A second scan of the same image within 24 hours MUST fail with LimitExceededException."""
    pushed = resources.fresh_image(repository, tag="twice")
    checks.succeeded(start_scan(client, pushed, by="digest"))
    checks.failed_with(start_scan(client, pushed, by="tag"), {"LimitExceededException"})


@pytest.mark.evidence("observed", "API_StartImageScan: the limit includes the scan on push; real-ecr-behaviour.md 4.4")
def test_scan_after_scan_on_push_is_limit_exceeded(client, resources):
    """An image scanned on push MUST NOT be scannable again: LimitExceededException."""
    pushed = resources.fresh_image(resources.repository(scan_on_push=True), tag="pushed")
    checks.failed_with(start_scan(client, pushed, by="digest"), {"LimitExceededException"})


@pytest.mark.evidence("observed", "API_StartImageScan errors; real-ecr-behaviour.md 4.1")
@given(data=st.data())
def test_absent_repository_is_repository_not_found(client, repository, absent_repository_name, data):
    """Valid requests naming repositories that do not exist MUST give RepositoryNotFoundException."""
    request = data.draw(_absent_repository_requests(absent_repository_name, repository.registry_id), label="request")
    checks.failed_with(client.call(OPERATION, request), {"RepositoryNotFoundException"})


@functools.cache
def _absent_repository_requests(absent_repository_name: str, registry_id: str) -> st.SearchStrategy[dict]:
    """Valid requests for repositories under absent_repository_name, built once per run, not per example."""
    room = 256 - len(absent_repository_name) - 1
    names = strategies.repository_names().filter(lambda n: len(n) <= room)
    return strategies.requests(OPERATION, overrides={
        # Under the run's own prefix, so no repository outside the run can match; in our own registry,
        # since another account's id would be a permissions question, not this one.
        "repositoryName": names.map(lambda n: f"{absent_repository_name}/{n}"),
        "registryId": st.just(registry_id), "imageId": strategies.image_ids()})


@pytest.mark.evidence("observed", "API_StartImageScan errors; real-ecr-behaviour.md 4.2, 4.3")
@pytest.mark.parametrize("asked", ["tag", "digest", "tag-and-digest-of-different-images"])
def test_absent_image_is_image_not_found(client, resources, repository, asked):
    """An image that is not in the repository MUST give ImageNotFoundException."""
    if asked == "tag-and-digest-of-different-images":
        one = resources.fresh_image(repository, tag="one")
        other = resources.fresh_image(repository, tag="other")
        image_id = {"imageTag": one.tag, "imageDigest": other.digest}
    else:
        image_id = {"tag": {"imageTag": "never-pushed"}, "digest": {"imageDigest": ABSENT_DIGEST}}[asked]
    exchange = client.call(OPERATION, {"repositoryName": repository.name, "imageId": image_id})
    checks.failed_with(exchange, {"ImageNotFoundException"})


@pytest.mark.parametrize("kind", [
    pytest.param(images.OCI_INDEX, id="oci-image-index", marks=pytest.mark.evidence(
        "observed", "real-ecr-behaviour.md 4.5")),
    pytest.param(images.DOCKER_MANIFEST_LIST, id="docker-manifest-list", marks=pytest.mark.evidence(
        "inferred", "real-ecr-behaviour.md 4.6: by analogy with the OCI image index")),
])
def test_image_index_is_unsupported_image_type(client, resources, repository, kind):
    """A multi-platform index cannot be scanned: UnsupportedImageTypeException."""
    index = resources.index(repository, tag="multi", media_type=kind)
    checks.failed_with(start_scan(client, index, by="digest"), {"UnsupportedImageTypeException"})


@pytest.mark.evidence("observed", "API_StartImageScan and AWS CLI examples; real-ecr-behaviour.md 5.1, 5.5")
def test_started_basic_scan_is_in_progress(client, resources, repository):
    """A basic scan that has just started MUST say so: imageScanStatus.status IN_PROGRESS."""
    pushed = resources.fresh_image(repository, tag="started")
    exchange = start_scan(client, pushed, by="digest")
    status = checks.succeeded(exchange).get("imageScanStatus", {}).get("status")
    if status != "IN_PROGRESS":
        raise checks.ConformanceFailure("a scan that has just started is not IN_PROGRESS", received=repr(status),
                                        expected="'IN_PROGRESS'", exchange=exchange)


@pytest.mark.evidence("inferred", "real-ecr-behaviour.md 5.2: observed on DescribeImageScanFindings")
def test_scan_by_tag_echoes_the_tag(client, resources, repository):
    """Asked by tag, the answer's imageId MUST carry that tag as well as the digest."""
    pushed = resources.fresh_image(repository, tag="echoed")
    exchange = start_scan(client, pushed, by="tag")
    image_id = checks.succeeded(exchange).get("imageId", {})
    if image_id.get("imageTag") != pushed.tag or image_id.get("imageDigest") != pushed.digest:
        raise checks.ConformanceFailure("imageId does not echo the tag asked for, with the digest",
                                        received=json.dumps(image_id),
                                        expected=json.dumps({"imageDigest": pushed.digest, "imageTag": pushed.tag}),
                                        exchange=exchange)


def _invalid_case_expectation(case) -> frozenset[str]:
    return checks.SERIALIZATION_ERRORS if case.kind in ("wrong-type", "null") else checks.VALIDATION_ERRORS


def _invalid_case_params() -> list:
    params = []
    for case_id, case in sorted(INVALID_CASES.items()):
        if case.evidence == "documented":
            evidence = ("documented", "service model constraints; error type: real-ecr-behaviour.md section 3")
        else:
            evidence = (case.evidence, "fixtures/constraints/observed.json")
        params.append(pytest.param(case_id, marks=pytest.mark.evidence(*evidence), id=case_id))
    return params


def _invalid_case(case_id, base):
    return _cases_for(base["registryId"], base["repositoryName"])[case_id]


@functools.cache
def _cases_for(registry_id: str, repository_name: str) -> dict:
    """The boundary cases of one run's base request, derived once rather than once per case."""
    base = {**PLACEHOLDER, "registryId": registry_id, "repositoryName": repository_name}
    return {c.id: c for c in boundaries.boundary_cases(OPERATION, base)}


@pytest.mark.parametrize("case_id", _invalid_case_params())
def test_invalid_request_is_rejected(client, absent_base, case_id, record_property):
    """A request that breaks one input constraint MUST be rejected with HTTP 400 and a validation error."""
    case = _invalid_case(case_id, absent_base)
    seen = checks.failed_with(client.call(OPERATION, case.request), _invalid_case_expectation(case))
    record_property("error_type_seen", seen)


@pytest.mark.evidence("documented", "API_StartImageScan errors: ImageNotFoundException; awsJson1_1 error framing")
@pytest.mark.parametrize("case_id", sorted(i for i, c in INVALID_CASES.items() if c.evidence != "documented"))
def test_unmodelled_malformation_is_not_accepted(client, absent_base, case_id):
    """A value real ECR is believed to reject (beyond the model) MUST at least not start a scan or crash."""
    case = _invalid_case(case_id, absent_base)
    not_a_crash = set(schemas.modelled_errors(OPERATION)) - {"ServerException"}
    checks.failed_with(client.call(OPERATION, case.request), not_a_crash)


@pytest.mark.evidence("documented", "service model constraints (RepositoryName 2..256, ImageTag 1..300)")
@pytest.mark.parametrize("case_id", [c.id for c in boundaries.valid_boundary_requests(OPERATION, PLACEHOLDER)])
def test_boundary_values_are_accepted(client, repository, case_id):
    """Values at the edges of their constraints MUST be accepted as valid (a not-found error, never a validation one)."""
    base = {**PLACEHOLDER, "registryId": _registry_of(repository), "repositoryName": repository.name}
    case = {c.id: c for c in boundaries.valid_boundary_requests(OPERATION, base)}[case_id]
    # The digest in every request is all zeros, so no existing image can match: nothing is scanned.
    checks.failed_with(client.call(OPERATION, case.request), {"RepositoryNotFoundException", "ImageNotFoundException"})


@pytest.mark.evidence("documented", "service model constraints; error type: real-ecr-behaviour.md section 3")
@given(data=st.data())
def test_generated_invalid_requests_are_rejected(client, absent_base, data):
    """Generated requests that each break one constraint MUST all be rejected with a validation error."""
    # Breakages of rules beyond the model have their own, evidence-graded test above.
    case = data.draw(_documented_invalid_requests(json.dumps(absent_base, sort_keys=True)), label="case")
    checks.failed_with(client.call(OPERATION, case.request), _invalid_case_expectation(case))


@functools.cache
def _documented_invalid_requests(base: str) -> st.SearchStrategy:
    """Generated breakages of the model's constraints in the JSON-encoded base, built once per run."""
    return boundaries.invalid_requests(OPERATION, json.loads(base)).filter(lambda c: c.evidence == "documented")


@pytest.mark.evidence("observed", "real-ecr-behaviour.md 5.5; waiter ImageScanComplete in botocore waiters-2.json")
def test_started_scan_is_visible_and_finishes(client, resources, repository, scan_timeout):
    """After a scan starts, DescribeImageScanFindings MUST know it and reach COMPLETE or FAILED."""
    pushed = resources.fresh_image(repository, tag="watched")
    checks.succeeded(start_scan(client, pushed, by="digest"))
    deadline = time.monotonic() + scan_timeout
    query = {"repositoryName": repository.name, "imageId": {"imageDigest": pushed.digest}}
    while True:
        exchange = client.call("DescribeImageScanFindings", query)
        status = checks.succeeded(exchange).get("imageScanStatus", {}).get("status")
        if status in TERMINAL_STATUSES:
            return
        if time.monotonic() > deadline:
            raise checks.ConformanceFailure("scan never finished", received=f"status {status!r} after {scan_timeout}s",
                                            expected="COMPLETE or FAILED", exchange=exchange)
        time.sleep(min(5.0, scan_timeout / 20))


CONCURRENT_CALLS = 5


@pytest.mark.evidence("documented", "API_StartImageScan: a scan can only be started once per 24 hours on an image, "
                                    "however the calls are timed")
def test_concurrent_scans_start_once(client, resources, repository):
    """Of concurrent scans of one fresh image exactly one MUST start; the rest get LimitExceededException."""
    pushed = resources.fresh_image(repository, tag="race")
    with ThreadPoolExecutor(CONCURRENT_CALLS) as pool:
        exchanges = list(pool.map(lambda _: start_scan(client, pushed, by="digest"), range(CONCURRENT_CALLS)))
    for exchange in exchanges:
        checks.responded(exchange)
        if protocol.not_implemented(exchange):
            raise checks.OperationUnsupported(exchange)
    started = [e for e in exchanges if e.status == 200]
    if len(started) != 1:
        raise checks.ConformanceFailure(
            f"{len(started)} of {CONCURRENT_CALLS} concurrent scans started",
            received=", ".join(str(e.status) for e in exchanges), expected="exactly one HTTP 200",
            exchange=started[1] if len(started) > 1 else exchanges[0])
    for exchange in exchanges:
        if exchange is not started[0]:
            checks.failed_with(exchange, {"LimitExceededException"})
