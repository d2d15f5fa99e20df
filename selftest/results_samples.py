"""Small results documents (ecrconf/report/results_schema.json) for the tests of the readers of results.json.

Written by hand after the suite's own tests, with every outcome present and text from the target in
the places where a real run puts it.
"""

from __future__ import annotations

import copy

from ecrconf.report.results_file import validate

SCAN = "StartImageScan"
FINDINGS = "DescribeImageScanFindings"
FRESH = ("A scan of a never-scanned image MUST start: HTTP 200 with the four documented elements, echoing the "
         "image.")
SECOND = "A second scan of the same image within 24 hours MUST fail with LimitExceededException."
INVALID = "A request that breaks one input constraint MUST be rejected with HTTP 400 and a validation error."
INDEX = "An OCI image index cannot be scanned: UnsupportedImageTypeException."
VISIBLE = "After a scan starts, DescribeImageScanFindings MUST know it and reach COMPLETE or FAILED."
FRAMING = ("Every answer MUST be framed as awsJson1_1: Content-Type, request id, typed error body, 400 for client "
           "errors.")
SIGV4 = "The target MUST check SigV4 signatures: a request signed with a wrong secret key is refused."

REQUEST = ('POST http://127.0.0.1:5000/ StartImageScan {"repositoryName": "ecrconf-1a2b3c-gw0-r1", '
           '"imageId": {"imageTag": "' + "a" * 301 + '"}}')
REPRODUCE = ("curl -sS -i -X POST --aws-sigv4 aws:amz:us-east-1:ecr "
             "--user \"$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY\" "
             "-H 'Content-Type: application/x-amz-json-1.1' -H 'X-Amz-Target: AmazonEC2ContainerRegistry_V20150921."
             "StartImageScan' --data-binary '{\"repositoryName\": \"ecrconf-1a2b3c-gw0-r1\"}' http://127.0.0.1:5000/")

RUN = {
    "endpoint": "http://127.0.0.1:5000",
    "embedded": False,
    "target": "moto-5.2.5",
    "target_version": "5.2.5",
    "region": "us-east-1",
    "suite_version": "0.1.0",
    "model": {"botocoreVersion": "1.44.5",
              "modelSha256": "9f2c4e1d7a3b5c6d8e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d"},
    "hypothesis": {"profile": "conformance", "seed": None},
    "evidence": "observed",
    "expectations": "expectations/moto-5.2.5.toml",
    "started": "2026-11-27T10:00:00Z",
    "finished": "2026-11-27T10:00:42Z",
    "requests": 311,
    "exit_status": 1,
}


def record(id_: str, outcome: str, requirement: str, *, operation: str = SCAN, area: str = "start_image_scan",
           evidence: str = "documented", **extra) -> dict:
    r = {"id": id_, "nodeid": f"suites/{area}/test_{area}.py::{id_.rsplit('/', 1)[-1]}", "operation": operation,
         "area": area, "requirement": requirement, "evidence": evidence, "outcome": outcome, "strict": True,
         "duration": 0.05}
    if outcome != "pass":
        r.setdefault("message", f"{outcome}: Received: HTTP 400\nExpected: HTTP 200")
    r.update(extra)
    return r


def _results() -> list[dict]:
    return [
        record("StartImageScan/start_image_scan/test_fresh_image_scan_starts[digest-oci]", "pass", FRESH),
        record("StartImageScan/start_image_scan/test_fresh_image_scan_starts[digest-docker]", "pass", FRESH),
        record("StartImageScan/start_image_scan/test_fresh_image_scan_starts[tag-oci]", "pass", FRESH),
        record("StartImageScan/start_image_scan/test_second_scan_is_limit_exceeded", "fail", SECOND,
               evidence="observed", source="docs/evidence/real-ecr-behaviour.md r12",
               message="expected LimitExceededException, got HTTP 200\nReceived: HTTP 200 {\"imageScanStatus\": "
                       "{\"status\": \"IN_PROGRESS\"}}\nExpected: HTTP 400 LimitExceededException",
               request=REQUEST, response='HTTP 200 (application/x-amz-json-1.1) {"imageScanStatus": {"status": '
                                         '"IN_PROGRESS"}}', reproduce=REPRODUCE),
        record("StartImageScan/start_image_scan/test_invalid_request_is_rejected[imageId.imageTag-too-long-301]",
               "expected-failure", INVALID,
               message="expected InvalidParameterException or ValidationException, got RepositoryNotFoundException",
               known_deviation="expected InvalidParameterException or ValidationException, got "
                               "RepositoryNotFoundException", request=REQUEST,
               response='HTTP 400 {"__type": "RepositoryNotFoundException"}', reproduce=REPRODUCE),
        record("StartImageScan/start_image_scan/test_invalid_request_is_rejected[repositoryName-too-short-1]",
               "pass", INVALID),
        record("StartImageScan/start_image_scan/test_invalid_request_is_rejected[repositoryName-pattern]",
               "unexpected-pass", INVALID,
               message="a known deviation no longer happens: expected RepositoryNotFoundException, got "
                       "InvalidParameterException; remove it from expectations/moto-5.2.5.toml"),
        record("StartImageScan/start_image_scan/test_image_index_is_unsupported_image_type", "advisory-fail", INDEX,
               evidence="inferred", strict=False,
               message="expected UnsupportedImageTypeException; Received: HTTP 200"),
        record("StartImageScan/start_image_scan/test_concurrent_scans_start_once", "error",
               "Of concurrent scans of one fresh image exactly one MUST start; the rest get LimitExceededException.",
               message="TargetUnresponsive: no response (ReadTimeout) after 30.00s", request=REQUEST,
               reproduce=REPRODUCE),
        record("DescribeImageScanFindings/start_image_scan/test_started_scan_is_visible_and_finishes", "unsupported",
               VISIBLE, operation=FINDINGS,
               message="unsupported: DescribeImageScanFindings: HTTP 400 InvalidAction: Unknown action",
               response='HTTP 400 {"__type": "InvalidAction", "message": "Unknown action: DescribeImageScanFindings"}'),
        record("StartImageScan/protocol/test_response_framing[unknown-operation]", "pass", FRAMING, area="protocol"),
        record("StartImageScan/protocol/test_response_framing[malformed-json]", "pass", FRAMING, area="protocol"),
        record("StartImageScan/protocol/test_target_enforces_sigv4", "skipped", SIGV4, area="protocol",
               message="disabled: deselected with -m 'not auth'"),
    ]


def sample_results(**run: object) -> dict:
    """A fresh, valid results document with every outcome; keyword arguments replace members of run."""
    document = {"format": "ecrconf-results/1", "run": {**copy.deepcopy(RUN), **run}, "results": _results()}
    return validate(document)


def find(document: dict, id_: str) -> dict:
    return next(r for r in document["results"] if r["id"] == id_)
