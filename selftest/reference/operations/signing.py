"""Managed signing and pull-time update exclusions: Put/Get/DeleteSigningConfiguration,
DescribeImageSigningStatus, Register/Deregister/ListPullTimeUpdateExclusions (ops G.10)."""

from __future__ import annotations

import fnmatch

from selftest.reference.errors import error
from selftest.reference.operations.context import Context, echoed
from selftest.reference.paging import page


def put_signing_configuration(ctx: Context, request: dict) -> dict:
    """Replaces the registry's signing configuration; answers it."""
    ctx.store.settings(ctx.store.account_id).signing = request["signingConfiguration"]
    return {"registryId": ctx.store.account_id, "signingConfiguration": request["signingConfiguration"]}


def get_signing_configuration(ctx: Context, request: dict) -> dict:
    """The configuration; none put: SigningConfigurationNotFoundException."""
    configuration = ctx.store.settings(ctx.store.account_id).signing
    if configuration is None:
        raise error("signing-configuration-not-found", registry=ctx.store.account_id)
    return {"registryId": ctx.store.account_id, "signingConfiguration": configuration}


def delete_signing_configuration(ctx: Context, request: dict) -> dict:
    answer = get_signing_configuration(ctx, request)
    ctx.store.settings(ctx.store.account_id).signing = None
    return answer


def describe_image_signing_status(ctx: Context, request: dict) -> dict:
    """One COMPLETE status per signing rule whose filters take the repository (none: every repository);
    no configuration, no statuses. Unknown image: ImageNotFoundException."""
    repository = ctx.repository(request)
    asked = request["imageId"]
    image = repository.image(asked)
    configuration = ctx.store.settings(repository.registry_id).signing or {"rules": []}
    statuses = [{"signingProfileArn": rule["signingProfileArn"], "status": "COMPLETE"}
                for rule in configuration["rules"]
                if not rule.get("repositoryFilters")
                or any(fnmatch.fnmatchcase(repository.name, f["filter"]) for f in rule["repositoryFilters"])]
    return {"repositoryName": repository.name, "registryId": repository.registry_id,
            "imageId": echoed(asked, image.digest),
            "signingStatuses": statuses}


def register_pull_time_update_exclusion(ctx: Context, request: dict) -> dict:
    """Excludes a principal; registered already: ExclusionAlreadyExistsException."""
    exclusions = ctx.store.settings(ctx.store.account_id).pull_time_exclusions
    principal = request["principalArn"]
    if principal in exclusions:
        raise error("exclusion-already-exists", principal=principal)
    exclusions[principal] = ctx.clock()
    return {"principalArn": principal, "createdAt": exclusions[principal]}


def deregister_pull_time_update_exclusion(ctx: Context, request: dict) -> dict:
    """Removes the exclusion; none: ExclusionNotFoundException."""
    exclusions = ctx.store.settings(ctx.store.account_id).pull_time_exclusions
    principal = request["principalArn"]
    if principal not in exclusions:
        raise error("exclusion-not-found", principal=principal)
    del exclusions[principal]
    return {"principalArn": principal}


def list_pull_time_update_exclusions(ctx: Context, request: dict) -> dict:
    exclusions = list(ctx.store.settings(ctx.store.account_id).pull_time_exclusions)
    shown, more = page(exclusions, request, ctx.behaviour)
    return {"pullTimeUpdateExclusions": shown, **more}


HANDLERS = {"PutSigningConfiguration": put_signing_configuration,
            "GetSigningConfiguration": get_signing_configuration,
            "DeleteSigningConfiguration": delete_signing_configuration,
            "DescribeImageSigningStatus": describe_image_signing_status,
            "RegisterPullTimeUpdateExclusion": register_pull_time_update_exclusion,
            "DeregisterPullTimeUpdateExclusion": deregister_pull_time_update_exclusion,
            "ListPullTimeUpdateExclusions": list_pull_time_update_exclusions}
