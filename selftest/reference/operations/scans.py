"""StartImageScan and DescribeImageScanFindings (basic scanning)."""

from __future__ import annotations

import time

from selftest.reference import scanning
from selftest.reference.errors import error, shown
from selftest.reference.operations.context import Context, echoed
from selftest.reference.paging import page


def start_image_scan(ctx: Context, request: dict) -> dict:
    behaviour = ctx.behaviour
    repository = ctx.repository(request)
    image = repository.image(request["imageId"])
    if image.manifest.media_type in behaviour.unscannable_media_types:
        raise error("unsupported-image-type", media_type=image.manifest.media_type)  # research 4.5, 4.6
    now = ctx.clock()
    if behaviour.scan_quota and scanning.quota_used(repository, image.digest, now):
        raise error("scan-quota")  # research 4.4
    if behaviour.scan_race_window:
        _let_others_in(ctx, behaviour.scan_race_window)
    repository.scans[image.digest] = now
    status = {"status": "IN_PROGRESS"}
    if behaviour.scan_description is not None:
        status["description"] = behaviour.scan_description
    return {"registryId": repository.registry_id, "repositoryName": repository.name,
            "imageId": echoed(request["imageId"], image.digest), "imageScanStatus": status}


def describe_image_scan_findings(ctx: Context, request: dict) -> dict:
    repository = ctx.repository(request)
    asked = request["imageId"]
    image = repository.image(asked)
    findings, more = page([], request, ctx.behaviour)  # basic scans find nothing; the token is checked (N.1)
    duration = ctx.behaviour.scan_duration
    status = scanning.status(repository, image.digest, ctx.clock(), duration, ctx.behaviour.scan_outcome)
    if status is None or not ctx.behaviour.findings_visible:
        raise error("scan-not-found", digest=shown(asked.get("imageDigest")), tag=shown(asked.get("imageTag")),
                    repository=repository.name, registry=repository.registry_id)
    answer = {"registryId": repository.registry_id, "repositoryName": repository.name,
              "imageId": echoed(asked, image.digest), "imageScanStatus": status}
    if status["status"] == "COMPLETE":  # research 5.6: no vulnerabilities found
        answer["imageScanFindings"] = {
            "imageScanCompletedAt": scanning.completed_at(repository, image.digest, duration),
            "vulnerabilitySourceUpdatedAt": repository.scans[image.digest],
            "findingSeverityCounts": {}, "findings": findings}
    return {**answer, **more}


def _let_others_in(ctx: Context, seconds: float) -> None:
    """The breakage scan_race_window: the store's lock (held once, by the pipeline) is let go a while."""
    ctx.store.lock.release()
    try:
        time.sleep(seconds)
    finally:
        ctx.store.lock.acquire()


HANDLERS = {"StartImageScan": start_image_scan, "DescribeImageScanFindings": describe_image_scan_findings}
