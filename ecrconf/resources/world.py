"""The run's values for the operation tables' placeholders (``fixtures/operations/README.md``).

A ``World`` belongs to one test: every root (``image``, ``upload``, ...) is made through the ECR API the
first time a placeholder asks for it, in repositories of the run (``Resources``), and stays the same
for the rest of the test. Each root is a plain namespace of strings, as the placeholders use them.
A root that cannot be made raises ``SetupFailed`` (the test is an ERROR, not a conformance FAIL).
"""

from __future__ import annotations

import base64
import json
import uuid
from functools import cached_property
from types import SimpleNamespace

from ecrconf import images
from ecrconf.resources import Repository, Resources

ABSENT_DIGEST = "sha256:" + "0" * 64


class World:
    def __init__(self, resources: Resources, region: str):
        self._resources = resources
        self.region = region

    # --- what the placeholders name --------------------------------------------------------------

    @cached_property
    def registry(self) -> str:
        return self._empty.registry_id

    @cached_property
    def repository(self) -> SimpleNamespace:
        return _repository_view(self._empty, self.region)

    @cached_property
    def image(self) -> SimpleNamespace:
        pushed = self._resources.fresh_image(tag=f"v{uuid.uuid4().hex[:8]}")
        layer = json.loads(pushed.image.manifest)["layers"][0]["digest"]
        return SimpleNamespace(repository=pushed.repository.name, digest=pushed.digest, tag=pushed.tag,
                               manifest=pushed.image.manifest.decode(), media_type=pushed.media_type, layer=layer)

    @cached_property
    def new(self) -> SimpleNamespace:
        return SimpleNamespace(repository=self._resources.new_name(), tag=f"new-{uuid.uuid4().hex[:12]}")

    @cached_property
    def new_image(self) -> SimpleNamespace:
        repository = self._resources.repository()
        image = self._resources.unique_image()
        self._resources.upload_blobs(repository, image)
        return SimpleNamespace(repository=repository.name, manifest=image.manifest.decode(), digest=image.digest,
                               media_type=image.media_type)

    @cached_property
    def upload(self) -> SimpleNamespace:
        repository = self._resources.repository()
        return SimpleNamespace(repository=repository.name, id=self._resources.initiate_upload(repository))

    @cached_property
    def part(self) -> SimpleNamespace:
        repository = self._resources.repository()
        blob = self._blob()
        return SimpleNamespace(repository=repository.name, id=self._resources.initiate_upload(repository),
                               blob=base64.b64encode(blob).decode(), last_byte=str(len(blob) - 1))

    @cached_property
    def sent(self) -> SimpleNamespace:
        repository = self._resources.repository()
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
        pushed = self._resources.fresh_image()
        self._set("StartImageScan", repositoryName=pushed.repository.name, imageId={"imageDigest": pushed.digest})
        return SimpleNamespace(repository=pushed.repository.name, digest=pushed.digest)

    @cached_property
    def texts(self) -> SimpleNamespace:
        account = f"arn:aws:iam::{self.registry}:root"
        repository_policy = {"Version": "2012-10-17", "Statement": [{
            "Sid": "ecrconf-run", "Effect": "Allow", "Principal": {"AWS": account},
            "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]}]}
        registry_policy = {"Version": "2012-10-17", "Statement": [{
            "Sid": "ecrconf-run", "Effect": "Allow", "Principal": {"AWS": account},
            "Action": ["ecr:ReplicateImage"], "Resource": f"arn:aws:ecr:{self.region}:{self.registry}:repository/*"}]}
        lifecycle_policy = {"rules": [{
            "rulePriority": 1, "description": "ecrconf: expire untagged images after 1 day",
            "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days",
                          "countNumber": 1},
            "action": {"type": "expire"}}]}
        return SimpleNamespace(repository_policy=json.dumps(repository_policy),
                               registry_policy=json.dumps(registry_policy),
                               lifecycle_policy=json.dumps(lifecycle_policy))

    @cached_property
    def absent(self) -> SimpleNamespace:
        name = f"{self._resources.prefix}-absent"
        return SimpleNamespace(
            repository=name, digest=ABSENT_DIGEST, tag="ecrconf-absent-tag", upload=str(uuid.uuid4()),
            arn=f"arn:aws:ecr:{self.region}:{self.registry}:repository/{name}",
            # A pull-through cache prefix is 2-30 characters: the run's prefix is longer, so a fixed one.
            prefix="ecrconf-absent")

    # --- making them -----------------------------------------------------------------------------

    @cached_property
    def _empty(self) -> Repository:
        return self._resources.repository()

    def _blob(self) -> bytes:
        return f"ecrconf layer data {uuid.uuid4()}\n".encode()

    def _set(self, operation: str, **payload) -> None:
        self._resources.call(operation, payload)


def offline(prefix: str, registry: str, region: str) -> SimpleNamespace:
    """Every placeholder filled without a call: well-formed values that name nothing the target has
    (repositories and ids under prefix), for requests that must not act on anything real (invalid ones)
    and for check ids known at collection time."""
    name = f"{prefix}-absent"
    arn = f"arn:aws:ecr:{region}:{registry}:repository/{name}"
    image = images.unique_image(f"{prefix}-offline")
    layer = json.loads(image.manifest)["layers"][0]["digest"]
    texts = World.texts.func(SimpleNamespace(registry=registry, region=region))
    repository = SimpleNamespace(name=name, arn=arn, uri=f"{registry}.dkr.ecr.{region}.amazonaws.com/{name}")
    upload = "00000000-0000-4000-8000-000000000000"
    blob = base64.b64encode(b"ecrconf offline layer data\n").decode()
    return SimpleNamespace(
        registry=registry, region=region, repository=repository, texts=texts,
        image=SimpleNamespace(repository=name, digest=image.digest, tag="ecrconf-absent-tag",
                              manifest=image.manifest.decode(), media_type=image.media_type, layer=layer),
        new=SimpleNamespace(repository=name, tag="ecrconf-absent-tag"),
        new_image=SimpleNamespace(repository=name, manifest=image.manifest.decode(), digest=image.digest,
                                  media_type=image.media_type),
        upload=SimpleNamespace(repository=name, id=upload),
        part=SimpleNamespace(repository=name, id=upload, blob=blob, last_byte="26"),
        sent=SimpleNamespace(repository=name, id=upload, digest=ABSENT_DIGEST),
        policy_repository=repository, lifecycle_repository=repository,
        scanned=SimpleNamespace(repository=name, digest=ABSENT_DIGEST),
        absent=SimpleNamespace(repository=name, digest=ABSENT_DIGEST, tag="ecrconf-absent-tag", upload=upload,
                               arn=arn, prefix="ecrconf-absent"))


def _repository_view(repository: Repository, region: str) -> SimpleNamespace:
    arn = repository.arn or f"arn:aws:ecr:{region}:{repository.registry_id}:repository/{repository.name}"
    return SimpleNamespace(name=repository.name, arn=arn, uri=repository.uri)
