"""The plan: what a run will do, printed before anything is created.

``--plan`` prints it for any endpoint and exits 0; against real AWS without ``--allow-aws`` the run prints it
and stops with the consent exit status (9). Either way nothing is sent: the run only collects (as
``--collect-only`` does), so no target is probed or started.

The plan rests on the selected checks (after ``-k``, ``-m``, paths) and on what each one cost when measured
(``ecrconf.run.costs``, ``fixtures/plan/costs.json``): requests, repositories created and deleted, images
pushed, scans started, registry-wide state changed and put back. A check the measurement does not know
(new since) counts as the average check of its operation. The cleanup at the end counts one request per
repository created (those a check deleted itself make it an overestimate). Time is requests × ``AWS_SECONDS_PER_REQUEST``
plus, per scan a check waits for, the time it takes to finish (``SCAN_SECONDS``), for a serial run: an estimate, which
says so. On AWS without ``--allow-registry-writes`` the checks that change registry-wide state are skipped,
and the plan leaves them out.
"""

from __future__ import annotations

import math
import sys

import pytest

from ecrconf.generate import tables
from ecrconf.resources.registry import ITEMS, SETTINGS
from ecrconf.run import costs
from ecrconf.run.target import is_real_aws

# A round trip to a regional ECR API endpoint from a client in or near its region: tens of milliseconds to
# about 150 ms; 0.1 s is the figure the estimate uses (from further away, each request takes longer).
AWS_SECONDS_PER_REQUEST = 0.1
# How long a basic scan of a one-layer image takes on ECR before DescribeImageScanFindings says COMPLETE:
# typically under a minute (the suite waits at most --scan-timeout, default 180 s).
SCAN_SECONDS = 60.0

_PLAN = pytest.StashKey[tuple[int, str]]()  # (exit status, the line to end with)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("ecr").addoption(
        "--plan", action="store_true",
        help="print what the run would create and send (an estimate), then exit 0 without sending anything")


def hold(config: pytest.Config, *, status: int = 0, line: str = "") -> None:
    """Make this run print the plan after collection and end with status (and line on stderr), sending
    nothing: it only collects."""
    config.option.collectonly = True
    config.stash[_PLAN] = (status, line)


def wanted(config: pytest.Config) -> bool:
    """Whether --plan was given; if so, the run is held to printing the plan (hold)."""
    if config.option.plan:
        hold(config)
    return bool(config.option.plan)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    config = session.config
    if _PLAN not in config.stash or hasattr(config, "workerinput"):
        return
    endpoint = config.option.endpoint or ""
    on_aws = bool(endpoint) and is_real_aws(endpoint)
    registry_ok = not on_aws or config.option.allow_registry_writes
    sys.stdout.write("\n".join(render(session.items, endpoint=endpoint, on_aws=on_aws,
                                      registry_ok=registry_ok)) + "\n")
    sys.stdout.flush()
    # Every check deselected: nothing runs, and pytest lists none of them (as --collect-only would).
    config.hook.pytest_deselected(items=list(session.items))
    session.items.clear()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """The run's exit status is the plan's: 0 for --plan, the consent status against AWS (with its line)."""
    config = session.config
    if _PLAN not in config.stash or hasattr(config, "workerinput"):
        return
    status, line = config.stash[_PLAN]
    if line:
        sys.stdout.flush()
        sys.stderr.write(f"ecrconf: {line}\n")
    session.exitstatus = status


def estimate(check_ids: list[str], *, registry_ok: bool) -> dict:
    """Totals over the checks (full check ids): checks, skipped (registry-wide, not allowed), unknown
    (not measured), requests, repositories, images, scans (floats: per-case averages summed), registry
    (the registry-wide operations called)."""
    measured = costs.load()["checks"]
    by_operation: dict[str, list[dict]] = {}
    for check, row in measured.items():
        by_operation.setdefault(check.split("/", 1)[0], []).append(row)
    total = {"checks": 0, "skipped": 0, "unknown": 0, **{k: 0.0 for k in costs.COUNTED}, "registry": set()}
    for check in check_ids:
        row = measured.get(costs.base(check))
        if row is None:
            total["unknown"] += 1
            peers = by_operation.get(check.split("/", 1)[0]) or list(measured.values())
            row = _average(peers)
        if row["registry"] and not registry_ok:
            total["skipped"] += 1
            continue
        total["checks"] += 1
        for key in costs.COUNTED:
            total[key] += row[key] / max(row["cases"], 1)
        total["registry"].update(row["registry"])
    total["requests"] += total["repositories"]  # the run's cleanup: one DeleteRepository per repository at most
    return total


def _average(rows: list[dict]) -> dict:
    cases = sum(row["cases"] for row in rows) or 1
    return {"cases": 1, **{k: sum(row[k] for row in rows) / cases for k in costs.COUNTED}, "registry": []}


def seconds(total: dict) -> float:
    """The estimated time of a serial run against AWS, in seconds."""
    return total["requests"] * AWS_SECONDS_PER_REQUEST + total["waits"] * SCAN_SECONDS


def render(items: list[pytest.Item], *, endpoint: str, on_aws: bool, registry_ok: bool) -> list[str]:
    """The plan, one line per fact."""
    ids = [dict(item.user_properties).get("check_id", item.nodeid) for item in items]
    total = estimate(ids, registry_ok=registry_ok)
    measured = costs.load()["measured"]
    where = f"{endpoint} (real AWS)" if on_aws else (endpoint or "embedded moto")
    lines = [f"ecrconf plan for {where}: nothing has been created or sent",
             f"  checks: {total['checks']} to run"
             + (f", {total['skipped']} skipped (they change registry-wide state; --allow-registry-writes)"
                if total["skipped"] else ""),
             f"  repositories: about {_n(total['repositories'])} created and deleted again, "
             "named ecrconf-<run>-<worker>-<n>",
             f"  images: about {_n(total['images'])} pushed through the API, each small and never pushed before",
             f"  scans: about {_n(total['scans'])} started, each of a fresh image (none scanned twice)"]
    if total["registry"]:
        lines.append(f"  registry-wide: {len(total['registry'])} operations on {', '.join(_states(total['registry']))}; "
                     "settings are read first and put back after, items the run creates are deleted")
    else:
        lines.append("  registry-wide: nothing")
    took = seconds(total)
    shown = f"{took:.0f} s" if took < 120 else f"{took / 60:.0f} min"
    waits = (f", {SCAN_SECONDS:.0f} s for each of about {_n(total['waits'])} scans waited for"
             if _n(total["waits"]) else "")
    lines.append(f"  requests: about {_n(total['requests'])}; time: about {shown} serial against AWS "
                 f"({AWS_SECONDS_PER_REQUEST} s per request{waits}); an estimate")
    lines.append(f"  measured on {measured['target']} (suite {measured['suiteVersion']}, {measured['date']})"
                 + (f"; {total['unknown']} checks not measured, counted as their operation's average"
                    if total["unknown"] else ""))
    return lines


def _states(operations: set[str]) -> list[str]:
    """What registry-wide state these operations touch, as ecrconf.resources.registry names it."""
    found = []
    for operation in sorted(operations):
        state = tables.table(operation).state
        what = SETTINGS[state].what if state in SETTINGS else ITEMS.get(state, state)
        if what not in found:
            found.append(what)
    return found


def _n(value: float) -> int:
    return math.ceil(value - 1e-9)
