"""An incomplete run never looks green, and a run that judged nothing says so.

Runs of the suite in a subprocess: stopped early by -x (serially) and by --maxfail (under xdist), and
against a target whose StartImageScan is unknown (every check unsupported, as on MiniStack).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from moto.server import ThreadedMotoServer

from faulty import FaultyProxy

ROOT = Path(__file__).resolve().parent.parent


def run_suite(report_dir: Path, *args: str) -> tuple[subprocess.CompletedProcess, dict]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_EC2_METADATA_DISABLED="true")
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", f"--report-dir={report_dir}",
                           *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    return done, json.loads((report_dir / "results.json").read_text())


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
    logging.getLogger("werkzeug").disabled = True
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()

    def scan_unknown(operation: str, n: int):
        if operation == "StartImageScan":
            return 400, {"__type": "UnknownOperationException", "message": "unknown operation StartImageScan"}
        return "forward"

    try:
        with FaultyProxy(f"http://{host}:{port}", scan_unknown) as proxy:
            done, document = run_suite(tmp_path, "-p", "no:xdist", f"--endpoint={proxy.url}", "-m", "not auth")
    finally:
        moto.stop()
    assert {r["outcome"] for r in document["results"]} == {"unsupported"}
    assert done.returncode == 0
    headline = (tmp_path / "summary.md").read_text().splitlines()[0]
    assert "nothing judged" in headline and "no unexpected deviations" not in headline
    assert "Passed" not in (tmp_path / "report.html").read_text()
    assert "ECR conformance: nothing judged: 0 of" in done.stdout
