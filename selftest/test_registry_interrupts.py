"""A stop signal while the run holds state of the whole registry leaves that registry as it was before the
run: every setting it changed put back, every item it made deleted, nothing that was there before touched.

The suite runs (``python -m pytest``, selftest/pytest_runs.py) against the strict reference ECR on
loopback, whose registry holds settings and items of a bystander. selftest/interrupt_probe.py sends the
run a SIGINT the moment the first answer to a call that makes registry-wide state has arrived, before the
code that sent it sees it (a Ctrl-C while the run waits for the target): the target has carried the call
out, the run has not yet learnt what it made.
"""

from __future__ import annotations

import json
import os

import pytest

from ecrconf.wire.client import Credentials, EcrClient
from selftest import pytest_runs
from selftest.reference import REFERENCE_KEYS, REGION, ReferenceEcr

ACCOUNT = "123456789012"
BYSTANDER_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Sid": "bystander", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
    "Action": ["ecr:ReplicateImage"], "Resource": f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/*"}]})
BYSTANDER = {
    "PutRegistryPolicy": {"policyText": BYSTANDER_POLICY},
    "PutReplicationConfiguration": {"replicationConfiguration": {"rules": [{
        "destinations": [{"region": "eu-west-1", "registryId": ACCOUNT}],
        "repositoryFilters": [{"filter": "bystander", "filterType": "PREFIX_MATCH"}]}]}},
    "CreatePullThroughCacheRule": {"ecrRepositoryPrefix": "bystander", "upstreamRegistryUrl": "public.ecr.aws",
                                   "upstreamRegistry": "ecr-public"},
    "CreateRepositoryCreationTemplate": {"prefix": "bystander", "appliedFor": ["REPLICATION"]},
    "RegisterPullTimeUpdateExclusion": {"principalArn": f"arn:aws:iam::{ACCOUNT}:role/bystander"},
    "CreateRepository": {"repositoryName": "bystander"},
}
# case -> (the call after whose answer the signal comes, the suite's area, -k): each a different place
# where the run makes registry-wide state.
CASES = {
    # the replication destination a pagination walk of backfills needs, held and put back at once
    "backfill-destination": ("StartReplicationBackfill", "suites/pagination", "ReplicationBackfill"),
    # a check's own valid call that makes an item, deleted at once
    "item-of-a-valid-call": ("CreatePullThroughCacheRule", "suites/operations", "CreatePullThroughCacheRule"),
    # an item a check's world makes for the call it checks, deleted when the check ends
    "item-of-a-world": ("CreateRepositoryCreationTemplate", "suites/operations", "UpdateRepositoryCreationTemplate"),
    "exclusion-of-a-world": ("RegisterPullTimeUpdateExclusion", "suites/operations",
                             "DeregisterPullTimeUpdateExclusion"),
    # items a pagination walk lists, deleted when the module ends
    "items-of-a-listing": ("CreatePullThroughCacheRule", "suites/pagination", "DescribePullThroughCacheRules"),
}


def registry_state(client: EcrClient) -> dict:
    """What the registry holds that a run may change: its settings and the names of its items."""
    def body(operation: str, payload: dict | None = None) -> dict:
        exchange = client.call(operation, payload or {})
        assert exchange.status == 200, f"{operation}: {exchange.status} {exchange.body}"
        return exchange.body

    return {
        "registry_policy": body("GetRegistryPolicy")["policyText"],
        "replication": body("DescribeRegistry")["replicationConfiguration"],
        "scanning": body("GetRegistryScanningConfiguration")["scanningConfiguration"],
        "cache_rules": sorted(r["ecrRepositoryPrefix"]
                              for r in body("DescribePullThroughCacheRules")["pullThroughCacheRules"]),
        "templates": sorted(t["prefix"] for t in body("DescribeRepositoryCreationTemplates")
                            ["repositoryCreationTemplates"]),
        "exclusions": sorted(body("ListPullTimeUpdateExclusions")["pullTimeUpdateExclusions"]),
        "repositories": sorted(r["repositoryName"] for r in body("DescribeRepositories")["repositories"]),
    }


@pytest.fixture
def reference():
    """The reference ECR with a bystander's registry policy, replication configuration, cache rule,
    creation template, pull-time update exclusion and repository: (url, client)."""
    with ReferenceEcr() as url:
        client = EcrClient(url, REGION, Credentials(REFERENCE_KEYS.access_key, REFERENCE_KEYS.secret_key),
                           timeout=10)
        for operation, payload in BYSTANDER.items():
            assert client.call(operation, payload).status == 200, operation
        yield url, client


@pytest.mark.parametrize("case", CASES)
def test_a_signal_while_registry_state_is_held_leaves_the_registry_as_it_was(reference, case):
    url, client = reference
    operation, area, selection = CASES[case]
    before = registry_state(client)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTEST_", "ECRCONF_"))}
    env.update(AWS_ACCESS_KEY_ID=REFERENCE_KEYS.access_key, AWS_SECRET_ACCESS_KEY=REFERENCE_KEYS.secret_key,
               AWS_EC2_METADATA_DISABLED="true", ECRCONF_PROBE_SIGNAL="SIGINT", ECRCONF_PROBE_AFTER=operation)
    done = pytest_runs.run(["-p", "no:cacheprovider", "-p", "no:xdist", "-p", "selftest.interrupt_probe",
                            f"--endpoint={url}", area, "-k", selection], env=env, timeout=120)
    output = done.stdout + done.stderr
    assert done.returncode == pytest.ExitCode.INTERRUPTED, output[-4000:]
    assert "ECR conformance: incomplete: stopped by SIGINT" in output, output[-4000:]
    assert "Traceback" not in output and "INTERNALERROR" not in output, output[-4000:]
    assert registry_state(client) == before
