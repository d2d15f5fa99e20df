"""PutImage, DescribeImages, ListImages, BatchGetImage, BatchDeleteImage (ops I.1-I.16)."""

from __future__ import annotations

import json
import re

from selftest.reference import manifests, scanning
from selftest.reference.errors import EcrError, error, item_failure
from selftest.reference.operations.context import Context
from selftest.reference.paging import page, refuse_paging_with
from selftest.reference.registry import Image, Repository

IMAGE_DIGEST = re.compile(r"[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+")  # research 3.8


def put_image(ctx: Context, request: dict) -> dict:
    repository = ctx.repository(request)
    manifest = manifests.parse(request["imageManifest"], request.get("imageManifestMediaType"))
    if ctx.behaviour.manifest_reserialised:  # breakage: keys sorted, so another digest than the bytes sent
        reserialised = json.dumps(json.loads(manifest.text), sort_keys=True, separators=(",", ":"))
        manifest = manifests.parse(reserialised, request.get("imageManifestMediaType"))
    where = {"repository": repository.name, "registry": repository.registry_id}
    given = request.get("imageDigest")  # compared with the digest of the bytes (I.4), whatever names the image
    if given is not None and given != manifest.digest and ctx.behaviour.image_digest_checked:
        raise error("image-digest-mismatch", given=given, calculated=manifest.digest)
    digest = _image_digest(ctx, manifest)
    if manifest.is_index:
        missing = [d for d in dict.fromkeys(manifest.children) if d not in repository.images]
        if missing:
            raise error("referenced-images-not-found", digests=", ".join(missing), **where)
    else:
        missing = [d for d in dict.fromkeys(_required_blobs(ctx, manifest)) if d not in repository.layers]
        if missing:  # research 6.1: the config blob counts as a layer
            raise error("layers-not-found", digests=", ".join(missing), **where)
    tag = request.get("imageTag")
    existing = repository.images.get(digest)
    if existing is not None and (tag is None or tag in existing.tags):
        # research 6.5; the API reference: "already been pushed, and there were no changes to the manifest or tag"
        raise error("image-already-exists", digest=digest, tag=tag or "null", **where)
    holder = repository.tags.get(tag) if tag is not None else None
    if holder is not None and repository.tag_is_immutable(tag):
        raise error("image-tag-already-exists", tag=tag, repository=repository.name)
    now = ctx.clock()
    image = existing or Image(manifest, now, digest=digest)
    repository.images[image.digest] = image
    if tag is not None and not (holder is not None and ctx.behaviour.retag_keeps_old_image):
        if holder is not None:  # a mutable tag moves to the new image
            repository.images[holder].tags.discard(tag)
        repository.tags[tag] = image.digest
        image.tags.add(tag)
    if existing is None and repository.scan_on_push and ctx.behaviour.scan_on_push and not manifest.is_index:
        repository.scans[image.digest] = now  # the push is the image's scan for the day (research 7.1)
    image_id = {"imageDigest": image.digest, **({"imageTag": tag} if tag is not None else {})}
    return {"image": {"registryId": repository.registry_id, "repositoryName": repository.name, "imageId": image_id,
                      "imageManifest": manifest.text, "imageManifestMediaType": manifest.media_type}}


def _image_digest(ctx: Context, manifest: manifests.Manifest) -> str:
    """The digest naming the image: the sha256 of the manifest bytes (research 6.4), or what the breakage
    image_digest_source hashes instead: the manifest re-serialised compact with sorted keys, or its layers' digests
    joined (an index's: its manifests'), as moto 5.2.5 does."""
    source = ctx.behaviour.image_digest_source
    if source == "reserialised":
        return manifests.digest_of(json.dumps(json.loads(manifest.text), sort_keys=True,
                                              separators=(",", ":")).encode())
    if source == "layers":
        joined = "".join(manifest.children if manifest.is_index else manifest.blobs[1:])
        return manifests.digest_of(joined.encode())
    return manifest.digest


def describe_images(ctx: Context, request: dict) -> dict:
    """Named images (one unknown fails the whole call, I.13), or a page of those the filter selects."""
    repository = ctx.repository(request)
    refuse_paging_with(request, "imageIds")  # N.6
    if "imageIds" in request:
        found = [_described_image(ctx, repository, image_id) for image_id in request["imageIds"]]
        shown = list({i.digest: i for i in found if i is not None}.values())
        more = {}
    else:
        shown, more = page([i for i in repository.images.values() if _filter_matches(i, request)], request,
                           ctx.behaviour, place=lambda image: (image.created,))
    return {"imageDetails": [_details(ctx, repository, image) for image in shown], **more}


def list_images(ctx: Context, request: dict) -> dict:
    """One {imageDigest, imageTag} per tag, {imageDigest} for an untagged image (I.16), paged (N.1)."""
    repository = ctx.repository(request)
    if ctx.behaviour.list_images_filter_ignored:
        request = {name: value for name, value in request.items() if name != "filter"}
    shown_tags = slice(0, 1) if ctx.behaviour.list_images_entry_per_image else slice(None)
    entries = [(image, tag) for image in repository.images.values() if _filter_matches(image, request)
               for tag in (sorted(image.tags)[shown_tags] or [None])]
    shown, more = page(entries, request, ctx.behaviour, place=lambda entry: (entry[0].created, entry[1] or ""))
    return {"imageIds": [{"imageDigest": image.digest, **({"imageTag": tag} if tag is not None else {})}
                         for image, tag in shown], **more}


def batch_get_image(ctx: Context, request: dict) -> dict:
    repository = ctx.repository(request)
    images, failures = [], []
    for image_id in request["imageIds"]:
        try:
            image = _batch_item(repository, image_id)
        except _ItemFailure as failure:
            image = _deleted_image(ctx, repository, image_id, failure.code)
            if image is None:
                failures.append(_failure(ctx, repository, image_id, failure.code))
                continue
        images.append({"registryId": repository.registry_id, "repositoryName": repository.name,
                       "imageId": {"imageDigest": image.digest, **image_id},
                       "imageManifest": image.manifest.text, "imageManifestMediaType": image.manifest.media_type})
    return {"images": images, "failures": failures}


def batch_delete_image(ctx: Context, request: dict) -> dict:
    """Per id: a tag alone (or with its digest) removes that tag, and the image with its last tag; a digest
    removes the image and all its tags. Removed ids carry digest and tag, failures [] always (I.8, I.11);
    an image an index refers to is kept (ImageReferencedByManifestList, I.12)."""
    repository = ctx.repository(request)
    removed, failures = [], []
    for image_id in request["imageIds"]:
        try:
            image = _batch_item(repository, image_id)
            if repository.referenced_by_index(image.digest) and ("imageTag" not in image_id or len(image.tags) <= 1):
                raise _ItemFailure("ImageReferencedByManifestList")
        except _ItemFailure as failure:
            failures.append(_failure(ctx, repository, image_id, failure.code))
            continue
        tag = image_id.get("imageTag")
        if tag is not None and len(image.tags) > 1 and not ctx.behaviour.delete_by_tag_removes_image:
            image.tags.discard(tag)
            del repository.tags[tag]
            removed.append({"imageDigest": image.digest, "imageTag": tag})
            continue
        removed.extend({"imageDigest": image.digest, **({"imageTag": t} if t else {})}
                       for t in (sorted(image.tags) or [None]))
        repository.remove_image(image)
        if ctx.behaviour.deleted_images_still_got:
            repository.deleted_images[image.digest] = image
    return {"imageIds": removed, "failures": failures}


def _deleted_image(ctx: Context, repository: Repository, image_id: dict, code: str) -> Image | None:
    """Under the breakage deleted_images_still_got, the image BatchDeleteImage removed that an id naming only
    a digest asks for; None otherwise."""
    if code != "ImageNotFound" or not ctx.behaviour.deleted_images_still_got or set(image_id) != {"imageDigest"}:
        return None
    return repository.deleted_images.get(image_id["imageDigest"])


def _required_blobs(ctx: Context, manifest: manifests.Manifest) -> tuple[str, ...]:
    """The config and layer digests PutImage requires in the repository (all, unless the breakage
    unchecked_blobs names "config" or "layers")."""
    unchecked = ctx.behaviour.unchecked_blobs
    config, layers = manifest.blobs[:1], manifest.blobs[1:]
    return (() if "config" in unchecked else config) + (() if "layers" in unchecked else layers)


def _described_image(ctx: Context, repository: Repository, image_id: dict) -> Image | None:
    """The image DescribeImages names; ImageNotFoundException (I.13), or None under describe_images_skips_unknown."""
    try:
        return repository.image(image_id)
    except EcrError:
        if ctx.behaviour.describe_images_skips_unknown:
            return None
        raise


def _failure(ctx: Context, repository: Repository, image_id: dict, code: str) -> dict:
    """A batch item's failure (I.8); the breakages turn an absent image into a whole-call ImageNotFoundException
    (batch_absent_image_error) or rename the code (image_failure_codes)."""
    if code == "ImageNotFound" and ctx.behaviour.batch_absent_image_error:
        repository.image(image_id)  # raises that id's ImageNotFoundException: the image is not there
    return {"imageId": image_id, **item_failure(ctx.behaviour.image_failure_codes.get(code, code))}


class _ItemFailure(Exception):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def _batch_item(repository: Repository, image_id: dict) -> Image:
    digest, tag = image_id.get("imageDigest"), image_id.get("imageTag")
    if digest is None and tag is None:
        raise _ItemFailure("MissingDigestAndTag")
    if digest is not None and not IMAGE_DIGEST.fullmatch(digest):
        raise _ItemFailure("InvalidImageDigest")
    if digest is not None and tag is not None and digest in repository.images and tag in repository.tags \
            and repository.tags[tag] != digest:
        raise _ItemFailure("ImageTagDoesNotMatchDigest")
    try:
        return repository.image(image_id)
    except EcrError:
        raise _ItemFailure("ImageNotFound") from None


def _filter_matches(image: Image, request: dict) -> bool:
    """filter.tagStatus and filter.imageStatus (I.16); absent means ANY (INF)."""
    wanted = request.get("filter", {})
    tag_status, image_status = wanted.get("tagStatus", "ANY"), wanted.get("imageStatus", "ANY")
    return (tag_status == "ANY" or (tag_status == "TAGGED") == bool(image.tags)) and \
        image_status in ("ANY", image.status)


def _details(ctx: Context, repository: Repository, image: Image) -> dict:
    manifest = image.manifest
    details = {"registryId": repository.registry_id, "repositoryName": repository.name, "imageDigest": image.digest}
    if image.tags:
        details["imageTags"] = sorted(image.tags)
    details.update({"imageSizeInBytes": manifest.size, "imagePushedAt": image.pushed_at,
                    "imageManifestMediaType": manifest.media_type})
    if manifest.config_media_type:
        details["artifactMediaType"] = manifest.config_media_type
    duration = ctx.behaviour.scan_duration
    status = scanning.status(repository, image.digest, ctx.clock(), duration, ctx.behaviour.scan_outcome)
    if status is not None:
        details["imageScanStatus"] = status
        if status["status"] == "COMPLETE":
            details["imageScanFindingsSummary"] = {
                "imageScanCompletedAt": scanning.completed_at(repository, image.digest, duration),
                "vulnerabilitySourceUpdatedAt": repository.scans[image.digest], "findingSeverityCounts": {}}
    return details


HANDLERS = {"PutImage": put_image, "DescribeImages": describe_images, "ListImages": list_images,
            "BatchGetImage": batch_get_image, "BatchDeleteImage": batch_delete_image}
