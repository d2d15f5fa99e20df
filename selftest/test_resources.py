"""Resources against an in-process moto server; answers are rewritten where moto cannot fail on cue."""

import dataclasses
import json
import logging
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from moto.server import ThreadedMotoServer

from ecrconf.resources import images
from ecrconf.wire import protocol
from ecrconf.wire.client import Credentials, EcrClient
from ecrconf.wire.exchange import Response
from ecrconf.resources import OperationNotImplemented, Repository, Resources, SetupFailed


@pytest.fixture(scope="module")
def client():
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield EcrClient(f"http://{host}:{port}", "us-east-1", Credentials("testing", "testing"))
    server.stop()


class Recorder:
    """Passes calls on, records their operations, and lets a test rewrite the answers."""

    def __init__(self, client, rewrite=None):
        self.client = client
        self.rewrite = rewrite or {}
        self.operations = []
        self._lock = threading.Lock()

    def call(self, operation, payload=None):
        with self._lock:
            self.operations.append(operation)
        exchange = self.client.call(operation, payload)
        return self.rewrite[operation](exchange) if operation in self.rewrite else exchange


def answer(status, body):
    """A rewrite that replaces the target's answer with this one."""
    response = Response(status, {"content-type": protocol.CONTENT_TYPE}, json.dumps(body).encode())
    return lambda exchange: dataclasses.replace(exchange, response=response)


@pytest.fixture
def prefix():
    return f"selftest-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def recorder(client):
    return Recorder(client)


@pytest.fixture
def resources(recorder, prefix):
    made = Resources(recorder, prefix)
    yield made
    assert made.cleanup() == []


def describe_repository(client, name):
    return client.call("DescribeRepositories", {"repositoryNames": [name]}).body["repositories"][0]


def repository_names(client, prefix):
    found = client.call("DescribeRepositories", {}).body["repositories"]
    return {r["repositoryName"] for r in found if r["repositoryName"].startswith(prefix)}


def image_details(client, repository, image_id):
    exchange = client.call("DescribeImages", {"repositoryName": repository.name, "imageIds": [image_id]})
    assert exchange.status == 200, exchange.describe()
    (details,) = exchange.body["imageDetails"]
    return details


def test_repository_carries_the_registry_id_and_uri_the_target_reports(client, resources, prefix):
    repository = resources.repository()
    described = describe_repository(client, repository.name)
    assert repository.name.startswith(prefix)
    assert repository.registry_id == described["registryId"]
    assert repository.uri == described["repositoryUri"]


@pytest.mark.parametrize("scan_on_push", [True, False])
def test_scan_on_push_is_set_as_asked(client, resources, scan_on_push):
    repository = resources.repository(scan_on_push=scan_on_push)
    assert describe_repository(client, repository.name)["imageScanningConfiguration"] == {"scanOnPush": scan_on_push}


@pytest.mark.parametrize("media_type", [images.OCI_MANIFEST, images.DOCKER_MANIFEST])
def test_pushed_image_is_stored_with_its_digest_tag_and_exact_manifest(client, resources, media_type):
    pushed = resources.fresh_image(tag="v1", media_type=media_type)
    details = image_details(client, pushed.repository, {"imageDigest": pushed.digest})
    assert (details["imageDigest"], details["imageTags"]) == (pushed.image.digest, ["v1"])
    assert details["imageManifestMediaType"] == media_type
    got = client.call("BatchGetImage", {"repositoryName": pushed.repository.name, "imageIds": [{"imageTag": "v1"}]})
    assert got.body["images"][0]["imageManifest"] == pushed.image.manifest.decode()


def test_every_blob_was_uploaded(client, resources):
    pushed = resources.fresh_image()
    checked = client.call("BatchCheckLayerAvailability", {
        "repositoryName": pushed.repository.name, "layerDigests": list(pushed.image.blobs)})
    assert checked.body["failures"] == []
    assert {(layer["layerDigest"], layer["layerAvailability"], layer["layerSize"]) for layer in checked.body["layers"]} \
        == {(digest, "AVAILABLE", len(blob)) for digest, blob in pushed.image.blobs.items()}


def test_blobs_already_available_are_not_uploaded_again(resources, recorder):
    first = resources.fresh_image(tag="first")
    recorder.operations.clear()
    again = resources.push(first.repository, first.image, tag="second")
    assert recorder.operations == ["BatchCheckLayerAvailability", "PutImage"]
    assert again.digest == first.digest


def test_index_is_stored_by_tag_with_its_platform_images_by_digest(client, resources):
    repository = resources.repository()
    pushed = resources.index(repository, tag="multi")
    details = image_details(client, repository, {"imageTag": "multi"})
    assert (details["imageDigest"], details["imageManifestMediaType"]) == (pushed.digest, images.OCI_INDEX)
    members = json.loads(pushed.image.manifest)["manifests"]
    assert {m["platform"]["architecture"] for m in members} == {"amd64", "arm64"}
    for member in members:
        stored = image_details(client, repository, {"imageDigest": member["digest"]})
        assert "imageTags" not in stored


def test_concurrent_calls_make_distinct_repositories_and_images(resources):
    with ThreadPoolExecutor(4) as pool:
        pushed = list(pool.map(lambda _: resources.fresh_image(), range(8)))
    assert len({p.repository.name for p in pushed}) == len({p.digest for p in pushed}) == 8


def test_cleanup_deletes_exactly_what_it_created(client, prefix):
    outside = f"{prefix}-outside"
    assert client.call("CreateRepository", {"repositoryName": outside}).status == 200
    recorder = Recorder(client)
    made = Resources(recorder, prefix)
    made.repository()
    made.fresh_image(made.repository())  # not empty: needs force
    assert repository_names(client, prefix) == {outside, f"{prefix}-1", f"{prefix}-2"}

    assert made.cleanup() == []
    assert repository_names(client, prefix) == {outside}
    recorder.operations.clear()
    assert made.cleanup() == []
    assert recorder.operations == []
    client.call("DeleteRepository", {"repositoryName": outside})


def test_a_name_the_target_refuses_is_never_deleted(client, prefix):
    taken = f"{prefix}-1"  # the name Resources will try first
    assert client.call("CreateRepository", {"repositoryName": taken}).status == 200
    made = Resources(client, prefix)
    with pytest.raises(SetupFailed, match="RepositoryAlreadyExistsException"):
        made.repository()
    assert made.cleanup() == []
    assert repository_names(client, prefix) == {taken}
    client.call("DeleteRepository", {"repositoryName": taken})


def test_cleanup_reports_a_failure_in_one_line_and_tries_again_later(client, prefix):
    def broken(exchange):
        raise RuntimeError("boom")

    recorder = Recorder(client, {"DeleteRepository": broken})
    made = Resources(recorder, prefix)
    repository = made.repository()
    (problem,) = made.cleanup()
    assert repository.name in problem and "boom" in problem and "\n" not in problem
    recorder.rewrite.clear()
    assert made.cleanup() == []  # already gone on moto: RepositoryNotFound counts as deleted
    assert repository_names(client, prefix) == set()


@pytest.mark.parametrize("image", [images.unique_image("ghost"), images.image_index([images.unique_image("g")])],
                         ids=["blobs first", "manifest only"])
def test_push_into_a_missing_repository_is_a_setup_failure(resources, prefix, image):
    ghost = Repository(f"{prefix}-ghost", "123456789012", f"123456789012.dkr.ecr.us-east-1.amazonaws.com/{prefix}-ghost")
    with pytest.raises(SetupFailed) as raised:
        resources.push(ghost, image)
    assert not isinstance(raised.value, AssertionError)
    first_line, rest = str(raised.value).split("\n", 1)
    expected = "BatchCheckLayerAvailability" if image.blobs else "PutImage"
    assert first_line.startswith(f"{expected} failed during setup: HTTP ")
    assert rest.startswith("sent: POST")


def test_a_wrong_digest_from_put_image_is_a_setup_failure(recorder, resources):
    recorder.rewrite["PutImage"] = answer(200, {"image": {"imageId": {"imageDigest": "sha256:" + "0" * 64}}})
    with pytest.raises(SetupFailed, match="^PutImage answered digest 'sha256:0+', expected sha256:"):
        resources.fresh_image()


def test_layer_already_exists_on_complete_is_accepted(recorder, resources):
    recorder.rewrite["CompleteLayerUpload"] = answer(400, {"__type": "LayerAlreadyExistsException", "message": "x"})
    assert resources.fresh_image().digest


@pytest.mark.parametrize("status, body", [
    (501, {"message": "not included in your current license plan"}),
    (400, {"__type": "InvalidAction", "message": "Unknown action"}),
    (400, {"__type": "com.amazon.coral.service#UnknownOperationException"}),
])
def test_a_target_without_layer_upload_is_named_as_such(recorder, resources, status, body, monkeypatch):
    # The recorder passes each call on to moto, which carries it out: the target here never did.
    monkeypatch.setattr(protocol, "_carried_out", set())
    monkeypatch.setattr(protocol, "note_answer", lambda exchange: None)
    recorder.rewrite["InitiateLayerUpload"] = answer(status, body)
    with pytest.raises(OperationNotImplemented, match="^InitiateLayerUpload: the target does not implement it") as raised:
        resources.fresh_image()
    assert raised.value.operation == "InitiateLayerUpload"


def test_an_operation_carried_out_cannot_turn_unsupported(recorder, resources, monkeypatch):
    monkeypatch.setattr(protocol, "_carried_out", set())
    resources.fresh_image()  # InitiateLayerUpload carried out
    recorder.rewrite["InitiateLayerUpload"] = answer(501, {"message": "a gateway's 501"})
    with pytest.raises(SetupFailed, match="InitiateLayerUpload failed during setup: HTTP 501") as raised:
        resources.fresh_image()
    assert not isinstance(raised.value, OperationNotImplemented)


def test_a_prefix_that_makes_invalid_names_is_refused(client):
    with pytest.raises(ValueError, match="prefix"):
        Resources(client, "Upper_Case")
