"""Each check fails on a crafted bad exchange and passes on good ones, protocol-allowed variants included."""

from __future__ import annotations

import json

import pytest

from ecrconf import checks
from ecrconf.wire import protocol
from ecrconf.wire.exchange import Exchange, Request, Response

DIGEST = "sha256:" + "a" * 64
GOOD_SCAN = {"registryId": "123456789012", "repositoryName": "repo", "imageId": {"imageDigest": DIGEST},
             "imageScanStatus": {"status": "IN_PROGRESS"}}
JSON11 = {"content-type": protocol.CONTENT_TYPE, "x-amzn-requestid": "e89c68bb-47d8-4769-aece-43e4714c9596"}


def exchange(status=200, body: object = GOOD_SCAN, *, headers=None, raw: bytes | None = None,
             operation="StartImageScan") -> Exchange:
    payload = raw if raw is not None else json.dumps(body).encode()
    request = Request("POST", "http://127.0.0.1:1/", {"X-Amz-Target": protocol.target_header(operation)}, b"{}")
    return Exchange(operation, request, Response(status, {**JSON11, **(headers or {})}, payload), 0.01)


def unanswered() -> Exchange:
    request = Request("POST", "http://127.0.0.1:1/", {}, b"{}")
    return Exchange("StartImageScan", request, None, 30.0, "timed out (connect 5s, read 30s)")


def error(name="LimitExceededException", status=400, **extra) -> Exchange:
    return exchange(status, {"__type": name, "message": "m", **extra})


# --- succeeded ----------------------------------------------------------------------------------

def test_succeeded_accepts_a_documented_response():
    assert checks.succeeded(exchange()) == GOOD_SCAN


@pytest.mark.parametrize("variant", [
    pytest.param({**GOOD_SCAN, "imageScanStatus": {"status": "IN_PROGRESS", "description": "Pending."}},
                 id="description-in-status"),
    pytest.param({**GOOD_SCAN, "somethingNew": {"x": 1}}, id="unknown-member"),
    pytest.param({**GOOD_SCAN, "imageId": {"imageDigest": DIGEST, "imageTag": "v1"}}, id="tag-echoed-too"),
    pytest.param(dict(reversed(list(GOOD_SCAN.items()))), id="other-key-order"),
])
def test_succeeded_accepts_variants_the_protocol_allows(variant):
    checks.succeeded(exchange(body=variant))


def test_succeeded_accepts_content_type_parameters():
    checks.succeeded(exchange(headers={"content-type": "application/x-amz-json-1.1; charset=utf-8"}))


@pytest.mark.parametrize("bad, title", [
    (exchange(status=400, body={"__type": "ServerException"}), "did not succeed"),
    (exchange(status=201), "did not succeed"),
    (exchange(headers={"content-type": "application/json"}), "Content-Type"),
    (exchange(headers={"content-type": "text/html"}, raw=b"<html>ok</html>"), "Content-Type"),
    (exchange(raw=b"not json"), "output schema"),
    (exchange(body=[GOOD_SCAN]), "output schema"),
    (exchange(body={**GOOD_SCAN, "imageScanStatus": {"status": "DONE"}}), "output schema"),
    (exchange(body={**GOOD_SCAN, "registryId": "12345"}), "output schema"),
    (exchange(body={**GOOD_SCAN, "repositoryName": "Upper/Case"}), "output schema"),
    (exchange(body={**GOOD_SCAN, "imageId": "sha256:x"}), "output schema"),
], ids=["error", "201", "json-content-type", "html", "not-json", "array", "status-not-in-enum",
        "registry-id-11-digits", "repository-name-pattern", "image-id-not-object"])
def test_succeeded_rejects(bad, title):
    with pytest.raises(checks.ConformanceFailure, match=title):
        checks.succeeded(bad)


def test_no_response_is_not_a_conformance_failure():
    with pytest.raises(checks.TargetUnresponsive, match="timed out"):
        checks.succeeded(unanswered())
    with pytest.raises(checks.TargetUnresponsive):
        checks.failed_with(unanswered(), {"LimitExceededException"})


# --- failed_with / well_formed_error -------------------------------------------------------------

@pytest.mark.parametrize("variant", [
    pytest.param(error(), id="plain"),
    pytest.param(error("com.amazonaws.ecr#LimitExceededException"), id="namespaced"),
    pytest.param(error("LimitExceededException:http://internal.amazon.com/coral/com.amazon.coral.service/"),
                 id="suffixed"),
    pytest.param(exchange(400, {"__type": "LimitExceededException", "Message": "m"}), id="capital-message"),
    pytest.param(exchange(400, {"__type": "LimitExceededException"}), id="no-message"),
    pytest.param(error(extra={"a": 1}), id="extra-members"),
    pytest.param(exchange(400, {"message": "m"}, headers={"x-amzn-errortype": "LimitExceededException"}),
                 id="type-only-in-header"),
    pytest.param(exchange(400, {"__type": "LimitExceededException"},
                          headers={"x-amzn-errortype": "LimitExceededException:http://internal.amazon.com/"}),
                 id="type-in-both"),
    pytest.param(exchange(400, raw=b'{ "message" : "m",\n  "__type" : "LimitExceededException" }'),
                 id="whitespace-and-order"),
])
def test_failed_with_accepts_error_variants(variant):
    assert checks.failed_with(variant, {"LimitExceededException"}) == "LimitExceededException"


@pytest.mark.parametrize("bad, title", [
    (exchange(), "expected LimitExceededException"),
    (error("ImageNotFoundException"), "got ImageNotFoundException"),
    (error(status=500), "wrong HTTP status"),
    (error(status=403), "wrong HTTP status"),
    (error("ServerException", status=400), "wrong HTTP status"),
    (error("MadeUpException"), "neither modelled"),
    (exchange(400, {"message": "no type"}), "names no error type"),
    (exchange(400, raw=b"<html>Bad Request</html>", headers={"content-type": "text/html"}), "not a JSON object"),
    (exchange(400, raw=b""), "not a JSON object"),
], ids=["success", "other-type", "500", "403", "server-exception-400", "unknown-type", "no-type", "html", "empty"])
def test_failed_with_rejects(bad, title):
    with pytest.raises(checks.ConformanceFailure, match=title):
        checks.failed_with(bad, {"LimitExceededException"})


def test_server_exception_must_be_5xx_and_common_errors_use_their_statuses():
    assert checks.well_formed_error(error("ServerException", status=500)) == "ServerException"
    assert checks.well_formed_error(error("AccessDeniedException", status=403)) == "AccessDeniedException"
    assert checks.well_formed_error(error("ThrottlingException", status=400)) == "ThrottlingException"
    with pytest.raises(checks.ConformanceFailure):
        checks.well_formed_error(error("ThrottlingException", status=500))


def test_failure_message_carries_the_exchange_and_a_redacted_reproduction():
    secret = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE123/20260101/us-east-1/ecr/aws4_request, " \
             "SignedHeaders=host;x-amz-date, Signature=" + "f" * 64
    signed = Exchange("StartImageScan",
                      Request("POST", "http://127.0.0.1:1/", {"Authorization": secret,
                                                              "X-Amz-Security-Token": "TOKEN-SECRET"}, b"{}"),
                      Response(200, JSON11, json.dumps(GOOD_SCAN).encode()), 0.01)
    with pytest.raises(checks.ConformanceFailure) as failure:
        checks.failed_with(signed, {"LimitExceededException"})
    text = str(failure.value)
    assert "Received: HTTP 200" in text and "Expected: LimitExceededException" in text
    assert "curl" in text and "--aws-sigv4" in text and "$AWS_SECRET_ACCESS_KEY" in text
    assert "f" * 64 not in text and "TOKEN-SECRET" not in text and "AKIDEXAMPLE123" not in text


def test_require_passes_what_holds_and_fails_what_does_not_with_its_title_and_exchange():
    checks.require(True, "never raised", received="x", expected="x", exchange=exchange())
    with pytest.raises(checks.ConformanceFailure) as failure:
        checks.require(False, "the tags do not read back", received="[]", expected="a=1", exchange=exchange())
    assert failure.value.title == "the tags do not read back" and failure.value.exchange is not None
    assert "Received: []" in str(failure.value) and "Expected: a=1" in str(failure.value)
