"""Registry-wide operations: GetAuthorizationToken, DescribeRegistry, the registry policy, the registry
scanning configuration, account settings (ops G.1-G.9, P.4-P.6)."""

from __future__ import annotations

import base64
import fnmatch
import secrets

from selftest.reference.errors import error, item_failure
from selftest.reference.operations.context import Context
from selftest.reference.policytext import parsed_policy, written_policy
from selftest.reference.settings import ACCOUNT_SETTINGS

def get_authorization_token(ctx: Context, request: dict) -> dict:
    """One entry per registry id asked for (the caller's own when none, G.3): a base64 "AWS:<password>"
    token (G.1), valid 12 hours (G.1, Q.11; Behaviour.authorization_token_lifetime), and the registry's https
    proxy endpoint for this region (Behaviour.proxy_endpoint_scheme)."""
    ids = request.get("registryIds") or [ctx.store.account_id]
    expires = round(ctx.clock() + ctx.behaviour.authorization_token_lifetime.total_seconds(), 3)
    return {"authorizationData": [
        {"authorizationToken": base64.b64encode(f"AWS:{secrets.token_urlsafe(96)}".encode()).decode(),
         "expiresAt": expires,
         "proxyEndpoint": f"{ctx.behaviour.proxy_endpoint_scheme}://{ctx.registry_host(registry_id)}"}
        for registry_id in ids]}


def describe_registry(ctx: Context, request: dict) -> dict:
    """{registryId, replicationConfiguration} of the caller's registry (G.5); no rules on a fresh one."""
    return {"registryId": ctx.registry_id(request), "replicationConfiguration": ctx.settings(request).replication}


def put_registry_policy(ctx: Context, request: dict) -> dict:
    """Stores the registry policy (validated shallowly, P.4; refused text P.5), re-serialised as P.1."""
    settings = ctx.settings(request)
    document = parsed_policy(request["policyText"], "invalid-registry-policy")
    settings.policy = written_policy(document, ctx.behaviour.policy_whitespace)
    return {"registryId": ctx.registry_id(request), "policyText": settings.policy}


def get_registry_policy(ctx: Context, request: dict) -> dict:
    """The policy; none: RegistryPolicyNotFoundException (P.5)."""
    policy = ctx.settings(request).policy
    if policy is None:
        raise error("registry-policy-not-found", registry=ctx.registry_id(request))
    return {"registryId": ctx.registry_id(request), "policyText": policy}


def delete_registry_policy(ctx: Context, request: dict) -> dict:
    answer = get_registry_policy(ctx, request)
    ctx.settings(request).policy = None
    return answer


def put_registry_scanning_configuration(ctx: Context, request: dict) -> dict:
    """Replaces the configuration; scanType defaults to BASIC, rules to none (G.7: ``rules: []`` resets)."""
    settings = ctx.settings(request)
    settings.scanning = {"scanType": request.get("scanType", "BASIC"), "rules": request.get("rules", [])}
    return {"registryScanningConfiguration": settings.scanning}


def get_registry_scanning_configuration(ctx: Context, request: dict) -> dict:
    """A fresh registry answers {"scanType": "BASIC", "rules": []} (ops gap 10)."""
    return {"registryId": ctx.registry_id(request), "scanningConfiguration": ctx.settings(request).scanning}


def batch_get_repository_scanning_configuration(ctx: Context, request: dict) -> dict:
    """Per repository: the frequency the registry's rules give it (their matching filters applied), else
    SCAN_ON_PUSH or MANUAL by its own setting; a missing one is a REPOSITORY_NOT_FOUND failure (G.7)."""
    registry_id = ctx.registry_id(request)
    repositories = ctx.store.repositories(registry_id)
    found, failures = [], []
    for name in request["repositoryNames"]:
        repository = repositories.get(name)
        if repository is None:
            failures.append({"repositoryName": name, **item_failure("REPOSITORY_NOT_FOUND")})
            continue
        frequency = "SCAN_ON_PUSH" if repository.scan_on_push else "MANUAL"
        applied = []
        for rule in ctx.store.settings(registry_id).scanning["rules"]:
            matching = [f for f in rule["repositoryFilters"] if fnmatch.fnmatchcase(name, f["filter"])]
            if matching:
                frequency, applied = rule["scanFrequency"], matching
                break
        found.append({"repositoryArn": ctx.arn(repository), "repositoryName": name,
                      "scanOnPush": frequency == "SCAN_ON_PUSH", "scanFrequency": frequency,
                      "appliedScanFilters": applied})
    return {"scanningConfigurations": found, "failures": failures}


def get_account_setting(ctx: Context, request: dict) -> dict:
    """The setting's value; a name the account has no setting by: ValidationException (G.9)."""
    name = request["name"]
    if name not in ACCOUNT_SETTINGS:
        raise error("invalid-account-setting", name=name, value="")
    return {"name": name, "value": ctx.store.settings(ctx.store.account_id).account[name]}


def put_account_setting(ctx: Context, request: dict) -> dict:
    """Sets one of the account's settings to one of its values; anything else: ValidationException (G.9)."""
    name, value = request["name"], request["value"]
    if value not in ACCOUNT_SETTINGS.get(name, ()):
        raise error("invalid-account-setting", name=name, value=f", value '{value}'")
    ctx.store.settings(ctx.store.account_id).account[name] = value
    return {"name": name, "value": value}


HANDLERS = {"GetAuthorizationToken": get_authorization_token, "DescribeRegistry": describe_registry,
            "PutRegistryPolicy": put_registry_policy, "GetRegistryPolicy": get_registry_policy,
            "DeleteRegistryPolicy": delete_registry_policy,
            "PutRegistryScanningConfiguration": put_registry_scanning_configuration,
            "GetRegistryScanningConfiguration": get_registry_scanning_configuration,
            "BatchGetRepositoryScanningConfiguration": batch_get_repository_scanning_configuration,
            "GetAccountSetting": get_account_setting, "PutAccountSetting": put_account_setting}
