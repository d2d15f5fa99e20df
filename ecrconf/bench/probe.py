"""A measuring pytest plugin for benchmarked runs: ``pytest -p ecrconf.bench.probe``.

Per test (setup, call and teardown together) it records the wall time, the requests sent, the time
spent waiting on the target and the outcome, and writes them, per process (the xdist controller and
every worker), to ``$ECRCONF_BENCH_PROBE_DIR/probe-<worker>-<pid>.json``; ``ecrconf.bench.measure``
merges the files.

The wait comes from ``EcrClient.send``, wrapped here: each request waited for the interval of its
``Exchange.elapsed``, ending when send returned. A test's wait is the union of those intervals, so that
requests in flight at once (a test's threads) are not counted twice. Requests sent outside any test
(the target probe before the run) count as ``outside``.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from ecrconf.wire.client import EcrClient

ENV_DIR = "ECRCONF_BENCH_PROBE_DIR"
FORMAT = "ecrconf-bench-probe/1"


class Meter:
    """Requests recorded from any thread: count, waiting intervals (monotonic seconds), per operation."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self.intervals: list[tuple[float, float]] = []
        self.operations: Counter[str] = Counter()

    def record(self, operation: str, start: float, end: float) -> None:
        with self._lock:
            self.intervals.append((start, end))
            self.operations[operation] += 1

    def take(self) -> tuple[list[tuple[float, float]], Counter]:
        """What was recorded since the last take, and start afresh."""
        with self._lock:
            taken = self.intervals, self.operations
            self._reset()
        return taken


def union_seconds(intervals: list[tuple[float, float]]) -> float:
    """The length of the union of (start, end) intervals, in the intervals' unit."""
    total, reach = 0.0, float("-inf")
    for start, end in sorted(intervals):
        if end <= reach:
            continue
        total += end - max(start, reach)
        reach = end
    return total


METER = Meter()
_original_send = EcrClient.send


def _measured_send(self, prepared, operation, *, altered=False):
    exchange = _original_send(self, prepared, operation, altered=altered)
    end = time.monotonic()
    METER.record(operation, end - exchange.elapsed, end)
    return exchange


EcrClient.send = _measured_send  # from import on: the target probe before the session counts too


class Probe:
    """The per-process recorder; registered by pytest_configure."""

    def __init__(self, directory: Path, worker: str) -> None:
        self.directory = directory
        self.worker = worker
        self.items: list[dict] = []
        self.outcomes: dict[str, str] = {}
        self.outside = 0
        self.session_start = 0.0

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self) -> None:
        self.session_start = time.monotonic()
        self.outside += len(METER.take()[0])

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """The test's outcome as pytest reports it: failed, passed, skipped, xfailed or xpassed."""
        if report.failed:
            outcome = "failed"
        elif report.skipped:
            outcome = "xfailed" if hasattr(report, "wasxfail") else "skipped"
        elif report.when == "call":
            outcome = "xpassed" if hasattr(report, "wasxfail") else "passed"
        else:
            return
        if self.outcomes.get(report.nodeid) != "failed":  # a failing teardown does not undo a failure
            self.outcomes[report.nodeid] = outcome

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item):
        self.outside += len(METER.take()[0])
        start = time.monotonic()
        yield
        wall = time.monotonic() - start
        intervals, operations = METER.take()
        marker = item.get_closest_marker("operation")
        self.items.append({
            "nodeid": item.nodeid, "test": item.nodeid.split("[", 1)[0],
            "operation": marker.args[0] if marker and marker.args else "",
            "wall": wall, "requests": len(intervals), "wait": union_seconds(intervals),
            "sent": dict(sorted(operations.items())), "outcome": self.outcomes.pop(item.nodeid, "unknown"),
        })

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self) -> None:
        session_wall = time.monotonic() - self.session_start
        self.outside += len(METER.take()[0])
        self.directory.mkdir(parents=True, exist_ok=True)
        document = {"format": FORMAT, "worker": self.worker, "pid": os.getpid(), "session_wall": session_wall,
                    "outside_requests": self.outside, "items": self.items}
        path = self.directory / f"probe-{self.worker}-{os.getpid()}.json"
        path.write_text(json.dumps(document, indent=1))


def pytest_configure(config: pytest.Config) -> None:
    directory = os.environ.get(ENV_DIR)
    if not directory:
        raise pytest.UsageError(f"-p ecrconf.bench.probe needs {ENV_DIR}: the directory to write its files to")
    worker = getattr(config, "workerinput", {}).get("workerid", "main")
    config.pluginmanager.register(Probe(Path(directory), worker), "ecrconf-bench-probe")
