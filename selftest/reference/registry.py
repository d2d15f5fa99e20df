"""The reference's state, in memory: registries, repositories, images, layers, uploads and scans;
registry-wide settings (policy, scanning, replication, ...) are in settings.py.

One lock guards all of it; operations hold it for their whole run, so each is atomic (N concurrent
scans of one image start exactly one scan).
"""

from __future__ import annotations

import fnmatch
import itertools
import threading
from dataclasses import dataclass, field

from selftest.reference.errors import error, shown
from selftest.reference.manifests import Manifest
from selftest.reference.settings import RegistrySettings

# Creation order of repositories and images, the stable order their lists are given in (paging.py names a
# place in it); one count for the process, so that it only ever increases.
_CREATED = itertools.count(1)


def _next_created() -> int:
    return next(_CREATED)


@dataclass
class Image:
    manifest: Manifest
    pushed_at: float
    tags: set[str] = field(default_factory=set)
    status: str = "ACTIVE"  # ImageStatus: ARCHIVED after UpdateImageStorageClass to ARCHIVE
    # What names the image: the sha256 of the manifest bytes (research 6.4) unless PutImage computed another
    # (the breakage image_digest_source).
    digest: str = ""
    created: int = field(default_factory=_next_created)  # its place in the creation order

    def __post_init__(self) -> None:
        self.digest = self.digest or self.manifest.digest


@dataclass
class Upload:
    id: str
    data: bytearray = field(default_factory=bytearray)
    part_sizes: list[int] = field(default_factory=list)


@dataclass
class Repository:
    name: str
    registry_id: str
    created_at: float
    tag_mutability: str
    scan_on_push: bool
    encryption: dict
    exclusion_filters: list[dict] = field(default_factory=list)  # tags excepted from the mutability setting
    images: dict[str, Image] = field(default_factory=dict)  # by digest
    tags: dict[str, str] = field(default_factory=dict)  # tag -> digest
    layers: dict[str, int] = field(default_factory=dict)  # digest -> size
    uploads: dict[str, Upload] = field(default_factory=dict)
    scans: dict[str, float] = field(default_factory=dict)  # digest -> when the last scan started
    policy: str | None = None  # the repository policy, as SetRepositoryPolicy stored it (ops P.1)
    lifecycle: str | None = None  # the lifecycle policy, compact (ops P.8)
    preview: dict | None = None  # the last lifecycle policy preview: text, started, results (ops P.15)
    resource_tags: dict[str, str] = field(default_factory=dict)  # TagResource's tags, in order (ops T.1)
    # Images BatchDeleteImage removed, by digest, kept only under the breakage deleted_images_still_got.
    deleted_images: dict[str, Image] = field(default_factory=dict)
    created: int = field(default_factory=_next_created)  # its place in the creation order

    @property
    def arn_suffix(self) -> str:
        return f"repository/{self.name}"

    def referenced_by_index(self, digest: str) -> list[str]:
        """Digests of the indexes (manifest lists) in this repository that refer to the image (ops I.12)."""
        return [i.digest for i in self.images.values() if digest in i.manifest.children]

    def remove_image(self, image: Image) -> None:
        for tag in image.tags:
            self.tags.pop(tag, None)
        del self.images[image.digest]
        self.scans.pop(image.digest, None)

    def tag_is_immutable(self, tag: str) -> bool:
        excepted = any(fnmatch.fnmatchcase(tag, f["filter"]) for f in self.exclusion_filters)
        return {"IMMUTABLE": True, "MUTABLE": False, "IMMUTABLE_WITH_EXCLUSION": not excepted,
                "MUTABLE_WITH_EXCLUSION": excepted}[self.tag_mutability]

    def image(self, image_id: dict) -> Image:
        """The image imageId names (digest, tag, or both of one image); ImageNotFoundException otherwise."""
        digest, tag = image_id.get("imageDigest"), image_id.get("imageTag")
        found = self.images.get(digest if digest is not None else self.tags.get(tag, ""))
        if found is None or (tag is not None and tag not in found.tags):
            raise error("image-not-found", digest=shown(digest), tag=shown(tag), repository=self.name,
                        registry=self.registry_id)
        return found


class Store:
    def __init__(self, account_id: str):
        self.account_id = account_id
        self.lock = threading.RLock()
        self._registries: dict[str, dict[str, Repository]] = {}
        self._settings: dict[str, RegistrySettings] = {}
        # Repositories DeleteRepository(force) deleted, by (registry, name), kept only under the breakage
        # force_delete_keeps_images: a repository created again under the name gets their images back.
        self.force_deleted: dict[tuple[str, str], Repository] = {}

    def repositories(self, registry_id: str) -> dict[str, Repository]:
        return self._registries.setdefault(registry_id, {})

    def settings(self, registry_id: str) -> RegistrySettings:
        return self._settings.setdefault(registry_id, RegistrySettings())

    def repository(self, registry_id: str, name: str) -> Repository:
        found = self.repositories(registry_id).get(name)
        if found is None:
            raise error("repository-not-found", repository=name, registry=registry_id)
        return found
