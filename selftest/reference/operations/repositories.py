"""CreateRepository, DescribeRepositories, DeleteRepository, PutImageTagMutability,
PutImageScanningConfiguration (ops R.1-R.12)."""

from __future__ import annotations

from selftest.reference.errors import error
from selftest.reference.operations.context import Context
from selftest.reference.operations.tags import checked_tags
from selftest.reference.paging import page, refuse_paging_with
from selftest.reference.registry import Repository

DEFAULT_ENCRYPTION = {"encryptionType": "AES256"}


def create_repository(ctx: Context, request: dict) -> dict:
    registry_id, name = ctx.registry_id(request), request["repositoryName"]
    repositories = ctx.store.repositories(registry_id)
    if name in repositories and ctx.behaviour.create_existing_repository_succeeds:
        return {"repository": described(ctx, repositories[name])}  # breakage: an idempotent create
    if name in repositories:
        raise error("repository-already-exists", repository=name, registry=registry_id)
    tags = checked_tags({}, request.get("tags", []))  # T.4: bad tags, no repository
    repository = Repository(
        name, registry_id, ctx.clock(), request.get("imageTagMutability", "MUTABLE"),
        request.get("imageScanningConfiguration", {}).get("scanOnPush", False),
        request.get("encryptionConfiguration", DEFAULT_ENCRYPTION),
        exclusion_filters=request.get("imageTagMutabilityExclusionFilters", []), resource_tags=tags)
    kept = ctx.store.force_deleted.pop((registry_id, name), None)
    if kept is not None:  # breakage force_delete_keeps_images: the images of the deleted repository are back
        repository.images, repository.tags = kept.images, kept.tags
    repositories[name] = repository
    return {"repository": described(ctx, repository)}


def describe_repositories(ctx: Context, request: dict) -> dict:
    """Named repositories (the first missing one fails the whole call, R.10), or a page of all (N.1)."""
    registry_id = ctx.registry_id(request)
    refuse_paging_with(request, "repositoryNames")  # R.9
    if "repositoryNames" in request:
        shown, more = [ctx.store.repository(registry_id, name) for name in request["repositoryNames"]], {}
    else:
        shown, more = page(list(ctx.store.repositories(registry_id).values()), request, ctx.behaviour,
                           place=lambda repository: (repository.created,))
    return {"repositories": [described(ctx, r) for r in shown], **more}


def delete_repository(ctx: Context, request: dict) -> dict:
    """A repository with images needs force (R.6 text), which deletes the images with it (R.7); under the
    breakage force_delete_keeps_images the store keeps them for a repository created again under the name."""
    repository = ctx.repository(request)
    force = request.get("force", False)
    if repository.images and not force and not ctx.behaviour.delete_non_empty_repository:
        raise error("repository-not-empty", repository=repository.name, registry=repository.registry_id)
    del ctx.store.repositories(repository.registry_id)[repository.name]
    if force and repository.images and ctx.behaviour.force_delete_keeps_images:
        ctx.store.force_deleted[(repository.registry_id, repository.name)] = repository
    return {"repository": described(ctx, repository)}


def put_image_tag_mutability(ctx: Context, request: dict) -> dict:
    """Sets the mutability and its exclusion filters; answers them (R.11)."""
    repository = ctx.repository(request)
    repository.tag_mutability = request["imageTagMutability"]
    repository.exclusion_filters = request.get("imageTagMutabilityExclusionFilters", [])
    answer = {"registryId": repository.registry_id, "repositoryName": repository.name,
              "imageTagMutability": repository.tag_mutability}
    if repository.exclusion_filters:
        answer["imageTagMutabilityExclusionFilters"] = repository.exclusion_filters
    return answer


def put_image_scanning_configuration(ctx: Context, request: dict) -> dict:
    """Sets scan on push (R.3, R.12); answers the configuration."""
    repository = ctx.repository(request)
    repository.scan_on_push = request["imageScanningConfiguration"].get("scanOnPush", False)
    return {"registryId": repository.registry_id, "repositoryName": repository.name,
            "imageScanningConfiguration": {"scanOnPush": repository.scan_on_push}}


def described(ctx: Context, repository: Repository) -> dict:
    name, registry_id = repository.name, repository.registry_id
    found = {
        "repositoryArn": ctx.arn(repository),
        "registryId": registry_id,
        "repositoryName": name,
        "repositoryUri": f"{ctx.registry_host(registry_id)}/{name}",
        "createdAt": repository.created_at,
        "imageTagMutability": repository.tag_mutability,
        "imageScanningConfiguration": {"scanOnPush": repository.scan_on_push},
        "encryptionConfiguration": repository.encryption,
    }
    if repository.exclusion_filters:
        found["imageTagMutabilityExclusionFilters"] = repository.exclusion_filters
    return found


HANDLERS = {"CreateRepository": create_repository, "DescribeRepositories": describe_repositories,
            "DeleteRepository": delete_repository, "PutImageTagMutability": put_image_tag_mutability,
            "PutImageScanningConfiguration": put_image_scanning_configuration}
