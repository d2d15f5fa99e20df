"""The suite plays well with pytest: JUnit both in --report-dir and at --junitxml, each test case's own
request count, the cache (--lf reruns what failed), and pytest-timeout's --timeout beside --request-timeout.

Three small runs against the embedded moto with no expectations applied: one check moto is known to
fail (recorded in its expectations file) and eight it passes. Run A is serial, run B repeats A with
--lf, run C runs under -n 2 with pytest-timeout active.
"""

from __future__ import annotations

import json
import os
import subprocess
import xml.etree.ElementTree as ET
from importlib.metadata import version
from pathlib import Path

import pytest

from ecrconf.run import expectations, results
from selftest import pytest_runs

ROOT = Path(__file__).resolve().parent.parent
FAILING = "suites/protocol/test_awsjson11.py::test_routing[get-method]"
PASSING = "suites/protocol/test_awsjson11.py::test_response_framing"
# The tests share one module fixture (three runs of the suite): under xdist, one worker runs them all
# (selftest/conftest.py), so the runs happen once.


def run_suite(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return pytest_runs.run(["--expectations=none", FAILING, PASSING, *args], env=env, timeout=600)


def record_ids(report_dir: Path) -> dict[str, str]:
    document = json.loads((report_dir / "results.json").read_text())
    return {record["id"]: record["outcome"] for record in document["results"]}


def junit_requests(path: Path) -> dict[str, list[int]]:
    """{test case name: the values of its requests properties}."""
    return {case.get("name"): [int(p.get("value")) for p in case.iter("property") if p.get("name") == "requests"]
            for case in ET.parse(path).getroot().iter("testcase")}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("pytest-integration")
    cache = f"cache_dir={base / 'cache'}"  # the cache stays out of the project
    a = run_suite("-q", "-o", cache, f"--report-dir={base / 'a'}", f"--junitxml={base / 'a.xml'}")
    b = run_suite("-q", "-o", cache, "--lf", f"--report-dir={base / 'b'}")
    c = run_suite("-p", "no:cacheprovider", "-n", "2", "--timeout=120", "--request-timeout=5",
                  f"--report-dir={base / 'c'}")
    return base, a, b, c


def test_the_cache_stays_out_of_git():
    assert ".pytest_cache/" in (ROOT / ".gitignore").read_text().splitlines()


def test_the_failing_check_is_a_recorded_moto_deviation():
    known = expectations.load(expectations.path_for(f"moto-{version('moto')}"))
    assert results.check_id(FAILING, "StartImageScan") in known


def test_report_dir_and_junitxml_both_get_junit(runs):
    base, a, _, _ = runs
    assert a.returncode == 1, a.stdout[-3000:] + a.stderr[-3000:]
    assert (base / "a" / "junit.xml").read_bytes() == (base / "a.xml").read_bytes()
    assert len(junit_requests(base / "a.xml")) == len(record_ids(base / "a")) == 9
    assert "junit.xml" in a.stdout


@pytest.mark.parametrize("run", ["a", "c"], ids=["serial", "xdist"])
def test_each_test_case_carries_its_own_request_count(runs, run):
    base = runs[0]
    counts = junit_requests(base / run / "junit.xml")
    assert all(len(values) == 1 for values in counts.values()), counts
    assert all(values[0] > 0 for values in counts.values()), counts  # every one of these checks sends
    run_total = json.loads((base / run / "results.json").read_text())["run"]["requests"]
    assert sum(values[0] for values in counts.values()) == run_total


def test_last_failed_reruns_only_the_failing_check(runs):
    base, _, b, _ = runs
    first = record_ids(base / "a")
    failed = {check for check, outcome in first.items() if outcome == "fail"}
    assert failed == {results.check_id(FAILING, "StartImageScan")} and len(first) > len(failed)
    assert b.returncode == 1, b.stdout[-3000:] + b.stderr[-3000:]
    assert record_ids(base / "b") == {check: "fail" for check in failed}


def test_pytest_timeout_works_beside_request_timeout(runs):
    base, a, _, c = runs
    assert c.returncode != 4 or "unrecognized arguments: --timeout" not in c.stderr, \
        "pytest-timeout is not installed (requirements.txt): run make setup"
    assert c.returncode == 1, c.stdout[-3000:] + c.stderr[-3000:]
    assert "timeout: 120.0s" in c.stdout  # pytest-timeout's own header line: the plugin was active
    assert record_ids(base / "c") == record_ids(base / "a")
