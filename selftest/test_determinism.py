"""The gate is deterministic: a serial run and a parallel (-n 2) run of the suite give the same verdicts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def verdicts(report_dir: Path, *args: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--report-dir={report_dir}",
                    *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    document = json.loads((report_dir / "results.json").read_text())
    return {record["id"]: record["outcome"] for record in document["results"]}


def test_serial_and_parallel_runs_agree(tmp_path):
    serial = verdicts(tmp_path / "serial", "-p", "no:xdist")
    parallel = verdicts(tmp_path / "parallel", "-n", "2")
    assert len(serial) > 50
    assert len(set(serial.values())) > 2  # the embedded moto gives a mix of outcomes, so agreement means something
    assert serial == parallel
