"""CreateRepository, DescribeRepositories, DeleteRepository."""

from __future__ import annotations

from selftest.reference.errors import error
from selftest.reference.operations.context import Context
from selftest.reference.paging import page
from selftest.reference.registry import Repository

DEFAULT_ENCRYPTION = {"encryptionType": "AES256"}
DEFAULT_PAGE = 100


def create_repository(ctx: Context, request: dict) -> dict:
    registry_id, name = ctx.registry_id(request), request["repositoryName"]
    repositories = ctx.store.repositories(registry_id)
    if name in repositories:
        raise error("repository-already-exists", repository=name, registry=registry_id)
    repository = Repository(
        name, registry_id, ctx.clock(), request.get("imageTagMutability", "MUTABLE"),
        request.get("imageScanningConfiguration", {}).get("scanOnPush", False),
        request.get("encryptionConfiguration", DEFAULT_ENCRYPTION),
        exclusion_filters=request.get("imageTagMutabilityExclusionFilters", []))
    repositories[name] = repository
    return {"repository": described(ctx, repository)}


def describe_repositories(ctx: Context, request: dict) -> dict:
    registry_id = ctx.registry_id(request)
    if "repositoryNames" in request:
        found = [ctx.store.repository(registry_id, name) for name in request["repositoryNames"]]
    else:
        found = list(ctx.store.repositories(registry_id).values())
    shown, more = page(found, request, DEFAULT_PAGE)
    return {"repositories": [described(ctx, r) for r in shown], **more}


def delete_repository(ctx: Context, request: dict) -> dict:
    repository = ctx.repository(request)
    if repository.images and not request.get("force", False):
        raise error("repository-not-empty", repository=repository.name, registry=repository.registry_id)
    del ctx.store.repositories(repository.registry_id)[repository.name]
    return {"repository": described(ctx, repository)}


def described(ctx: Context, repository: Repository) -> dict:
    name, registry_id = repository.name, repository.registry_id
    found = {
        "repositoryArn": f"arn:aws:ecr:{ctx.region}:{registry_id}:repository/{name}",
        "registryId": registry_id,
        "repositoryName": name,
        "repositoryUri": f"{registry_id}.dkr.ecr.{ctx.region}.amazonaws.com/{name}",
        "createdAt": repository.created_at,
        "imageTagMutability": repository.tag_mutability,
        "imageScanningConfiguration": {"scanOnPush": repository.scan_on_push},
        "encryptionConfiguration": repository.encryption,
    }
    if repository.exclusion_filters:
        found["imageTagMutabilityExclusionFilters"] = repository.exclusion_filters
    return found


HANDLERS = {"CreateRepository": create_repository, "DescribeRepositories": describe_repositories,
            "DeleteRepository": delete_repository}
