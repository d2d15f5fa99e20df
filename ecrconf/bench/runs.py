"""The benchmarked processes: a target server, suite runs under the probe, pytest's start-up.

Every process runs from the project root with this interpreter; suite runs get throw-away emulator
credentials (``testing``/``testing``) in their environment and never the caller's AWS profile or token.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import requests

from ecrconf import paths
from ecrconf.bench import measure
from ecrconf.bench.probe import ENV_DIR

ROOT = paths.ROOT
START_TIMEOUT = 60.0


class BenchFailed(Exception):
    """A benchmarked process could not be started or produced no figures."""


@contextmanager
def server(kind: str, latency_ms: float = 0):
    """A target ("moto" or "stub", the stub answering after latency_ms) in its own process on loopback;
    yields its URL, stops it on exit."""
    argv = [sys.executable, "-m", "ecrconf.bench.serve", kind] + ([str(latency_ms)] if latency_ms else [])
    process = subprocess.Popen(argv, cwd=ROOT, text=True,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        url = process.stdout.readline().strip()
        if not url.startswith("http://"):
            raise BenchFailed(f"the {kind} server did not start (exit status {process.poll()})")
        yield url
    finally:
        process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.terminate()
            process.wait(timeout=10)


def reset_moto(url: str) -> None:
    """Empty a moto server's state (moto's own /moto-api/reset), so that every run starts alike."""
    response = requests.post(f"{url}/moto-api/reset", timeout=30)
    if response.status_code != 200:
        raise BenchFailed(f"moto reset answered HTTP {response.status_code}")


def environment(probe_dir: Path | None = None) -> dict[str, str]:
    """The caller's environment without AWS credentials of its own, with the emulator ones."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") and k not in ("PYTEST_ADDOPTS", "PYTEST_XDIST_AUTO_NUM_WORKERS")}
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-east-1")
    if probe_dir is not None:
        env[ENV_DIR] = str(probe_dir)
    return env


# pytest's own cost per test, with this project's plugins and fixtures: an empty check, nothing sent.
FLOOR_TESTS = 200
FLOOR_MODULE = f"""import pytest


@pytest.mark.parametrize("case", range({FLOOR_TESTS}))
def test_empty(client, case, record_property):
    record_property("case", case)
"""


def floor(url: str, work_dir: Path) -> dict:
    """The same plugins, fixtures and options as the suite's, around an empty test run FLOOR_TESTS times:
    its ``measure.summarise`` figures, of which ``per_test_wall`` holds the wall of one test (seconds)."""
    module = work_dir / "floor" / "test_floor.py"
    module.parent.mkdir(parents=True, exist_ok=True)
    module.write_text(FLOOR_MODULE)
    return suite("floor", url, ["-p", "ecrconf.run.plugin", "--expectations=none", str(module)], work_dir)


def suite(name: str, url: str, pytest_args: list[str], work_dir: Path, *, profile: Path | None = None) -> dict:
    """Run the suite against url under the probe; its figures (``measure.summarise``) with the command,
    exit status, process wall (seconds) and log file. The log keeps pytest's output."""
    probe_dir = work_dir / "probes" / name
    shutil.rmtree(probe_dir, ignore_errors=True)
    probe_dir.mkdir(parents=True)
    runner = [sys.executable] + (["-m", "cProfile", "-o", str(profile)] if profile else [])
    args = ["-m", "pytest", "-q", "-p", "ecrconf.bench.probe", f"--endpoint={url}", "--region=us-east-1",
            *pytest_args]
    log = work_dir / f"{name}.log"
    start = time.perf_counter()
    with log.open("w") as out:
        status = subprocess.call(runner + args, cwd=ROOT, env=environment(probe_dir), stdout=out,
                                 stderr=subprocess.STDOUT)
    wall = time.perf_counter() - start
    try:
        figures = measure.summarise(measure.load(probe_dir))
    except measure.ProbeFilesInvalid as exc:
        raise BenchFailed(f"{name}: pytest exited {status} and left no figures ({exc}); see {log}") from None
    shown = " ".join(["pytest", *args[2:]]).replace(url, "URL")
    return {"name": name, "command": shown, "exit_status": status, "process_wall": wall,
            "log": str(log.relative_to(ROOT) if log.is_relative_to(ROOT) else log), **figures}


def startup_seconds() -> float:
    """Wall time of ``pytest --collect-only -q``: a pytest process's start-up and collection, nothing sent."""
    start = time.perf_counter()
    status = subprocess.call([sys.executable, "-m", "pytest", "--collect-only", "-q"], cwd=ROOT,
                             env=environment(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if status != 0:
        raise BenchFailed(f"pytest --collect-only -q exited {status}")
    return time.perf_counter() - start
