"""An incomplete run never looks green, and a run that judged nothing says so.

Runs of the suite in a subprocess: stopped early by -x (serially) and by --maxfail (under xdist), and
against a target whose StartImageScan is unknown (every check unsupported, as on MiniStack).
"""

from __future__ import annotations

import pytest

from faulty import FaultyProxy
from suite_runs import moto_server, run_suite


@pytest.mark.parametrize("stop", [["-p", "no:xdist", "-x"], ["-n", "2", "--maxfail=2"]], ids=["x", "maxfail-xdist"])
def test_a_run_stopped_early_says_it_is_incomplete_everywhere(tmp_path, stop):
    done, document = run_suite(tmp_path, "--expectations=none", *stop)
    run = document["run"]
    assert done.returncode != 0
    assert run["complete"] is False and run["not_run"] > 50 and "stopping after" in run["stopped"]
    assert len(document["results"]) + run["not_run"] == 120
    assert f"{run['not_run']} of 120 checks did not run" in (tmp_path / "summary.md").read_text().splitlines()[0]
    assert "Incomplete: stopping after" in (tmp_path / "report.html").read_text()
    assert "ECR conformance: incomplete: stopping after" in done.stdout


def test_a_complete_run_says_so(tmp_path):
    done, document = run_suite(tmp_path, "-p", "no:xdist", "-k", "test_boundary_values_are_accepted")
    assert done.returncode == 0
    assert document["run"]["complete"] is True and document["run"]["not_run"] == 0
    assert "ECR conformance: no unexpected deviations; 4 of 4 checks pass" in done.stdout


def test_a_run_that_judged_nothing_does_not_say_passed(tmp_path):
    def scan_unknown(operation: str, n: int):
        if operation == "StartImageScan":
            return 400, {"__type": "UnknownOperationException", "message": "unknown operation StartImageScan"}
        return "forward"

    with moto_server() as moto, FaultyProxy(moto, scan_unknown) as proxy:
        done, document = run_suite(tmp_path, "-p", "no:xdist", f"--endpoint={proxy.url}", "-m", "not auth")
    assert {r["outcome"] for r in document["results"]} == {"unsupported"}
    assert done.returncode == 0
    headline = (tmp_path / "summary.md").read_text().splitlines()[0]
    assert "nothing judged" in headline and "no unexpected deviations" not in headline
    assert "Passed" not in (tmp_path / "report.html").read_text()
    assert "ECR conformance: nothing judged: 0 of" in done.stdout
