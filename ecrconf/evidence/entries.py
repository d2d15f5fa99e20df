"""Evidence entries from a recording: per check, its outcome against real ECR and what ECR answered to the
check's own operation (status, error type, message template, response members), each distinct answer once."""

from __future__ import annotations

import re

from ecrconf.replay import compare, har
from ecrconf.spec.recorded import verdict
from ecrconf.wire import protocol

# What varies between runs in an error message, most specific first; each becomes a placeholder.
_VALUES = [
    (re.compile(r"ecrconf-[0-9a-f]{6}-[A-Za-z0-9._/-]*"), "{name}"),
    (re.compile(r"arn:[a-z-]+:[A-Za-z0-9:/._-]+"), "{arn}"),
    (re.compile(r"sha256:[0-9a-f]{64}"), "{digest}"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), "{id}"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?"), "{time}"),
    (re.compile(r"\b\d{12}\b"), "{account}"),
]  # other words and numbers stay: a member name or a bound is what the message says


def template(message: str | None) -> str | None:
    """An error message with what differs from run to run replaced by placeholders ({name}: the run's
    repositories, {arn}, {digest}, {id}: a UUID, {time}, {account}), so that two runs' messages compare
    equal when ECR said the same thing."""
    if message is None:
        return None
    for pattern, placeholder in _VALUES:
        message = pattern.sub(placeholder, message)
    return message


def answer(entry: dict) -> dict:
    """One recorded answer as evidence: status, error type, message template, the members of a 2xx body."""
    exchange = har.exchange(entry)
    ok = exchange.status is not None and 200 <= exchange.status < 300
    return {"status": exchange.status, "error": protocol.error_type(exchange) if exchange.response else None,
            "message": None if ok else template(protocol.error_message(exchange)),
            "members": sorted(p for p in compare.shape(exchange.body) if p != "$") if ok else []}


def entries(recordings: list[har.Recording]) -> dict[str, dict]:
    """{check id: {operation, evidence, outcome, verdict, answers: [answer + count]}} over the recordings."""
    found: dict[str, dict] = {}
    for recording in recordings:
        for check, said in recording.meta.get("outcomes", {}).items():
            found[check] = {"operation": check.split("/", 1)[0], "evidence": said.get("evidence"),
                            "outcome": said["outcome"], "verdict": verdict(said["outcome"]), "answers": []}
        for item in recording.entries:
            row = found.get(item.get("_checkId", ""))
            if row is None or item.get("_operation") != row["operation"]:
                continue
            seen = answer(item)
            same = next((a for a in row["answers"] if {k: a[k] for k in seen} == seen), None)
            if same is None:
                row["answers"].append({**seen, "count": 1})
            else:
                same["count"] += 1
    return dict(sorted(found.items()))
