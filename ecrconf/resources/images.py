"""Image content built in memory: manifests, config blobs and layers. No HTTP.

Every image made from a new nonce has content nobody has pushed before, because ECR allows one scan
per image per 24 hours. The same nonce always gives the same bytes, so the same digest.
The templates live in ``fixtures/images/``.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass, field
from functools import cache

from ecrconf import paths

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"

FIXTURES = paths.data("fixtures", "images")
LAYER_FILE = "ecrconf-nonce.txt"  # the template's name is also the file's name inside the layer


@dataclass(frozen=True)
class Image:
    manifest: bytes  # exactly the bytes to push: the digest depends on every byte
    media_type: str
    digest: str
    blobs: dict[str, bytes] = field(hash=False)  # digest -> bytes, config and layers; empty for an index


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def unique_image(nonce: str, *, media_type: str = OCI_MANIFEST, architecture: str = "amd64") -> Image:
    """A single-platform image with one layer whose only file contains nonce."""
    kinds = _formats().get(media_type)
    if kinds is None:
        raise ValueError(f"media_type={media_type!r} is not one of {sorted(_formats())}")
    tar = _layer_tar(nonce)
    layer = gzip.compress(tar, mtime=0)
    config_doc = _template("config.json")
    config_doc["architecture"] = architecture
    config_doc["rootfs"]["diff_ids"] = [digest_of(tar)]
    config = _encode(config_doc)
    manifest = _encode({
        "schemaVersion": 2,
        "mediaType": media_type,
        "config": _descriptor(kinds["config"], config),
        "layers": [_descriptor(kinds["layer"], layer)],
    })
    return Image(manifest, media_type, digest_of(manifest), {digest_of(config): config, digest_of(layer): layer})


def image_index(images: list[Image], *, media_type: str = OCI_INDEX) -> Image:
    """A multi-platform index of images (an OCI image index or a Docker manifest list), each entry with
    the platform its config names."""
    if not images:
        raise ValueError("an image index needs at least one image")
    if media_type not in (OCI_INDEX, DOCKER_MANIFEST_LIST):
        raise ValueError(f"media_type={media_type!r} is not {OCI_INDEX} or {DOCKER_MANIFEST_LIST}")
    manifests = [dict(_descriptor(image.media_type, image.manifest), platform=platform(image)) for image in images]
    manifest = _encode({"schemaVersion": 2, "mediaType": media_type, "manifests": manifests})
    return Image(manifest, media_type, digest_of(manifest), {})


def platform(image: Image) -> dict[str, str]:
    """The OS and architecture recorded in a single-platform image's config."""
    config_digest = json.loads(image.manifest)["config"]["digest"]
    config = json.loads(image.blobs[config_digest])
    return {"architecture": config["architecture"], "os": config["os"]}


def _layer_tar(nonce: str) -> bytes:
    content = (FIXTURES / LAYER_FILE).read_text().format(nonce=nonce).encode()
    info = tarfile.TarInfo(LAYER_FILE)
    info.size, info.mode, info.mtime = len(content), 0o644, 0
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def _descriptor(media_type: str, data: bytes) -> dict:
    return {"mediaType": media_type, "digest": digest_of(data), "size": len(data)}


def _encode(document: dict) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()


def _template(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


@cache
def _formats() -> dict[str, dict[str, str]]:
    return _template("formats.json")
