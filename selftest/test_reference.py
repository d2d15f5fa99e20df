"""The reference ECR endpoint answers as real ECR does (docs/evidence/real-ecr-behaviour.md, rows r…)."""

import base64
import datetime
import hashlib
import json
import re
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from requests_aws4auth import AWS4Auth

from ecrconf.resources import images
from selftest.reference import REFERENCE_KEYS, REGION, Behaviour, KeyPair, ReferenceEcr
from selftest.reference.operations import HANDLERS

TARGET = "AmazonEC2ContainerRegistry_V20150921."
JSON_11 = "application/x-amz-json-1.1"
UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def signer(keys=REFERENCE_KEYS, region=REGION, service="ecr"):
    return AWS4Auth(keys.access_key, keys.secret_key, region, service, session_token=keys.token)


def send(url, operation, payload=None, *, body=None, auth="signed", headers=None, method="POST"):
    """One request as a client builds it; auth None sends it unsigned."""
    all_headers = {"Content-Type": JSON_11, "X-Amz-Target": TARGET + operation, **(headers or {})}
    data = json.dumps(payload if payload is not None else {}).encode() if body is None else body
    return requests.request(method, url, data=data, headers=all_headers, timeout=10,
                            auth=signer() if auth == "signed" else auth)


def error_of(response):
    return response.status_code, response.json().get("__type"), response.json().get("message")


@pytest.fixture(scope="module")
def url():
    with ReferenceEcr() as running:
        yield running


@pytest.fixture
def repository(url):
    name = f"ref-{uuid.uuid4().hex[:10]}"
    assert send(url, "CreateRepository", {"repositoryName": name}).status_code == 200
    return name


def push(url, repository, image, tag=None, headers=None):
    """The API-only push of research 6.12; returns PutImage's answer."""
    for digest, blob in image.blobs.items():
        upload = send(url, "InitiateLayerUpload", {"repositoryName": repository}, headers=headers).json()["uploadId"]
        send(url, "UploadLayerPart", {"repositoryName": repository, "uploadId": upload, "partFirstByte": 0,
                                      "partLastByte": len(blob) - 1, "layerPartBlob": base64.b64encode(blob).decode()},
             headers=headers)
        send(url, "CompleteLayerUpload", {"repositoryName": repository, "uploadId": upload, "layerDigests": [digest]},
             headers=headers)
    payload = {"repositoryName": repository, "imageManifest": image.manifest.decode()}
    if tag:
        payload["imageTag"] = tag
    return send(url, "PutImage", payload, headers=headers)


class Clock:
    """A server clock a test moves; requests are dated by it, or their signatures would expire."""

    def __init__(self):
        self.now = datetime.datetime.now(datetime.timezone.utc)

    def __call__(self):
        return self.now.timestamp()

    def advance(self, **delta):
        self.now += datetime.timedelta(**delta)

    def dated(self):
        return {"X-Amz-Date": self.now.strftime("%Y%m%dT%H%M%SZ")}


def fresh(url, repository, tag=None):
    image = images.unique_image(uuid.uuid4().hex)
    assert push(url, repository, image, tag).status_code == 200
    return image


def scan(url, repository, image_id):
    return send(url, "StartImageScan", {"repositoryName": repository, "imageId": image_id})


# --- the awsJson1_1 envelope and the order of checks (r2.10) ---------------------------------------


def test_every_answer_has_the_json_content_type_and_a_uuid_request_id(url):
    for response in (send(url, "DescribeRepositories"), send(url, "DescribeRepositories", auth=None)):
        assert response.headers["Content-Type"] == JSON_11
        assert UUID4.fullmatch(response.headers["x-amzn-RequestId"])
    assert send(url, "DescribeRepositories").headers["x-amzn-RequestId"] != \
        send(url, "DescribeRepositories").headers["x-amzn-RequestId"]


@pytest.mark.parametrize("body", [b"", b"{not json", b"[]", b'"text"', b"null", b'{"maxResults": NaN}'])
def test_a_body_that_is_not_a_json_object_is_a_serialization_exception_even_unsigned(url, body):
    for auth in ("signed", None):
        status, kind, _ = error_of(send(url, "DescribeRepositories", body=body, auth=auth))
        assert (status, kind) == (400, "SerializationException")


@pytest.mark.parametrize("target", [None, TARGET + "NoSuchThing", "Other.DescribeRepositories"])
def test_an_unknown_or_missing_target_is_unknown_operation_even_unsigned(url, target):
    headers = {"X-Amz-Target": target} if target else {}
    for auth in ("signed", None):
        request = requests.Request("POST", url, data=b"{}", headers={"Content-Type": JSON_11, **headers}).prepare()
        if auth:
            signer()(request)
        response = requests.Session().send(request, timeout=10)
        assert error_of(response)[:2] == (400, "UnknownOperationException")


def test_not_a_json_post_is_refused_before_anything_else(url):
    assert error_of(send(url, "DescribeRepositories", method="GET", auth=None))[:2] == (403, "AccessDeniedException")
    plain = send(url, "DescribeRepositories", headers={"Content-Type": "application/json"})
    assert error_of(plain)[:2] == (403, "AccessDeniedException")


def test_unknown_members_are_ignored_and_null_means_absent(url, repository):
    response = send(url, "DescribeRepositories", {"repositoryNames": [repository], "registryId": None, "x": 1})
    assert response.status_code == 200
    assert [r["repositoryName"] for r in response.json()["repositories"]] == [repository]


def test_a_bug_of_the_reference_is_a_server_exception_and_recorded(monkeypatch):
    def broken(context, request):
        raise RuntimeError("a bug")

    monkeypatch.setitem(HANDLERS, "DescribeRepositories", broken)
    server = ReferenceEcr()
    with server as url:
        assert error_of(send(url, "DescribeRepositories"))[:2] == (500, "ServerException")
    assert "RuntimeError: a bug" in server.pipeline.faults[0]


# --- SigV4 (r2.11 - r2.16) -------------------------------------------------------------------------


def test_unsigned_is_missing_authentication_token(url):
    assert error_of(send(url, "DescribeRepositories", auth=None)) == \
        (400, "MissingAuthenticationTokenException", "Missing Authentication Token")


def test_malformed_authorization_is_incomplete_signature(url):
    status, kind, message = error_of(send(url, "DescribeRepositories", auth=None, headers={"Authorization": "a"}))
    assert (status, kind) == (400, "IncompleteSignatureException")
    assert message == ("Authorization header requires 'Credential' parameter. Authorization header requires "
                       "'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. "
                       "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
                       "Authorization=a")


def test_unknown_access_key_is_unrecognized_client(url):
    stranger = KeyPair("AKIASTRANGER00000000", REFERENCE_KEYS.secret_key)
    assert error_of(send(url, "DescribeRepositories", auth=signer(stranger))) == \
        (400, "UnrecognizedClientException", "The security token included in the request is invalid.")


@pytest.mark.parametrize("auth", [signer(KeyPair(REFERENCE_KEYS.access_key, "wrong-secret")),
                                  signer(region="eu-west-1"), signer(service="s3")],
                         ids=["secret", "region", "service"])
def test_wrong_secret_region_or_service_is_invalid_signature(url, auth):
    assert error_of(send(url, "DescribeRepositories", auth=auth))[:2] == (400, "InvalidSignatureException")


def test_a_body_changed_after_signing_is_invalid_signature(url):
    request = requests.Request("POST", url, data=b'{"maxResults": 1}', headers={
        "Content-Type": JSON_11, "X-Amz-Target": TARGET + "DescribeRepositories"}).prepare()
    signer()(request)
    request.body = b'{"maxResults": 2}'
    request.headers["x-amz-content-sha256"] = hashlib.sha256(request.body).hexdigest()
    response = requests.Session().send(request, timeout=10)
    status, kind, message = error_of(response)
    assert (status, kind) == (400, "InvalidSignatureException")
    assert message.startswith("The request signature we calculated does not match the signature you provided.")


@pytest.mark.parametrize("minutes, outcome", [(-16, "Signature expired: "), (16, "Signature not yet current: "),
                                              (-14, None), (14, None)])
def test_the_clock_window_is_fifteen_minutes(url, minutes, outcome):
    when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=minutes)
    response = send(url, "DescribeRepositories", headers={"X-Amz-Date": when.strftime("%Y%m%dT%H%M%SZ")})
    if outcome is None:
        assert response.status_code == 200
    else:
        status, kind, message = error_of(response)
        assert (status, kind) == (400, "InvalidSignatureException") and message.startswith(outcome)
        assert message.endswith(" 15 min.)")


def test_a_session_token_is_required_when_the_server_has_one():
    keys = KeyPair("AKIATEMPORARY0000000", "temporary-secret", token="session-token")
    with ReferenceEcr(keys=keys) as url:
        assert send(url, "DescribeRepositories", auth=signer(keys)).status_code == 200
        without = KeyPair(keys.access_key, keys.secret_key)
        assert error_of(send(url, "DescribeRepositories", auth=signer(without)))[1] == "UnrecognizedClientException"


# --- input validation (r3) -------------------------------------------------------------------------


@pytest.mark.parametrize("payload, member, constraint", [
    ({"repositoryName": "a"}, "repositoryName", "must have length greater than or equal to 2"),
    ({"repositoryName": "a" * 257}, "repositoryName", "must have length less than or equal to 256"),
    ({"repositoryName": "Upper"}, "repositoryName", "must satisfy regular expression '[a-z0-9]+"),
    ({}, "repositoryName", "must not be null"),
    ({"repositoryName": None}, "repositoryName", "must not be null"),
    ({"repositoryName": "ok-name", "registryId": "12"}, "registryId", "must satisfy regular expression [0-9]{12}'"),
    ({"repositoryName": "ok-name", "imageTagMutability": "mutable"}, "imageTagMutability",
     "Member must satisfy enum value set: [MUTABLE, IMMUTABLE, IMMUTABLE_WITH_EXCLUSION, MUTABLE_WITH_EXCLUSION]'"),
])
def test_create_repository_constraints_are_invalid_parameter_with_ecr_text(url, payload, member, constraint):
    status, kind, message = error_of(send(url, "CreateRepository", payload))
    assert (status, kind) == (400, "InvalidParameterException")
    assert message.startswith(f"Invalid parameter at '{member}' failed to satisfy constraint: '{constraint}")


@pytest.mark.parametrize("image_id, member, constraint", [
    ({"imageDigest": "None"}, "imageDigest", "must satisfy regular expression '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+''"),
    ({"imageDigest": "sha256:abc\n"}, "imageDigest", "must satisfy regular expression '"),
    ({"imageTag": "x" * 301}, "imageTag", "must have length less than or equal to 300'"),
    ({}, "imageId", ""),
    (None, "imageId", "Member must not be null'"),
])
def test_start_image_scan_identifiers_are_checked_before_the_repository(url, image_id, member, constraint):
    payload = {"repositoryName": "no-such-repository", "imageId": image_id}
    status, kind, message = error_of(send(url, "StartImageScan", payload))
    assert (status, kind) == (400, "InvalidParameterException")
    assert message.startswith(f"Invalid parameter at '{member}' failed to satisfy constraint: '{constraint}")


def test_list_length_is_reported_at_the_list(url, repository):
    status, kind, message = error_of(send(url, "DescribeImages", {"repositoryName": repository, "imageIds": []}))
    assert message == "Invalid parameter at 'imageIds' failed to satisfy constraint: " \
                      "'Member must have length greater than or equal to 1'"


@pytest.mark.parametrize("payload, text", [
    ({"repositoryName": 5}, "can not be converted to an String"),
    ({"repositoryName": {}}, "Start of structure or map found where not expected."),
    ({"repositoryName": "ok-name", "force": "true"}, "can not be converted to an Boolean"),
    ({"repositoryName": ["ok-name"]}, "Start of list found where not expected"),
])
def test_a_wrong_json_type_is_a_serialization_exception(url, payload, text):
    status, kind, message = error_of(send(url, "DeleteRepository", payload))
    assert (status, kind) == (400, "SerializationException") and text in message


# --- StartImageScan and its set-up (r4, r5, r6) ----------------------------------------------------


def test_scan_by_tag_echoes_the_digest_and_a_second_scan_exceeds_the_quota(url, repository):
    image = fresh(url, repository, tag="v1")
    started = scan(url, repository, {"imageTag": "v1"})
    assert started.status_code == 200
    assert started.json()["imageId"] == {"imageDigest": image.digest, "imageTag": "v1"}
    assert started.json()["imageScanStatus"] == {"status": "IN_PROGRESS"}
    assert error_of(scan(url, repository, {"imageDigest": image.digest})) == \
        (400, "LimitExceededException", "The scan quota per image has been exceeded. Wait and try again.")


def test_scan_on_push_uses_the_days_scan(url):
    name = f"ref-{uuid.uuid4().hex[:10]}"
    send(url, "CreateRepository", {"repositoryName": name, "imageScanningConfiguration": {"scanOnPush": True}})
    image = fresh(url, name)
    assert error_of(scan(url, name, {"imageDigest": image.digest}))[1] == "LimitExceededException"


def test_concurrent_scans_of_one_image_start_exactly_one(url, repository):
    image = fresh(url, repository)
    with ThreadPoolExecutor(8) as pool:
        statuses = sorted(pool.map(lambda _: scan(url, repository, {"imageDigest": image.digest}).status_code,
                                   range(8)))
    assert statuses == [200] + [400] * 7


def test_the_quota_frees_after_24_hours():
    clock = Clock()
    with ReferenceEcr(clock=clock) as url:
        send(url, "CreateRepository", {"repositoryName": "daily"}, headers=clock.dated())
        image = images.unique_image(uuid.uuid4().hex)
        assert push(url, "daily", image, headers=clock.dated()).status_code == 200
        payload = {"repositoryName": "daily", "imageId": {"imageDigest": image.digest}}
        assert send(url, "StartImageScan", payload, headers=clock.dated()).status_code == 200
        clock.advance(hours=23, minutes=59)
        assert error_of(send(url, "StartImageScan", payload, headers=clock.dated()))[1] == "LimitExceededException"
        clock.advance(minutes=1)
        assert send(url, "StartImageScan", payload, headers=clock.dated()).status_code == 200


def test_index_is_unsupported_and_absent_images_are_not_found(url, repository):
    platforms = [images.unique_image(uuid.uuid4().hex, architecture=a) for a in ("amd64", "arm64")]
    for platform in platforms:
        push(url, repository, platform)
    index = images.image_index(platforms)
    assert push(url, repository, index, tag="multi").status_code == 200
    assert error_of(scan(url, repository, {"imageTag": "multi"})) == (
        400, "UnsupportedImageTypeException", "An artifact with media type 'application/vnd.oci.image.index.v1+json' "
        "cannot be scanned. For more information, see the Amazon ECR documentation.")
    assert error_of(scan(url, repository, {"imageTag": "latest"})) == (
        400, "ImageNotFoundException", f"The image with imageId {{imageDigest:'null', imageTag:'latest'}} does not "
        f"exist within the repository with name '{repository}' in the registry with id '123456789012'")
    mixed = {"imageDigest": platforms[0].digest, "imageTag": "multi"}
    assert error_of(scan(url, repository, mixed))[1] == "ImageNotFoundException"
    assert error_of(scan(url, "absent-repository", {"imageTag": "x"})) == (
        400, "RepositoryNotFoundException",
        "The repository with name 'absent-repository' does not exist in the registry with id '123456789012'")


def test_findings_are_not_found_then_in_progress_then_complete():
    clock = Clock()
    with ReferenceEcr(clock=clock) as url:
        send(url, "CreateRepository", {"repositoryName": "watched"}, headers=clock.dated())
        image = images.unique_image(uuid.uuid4().hex)
        push(url, "watched", image, headers=clock.dated())
        query = {"repositoryName": "watched", "imageId": {"imageDigest": image.digest}}

        def findings():
            return send(url, "DescribeImageScanFindings", query, headers=clock.dated())

        assert error_of(findings())[1] == "ScanNotFoundException"
        send(url, "StartImageScan", query, headers=clock.dated())
        assert findings().json()["imageScanStatus"] == {"status": "IN_PROGRESS"}
        assert "imageScanFindings" not in findings().json()
        clock.advance(seconds=Behaviour().scan_duration + 0.01)
        found = findings().json()
    assert found["imageScanStatus"] == {"status": "COMPLETE", "description": "The scan was completed successfully."}
    assert (found["imageScanFindings"]["findingSeverityCounts"], found["imageScanFindings"]["findings"]) == ({}, [])


def test_put_image_checks_digest_blobs_and_repeats(url, repository):
    image = images.unique_image(uuid.uuid4().hex)
    manifest = image.manifest.decode()
    missing = send(url, "PutImage", {"repositoryName": repository, "imageManifest": manifest})
    config_digest = json.loads(manifest)["config"]["digest"]
    assert error_of(missing)[1] == "LayersNotFoundException" and config_digest in error_of(missing)[2]
    assert push(url, repository, image, tag="one").json()["image"]["imageId"] == \
        {"imageDigest": image.digest, "imageTag": "one"}
    again = send(url, "PutImage", {"repositoryName": repository, "imageManifest": manifest, "imageTag": "one"})
    assert error_of(again)[1] == "ImageAlreadyExistsException"
    wrong = send(url, "PutImage", {"repositoryName": repository, "imageManifest": manifest + " ",
                                   "imageDigest": image.digest})
    assert error_of(wrong)[1] == "ImageDigestDoesNotMatchException"


def test_a_mutable_tag_moves_to_the_newer_image(url, repository):
    first = fresh(url, repository, tag="moving")
    second = fresh(url, repository, tag="moving")
    details = send(url, "DescribeImages", {"repositoryName": repository}).json()["imageDetails"]
    tags = {d["imageDigest"]: d.get("imageTags", []) for d in details}
    assert tags == {first.digest: [], second.digest: ["moving"]}


def test_layer_upload_refuses_wrong_digest_and_empty_upload(url, repository):
    upload = send(url, "InitiateLayerUpload", {"repositoryName": repository}).json()["uploadId"]
    complete = {"repositoryName": repository, "uploadId": upload, "layerDigests": ["sha256:" + "0" * 64]}
    assert error_of(send(url, "CompleteLayerUpload", complete))[1] == "EmptyUploadException"
    send(url, "UploadLayerPart", {"repositoryName": repository, "uploadId": upload, "partFirstByte": 0,
                                  "partLastByte": 2, "layerPartBlob": base64.b64encode(b"abc").decode()})
    assert error_of(send(url, "CompleteLayerUpload", complete))[1] == "InvalidLayerException"


def test_a_non_empty_repository_needs_force_to_be_deleted(url, repository):
    fresh(url, repository)
    assert error_of(send(url, "DeleteRepository", {"repositoryName": repository}))[1] == "RepositoryNotEmptyException"
    assert send(url, "DeleteRepository", {"repositoryName": repository, "force": True}).status_code == 200
    assert error_of(send(url, "DescribeRepositories", {"repositoryNames": [repository]}))[1] == \
        "RepositoryNotFoundException"


# --- Behaviour knobs -------------------------------------------------------------------------------


@pytest.mark.parametrize("behaviour, type_, key", [
    (Behaviour(error_type_style="namespaced"), "com.amazonaws.ecr#RepositoryNotFoundException", "message"),
    (Behaviour(error_type_style="suffixed", message_key="Message"),
     "RepositoryNotFoundException:http://internal.amazon.com/coral/com.amazon.coral.service/", "Message"),
])
def test_error_spelling_knobs(behaviour, type_, key):
    with ReferenceEcr(behaviour) as url:
        body = send(url, "DescribeRepositories", {"repositoryNames": ["absent"]}).json()
    assert body["__type"] == type_ and key in body


def test_envelope_knobs():
    behaviour = Behaviour(error_type_header=True, extra_members={"unmodelled": 1}, json_indent=2,
                          json_sort_keys=True, request_id_style="absent", scan_description="Scanning.")
    with ReferenceEcr(behaviour) as url:
        failed = send(url, "DescribeRepositories", {"repositoryNames": ["absent"]})
        name = f"ref-{uuid.uuid4().hex[:10]}"
        send(url, "CreateRepository", {"repositoryName": name})
        image = fresh(url, name)
        started = scan(url, name, {"imageDigest": image.digest})
    assert failed.headers["X-Amzn-ErrorType"] == "RepositoryNotFoundException"
    assert "x-amzn-RequestId" not in failed.headers
    assert failed.json()["unmodelled"] == 1 and failed.text.startswith('{\n  "__type"')
    assert started.json()["imageScanStatus"] == {"status": "IN_PROGRESS", "description": "Scanning."}


def test_behaviour_refuses_unknown_knob_values():
    with pytest.raises(ValueError, match="error_type_style"):
        Behaviour(error_type_style="shouting")
