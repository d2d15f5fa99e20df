"""The run's values for the operation tables' placeholders (``fixtures/operations/README.md``).

A ``World`` belongs to one test: every root (``image``, ``upload``, ...) is made through the ECR API the
first time a placeholder asks for it, in repositories of the run (``Resources``), and stays the same
for the rest of the test. Images and uploads share one repository; a root with repository state of its
own (an empty repository, one with a policy) has a repository of its own. Each root is a plain namespace of strings, as the placeholders use them.
A root that cannot be made raises ``SetupFailed`` (the test is an ERROR, not a conformance FAIL).

Roots and states of the whole registry (pull-through cache rules, creation templates, pull-time update
exclusions, replication, backfills, a registry policy or signing configuration, or their absence) are not
made yet: the run would have to restore what it changed, so a test that needs one is skipped, saying so.
"""

from __future__ import annotations

import base64
import json
import uuid
from functools import cached_property
from types import SimpleNamespace

import pytest

from ecrconf.resources import images
from ecrconf.resources import Repository, Resources

ABSENT_DIGEST = "sha256:" + "0" * 64
ABSENT_UPLOAD = "00000000-0000-4000-8000-000000000000"
# What a test may need that belongs to the whole registry: not made until the run can restore it.
ACCOUNT_WIDE = {
    "cache_rule": "a pull-through cache rule", "template": "a repository creation template",
    "exclusion": "a pull-time update exclusion", "replication": "a replication configuration",
    "backfill": "a replication backfill", "registry_policy": "a registry policy",
    "no_registry_policy": "no registry policy", "signing_configuration": "a signing configuration",
    "no_signing_configuration": "no signing configuration",
}


def account_wide_skip(what: str) -> None:
    """Skip the test: it needs state of the whole registry, which the run does not change yet."""
    pytest.skip(f"not run: needs {ACCOUNT_WIDE[what]}, state of the whole registry that the run does not "
                "yet change and restore")


class World:
    def __init__(self, resources: Resources, region: str):
        self._resources = resources
        self.region = region

    def establish(self, needs: tuple[str, ...]) -> None:
        """Make sure of the state a table says a call needs (every such state is registry-wide, for now)."""
        for what in needs:
            account_wide_skip(what)

    def __getattr__(self, root: str):
        if root in ACCOUNT_WIDE:
            account_wide_skip(root)
        raise AttributeError(root)

    # --- what the placeholders name --------------------------------------------------------------

    @cached_property
    def registry(self) -> str:
        return self._empty.registry_id

    @cached_property
    def repository(self) -> SimpleNamespace:
        return _repository_view(self._empty, self.region)

    @cached_property
    def image(self) -> SimpleNamespace:
        pushed = self._resources.fresh_image(self._work, tag=f"v{uuid.uuid4().hex[:8]}")
        return _image_view(pushed.repository.name, pushed.image, tag=pushed.tag)

    @cached_property
    def new(self) -> SimpleNamespace:
        # Names for registry-wide things (rules, templates, principals) are given, though no test that
        # creates one runs yet (ACCOUNT_WIDE): they name nothing until then.
        nonce = uuid.uuid4().hex[:10]
        return SimpleNamespace(repository=self._resources.new_name(), tag=f"new-{nonce}",
                               cache_prefix=f"ecrconf-{nonce}", template=f"{self._resources.prefix}-t-{nonce}",
                               principal=f"arn:aws:iam::{self.registry}:role/ecrconf-{nonce}")

    @cached_property
    def new_image(self) -> SimpleNamespace:
        repository = self._work
        image = self._resources.unique_image()
        self._resources.upload_blobs(repository, image)
        return _image_view(repository.name, image, tag=None)

    @cached_property
    def unscanned(self) -> SimpleNamespace:
        pushed = self._resources.fresh_image(self._work)
        return SimpleNamespace(repository=pushed.repository.name, digest=pushed.digest)

    @cached_property
    def preview_repository(self) -> SimpleNamespace:
        repository = self._resources.repository()
        self._set("PutLifecyclePolicy", repositoryName=repository.name,
                  lifecyclePolicyText=self.texts.lifecycle_policy)
        self._set("StartLifecyclePolicyPreview", repositoryName=repository.name)
        return _repository_view(repository, self.region)

    @cached_property
    def upload(self) -> SimpleNamespace:
        repository = self._work
        return SimpleNamespace(repository=repository.name, id=self._resources.initiate_upload(repository))

    @cached_property
    def part(self) -> SimpleNamespace:
        repository = self._work
        blob = self._blob()
        return SimpleNamespace(repository=repository.name, id=self._resources.initiate_upload(repository),
                               blob=base64.b64encode(blob).decode(), last_byte=str(len(blob) - 1))

    @cached_property
    def sent(self) -> SimpleNamespace:
        repository = self._work
        upload_id = self._resources.initiate_upload(repository)
        blob = self._blob()
        self._resources.send_part(repository, upload_id, blob)
        return SimpleNamespace(repository=repository.name, id=upload_id, digest=images.digest_of(blob))

    @cached_property
    def policy_repository(self) -> SimpleNamespace:
        repository = self._resources.repository()
        self._set("SetRepositoryPolicy", repositoryName=repository.name, policyText=self.texts.repository_policy)
        return _repository_view(repository, self.region)

    @cached_property
    def lifecycle_repository(self) -> SimpleNamespace:
        repository = self._resources.repository()
        self._set("PutLifecyclePolicy", repositoryName=repository.name,
                  lifecyclePolicyText=self.texts.lifecycle_policy)
        return _repository_view(repository, self.region)

    @cached_property
    def scanned(self) -> SimpleNamespace:
        pushed = self._resources.fresh_image(self._work)
        self._set("StartImageScan", repositoryName=pushed.repository.name, imageId={"imageDigest": pushed.digest})
        return SimpleNamespace(repository=pushed.repository.name, digest=pushed.digest)

    @cached_property
    def texts(self) -> SimpleNamespace:
        return _texts(self.registry, self.region)

    @cached_property
    def absent(self) -> SimpleNamespace:
        name = f"{self._resources.prefix}-absent"
        return _absent(name, self.registry, self.region, upload=str(uuid.uuid4()))

    # --- making them -----------------------------------------------------------------------------

    @cached_property
    def _empty(self) -> Repository:
        return self._resources.repository()

    @cached_property
    def _work(self) -> Repository:
        """The repository of the roots that carry no repository state of their own: images, uploads."""
        return self._resources.repository()

    def _blob(self) -> bytes:
        return f"ecrconf layer data {uuid.uuid4()}\n".encode()

    def _set(self, operation: str, **payload) -> None:
        self._resources.call(operation, payload)


def offline(prefix: str, registry: str, region: str) -> SimpleNamespace:
    """Every placeholder filled without a call: well-formed values that name nothing the target has
    (repositories and ids under prefix), for requests that must not act on anything real (invalid ones)
    and for check ids known at collection time."""
    absent = _absent(f"{prefix}-absent", registry, region, upload=ABSENT_UPLOAD)
    name = absent.repository
    repository = SimpleNamespace(name=name, arn=absent.arn, uri=f"{registry}.dkr.ecr.{region}.amazonaws.com/{name}")
    image = _image_view(name, images.unique_image(f"{prefix}-offline"), tag=absent.tag)
    blob = base64.b64encode(b"ecrconf offline layer data\n").decode()
    in_repository = SimpleNamespace(repository=name, digest=ABSENT_DIGEST)
    return SimpleNamespace(
        registry=registry, region=region, repository=repository, image=image, new_image=image,
        texts=_texts(registry, region),
        new=SimpleNamespace(repository=name, tag=absent.tag, cache_prefix=absent.prefix, template=absent.template,
                            principal=absent.principal),
        upload=SimpleNamespace(repository=name, id=ABSENT_UPLOAD),
        part=SimpleNamespace(repository=name, id=ABSENT_UPLOAD, blob=blob, last_byte="26"),
        sent=SimpleNamespace(repository=name, id=ABSENT_UPLOAD, digest=ABSENT_DIGEST),
        policy_repository=repository, lifecycle_repository=repository, preview_repository=repository,
        scanned=in_repository, unscanned=in_repository,
        cache_rule=SimpleNamespace(prefix=absent.prefix), template=SimpleNamespace(prefix=absent.template),
        exclusion=SimpleNamespace(principal=absent.principal),
        replication=SimpleNamespace(region=_another_region(region), registry=registry),
        backfill=SimpleNamespace(id=absent.backfill), absent=absent)


def _texts(registry: str, region: str) -> SimpleNamespace:
    """Policy documents (JSON text) that allow only the account of registry."""
    account = f"arn:aws:iam::{registry}:root"
    repository_policy = {"Version": "2012-10-17", "Statement": [{
        "Sid": "ecrconf-run", "Effect": "Allow", "Principal": {"AWS": account},
        "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]}]}
    registry_policy = {"Version": "2012-10-17", "Statement": [{
        "Sid": "ecrconf-run", "Effect": "Allow", "Principal": {"AWS": account},
        "Action": ["ecr:ReplicateImage"], "Resource": f"arn:aws:ecr:{region}:{registry}:repository/*"}]}
    lifecycle_policy = {"rules": [{
        "rulePriority": 1, "description": "ecrconf: expire untagged images after 1 day",
        "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days",
                      "countNumber": 1},
        "action": {"type": "expire"}}]}
    return SimpleNamespace(repository_policy=json.dumps(repository_policy),
                           registry_policy=json.dumps(registry_policy),
                           lifecycle_policy=json.dumps(lifecycle_policy))


def _absent(name: str, registry: str, region: str, *, upload: str) -> SimpleNamespace:
    return SimpleNamespace(
        repository=name, digest=ABSENT_DIGEST, tag="ecrconf-absent-tag", upload=upload,
        arn=f"arn:aws:ecr:{region}:{registry}:repository/{name}",
        # A pull-through cache prefix is 2-30 characters: the run's prefix is longer, so a fixed one.
        prefix="ecrconf-absent", template=f"{name}-template",
        principal=f"arn:aws:iam::{registry}:role/ecrconf-absent", backfill="00000000-0000-4000-8000-00000000ba7f")


def _another_region(region: str) -> str:
    return "us-west-2" if region != "us-west-2" else "us-east-1"


def _image_view(repository: str, image: images.Image, *, tag: str | None) -> SimpleNamespace:
    layer = json.loads(image.manifest)["layers"][0]["digest"]
    return SimpleNamespace(repository=repository, digest=image.digest, tag=tag, manifest=image.manifest.decode(),
                           media_type=image.media_type, layer=layer)


def _repository_view(repository: Repository, region: str) -> SimpleNamespace:
    arn = repository.arn or f"arn:aws:ecr:{region}:{repository.registry_id}:repository/{repository.name}"
    return SimpleNamespace(name=repository.name, arn=arn, uri=repository.uri)
