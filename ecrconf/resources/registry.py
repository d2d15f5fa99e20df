"""State of the whole registry that a check changes or needs, and putting it back afterwards.

Most of what a run makes belongs to its own repositories. Some operations change what belongs to the whole
registry instead: its policy, scanning, replication and signing configurations and account settings
(settings, one value each), and its pull-through cache rules, repository creation templates, pull-time
update exclusions and replication backfills (items, each with a name). A check that changes or needs such
state first *holds* it (``RegistryHold.hold``):

- for a setting, it has the registry alone until the check ends (``ecrconf.resources.turns``: no other
  check of the run's workers, or of other runs on this machine against the same endpoint, runs meanwhile);
- it reads each setting before the first change, and writes the value it read back when the check ends
  (``RegistryHold.restore``);
- items are never read or written back: the run deletes those it created (``Resources.undo`` for a call
  that made one), and only those, so nothing the run did not create is touched.

On AWS (``is_real_aws``) none of it runs without ``--allow-registry-writes``: the check is skipped, saying
why. Some changes cannot be put back at all (a replication destination copies every image pushed meanwhile
to another region, a backfill copies the registry's images there): those never run on AWS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from ecrconf.resources import SetupFailed, setup_answer
from ecrconf.resources.turns import Turns
from ecrconf.wire import protocol
from ecrconf.wire.retries import RetriesExhausted



@dataclass(frozen=True)
class Setting:
    """A registry-wide setting: ``read(call)`` gives its value (SetupFailed when the target cannot say),
    ``write(call, value)`` sets that value again; ``call(operation, payload)`` is ``EcrClient.call``."""

    what: str
    read: Callable
    write: Callable


def _answer(exchange, *, absent: str | None = None) -> dict | None:
    """The body of a 200 answer, None for the error type that means "none set"; SetupFailed otherwise
    (the run cannot know, or put back, the state: the check that needs it is not run)."""
    if absent is not None and protocol.error_type(exchange) == absent:
        return None
    return setup_answer(exchange)


def _optional(operation: str, absent: str, member: str) -> Callable:
    def value(call, request):
        body = _answer(call(operation, {}), absent=absent)
        return None if body is None else body.get(member)
    return value


def _put_or_delete(put: str, member: str, delete: str, absent: str) -> Callable:
    def write(call, value):
        if value is None:
            return _answer(call(delete, {}), absent=absent)
        return _answer(call(put, {member: value}))
    return write


def _scanning(call, request):
    found = _answer(call("GetRegistryScanningConfiguration", {})).get("scanningConfiguration") or {}
    return {"scanType": found.get("scanType", "BASIC"), "rules": found.get("rules") or []}


def _replication(call, request):
    return _answer(call("DescribeRegistry", {})).get("replicationConfiguration") or {"rules": []}


def _account_settings(call, request):
    """The account setting the check's request names (Get/PutAccountSetting ``name``)."""
    name = request.get("name")
    if not isinstance(name, str):
        return {}
    exchange = call("GetAccountSetting", {"name": name})
    if exchange.status == 400 and not protocol.not_implemented(exchange):
        return {}  # a name no setting has (an invalid request's): nothing to put back
    return {name: _answer(exchange).get("value")}


def _write_account_settings(call, values):
    for name, value in values.items():
        _answer(call("PutAccountSetting", {"name": name, "value": value}))


SETTINGS = {
    "registry_policy": Setting(
        "the registry policy",
        _optional("GetRegistryPolicy", "RegistryPolicyNotFoundException", "policyText"),
        _put_or_delete("PutRegistryPolicy", "policyText", "DeleteRegistryPolicy", "RegistryPolicyNotFoundException")),
    "scanning": Setting(
        "the registry scanning configuration", _scanning,
        lambda call, value: _answer(call("PutRegistryScanningConfiguration", value))),
    "replication": Setting(
        "the replication configuration", _replication,
        lambda call, value: _answer(call("PutReplicationConfiguration", {"replicationConfiguration": value}))),
    "signing": Setting(
        "the signing configuration",
        _optional("GetSigningConfiguration", "SigningConfigurationNotFoundException", "signingConfiguration"),
        _put_or_delete("PutSigningConfiguration", "signingConfiguration", "DeleteSigningConfiguration",
                       "SigningConfigurationNotFoundException")),
    "account_settings": Setting("account settings", _account_settings, _write_account_settings),
}
# Items are named by the run and deleted by it: holding them only keeps other checks out meanwhile.
ITEMS = {"cache_rules": "pull-through cache rules", "templates": "repository creation templates",
         "exclusions": "pull-time update exclusions", "backfills": "replication backfills"}
# What cannot be put back: it copies images to another region, beyond the run's reach.
IRREVERSIBLE = {"replication_destination": "a replication destination copies every image pushed meanwhile to "
                                           "another region", "backfills": "a backfill copies the registry's "
                                                                          "images to another region"}
STATES = frozenset(SETTINGS) | frozenset(ITEMS) | {"replication_destination"}


class RegistryWrites:
    """Whether this run may change registry-wide state, and the checks' turns with the registry (Turns).
    One per process (a session fixture); ``allowed`` is False on AWS without --allow-registry-writes."""

    def __init__(self, client, turns: Turns, *, on_aws: bool, allowed: bool):
        self.client = client
        self.turns = turns
        self.on_aws = on_aws
        self.allowed = allowed

    def refusal(self, state: str) -> str | None:
        """Why a check may not change state here, or None when it may."""
        if self.on_aws and state in IRREVERSIBLE:
            return f"not run on AWS: {IRREVERSIBLE[state]}, which the run cannot undo"
        if not self.allowed:
            return ("not run on AWS without --allow-registry-writes: it changes state of the whole registry "
                    "(the run puts it back afterwards)")
        return None


class RegistryHold:
    """One check's hold on registry-wide state: ``hold`` before changing or needing it, ``restore`` when
    the check ends (also when it failed). Holding skips the check when the run may not change it."""

    def __init__(self, writes: RegistryWrites):
        self._writes = writes
        self._saved: dict[str, object] = {}  # state -> its value when first held
        self._requests: dict[str, dict] = {}  # state -> the request it was read for (an account setting's name)

    def hold(self, state: str, request: dict | None = None) -> None:
        """Hold state (a name in STATES) for the rest of the check: pytest.skip when the run may not change
        it; SetupFailed when the target cannot tell its current value, so it could not be put back."""
        if state not in STATES:
            raise ValueError(f"{state!r} is not registry-wide state; one of {sorted(STATES)}")
        reason = self._writes.refusal(state)
        if reason:
            pytest.skip(reason)
        if state in SETTINGS:  # items have names of their own: no other check meets them
            self._writes.turns.alone()
        if state in SETTINGS and state not in self._saved:
            self._requests[state] = request or {}
            self._saved[state] = SETTINGS[state].read(self._writes.client.call, self._requests[state])

    def restore(self) -> list[str]:
        """Write back every held setting that is no longer as it was read (the check's turn, alone, ends with
        the check). Returns one line per setting that could not be read or written back (empty when all were)."""
        problems = []
        try:
            for state, value in self._saved.items():
                setting = SETTINGS[state]
                try:
                    if not self._unchanged(setting, state, value):
                        setting.write(self._writes.client.call, value)
                except (SetupFailed, RetriesExhausted) as failed:
                    problems.append(f"{setting.what} was not put back: {str(failed).splitlines()[0]}")
        finally:
            self._saved.clear()
            self._requests.clear()
        return problems

    def _unchanged(self, setting: Setting, state: str, value: object) -> bool:
        """Whether the setting reads as it did; a setting that cannot be read now (a target that accepted
        something it cannot answer for) is written back all the same."""
        try:
            return setting.read(self._writes.client.call, self._requests[state]) == value
        except SetupFailed:
            return False
