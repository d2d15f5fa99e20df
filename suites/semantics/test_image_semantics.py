"""What the image operations mean: PutImage's blobs, the batch operations' per-item failures, BatchDeleteImage
by tag and by digest, DescribeImages with an unknown id, ListImages' tag filter (ops I.1-I.16, base 6.1).

Each test pushes small images of its own into a repository of its own (the ``resources`` fixture).
"""

from __future__ import annotations

import json

import pytest

from ecrconf import checks
from ecrconf.resources import PushedImage, Repository
from ecrconf.resources.world import ABSENT_DIGEST

ABSENT_TAG = "ecrconf-absent-tag"
MAX_PAGES = 10  # a listing of a handful of images that needs more pages than this never ends
BATCH = [pytest.param(operation, id=operation, marks=pytest.mark.operation(operation))
         for operation in ("BatchGetImage", "BatchDeleteImage")]


def _add_tag(resources, pushed: PushedImage, tag: str) -> None:
    """Tag an image that is already in its repository: PutImage of the same manifest bytes with a new tag (ops I.3)."""
    resources.call("PutImage", {"repositoryName": pushed.repository.name,
                                "imageManifest": pushed.image.manifest.decode(),
                                "imageManifestMediaType": pushed.media_type, "imageTag": tag})


def _failure_for(failures: list, image_id: dict) -> dict | None:
    """The failure whose imageId names image_id (every member image_id gives, with the same value)."""
    return next((f for f in failures if isinstance(f, dict) and isinstance(f.get("imageId"), dict)
                 and all(f["imageId"].get(key) == value for key, value in image_id.items())), None)


def _entries(image_ids: list) -> list[tuple[str | None, str | None]]:
    """(imageDigest, imageTag) of each entry, sorted: a tag-less entry has None."""
    return sorted(((i.get("imageDigest"), i.get("imageTag")) for i in image_ids if isinstance(i, dict)),
                  key=lambda entry: (entry[0] or "", entry[1] or ""))


@pytest.mark.operation("PutImage")
@pytest.mark.evidence("observed", "ops I.1; base 6.1 (the config blob counts: a config-only refusal was seen)")
@pytest.mark.parametrize("missing", ["config", "layer"])
def test_put_image_needs_every_blob_of_the_manifest(client, resources, missing):
    """PutImage of a manifest whose config blob, or one of whose layers, was never uploaded to the repository
    MUST fail with LayersNotFoundException."""
    repository = resources.repository()
    image = resources.unique_image()
    document = json.loads(image.manifest)
    absent = document["config"]["digest"] if missing == "config" else document["layers"][0]["digest"]
    for digest, blob in image.blobs.items():
        if digest != absent:
            upload = resources.initiate_upload(repository)
            resources.send_part(repository, upload, blob)
            resources.call("CompleteLayerUpload", {"repositoryName": repository.name, "uploadId": upload,
                                                   "layerDigests": [digest]})
    checks.failed_with(client.call("PutImage", {
        "repositoryName": repository.name, "imageManifest": image.manifest.decode(),
        "imageManifestMediaType": image.media_type}), {"LayersNotFoundException"})


@pytest.mark.evidence("documented", "model: the batch operations model no ImageNotFoundException, and "
                                    "ImageFailureCode; ops I.6, I.9, I.11, I.13")
@pytest.mark.parametrize("operation", BATCH)
def test_absent_images_are_failures_of_their_items(client, resources, operation):
    """BatchGetImage and BatchDeleteImage MUST answer ids of absent images (by tag, by digest) as failures of
    those items, beside the image that is there, never as an error of the whole call."""
    pushed = resources.fresh_image(tag="present")
    absent = [{"imageTag": ABSENT_TAG}, {"imageDigest": ABSENT_DIGEST}]
    exchange = client.call(operation, {"repositoryName": pushed.repository.name,
                                       "imageIds": [{"imageDigest": pushed.digest}, *absent]})
    body = checks.succeeded(exchange)
    done = body.get("images" if operation == "BatchGetImage" else "imageIds") or []
    done_digests = {(item.get("imageId", item) if isinstance(item, dict) else {}).get("imageDigest") for item in done}
    checks.require(done_digests == {pushed.digest}, "the image that is there is not the one answered",
                   received=", ".join(sorted(map(str, done_digests))) or "none", expected=pushed.digest,
                   exchange=exchange)
    failures = body.get("failures") or []
    unreported = [image_id for image_id in absent if _failure_for(failures, image_id) is None]
    checks.require(not unreported, "an absent image is not reported as a failure of its item",
                   received=json.dumps(failures)[:300], expected=f"a failure for each of {json.dumps(unreported)}",
                   exchange=exchange)


@pytest.mark.evidence("inferred", "ops I.8; base 3.17 (the codes, as emulator tests give them)")
@pytest.mark.parametrize("operation", BATCH)
def test_failure_codes_say_why_an_item_failed(client, resources, operation):
    """A tag no image has MUST fail with failureCode ImageNotFound; a tag given with the digest of another image
    of the repository MUST fail with ImageTagDoesNotMatchDigest."""
    tagged = resources.fresh_image(tag="tagged")
    other = resources.fresh_image(tagged.repository)
    expected = [({"imageTag": ABSENT_TAG}, "ImageNotFound"),
                ({"imageTag": "tagged", "imageDigest": other.digest}, "ImageTagDoesNotMatchDigest")]
    exchange = client.call(operation, {"repositoryName": tagged.repository.name,
                                       "imageIds": [image_id for image_id, _ in expected]})
    failures = checks.succeeded(exchange).get("failures") or []
    for image_id, code in expected:
        got = (_failure_for(failures, image_id) or {}).get("failureCode")
        checks.require(got == code, f"the failure of {json.dumps(image_id)} does not say {code}",
                       received=repr(got), expected=code, exchange=exchange)


@pytest.mark.operation("BatchGetImage")
@pytest.mark.evidence("documented", "ops I.6")
def test_batch_get_image_answers_failures_even_when_every_image_is_found(client, resources):
    """BatchGetImage of images that are all there MUST answer them in images, and failures as an empty list."""
    pushed = resources.fresh_image(tag="found")
    exchange = client.call("BatchGetImage", {"repositoryName": pushed.repository.name,
                                             "imageIds": [{"imageTag": "found"}]})
    body = checks.succeeded(exchange)
    digests = [image.get("imageId", {}).get("imageDigest") for image in body.get("images") or []]
    checks.require(digests == [pushed.digest], "the image asked for is not answered", received=repr(digests),
                   expected=f"[{pushed.digest!r}]", exchange=exchange)
    checks.require(body.get("failures") == [], "failures is not an empty list", received=repr(body.get("failures")),
                   expected="[]", exchange=exchange)


@pytest.mark.operation("BatchDeleteImage")
@pytest.mark.evidence("documented", "ops I.11")
def test_batch_delete_image_by_tag_removes_the_tag_and_by_digest_the_image(client, resources):
    """BatchDeleteImage by one tag of an image with two MUST remove only that tag (answered with its digest) and
    keep the image; by digest it MUST remove the image with all its tags. failures is [] when nothing failed."""
    pushed = resources.fresh_image(tag="dropped")
    _add_tag(resources, pushed, "kept")
    repository = pushed.repository
    exchange = client.call("BatchDeleteImage", {"repositoryName": repository.name,
                                                "imageIds": [{"imageTag": "dropped"}]})
    body = checks.succeeded(exchange)
    checks.require(_entries(body.get("imageIds") or []) == [(pushed.digest, "dropped")],
                   "the tag removed is not answered with its digest", received=json.dumps(body.get("imageIds")),
                   expected=json.dumps([{"imageDigest": pushed.digest, "imageTag": "dropped"}]), exchange=exchange)
    checks.require(body.get("failures") == [], "failures is not an empty list", received=repr(body.get("failures")),
                   expected="[]", exchange=exchange)
    exchange, left = _listing(client, repository, "ANY")
    checks.require(left == [(pushed.digest, "kept")], "deleting one tag did not keep the image with its other tag",
                   received=repr(left), expected=repr([(pushed.digest, "kept")]), exchange=exchange)
    checks.succeeded(client.call("BatchDeleteImage", {"repositoryName": repository.name,
                                                      "imageIds": [{"imageDigest": pushed.digest}]}))
    exchange, left = _listing(client, repository, "ANY")
    checks.require(left == [], "deleting by digest did not remove the image", received=repr(left), expected="[]",
                   exchange=exchange)


@pytest.mark.operation("DescribeImages")
@pytest.mark.evidence("observed", "ops I.13; base 1.2, 4.2")
def test_describe_images_with_one_absent_id_fails_as_a_whole(client, resources):
    """DescribeImages naming an image that is there and a tag no image has MUST fail with ImageNotFoundException,
    not answer the image that is there alone."""
    pushed = resources.fresh_image(tag="present")
    checks.failed_with(client.call("DescribeImages", {
        "repositoryName": pushed.repository.name, "imageIds": [{"imageTag": "present"}, {"imageTag": ABSENT_TAG}]}),
        {"ImageNotFoundException"})


@pytest.mark.operation("ListImages")
@pytest.mark.evidence("documented", "ops I.16")
def test_list_images_gives_one_entry_per_tag_as_the_tag_status_filter_selects(client, resources):
    """ListImages MUST give one {imageDigest, imageTag} per tag of each tagged image and one entry, without a tag,
    per untagged image; filter.tagStatus TAGGED, UNTAGGED and ANY select exactly those."""
    tagged = resources.fresh_image(tag="first")
    _add_tag(resources, tagged, "second")
    untagged = resources.fresh_image(tagged.repository)
    both = [(tagged.digest, "first"), (tagged.digest, "second")]
    wanted = {"TAGGED": both, "UNTAGGED": [(untagged.digest, None)],
              "ANY": sorted([*both, (untagged.digest, None)], key=lambda entry: (entry[0], entry[1] or ""))}
    for status, expected in wanted.items():
        exchange, got = _listing(client, tagged.repository, status)
        checks.require(got == expected, f"ListImages with tagStatus {status} does not list exactly its images",
                       received=repr(got), expected=repr(expected), exchange=exchange)


def _listing(client, repository: Repository, tag_status: str):
    """Every page of ListImages with filter.tagStatus: (the last exchange, the entries as _entries gives them)."""
    request = {"repositoryName": repository.name, "filter": {"tagStatus": tag_status}}
    found = []
    for _ in range(MAX_PAGES):
        exchange = client.call("ListImages", request)
        body = checks.succeeded(exchange)
        found += body.get("imageIds") or []
        if not body.get("nextToken"):
            return exchange, _entries(found)
        request = {**request, "nextToken": body["nextToken"]}
    raise checks.ConformanceFailure("ListImages never stops giving a nextToken", received=f"{MAX_PAGES} pages",
                                    expected=f"the last page of {len(found)} entries without nextToken",
                                    exchange=exchange)
