import gzip
import hashlib
import io
import json
import tarfile

import pytest

from ecrconf.resources import images
from ecrconf.resources.images import DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST

BLOB_TYPES = {
    OCI_MANIFEST: ("application/vnd.oci.image.config.v1+json", "application/vnd.oci.image.layer.v1.tar+gzip"),
    DOCKER_MANIFEST: ("application/vnd.docker.container.image.v1+json",
                      "application/vnd.docker.image.rootfs.diff.tar.gzip"),
}


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def parts(image):
    manifest = json.loads(image.manifest)
    config = image.blobs[manifest["config"]["digest"]]
    (layer_descriptor,) = manifest["layers"]
    return manifest, json.loads(config), image.blobs[layer_descriptor["digest"]]


@pytest.mark.parametrize("media_type", [OCI_MANIFEST, DOCKER_MANIFEST])
def test_manifest_names_its_format_and_blob_types(media_type):
    image = images.unique_image("n", media_type=media_type)
    manifest = json.loads(image.manifest)
    assert image.media_type == manifest["mediaType"] == media_type
    assert manifest["schemaVersion"] == 2
    assert (manifest["config"]["mediaType"], manifest["layers"][0]["mediaType"]) == BLOB_TYPES[media_type]


@pytest.mark.parametrize("media_type", [OCI_MANIFEST, DOCKER_MANIFEST])
def test_digest_is_sha256_of_the_exact_manifest_bytes(media_type):
    image = images.unique_image("n", media_type=media_type)
    assert image.digest == sha256(image.manifest)


def test_same_nonce_gives_the_same_bytes():
    assert images.unique_image("same") == images.unique_image("same")
    _, _, layer = parts(images.unique_image("same"))
    assert layer[4:8] == bytes(4)  # gzip MTIME: no clock in the bytes, so no change from one second to the next


def test_different_nonces_give_different_digests_and_blobs():
    a, b = images.unique_image("one"), images.unique_image("two")
    assert a.digest != b.digest
    assert not set(a.blobs) & set(b.blobs)


def test_formats_differ_for_the_same_nonce():
    assert images.unique_image("n").digest != images.unique_image("n", media_type=DOCKER_MANIFEST).digest


def test_every_blob_is_keyed_by_its_digest_and_described_by_its_size():
    image = images.unique_image("n")
    manifest = json.loads(image.manifest)
    descriptors = [manifest["config"], *manifest["layers"]]
    assert {d["digest"] for d in descriptors} == set(image.blobs)
    for descriptor in descriptors:
        blob = image.blobs[descriptor["digest"]]
        assert sha256(blob) == descriptor["digest"]
        assert len(blob) == descriptor["size"]


def test_layer_is_a_gzip_tar_holding_one_file_that_names_the_nonce():
    _, _, layer = parts(images.unique_image("nonce-42"))
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(layer))) as tar:
        (member,) = tar.getmembers()
        assert member.isfile() and member.mtime == 0
        assert "nonce-42" in tar.extractfile(member).read().decode()


def test_diff_ids_are_sha256_of_the_uncompressed_layer():
    _, config, layer = parts(images.unique_image("n"))
    assert config["rootfs"] == {"type": "layers", "diff_ids": [sha256(gzip.decompress(layer))]}
    assert sha256(gzip.decompress(layer)) != sha256(layer)


def test_config_is_a_plausible_linux_image_config():
    _, config, _ = parts(images.unique_image("n"))
    assert (config["architecture"], config["os"]) == ("amd64", "linux")
    _, arm, _ = parts(images.unique_image("n", architecture="arm64"))
    assert arm["architecture"] == "arm64"


def test_unknown_media_type_is_refused():
    with pytest.raises(ValueError, match="media_type"):
        images.unique_image("n", media_type=OCI_INDEX)


def test_index_references_each_manifest_with_its_platform():
    members = [images.unique_image("a"), images.unique_image("b", architecture="arm64", media_type=DOCKER_MANIFEST)]
    index = images.image_index(members)
    manifest = json.loads(index.manifest)
    assert index.media_type == manifest["mediaType"] == OCI_INDEX
    assert index.digest == sha256(index.manifest)
    assert index.blobs == {}
    assert [(m["digest"], m["mediaType"], m["size"]) for m in manifest["manifests"]] == [
        (i.digest, i.media_type, len(i.manifest)) for i in members]
    assert [m["platform"] for m in manifest["manifests"]] == [
        {"architecture": "amd64", "os": "linux"}, {"architecture": "arm64", "os": "linux"}]


def test_an_empty_index_is_refused():
    with pytest.raises(ValueError):
        images.image_index([])
