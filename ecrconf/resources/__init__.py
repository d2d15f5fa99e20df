"""Repositories and images a test needs, made and removed through the ECR API alone.

Every repository made here carries the run's tag (``RUN_TAG_KEY`` = the run id) besides the run's name prefix,
so that ``python -m ecrconf.sweep`` can find what a killed run left (``ecrconf.resources.sweeper``); a target
that refuses tags on CreateRepository gets repositories without it, with one warning.

Setup must never fail quietly: a push that does not succeed raises ``SetupFailed`` (a
``checks.NoVerdict``, so the test is reported as an ERROR, never as a conformance FAIL). ``cleanup`` removes exactly the
repositories this object created and never raises, so it can run after a test failed half-way.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import re
import threading
import warnings
from dataclasses import dataclass

from ecrconf.resources import images
from ecrconf.spec import schemas
from ecrconf.wire import interrupts, protocol
from ecrconf.checks import ConformanceFailure, NoVerdict
from ecrconf.wire.exchange import Exchange
from ecrconf.wire.retries import RetriesExhausted
from ecrconf.resources.images import Image
from ecrconf.resources.items import UNDOES, LeftItems, outcome as _outcome, sent as _sent


_GAVE_UP = "the target stopped answering (DeleteRepository timed out)"
RUN_TAG_KEY = "ecrconf:run"  # the tag every repository of a run carries: its value is the run id


class RunTagRefused(UserWarning):
    """The target refused CreateRepository with tags: the run's repositories carry no run tag."""


# Calls that can make something the run must delete: what their answers say they made is recorded (or
# deleted) before a stop signal takes effect.
CREATES = frozenset(UNDOES) | {"CreateRepository"}


class SetupFailed(NoVerdict):
    """A call made to set a test up did not succeed; the test did not run. ``exchange`` is the call's,
    when it was answered with an error."""

    def __init__(self, message: str, exchange: Exchange | None = None):
        super().__init__(message)
        self.exchange = exchange


class OperationNotImplemented(SetupFailed):
    """The target does not implement an operation that setup needs."""

    def __init__(self, message: str, operation: str, exchange: Exchange | None = None):
        super().__init__(message, exchange)
        self.operation = operation


@dataclass(frozen=True)
class Repository:
    name: str
    registry_id: str
    uri: str
    arn: str = ""  # as CreateRepository answered it ("" if it did not)


@dataclass(frozen=True)
class PushedImage:
    repository: Repository
    digest: str
    tag: str | None
    media_type: str
    image: Image


class Resources:
    def __init__(self, client, prefix: str, *, run_id: str | None = None):
        """prefix: of every repository name (``ecrconf-<run>-<worker>``); run_id: the value of the run tag
        (RUN_TAG_KEY) every repository is created with, None for none. ValueError for a prefix that gives
        names CreateRepository does not allow."""
        self.client = client
        self.prefix = prefix
        self._run_tags = [{"Key": RUN_TAG_KEY, "Value": run_id}] if run_id else []
        self.tags_refused = False  # the target refused the run tag: repositories are made without it
        self._counter = itertools.count(1)
        self._lock = threading.Lock()
        self._created: dict[str, object] = {}  # name -> its registry id (as sent or answered), None: the default
        self._items = LeftItems()  # items of the whole registry whose undo failed
        pattern = schemas.input_schema("CreateRepository")["properties"]["repositoryName"]["pattern"]
        if not re.fullmatch(pattern, f"{prefix}-1"):
            raise ValueError(f"prefix={prefix!r} does not give repository names matching {pattern}")

    def repository(self, *, scan_on_push: bool = False, tag_mutability: str | None = None) -> Repository:
        """A new repository of the run; tag_mutability (MUTABLE, IMMUTABLE, ...) when the target's default
        is not wanted. SetupFailed unless the target creates it."""
        name = self.new_name()  # recorded before the call: a timeout may still have created it
        settings = {"imageTagMutability": tag_mutability} if tag_mutability else {}
        try:
            exchange = self._create({"repositoryName": name, "imageScanningConfiguration": {"scanOnPush": scan_on_push},
                                     **settings})
        except RetriesExhausted as exhausted:
            if exhausted.only_throttled:  # refused every time: nothing to delete at cleanup
                with self._lock:
                    del self._created[name]
            raise
        if _answered_with_error(exchange):  # e.g. RepositoryAlreadyExists: not ours, never delete it
            with self._lock:
                del self._created[name]
        body = setup_answer(exchange)
        try:
            found = body["repository"]
            repository = Repository(found["repositoryName"], found["registryId"], found["repositoryUri"],
                                    str(found.get("repositoryArn") or ""))
        except (KeyError, TypeError) as exc:
            raise SetupFailed(f"CreateRepository answer lacks {exc}\n{exchange.describe()}") from None
        if repository.name != name:
            raise SetupFailed(f"CreateRepository answered for {repository.name!r}, not {name!r}\n"
                              f"{exchange.describe()}")
        with self._lock:
            self._created[name] = repository.registry_id
        return repository

    def run_tags(self) -> list[tuple[str, str]]:
        """The tags (Key, Value) the run's repositories are created with: the run tag, unless the target
        refused it (or the run has none)."""
        return [] if self.tags_refused else [(tag["Key"], tag["Value"]) for tag in self._run_tags]

    def _create(self, request: dict) -> Exchange:
        """CreateRepository of request with the run tag. A target that refuses it (a 4xx other than
        RepositoryAlreadyExistsException) but creates the repository without it is asked without it from
        then on, and the run says so once (RunTagRefused)."""
        if self.tags_refused or not self._run_tags:
            return self.client.call("CreateRepository", request)
        exchange = self.client.call("CreateRepository", {**request, "tags": self._run_tags})
        if (not _answered_with_error(exchange) or protocol.not_implemented(exchange)
                or protocol.error_type(exchange) == "RepositoryAlreadyExistsException"):
            return exchange
        untagged = self.client.call("CreateRepository", request)
        if untagged.status == 200 and not self.tags_refused:
            self.tags_refused = True
            warnings.warn(RunTagRefused(
                f"the target refused CreateRepository with tags ({_outcome(exchange)}): the run's repositories "
                f"carry no {RUN_TAG_KEY} tag, so python -m ecrconf.sweep cannot find what an interrupted run "
                "leaves"), stacklevel=2)
        return untagged

    def call(self, operation: str, payload: dict) -> dict:
        """A call made to set a test up: the body of its 200 answer; SetupFailed for anything else."""
        return setup_answer(self.client.call(operation, payload))

    def call_undone(self, operation: str, payload: object) -> Exchange:
        """Send a checked call and undo at once what it made (undo): its exchange. A stop signal (Ctrl-C,
        ecrconf.wire.interrupts) that comes while a call that can make something (CREATES) waits for its
        answer takes effect after the undo, at the next safe point, so what the target made is not left
        behind; other calls stay interruptible at once."""
        with interrupts.deferred() if operation in CREATES else contextlib.nullcontext():
            exchange = self.client.call(operation, payload)
            self.undo(exchange)
        return exchange

    def call_kept(self, operation: str, payload: object, made: list[Exchange]) -> Exchange:
        """Send a call that makes an item of the whole registry and append its exchange to made, whose
        owner undoes it later (undo): a stop signal meanwhile takes effect only once it is recorded there."""
        with interrupts.deferred():
            exchange = self.client.call(operation, payload)
            made.append(exchange)
        return exchange

    def undo(self, exchange: Exchange) -> None:
        """Remove at once what a call created that the run must not keep: a repository that a
        CreateRepository answer (200) says it made, named as the run never names its own, or an item of the
        whole registry (UNDOES) that a creating call made. Only what the target says this very call created
        is deleted, so nothing the run did not create is touched; and at once, so that no later check meets
        it. Never raises: a failed undo is left for cleanup to try again and report."""
        if exchange.status != 200:
            return
        if exchange.operation in UNDOES:
            self._items.undo(self.client, exchange)
        if exchange.operation != "CreateRepository":
            return
        made = _dig(exchange.body, "repository")
        name = made.get("repositoryName") if isinstance(made, dict) else None
        if isinstance(name, str):
            # The registry as the request named it, whatever its JSON type: a target that made a repository
            # under registryId true finds it again only by that value (moto answers it as "True").
            registry = _sent(exchange).get("registryId", made.get("registryId"))
            with self._lock:
                self._created[name] = registry if registry not in (None, "", False) else None
            self._delete([name])

    def new_name(self) -> str:
        """A repository name under the run's prefix that nothing has: whatever takes it is deleted at cleanup."""
        name = f"{self.prefix}-{self._next()}"
        with self._lock:
            self._created[name] = None
        return name

    def upload_blobs(self, repository: Repository, image: Image) -> None:
        """Upload the blobs of image that repository lacks (layers and config), without putting it."""
        for digest in self._missing_blobs(repository, image):
            self._upload(repository, digest, image.blobs[digest])

    def initiate_upload(self, repository: Repository) -> str:
        """A new layer upload in repository: its uploadId."""
        exchange = self.client.call("InitiateLayerUpload", {"repositoryName": repository.name})
        upload_id = setup_answer(exchange).get("uploadId")
        if not isinstance(upload_id, str):
            raise SetupFailed(f"InitiateLayerUpload answer lacks uploadId\n{exchange.describe()}")
        return upload_id

    def send_part(self, repository: Repository, upload_id: str, blob: bytes) -> None:
        """blob as the first and only part of the upload."""
        setup_answer(self.client.call("UploadLayerPart", {
            "repositoryName": repository.name, "uploadId": upload_id, "partFirstByte": 0,
            "partLastByte": len(blob) - 1, "layerPartBlob": base64.b64encode(blob).decode()}))

    def unique_image(self, media_type: str = images.OCI_MANIFEST) -> Image:
        """An image (manifest, config and layer) that nobody has pushed before."""
        return images.unique_image(self._nonce(), media_type=media_type)

    def push(self, repository: Repository, image: Image, *, tag: str | None = None) -> PushedImage:
        """Upload the image's missing blobs, then put its manifest; raise SetupFailed if any step fails."""
        self.upload_blobs(repository, image)
        payload = {"repositoryName": repository.name, "imageManifest": image.manifest.decode(),
                   "imageManifestMediaType": image.media_type,
                   # Real ECR checks this against the manifest; moto would otherwise invent a digest.
                   "imageDigest": image.digest}
        if tag is not None:
            payload["imageTag"] = tag
        exchange = self.client.call("PutImage", payload)
        body = setup_answer(exchange)
        got = _dig(body, "image", "imageId", "imageDigest")
        if got != image.digest:
            raise SetupFailed(f"PutImage answered digest {got!r}, expected {image.digest}\n{exchange.describe()}")
        return PushedImage(repository, image.digest, tag, image.media_type, image)

    def fresh_image(self, repository: Repository | None = None, *, tag: str | None = None,
                    media_type: str = images.OCI_MANIFEST) -> PushedImage:
        """An image nobody has pushed before, in repository or in a new one."""
        return self.push(repository or self.repository(), self.unique_image(media_type), tag=tag)

    def index(self, repository: Repository, *, tag: str, media_type: str = images.OCI_INDEX) -> PushedImage:
        """Two new platform images pushed by digest, then an index of them (an OCI image index, or a
        Docker manifest list of Docker images) pushed with tag."""
        member = images.DOCKER_MANIFEST if media_type == images.DOCKER_MANIFEST_LIST else images.OCI_MANIFEST
        platforms = [images.unique_image(self._nonce(), media_type=member, architecture=arch)
                     for arch in ("amd64", "arm64")]
        for image in platforms:
            self.push(repository, image)
        return self.push(repository, images.image_index(platforms, media_type=media_type), tag=tag)

    def cleanup(self) -> list[str]:
        """Delete every repository created here, and try again the registry-wide items whose undo failed;
        return one line per repository or item that could not be deleted."""
        with self._lock:
            created = list(self._created)
        return self._delete(created) + self._items.retry(self.client)

    def _delete(self, names: list[str]) -> list[str]:
        """Delete these repositories of the run (force: with their images); one line per one not deleted."""
        with self._lock:
            created = [(name, self._created.get(name)) for name in names]
        problems, gave_up = [], False
        for name, registry_id in created:
            if gave_up:  # no use waiting out each of the rest
                problems.append(f"{name}: not deleted, {_GAVE_UP}")
                continue
            payload = {"repositoryName": name, "force": True}
            if registry_id:
                payload["registryId"] = registry_id
            try:
                exchange = self.client.call("DeleteRepository", payload)
            except Exception as exc:  # cleanup must not hide the test's own outcome
                problems.append(f"{name}: DeleteRepository raised {type(exc).__name__}: {exc}")
                continue
            if exchange.status == 200 or protocol.error_type(exchange) == "RepositoryNotFoundException":
                with self._lock:
                    self._created.pop(name, None)
            elif exchange.timed_out:
                gave_up = True
                problems.append(f"{name}: not deleted, {_GAVE_UP}")
            else:
                problems.append(f"{name}: not deleted, {_outcome(exchange)}")
        return problems

    def _next(self) -> int:
        with self._lock:
            return next(self._counter)

    def _nonce(self) -> str:
        return f"{self.prefix}-image-{self._next()}"

    def _missing_blobs(self, repository: Repository, image: Image) -> list[str]:
        if not image.blobs:
            return []
        exchange = self.client.call("BatchCheckLayerAvailability", {
            "repositoryName": repository.name, "layerDigests": list(image.blobs)})
        layers = setup_answer(exchange).get("layers") or []
        available = {layer.get("layerDigest") for layer in layers if layer.get("layerAvailability") == "AVAILABLE"}
        return [digest for digest in image.blobs if digest not in available]

    def _upload(self, repository: Repository, digest: str, blob: bytes) -> None:
        upload_id = self.initiate_upload(repository)
        self.send_part(repository, upload_id, blob)
        exchange = self.client.call("CompleteLayerUpload", {
            "repositoryName": repository.name, "uploadId": upload_id, "layerDigests": [digest]})
        if protocol.error_type(exchange) == "LayerAlreadyExistsException":
            return
        got = setup_answer(exchange).get("layerDigest")
        if got != digest:
            raise SetupFailed(f"CompleteLayerUpload answered digest {got!r}, expected {digest}\n"
                              f"{exchange.describe()}")


@contextlib.contextmanager
def prerequisites(operation: str):
    """Setup for a check of operation: when the target answers a call the check needs (another operation)
    with an error, the check cannot be judged and is reported unsupported (OperationNotImplemented), naming
    that operation; that operation's own checks judge the answer. A setup call of operation itself that
    fails is the check's answer (a ConformanceFailure), unless the target does not implement it (unsupported).
    A call that got no answer stays an error."""
    try:
        yield
    except OperationNotImplemented as failed:
        if failed.exchange is None or failed.exchange.operation == operation:
            raise
        raise _unsupported(operation, failed.exchange) from None
    except SetupFailed as failed:
        needed = failed.exchange
        if needed is None or needed.status is None:
            raise
        if needed.operation == operation:
            raise ConformanceFailure(f"{operation} failed when the check called it to set up",
                                     received=_outcome(needed), expected="HTTP 200", exchange=needed) from None
        raise _unsupported(operation, needed) from None


def _unsupported(operation: str, needed: Exchange) -> OperationNotImplemented:
    answer = " ".join(filter(None, (f"HTTP {needed.status}", protocol.error_type(needed))))
    return OperationNotImplemented(f"unsupported: {operation} needs {needed.operation}, which the target did not "
                                   f"carry out ({answer})", needed.operation, needed)


def setup_answer(exchange: Exchange) -> dict:
    """The JSON object of a 200 answer; SetupFailed for anything else."""
    if exchange.status == 200 and isinstance(exchange.body, dict):
        return exchange.body
    if protocol.not_implemented(exchange):
        raise OperationNotImplemented(
            f"{exchange.operation}: the target does not implement it, so setup cannot go on "
            f"({_outcome(exchange)})\n{exchange.describe()}", exchange.operation, exchange)
    answered = exchange if exchange.status is not None else None
    raise SetupFailed(f"{exchange.operation} failed during setup: {_outcome(exchange)}\n{exchange.describe()}",
                      answered)


def _answered_with_error(exchange: Exchange) -> bool:
    return exchange.status is not None and 400 <= exchange.status < 500


def _dig(document: object, *keys: str) -> object:
    for key in keys:
        document = document.get(key) if isinstance(document, dict) else None
    return document
