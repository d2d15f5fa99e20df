"""The CI gate end to end, against the embedded moto: deterministic verdicts, and a regression caught.

Run A is serial with moto's expectations. Run B is parallel (-n 2), compared with A as its baseline,
with one expectations entry removed: that known deviation becomes a plain failure, an injected
regression. B must agree with A on every other check, report exactly that regression, and exit 1
because of --fail-on-regression. Run C repeats B with B as its baseline: the same failure is no
regression, so --fail-on-regression lets it exit 0.
"""

from __future__ import annotations

import json
import os
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest

from ecrconf.report import compare
from ecrconf.run import expectations
from selftest import pytest_runs
from selftest.suite_runs import MECHANICS, areas

# The tests share one module fixture (three runs of the suite): under xdist, one worker runs them all
# (selftest/conftest.py), so the runs happen once.


def run_suite(report_dir: Path, *args: str) -> tuple[int, dict]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    done = pytest_runs.run(["-q", "-p", "no:cacheprovider", f"--report-dir={report_dir}", *areas(args)], env=env,
                           timeout=600)
    return done.returncode, json.loads((report_dir / "results.json").read_text())


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("gate")
    moto_file = expectations.path_for(f"moto-{version('moto')}")
    entries = tomllib.loads(moto_file.read_text())["deviations"]
    injected = sorted(check for check in entries if f"suites/{check.split('/')[1]}" in MECHANICS)[0]
    lines = moto_file.read_text().replace(f"[deviations.{json.dumps(injected)}]", "[removed]")
    trimmed = base / "trimmed.toml"
    trimmed.write_text(lines.replace("[removed]", f"[removed.{json.dumps(injected)}]"))
    status_a, a = run_suite(base / "a", "-p", "no:xdist")
    status_b, b = run_suite(base / "b", "-n", "2", f"--expectations={trimmed}",
                            f"--baseline={base / 'a' / 'results.json'}", "--fail-on-regression")
    status_c, _ = run_suite(base / "c", "-n", "2", f"--expectations={trimmed}",
                            f"--baseline={base / 'b' / 'results.json'}", "--fail-on-regression")
    return injected, (status_a, a), (status_b, b), base / "b", status_c


def test_a_run_with_its_known_deviations_passes_the_gate(runs):
    _, (status, document), _, _, _ = runs
    outcomes = {r["outcome"] for r in document["results"]}
    assert status == 0 and "expected-failure" in outcomes and "pass" in outcomes


def test_serial_and_parallel_runs_agree_but_for_the_injected_regression(runs):
    injected, (_, a), (_, b), _, _ = runs
    before = {r["id"]: r["outcome"] for r in a["results"]}
    after = {r["id"]: r["outcome"] for r in b["results"]}
    assert len(before) > 50 and set(before) == set(after)
    assert {i for i in before if before[i] != after[i]} == {injected}
    assert (before[injected], after[injected]) == ("expected-failure", "fail")


def test_the_regression_is_reported_and_fails_the_run(runs):
    injected, (_, a), (status, b), report_dir, _ = runs
    diff = compare.compare(a, b)
    assert [entry["id"] for entry in diff["newly_failing"]] == [injected]
    assert not diff["newly_passing"] and not diff["added"] and not diff["removed"]
    assert status == 1
    assert injected in (report_dir / "summary.md").read_text()
    assert injected in (report_dir / "report.html").read_text()


def test_a_failure_that_is_no_regression_passes_with_fail_on_regression(runs):
    *_, status_c = runs
    assert status_c == 0
