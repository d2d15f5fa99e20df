"""Running a program of the stateful suite: each step's calls sent to the target and predicted by the model.

A ``ProgramRun`` belongs to one program (one Hypothesis example, or one replay). It maps the program's
repository handles to names of the run (``Resources.new_name``: under the run's prefix, deleted at cleanup; a
handle keeps its name when it is deleted and created again) and its image references to content made for this
program alone (``images.unique_image``: nobody has pushed or scanned it before), and its upload handles
(``u0``) to the upload ids the target answered (a step of an upload without one is not sent). Before each call
the model (``ecrconf.checks.registry_model``) predicts its outcome; after it, ``invariants.disagreement``
compares. The first call whose answer disagrees ends the program's judging (``diverged``): the model no longer
knows what the target holds. A step whose outcome the evidence does not determine, or that would scan an image
a second time, is not sent (``Step.skipped``), nor, unless ``refused``, one the model predicts to be refused;
a step needing an operation the target does not implement is skipped too, and the operation named in
``unsupported``.
"""

from __future__ import annotations

import base64
import copy
import json
from dataclasses import dataclass, field

from ecrconf import checks
from ecrconf.checks import invariants
from ecrconf.checks.registry_model import MIN_PART, Outcome, Registry
from ecrconf.generate.programs import View, children
from ecrconf.resources import Resources, images
from ecrconf.resources.world import offline
from ecrconf.wire import protocol
from ecrconf.wire.exchange import Exchange

WRONG_DIGEST = "sha256:" + "1" * 64
MEDIA_TYPES = {"oci": images.OCI_MANIFEST, "docker": images.DOCKER_MANIFEST, "oci-index": images.OCI_INDEX,
               "docker-list": images.DOCKER_MANIFEST_LIST}
POLICY_CALLS = {("set_policy", "policy"): ("SetRepositoryPolicy", "policyText"),
                ("set_policy", "lifecycle"): ("PutLifecyclePolicy", "lifecyclePolicyText"),
                ("delete_policy", "policy"): ("DeleteRepositoryPolicy", None),
                ("delete_policy", "lifecycle"): ("DeleteLifecyclePolicy", None)}


@dataclass
class Call:
    exchange: Exchange
    outcome: Outcome | None  # None: a read inside a step, judged by the paging invariant
    problem: str = ""  # how the answer disagrees with the outcome ("" when it agrees)
    # How a successful answer's members differ from the model's values: the answers check's alone, the program
    # goes on (the state is what the model says).
    misanswer: str = ""


@dataclass
class Step:
    step: dict
    calls: list[Call] = field(default_factory=list)
    skipped: str = ""  # why the step was not sent
    cut: str = ""  # why the step's last calls were not sent
    puts: list[tuple[Exchange, str]] = field(default_factory=list)  # PutImage answered 200, the digest of its bytes
    walk: dict | None = None  # delete_between_pages: the listing around the deletion (invariants.paging)


class Unsent(Exception):
    """A step not sent: its outcome is undetermined, it would scan an image again, or it names an upload that
    is not open."""


class ProgramRun:
    def __init__(self, client, resources: Resources, namespace: str, *, refused: bool = True):
        self.client, self.resources, self.namespace = client, resources, namespace
        # False: a call the model predicts to be refused is not sent (nor the rest of its step). Such a call
        # changes nothing on ECR, so the invariants over the state do not need it; only the answers check does.
        self.refused = refused
        self.model = Registry()
        self.names: dict[str, str] = {}  # handle -> repository name
        self.arns: dict[str, str] = {}  # handle -> repositoryArn as CreateRepository answered it
        self.registry_id = ""
        self.answered: dict[tuple[str, str], str] = {}  # (handle, digest of the bytes) -> digest the target answered
        self.seen: dict[str, set[str]] = {}  # handle -> every digest and tag pushed under it (kept after deletion)
        self.steps: list[Step] = []
        self.diverged: Call | None = None
        self.unsupported: set[str] = set()
        self.waited = 0.0  # seconds spent waiting for eventual consistency (ecrconf.run.stateful.judge)
        self.noted = False  # whether the divergence was noted
        self.notes: list[str] = []  # what the reader of a failure should know besides the steps
        self._content: dict[str, images.Image] = {}
        self._references: dict[str, str] = {}  # digest -> image reference
        self.uploads: dict[str, str] = {}  # upload handle -> the uploadId the target answered for it
        self._uploading: dict[str, tuple[str, bytes]] = {}  # upload handle -> (digest, bytes) of its blob
        self._big: dict[str, bytes] = {}  # image reference -> its big blob

    # --- what the program holds -------------------------------------------------------------------

    def image(self, reference: str) -> images.Image:
        """The content of an image reference in this program: the same bytes every time it is asked for."""
        if reference not in self._content:
            kind, _, number = reference.partition(":")
            members = children(reference)
            made = (images.image_index([self.image(m) for m in members], media_type=MEDIA_TYPES[kind]) if members
                    else images.unique_image(f"{self.namespace}-{kind}{number}", media_type=MEDIA_TYPES[kind]))
            self._content[reference] = made
            self._references[made.digest] = reference
        return self._content[reference]

    def blob(self, reference: str, kind: str) -> tuple[str, bytes]:
        """The digest and bytes of a blob of a single image: its "config", its (first) "layer", or "big", a
        blob of its own of MIN_PART + 1000 bytes, made for this program alone (not in any manifest)."""
        if kind == "big":
            if reference not in self._big:
                seed = f"{self.namespace}-{reference}-big\n".encode()
                self._big[reference] = (seed * ((MIN_PART + 1000) // len(seed) + 1))[:MIN_PART + 1000]
            return images.digest_of(self._big[reference]), self._big[reference]
        image = self.image(reference)
        document = json.loads(image.manifest)
        digest = document["config"]["digest"] if kind == "config" else document["layers"][0]["digest"]
        return digest, image.blobs[digest]

    def name(self, handle: str) -> str:
        if handle not in self.names:
            self.names[handle] = self.resources.new_name()
        return self.names[handle]

    def view(self) -> View:
        """The model's state in the program's terms (what the step generator draws from)."""
        repositories = self.model.repositories
        return View(live=tuple(sorted(repositories)),
                    images={h: tuple(sorted(self._references[d] for d in r.images)) for h, r in repositories.items()},
                    tags={h: tuple(sorted(r.tags)) for h, r in repositories.items()},
                    resource_tags={h: tuple(sorted(r.resource_tags)) for h, r in repositories.items()},
                    uploads={u: (up.repository, up.size - up.received) for u, up in self.model.uploads.items()})

    def endpoint_digest(self, handle: str, digest: str) -> str:
        """The digest the target answered for the image of these bytes (the bytes' own until it answered)."""
        return self.answered.get((handle, digest), digest)

    # --- running a step ---------------------------------------------------------------------------

    def run(self, step: dict) -> Step:
        """Send step's calls (none once the program diverged); the Step records them."""
        record = Step(step)
        self.steps.append(record)
        if self.diverged is not None:
            record.skipped = "the program is no longer judged"
            return record
        before = copy.deepcopy(self.model)
        try:
            getattr(self, "_" + step["step"])(record, step)
        except Unsent as why:  # a step cut short after calls that were sent stays part of the program
            if record.calls:
                record.cut = str(why)
            else:  # nothing was sent: the target holds what it held, and so does the model
                self.model, record.skipped = before, str(why)
        if record.calls and protocol.not_implemented(record.calls[-1].exchange):
            self.unsupported.add(record.calls[-1].exchange.operation)
            self.model, record.skipped = before, f"the target does not implement {record.calls[-1].exchange.operation}"
            record.calls[-1].problem = ""
            self.diverged = None
        return record

    def _send(self, record: Step, operation: str, payload: dict, outcome: Outcome | None) -> Exchange:
        """One call of the step, judged against outcome; a disagreement ends the program's judging."""
        if operation in self.unsupported:
            raise Unsent(f"the target does not implement {operation}")
        if outcome is not None and outcome.errors and not self.refused:
            raise Unsent(f"the model predicts {outcome}: judged by the answers check alone")
        exchange = self.client.call(operation, payload)
        checks.responded(exchange)  # no answer: no verdict (TargetUnresponsive), never a disagreement
        call = Call(exchange, outcome, invariants.disagreement(exchange, outcome) if outcome else "")
        call.misanswer = invariants.misanswered(exchange, outcome) if outcome and not call.problem else ""
        record.calls.append(call)
        if call.problem and self.diverged is None:
            self.diverged = call
        return exchange

    def _going_on(self) -> bool:
        return self.diverged is None

    def _predicted(self, outcome: Outcome) -> Outcome:
        if outcome.undetermined:
            raise Unsent(outcome.undetermined)
        return outcome

    def _create_repository(self, record: Step, step: dict) -> None:
        handle = step["repository"]
        outcome = self.model.create_repository(handle, mutability=step["mutability"], scan_on_push=step["scan_on_push"])
        exchange = self._send(record, "CreateRepository", {
            "repositoryName": self.name(handle), "imageTagMutability": step["mutability"],
            "imageScanningConfiguration": {"scanOnPush": step["scan_on_push"]}}, outcome)
        made = (exchange.body or {}).get("repository") if exchange.status == 200 and isinstance(exchange.body, dict) else None
        if isinstance(made, dict):
            self.arns[handle] = str(made.get("repositoryArn") or "")
            self.registry_id = str(made.get("registryId") or self.registry_id)

    def _delete_repository(self, record: Step, step: dict) -> None:
        handle = step["repository"]
        self._send(record, "DeleteRepository", {"repositoryName": self.name(handle), "force": step["force"]},
                   self.model.delete_repository(handle, force=step["force"]))

    def _upload_blob(self, record: Step, step: dict) -> None:
        digest, blob = self.blob(step["image"], step["blob"])
        self._upload(record, step["repository"], digest, blob, parts=step["parts"])

    def _upload(self, record: Step, handle: str, digest: str, blob: bytes, *, parts: int) -> None:
        """InitiateLayerUpload, UploadLayerPart once per part (the blob cut in equal parts), CompleteLayerUpload."""
        name = self.name(handle)
        exchange = self._send(record, "InitiateLayerUpload", {"repositoryName": name}, self.model.in_repository(handle))
        upload = exchange.body.get("uploadId") if isinstance(exchange.body, dict) else None
        if not self._going_on() or not isinstance(upload, str):
            return
        size = -(-len(blob) // parts)
        for first in range(0, len(blob), size):
            part = blob[first:first + size]
            self._send(record, "UploadLayerPart", {
                "repositoryName": name, "uploadId": upload, "partFirstByte": first,
                "partLastByte": first + len(part) - 1, "layerPartBlob": base64.b64encode(part).decode()},
                self.model.part_of_whole(handle, first + len(part) - 1))
            if not self._going_on():
                return
        self._send(record, "CompleteLayerUpload", {"repositoryName": name, "uploadId": upload, "layerDigests": [digest]},
                   self.model.complete_upload(handle, digest, parts=parts, size=len(blob)))

    # --- uploads in progress: one call a step --------------------------------------------------------

    def _open_upload(self, record: Step, step: dict) -> None:
        handle, upload = step["repository"], step["upload"]
        if upload in self.model.uploads:
            raise Unsent(f"upload {upload} is open already")
        digest, blob = self.blob(step["image"], step["blob"])
        outcome = self.model.initiate_upload(upload, handle, digest, len(blob))
        exchange = self._send(record, "InitiateLayerUpload", {"repositoryName": self.name(handle)}, outcome)
        answered = invariants.dig(exchange.body, "uploadId")
        if outcome.succeeds and exchange.status == 200 and isinstance(answered, str):
            self.uploads[upload], self._uploading[upload] = answered, (digest, blob)
        else:  # no upload id to send: the program cannot use this upload (its later steps are not sent)
            self.model.uploads.pop(upload, None)

    def _open(self, step: dict) -> str:
        """The uploadId of the step's upload; Unsent when the model holds no such upload open (a replayed or
        shrunk program) or the target answered no id for it."""
        if step["upload"] not in self.model.uploads or step["upload"] not in self.uploads:
            raise Unsent(f"upload {step['upload']} is not open")
        return self.uploads[step["upload"]]

    def _upload_part(self, record: Step, step: dict) -> None:
        upload_id, opened = self._open(step), self.model.uploads[step["upload"]]
        blob = self._uploading[step["upload"]][1]
        left = len(blob) - opened.received
        if left <= 0:
            raise Unsent(f"upload {step['upload']} has sent its whole blob")
        size = left if step["bytes"] == "rest" else (MIN_PART if left > MIN_PART else -(-left // 2))
        first = opened.received
        part = blob[first:first + size]
        self._send(record, "UploadLayerPart", {
            "repositoryName": self.name(step["repository"]), "uploadId": upload_id, "partFirstByte": first,
            "partLastByte": first + size - 1, "layerPartBlob": base64.b64encode(part).decode()},
            self.model.upload_part(step["upload"], step["repository"], first, first + size - 1))

    def _complete_upload(self, record: Step, step: dict) -> None:
        upload_id = self._open(step)
        digest = self._uploading[step["upload"]][0] if step["digest"] == "right" else WRONG_DIGEST
        self._send(record, "CompleteLayerUpload", {"repositoryName": self.name(step["repository"]),
                                                   "uploadId": upload_id, "layerDigests": [digest]},
                   self.model.complete(step["upload"], step["repository"], right=step["digest"] == "right"))

    def _put_image(self, record: Step, step: dict) -> None:
        handle, image = step["repository"], self.image(step["image"])
        members = children(step["image"])
        kids = tuple(self.image(m).digest for m in members)
        if step["upload"] and handle in self.model.repositories:
            for digest, blob in image.blobs.items():  # the blobs the model says the repository lacks
                if digest not in self.model.repositories[handle].layers and self._going_on():
                    self._upload(record, handle, digest, blob, parts=1)
        if not self._going_on():
            return
        given = {"none": None, "right": image.digest, "wrong": WRONG_DIGEST}[step["digest"]]
        outcome = self.model.put_image(handle, image.manifest, image.media_type, blobs=tuple(image.blobs),
                                       children=kids, tag=step["tag"], digest=given)
        payload = {"repositoryName": self.name(handle), "imageManifest": image.manifest.decode(),
                   "imageManifestMediaType": image.media_type,
                   **({"imageTag": step["tag"]} if step["tag"] else {}), **({"imageDigest": given} if given else {})}
        exchange = self._send(record, "PutImage", payload, outcome)
        if exchange.status == 200 and outcome.succeeds:
            answered = invariants.dig(exchange.body, "image", "imageId", "imageDigest")
            self.answered[(handle, image.digest)] = answered if isinstance(answered, str) else image.digest
            self.seen.setdefault(handle, set()).update({image.digest, *([step["tag"]] if step["tag"] else [])})
            record.puts.append((exchange, image.digest))

    def _delete_image(self, record: Step, step: dict) -> None:
        handle, digest = step["repository"], self.image(step["image"]).digest
        outcome = self._predicted(self.model.delete_image(handle, digest=digest))
        self._send(record, "BatchDeleteImage", {"repositoryName": self.name(handle),
                                                "imageIds": [{"imageDigest": self.endpoint_digest(handle, digest)}]},
                   outcome)

    def _delete_tag(self, record: Step, step: dict) -> None:
        handle = step["repository"]
        outcome = self._predicted(self.model.delete_image(handle, tag=step["tag"]))
        self._send(record, "BatchDeleteImage", {"repositoryName": self.name(handle),
                                                "imageIds": [{"imageTag": step["tag"]}]}, outcome)

    def _delete_between_pages(self, record: Step, step: dict) -> None:
        handle, digest = step["repository"], self.image(step["image"]).digest
        self._predicted(copy.deepcopy(self.model).delete_image(handle, digest=digest))
        before = invariants.expected_entries(self, handle, "ANY")
        request = {"repositoryName": self.name(handle), "maxResults": 1}
        first = self._send(record, "ListImages", request, None)
        if first.status != 200:
            raise Unsent("ListImages did not answer its first page")
        self._send(record, "BatchDeleteImage", {"repositoryName": self.name(handle),
                                                "imageIds": [{"imageDigest": self.endpoint_digest(handle, digest)}]},
                   self.model.delete_image(handle, digest=digest))
        pages = [first]
        while self._going_on() and isinstance(pages[-1].body, dict) and pages[-1].body.get("nextToken") \
                and len(pages) < invariants.MAX_PAGES:
            pages.append(self._send(record, "ListImages", {**request, "nextToken": pages[-1].body["nextToken"]}, None))
        record.walk = {"before": before, "after": invariants.expected_entries(self, handle, "ANY"), "pages": pages}

    def _start_scan(self, record: Step, step: dict) -> None:
        handle, digest = step["repository"], self.image(step["image"]).digest
        probe = self._predicted(copy.deepcopy(self.model).start_scan(handle, digest))
        if "LimitExceededException" in probe.errors:  # never scan an image twice (research 7.1)
            raise Unsent("the image was scanned before: the suite never scans an image twice")
        self._send(record, "StartImageScan", {"repositoryName": self.name(handle),
                                              "imageId": {"imageDigest": self.endpoint_digest(handle, digest)}},
                   self.model.start_scan(handle, digest))

    def _set_policy(self, record: Step, step: dict) -> None:
        operation, member = POLICY_CALLS[("set_policy", step["kind"])]
        texts = offline(self.resources.prefix, self.registry_id or "000000000000", self.client.region).texts
        text = texts.repository_policy if step["kind"] == "policy" else texts.lifecycle_policy
        self._send(record, operation, {"repositoryName": self.name(step["repository"]), member: text},
                   self.model.set_policy(step["repository"], step["kind"]))

    def _delete_policy(self, record: Step, step: dict) -> None:
        operation, _ = POLICY_CALLS[("delete_policy", step["kind"])]
        self._send(record, operation, {"repositoryName": self.name(step["repository"])},
                   self.model.delete_policy(step["repository"], step["kind"]))

    def arn(self, handle: str) -> str:
        """The repository's ARN as CreateRepository answered it, else made as ECR makes it (identifiers)."""
        if self.arns.get(handle):
            return self.arns[handle]
        if not self.registry_id:
            raise Unsent("no repository was created yet: the registry id of an ARN is not known")
        return f"arn:aws:ecr:{self.client.region}:{self.registry_id}:repository/{self.name(handle)}"

    def _tag_resource(self, record: Step, step: dict) -> None:
        arn = self.arn(step["repository"])
        self._send(record, "TagResource", {"resourceArn": arn, "tags": [{"Key": step["key"], "Value": step["value"]}]},
                   self.model.tag_resource(step["repository"], step["key"], step["value"]))

    def _untag_resource(self, record: Step, step: dict) -> None:
        arn = self.arn(step["repository"])
        outcome = self._predicted(self.model.untag_resource(step["repository"], step["key"]))
        self._send(record, "UntagResource", {"resourceArn": arn, "tagKeys": [step["key"]]}, outcome)

    def close(self) -> None:
        """Delete the program's repositories now (force); what remains is left to the run's cleanup."""
        for name in self.names.values():
            self.client.call("DeleteRepository", {"repositoryName": name, "force": True})
