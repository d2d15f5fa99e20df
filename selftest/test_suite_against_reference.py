"""The conformance suite, run against the reference endpoint (which answers as real ECR does), finds nothing.

A failure here is either a bug in the reference or a false alarm of the suite. The run asserts every
check strictly (--evidence=inferred), so advisory checks are held to silence too.
"""

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

from selftest.reference import REFERENCE_KEYS, REGION, ReferenceEcr

ROOT = Path(__file__).resolve().parent.parent
SUITE_TIMEOUT = 600
SUMMARY = re.compile(r"(\d+) (failed|passed|errors?|skipped|xfailed|xpassed|deselected)\b")


@dataclass(frozen=True)
class SuiteRun:
    exit_code: int
    output: str
    counts: dict[str, int]  # from pytest's closing line
    failures: dict[str, str]  # node id -> message, failed and errored tests alike
    faults: list[str]  # the reference's own bugs during the run

    def explain(self) -> str:
        return f"suite exit code {self.exit_code}, {self.counts}\n" + self.output[-6000:]


@pytest.fixture(scope="module")
def suite_run(tmp_path_factory):
    junit = tmp_path_factory.mktemp("suite") / "junit.xml"
    env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=REFERENCE_KEYS.access_key, AWS_SECRET_ACCESS_KEY=REFERENCE_KEYS.secret_key,
               AWS_REGION=REGION)
    reference = ReferenceEcr()
    with reference as url:
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--endpoint", url, "-q", "--evidence=inferred",
             f"--junitxml={junit}"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=SUITE_TIMEOUT)
    output = done.stdout + done.stderr
    closing = next((line for line in reversed(output.splitlines()) if re.search(r" in [\d.]+s", line)), "")
    counts = {kind.rstrip("s") if kind.startswith("error") else kind: int(n) for n, kind in SUMMARY.findall(closing)}
    return SuiteRun(done.returncode, output, counts, _failures(junit) if junit.exists() else {},
                    reference.pipeline.faults)


def _failures(junit: Path) -> dict[str, str]:
    found = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        problem = case.find("failure") if case.find("failure") is not None else case.find("error")
        if problem is not None:
            node = case.get("file") or case.get("classname", "").replace(".", "/") + ".py"
            found[f"{node}::{case.get('name')}"] = problem.get("message") or ""
    return found


def test_the_suite_ran_to_its_end(suite_run):
    assert suite_run.exit_code in (0, 1), suite_run.explain()  # 1: tests failed; anything else: it did not run
    assert suite_run.counts.get("passed", 0) > 0, suite_run.explain()


def test_the_reference_did_not_fail_internally(suite_run):
    assert not suite_run.faults, suite_run.faults[0]


def test_the_suite_finds_no_deviation_in_the_reference(suite_run):
    assert suite_run.counts.get("error", 0) == 0, suite_run.explain()
    assert not suite_run.failures, "\n\n".join(f"{node}\n{message}" for node, message in suite_run.failures.items())
    assert suite_run.exit_code == 0, suite_run.explain()
