"""The probe's files of one run, merged into figures: totals, per operation, per test, distribution.

Harness time per request = (test wall - wait on the target) / requests, in milliseconds: what the
suite spent of its own (generation, signing, checks, reporting, pytest) for each request it sent.
A test that sent no request has no such figure (None). Times in the input are seconds.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

from ecrconf.bench.probe import FORMAT


class ProbeFilesInvalid(Exception):
    """The directory holds no probe file, or one that is not in the probe's format."""


def load(directory: Path) -> list[dict]:
    """Every probe file of one run (one per process), in name order."""
    documents = []
    for path in sorted(directory.glob("probe-*.json")):
        try:
            document = json.loads(path.read_text())
        except ValueError as exc:
            raise ProbeFilesInvalid(f"{path}: not JSON ({exc})") from None
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise ProbeFilesInvalid(f"{path}: not an {FORMAT} file")
        documents.append(document)
    if not documents:
        raise ProbeFilesInvalid(f"{directory}: no probe-*.json file (did the run load -p ecrconf.bench.probe?)")
    return documents


def harness_ms(wall: float, wait: float, requests: int) -> float | None:
    """(wall - wait) / requests in milliseconds; None when nothing was sent."""
    return (wall - wait) / requests * 1000 if requests else None


def group(items: Iterable[dict], key: Callable[[dict], str]) -> list[dict]:
    """Items summed per key: ``{key, tests, wall, wait, requests, harness_ms}``, slowest first."""
    rows: dict[str, dict] = {}
    for item in items:
        row = rows.setdefault(key(item), {"key": key(item), "tests": 0, "wall": 0.0, "wait": 0.0, "requests": 0})
        row["tests"] += 1
        row["wall"] += item["wall"]
        row["wait"] += item["wait"]
        row["requests"] += item["requests"]
    for row in rows.values():
        row["harness_ms"] = harness_ms(row["wall"], row["wait"], row["requests"])
    return sorted(rows.values(), key=lambda r: -r["wall"])


def distribution(values: list[float]) -> dict:
    """``{n, median, p90}`` of values (p90 by linear interpolation, inclusive); None figures when empty."""
    if not values:
        return {"n": 0, "median": None, "p90": None}
    p90 = values[0] if len(values) == 1 else statistics.quantiles(values, n=10, method="inclusive")[8]
    return {"n": len(values), "median": statistics.median(values), "p90": p90}


def summarise(documents: list[dict]) -> dict:
    """One run's figures from its processes' documents.

    ``session_wall`` is the controller's (worker "main"): pytest's own session time, from session start to
    finish, which under xdist includes starting the workers. ``requests`` counts every request, also those
    sent outside tests. The distribution is over tests that sent at least one request.
    """
    items = [item for document in documents for item in document["items"]]
    main = [d for d in documents if d["worker"] == "main"]
    if len(main) != 1:
        raise ProbeFilesInvalid(f"expected one controller (worker 'main') file, found {len(main)}")
    in_tests = sum(item["requests"] for item in items)
    requests = in_tests + sum(d["outside_requests"] for d in documents)
    session_wall = main[0]["session_wall"]
    wall, wait = sum(i["wall"] for i in items), sum(i["wait"] for i in items)
    return {
        "processes": len(documents), "tests": len(items), "session_wall": session_wall,
        "requests": requests, "rate": requests / session_wall if session_wall else None,
        "test_wall": wall, "wait": wait, "harness_ms": harness_ms(wall, wait, in_tests),
        "per_test_wall": distribution([i["wall"] for i in items]),
        "per_test_harness_ms": distribution([harness_ms(i["wall"], i["wait"], i["requests"])
                                             for i in items if i["requests"]]),
        "outcomes": dict(sorted(Counter(i["outcome"] for i in items).items())),
        "verdicts": {i["nodeid"]: i["outcome"] for i in items},
        "by_operation": group(items, lambda i: i["operation"] or "(none)"),
        "by_test": group(items, lambda i: i["test"]),
    }


def verdict_differences(one: dict, other: dict) -> list[str]:
    """Tests whose outcome differs between two summarised runs (or that only one ran), one line each."""
    a, b = one["verdicts"], other["verdicts"]
    return [f"{nodeid}: {a.get(nodeid, 'not run')} / {b.get(nodeid, 'not run')}"
            for nodeid in sorted(set(a) | set(b)) if a.get(nodeid) != b.get(nodeid)]
