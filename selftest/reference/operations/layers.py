"""The API-only blob upload and download: BatchCheckLayerAvailability, InitiateLayerUpload, UploadLayerPart,
CompleteLayerUpload, GetDownloadUrlForLayer (ops L.1-L.9)."""

from __future__ import annotations

import re
import uuid

from selftest.reference.errors import error, item_failure
from selftest.reference.manifests import blob_media_types, digest_of
from selftest.reference.operations.context import Context
from selftest.reference.registry import Repository, Upload

PART_SIZE = 10 * 1024 * 1024  # research 7.3: parts of at most 10 MiB
MIN_PART = 5 * 1024 * 1024  # research 6.3: every part but the last at least 5 MiB
LAYER_DIGEST = re.compile(r"[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+")  # the model's LayerDigest pattern
URL_LIFETIME = 3600  # seconds a download URL is valid (L.9, Q.9)


def batch_check_layer_availability(ctx: Context, request: dict) -> dict:
    """Per digest: AVAILABLE with size (and media type once an image names it), or a failure; failures []
    always (L.8)."""
    repository = ctx.repository(request)
    media_types = _media_types(repository)
    layers, failures = [], []
    received = {digest_of(bytes(upload.data)) for upload in repository.uploads.values()
                if ctx.behaviour.layer_available_before_complete}  # breakage: an open upload's bytes count
    for digest in request["layerDigests"]:
        if digest in received and digest not in repository.layers:
            layers.append({"layerDigest": digest, "layerAvailability": "AVAILABLE",
                           "layerSize": next(len(u.data) for u in repository.uploads.values()
                                             if digest_of(bytes(u.data)) == digest)})
        elif digest in repository.layers:
            layers.append({"layerDigest": digest, "layerAvailability": "AVAILABLE",
                           "layerSize": repository.layers[digest],
                           **({"mediaType": media_types[digest]} if digest in media_types else {})})
        else:
            code = "MissingLayerDigest" if LAYER_DIGEST.fullmatch(digest) else "InvalidLayerDigest"
            failures.append({"layerDigest": digest, **item_failure(code)})
    return {"layers": layers, "failures": failures}


def initiate_layer_upload(ctx: Context, request: dict) -> dict:
    """{uploadId (a UUID), partSize 10485760} only (L.1)."""
    repository = ctx.repository(request)
    upload = Upload(str(uuid.uuid4()))
    repository.uploads[upload.id] = upload
    return {"uploadId": upload.id, "partSize": PART_SIZE}


def upload_layer_part(ctx: Context, request: dict) -> dict:
    """A part must continue the upload (partFirstByte == bytes so far) and its last byte match its size,
    else InvalidLayerPartException with registryId, repositoryName, uploadId, lastValidByteReceived (L.4);
    answers lastByteReceived == partLastByte (L.2). An upload of another repository is not found (L.7)."""
    repository = ctx.repository(request)
    upload = _upload(ctx, repository, request["uploadId"])
    first, last, blob = request["partFirstByte"], request["partLastByte"], request["layerPartBlob"]
    if (first != len(upload.data) and ctx.behaviour.layer_parts_checked) or last - first + 1 != len(blob):
        raise error("invalid-layer-part", first=first, last=last, upload=upload.id, received=len(upload.data),
                    members={"registryId": repository.registry_id, "repositoryName": repository.name,
                             "uploadId": upload.id, "lastValidByteReceived": len(upload.data) - 1})
    upload.data += blob
    upload.part_sizes.append(len(blob))
    # breakage last_byte_received_is_count: the count of bytes, one more than the offset of the last
    return {"registryId": repository.registry_id, "repositoryName": repository.name, "uploadId": upload.id,
            "lastByteReceived": last + 1 if ctx.behaviour.last_byte_received_is_count else last}


def complete_layer_upload(ctx: Context, request: dict) -> dict:
    """No parts: EmptyUploadException (r6.2); a part but the last under 5 MiB: LayerPartTooSmall (r6.3); no
    given digest matching the bytes: InvalidLayerException (L.6); a blob already there: LayerAlreadyExists."""
    repository = ctx.repository(request)
    upload = _upload(ctx, repository, request["uploadId"])
    where = {"upload": upload.id, "repository": repository.name, "registry": repository.registry_id}
    if not upload.part_sizes:
        raise error("empty-upload", **where)

    def refused(code: str, **details):
        if ctx.behaviour.refused_layer_stored:  # breakage: a refused completion stores the bytes all the same
            repository.layers.setdefault(digest_of(bytes(upload.data)), len(upload.data))
        return error(code, **details)

    if any(size < MIN_PART for size in upload.part_sizes[:-1]):
        raise refused("layer-part-too-small")
    calculated = digest_of(bytes(upload.data))
    if calculated not in request["layerDigests"] and not ctx.behaviour.layer_digest_checked:
        calculated = request["layerDigests"][0]  # breakage: the bytes stored under the digest given
    if calculated not in request["layerDigests"]:
        raise refused("invalid-layer", given=", ".join(request["layerDigests"]), calculated=calculated)
    _drop(ctx, repository, upload)
    if calculated in repository.layers:
        raise error("layer-already-exists", digest=calculated, repository=repository.name,
                    registry=repository.registry_id)
    # breakage layer_size_of_last_part: the size kept is the last part's alone
    repository.layers[calculated] = upload.part_sizes[-1] if ctx.behaviour.layer_size_of_last_part else len(upload.data)
    return {"registryId": repository.registry_id, "repositoryName": repository.name, "uploadId": upload.id,
            "layerDigest": calculated}


def get_download_url_for_layer(ctx: Context, request: dict) -> dict:
    """A presigned-looking S3 URL valid 1 h (L.9, Q.9). A digest not in the repository: LayersNotFoundException
    (r6.13); uploaded but named by no image: LayerInaccessibleException (L.9)."""
    repository = ctx.repository(request)
    digest = request["layerDigest"]
    where = {"digest": digest, "repository": repository.name, "registry": repository.registry_id}
    if digest not in repository.layers:
        raise error("layer-not-found", **where)
    if not any(digest in image.manifest.blobs for image in repository.images.values()):
        raise error("layer-inaccessible", **where)
    bucket = f"prod-{ctx.region}-starport-layer-bucket.s3.{ctx.region}.amazonaws.com"
    url = (f"https://{bucket}/{repository.registry_id}/{repository.name}/{digest.replace(':', '-')}"
           f"?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires={URL_LIFETIME}&X-Amz-SignedHeaders=host")
    return {"downloadUrl": url, "layerDigest": digest}


def _media_types(repository: Repository) -> dict[str, str]:
    found: dict[str, str] = {}
    for image in repository.images.values():
        found.update(blob_media_types(image.manifest))
    return found


def _upload(ctx: Context, repository: Repository, upload_id: str) -> Upload:
    """The upload of the id in the repository named (L.7); under the breakage upload_id_any_repository, in any
    repository of its registry."""
    found = repository.uploads.get(upload_id)
    if found is None and ctx.behaviour.upload_id_any_repository:
        found = next((r.uploads[upload_id] for r in ctx.store.repositories(repository.registry_id).values()
                      if upload_id in r.uploads), None)
    if found is None:
        raise error("upload-not-found", upload=upload_id, repository=repository.name, registry=repository.registry_id)
    return found


def _drop(ctx: Context, repository: Repository, upload: Upload) -> None:
    """The upload is used no more, in whichever repository holds it."""
    for holder in (repository, *ctx.store.repositories(repository.registry_id).values()):
        if holder.uploads.get(upload.id) is upload:
            del holder.uploads[upload.id]
            return


HANDLERS = {"BatchCheckLayerAvailability": batch_check_layer_availability,
            "InitiateLayerUpload": initiate_layer_upload, "UploadLayerPart": upload_layer_part,
            "CompleteLayerUpload": complete_layer_upload, "GetDownloadUrlForLayer": get_download_url_for_layer}
