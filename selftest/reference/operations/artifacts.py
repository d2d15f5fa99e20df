"""ListImageReferrers (OCI 1.1 referrers of an image) and UpdateImageStorageClass (archive), ops G.10, I.16."""

from __future__ import annotations

from selftest.reference.manifests import artifact_type, subject_of
from selftest.reference.operations.context import Context, echoed
from selftest.reference.paging import page

REFERRERS_PAGE = 50  # N.2: ListImageReferrers maxResults is 1-50


def list_image_referrers(ctx: Context, request: dict) -> dict:
    """The images of the repository whose manifest's ``subject`` is subjectId.imageDigest, filtered by
    artifactTypes and artifactStatus, paged; a subject with no referrers (or absent) has none."""
    repository = ctx.repository(request)
    subject = request["subjectId"]["imageDigest"]
    wanted = request.get("filter", {})
    types, status = wanted.get("artifactTypes"), wanted.get("artifactStatus", "ANY")
    referrers = []
    for image in repository.images.values():
        kind = artifact_type(image.manifest)
        if subject_of(image.manifest) != subject or (types and kind not in types) \
                or status not in ("ANY", image.status):
            continue
        referrer = {"digest": image.digest, "mediaType": image.manifest.media_type,
                    "size": len(image.manifest.text.encode()), "artifactStatus": image.status}
        if kind:
            referrer["artifactType"] = kind
        referrers.append(referrer)
    shown, more = page(referrers, request, ctx.behaviour, REFERRERS_PAGE)
    return {"referrers": shown, **more}


def update_image_storage_class(ctx: Context, request: dict) -> dict:
    """ARCHIVE archives the image (imageStatus ARCHIVED); STANDARD restores an archived one, which answers
    ACTIVATING and is ACTIVE afterwards (the reference restores at once). Unknown image: ImageNotFound."""
    repository = ctx.repository(request)
    asked = request["imageId"]
    image = repository.image(asked)
    if request["targetStorageClass"] == "ARCHIVE":
        image.status = answered = "ARCHIVED"
    else:
        answered = "ACTIVATING" if image.status == "ARCHIVED" else "ACTIVE"
        image.status = "ACTIVE"
    return {"registryId": repository.registry_id, "repositoryName": repository.name,
            "imageId": echoed(asked, image.digest), "imageStatus": answered}


HANDLERS = {"ListImageReferrers": list_image_referrers, "UpdateImageStorageClass": update_image_storage_class}
