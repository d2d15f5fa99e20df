"""The reference's repository, image and layer rules, one test per rule, named for it (ops rows R, I, L of
/work/shared/research/real-ecr-behaviour-operations.md; 'r' rows are docs/evidence/real-ecr-behaviour.md)."""

from __future__ import annotations

import base64
import json
import uuid

import pytest

from ecrconf.resources import images
from selftest.reference import ReferenceEcr
from selftest.reference_calls import ACCOUNT, Caller


@pytest.fixture(scope="module")
def ref():
    with ReferenceEcr() as url:
        yield Caller(url)


@pytest.fixture
def repo(ref):
    return ref.repository()


def where(repo: str, **more) -> dict:
    return {"repositoryName": repo, **more}


# --- repositories (R) ---------------------------------------------------------------------------------


def test_create_repository_twice_is_repository_already_exists(ref, repo):
    body = ref.fails("CreateRepository", where(repo), "RepositoryAlreadyExistsException")
    assert body["message"] == f"The repository with name '{repo}' already exists in the registry with id '{ACCOUNT}'"


def test_delete_repository_with_images_needs_force_r6(ref, repo):
    ref.push(repo)
    body = ref.fails("DeleteRepository", where(repo), "RepositoryNotEmptyException")
    assert body["message"] == (f"The repository with name '{repo}' in registry with id '{ACCOUNT}' cannot be deleted "
                               "because it still contains images")


def test_delete_repository_with_force_deletes_its_images_r7(ref, repo):
    ref.push(repo, tag="v1")
    assert ref.ok("DeleteRepository", where(repo, force=True))["repository"]["repositoryName"] == repo
    ref.fails("DescribeImages", where(repo), "RepositoryNotFoundException")
    ref.ok("CreateRepository", where(repo))
    assert ref.ok("ListImages", where(repo))["imageIds"] == []


def test_describe_repositories_with_one_missing_name_fails_the_whole_call_r10(ref, repo):
    body = ref.fails("DescribeRepositories", {"repositoryNames": [repo, "ops-absent"]}, "RepositoryNotFoundException")
    assert "'ops-absent'" in body["message"]


def test_put_image_tag_mutability_answers_the_setting_and_applies_it_r11(ref, repo):
    answer = ref.ok("PutImageTagMutability", where(repo, imageTagMutability="IMMUTABLE"))
    assert answer == {"registryId": ACCOUNT, "repositoryName": repo, "imageTagMutability": "IMMUTABLE"}
    ref.push(repo, tag="v1")
    image = images.unique_image(uuid.uuid4().hex)
    for blob in image.blobs.values():
        ref.upload(repo, blob)
    ref.fails("PutImage", where(repo, imageManifest=image.manifest.decode(), imageTag="v1"),
              "ImageTagAlreadyExistsException")


def test_put_image_scanning_configuration_answers_and_applies_it_r12(ref, repo):
    answer = ref.ok("PutImageScanningConfiguration", where(repo, imageScanningConfiguration={"scanOnPush": True}))
    assert answer["imageScanningConfiguration"] == {"scanOnPush": True}
    described = ref.ok("DescribeRepositories", {"repositoryNames": [repo]})["repositories"][0]
    assert described["imageScanningConfiguration"] == {"scanOnPush": True}


# --- PutImage (I.1-I.4, r6) ---------------------------------------------------------------------------


def test_put_image_digest_is_sha256_of_the_exact_manifest_bytes_r6_4(ref, repo):
    image = images.unique_image(uuid.uuid4().hex)
    for blob in image.blobs.values():
        ref.upload(repo, blob)
    text = image.manifest.decode() + "\n"  # one byte more: another digest
    answer = ref.ok("PutImage", where(repo, imageManifest=text))
    assert answer["image"]["imageId"]["imageDigest"] == images.digest_of(text.encode()) != image.digest


def test_put_image_with_a_wrong_digest_is_image_digest_does_not_match_i4(ref, repo):
    image = images.unique_image(uuid.uuid4().hex)
    for blob in image.blobs.values():
        ref.upload(repo, blob)
    wrong = "sha256:" + "0" * 64
    ref.fails("PutImage", where(repo, imageManifest=image.manifest.decode(), imageDigest=wrong),
              "ImageDigestDoesNotMatchException")
    assert ref.ok("PutImage", where(repo, imageManifest=image.manifest.decode(), imageDigest=image.digest))


def test_put_image_without_its_layers_or_config_is_layers_not_found_r6_1(ref, repo):
    image = images.unique_image(uuid.uuid4().hex)
    config, layer = image.blobs
    ref.upload(repo, image.blobs[layer])  # the config blob is missing
    body = ref.fails("PutImage", where(repo, imageManifest=image.manifest.decode()), "LayersNotFoundException")
    assert body["message"] == (f"Layers with digests '[{config}]' required for pushing image into repository with "
                               f"name '{repo}' in the registry with id '{ACCOUNT}' do not exist")


def test_put_index_of_absent_manifests_is_referenced_images_not_found(ref, repo):
    index = images.image_index([images.unique_image(uuid.uuid4().hex)])
    ref.fails("PutImage", where(repo, imageManifest=index.manifest.decode()), "ReferencedImagesNotFoundException")


def test_put_same_manifest_and_tag_again_is_image_already_exists_r6_5(ref, repo):
    image = ref.push(repo, tag="v1")
    body = ref.fails("PutImage", where(repo, imageManifest=image.manifest.decode(), imageTag="v1"),
                     "ImageAlreadyExistsException")
    assert body["message"] == (f"Image with digest '{image.digest}' and tag 'v1' already exists in the repository "
                               f"with name '{repo}' in registry with id '{ACCOUNT}'")


def test_retag_of_a_pushed_manifest_succeeds_and_lists_both_tags_i3(ref, repo):
    image = ref.push(repo, tag="latest")
    answer = ref.ok("PutImage", where(repo, imageManifest=image.manifest.decode(), imageTag="2017.03"))
    assert answer["image"]["imageId"] == {"imageDigest": image.digest, "imageTag": "2017.03"}
    details = ref.ok("DescribeImages", where(repo))["imageDetails"]
    assert [(d["imageDigest"], sorted(d["imageTags"])) for d in details] == [(image.digest, ["2017.03", "latest"])]


def test_a_tag_of_another_image_in_an_immutable_repository_is_image_tag_already_exists_i2(ref):
    repo = ref.repository(imageTagMutability="IMMUTABLE")
    ref.push(repo, tag="v1")
    image = images.unique_image(uuid.uuid4().hex)
    for blob in image.blobs.values():
        ref.upload(repo, blob)
    body = ref.fails("PutImage", where(repo, imageManifest=image.manifest.decode(), imageTag="v1"),
                     "ImageTagAlreadyExistsException")
    assert body["message"] == (f"The image tag 'v1' already exists in the '{repo}' repository and cannot be "
                               "overwritten because the repository is immutable.")


# --- reading and deleting images (I.6-I.16) -----------------------------------------------------------


def test_batch_get_image_reports_per_item_failures_and_always_failures_i6_i8(ref, repo):
    image = ref.push(repo, tag="v1")
    other = ref.push(repo, tag="v2")
    ok = ref.ok("BatchGetImage", where(repo, imageIds=[{"imageTag": "v1"}]))
    assert ok["failures"] == [] and ok["images"][0]["imageId"] == {"imageDigest": image.digest, "imageTag": "v1"}
    asked = [{"imageTag": "absent"}, {}, {"imageTag": "v1", "imageDigest": other.digest}]
    answer = ref.ok("BatchGetImage", where(repo, imageIds=asked))
    assert answer["images"] == []
    assert [(f["imageId"], f["failureCode"]) for f in answer["failures"]] == [
        (asked[0], "ImageNotFound"), (asked[1], "MissingDigestAndTag"), (asked[2], "ImageTagDoesNotMatchDigest")]
    ref.fails("BatchGetImage", where("ops-absent", imageIds=[{"imageTag": "v1"}]), "RepositoryNotFoundException")


def test_batch_delete_by_tag_removes_the_tag_and_with_the_last_tag_the_image_i11(ref, repo):
    image = ref.push(repo, tag="a")
    ref.ok("PutImage", where(repo, imageManifest=image.manifest.decode(), imageTag="b"))
    first = ref.ok("BatchDeleteImage", where(repo, imageIds=[{"imageTag": "a"}]))
    assert first == {"imageIds": [{"imageDigest": image.digest, "imageTag": "a"}], "failures": []}
    assert ref.ok("ListImages", where(repo))["imageIds"] == [{"imageDigest": image.digest, "imageTag": "b"}]
    ref.ok("BatchDeleteImage", where(repo, imageIds=[{"imageTag": "b"}]))
    assert ref.ok("ListImages", where(repo))["imageIds"] == []


def test_batch_delete_by_digest_removes_the_image_and_lists_digest_with_each_tag_i11(ref, repo):
    image = ref.push(repo, tag="a")
    ref.ok("PutImage", where(repo, imageManifest=image.manifest.decode(), imageTag="b"))
    answer = ref.ok("BatchDeleteImage", where(repo, imageIds=[{"imageDigest": image.digest}, {"imageTag": "gone"}]))
    assert answer["imageIds"] == [{"imageDigest": image.digest, "imageTag": t} for t in ("a", "b")]
    assert [(f["imageId"], f["failureCode"]) for f in answer["failures"]] == [({"imageTag": "gone"}, "ImageNotFound")]


def test_batch_delete_of_an_image_an_index_refers_to_is_a_failure_i12(ref, repo):
    child = ref.push(repo)
    ref.push(repo, images.image_index([child]), tag="multi")
    answer = ref.ok("BatchDeleteImage", where(repo, imageIds=[{"imageDigest": child.digest}]))
    assert answer["imageIds"] == []
    assert answer["failures"][0]["failureCode"] == "ImageReferencedByManifestList"


def test_describe_images_with_an_unknown_id_fails_the_whole_call_i13(ref, repo):
    assert ref.ok("DescribeImages", where(repo)) == {"imageDetails": []}
    ref.push(repo, tag="v1")
    ref.fails("DescribeImages", where(repo, imageIds=[{"imageTag": "v1"}, {"imageTag": "nope"}]),
              "ImageNotFoundException")


def test_list_images_gives_one_entry_per_tag_and_a_bare_digest_when_untagged_i16(ref, repo):
    tagged = ref.push(repo, tag="v1")
    ref.ok("PutImage", where(repo, imageManifest=tagged.manifest.decode(), imageTag="v2"))
    untagged = ref.push(repo)
    ids = ref.ok("ListImages", where(repo))["imageIds"]
    assert ids == [{"imageDigest": tagged.digest, "imageTag": "v1"}, {"imageDigest": tagged.digest, "imageTag": "v2"},
                   {"imageDigest": untagged.digest}]
    only = ref.ok("ListImages", where(repo, filter={"tagStatus": "UNTAGGED"}))["imageIds"]
    assert only == [{"imageDigest": untagged.digest}]


def test_archived_images_have_image_status_archived_and_filters_see_it(ref, repo):
    image = ref.push(repo, tag="v1")
    answer = ref.ok("UpdateImageStorageClass", where(repo, imageId={"imageTag": "v1"}, targetStorageClass="ARCHIVE"))
    assert answer["imageStatus"] == "ARCHIVED"
    assert ref.ok("ListImages", where(repo, filter={"imageStatus": "ACTIVE"}))["imageIds"] == []
    restored = ref.ok("UpdateImageStorageClass", where(repo, imageId={"imageDigest": image.digest},
                                                       targetStorageClass="STANDARD"))
    assert restored["imageStatus"] == "ACTIVATING"


def test_list_image_referrers_gives_the_manifests_whose_subject_is_the_image(ref, repo):
    subject = ref.push(repo, tag="v1")
    config = ref.upload(repo, b"{}")
    layer = ref.upload(repo, b"signature")
    referrer = json.dumps({"schemaVersion": 2, "mediaType": images.OCI_MANIFEST,
                           "artifactType": "application/vnd.example.signature",
                           "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": config, "size": 2},
                           "layers": [{"mediaType": "application/octet-stream", "digest": layer, "size": 9}],
                           "subject": {"mediaType": images.OCI_MANIFEST, "digest": subject.digest,
                                       "size": len(subject.manifest)}})
    ref.ok("PutImage", where(repo, imageManifest=referrer))
    found = ref.ok("ListImageReferrers", where(repo, subjectId={"imageDigest": subject.digest}))["referrers"]
    assert [(r["digest"], r["artifactType"]) for r in found] == [(images.digest_of(referrer.encode()),
                                                                   "application/vnd.example.signature")]


# --- layers (L) ---------------------------------------------------------------------------------------


def test_initiate_layer_upload_answers_a_uuid_and_part_size_10485760_l1(ref, repo):
    answer = ref.ok("InitiateLayerUpload", where(repo))
    assert answer["partSize"] == 10485760 and uuid.UUID(answer["uploadId"])


def test_a_part_that_does_not_continue_the_upload_is_invalid_layer_part_with_its_members_l4(ref, repo):
    upload = ref.ok("InitiateLayerUpload", where(repo))["uploadId"]
    part = where(repo, uploadId=upload, partFirstByte=0, partLastByte=2, layerPartBlob="YWJj")
    assert ref.ok("UploadLayerPart", part)["lastByteReceived"] == 2  # L.2
    body = ref.fails("UploadLayerPart", {**part, "partFirstByte": 5, "partLastByte": 7}, "InvalidLayerPartException")
    assert {k: body[k] for k in ("registryId", "repositoryName", "uploadId", "lastValidByteReceived")} == {
        "registryId": ACCOUNT, "repositoryName": repo, "uploadId": upload, "lastValidByteReceived": 2}


def test_an_upload_id_of_another_repository_is_upload_not_found_l7(ref, repo):
    upload = ref.ok("InitiateLayerUpload", where(ref.repository()))["uploadId"]
    ref.fails("UploadLayerPart", where(repo, uploadId=upload, partFirstByte=0, partLastByte=2, layerPartBlob="YWJj"),
              "UploadNotFoundException")


def test_complete_layer_upload_checks_parts_digest_and_duplicates_l6_l7(ref, repo):
    upload = ref.ok("InitiateLayerUpload", where(repo))["uploadId"]
    complete = where(repo, uploadId=upload, layerDigests=[images.digest_of(b"abc")])
    ref.fails("CompleteLayerUpload", complete, "EmptyUploadException")  # r6.2
    ref.ok("UploadLayerPart", where(repo, uploadId=upload, partFirstByte=0, partLastByte=2, layerPartBlob="YWJj"))
    ref.fails("CompleteLayerUpload", {**complete, "layerDigests": ["sha256:" + "1" * 64]}, "InvalidLayerException")
    ref.upload(repo, b"xyz")
    again = ref.ok("InitiateLayerUpload", where(repo))["uploadId"]
    ref.ok("UploadLayerPart", where(repo, uploadId=again, partFirstByte=0, partLastByte=2,
                                    layerPartBlob=base64.b64encode(b"xyz").decode()))
    ref.fails("CompleteLayerUpload", where(repo, uploadId=again, layerDigests=[images.digest_of(b"xyz")]),
              "LayerAlreadyExistsException")


def test_batch_check_layer_availability_reports_media_types_and_failures_l8(ref, repo):
    image = ref.push(repo)
    config, layer = image.blobs
    asked = [config, layer, "sha256:" + "2" * 64, "not-a-digest"]
    answer = ref.ok("BatchCheckLayerAvailability", where(repo, layerDigests=asked))
    assert [(x["layerDigest"], x["layerAvailability"], "mediaType" in x) for x in answer["layers"]] == [
        (config, "AVAILABLE", True), (layer, "AVAILABLE", True)]
    assert [(f["layerDigest"], f["failureCode"]) for f in answer["failures"]] == [
        (asked[2], "MissingLayerDigest"), (asked[3], "InvalidLayerDigest")]


def test_get_download_url_for_layer_l9(ref, repo):
    image = ref.push(repo)
    layer = list(image.blobs)[-1]
    answer = ref.ok("GetDownloadUrlForLayer", where(repo, layerDigest=layer))
    assert answer["layerDigest"] == layer and answer["downloadUrl"].startswith("https://")
    assert "X-Amz-Expires=3600" in answer["downloadUrl"]
    loose = ref.upload(repo, b"in no image")
    ref.fails("GetDownloadUrlForLayer", where(repo, layerDigest=loose), "LayerInaccessibleException")
    body = ref.fails("GetDownloadUrlForLayer", where(repo, layerDigest="sha256:" + "3" * 64), "LayersNotFoundException")
    assert body["message"].startswith("The layer with digest 'sha256:333")
