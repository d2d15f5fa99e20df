"""The reference's stateful breakage knobs (for suites/stateful): each test shows that the strict default keeps
state as real ECR does across calls, and that its knob breaks exactly that and no more.

Rows cited: 'ops' rows are /work/shared/research/real-ecr-behaviour-operations.md, 'research' rows
/work/shared/research/real-ecr-behaviour.md (copied to docs/evidence/)."""

from __future__ import annotations

import base64
import json
import uuid

import pytest

from ecrconf.resources import images
from ecrconf.wire import protocol
from selftest.reference import Behaviour, ReferenceEcr
from selftest.reference_calls import Caller

PAGE = 2  # maxResults of every page of the walks below


def where(repo: str, **more) -> dict:
    return {"repositoryName": repo, **more}


def uploaded(ref: Caller, repo: str) -> images.Image:
    """A new image whose blobs are in the repository, not yet put."""
    image = images.unique_image(uuid.uuid4().hex)
    for blob in image.blobs.values():
        ref.upload(repo, blob)
    return image


def listed(ref: Caller, repo: str, **more) -> list[dict]:
    return ref.ok("ListImages", where(repo, **more))["imageIds"]


def described(ref: Caller, repo: str) -> list[tuple[str, list[str]]]:
    return [(d["imageDigest"], d.get("imageTags", [])) for d in ref.ok("DescribeImages", where(repo))["imageDetails"]]


# --- image_digest_source: the digest computed from something other than the manifest bytes -----------------

def test_strict_digest_is_the_sha256_of_the_bytes_and_names_the_image_everywhere():
    # research 6.4 (OBS): the image digest is the sha256 of the exact manifest bytes.
    with ReferenceEcr() as url:
        ref = Caller(url)
        repo = ref.repository()
        image = uploaded(ref, repo)
        put = ref.ok("PutImage", where(repo, imageManifest=image.manifest.decode(), imageTag="v1"))
        got = ref.ok("BatchGetImage", where(repo, imageIds=[{"imageDigest": image.digest}]))
        assert put["image"]["imageId"]["imageDigest"] == image.digest == images.digest_of(image.manifest)
        assert got["images"][0]["imageManifest"] == image.manifest.decode() and got["failures"] == []
        assert listed(ref, repo) == [{"imageDigest": image.digest, "imageTag": "v1"}]


def _moto_digest(image: images.Image) -> str:
    layers = json.loads(image.manifest)["layers"]
    return images.digest_of("".join(layer["digest"] for layer in layers).encode())


def _sorted_digest(image: images.Image) -> str:
    return images.digest_of(json.dumps(json.loads(image.manifest), sort_keys=True, separators=(",", ":")).encode())


@pytest.mark.parametrize("source, expected", [("reserialised", _sorted_digest), ("layers", _moto_digest)])
def test_image_digest_source_names_the_image_by_another_digest_consistently(source, expected):
    with ReferenceEcr(Behaviour(image_digest_source=source)) as url:
        ref = Caller(url)
        repo = ref.repository()
        image = uploaded(ref, repo)
        put = ref.ok("PutImage", where(repo, imageManifest=image.manifest.decode(), imageTag="v1"))["image"]
        other = expected(image)
        assert put["imageId"]["imageDigest"] == other != image.digest
        assert put["imageManifest"] == image.manifest.decode()  # the bytes are kept as sent
        assert listed(ref, repo) == [{"imageDigest": other, "imageTag": "v1"}]
        assert described(ref, repo) == [(other, ["v1"])]
        got = ref.ok("BatchGetImage", where(repo, imageIds=[{"imageDigest": other}, {"imageDigest": image.digest}]))
        assert [i["imageManifest"] for i in got["images"]] == [image.manifest.decode()]  # its digest is not theirs
        assert [(f["imageId"], f["failureCode"]) for f in got["failures"]] == [
            ({"imageDigest": image.digest}, "ImageNotFound")]
        ref.fails("PutImage", where(repo, imageManifest=image.manifest.decode(), imageDigest=other),
                  "ImageDigestDoesNotMatchException")  # a given digest is still held to the bytes' (ops I.4)
        again = ref.ok("PutImage", where(repo, imageManifest=image.manifest.decode(), imageDigest=image.digest,
                                         imageTag="v2"))["image"]
        assert again["imageId"] == {"imageDigest": other, "imageTag": "v2"}  # the same image, named the other way
        assert listed(ref, repo) == [{"imageDigest": other, "imageTag": t} for t in ("v1", "v2")]
        deleted = ref.ok("BatchDeleteImage", where(repo, imageIds=[{"imageDigest": other}]))
        assert deleted["imageIds"] == [{"imageDigest": other, "imageTag": t} for t in ("v1", "v2")]
        assert listed(ref, repo) == []


# --- retag_keeps_old_image: a re-pushed tag that stays on the old image -------------------------------------

@pytest.mark.parametrize("knob", [False, True], ids=["strict", "retag_keeps_old_image"])
def test_a_mutable_tag_pushed_again_moves_to_the_new_image_unless_the_knob_keeps_it(knob):
    # Strict: ops I.2 (an IMMUTABLE repository refuses to overwrite a tag, so a MUTABLE one overwrites it) and
    # I.3 (PutImage tags the image it names). That the old image is then untagged is inferred from those rows.
    with ReferenceEcr(Behaviour(retag_keeps_old_image=knob)) as url:
        ref = Caller(url)
        repo = ref.repository()
        old = ref.push(repo, tag="v1")
        new = uploaded(ref, repo)
        put = ref.ok("PutImage", where(repo, imageManifest=new.manifest.decode(), imageTag="v1"))["image"]
        assert put["imageId"] == {"imageDigest": new.digest, "imageTag": "v1"}  # the answer is the same either way
        by_tag = ref.ok("DescribeImages", where(repo, imageIds=[{"imageTag": "v1"}]))["imageDetails"]
        untagged = listed(ref, repo, filter={"tagStatus": "UNTAGGED"})
    holder, bare = (old, new) if knob else (new, old)
    assert [d["imageDigest"] for d in by_tag] == [holder.digest]
    assert untagged == [{"imageDigest": bare.digest}]


def test_retag_keeps_old_image_leaves_an_immutable_tag_refused():
    with ReferenceEcr(Behaviour(retag_keeps_old_image=True)) as url:
        ref = Caller(url)
        repo = ref.repository(imageTagMutability="IMMUTABLE")
        ref.push(repo, tag="v1")
        new = uploaded(ref, repo)
        ref.fails("PutImage", where(repo, imageManifest=new.manifest.decode(), imageTag="v1"),
                  "ImageTagAlreadyExistsException")  # ops I.2


# --- deleted_images_still_got: a deleted image still answered by BatchGetImage ------------------------------

@pytest.mark.parametrize("knob", [False, True], ids=["strict", "deleted_images_still_got"])
def test_an_image_deleted_by_digest_is_gone_except_from_batch_get_image_under_the_knob(knob):
    # Strict: ops I.11 (BatchDeleteImage by digest removes the image and all its tags) and I.8 (an absent image is
    # a per-item ImageNotFound failure of BatchGetImage; that code is SEC, so advisory in the suite).
    with ReferenceEcr(Behaviour(deleted_images_still_got=knob)) as url:
        ref = Caller(url)
        repo = ref.repository()
        image = ref.push(repo, tag="v1")
        ref.ok("BatchDeleteImage", where(repo, imageIds=[{"imageDigest": image.digest}]))
        assert listed(ref, repo) == [] and described(ref, repo) == []
        ref.fails("DescribeImages", where(repo, imageIds=[{"imageDigest": image.digest}]), "ImageNotFoundException")
        by_digest = ref.ok("BatchGetImage", where(repo, imageIds=[{"imageDigest": image.digest}]))
        by_tag = ref.ok("BatchGetImage", where(repo, imageIds=[{"imageTag": "v1"}]))
    assert [f["failureCode"] for f in by_tag["failures"]] == ["ImageNotFound"] and by_tag["images"] == []
    if knob:
        assert by_digest["failures"] == []
        assert [(i["imageId"], i["imageManifest"]) for i in by_digest["images"]] == [
            ({"imageDigest": image.digest}, image.manifest.decode())]
    else:
        assert by_digest["images"] == [] and [f["failureCode"] for f in by_digest["failures"]] == ["ImageNotFound"]


# --- force_delete_keeps_images: a repository deleted with force whose images stay ----------------------------

@pytest.mark.parametrize("knob", [False, True], ids=["strict", "force_delete_keeps_images"])
def test_a_repository_deleted_with_force_comes_back_empty_unless_the_knob_keeps_its_images(knob):
    # Strict: ops R.7 (DOC): DeleteRepository with force deletes the images with the repository.
    with ReferenceEcr(Behaviour(force_delete_keeps_images=knob)) as url:
        ref = Caller(url)
        repo = ref.repository()
        image = ref.push(repo, tag="v1")
        assert ref.ok("DeleteRepository", where(repo, force=True))["repository"]["repositoryName"] == repo
        ref.fails("DescribeRepositories", {"repositoryNames": [repo]}, "RepositoryNotFoundException")
        ref.fails("ListImages", where(repo), "RepositoryNotFoundException")
        assert listed(ref, ref.repository()) == []  # another name gets nothing
        ref.ok("CreateRepository", where(repo))
        again = listed(ref, repo)
        got = ref.ok("BatchGetImage", where(repo, imageIds=[{"imageTag": "v1"}]))
    if knob:
        assert again == [{"imageDigest": image.digest, "imageTag": "v1"}]
        assert [i["imageManifest"] for i in got["images"]] == [image.manifest.decode()]
    else:
        assert again == [] and [f["failureCode"] for f in got["failures"]] == ["ImageNotFound"]


def test_force_delete_keeps_images_keeps_nothing_when_deleted_empty():
    with ReferenceEcr(Behaviour(force_delete_keeps_images=True)) as url:
        ref = Caller(url)
        repo = ref.repository()
        image = ref.push(repo)
        ref.ok("BatchDeleteImage", where(repo, imageIds=[{"imageDigest": image.digest}]))
        ref.ok("DeleteRepository", where(repo, force=True))
        ref.ok("CreateRepository", where(repo))
        assert listed(ref, repo) == []


# --- offset_tokens: pages that skip or repeat an item when the list changes between them ---------------------
# Strict: a nextToken names the place of the last item given (paging.py), so an item present for the whole walk is
# on exactly one page whatever is deleted or added between pages. Inferred: ops N.2 says only that nextToken is
# opaque; no row captures ECR paging across a deletion.

class Listing:
    """One list operation over items the test made: how to list, name, delete and add an item."""

    def __init__(self, ref: Caller, operation: str, count: int = 5):
        self.ref, self.operation = ref, operation
        if operation == "DescribeRepositories":
            self.payload, self.key, self.item_key = {}, "repositories", "repositoryName"
        else:
            self.payload = where(ref.repository())
            self.key = "imageIds" if operation == "ListImages" else "imageDetails"
            self.item_key = "imageDigest"
        self.items = [self.add() for _ in range(count)]  # in creation order

    def add(self) -> str:
        if self.operation == "DescribeRepositories":
            return self.ref.repository()
        return self.ref.push(self.payload["repositoryName"]).digest

    def delete(self, item: str) -> None:
        if self.operation == "DescribeRepositories":
            self.ref.ok("DeleteRepository", {"repositoryName": item})
        else:
            self.ref.ok("BatchDeleteImage", {**self.payload, "imageIds": [{"imageDigest": item}]})

    def walk(self, between, largest: int = PAGE) -> list[str]:
        """The items of every page in turn, maxResults PAGE; between(first page's items) runs after the first."""
        seen, token = [], None
        for number in range(20):
            answer = self.ref.ok(self.operation, {**self.payload, "maxResults": PAGE,
                                                  **({"nextToken": token} if token else {})})
            page = [item[self.item_key] for item in answer[self.key]]
            assert len(page) <= largest
            seen += page
            if number == 0:
                between(page)
            token = answer.get("nextToken")
            if token is None:
                return seen
        raise AssertionError(f"{self.operation}: still a nextToken after 20 pages")


OPERATIONS = ["DescribeRepositories", "ListImages", "DescribeImages"]
# The strict reference and the conformant variants short-pages and lists-newest-first (selftest/reference/mutants.toml).
VARIANTS = {"strict": Behaviour(), "short-pages": Behaviour(page_size_cap=1),
            "lists-newest-first": Behaviour(reverse_list_order=True)}
DELETED = {"first-given": lambda page, rest: page[0], "last-given": lambda page, rest: page[-1],
           "not-yet-given": lambda page, rest: rest[0]}


@pytest.mark.parametrize("deleted", list(DELETED))
@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("operation", OPERATIONS)
def test_an_item_deleted_between_pages_neither_repeats_nor_skips_the_others(operation, variant, deleted):
    behaviour = VARIANTS[variant]
    with ReferenceEcr(behaviour) as url:
        listing = Listing(Caller(url), operation)
        order = listing.items[::-1] if behaviour.reverse_list_order else listing.items
        gone = []

        def delete(page):
            gone.append(DELETED[deleted](page, [i for i in order if i not in page]))
            listing.delete(gone[0])

        seen = listing.walk(delete, largest=behaviour.page_size_cap or PAGE)
    kept = [item for item in order if item not in gone]
    assert [item for item in seen if item not in gone] == kept  # each once, in the list's order
    assert seen.count(gone[0]) == (0 if deleted == "not-yet-given" else 1)


@pytest.mark.parametrize("operation", OPERATIONS)
def test_offset_tokens_skip_an_item_after_a_deletion_from_an_earlier_page(operation):
    with ReferenceEcr(Behaviour(offset_tokens=True)) as url:
        listing = Listing(Caller(url), operation)
        seen = listing.walk(lambda page: listing.delete(page[0]))
    items = listing.items
    assert seen == items[:2] + items[3:]  # items[2] moved onto the first page's offsets: on no page


@pytest.mark.parametrize("knob", [False, True], ids=["strict", "offset_tokens"])
@pytest.mark.parametrize("operation", OPERATIONS)
def test_an_item_added_ahead_newest_first_repeats_one_only_with_offset_tokens(operation, knob):
    with ReferenceEcr(Behaviour(reverse_list_order=True, offset_tokens=knob)) as url:
        listing = Listing(Caller(url), operation)
        seen = listing.walk(lambda page: listing.add())
    newest_first = listing.items[::-1]
    assert seen == (newest_first[:2] + newest_first[1:] if knob else newest_first)


@pytest.mark.parametrize("knob", [False, True], ids=["strict", "offset_tokens"])
def test_list_images_pages_by_image_and_tag_when_a_tag_goes_between_pages(knob):
    # ListImages gives one entry per tag (ops I.16); a cursor names the image and the tag.
    with ReferenceEcr(Behaviour(offset_tokens=knob)) as url:
        ref = Caller(url)
        repo = ref.repository()
        image = ref.push(repo, tag="a")
        for tag in ("b", "c"):
            ref.ok("PutImage", where(repo, imageManifest=image.manifest.decode(), imageTag=tag))
        first = ref.ok("ListImages", where(repo, maxResults=PAGE))
        ref.ok("BatchDeleteImage", where(repo, imageIds=[{"imageTag": "a"}]))
        second = ref.ok("ListImages", where(repo, maxResults=PAGE, nextToken=first["nextToken"]))
    assert [i["imageTag"] for i in first["imageIds"]] == ["a", "b"]
    assert [i["imageTag"] for i in second["imageIds"]] == ([] if knob else ["c"])


def test_the_stateful_knobs_are_checked():
    with pytest.raises(ValueError, match="image_digest_source"):
        Behaviour(image_digest_source="config")


# --- uploads in progress: an upload belongs to its repository; a blob's size is all its parts' -----------------

MIB5 = 5 * 1024 * 1024  # research 6.3: every part but the last at least 5 MB


def part(ref: Caller, repo: str, upload: str, blob: bytes, first: int, last: int) -> object:
    """UploadLayerPart of blob[first..last] (inclusive); the exchange."""
    return ref.client.call("UploadLayerPart", where(repo, uploadId=upload, partFirstByte=first, partLastByte=last,
                                                    layerPartBlob=base64.b64encode(blob[first:last + 1]).decode()))


@pytest.mark.parametrize("knob", [False, True])
def test_an_upload_id_is_found_only_in_its_own_repository_unless_the_knob_finds_it_anywhere(knob):
    # ops L.7 (DOC): UploadNotFoundException is "The upload could not be found, or the specified upload ID is not
    # valid for this repository" (the exception's own doc; modelled for UploadLayerPart and CompleteLayerUpload).
    blob = uuid.uuid4().hex.encode()
    with ReferenceEcr(Behaviour(upload_id_any_repository=knob)) as url:
        ref = Caller(url)
        own, other = ref.repository(), ref.repository()
        upload = ref.ok("InitiateLayerUpload", where(own))["uploadId"]
        sent = part(ref, other, upload, blob, 0, len(blob) - 1)
        completed = ref.client.call("CompleteLayerUpload", where(other, uploadId=upload,
                                                                  layerDigests=[images.digest_of(blob)]))
        if not knob:  # refused twice, and the upload is still open in its own repository
            assert [protocol.error_type(e) for e in (sent, completed)] == ["UploadNotFoundException"] * 2
            assert part(ref, own, upload, blob, 0, len(blob) - 1).status == 200
            ref.ok("CompleteLayerUpload", where(own, uploadId=upload, layerDigests=[images.digest_of(blob)]))
        else:
            assert (sent.status, completed.status) == (200, 200)
        available = {r: ref.ok("BatchCheckLayerAvailability", where(r, layerDigests=[images.digest_of(blob)]))
                     for r in (own, other)}
    holder = other if knob else own
    assert [(r, [layer["layerSize"] for layer in a["layers"]]) for r, a in available.items()] == [
        (r, [len(blob)] if r == holder else []) for r in (own, other)]


@pytest.mark.parametrize("knob", [False, True])
def test_a_blob_sent_in_two_parts_has_the_size_of_both_unless_the_knob_keeps_the_last(knob):
    # ops L.2 (DOC): parts are byte ranges of one blob; L.8 (DOC): BatchCheckLayerAvailability answers the
    # layer's layerSize. That layerSize is the size of the whole blob is INF (the only example is one part).
    blob = (uuid.uuid4().hex.encode() * (MIB5 // 32 + 8))[:MIB5 + 100]
    with ReferenceEcr(Behaviour(layer_size_of_last_part=knob)) as url:
        ref = Caller(url)
        repo = ref.repository()
        upload = ref.ok("InitiateLayerUpload", where(repo))["uploadId"]
        assert part(ref, repo, upload, blob, 0, MIB5 - 1).status == 200
        assert part(ref, repo, upload, blob, MIB5, len(blob) - 1).status == 200
        ref.ok("CompleteLayerUpload", where(repo, uploadId=upload, layerDigests=[images.digest_of(blob)]))
        single = uuid.uuid4().hex.encode()
        ref.upload(repo, single)  # one part: its last part is the whole blob, so the knob changes nothing
        layers = ref.ok("BatchCheckLayerAvailability", where(repo, layerDigests=[images.digest_of(blob),
                                                                                  images.digest_of(single)]))["layers"]
    assert [(layer["layerAvailability"], layer["layerSize"]) for layer in layers] == [
        ("AVAILABLE", 100 if knob else len(blob)), ("AVAILABLE", len(single))]


@pytest.mark.parametrize("knob", [False, True])
def test_a_blob_is_available_only_once_its_upload_completes_unless_the_knob_counts_an_open_upload(knob):
    # ops L.5, L.8 (DOC): CompleteLayerUpload makes the layer; research 6.2, 6.3, 6.12 (OBS-ECR, DOC): a refused
    # completion stores nothing. That an open upload's blob is not available is INF (what else would complete do).
    blob, torn = uuid.uuid4().hex.encode(), uuid.uuid4().hex.encode()
    digests = [images.digest_of(blob), images.digest_of(torn)]
    with ReferenceEcr(Behaviour(layer_available_before_complete=knob)) as url:
        ref = Caller(url)
        repo = ref.repository()
        upload = ref.ok("InitiateLayerUpload", where(repo))["uploadId"]
        assert part(ref, repo, upload, blob, 0, len(blob) - 1).status == 200
        halves = ref.ok("InitiateLayerUpload", where(repo))["uploadId"]
        assert part(ref, repo, halves, torn, 0, 15).status == 200  # half of it: its bytes are not the blob's
        before = ref.ok("BatchCheckLayerAvailability", where(repo, layerDigests=digests))
        ref.ok("CompleteLayerUpload", where(repo, uploadId=upload, layerDigests=[digests[0]]))
        after = ref.ok("BatchCheckLayerAvailability", where(repo, layerDigests=digests))
    assert [layer["layerDigest"] for layer in before["layers"]] == (digests[:1] if knob else [])
    assert [layer["layerDigest"] for layer in after["layers"]] == digests[:1]
    assert [f["failureCode"] for f in after["failures"]] == ["MissingLayerDigest"]


@pytest.mark.parametrize("knob", [False, True])
def test_a_refused_completion_stores_nothing_unless_the_knob_stores_the_bytes_first(knob):
    # research 6.3 (OBS-ECR): LayerPartTooSmallException; 6.12 (DOC) and ops L.6: a digest that does not match is
    # InvalidLayerException. That a refused completion leaves no layer is INF (an error stores nothing).
    small, other = uuid.uuid4().hex.encode(), uuid.uuid4().hex.encode()
    with ReferenceEcr(Behaviour(refused_layer_stored=knob)) as url:
        ref = Caller(url)
        repo = ref.repository()
        upload = ref.ok("InitiateLayerUpload", where(repo))["uploadId"]
        assert part(ref, repo, upload, small, 0, 15).status == part(ref, repo, upload, small, 16, 31).status == 200
        ref.fails("CompleteLayerUpload", where(repo, uploadId=upload, layerDigests=[images.digest_of(small)]),
                  "LayerPartTooSmallException")
        wrong = ref.ok("InitiateLayerUpload", where(repo))["uploadId"]
        assert part(ref, repo, wrong, other, 0, len(other) - 1).status == 200
        ref.fails("CompleteLayerUpload", where(repo, uploadId=wrong, layerDigests=["sha256:" + "1" * 64]),
                  "InvalidLayerException")
        fine, good = ref.ok("InitiateLayerUpload", where(repo))["uploadId"], uuid.uuid4().hex.encode()
        assert part(ref, repo, fine, good, 0, len(good) - 1).status == 200
        ref.ok("CompleteLayerUpload", where(repo, uploadId=fine, layerDigests=[images.digest_of(good)]))  # not broken
        layers = ref.ok("BatchCheckLayerAvailability", where(repo, layerDigests=[
            images.digest_of(small), images.digest_of(other), images.digest_of(good)]))["layers"]
    assert [layer["layerDigest"] for layer in layers] == (
        [images.digest_of(small), images.digest_of(other)] if knob else []) + [images.digest_of(good)]


@pytest.mark.parametrize("knob", [False, True])
def test_last_byte_received_is_the_offset_of_the_part_last_byte_unless_the_knob_counts_bytes(knob):
    # ops L.2 (DOC): UploadLayerPart answers lastByteReceived == partLastByte (inclusive offsets, 0..n-1).
    blob = uuid.uuid4().hex.encode()  # 32 bytes, sent as 0..15 and 16..31
    with ReferenceEcr(Behaviour(last_byte_received_is_count=knob)) as url:
        ref = Caller(url)
        repo = ref.repository()
        upload = ref.ok("InitiateLayerUpload", where(repo))["uploadId"]
        answered = [part(ref, repo, upload, blob, first, last).body["lastByteReceived"]
                    for first, last in ((0, 15), (16, 31))]
    assert answered == ([16, 32] if knob else [15, 31])


def test_last_byte_received_is_a_count_keeps_the_bytes_right():
    blob = uuid.uuid4().hex.encode()
    with ReferenceEcr(Behaviour(last_byte_received_is_count=True)) as url:
        ref = Caller(url)
        repo = ref.repository()
        digest = ref.upload(repo, blob)
        layers = ref.ok("BatchCheckLayerAvailability", where(repo, layerDigests=[digest]))["layers"]
    assert [(layer["layerAvailability"], layer["layerSize"]) for layer in layers] == [("AVAILABLE", len(blob))]
