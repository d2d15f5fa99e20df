"""A program of the stateful suite as its reader sees it in a failure: numbered steps, each call's request
(manifests and layer parts abridged) and answer (status, error type, the members that matter)."""

from __future__ import annotations

import json

from ecrconf.generate.programs import describe
from ecrconf.resources.images import digest_of
from ecrconf.wire import protocol
from ecrconf.wire.exchange import Exchange, printable

REQUEST_CHARS = 240


def numbered(run) -> list[str]:
    """Lines: one per step sent (numbered from 1), then one per call of it; then the time waited."""
    lines = [f"the program ({sum(1 for s in run.steps if not s.skipped)} steps):"]
    shown = 0
    for step in run.steps:
        if step.skipped:
            continue
        shown += 1
        lines.append(f"{shown:>3}. {describe(step.step)}")
        for call in step.calls:
            verdict = f"   <- {call.problem or call.misanswer}" if call.problem or call.misanswer else ""
            lines.append(f"       {call.exchange.operation} {request(call.exchange)} -> {answer(call.exchange)}{verdict}")
        if step.cut:
            lines.append(f"       (no further call: {step.cut})")
    if run.unsupported:
        lines.append(f"steps left out, the target does not implement: {', '.join(sorted(run.unsupported))}")
    lines += run.notes
    lines.append(f"waited {run.waited:.1f} s in all for eventual consistency")
    return lines


def request(exchange: Exchange) -> str:
    """The JSON sent, with imageManifest as its digest and layerPartBlob as its length, cut to REQUEST_CHARS."""
    try:
        sent = json.loads(exchange.request.body or b"{}")
    except ValueError:
        return "(not JSON)"
    if isinstance(sent, dict):
        if isinstance(sent.get("imageManifest"), str):
            sent["imageManifest"] = f"<manifest {digest_of(sent['imageManifest'].encode())[:19]}…>"
        if isinstance(sent.get("layerPartBlob"), str):
            sent["layerPartBlob"] = f"<{len(sent['layerPartBlob'])} base64 characters>"
        for key in ("policyText", "lifecyclePolicyText"):
            if isinstance(sent.get(key), str):
                sent[key] = f"<{key}>"
    text = json.dumps(sent, separators=(",", ":"))
    return printable(text if len(text) <= REQUEST_CHARS else text[:REQUEST_CHARS - 1] + "…")


def answer(exchange: Exchange) -> str:
    """HTTP status and error type, or for a 200 the members a reader of a program needs."""
    if exchange.status is None:
        return f"no answer ({exchange.transport_error})"
    if exchange.status != 200:
        return printable(f"HTTP {exchange.status} {protocol.error_type(exchange) or ''}".rstrip())
    body = exchange.body if isinstance(exchange.body, dict) else {}
    shown = []
    digest = (body.get("image") or {}).get("imageId", {}).get("imageDigest") if isinstance(body.get("image"), dict) else None
    if digest:
        shown.append(f"imageDigest {digest}")
    for key in ("imageIds", "images", "imageDetails", "failures", "layers"):
        if isinstance(body.get(key), list):
            shown.append(f"{len(body[key])} {key}")
    if body.get("nextToken"):
        shown.append("nextToken")
    return printable("HTTP 200" + (f" ({', '.join(shown)})" if shown else ""))
