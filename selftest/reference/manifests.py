"""What PutImage needs to know about a manifest: its media type, and the blobs or images it refers to."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from selftest.reference.errors import constraint_texts, invalid_parameter

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
IMAGE_MANIFESTS = frozenset({OCI_MANIFEST, DOCKER_MANIFEST})
INDEXES = frozenset({OCI_INDEX, DOCKER_MANIFEST_LIST})


@dataclass(frozen=True)
class Manifest:
    text: str  # exactly as sent: the digest is over these bytes (research 6.4)
    media_type: str
    blobs: tuple[str, ...]  # config, then layers; empty for an index
    children: tuple[str, ...]  # manifests an index refers to; empty for an image
    config_media_type: str | None
    size: int  # bytes of the manifest, config and layers

    @property
    def digest(self) -> str:
        return digest_of(self.text.encode())

    @property
    def is_index(self) -> bool:
        return self.media_type in INDEXES


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def parse(text: str, declared: str | None) -> Manifest:
    """The manifest PutImage was given; InvalidParameterException at 'ImageManifest' if ECR refuses it."""
    try:
        document = json.loads(text)
    except ValueError:
        raise _refused("invalid-json") from None
    if not isinstance(document, dict):
        raise _refused("invalid-json")
    named = document.get("mediaType")
    media_type = named or declared
    # Without a media type ECR cannot tell the format (research 6.6); a contradiction is no better.
    if media_type not in IMAGE_MANIFESTS | INDEXES or (named and declared and named != declared):
        raise _refused("invalid-json")
    try:
        if media_type in INDEXES:
            children = tuple(_digest(entry) for entry in document["manifests"])
            return Manifest(text, media_type, (), children, None, len(text.encode()))
        config, layers = document["config"], document["layers"]
        blobs = (_digest(config),) + tuple(_digest(layer) for layer in layers)
        size = len(text.encode()) + sum(int(d.get("size", 0)) for d in [config, *layers])
    except (KeyError, TypeError, ValueError, AttributeError):
        raise _refused("invalid-json") from None
    if not layers:
        raise _refused("no-layers")  # research 6.7
    return Manifest(text, media_type, blobs, (), config.get("mediaType"), size)


def _digest(descriptor: dict) -> str:
    digest = descriptor["digest"]
    if not isinstance(digest, str):
        raise TypeError("digest is not a string")
    return digest


def _refused(reason: str):
    return invalid_parameter("ImageManifest", constraint_texts()["manifest"][reason])


def blob_media_types(manifest: Manifest) -> dict[str, str]:
    """The media type of each blob an image manifest names, by digest (the config's, then the layers'),
    as BatchCheckLayerAvailability reports them (ops L.8); empty for an index."""
    if manifest.is_index:
        return {}
    document = json.loads(manifest.text)
    return {d["digest"]: d["mediaType"] for d in [document["config"], *document["layers"]]
            if isinstance(d.get("mediaType"), str)}


def subject_of(manifest: Manifest) -> str | None:
    """The digest of the manifest's OCI 1.1 ``subject`` (what it refers to, ListImageReferrers), or None."""
    subject = json.loads(manifest.text).get("subject")
    digest = subject.get("digest") if isinstance(subject, dict) else None
    return digest if isinstance(digest, str) else None


def artifact_type(manifest: Manifest) -> str | None:
    """OCI 1.1: the manifest's artifactType, else its config's media type."""
    document = json.loads(manifest.text)
    found = document.get("artifactType")
    return found if isinstance(found, str) else manifest.config_media_type
