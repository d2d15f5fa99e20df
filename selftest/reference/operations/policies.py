"""Repository policy, lifecycle policy and lifecycle policy preview (ops P.1-P.15)."""

from __future__ import annotations

import json

from selftest.reference import lifecycle
from selftest.reference.errors import error
from selftest.reference.operations.context import Context
from selftest.reference.paging import page, refuse_paging_with
from selftest.reference.policytext import compact, parsed_object, parsed_policy, written_policy
from selftest.reference.registry import Repository

PREVIEW_SECONDS = 0.3  # how long a preview stays IN_PROGRESS (P.15: IN_PROGRESS, then COMPLETE)
PREVIEW_PAGE = 100  # P.15, N.2: maxResults 1-100


def set_repository_policy(ctx: Context, request: dict) -> dict:
    """Stores the policy and answers it re-serialised (P.1); a text that is not a policy is refused (r3.16)."""
    repository = ctx.repository(request)
    if "repository" in ctx.behaviour.unparsed_policy_texts:
        repository.policy = request["policyText"]  # breakage: stored as given, never parsed
    else:
        document = parsed_policy(request["policyText"], "invalid-repository-policy")
        repository.policy = written_policy(document, ctx.behaviour.policy_whitespace)
    return _policy_answer(ctx, repository)


def get_repository_policy(ctx: Context, request: dict) -> dict:
    return _policy_answer(ctx, _with_policy(ctx.repository(request)))


def delete_repository_policy(ctx: Context, request: dict) -> dict:
    """Answers the deleted policy (P.1); none set: RepositoryPolicyNotFoundException (P.2)."""
    repository = _with_policy(ctx.repository(request))
    answer = _policy_answer(ctx, repository)
    repository.policy = None
    return answer


def put_lifecycle_policy(ctx: Context, request: dict) -> dict:
    """Checks the rules (P.9-P.12) and stores the policy compact, rules by priority (P.8, P.13)."""
    repository = ctx.repository(request)
    repository.lifecycle = _stored_lifecycle(ctx, request["lifecyclePolicyText"])
    return {**_where(repository), "lifecyclePolicyText": repository.lifecycle}


def get_lifecycle_policy(ctx: Context, request: dict) -> dict:
    repository = _with_lifecycle(ctx.repository(request))
    return {**_where(repository), "lifecyclePolicyText": repository.lifecycle, "lastEvaluatedAt": 0.0}


def delete_lifecycle_policy(ctx: Context, request: dict) -> dict:
    """Answers the deleted policy with lastEvaluatedAt, epoch 0 until it has run (P.8)."""
    answer = get_lifecycle_policy(ctx, request)
    ctx.repository(request).lifecycle = None
    return answer


def start_lifecycle_policy_preview(ctx: Context, request: dict) -> dict:
    """Previews the given policy, else the repository's (LifecyclePolicyNotFoundException without either);
    a preview still running: LifecyclePolicyPreviewInProgressException (P.15)."""
    repository = ctx.repository(request)
    now = ctx.clock()
    if repository.preview is not None and now - repository.preview["started"] < PREVIEW_SECONDS:
        raise error("lifecycle-preview-in-progress")
    given = request.get("lifecyclePolicyText")
    text = lifecycle.checked(given) if given is not None else _with_lifecycle(repository).lifecycle
    repository.preview = {"text": text, "started": now,
                          "results": lifecycle.preview(text, list(repository.images.values()), now)}
    return {**_where(repository), "lifecyclePolicyText": _preview_text(text), "status": "IN_PROGRESS"}


def get_lifecycle_policy_preview(ctx: Context, request: dict) -> dict:
    """The preview's status, and once COMPLETE its results, filtered and paged, and summary (P.15)."""
    repository = ctx.repository(request)
    refuse_paging_with(request, "imageIds")
    preview = repository.preview
    if preview is None:
        raise error("lifecycle-preview-not-found")
    answer = {**_where(repository), "lifecyclePolicyText": _preview_text(preview["text"])}
    if ctx.clock() - preview["started"] < PREVIEW_SECONDS:
        return {**answer, "status": "IN_PROGRESS", "previewResults": []}
    results = preview["results"]
    if "imageIds" in request:  # ids of no image select nothing: the model gives this call no ImageNotFound
        wanted = {image_id.get("imageDigest", repository.tags.get(image_id.get("imageTag"))) for image_id in
                  request["imageIds"]}
        results = [r for r in results if r["imageDigest"] in wanted]
    wanted_status = request.get("filter", {}).get("tagStatus", "ANY")
    if wanted_status != "ANY":
        results = [r for r in results if ("imageTags" in r) == (wanted_status == "TAGGED")]
    shown, more = (results, {}) if "imageIds" in request else page(results, request, ctx.behaviour, PREVIEW_PAGE)
    actions = [r["action"]["type"] for r in preview["results"]]
    summary = {"expiringImageTotalCount": actions.count("EXPIRE")}
    if "TRANSITION" in actions:
        summary["transitioningImageTotalCounts"] = [{"targetStorageClass": "ARCHIVE",
                                                     "imageTotalCount": actions.count("TRANSITION")}]
    return {**answer, "status": "COMPLETE", "previewResults": shown, "summary": summary, **more}


def _preview_text(text: str) -> str:
    """P.8: the AWS examples show the preview's policy text pretty-printed, 4-space indent, trailing newline."""
    return json.dumps(parsed_object(text), indent=4) + "\n"


def _with_policy(repository: Repository) -> Repository:
    if repository.policy is None:
        raise error("repository-policy-not-found", repository=repository.name, registry=repository.registry_id)
    return repository


def _with_lifecycle(repository: Repository) -> Repository:
    if repository.lifecycle is None:
        raise error("lifecycle-policy-not-found", repository=repository.name, registry=repository.registry_id)
    return repository


def _where(repository: Repository) -> dict:
    return {"registryId": repository.registry_id, "repositoryName": repository.name}


def _policy_answer(ctx: Context, repository: Repository) -> dict:
    """The policy as stored; JSON-encoded once more under the breakage policy_text_encoded_twice."""
    text = json.dumps(repository.policy) if ctx.behaviour.policy_text_encoded_twice else repository.policy
    return {**_where(repository), "policyText": text}


def _stored_lifecycle(ctx: Context, text: str) -> str:
    """The lifecycle policy as the repository keeps it (P.8, P.13); its rules in the order put under the variant
    lifecycle_rules_as_put; under the breakages, as given (unparsed_policy_texts has "lifecycle") or without the
    rule members lifecycle_dropped_members names."""
    if "lifecycle" in ctx.behaviour.unparsed_policy_texts:
        return text
    stored = lifecycle.checked(text)
    if ctx.behaviour.lifecycle_rules_as_put:
        stored = compact(parsed_object(text))
    dropped = ctx.behaviour.lifecycle_dropped_members
    if not dropped:
        return stored
    document = json.loads(stored)
    rules = [{name: value for name, value in rule.items() if name not in dropped} for rule in document["rules"]]
    return compact({**document, "rules": rules})


HANDLERS = {"SetRepositoryPolicy": set_repository_policy, "GetRepositoryPolicy": get_repository_policy,
            "DeleteRepositoryPolicy": delete_repository_policy, "PutLifecyclePolicy": put_lifecycle_policy,
            "GetLifecyclePolicy": get_lifecycle_policy, "DeleteLifecyclePolicy": delete_lifecycle_policy,
            "StartLifecyclePolicyPreview": start_lifecycle_policy_preview,
            "GetLifecyclePolicyPreview": get_lifecycle_policy_preview}
