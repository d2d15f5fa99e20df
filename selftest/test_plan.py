"""The plan (ecrconf.run.plan): printed before anything is created; --plan exits 0 having sent nothing; real
AWS without --allow-aws gets the plan and the consent status; the estimate is near what a run sends."""

from __future__ import annotations

import json
import os
import re

import pytest

from ecrconf.run import costs, plan
from selftest import pytest_runs
from selftest.reference import REFERENCE_KEYS, ReferenceEcr
from selftest.recordings import AWS_ENDPOINT


def run(*args: str, env_keys=REFERENCE_KEYS):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=env_keys.access_key, AWS_SECRET_ACCESS_KEY=env_keys.secret_key,
               AWS_EC2_METADATA_DISABLED="true")
    return pytest_runs.run(["-q", "-p", "no:cacheprovider", *args], env=env, timeout=300)


def figure(output: str, name: str) -> int:
    return int(re.search(rf"{name}: about (\d+)", output).group(1))


@pytest.fixture
def counted_reference():
    """A reference ECR that counts the requests it receives (reference.received)."""
    reference = ReferenceEcr()
    handle = reference.pipeline.handle
    reference.received = 0

    def counting(received):
        reference.received += 1
        return handle(received)

    reference.pipeline.handle = counting
    with reference as url:
        yield reference, url


def test_plan_prints_and_sends_nothing(counted_reference):
    reference, url = counted_reference
    done = run(f"--endpoint={url}", "--plan", "suites/start_image_scan")
    assert done.returncode == 0, done.stdout + done.stderr
    assert reference.received == 0  # not even the start-up probe: nothing created
    assert f"ecrconf plan for {url}: nothing has been created or sent" in done.stdout
    assert "checks: 83 to run" in done.stdout and figure(done.stdout, "requests") > 0
    assert "scans: about" in done.stdout and "an estimate" in done.stdout


def test_plan_without_endpoint_starts_no_server():
    done = run("--plan", "suites/protocol")
    assert done.returncode == 0 and "ecrconf plan for embedded moto" in done.stdout


def test_real_aws_without_consent_gets_the_plan_and_exit_9():
    """Real AWS (recognised by its host; nothing is sent) without --allow-aws: the plan, then the consent
    line; registry-wide checks are left out of it unless --allow-registry-writes."""
    done = run(f"--endpoint={AWS_ENDPOINT}", "suites/operations", "-k", "RegistryPolicy or StartImageScan")
    assert done.returncode == 9 and "--allow-aws" in done.stderr
    assert f"ecrconf plan for {AWS_ENDPOINT} (real AWS)" in done.stdout
    assert re.search(r"checks: \d+ to run, \d+ skipped \(they change registry-wide state", done.stdout)
    allowed = run(f"--endpoint={AWS_ENDPOINT}", "--allow-aws", "--allow-registry-writes", "--plan",
                  "suites/operations", "-k", "RegistryPolicy or StartImageScan")
    assert allowed.returncode == 0 and "skipped" not in allowed.stdout
    assert "the registry policy" in allowed.stdout


def test_the_estimate_is_near_what_a_run_sends(counted_reference, tmp_path):
    """Measured on the reference, the plan's requests for a selection are within 10% of what a run sends it."""
    reference, url = counted_reference
    planned = figure(run(f"--endpoint={url}", "--plan", "suites/start_image_scan").stdout, "requests")
    done = run(f"--endpoint={url}", f"--report-dir={tmp_path}", "--expectations=none", "suites/start_image_scan")
    sent = json.loads((tmp_path / "results.json").read_text())["run"]["requests"]
    assert done.returncode == 0 and abs(planned - sent) <= 0.1 * sent, (planned, sent)


def test_every_check_of_the_suite_is_measured():
    """fixtures/plan/costs.json knows every check the suite collects (rebuild it: python -m ecrconf.run.costs)."""
    done = run("--plan")
    assert done.returncode == 0 and "checks not measured" not in done.stdout, done.stdout


def test_an_unmeasured_check_counts_as_its_operations_average():
    measured = costs.load()["checks"]
    scan = [check for check in measured if check.startswith("StartImageScan/")]
    cases = sum(measured[c]["cases"] for c in scan)
    requests, repositories = (sum(measured[c][key] for c in scan) / cases for key in ("requests", "repositories"))
    total = plan.estimate(["StartImageScan/start_image_scan/test_not_yet_written"], registry_ok=True)
    assert total["unknown"] == 1 and total["repositories"] == pytest.approx(repositories)
    assert total["requests"] == pytest.approx(requests + repositories)  # and one DeleteRepository each at the end
