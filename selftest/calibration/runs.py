"""One run of the conformance suite against the reference endpoint set up as a Behaviour.

The run is `python -m pytest` as selftest/pytest_runs.py gives it (a fork of a pre-imported pytest).

The verdicts are read from the run's results.json (ecrconf/report/results_schema.json), one outcome per check id.
Every check is asserted strictly (--evidence=inferred), and the run signs with temporary credentials so
that the session-token case is judged too.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from selftest import pytest_runs
from selftest.reference import REGION, Behaviour, KeyPair, ReferenceEcr

KEYS = KeyPair("ASIACALIBRATION0TEMPORARY", "calibration/temporary/secret", token="calibration-session-token")
SCAN_TIMEOUT = 5  # seconds a scan may take: the reference's take 0.3 (2 in the slow-scan variant)
RUN_TIMEOUT = 300
PROFILE_PLUGIN = "selftest.calibration.hypothesis_profile"
OUTPUT_TAIL = 4000


class RunBroken(Exception):
    """The suite did not run to its end, so its verdicts cannot be read."""


@dataclass(frozen=True)
class Selection:
    """Which part of the suite to run: suite areas (folders of suites/) and test functions; empty is all."""

    areas: tuple[str, ...] = ()
    tests: tuple[str, ...] = ()

    def arguments(self) -> list[str]:
        chosen = [f"suites/{area}" for area in self.areas]
        return chosen + (["-k", " or ".join(self.tests)] if self.tests else [])


@dataclass(frozen=True)
class SuiteRun:
    outcomes: dict[str, str]  # check id -> outcome (pass, fail, error, skipped, ...)
    messages: dict[str, str]  # check id -> the first line of what went wrong
    faults: tuple[str, ...]  # the reference's own failures during the run (tracebacks)
    seconds: float
    evidence: dict[str, str] = field(default_factory=dict)  # check id -> documented, observed or inferred

    def having(self, *outcomes: str) -> list[str]:
        return sorted(check for check, seen in self.outcomes.items() if seen in outcomes)


def run_suite(behaviour: Behaviour, selection: Selection = Selection()) -> SuiteRun:
    env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=KEYS.access_key, AWS_SECRET_ACCESS_KEY=KEYS.secret_key,
               AWS_SESSION_TOKEN=KEYS.token, AWS_REGION=REGION)
    started = time.monotonic()
    reference = ReferenceEcr(behaviour, keys=KEYS)
    with tempfile.TemporaryDirectory(prefix="calibration-") as report_dir, reference as url:
        done = pytest_runs.run(
            ["-p", "no:cacheprovider", "-p", PROFILE_PLUGIN, "--hypothesis-profile=calibration", "-q",
             "--endpoint", url, "--evidence=inferred", "--expectations=none", f"--scan-timeout={SCAN_TIMEOUT}",
             f"--report-dir={report_dir}", *selection.arguments()],
            env=env, timeout=RUN_TIMEOUT)
        results = Path(report_dir) / "results.json"
        if done.returncode not in (0, 1) or not results.exists():
            raise RunBroken(f"suite exit status {done.returncode}\n{(done.stdout + done.stderr)[-OUTPUT_TAIL:]}")
        records = json.loads(results.read_text())["results"]
    return SuiteRun({r["id"]: r["outcome"] for r in records},
                    {r["id"]: r.get("message", "").split("\n", 1)[0] for r in records},
                    tuple(reference.pipeline.faults), time.monotonic() - started,
                    {r["id"]: r["evidence"] for r in records})
