"""What real ECR holds after a sequence of calls: the stateful suite's oracle. Plain data, no I/O.

Repositories are named by the program's handles (``repo0``), images by the sha256 of their exact manifest
bytes. Each call the suite makes has one function here that predicts its ``Outcome`` and, when it predicts
success, changes the state as ECR would. Every rule cites its evidence row in ``docs/evidence/``
("research" is real-ecr-behaviour.md, "ops" real-ecr-behaviour-operations.md) with that row's confidence
(DOC, OBS-ECR, SEC, INF). Where the evidence does not say what ECR answers, the outcome is *undetermined*:
the program is not judged past that call (the step generator avoids such calls).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

MUTABLE, IMMUTABLE = "MUTABLE", "IMMUTABLE"
NOT_FOUND = "RepositoryNotFoundException"  # research 4.1 (OBS-ECR)
UPLOAD_NOT_FOUND = "UploadNotFoundException"  # ops L.7 (DOC)
MIN_PART = 5 * 1024 * 1024  # research 6.3 (OBS-ECR): every part but the last at least "5MB" (5 MiB is both)
MAX_PART = 10 * 1024 * 1024  # ops L.3 (DOC): 10 MiB or 20 MiB; a larger part is undetermined


@dataclass(frozen=True)
class Outcome:
    """A prediction for one call: success, one of ``errors`` (any order of ECR's checks is allowed when more
    than one applies), a batch call that succeeds with its one item failed (``item_failed``), or
    ``undetermined`` (why the evidence does not say). ``answer``: (member, value) pairs a successful answer
    carries with these values when it carries the member (an optional member may be left out)."""
    errors: frozenset[str] = frozenset()
    item_failed: bool = False
    undetermined: str = ""
    evidence: str = ""
    answer: tuple[tuple[str, object], ...] = ()

    @property
    def succeeds(self) -> bool:
        return not self.errors and not self.undetermined

    def __str__(self) -> str:
        if self.undetermined:
            return f"undetermined ({self.undetermined})"
        if self.errors:
            return " or ".join(sorted(self.errors))
        return "success, the item failed" if self.item_failed else "success"


def ok(evidence: str = "") -> Outcome:
    return Outcome(evidence=evidence)


def fails(*errors: str, evidence: str = "") -> Outcome:
    return Outcome(errors=frozenset(errors), evidence=evidence)


def undetermined(why: str) -> Outcome:
    return Outcome(undetermined=why)


def digest_of(data: bytes) -> str:
    """research 6.4 (OBS-ECR), ops I.4 (DOC): an image is named by the sha256 of its exact manifest bytes."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class Image:
    manifest: bytes
    media_type: str
    children: tuple[str, ...] = ()  # digests an image index names; () for a single image
    tags: set[str] = field(default_factory=set)
    blobs: tuple[str, ...] = ()  # the config and layer digests a single image names

    @property
    def digest(self) -> str:
        return digest_of(self.manifest)


@dataclass
class Repository:
    mutability: str = MUTABLE  # ops R.1 (OBS-ECR): the default
    scan_on_push: bool = False  # ops R.1
    layers: dict[str, int] = field(default_factory=dict)  # blob digest uploaded (config, layer) -> its size in bytes
    # Blob digests an upload of this repository was opened for or completed with a failure, never completed here.
    unfinished: set[str] = field(default_factory=set)
    # Blob digests a deleted image named: whether ECR keeps such a layer available is not known.
    released: set[str] = field(default_factory=set)
    images: dict[str, Image] = field(default_factory=dict)  # by digest
    tags: dict[str, str] = field(default_factory=dict)  # tag -> digest: a tag names exactly one image
    resource_tags: dict[str, str] = field(default_factory=dict)
    policy: bool = False
    lifecycle: bool = False
    scanned: set[str] = field(default_factory=set)  # digests scanned (a scan on push counts: research 7.1)

    def referenced(self, digest: str) -> bool:
        """Whether an image index of the repository names the image (ops I.12)."""
        return any(digest in image.children for image in self.images.values())


@dataclass
class Upload:
    """An upload in progress: opened by InitiateLayerUpload in the repository of handle ``repository`` for the
    blob of digest ``blob`` (``size`` bytes), the sizes of the parts received so far in order."""
    repository: str
    blob: str
    size: int
    parts: list[int] = field(default_factory=list)

    @property
    def received(self) -> int:
        return sum(self.parts)


@dataclass
class Registry:
    repositories: dict[str, Repository] = field(default_factory=dict)  # by handle
    # Uploads in progress by the program's upload handle (u0). An upload whose fate no row decides (completed,
    # refused at completion, its repository deleted) is dropped: the program does not use it again.
    uploads: dict[str, Upload] = field(default_factory=dict)
    # Digests ever scanned under a handle, across deletions: whether a new incarnation's image counts against
    # the quota of one scan per image per 24 hours (research 7.1) is not known.
    scanned_before: set[tuple[str, str]] = field(default_factory=set)

    # --- repositories ---------------------------------------------------------------------------

    def create_repository(self, repo: str, *, mutability: str = MUTABLE, scan_on_push: bool = False) -> Outcome:
        if repo in self.repositories:
            return fails("RepositoryAlreadyExistsException", evidence="research 6.13 (OBS-ECR)")
        self.repositories[repo] = Repository(mutability=mutability, scan_on_push=scan_on_push)
        return ok("ops R.1 (OBS-ECR): created with the settings asked")

    def delete_repository(self, repo: str, *, force: bool) -> Outcome:
        found = self.repositories.get(repo)
        if found is None:
            return fails(NOT_FOUND, evidence="research 4.1")
        if found.images and not force:
            return fails("RepositoryNotEmptyException", evidence="ops R.6 (OBS-ECR)")
        # ops R.7 (DOC): force deletes the images too. A repository of the same name made later starts empty.
        del self.repositories[repo]
        # No row says what becomes of an upload whose repository is deleted (or made again): not used again.
        self.uploads = {u: upload for u, upload in self.uploads.items() if upload.repository != repo}
        return ok("ops R.7 (DOC)")

    # --- layers ---------------------------------------------------------------------------------

    def complete_upload(self, repo: str, blob: str, *, parts: int, size: int = 1) -> Outcome:
        """CompleteLayerUpload of a blob of ``size`` bytes sent whole in one step: InitiateLayerUpload, then
        ``parts`` parts of equal size (the last the rest), then this call with the blob's digest."""
        found = self.repositories.get(repo)
        if found is None:
            return fails(NOT_FOUND, evidence="research 4.1")
        each = -(-size // parts)
        sizes = [each] * (parts - 1) + [size - each * (parts - 1)]
        return self._complete(found, Upload(repo, blob, size, sizes), right=True)

    def in_repository(self, repo: str) -> Outcome:
        """A call that needs only the repository (InitiateLayerUpload, UploadLayerPart, the reads)."""
        if repo not in self.repositories:
            return fails(NOT_FOUND, evidence="research 4.1")
        return ok("ops L.1, L.2 (DOC)")

    def part_of_whole(self, repo: str, last: int) -> Outcome:
        """UploadLayerPart of an upload sent whole in one step (upload_blob, put_image), its last byte ``last``:
        it needs the repository, and answers lastByteReceived == partLastByte (ops L.2, DOC)."""
        outcome = self.in_repository(repo)
        return Outcome(evidence=outcome.evidence, answer=(("lastByteReceived", last),)) if outcome.succeeds else outcome

    # --- uploads in progress (steps across the program) -------------------------------------------

    def initiate_upload(self, upload: str, repo: str, blob: str, size: int) -> Outcome:
        """InitiateLayerUpload in repo for the blob of digest ``blob`` (``size`` bytes), the program naming
        the upload ``upload``: it opens an upload (ops L.1, DOC)."""
        found = self.repositories.get(repo)
        if found is None:
            return fails(NOT_FOUND, evidence="research 4.1")
        self.uploads[upload] = Upload(repo, blob, size)
        if blob not in found.layers:
            found.unfinished.add(blob)
        return ok("ops L.1 (DOC): an upload id")

    def upload_part(self, upload: str, repo: str, first: int, last: int) -> Outcome:
        """UploadLayerPart of bytes first..last (inclusive) of the upload named ``upload``, sent naming the
        repository of handle repo (the one it was opened in, or now and then the other)."""
        opened = self.uploads[upload]
        if repo != opened.repository:
            return self._elsewhere(repo, "UploadLayerPart")
        if repo not in self.repositories:  # not reached: the upload is dropped with its repository
            return fails(NOT_FOUND, evidence="research 4.1")
        if last - first + 1 > MAX_PART:
            return undetermined("ops L.3: whether a part over 10 MiB is refused is not known")
        if first != opened.received:
            return fails("InvalidLayerPartException", evidence="ops L.4 (DOC): a part that does not continue "
                                                               "the upload")
        opened.parts.append(last - first + 1)
        return Outcome(evidence="ops L.2 (DOC): lastByteReceived is partLastByte", answer=(("lastByteReceived", last),))

    def complete(self, upload: str, repo: str, *, right: bool) -> Outcome:
        """CompleteLayerUpload of the upload named ``upload`` with its blob's digest (``right``) or another,
        sent naming the repository of handle repo. Whatever it answers in its own repository, the upload is
        used no more: no row says whether a completed or refused upload can be used again."""
        opened = self.uploads[upload]
        if repo != opened.repository:
            return self._elsewhere(repo, "CompleteLayerUpload")
        found = self.repositories.get(repo)
        if found is None:  # not reached: the upload is dropped with its repository
            return fails(NOT_FOUND, evidence="research 4.1")
        del self.uploads[upload]
        return self._complete(found, opened, right=right)

    def _elsewhere(self, repo: str, operation: str) -> Outcome:
        """An upload id sent with another repository than its own: not found there (ops L.7, DOC: the doc of
        UploadNotFoundException, "not valid for this repository", which the model lists for UploadLayerPart
        and CompleteLayerUpload alike). The upload itself is left as it was (INF: the call found no upload).
        When that repository does not exist either, either error may come first."""
        if repo not in self.repositories:
            return fails(NOT_FOUND, UPLOAD_NOT_FOUND, evidence="research 4.1; ops L.7 (DOC)")
        return fails(UPLOAD_NOT_FOUND, evidence=f"ops L.7 (DOC): {operation} with an upload id of another "
                                                "repository")

    def _complete(self, found: Repository, upload: Upload, *, right: bool) -> Outcome:
        """The checks of CompleteLayerUpload in the upload's own repository; any of them when several apply
        (the order of ECR's checks is not captured). A refused blob is not available."""
        errors = set()
        if not upload.parts:
            errors.add("EmptyUploadException")  # research 6.2 (OBS-ECR): no parts
        elif any(size < MIN_PART for size in upload.parts[:-1]):
            errors.add("LayerPartTooSmallException")  # research 6.3 (OBS-ECR)
        if not right or (upload.parts and upload.received != upload.size):
            errors.add("InvalidLayerException")  # ops L.6 (OBS-ECR), research 6.12: the digest must match the bytes
        if errors and right and upload.blob in found.layers:
            errors.add("LayerAlreadyExistsException")  # ops L.7 (DOC)
        if errors:
            if upload.blob not in found.layers:
                found.unfinished.add(upload.blob)
            return fails(*errors, evidence="research 6.2, 6.3, 6.12; ops L.6, L.7")
        if upload.blob in found.layers:
            return fails("LayerAlreadyExistsException", evidence="ops L.7 (DOC)")
        found.layers[upload.blob] = upload.received
        found.unfinished.discard(upload.blob)
        return ok("ops L.5 (DOC)")

    # --- images ---------------------------------------------------------------------------------

    def put_image(self, repo: str, manifest: bytes, media_type: str, *, blobs: tuple[str, ...] = (),
                  children: tuple[str, ...] = (), tag: str | None = None, digest: str | None = None) -> Outcome:
        """PutImage of manifest (its config and layer digests ``blobs``, or the images an index names,
        ``children``), with imageTag ``tag`` and imageDigest ``digest`` when given."""
        found = self.repositories.get(repo)
        if found is None:
            return fails(NOT_FOUND, evidence="research 4.1")
        name = digest_of(manifest)
        errors = set()
        if digest is not None and digest != name:
            errors.add("ImageDigestDoesNotMatchException")  # ops I.4 (DOC)
        if any(blob not in found.layers for blob in blobs):
            errors.add("LayersNotFoundException")  # research 6.1 (OBS-ECR): config and layers
        if any(child not in found.images for child in children):
            errors.add("ReferencedImagesNotFoundException")  # ops I.1 (DOC: modelled for PutImage)
        existing = found.images.get(name)
        holder = found.tags.get(tag) if tag is not None else None
        if existing is not None and (tag is None or holder == name):
            # research 6.5 (OBS-ECR): same manifest and tag, also on a MUTABLE repository; without a tag, the
            # model's ImageAlreadyExistsException ("no changes to the manifest or tag", DOC). On an IMMUTABLE
            # repository the same push may be ImageTagAlreadyExistsException (ops gap 3): both accepted.
            errors.add("ImageAlreadyExistsException")
            if tag is not None and found.mutability == IMMUTABLE:
                errors.add("ImageTagAlreadyExistsException")
        elif holder is not None and found.mutability == IMMUTABLE:
            errors.add("ImageTagAlreadyExistsException")  # ops I.2 (OBS-ECR, by name)
        if errors:
            return fails(*errors, evidence="ops I.1, I.2, I.4; research 6.1, 6.5")
        image = existing or Image(manifest, media_type, children, blobs=blobs)
        found.images[name] = image
        if tag is not None:
            if holder is not None:
                # A MUTABLE tag moves to the new image (ops I.3: retag by PutImage); the image it leaves stays,
                # untagged (INF: no dossier row says so; such images are what lifecycle rules for untagged
                # images select, ops P.12).
                found.images[holder].tags.discard(tag)
            found.tags[tag] = name
            image.tags.add(tag)
        if existing is None and found.scan_on_push and not children:
            found.scanned.add(name)  # research 7.1 (DOC + OBS): a scan on push counts as the day's scan
            self.scanned_before.add((repo, name))
        return ok("research 6.4, 6.10 (OBS-ECR); ops I.3 (DOC + OBS-ECR)")

    def delete_image(self, repo: str, *, tag: str | None = None, digest: str | None = None) -> Outcome:
        """BatchDeleteImage of one image id (a tag or a digest)."""
        found = self.repositories.get(repo)
        if found is None:
            return fails(NOT_FOUND, evidence="ops I.8 (SEC): a missing repository fails the whole call")
        name = digest if digest is not None else found.tags.get(tag or "")
        image = found.images.get(name or "")
        if image is None:
            return Outcome(item_failed=True, evidence="model: ImageFailureCode; ops I.8 (SEC)")
        last = digest is not None or len(image.tags) <= 1
        if found.referenced(image.digest) and last:
            return undetermined("ops I.12: when ECR refuses to delete an image an index names is not captured")
        if not last:
            image.tags.discard(tag)
            del found.tags[tag]
            return ok("ops I.11 (DOC): by tag removes that tag")
        for held in image.tags:
            del found.tags[held]
        del found.images[image.digest]
        found.released.update(image.blobs)
        found.scanned.discard(image.digest)
        return ok("ops I.11 (DOC): by digest, or by the last tag, removes the image")

    def start_scan(self, repo: str, digest: str) -> Outcome:
        found = self.repositories.get(repo)
        if found is None:
            return fails(NOT_FOUND, evidence="research 4.1")
        image = found.images.get(digest)
        if image is None:
            return fails("ImageNotFoundException", evidence="research 4.2, 4.3 (OBS-ECR; INF by digest)")
        if image.children:
            return fails("UnsupportedImageTypeException", evidence="research 4.5 (OBS-ECR), 4.6 (INF)")
        if digest in found.scanned:
            return fails("LimitExceededException", evidence="research 4.4 (OBS-ECR), 7.1")
        if (repo, digest) in self.scanned_before:
            return undetermined("research 7.1: whether a scan before the repository was deleted still counts")
        found.scanned.add(digest)
        self.scanned_before.add((repo, digest))
        return ok("research 5.1 (DOC)")

    # --- policies and tags ----------------------------------------------------------------------

    def set_policy(self, repo: str, kind: str) -> Outcome:
        """SetRepositoryPolicy (kind "policy") or PutLifecyclePolicy (kind "lifecycle")."""
        found = self.repositories.get(repo)
        if found is None:
            return fails(NOT_FOUND, evidence="research 4.1")
        setattr(found, kind, True)
        return ok("ops P.1, P.8 (OBS-ECR + DOC)")

    def delete_policy(self, repo: str, kind: str) -> Outcome:
        """DeleteRepositoryPolicy (kind "policy") or DeleteLifecyclePolicy (kind "lifecycle")."""
        found = self.repositories.get(repo)
        if found is None:
            return fails(NOT_FOUND, evidence="research 4.1")
        if not getattr(found, kind):
            missing = "RepositoryPolicyNotFoundException" if kind == "policy" else "LifecyclePolicyNotFoundException"
            return fails(missing, evidence="ops P.2, P.7 (OBS-ECR)")
        setattr(found, kind, False)
        return ok("ops P.1, P.8")

    def tag_resource(self, repo: str, key: str, value: str) -> Outcome:
        found = self.repositories.get(repo)
        if found is None:  # ops gap 6: a well-formed ARN of a missing repository, either type
            return fails(NOT_FOUND, "InvalidParameterException", evidence="ops T.6 (DOC), gap 6")
        found.resource_tags[key] = value  # ops T.3 (DOC): tagging a key again overwrites it
        return ok("ops T.1, T.3 (DOC)")

    def untag_resource(self, repo: str, key: str) -> Outcome:
        found = self.repositories.get(repo)
        if found is None:
            return fails(NOT_FOUND, "InvalidParameterException", evidence="ops T.6 (DOC), gap 6")
        if key not in found.resource_tags:
            return undetermined("ops T.*: what UntagResource of a key the repository lacks answers is not captured")
        del found.resource_tags[key]
        return ok("ops T.1 (DOC)")
