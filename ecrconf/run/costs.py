"""What each check costs a target: requests, repositories, images, scans and registry-wide calls, measured.

The figures are measured from a recording of the whole suite (``pytest --record=DIR``, serial, against the
strict reference ECR of the self-tests: it implements every operation and answers as real ECR does, so every
check runs to its end) and kept as data in ``fixtures/plan/costs.json``, per check without its case
(``Operation/area/test``): how many cases it had and, in total over them, the requests it sent, the
repositories it created (CreateRepository answered 200), the images it pushed (PutImage answered 200), the
scans it started (StartImageScan answered 200), the scans it waited for (cases that started a scan and read
its findings: DescribeImageScanFindings), and the registry-wide operations it called (those whose
table, ``fixtures/operations/``, has ``account_wide``). The run's cleanup at the end is not a check's: a
plan counts one DeleteRepository per repository created for it. A check on a target that deviates may send fewer
(a setup call that fails ends it) or, under Hypothesis, other requests: the plan is an estimate.

Rebuild after the suite changes: ``python -m selftest.recordings DIR`` (the whole suite against the
reference, recorded), then ``python -m ecrconf.run.costs DIR [--out fixtures/plan/costs.json]``. Exit 4, in one line, for a recording
that cannot be read.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from functools import cache
from pathlib import Path

from ecrconf import paths
from ecrconf import __version__
from ecrconf.generate import tables
from ecrconf.run.recorder import SESSION_END

COSTS_FILE = paths.data("fixtures", "plan", "costs.json")
FORMAT = "ecrconf-costs/1"
COUNTED = ("requests", "repositories", "images", "scans", "waits")


def base(check_id: str) -> str:
    """A check id without its case: ``Op/area/test[case]`` -> ``Op/area/test``."""
    return check_id.split("[", 1)[0]


@cache
def registry_wide() -> frozenset[str]:
    """The operations that read or change state of the whole registry (their table's ``account_wide``)."""
    return frozenset(t.operation for t in tables.tables() if t.account_wide)


def measure(entries: list[dict], checks: list[str] = ()) -> dict[str, dict]:
    """{check without case: {cases, requests, repositories, images, scans, registry}} from HAR entries
    (``ecrconf.wire.recording``: ``_checkId``, ``_operation``, the response's status); checks (full ids)
    that sent nothing count with zeros."""
    found: dict[str, dict] = {}
    cases: dict[str, set[str]] = {}
    for check in checks:
        found.setdefault(base(check), {"cases": 0, **{k: 0 for k in COUNTED}, "registry": []})
        cases.setdefault(base(check), set()).add(check)
    for entry in entries:
        check = entry.get("_checkId") or ""
        if not check or check == SESSION_END:  # the run's cleanup: estimated from the repositories made
            continue
        row = found.setdefault(base(check), {"cases": 0, **{k: 0 for k in COUNTED}, "registry": []})
        cases.setdefault(base(check), set()).add(check)
        operation, ok = entry.get("_operation", ""), entry["response"]["status"] == 200
        row["requests"] += 1
        row["repositories"] += operation == "CreateRepository" and ok
        row["images"] += operation == "PutImage" and ok
        row["scans"] += operation == "StartImageScan" and ok
        if operation in registry_wide() and operation not in row["registry"]:
            row["registry"].append(operation)
    for check in {e.get("_checkId") for e in entries if e.get("_operation") == "DescribeImageScanFindings"}:
        started = any(e.get("_checkId") == check and e.get("_operation") == "StartImageScan"
                      and e["response"]["status"] == 200 for e in entries)
        if started and base(check or "") in found:
            found[base(check)]["waits"] += 1
    for check, row in found.items():
        row["cases"] = len(cases[check])
        row["registry"].sort()
    return dict(sorted(found.items()))


@cache
def load(path: Path = COSTS_FILE) -> dict:
    """The costs document: {format, measured: {...}, checks: {check: row}}; FileNotFoundError, ValueError."""
    document = json.loads(path.read_text())
    if document.get("format") != FORMAT or not isinstance(document.get("checks"), dict):
        raise ValueError(f"{path}: not an {FORMAT} document")
    return document


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ecrconf.run.costs",
                                     description="Measure what each check costs from a recording of the reference.")
    parser.add_argument("recording", type=Path, help="a --record directory of a whole serial run")
    parser.add_argument("--out", type=Path, default=COSTS_FILE, help=f"where to write (default {COSTS_FILE.name})")
    args = parser.parse_args(argv)
    from ecrconf.replay import har
    try:
        recordings = har.load(args.recording)
    except har.RecordingInvalid as exc:
        sys.stderr.write(f"ecrconf.run.costs: {exc}\n")
        return 4
    entries = [entry for recording in recordings for entry in recording.entries]
    meta = recordings[0].meta
    document = {"format": FORMAT,
                "measured": {"target": meta.get("target") or meta.get("endpoint"), "suiteVersion": __version__,
                             "date": datetime.date.today().isoformat(), "requests": len(entries)},
                "checks": measure(entries, [c for r in recordings for c in r.meta.get("checks", [])])}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=1) + "\n")
    print(f"{len(document['checks'])} checks, {len(entries)} requests -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
