"""The API-only blob upload: BatchCheckLayerAvailability, InitiateLayerUpload, UploadLayerPart, CompleteLayerUpload."""

from __future__ import annotations

import re
import uuid

from selftest.reference.errors import error, item_failure
from selftest.reference.manifests import digest_of
from selftest.reference.operations.context import Context
from selftest.reference.registry import Repository, Upload

PART_SIZE = 10 * 1024 * 1024  # research 7.3: parts of at most 10 MiB
MIN_PART = 5 * 1024 * 1024  # research 6.3: every part but the last at least 5 MiB
LAYER_DIGEST = re.compile(r"[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+")  # the model's LayerDigest pattern


def batch_check_layer_availability(ctx: Context, request: dict) -> dict:
    repository = ctx.repository(request)
    layers, failures = [], []
    for digest in request["layerDigests"]:
        if digest in repository.layers:
            layers.append({"layerDigest": digest, "layerAvailability": "AVAILABLE",
                           "layerSize": repository.layers[digest]})
        else:
            code = "MissingLayerDigest" if LAYER_DIGEST.fullmatch(digest) else "InvalidLayerDigest"
            failures.append({"layerDigest": digest, **item_failure(code)})
    return {"layers": layers, "failures": failures}


def initiate_layer_upload(ctx: Context, request: dict) -> dict:
    repository = ctx.repository(request)
    upload = Upload(str(uuid.uuid4()))
    repository.uploads[upload.id] = upload
    return {"uploadId": upload.id, "partSize": PART_SIZE}


def upload_layer_part(ctx: Context, request: dict) -> dict:
    repository = ctx.repository(request)
    upload = _upload(repository, request["uploadId"])
    first, last, blob = request["partFirstByte"], request["partLastByte"], request["layerPartBlob"]
    if first != len(upload.data) or last - first + 1 != len(blob):
        raise error("invalid-layer-part", first=first, last=last, upload=upload.id, received=len(upload.data),
                    members={"registryId": repository.registry_id, "repositoryName": repository.name,
                             "uploadId": upload.id, "lastValidByteReceived": len(upload.data) - 1})
    upload.data += blob
    upload.part_sizes.append(len(blob))
    return {"registryId": repository.registry_id, "repositoryName": repository.name, "uploadId": upload.id,
            "lastByteReceived": last}


def complete_layer_upload(ctx: Context, request: dict) -> dict:
    repository = ctx.repository(request)
    upload = _upload(repository, request["uploadId"])
    where = {"upload": upload.id, "repository": repository.name, "registry": repository.registry_id}
    if not upload.part_sizes:
        raise error("empty-upload", **where)
    if any(size < MIN_PART for size in upload.part_sizes[:-1]):
        raise error("layer-part-too-small")
    calculated = digest_of(bytes(upload.data))
    if calculated not in request["layerDigests"]:
        raise error("invalid-layer", given=", ".join(request["layerDigests"]), calculated=calculated)
    del repository.uploads[upload.id]
    if calculated in repository.layers:
        raise error("layer-already-exists", digest=calculated, repository=repository.name,
                    registry=repository.registry_id)
    repository.layers[calculated] = len(upload.data)
    return {"registryId": repository.registry_id, "repositoryName": repository.name, "uploadId": upload.id,
            "layerDigest": calculated}


def _upload(repository: Repository, upload_id: str) -> Upload:
    found = repository.uploads.get(upload_id)
    if found is None:
        raise error("upload-not-found", upload=upload_id, repository=repository.name, registry=repository.registry_id)
    return found


HANDLERS = {"BatchCheckLayerAvailability": batch_check_layer_availability,
            "InitiateLayerUpload": initiate_layer_upload, "UploadLayerPart": upload_layer_part,
            "CompleteLayerUpload": complete_layer_upload}
