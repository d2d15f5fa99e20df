"""What an operation runs with: the state, the behaviour knobs, the region and the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from selftest.reference.behaviour import Behaviour
from selftest.reference.registry import Repository, Store
from selftest.reference.settings import RegistrySettings


@dataclass(frozen=True)
class Context:
    store: Store
    behaviour: Behaviour
    region: str
    clock: Callable[[], float]

    def registry_id(self, request: dict) -> str:
        """The registry a request names, else the caller's own (the default registry)."""
        return request.get("registryId", self.store.account_id)

    def repository(self, request: dict) -> Repository:
        return self.store.repository(self.registry_id(request), request["repositoryName"])

    def settings(self, request: dict) -> RegistrySettings:
        """The registry-wide settings of the registry a request names (the caller's own by default)."""
        return self.store.settings(self.registry_id(request))

    def registry_host(self, registry_id: str) -> str:
        """Where the registry serves images: ECR's host for the registry and region (ops R.1, G.3), or the
        one the registry_host knob gives."""
        return self.behaviour.registry_host or f"{registry_id}.dkr.ecr.{self.region}.amazonaws.com"

    def arn(self, repository: Repository) -> str:
        return f"arn:aws:ecr:{self.region}:{repository.registry_id}:{repository.arn_suffix}"


def echoed(asked: dict, digest: str) -> dict:
    """imageId as it was asked for, with the digest added when asked by tag (research 5.1, 5.2)."""
    return {"imageDigest": digest, **({"imageTag": asked["imageTag"]} if "imageTag" in asked else {})}
