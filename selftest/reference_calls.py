"""Calls to the reference endpoint for its self-tests: an EcrClient signed with the reference's keys,
plus the API-only push (research 6.12) and the answer checks every test repeats."""

from __future__ import annotations

import base64
import uuid

from ecrconf.resources import images
from ecrconf.spec import schemas
from ecrconf.wire.client import Credentials, EcrClient
from selftest.reference import REFERENCE_KEYS, REGION

ACCOUNT = "123456789012"


class Caller:
    """One reference endpoint, called the way the suite calls targets."""

    def __init__(self, url: str):
        keys = REFERENCE_KEYS
        self.client = EcrClient(url, REGION, Credentials(keys.access_key, keys.secret_key, keys.token), timeout=10)

    def ok(self, operation: str, payload: dict | None = None) -> dict:
        """The answer of a call that must succeed: status 200 and a body valid against the output schema
        (as the suite holds answers to it: schemas.validator)."""
        exchange = self.client.call(operation, payload or {})
        assert exchange.status == 200, f"{operation}: {exchange.status} {exchange.body}"
        assert schemas.violations("output", operation, exchange.body) == [], exchange.body
        return exchange.body

    def fails(self, operation: str, payload: dict, error_type: str, status: int = 400) -> dict:
        """The body of a call that must fail with error_type (and status)."""
        exchange = self.client.call(operation, payload)
        assert (exchange.status, exchange.body.get("__type")) == (status, error_type), exchange.body
        return exchange.body

    def repository(self, **settings) -> str:
        name = f"ops-{uuid.uuid4().hex[:10]}"
        self.ok("CreateRepository", {"repositoryName": name, **settings})
        return name

    def upload(self, repository: str, blob: bytes) -> str:
        """The blob uploaded in one part; its digest."""
        upload = self.ok("InitiateLayerUpload", {"repositoryName": repository})["uploadId"]
        self.ok("UploadLayerPart", {"repositoryName": repository, "uploadId": upload, "partFirstByte": 0,
                                    "partLastByte": len(blob) - 1,
                                    "layerPartBlob": base64.b64encode(blob).decode()})
        digest = images.digest_of(blob)
        self.ok("CompleteLayerUpload", {"repositoryName": repository, "uploadId": upload, "layerDigests": [digest]})
        return digest

    def push(self, repository: str, image: images.Image | None = None, tag: str | None = None) -> images.Image:
        """image (a new unique one by default) pushed through the API, tagged when tag is given."""
        image = image or images.unique_image(uuid.uuid4().hex)
        for blob in image.blobs.values():
            self.upload(repository, blob)
        payload = {"repositoryName": repository, "imageManifest": image.manifest.decode()}
        self.ok("PutImage", {**payload, **({"imageTag": tag} if tag else {})})
        return image


def arn(repository: str, region: str = REGION, account: str = ACCOUNT) -> str:
    return f"arn:aws:ecr:{region}:{account}:repository/{repository}"
