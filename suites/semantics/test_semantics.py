"""What operations mean beyond their shapes: named requirements, each resting on its dossier rows.

Each test makes its own resources (the ``resources`` fixture), under the run's prefix.
"""

from __future__ import annotations

import base64
import time
from urllib.parse import urlsplit

import pytest

from ecrconf import checks
from ecrconf.resources import images


def _put_new_image(client, resources, repository, **members):
    """A new image's blobs uploaded to repository, then PutImage of its manifest with members added:
    (the image, the PutImage exchange)."""
    image = resources.unique_image()
    resources.upload_blobs(repository, image)
    return image, client.call("PutImage", {"repositoryName": repository.name, "imageManifest": image.manifest.decode(),
                                           "imageManifestMediaType": image.media_type, **members})


@pytest.mark.operation("PutImage")
@pytest.mark.evidence("documented", "model: PutImage imageDigest; ops I.4; base 6.12")
def test_put_image_digest_is_the_sha256_of_the_manifest_bytes(client, resources):
    """PutImage without imageDigest MUST name the image by the sha256 digest of the exact manifest bytes sent."""
    image, exchange = _put_new_image(client, resources, resources.repository())
    got = (checks.succeeded(exchange).get("image") or {}).get("imageId", {}).get("imageDigest")
    checks.require(got == images.digest_of(image.manifest), "the image is not named by the digest of its manifest",
             received=repr(got), expected=images.digest_of(image.manifest), exchange=exchange)


@pytest.mark.operation("PutImage")
@pytest.mark.evidence("documented", "model: ImageDigestDoesNotMatchException; ops I.4")
def test_put_image_with_a_digest_that_does_not_match_is_refused(client, resources):
    """PutImage with an imageDigest that is not the manifest's MUST fail with ImageDigestDoesNotMatchException."""
    _, exchange = _put_new_image(client, resources, resources.repository(), imageDigest="sha256:" + "1" * 64)
    checks.failed_with(exchange, {"ImageDigestDoesNotMatchException"})


@pytest.mark.operation("CreateRepository")
@pytest.mark.evidence("observed", "ops R.5, R.13; base 6.13")
def test_creating_an_existing_repository_is_refused(client, resources):
    """CreateRepository for a name that exists MUST fail with RepositoryAlreadyExistsException."""
    repository = resources.repository()
    checks.failed_with(client.call("CreateRepository", {"repositoryName": repository.name}),
                       {"RepositoryAlreadyExistsException"})


@pytest.mark.operation("DeleteRepository")
@pytest.mark.evidence("observed", "ops R.6, R.7")
def test_deleting_a_repository_with_images_needs_force(client, resources):
    """DeleteRepository of a repository that holds images MUST fail with RepositoryNotEmptyException unless force is set."""
    pushed = resources.fresh_image(tag="kept")
    checks.failed_with(client.call("DeleteRepository", {"repositoryName": pushed.repository.name}),
                       {"RepositoryNotEmptyException"})


@pytest.mark.operation("GetAuthorizationToken")
@pytest.mark.evidence("documented", "ops G.1; API_GetAuthorizationToken")
def test_authorization_token_is_base64_aws_password_valid_about_12_hours(client):
    """GetAuthorizationToken MUST give base64 "AWS:<password>" tokens that expire in the future, about 12 hours on."""
    exchange = client.call("GetAuthorizationToken", {})
    data = checks.succeeded(exchange).get("authorizationData") or []
    checks.require(bool(data), "no authorizationData", received="[]", expected="one entry", exchange=exchange)
    token, expires = data[0].get("authorizationToken", ""), data[0].get("expiresAt")
    try:
        user, _, password = base64.b64decode(token, validate=True).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        user, password = "", ""
    checks.require(user == "AWS" and bool(password), "the token is not base64 of AWS:<password>",
             received=repr(token[:40]), expected="base64 of 'AWS:' and a password", exchange=exchange)
    hours = (expires - time.time()) / 3600 if isinstance(expires, (int, float)) else None
    checks.require(hours is not None and 11 <= hours <= 13, "the token does not expire about 12 hours on",
             received=f"expiresAt {expires!r}", expected="epoch seconds 11 to 13 hours from now", exchange=exchange)


@pytest.mark.operation("PutImage")
@pytest.mark.evidence("observed", "ops I.2 (the error type, seen by name; its text only through the registry API)")
def test_an_immutable_tag_cannot_move_to_another_image(client, resources):
    """PutImage of another image under a tag an IMMUTABLE repository already has MUST fail with ImageTagAlreadyExistsException."""
    repository = resources.repository(tag_mutability="IMMUTABLE")
    resources.push(repository, resources.unique_image(), tag="fixed")
    _, exchange = _put_new_image(client, resources, repository, imageTag="fixed")
    checks.failed_with(exchange, {"ImageTagAlreadyExistsException"})


@pytest.mark.operation("UploadLayerPart")
@pytest.mark.evidence("documented", "ops L.2, L.4")
def test_a_layer_part_must_continue_the_upload(client, resources):
    """UploadLayerPart whose partFirstByte is not the next byte of the upload MUST fail with InvalidLayerPartException."""
    repository = resources.repository()
    upload = resources.initiate_upload(repository)
    resources.send_part(repository, upload, b"first part of the layer\n")
    checks.failed_with(client.call("UploadLayerPart", {
        "repositoryName": repository.name, "uploadId": upload, "partFirstByte": 100, "partLastByte": 104,
        "layerPartBlob": base64.b64encode(b"gap!\n").decode()}), {"InvalidLayerPartException"})


@pytest.mark.operation("CompleteLayerUpload")
@pytest.mark.evidence("documented", "model: InvalidLayerException; ops L.6, L.7; base 6.12")
def test_a_layer_digest_that_does_not_match_the_bytes_is_refused(client, resources):
    """CompleteLayerUpload whose layerDigests name no digest of the bytes uploaded MUST fail with InvalidLayerException."""
    repository = resources.repository()
    upload = resources.initiate_upload(repository)
    resources.send_part(repository, upload, f"the layer of {repository.name}\n".encode())
    checks.failed_with(client.call("CompleteLayerUpload", {
        "repositoryName": repository.name, "uploadId": upload,
        "layerDigests": [images.digest_of(b"bytes that were never uploaded\n")]}), {"InvalidLayerException"})


@pytest.mark.operation("GetAuthorizationToken")
@pytest.mark.evidence("documented", "ops G.1, G.3; API_AuthorizationData: proxyEndpoint "
                                    "https://aws_account_id.dkr.ecr.region.amazonaws.com")
def test_proxy_endpoint_is_an_https_registry_url(client):
    """GetAuthorizationToken MUST give each entry a proxyEndpoint that is the https URL of a registry: scheme and
    host (and port), no path, query or credentials. The host itself is not judged: an emulator's is its own."""
    exchange = client.call("GetAuthorizationToken", {})
    data = checks.succeeded(exchange).get("authorizationData") or []
    checks.require(bool(data), "no authorizationData", received="[]", expected="one entry", exchange=exchange)
    for entry in data:
        endpoint = entry.get("proxyEndpoint")
        checks.require(_is_https_origin(endpoint), "proxyEndpoint is not the https URL of a registry",
                       received=repr(endpoint), expected="https://<host>[:port], nothing after it", exchange=exchange)


def _is_https_origin(url: object) -> bool:
    """Whether url is https://host[:port] with nothing else (a trailing "/" allowed)."""
    if not isinstance(url, str):
        return False
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:  # a port that is not a number, a malformed IPv6 host
        return False
    return (parts.scheme == "https" and bool(parts.hostname) and port_ok and parts.path in ("", "/")
            and not parts.query and not parts.fragment and parts.username is None and parts.password is None)
