"""Replication: PutReplicationConfiguration, DescribeImageReplicationStatus and replication backfills
(ops G.5, G.11). The reference replicates nothing; a destination counts as reached at once."""

from __future__ import annotations

import uuid

from selftest.reference.errors import error
from selftest.reference.operations.context import Context, echoed
from selftest.reference.paging import page
from selftest.reference.settings import Backfill, RegistrySettings

BACKFILL_SECONDS = 0.3  # how long a backfill stays IN_PROGRESS before COMPLETE
BACKFILLS_PAGE = 50  # ListReplicationBackfills maxResults is 1-50 (model)


def put_replication_configuration(ctx: Context, request: dict) -> dict:
    """Replaces the configuration; a destination that is this registry in this region is refused (G.5)."""
    configuration = request["replicationConfiguration"]
    for rule in configuration["rules"]:
        for destination in rule["destinations"]:
            if destination["region"] == ctx.region and destination["registryId"] == ctx.store.account_id:
                raise error("replication-to-self")
    ctx.store.settings(ctx.store.account_id).replication = configuration
    return {"replicationConfiguration": configuration}


def describe_image_replication_status(ctx: Context, request: dict) -> dict:
    """COMPLETE for each destination of each rule whose filters take the repository (none: every one)."""
    repository = ctx.repository(request)
    asked = request["imageId"]
    image = repository.image(asked)
    statuses = [{"region": d["region"], "registryId": d["registryId"], "status": "COMPLETE"}
                for d in _destinations(ctx.store.settings(repository.registry_id), repository.name)]
    return {"repositoryName": repository.name,
            "imageId": echoed(asked, image.digest),
            "replicationStatuses": statuses}


def start_replication_backfill(ctx: Context, request: dict) -> dict:
    """Starts copying every image now in the registry to destination; one running to the same destination:
    ReplicationBackfillInProgressException."""
    registry_id = ctx.registry_id(request)
    settings = ctx.store.settings(registry_id)
    destination, now = request["destination"], ctx.clock()
    if any(b.destination == destination and _status(b, now) == "IN_PROGRESS" for b in settings.backfills.values()):
        raise error("replication-backfill-in-progress", destination=destination["registryId"],
                    region=destination["region"])
    results = [{"repositoryName": repository.name, "imageId": {"imageDigest": image.digest}, "status": "COMPLETE"}
               for repository in ctx.store.repositories(registry_id).values() for image in repository.images.values()]
    backfill = Backfill(str(uuid.uuid4()), destination, now, results)
    settings.backfills[backfill.id] = backfill
    return {"registryId": registry_id, **_summary(backfill, now, progress=False)}


def stop_replication_backfill(ctx: Context, request: dict) -> dict:
    """Stops a running backfill (STOPPING, then STOPPED); a finished one: ReplicationBackfillInvalidStatus."""
    backfill = _backfill(ctx, request)
    now = ctx.clock()
    status = _status(backfill, now)
    if status != "IN_PROGRESS":
        raise error("replication-backfill-invalid-status", backfill=backfill.id, backfill_status=status)
    answer = {"registryId": ctx.registry_id(request), **_summary(backfill, now, progress=False), "status": "STOPPING"}
    backfill.stopped_at = now
    return answer


def list_replication_backfills(ctx: Context, request: dict) -> dict:
    now = ctx.clock()
    backfills = [_summary(b, now) for b in ctx.settings(request).backfills.values()]
    shown, more = page(backfills, request, ctx.behaviour, BACKFILLS_PAGE)
    return {"registryId": ctx.registry_id(request), "backfills": shown, **more}


def describe_replication_backfill_results(ctx: Context, request: dict) -> dict:
    """The backfill's summary and its per-image results (filtered by resultStatusFilter), paged."""
    backfill = _backfill(ctx, request)
    now = ctx.clock()
    wanted = request.get("resultStatusFilter")
    results = [r for r in backfill.results if wanted in (None, r["status"])] if _status(backfill, now) == "COMPLETE" \
        else []
    shown, more = page(results, request, ctx.behaviour)
    return {"registryId": ctx.registry_id(request), **_summary(backfill, now), "results": shown, **more}


def _destinations(settings: RegistrySettings, name: str) -> list[dict]:
    return [d for rule in settings.replication["rules"]
            if not rule.get("repositoryFilters") or any(name.startswith(f["filter"]) for f in rule["repositoryFilters"])
            for d in rule["destinations"]]


def _backfill(ctx: Context, request: dict) -> Backfill:
    found = ctx.settings(request).backfills.get(request["replicationBackfillId"])
    if found is None:
        raise error("replication-backfill-not-found", backfill=request["replicationBackfillId"],
                    registry=ctx.registry_id(request))
    return found


def _status(backfill: Backfill, now: float) -> str:
    if backfill.stopped_at is not None:
        return "STOPPED"
    return "IN_PROGRESS" if now - backfill.started_at < BACKFILL_SECONDS else "COMPLETE"


def _summary(backfill: Backfill, now: float, progress: bool = True) -> dict:
    status = _status(backfill, now)
    found = {"replicationBackfillId": backfill.id, "destination": backfill.destination, "status": status,
             "startedAt": backfill.started_at}
    if status in ("COMPLETE", "STOPPED"):
        found["endedAt"] = backfill.stopped_at or backfill.started_at + BACKFILL_SECONDS
    if progress:
        done = len(backfill.results) if status == "COMPLETE" else 0
        found["progress"] = {"totalReplicationCount": len(backfill.results), "completedReplicationCount": done,
                             "failedReplicationCount": 0, "failureCodes": []}
    return found


HANDLERS = {"PutReplicationConfiguration": put_replication_configuration,
            "DescribeImageReplicationStatus": describe_image_replication_status,
            "StartReplicationBackfill": start_replication_backfill,
            "StopReplicationBackfill": stop_replication_backfill,
            "ListReplicationBackfills": list_replication_backfills,
            "DescribeReplicationBackfillResults": describe_replication_backfill_results}
