"""Verdicts stay honest under faults: a target that stops answering, dies mid-run, fails setup calls or
deviates otherwise than recorded is never reported as a known deviation or an advisory failure.

Each run is the suite in a subprocess against a FaultyProxy in front of a moto server, with moto's
expectations applied (--target=moto-5.2.5): what would be excused if moto answered is not, because
what answers is not moto's recorded behaviour.
"""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
from importlib.metadata import version
from pathlib import Path

import pytest

from ecrconf.report.reporting import CLEANUP_LINES
from faulty import FaultyProxy, breaking
from suite_runs import moto_server, outcomes
from suite_runs import run_suite as run

TARGET = f"moto-{version('moto')}"
SELECTION = "test_invalid_request_is_rejected and wrong-type"  # 20 checks, known deviations of moto
EXCUSED = {"expected-failure", "advisory-fail"}
SERVER_ERROR = {"__type": "ServerException", "message": "boom"}


@pytest.fixture(scope="module")
def moto():
    with moto_server() as url:
        yield url


def run_suite(endpoint: str, report_dir: Path, *args: str):
    return run(report_dir, f"--endpoint={endpoint}", f"--target={TARGET}", *args)


def pytest_counts(stdout: str) -> dict[str, int]:
    """pytest's outcomes in its closing line as {label: n}: '20 errors, 3 deselected in 1.2s' -> {'errors': 20}."""
    last = stdout.strip().splitlines()[-1]
    return {word: int(n) for n, word in re.findall(r"(\d+) (\w+)", last) if word not in ("deselected", "warnings")}


def answers_probe_then_closes(operation: str, n: int) -> str:
    return "forward" if operation == "DescribeRepositories" else "close"


def test_a_target_that_stops_answering_is_a_red_run_of_errors(moto, tmp_path):
    with FaultyProxy(moto, answers_probe_then_closes) as proxy:
        done, document = run_suite(proxy.url, tmp_path, "-p", "no:xdist", "-k", SELECTION)
    assert done.returncode == 1, done.stdout
    assert outcomes(document) == {"error": 20}
    assert pytest_counts(done.stdout) == {"errors": 20}, "pytest's labels and the records disagree"
    suite = ET.parse(tmp_path / "junit.xml").getroot().find("testsuite")
    assert (suite.get("errors"), suite.get("failures")) == ("20", "0"), "JUnit and the records disagree"
    assert "xfailed" not in done.stdout and "Received: HTTP 400" not in done.stdout
    summary = (tmp_path / "summary.md").read_text()
    assert "no unexpected deviations" not in summary and "20 errors" in summary


def test_no_check_is_excused_when_nothing_answers(moto, tmp_path):
    with FaultyProxy(moto, answers_probe_then_closes) as proxy:
        done, document = run_suite(proxy.url, tmp_path, "-n", "2")
    found = outcomes(document)
    assert done.returncode == 1
    assert not EXCUSED & set(found) and "pass" not in found and found["error"] > 50, found
    # Every test ends at its first unanswered request: Hypothesis never shrinks a fault. (The client sends a
    # request whose connection dropped once more: ecrconf.wire.retries.)
    assert proxy.dropped <= 2 * (len(document["results"]) + 10), proxy.dropped


def test_a_target_killed_mid_run_gives_errors_at_once(moto, tmp_path):
    def dies_after_150(operation: str, n: int) -> str:
        return "forward" if n <= 150 else "close"

    with FaultyProxy(moto, dies_after_150) as proxy:
        done, document = run_suite(proxy.url, tmp_path, "-p", "no:xdist")
    found = outcomes(document)
    assert done.returncode == 1 and found.get("error", 0) > 10, found
    excused_without_answer = [r["id"] for r in document["results"]
                              if r["outcome"] in EXCUSED and "no response" in r.get("message", "")]
    assert not excused_without_answer
    assert proxy.dropped <= 2 * (len(document["results"]) + 10), proxy.dropped  # each sent twice at most


def test_another_deviation_than_recorded_is_a_new_failure(moto, tmp_path):
    with FaultyProxy(moto, breaking("StartImageScan", (500, SERVER_ERROR))) as proxy:
        done, document = run_suite(proxy.url, tmp_path, "-p", "no:xdist", "-k", SELECTION)
    assert done.returncode == 1
    assert outcomes(document) == {"fail": 20}
    assert pytest_counts(done.stdout) == {"failed": 20}
    for record in document["results"]:
        assert record["answer"] == {"status": 500, "error": "ServerException"}
        assert re.search(r"is recorded as HTTP (400 RepositoryNotFoundException|500),", record["message"])
        assert "received HTTP 500 ServerException" in record["message"]
    assert "Received: HTTP 500 ServerException" in done.stdout


def test_a_setup_failure_is_an_error_even_for_known_and_advisory_checks(moto, tmp_path):
    with FaultyProxy(moto, breaking("PutImage")) as proxy:
        done, document = run_suite(proxy.url, tmp_path, "-p", "no:xdist", "-k",
                                   "test_scan_after_scan_on_push or test_image_index_is_unsupported")
    assert done.returncode == 1
    assert outcomes(document) == {"error": 3}  # two known deviations and an advisory check
    assert all("PutImage failed during setup: no response" in r["message"] for r in document["results"])
    assert pytest_counts(done.stdout) == {"errors": 3}


def test_a_fault_inside_a_hypothesis_test_ends_it_at_its_first_example(moto, tmp_path):
    with FaultyProxy(moto, breaking("StartImageScan")) as proxy:
        done, document = run_suite(proxy.url, tmp_path, "-p", "no:xdist", "-k",
                                   "test_generated_invalid_requests_are_rejected or test_absent_repository_is")
    assert outcomes(document) == {"error": 2} and pytest_counts(done.stdout) == {"errors": 2}
    # Each test's first request, and the client's one re-send of a dropped connection (ecrconf.wire.retries).
    assert proxy.dropped == 2 * 2, "Hypothesis retried or shrank an unanswered request"
    assert "no verdict (TargetUnresponsive)" in done.stdout and "Traceback" not in done.stdout


def test_a_target_that_stops_answering_in_time_ends_the_run(moto, tmp_path):
    def scans_hang(operation: str, n: int) -> str:
        if operation == "StartImageScan":
            time.sleep(1)  # twice the read timeout: every scan times out
            return "close"
        return "forward"

    with FaultyProxy(moto, scans_hang) as proxy:
        done, document = run_suite(proxy.url, tmp_path, "-p", "no:xdist", "--request-timeout=0.5")
    run = document["run"]
    assert done.returncode == 2, done.stdout[-2000:]
    assert run["complete"] is False and run["stopped"].endswith("3 requests in a row timed out")
    assert run["not_run"] > 50 and "expected-failure" not in outcomes(document)


def test_what_the_run_cannot_delete_is_named_and_fails_it(moto, tmp_path):
    with FaultyProxy(moto, breaking("DeleteRepository", (500, SERVER_ERROR))) as proxy:
        done, document = run_suite(proxy.url, tmp_path, "-p", "no:xdist", "suites/operations", "-k",
                                   "test_valid_request_succeeds and (PutImage or BatchGetImage or ListImages "
                                   "or SetRepositoryPolicy or PutLifecyclePolicy or TagResource)")
    left = document["run"]["leftovers"]
    assert done.returncode == 1 and outcomes(document) == {"pass": 9}  # PutImage* and BatchGetImage* too
    assert left and all("not deleted, HTTP 500 ServerException" in line for line in left)
    assert f"cleanup: {left[0]}" in done.stdout
    shown = [line for line in done.stdout.splitlines() if line.startswith("cleanup: ")]
    assert len(left) > CLEANUP_LINES, left
    assert len(shown) == min(len(left), CLEANUP_LINES), shown  # the console stays short; results.json has all
    if len(left) > CLEANUP_LINES:
        assert shown[-1].startswith(f"cleanup: and {len(left) - CLEANUP_LINES + 1} more not deleted")
    assert "created and not deleted" in (tmp_path / "summary.md").read_text().splitlines()[0]
