"""The run's values for the operation tables' placeholders (``fixtures/operations/README.md``).

A ``World`` belongs to one test: every root (``image``, ``upload``, ...) is made through the ECR API the
first time a placeholder asks for it, in repositories of the run (``Resources``), and stays the same
for the rest of the test. Images and uploads share one repository; a root with repository state of its
own (an empty repository, one with a policy) has a repository of its own. Each root is a plain namespace of strings, as the placeholders use them.
A root that cannot be made raises ``SetupFailed`` (the test is an ERROR, not a conformance FAIL).

Roots and states of the whole registry (pull-through cache rules, creation templates, pull-time update
exclusions, replication, backfills, a registry policy or signing configuration, or their absence) are held
first (``ecrconf.resources.registry``): one check at a time, settings put back and items deleted when the
world closes, and on AWS only with --allow-registry-writes (else the check is skipped, saying why).
"""

from __future__ import annotations

import base64
import json
import uuid
from functools import cached_property
from types import SimpleNamespace

from ecrconf.resources import images
from ecrconf.resources import Repository, Resources, setup_answer
from ecrconf.resources.registry import RegistryHold
from ecrconf.wire import protocol
from ecrconf.wire.exchange import Exchange

ABSENT_DIGEST = "sha256:" + "0" * 64
ABSENT_UPLOAD = "00000000-0000-4000-8000-000000000000"
# State a table's ``needs`` names: the registry-wide setting it is, and the call that makes it so (a
# deletion's "none there" answer counts as done).
NEEDS = {
    "registry_policy": ("registry_policy", "PutRegistryPolicy", None),
    "no_registry_policy": ("registry_policy", "DeleteRegistryPolicy", "RegistryPolicyNotFoundException"),
    "signing_configuration": ("signing", "PutSigningConfiguration", None),
    "no_signing_configuration": ("signing", "DeleteSigningConfiguration", "SigningConfigurationNotFoundException"),
}


class World:
    def __init__(self, resources: Resources, region: str, registry: RegistryHold):
        self._resources = resources
        self.region = region
        self._registry = registry
        self._made: list[Exchange] = []  # calls that made registry-wide items, undone when the world closes

    def establish(self, needs: tuple[str, ...]) -> None:
        """Make sure of the state a table says a call needs (NEEDS), holding it first."""
        for what in needs:
            state, operation, none_there = NEEDS[what]
            self.hold(state)
            payload = {"registry_policy": {"policyText": self.texts.registry_policy},
                       "signing_configuration": {"signingConfiguration": {"rules": []}}}.get(what, {})
            exchange = self._resources.client.call(operation, payload)
            if none_there is None or protocol.error_type(exchange) != none_there:
                setup_answer(exchange)

    def hold(self, state: str, request: dict | None = None) -> None:
        """Hold registry-wide state for the rest of the check (RegistryHold.hold: may skip the check)."""
        self._registry.hold(state, request)

    def close(self) -> list[str]:
        """Delete the registry-wide items the world made, newest first, and put held settings back.
        Returns one line per setting that could not be put back."""
        for exchange in reversed(self._made):
            self._resources.undo(exchange)
        self._made.clear()
        return self._registry.restore()

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
        # Names for registry-wide items a checked call creates (deleted after it: Resources.undo).
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
    def cache_rule(self) -> SimpleNamespace:
        self.hold("cache_rules")
        prefix = f"ecrconf-{uuid.uuid4().hex[:10]}"  # 2-30 characters: the run's prefix is longer
        self._make("CreatePullThroughCacheRule", ecrRepositoryPrefix=prefix, upstreamRegistryUrl="public.ecr.aws",
                   upstreamRegistry="ecr-public")
        return SimpleNamespace(prefix=prefix)

    @cached_property
    def template(self) -> SimpleNamespace:
        self.hold("templates")
        prefix = f"{self._resources.prefix}-t-{uuid.uuid4().hex[:10]}"
        self._make("CreateRepositoryCreationTemplate", prefix=prefix, appliedFor=["REPLICATION"])
        return SimpleNamespace(prefix=prefix)

    @cached_property
    def exclusion(self) -> SimpleNamespace:
        self.hold("exclusions")
        principal = f"arn:aws:iam::{self.registry}:role/ecrconf-{uuid.uuid4().hex[:10]}"
        self._make("RegisterPullTimeUpdateExclusion", principalArn=principal)
        return SimpleNamespace(principal=principal)

    @cached_property
    def replication(self) -> SimpleNamespace:
        self.hold("replication_destination")
        self.hold("replication")
        destination = {"region": _another_region(self.region), "registryId": self.registry}
        self._set("PutReplicationConfiguration", replicationConfiguration={"rules": [{"destinations": [destination]}]})
        return SimpleNamespace(region=destination["region"], registry=destination["registryId"])

    @cached_property
    def backfill(self) -> SimpleNamespace:
        replication = self.replication
        self.hold("backfills")
        answer = self._make("StartReplicationBackfill",
                            destination={"region": replication.region, "registryId": replication.registry})
        return SimpleNamespace(id=str(answer.get("replicationBackfillId")))

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

    def _make(self, operation: str, **payload) -> dict:
        """A call that makes an item of the whole registry, deleted again when the world closes."""
        return setup_answer(self._resources.call_kept(operation, payload, self._made))


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
