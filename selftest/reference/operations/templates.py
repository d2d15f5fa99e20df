"""Repository creation templates: Create, Describe, Update, Delete (ops G.9)."""

from __future__ import annotations

from selftest.reference import lifecycle
from selftest.reference.errors import error
from selftest.reference.operations.context import Context
from selftest.reference.operations.tags import checked_tags
from selftest.reference.paging import page, refuse_paging_with
from selftest.reference.policytext import parsed_policy

SETTINGS = ("description", "encryptionConfiguration", "resourceTags", "imageTagMutability",
            "imageTagMutabilityExclusionFilters", "repositoryPolicy", "lifecyclePolicy", "appliedFor", "customRoleArn")
DEFAULTS = {"encryptionConfiguration": {"encryptionType": "AES256"}, "resourceTags": [],
            "imageTagMutability": "MUTABLE"}  # what a repository gets without a template (R.1)


def create_repository_creation_template(ctx: Context, request: dict) -> dict:
    """A template for a prefix not yet used (else TemplateAlreadyExistsException, G.9), with the repository
    defaults for what it leaves out; its policies and tags are checked as the operations that set them do."""
    registry_id = ctx.registry_id(request)
    templates = ctx.store.settings(registry_id).templates
    prefix = request["prefix"]
    if prefix in templates:
        raise error("template-already-exists", prefix=prefix, registry=registry_id)
    _check(request)
    now = ctx.clock()
    template = {"prefix": prefix, **DEFAULTS, **{name: request[name] for name in SETTINGS if name in request},
                "createdAt": now, "updatedAt": now}
    templates[prefix] = template
    return {"registryId": registry_id, "repositoryCreationTemplate": dict(template)}


def describe_repository_creation_templates(ctx: Context, request: dict) -> dict:
    """The templates named (unknown prefixes are left out: the model gives this call no not-found error),
    or a page of all."""
    registry_id = ctx.registry_id(request)
    templates = ctx.store.settings(registry_id).templates
    refuse_paging_with(request, "prefixes")
    if "prefixes" in request:
        shown, more = [templates[p] for p in dict.fromkeys(request["prefixes"]) if p in templates], {}
    else:
        shown, more = page(list(templates.values()), request, ctx.behaviour)
    return {"registryId": registry_id, "repositoryCreationTemplates": shown, **more}


def update_repository_creation_template(ctx: Context, request: dict) -> dict:
    """Changes the settings given, updatedAt now; an unknown prefix: TemplateNotFoundException (G.9)."""
    registry_id = ctx.registry_id(request)
    template = _template(ctx, registry_id, request["prefix"])
    _check(request)
    template.update({name: request[name] for name in SETTINGS if name in request})
    template["updatedAt"] = ctx.clock()
    return {"registryId": registry_id, "repositoryCreationTemplate": dict(template)}


def delete_repository_creation_template(ctx: Context, request: dict) -> dict:
    registry_id = ctx.registry_id(request)
    template = _template(ctx, registry_id, request["prefix"])
    del ctx.store.settings(registry_id).templates[template["prefix"]]
    return {"registryId": registry_id, "repositoryCreationTemplate": template}


def _template(ctx: Context, registry_id: str, prefix: str) -> dict:
    found = ctx.store.settings(registry_id).templates.get(prefix)
    if found is None:
        raise error("template-not-found", prefix=prefix, registry=registry_id)
    return found


def _check(request: dict) -> None:
    if request.get("repositoryPolicy"):
        parsed_policy(request["repositoryPolicy"], "invalid-repository-policy")
    if request.get("lifecyclePolicy"):
        lifecycle.checked(request["lifecyclePolicy"])
    checked_tags({}, request.get("resourceTags", []))


HANDLERS = {"CreateRepositoryCreationTemplate": create_repository_creation_template,
            "DescribeRepositoryCreationTemplates": describe_repository_creation_templates,
            "UpdateRepositoryCreationTemplate": update_repository_creation_template,
            "DeleteRepositoryCreationTemplate": delete_repository_creation_template}
