"""The stateful suite's oracle (ecrconf.checks.registry_model): what it predicts and how its state changes."""

from __future__ import annotations

import pytest

from ecrconf.checks.registry_model import IMMUTABLE, Registry, digest_of

MANIFEST = b'{"schemaVersion":2,"layers":["a"]}'
OTHER = b'{"schemaVersion":2,"layers":["b"]}'
OCI = "application/vnd.oci.image.manifest.v1+json"
BLOBS = ("sha256:config", "sha256:layer")


def _with_image(*, mutability: str = "MUTABLE", tag: str | None = "t1", scan_on_push: bool = False) -> Registry:
    registry = Registry()
    assert registry.create_repository("repo0", mutability=mutability, scan_on_push=scan_on_push).succeeds
    for blob in BLOBS:
        assert registry.complete_upload("repo0", blob, parts=1).succeeds
    assert registry.put_image("repo0", MANIFEST, OCI, blobs=BLOBS, tag=tag).succeeds
    return registry


def test_an_image_is_named_by_the_sha256_of_its_bytes_and_its_tag_names_it():
    repository = _with_image().repositories["repo0"]
    assert list(repository.images) == [digest_of(MANIFEST)]
    assert repository.tags == {"t1": digest_of(MANIFEST)}


def test_creating_an_existing_repository_and_deleting_an_absent_one_fail():
    registry = _with_image()
    assert registry.create_repository("repo0").errors == {"RepositoryAlreadyExistsException"}
    assert registry.delete_repository("repo1", force=True).errors == {"RepositoryNotFoundException"}


def test_a_repository_with_images_needs_force_and_comes_back_empty():
    registry = _with_image()
    assert registry.delete_repository("repo0", force=False).errors == {"RepositoryNotEmptyException"}
    assert registry.delete_repository("repo0", force=True).succeeds
    assert registry.create_repository("repo0").succeeds
    again = registry.repositories["repo0"]
    assert not again.images and not again.tags and not again.layers


def test_put_image_needs_its_blobs_and_a_matching_digest():
    registry = Registry()
    registry.create_repository("repo0")
    outcome = registry.put_image("repo0", MANIFEST, OCI, blobs=BLOBS, digest="sha256:" + "1" * 64)
    assert outcome.errors == {"LayersNotFoundException", "ImageDigestDoesNotMatchException"}
    assert not registry.repositories["repo0"].images


def test_a_mutable_tag_moves_and_the_old_image_stays_untagged():
    registry = _with_image()
    registry.complete_upload("repo0", "sha256:other", parts=1)
    assert registry.put_image("repo0", OTHER, OCI, blobs=("sha256:other",), tag="t1").succeeds
    repository = registry.repositories["repo0"]
    assert repository.tags == {"t1": digest_of(OTHER)}
    assert repository.images[digest_of(MANIFEST)].tags == set()


def test_an_immutable_tag_does_not_move():
    registry = _with_image(mutability=IMMUTABLE)
    registry.complete_upload("repo0", "sha256:other", parts=1)
    outcome = registry.put_image("repo0", OTHER, OCI, blobs=("sha256:other",), tag="t1")
    assert outcome.errors == {"ImageTagAlreadyExistsException"}
    assert registry.repositories["repo0"].tags == {"t1": digest_of(MANIFEST)}


@pytest.mark.parametrize("tag", [None, "t1"])
def test_the_same_push_again_already_exists(tag):
    registry = _with_image(tag=tag)
    assert registry.put_image("repo0", MANIFEST, OCI, blobs=BLOBS, tag=tag).errors == {"ImageAlreadyExistsException"}


def test_retagging_adds_a_tag_to_the_same_image():
    registry = _with_image()
    assert registry.put_image("repo0", MANIFEST, OCI, blobs=BLOBS, tag="t2").succeeds
    assert registry.repositories["repo0"].images[digest_of(MANIFEST)].tags == {"t1", "t2"}


def test_delete_by_tag_keeps_an_image_with_another_tag_and_the_last_tag_removes_it():
    registry = _with_image()
    registry.put_image("repo0", MANIFEST, OCI, blobs=BLOBS, tag="t2")
    assert registry.delete_image("repo0", tag="t1").succeeds
    assert registry.repositories["repo0"].tags == {"t2": digest_of(MANIFEST)}
    assert registry.delete_image("repo0", tag="t2").succeeds
    assert registry.repositories["repo0"].images == {}
    assert registry.delete_image("repo0", digest=digest_of(MANIFEST)).item_failed


def test_an_index_needs_its_images_and_they_cannot_be_judged_deleted_under_it():
    registry = _with_image()
    index = b'{"manifests":[]}'
    assert registry.put_image("repo0", index, OCI, children=("sha256:absent",)).errors == {
        "ReferencedImagesNotFoundException"}
    assert registry.put_image("repo0", index, OCI, children=(digest_of(MANIFEST),), tag="i").succeeds
    assert registry.delete_image("repo0", digest=digest_of(MANIFEST)).undetermined
    assert registry.start_scan("repo0", digest_of(index)).errors == {"UnsupportedImageTypeException"}


def test_an_image_is_scanned_once_and_a_scan_on_push_counts():
    registry = _with_image()
    assert registry.start_scan("repo0", digest_of(MANIFEST)).succeeds
    assert registry.start_scan("repo0", digest_of(MANIFEST)).errors == {"LimitExceededException"}
    pushed = _with_image(scan_on_push=True)
    assert pushed.start_scan("repo0", digest_of(MANIFEST)).errors == {"LimitExceededException"}
    assert pushed.start_scan("repo0", digest_of(OTHER)).errors == {"ImageNotFoundException"}


def test_layers_in_small_parts_and_twice_are_refused():
    registry = _with_image()
    assert registry.complete_upload("repo0", "sha256:new", parts=2).errors == {"LayerPartTooSmallException"}
    assert registry.complete_upload("repo0", BLOBS[0], parts=1).errors == {"LayerAlreadyExistsException"}


@pytest.mark.parametrize("kind, missing", [("policy", "RepositoryPolicyNotFoundException"),
                                           ("lifecycle", "LifecyclePolicyNotFoundException")])
def test_policies_are_set_and_deleted_once(kind, missing):
    registry = _with_image()
    assert registry.delete_policy("repo0", kind).errors == {missing}
    assert registry.set_policy("repo0", kind).succeeds
    assert registry.delete_policy("repo0", kind).succeeds
    assert not getattr(registry.repositories["repo0"], kind)


def test_resource_tags_overwrite_and_untag():
    registry = _with_image()
    registry.tag_resource("repo0", "k", "1")
    registry.tag_resource("repo0", "k", "2")
    assert registry.repositories["repo0"].resource_tags == {"k": "2"}
    assert registry.untag_resource("repo0", "k").succeeds
    assert registry.untag_resource("repo0", "k").undetermined


# --- uploads in progress ------------------------------------------------------------------------------

MIB5 = 5 * 1024 * 1024


def _two_repositories() -> Registry:
    registry = Registry()
    assert registry.create_repository("repo0").succeeds and registry.create_repository("repo1").succeeds
    return registry


def test_an_upload_in_parts_keeps_the_size_of_all_its_parts():
    registry = _two_repositories()
    assert registry.initiate_upload("u0", "repo0", "sha256:big", MIB5 + 10).succeeds
    assert registry.upload_part("u0", "repo0", 0, MIB5 - 1).answer == (("lastByteReceived", MIB5 - 1),)  # ops L.2
    assert registry.upload_part("u0", "repo0", 5, 9).errors == {"InvalidLayerPartException"}  # not the next byte
    assert registry.upload_part("u0", "repo0", MIB5, MIB5 + 9).succeeds
    assert registry.repositories["repo0"].unfinished == {"sha256:big"}
    assert registry.complete("u0", "repo0", right=True).succeeds
    assert registry.repositories["repo0"].layers == {"sha256:big": MIB5 + 10} and not registry.uploads
    assert not registry.repositories["repo0"].unfinished


def test_an_upload_id_is_not_found_with_another_repository_and_stays_open():
    registry = _two_repositories()
    registry.initiate_upload("u0", "repo0", "sha256:blob", 10)
    assert registry.upload_part("u0", "repo1", 0, 9).errors == {"UploadNotFoundException"}
    assert registry.complete("u0", "repo1", right=True).errors == {"UploadNotFoundException"}
    registry.delete_repository("repo1", force=True)
    assert registry.upload_part("u0", "repo1", 0, 9).errors == {"UploadNotFoundException",
                                                                 "RepositoryNotFoundException"}
    assert registry.uploads["u0"].parts == [] and registry.upload_part("u0", "repo0", 0, 9).succeeds


@pytest.mark.parametrize("parts, right, errors", [
    ([], True, {"EmptyUploadException"}),
    ([4, 6], True, {"LayerPartTooSmallException"}),
    ([4], True, {"InvalidLayerException"}),  # the bytes so far are not the blob
    ([10], False, {"InvalidLayerException"}),
    ([4, 6], False, {"LayerPartTooSmallException", "InvalidLayerException"}),
])
def test_a_completion_refused_leaves_the_blob_unavailable_and_the_upload_unused(parts, right, errors):
    registry = _two_repositories()
    registry.initiate_upload("u0", "repo0", "sha256:blob", 10)
    first = 0
    for size in parts:
        assert registry.upload_part("u0", "repo0", first, first + size - 1).succeeds
        first += size
    assert registry.complete("u0", "repo0", right=right).errors == errors
    assert not registry.uploads and registry.repositories["repo0"].unfinished == {"sha256:blob"}
    assert not registry.repositories["repo0"].layers


def test_a_blob_already_there_is_refused_and_an_upload_goes_with_its_repository():
    registry = _two_repositories()
    registry.complete_upload("repo0", "sha256:blob", parts=1, size=10)
    registry.initiate_upload("u0", "repo0", "sha256:blob", 10)
    registry.upload_part("u0", "repo0", 0, 9)
    assert registry.complete("u0", "repo0", right=True).errors == {"LayerAlreadyExistsException"}
    registry.initiate_upload("u1", "repo1", "sha256:other", 10)
    assert registry.delete_repository("repo1", force=False).succeeds and not registry.uploads


def test_a_part_of_an_upload_sent_whole_answers_its_last_byte_and_needs_its_repository():
    registry = _two_repositories()
    assert registry.part_of_whole("repo0", 41).answer == (("lastByteReceived", 41),)  # ops L.2
    registry.delete_repository("repo1", force=False)
    assert registry.part_of_whole("repo1", 41).errors == {"RepositoryNotFoundException"}
