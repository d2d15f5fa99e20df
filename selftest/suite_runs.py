"""Running the suite as its users do, `python -m pytest` (selftest/pytest_runs.py), from a self-test; and a
moto server to run it at."""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

from moto.server import ThreadedMotoServer

from ecrconf.report import results_file
from ecrconf.wire.client import Credentials, EcrClient
from selftest import pytest_runs


# The areas a self-test runs unless it names its own: they exercise every mechanism of a run (reports,
# expectations, faults, signals) in a few seconds. The generic suite over every operation
# (suites/operations, thousands of checks) is held by the calibration and by `make test`'s own run.
MECHANICS = ("suites/start_image_scan", "suites/protocol")


def areas(args: tuple[str, ...] | list[str]) -> list[str]:
    """args, with the MECHANICS areas added when they name no part of suites/ themselves."""
    return [*args] if any(a.startswith("suites/") for a in args) else [*args, *MECHANICS]


def run_suite(report_dir: Path, *args: str, timeout: float = 300) -> tuple[subprocess.CompletedProcess, dict]:
    """``pytest --report-dir=report_dir *args`` in the repository with emulator credentials (and no other
    AWS_* variable), over the MECHANICS areas unless args name others; returns the finished process and its
    results.json, checked against the format."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_EC2_METADATA_DISABLED="true")
    done = pytest_runs.run(["-p", "no:cacheprovider", f"--report-dir={report_dir}", *areas(args)], env=env,
                           timeout=timeout)
    return done, results_file.load(report_dir / "results.json")


def outcomes(document: dict) -> dict[str, int]:
    """{outcome: how many records have it} of a results document."""
    found: dict[str, int] = {}
    for record in document["results"]:
        found[record["outcome"]] = found.get(record["outcome"], 0) + 1
    return found


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """A moto server on 127.0.0.1 and a port the OS picks, for the block; yields its URL.

    The server has answered one ECR request before it is yielded: moto loads a service's backend on its
    first request, which must not count against the read timeout of a run's first request."""
    logging.getLogger("werkzeug").disabled = True
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        url = f"http://{host}:{port}"
        warm = EcrClient(url, "us-east-1", Credentials("testing", "testing")).call("DescribeRepositories", {})
        assert warm.status == 200, f"moto answered its first DescribeRepositories with {warm.status}"
        yield url
    finally:
        server.stop()
