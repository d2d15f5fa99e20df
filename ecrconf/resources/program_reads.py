"""The reads each invariant of the stateful suite needs, and only those (``READS``): what a program's target
holds in the repositories a step touched (``handles``: a step changes its own repository alone), asked after
the step. The answers go to ``ecrconf.checks.invariants``."""

from __future__ import annotations

from ecrconf.checks import invariants
from ecrconf.checks.invariants import MAX_PAGES, PAGE, Walk

STATUSES = ("ANY", "TAGGED", "UNTAGGED")  # ListImages filter.tagStatus (ops I.16)


def walk(client, operation: str, request: dict, key: str, max_results: int = PAGE) -> Walk:
    """Every page of a paginated listing, maxResults max_results, at most MAX_PAGES pages; stops at an error."""
    request = {**request, "maxResults": max_results}
    items, exchanges = [], []
    while len(exchanges) < MAX_PAGES:
        exchange = client.call(operation, request)
        exchanges.append(exchange)
        token = invariants.dig(exchange.body, "nextToken")
        if exchange.status != 200:
            return Walk(tuple(items), tuple(exchanges), True)
        items += invariants.dig(exchange.body, key) or []
        if not token:
            return Walk(tuple(items), tuple(exchanges), True)
        request = {**request, "nextToken": token}
    return Walk(tuple(items), tuple(exchanges), False)


def _live(run, handles) -> list[str]:
    return sorted(h for h in run.model.repositories if h in handles)


def list_images(run, handles) -> dict:
    return {(handle, status): walk(run.client, "ListImages", {"repositoryName": run.names[handle],
                                                              "filter": {"tagStatus": status}}, "imageIds")
            for handle in _live(run, handles) for status in STATUSES}


def describe_images(run, handles) -> dict:
    return {handle: walk(run.client, "DescribeImages", {"repositoryName": run.names[handle]}, "imageDetails")
            for handle in _live(run, handles)}


def batch_get_image(run, handles) -> dict:
    """BatchGetImage of every digest (as answered) and tag each repository name ever held."""
    answers = {}
    for handle, seen in sorted(run.seen.items()):
        if handle not in handles:
            continue
        ids = [{"imageDigest": run.endpoint_digest(handle, d)} if d.startswith("sha256:") else {"imageTag": d}
               for d in sorted(seen)]
        answers[handle] = run.client.call("BatchGetImage", {"repositoryName": run.names[handle], "imageIds": ids})
    return answers


def repositories(run, handles) -> dict:
    return {handle: run.client.call("DescribeRepositories", {"repositoryNames": [name]})
            for handle, name in sorted(run.names.items()) if handle in handles}


def policies(run, handles) -> dict:
    return {(handle, kind): run.client.call(operation, {"repositoryName": run.names[handle]})
            for handle in _live(run, handles)
            for kind, operation in (("policy", "GetRepositoryPolicy"), ("lifecycle", "GetLifecyclePolicy"))}


def resource_tags(run, handles) -> dict:
    return {handle: run.client.call("ListTagsForResource", {"resourceArn": run.arn(handle)})
            for handle in _live(run, handles) if run.arns.get(handle) or run.registry_id}


def layers(run, handles) -> dict:
    """BatchCheckLayerAvailability, per live repository, of the blobs whose state the model determines (none:
    no call)."""
    answers = {}
    for handle in _live(run, handles):
        judged = invariants.judged_blobs(run.model.repositories[handle])
        if judged:
            answers[handle] = run.client.call("BatchCheckLayerAvailability", {
                "repositoryName": run.names[handle], "layerDigests": sorted(judged)})
    return answers


READS = {"list_images": list_images, "describe_images": describe_images, "batch_get_image": batch_get_image,
         "repositories": repositories, "policies": policies, "resource_tags": resource_tags,
         "layers": layers, "unfinished_layers": layers}
