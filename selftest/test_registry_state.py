"""Registry-wide state: checks that change it hold it, put settings back and delete only their own items
(ecrconf/resources/registry.py, world.py); on AWS they need --allow-registry-writes."""

from __future__ import annotations

import json
import os
import threading
import time

import pytest

from ecrconf.resources import Resources, SetupFailed
from ecrconf.resources.items import UNDOES
from ecrconf.resources.registry import RegistryHold, RegistryWrites
from ecrconf.resources.turns import Turns, files as turn_files
from ecrconf.run import outcomes
from selftest import pytest_runs
from selftest.reference import Behaviour, ReferenceEcr
from selftest.reference.server import REFERENCE_KEYS
from selftest.reference_calls import ACCOUNT, Caller

POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Sid": "someone-elses", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
    "Action": ["ecr:ReplicateImage"], "Resource": f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/*"}]})
SCANNING = {"scanType": "ENHANCED", "rules": [{"scanFrequency": "SCAN_ON_PUSH",
                                               "repositoryFilters": [{"filter": "team-*", "filterType": "WILDCARD"}]}]}
REPLICATION = {"rules": [{"destinations": [{"region": "eu-west-1", "registryId": ACCOUNT}]}]}


def _foreign_state(caller: Caller) -> None:
    """What someone else has in the registry before a run: the run must leave all of it as it was."""
    caller.ok("PutRegistryPolicy", {"policyText": POLICY})
    caller.ok("PutRegistryScanningConfiguration", SCANNING)
    caller.ok("PutReplicationConfiguration", {"replicationConfiguration": REPLICATION})
    caller.ok("PutSigningConfiguration", {"signingConfiguration": {"rules": []}})
    caller.ok("PutAccountSetting", {"name": "BASIC_SCAN_TYPE_VERSION", "value": "CLAIR"})
    caller.ok("CreatePullThroughCacheRule", {"ecrRepositoryPrefix": "theirs", "upstreamRegistryUrl": "public.ecr.aws",
                                             "upstreamRegistry": "ecr-public"})
    caller.ok("CreateRepositoryCreationTemplate", {"prefix": "theirs", "appliedFor": ["REPLICATION"]})
    caller.ok("RegisterPullTimeUpdateExclusion", {"principalArn": f"arn:aws:iam::{ACCOUNT}:role/theirs"})


def _state(caller: Caller) -> dict:
    """The registry's settings and items, as the API reads them."""
    return {
        "policy": json.loads(caller.ok("GetRegistryPolicy")["policyText"]),
        "scanning": caller.ok("GetRegistryScanningConfiguration")["scanningConfiguration"],
        "replication": caller.ok("DescribeRegistry")["replicationConfiguration"],
        "signing": caller.ok("GetSigningConfiguration")["signingConfiguration"],
        "setting": caller.ok("GetAccountSetting", {"name": "BASIC_SCAN_TYPE_VERSION"})["value"],
        "cache_rules": sorted(r["ecrRepositoryPrefix"] for r in caller.ok("DescribePullThroughCacheRules")
                              ["pullThroughCacheRules"]),
        "templates": sorted(t["prefix"] for t in caller.ok("DescribeRepositoryCreationTemplates")
                            ["repositoryCreationTemplates"]),
        "exclusions": sorted(caller.ok("ListPullTimeUpdateExclusions")["pullTimeUpdateExclusions"]),
    }


@pytest.fixture
def reference():
    with ReferenceEcr(Behaviour()) as url:
        yield url


def _writes(url: str, **options) -> RegistryWrites:
    caller = Caller(url)
    return RegistryWrites(caller.client, Turns(url), **{"on_aws": False, "allowed": True, **options})


def test_a_held_setting_is_put_back_as_it_was(reference):
    caller = Caller(reference)
    caller.ok("PutRegistryPolicy", {"policyText": POLICY})
    hold = RegistryHold(_writes(reference))
    hold.hold("registry_policy")
    hold.hold("scanning")
    caller.ok("DeleteRegistryPolicy")
    caller.ok("PutRegistryScanningConfiguration", SCANNING)
    assert hold.restore() == []
    assert json.loads(caller.ok("GetRegistryPolicy")["policyText"]) == json.loads(POLICY)
    assert caller.ok("GetRegistryScanningConfiguration")["scanningConfiguration"] == {"scanType": "BASIC", "rules": []}


def test_a_setting_that_was_not_there_is_deleted_again(reference):
    caller = Caller(reference)
    hold = RegistryHold(_writes(reference))
    hold.hold("signing")
    caller.ok("PutSigningConfiguration", {"signingConfiguration": {"rules": []}})
    assert hold.restore() == []
    assert caller.client.call("GetSigningConfiguration", {}).body["__type"] == "SigningConfigurationNotFoundException"


def test_a_setting_left_as_it_was_is_not_written(reference):
    """A target that cannot write the setting (the check's call failed, say) has nothing to put back."""
    writes = _writes(reference)
    writes.client = _Failing(writes.client, "PutReplicationConfiguration")
    hold = RegistryHold(writes)
    hold.hold("replication")
    assert hold.restore() == []


def test_a_setting_the_target_cannot_put_back_is_named(reference):
    caller = Caller(reference)
    writes = _writes(reference)
    hold = RegistryHold(writes)
    hold.hold("replication")
    caller.ok("PutReplicationConfiguration", {"replicationConfiguration": REPLICATION})
    writes.client = _Failing(writes.client, "PutReplicationConfiguration")
    assert hold.restore() == ["the replication configuration was not put back: PutReplicationConfiguration failed "
                              "during setup: HTTP 400 UnknownOperationException"]


def test_a_setting_that_cannot_be_read_afterwards_is_written_back_all_the_same(reference):
    """A target that accepted a broken setting may fail to answer for it: the value read before is put back."""
    caller = Caller(reference)
    writes = _writes(reference)
    hold = RegistryHold(writes)
    hold.hold("scanning")
    caller.ok("PutRegistryScanningConfiguration", SCANNING)
    writes.client = _Failing(writes.client, "GetRegistryScanningConfiguration")
    assert hold.restore() == []
    assert caller.ok("GetRegistryScanningConfiguration")["scanningConfiguration"] == {"scanType": "BASIC", "rules": []}


def test_a_setting_the_target_cannot_read_is_not_changed(reference):
    """Without its current value the run could not put it back: the hold fails as setup, naming the call."""
    writes = _writes(reference)
    writes.client = _Failing(writes.client, "GetRegistryScanningConfiguration")
    with pytest.raises(SetupFailed, match="GetRegistryScanningConfiguration"):
        RegistryHold(writes).hold("scanning")


class _Failing:
    """An EcrClient whose calls of one operation are sent as an operation the target does not know."""

    def __init__(self, client, operation: str):
        self._client, self._operation = client, operation

    def call(self, operation: str, payload: dict):
        if operation == self._operation:
            exchange = self._client.call("NoSuchOperation", payload)
            return type(exchange)(operation, exchange.request, exchange.response, exchange.elapsed)
        return self._client.call(operation, payload)


@pytest.mark.parametrize(("options", "state", "reason"), [
    ({"on_aws": True, "allowed": False}, "registry_policy", "without --allow-registry-writes"),
    ({"on_aws": True, "allowed": True}, "backfills", "copies the registry's images to another region"),
    ({"on_aws": True, "allowed": True}, "replication_destination", "copies every image pushed meanwhile"),
])
def test_on_aws_a_hold_skips_unless_allowed_and_reversible(reference, options, state, reason):
    with pytest.raises(pytest.skip.Exception, match=reason):
        RegistryHold(_writes(reference, **options)).hold(state)


def test_on_aws_with_consent_a_reversible_state_is_held(reference):
    hold = RegistryHold(_writes(reference, on_aws=True, allowed=True))
    hold.hold("registry_policy")
    assert hold.restore() == []


def _waited(begin):
    """begin() started on a thread of its own: (the thread, a list that gets the monotonic time it returned)."""
    done = []
    thread = threading.Thread(target=lambda: (begin(), done.append(time.monotonic())))
    thread.start()
    return thread, done


def test_a_check_holding_a_setting_has_the_registry_alone(reference):
    """Another check's turn begins only when the check that holds a setting ends (its setting put back)."""
    first, second = _writes(reference), _writes(reference)
    first.turns.share()
    hold = RegistryHold(first)
    hold.hold("scanning")
    thread, began = _waited(second.turns.share)
    time.sleep(0.3)
    assert not began, "another check began while the registry was held alone"
    assert hold.restore() == []
    ended = time.monotonic()
    first.turns.end()
    thread.join(timeout=10)
    assert began and began[0] >= ended
    second.turns.end()


def test_a_check_waits_to_be_alone_until_the_shared_turns_end(reference):
    first, second = _writes(reference), _writes(reference)
    first.turns.share()
    second.turns.share()
    thread, alone = _waited(lambda: RegistryHold(second).hold("registry_policy"))
    time.sleep(0.3)
    assert not alone, "a check was alone while another's turn was under way"
    ended = time.monotonic()
    first.turns.end()
    thread.join(timeout=10)
    assert alone and alone[0] >= ended
    second.turns.end()


def test_checks_share_the_registry_and_items_need_no_turn_alone(reference):
    """Items the run names itself (cache rules, templates, ...) meet no other check: holding them is shared."""
    first, second = _writes(reference), _writes(reference)
    first.turns.share()
    RegistryHold(first).hold("templates")
    thread, began = _waited(second.turns.share)
    thread.join(timeout=10)
    assert began, "a shared turn waited for another"
    first.turns.end()
    second.turns.end()


def test_an_unknown_state_is_a_programming_error(reference):
    with pytest.raises(ValueError, match="not registry-wide state"):
        RegistryHold(_writes(reference)).hold("repositories")


def test_undo_deletes_the_item_a_call_created_and_nothing_else(reference):
    caller = Caller(reference)
    caller.ok("CreatePullThroughCacheRule", {"ecrRepositoryPrefix": "theirs", "upstreamRegistryUrl": "public.ecr.aws",
                                             "upstreamRegistry": "ecr-public"})
    resources = Resources(caller.client, "ecrconf-undo")
    made = caller.client.call("CreatePullThroughCacheRule", {
        "ecrRepositoryPrefix": "ecrconf-mine", "upstreamRegistryUrl": "public.ecr.aws", "upstreamRegistry": "ecr-public"})
    refused = caller.client.call("CreatePullThroughCacheRule", {
        "ecrRepositoryPrefix": "theirs", "upstreamRegistryUrl": "public.ecr.aws", "upstreamRegistry": "ecr-public"})
    resources.undo(made)
    resources.undo(refused)  # already there, not made by this call: kept
    rules = caller.ok("DescribePullThroughCacheRules")["pullThroughCacheRules"]
    assert [r["ecrRepositoryPrefix"] for r in rules] == ["theirs"]


@pytest.mark.parametrize(("create", "request_"), [
    ("CreatePullThroughCacheRule", {"ecrRepositoryPrefix": "ecrconf-kept", "upstreamRegistryUrl": "public.ecr.aws",
                                    "upstreamRegistry": "ecr-public"}),
    ("RegisterPullTimeUpdateExclusion", {"principalArn": f"arn:aws:iam::{ACCOUNT}:role/ecrconf-kept"}),
], ids=["cache-rule", "exclusion"])
def test_an_item_the_target_does_not_delete_is_a_leftover_tried_again_at_cleanup(reference, create, request_):
    """An undo the target refuses leaves the item: cleanup tries it again and names what still remains (the
    run's leftovers fail it), in one line each; once deleted, nothing is named."""
    caller = Caller(reference)
    undo = UNDOES[create]
    resources = Resources(_Failing(caller.client, undo.delete), "ecrconf-undo")
    resources.undo(caller.client.call(create, request_))
    (problem,) = resources.cleanup()
    name = request_[undo.keys[0]]
    assert problem == f"{undo.what} {name}: not deleted, HTTP 400 UnknownOperationException"
    said = outcomes.verdict({"run": {"leftovers": [problem]}, "results": [{"outcome": "pass"}]}).sentence
    assert f"1 created and not deleted: {undo.what} {name}" in said, said
    resources.client = caller.client
    assert resources.cleanup() == []
    assert caller.client.call(undo.delete, {undo.keys[0]: name}).body["__type"] in undo.gone


def test_a_run_leaves_the_registry_as_it_found_it(tmp_path):
    """The checks of every registry-wide operation, on two workers, against a registry holding someone
    else's settings and items: afterwards all of it is as it was, and nothing of the run's is left."""
    with ReferenceEcr(Behaviour()) as url:
        caller = Caller(url)
        _foreign_state(caller)
        before = _state(caller)
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(AWS_ACCESS_KEY_ID=REFERENCE_KEYS.access_key, AWS_SECRET_ACCESS_KEY=REFERENCE_KEYS.secret_key,
                   AWS_REGION="us-east-1")
        wide = ("PullThroughCache or RegistryPolicy or SigningConfiguration or Replication or CreationTemplate "
                "or AccountSetting or PullTimeUpdateExclusion or RegistryScanning")
        done = pytest_runs.run(["-p", "no:cacheprovider", "-p", "no:randomly", "-q", "-n", "2", f"--endpoint={url}",
                                "--expectations=none", f"--report-dir={tmp_path}", "-k", wide, "suites/operations"],
                               env=env, timeout=300)
        assert done.returncode == 0, done.stdout[-3000:]
        assert " passed" in done.stdout and "skipped" not in done.stdout.splitlines()[-1], done.stdout[-1500:]
        assert _state(caller) == before


def test_the_turn_files_of_an_endpoint_go_when_its_reference_stops():
    """Whoever starts an endpoint deletes its turn files once it stops (no run uses it again): the self-tests
    used to leave two in the temporary directory per reference endpoint."""
    reference = ReferenceEcr()
    url = reference.start()
    try:
        Turns(url).share()
        assert all(path.exists() for path in turn_files(url))
    finally:
        reference.stop()
    assert not any(path.exists() for path in turn_files(url))
