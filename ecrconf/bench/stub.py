"""An instant loopback stand-in for ECR: canned awsJson1_1 answers, schema-valid, in microseconds.

It is not an ECR and its verdicts do not matter: it exists so that a benchmarked run spends (almost)
no time waiting, which isolates the harness's own cost per request. It keeps just enough state for the
suite's setup to succeed and its checks to run: repositories, pushed images and their tags, scans
started. It answers every operation the suite sends (``OPERATIONS``), and ``UnknownOperationException``
to the rest, to an X-Amz-Target of another service and to a method other than POST. A Content-Type
other than awsJson1_1's gets ``SerializationException``; so does a request that breaks the input schema
with a wrong JSON type, and any other breakage (unknown members aside, which awsJson1_1 ignores) gets
``InvalidParameterException``. Signatures are not checked, so the suite's SigV4 check fails on it.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ecrconf.spec import schemas
from ecrconf.wire import protocol

REGISTRY_ID = "123456789012"
REGION = "us-east-1"
INDEX_MEDIA_TYPES = frozenset({"application/vnd.oci.image.index.v1+json",
                               "application/vnd.docker.distribution.manifest.list.v2+json"})


class StubError(Exception):
    """An awsJson1_1 error answer: HTTP 400, ``__type`` and ``message``."""

    def __init__(self, error_type: str, message: str):
        super().__init__(message)
        self.error_type = error_type


class StubEcr:
    """The state and the answers; ``answer(operation, payload)`` is the whole API (no HTTP here)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._repositories: dict[str, dict] = {}

    # --- dispatch --------------------------------------------------------------------------------

    def answer(self, operation: str, payload: object) -> dict:
        """The body of the 200 answer to operation; StubError for an error answer."""
        handler = getattr(self, f"_op_{operation}", None)
        if handler is None:
            raise StubError("UnknownOperationException", f"{operation} is not an operation of this stub")
        _validate(operation, payload)
        with self._lock:
            return handler(payload)

    def next_id(self) -> str:
        """A fresh UUID-shaped id (request ids, upload ids)."""
        return f"00000000-0000-4000-8000-{next(self._ids):012d}"

    # --- repositories ----------------------------------------------------------------------------

    def _op_CreateRepository(self, p: dict) -> dict:
        name = p["repositoryName"]
        if name in self._repositories:
            raise StubError("RepositoryAlreadyExistsException", f"The repository {name} already exists")
        scan_on_push = bool(p.get("imageScanningConfiguration", {}).get("scanOnPush", False))
        self._repositories[name] = {"scanOnPush": scan_on_push, "images": {}, "tags": {}, "blobs": set(),
                                    "scanned": set(), "createdAt": time.time()}
        return {"repository": self._describe(name)}

    def _op_DeleteRepository(self, p: dict) -> dict:
        described = {"repository": self._describe(self._repository(p)[0])}
        del self._repositories[p["repositoryName"]]
        return described

    def _op_DescribeRepositories(self, p: dict) -> dict:
        names = p.get("repositoryNames")
        if names is None:
            names = sorted(self._repositories)[:p.get("maxResults", 1000)]
        for name in names:
            self._repository({"repositoryName": name})
        return {"repositories": [self._describe(name) for name in names]}

    def _describe(self, name: str) -> dict:
        repo = self._repositories[name]
        return {"repositoryArn": f"arn:aws:ecr:{REGION}:{REGISTRY_ID}:repository/{name}",
                "registryId": REGISTRY_ID, "repositoryName": name,
                "repositoryUri": f"{REGISTRY_ID}.dkr.ecr.{REGION}.amazonaws.com/{name}",
                "createdAt": repo["createdAt"], "imageTagMutability": "MUTABLE",
                "imageScanningConfiguration": {"scanOnPush": repo["scanOnPush"]},
                "encryptionConfiguration": {"encryptionType": "AES256"}}

    def _repository(self, p: dict) -> tuple[str, dict]:
        name = p["repositoryName"]
        if name not in self._repositories:
            raise StubError("RepositoryNotFoundException",
                            f"The repository with name '{name}' does not exist in the registry with id "
                            f"'{p.get('registryId', REGISTRY_ID)}'")
        return name, self._repositories[name]

    # --- layers and images -----------------------------------------------------------------------

    def _op_BatchCheckLayerAvailability(self, p: dict) -> dict:
        _, repo = self._repository(p)
        return {"layers": [{"layerDigest": d, "layerAvailability": "AVAILABLE" if d in repo["blobs"] else
                            "UNAVAILABLE"} for d in p["layerDigests"]], "failures": []}

    def _op_InitiateLayerUpload(self, p: dict) -> dict:
        self._repository(p)
        return {"uploadId": self.next_id(), "partSize": 10485760}

    def _op_UploadLayerPart(self, p: dict) -> dict:
        name, _ = self._repository(p)
        return {"registryId": REGISTRY_ID, "repositoryName": name, "uploadId": p["uploadId"],
                "lastByteReceived": p["partLastByte"]}

    def _op_CompleteLayerUpload(self, p: dict) -> dict:
        name, repo = self._repository(p)
        digest = p["layerDigests"][0]
        repo["blobs"].add(digest)
        return {"registryId": REGISTRY_ID, "repositoryName": name, "uploadId": p["uploadId"], "layerDigest": digest}

    def _op_PutImage(self, p: dict) -> dict:
        name, repo = self._repository(p)
        manifest = p["imageManifest"]
        digest = p.get("imageDigest") or "sha256:" + hashlib.sha256(manifest.encode()).hexdigest()
        media_type = p.get("imageManifestMediaType") or _manifest_media_type(manifest)
        repo["images"][digest] = media_type
        image_id = {"imageDigest": digest}
        if "imageTag" in p:
            repo["tags"][p["imageTag"]] = digest
            image_id["imageTag"] = p["imageTag"]
        if repo["scanOnPush"] and media_type not in INDEX_MEDIA_TYPES:
            repo["scanned"].add(digest)
        return {"image": {"registryId": REGISTRY_ID, "repositoryName": name, "imageId": image_id,
                          "imageManifest": manifest, "imageManifestMediaType": media_type}}

    # --- scans -----------------------------------------------------------------------------------

    def _op_StartImageScan(self, p: dict) -> dict:
        name, repo, image_id = self._image(p)
        digest = image_id["imageDigest"]
        if repo["images"][digest] in INDEX_MEDIA_TYPES:
            raise StubError("UnsupportedImageTypeException", "The image is not supported for scanning")
        if digest in repo["scanned"]:
            raise StubError("LimitExceededException", "The scan quota per image has been exceeded")
        repo["scanned"].add(digest)
        return {"registryId": REGISTRY_ID, "repositoryName": name, "imageId": image_id,
                "imageScanStatus": {"status": "IN_PROGRESS"}}

    def _op_DescribeImageScanFindings(self, p: dict) -> dict:
        name, repo, image_id = self._image(p)
        if image_id["imageDigest"] not in repo["scanned"]:
            raise StubError("ScanNotFoundException", "No scan has been started for this image")
        return {"registryId": REGISTRY_ID, "repositoryName": name, "imageId": image_id,
                "imageScanStatus": {"status": "COMPLETE", "description": "The scan was completed successfully."},
                "imageScanFindings": {"findings": [], "findingSeverityCounts": {},
                                      "imageScanCompletedAt": time.time(),
                                      "vulnerabilitySourceUpdatedAt": time.time()}}

    def _image(self, p: dict) -> tuple[str, dict, dict]:
        """The repository and the imageId of the one image p names: ImageNotFoundException otherwise."""
        name, repo = self._repository(p)
        asked = p["imageId"]
        by_tag = repo["tags"].get(asked["imageTag"]) if "imageTag" in asked else None
        digest = asked.get("imageDigest", by_tag)
        if digest not in repo["images"] or ("imageTag" in asked and by_tag != digest):
            raise StubError("ImageNotFoundException", f"The image with imageId {json.dumps(asked)} does not exist "
                                                      f"within the repository with name '{name}'")
        return name, repo, {"imageDigest": digest, **({"imageTag": asked["imageTag"]} if "imageTag" in asked else {})}


OPERATIONS = tuple(sorted(name[len("_op_"):] for name in vars(StubEcr) if name.startswith("_op_")))


def _validate(operation: str, payload: object) -> None:
    validator = schemas.validator("input", operation)
    if validator.is_valid(payload):
        return
    errors = [e for e in validator.iter_errors(payload) if e.validator != "additionalProperties"]
    if not errors:
        return
    if any(e.validator == "type" for e in errors):
        raise StubError("SerializationException", "Start of structure or map found where not expected.")
    raise StubError("InvalidParameterException", errors[0].message[:200])


def _manifest_media_type(manifest: str) -> str:
    try:
        return str(json.loads(manifest).get("mediaType", ""))
    except (ValueError, AttributeError):
        return ""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real endpoint allows
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall
    stub: StubEcr  # set on the subclass made by serve()
    latency: float = 0.0  # seconds every answer waits before it is written: a remote endpoint's round trip

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        target = self.headers.get("X-Amz-Target") or ""
        prefix, _, operation = target.partition(".")
        try:
            if prefix != schemas.source()["targetPrefix"] or not operation:
                raise StubError("UnknownOperationException", f"unknown X-Amz-Target {target!r}")
            if (self.headers.get("Content-Type") or "").split(";")[0].strip().lower() != protocol.CONTENT_TYPE:
                raise StubError("SerializationException", f"Content-Type must be {protocol.CONTENT_TYPE}")
            try:
                payload = json.loads(body) if body.strip() else {}
            except ValueError:
                raise StubError("SerializationException", "the body is not JSON") from None
            if not isinstance(payload, dict):
                raise StubError("SerializationException", "the body is not a JSON object")
            self._reply(200, self.stub.answer(operation, payload))
        except StubError as error:
            self._reply(400, {"__type": error.error_type, "message": str(error)})

    def do_GET(self) -> None:  # noqa: N802
        if self.headers.get("Content-Length"):
            self.rfile.read(int(self.headers["Content-Length"]))
        self._reply(400, {"__type": "UnknownOperationException", "message": f"{self.command} is not supported"})

    do_PUT = do_DELETE = do_PATCH = do_GET

    def _reply(self, status: int, document: dict) -> None:
        if self.latency:
            time.sleep(self.latency)
        data = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", protocol.CONTENT_TYPE)
        self.send_header("x-amzn-RequestId", self.stub.next_id())
        if status != 200:
            self.send_header("X-Amzn-ErrorType", document["__type"])
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (http.server's signature)
        pass  # no request log: it would cost more than the answer


def serve(host: str = "127.0.0.1", port: int = 0, *, latency: float = 0.0) -> ThreadingHTTPServer:
    """A started-on-demand stub server bound to host:port (0: the OS picks); call serve_forever() on it.

    latency (seconds) delays every answer, each request on a thread of its own, as a remote endpoint
    that is never the bottleneck would: the harness's time then overlaps with waiting, not with the
    target's own CPU."""
    handler = type("StubHandler", (_Handler,), {"stub": StubEcr(), "latency": latency})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server
