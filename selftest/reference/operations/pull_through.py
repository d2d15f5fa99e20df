"""Pull-through cache rules: Create, Describe, Update, Delete, Validate (ops G.8, Q.3)."""

from __future__ import annotations

from selftest.reference.errors import error
from selftest.reference.operations.context import Context
from selftest.reference.paging import page, refuse_paging_with

MAX_RULES = 50  # Q.3: per registry, not adjustable
OPTIONAL = ("upstreamRegistry", "credentialArn", "customRoleArn")


def create_pull_through_cache_rule(ctx: Context, request: dict) -> dict:
    """A new rule for a prefix not yet used (else PullThroughCacheRuleAlreadyExists), at most 50 (else
    LimitExceededException); upstreamRepositoryPrefix defaults to ROOT (INF)."""
    registry_id = ctx.registry_id(request)
    rules = ctx.store.settings(registry_id).pull_through_rules
    prefix = request["ecrRepositoryPrefix"]
    if prefix in rules:
        raise error("pull-through-rule-already-exists", prefix=prefix, registry=registry_id)
    if len(rules) >= MAX_RULES:
        raise error("pull-through-rule-limit")
    rule = {"ecrRepositoryPrefix": prefix, "upstreamRegistryUrl": request["upstreamRegistryUrl"],
            "createdAt": ctx.clock(), "registryId": registry_id,
            "upstreamRepositoryPrefix": request.get("upstreamRepositoryPrefix", "ROOT"),
            **{name: request[name] for name in OPTIONAL if name in request}}
    rules[prefix] = rule
    return dict(rule)


def describe_pull_through_cache_rules(ctx: Context, request: dict) -> dict:
    """The rules named (an unknown prefix fails the whole call, G.8), or a page of all."""
    registry_id = ctx.registry_id(request)
    rules = ctx.store.settings(registry_id).pull_through_rules
    refuse_paging_with(request, "ecrRepositoryPrefixes")
    if "ecrRepositoryPrefixes" in request:
        shown, more = [_rule(rules, prefix, registry_id) for prefix in request["ecrRepositoryPrefixes"]], {}
    else:
        shown, more = page(list(rules.values()), request, ctx.behaviour)
    return {"pullThroughCacheRules": shown, **more}


def update_pull_through_cache_rule(ctx: Context, request: dict) -> dict:
    """Changes the rule's credentials or role; answers them with updatedAt."""
    registry_id = ctx.registry_id(request)
    rule = _rule(ctx.store.settings(registry_id).pull_through_rules, request["ecrRepositoryPrefix"], registry_id)
    rule.update({name: request[name] for name in ("credentialArn", "customRoleArn") if name in request})
    rule["updatedAt"] = ctx.clock()
    return {name: rule[name] for name in ("ecrRepositoryPrefix", "registryId", "updatedAt", "credentialArn",
                                          "customRoleArn", "upstreamRepositoryPrefix") if name in rule}


def delete_pull_through_cache_rule(ctx: Context, request: dict) -> dict:
    """Answers the deleted rule (without updatedAt and upstreamRegistry, as the model's answer has none)."""
    registry_id = ctx.registry_id(request)
    rules = ctx.store.settings(registry_id).pull_through_rules
    rule = _rule(rules, request["ecrRepositoryPrefix"], registry_id)
    del rules[rule["ecrRepositoryPrefix"]]
    return {name: value for name, value in rule.items() if name not in ("updatedAt", "upstreamRegistry")}


def validate_pull_through_cache_rule(ctx: Context, request: dict) -> dict:
    """The reference reaches no upstream: every rule it has is valid (isValid true, no failure)."""
    registry_id = ctx.registry_id(request)
    rule = _rule(ctx.store.settings(registry_id).pull_through_rules, request["ecrRepositoryPrefix"], registry_id)
    return {**{name: rule[name] for name in ("ecrRepositoryPrefix", "registryId", "upstreamRegistryUrl",
                                             "credentialArn", "customRoleArn", "upstreamRepositoryPrefix")
               if name in rule}, "isValid": True}


def _rule(rules: dict, prefix: str, registry_id: str) -> dict:
    if prefix not in rules:
        raise error("pull-through-rule-not-found", prefix=prefix, registry=registry_id)  # G.8
    return rules[prefix]


HANDLERS = {"CreatePullThroughCacheRule": create_pull_through_cache_rule,
            "DescribePullThroughCacheRules": describe_pull_through_cache_rules,
            "UpdatePullThroughCacheRule": update_pull_through_cache_rule,
            "DeletePullThroughCacheRule": delete_pull_through_cache_rule,
            "ValidatePullThroughCacheRule": validate_pull_through_cache_rule}
