"""Items of the whole registry that calls of the run create (pull-through cache rules, repository creation
templates, pull-time update exclusions, replication backfills), and deleting them again.

``UNDOES`` says, for each call that creates one, which call deletes it, with which members of the creating
call, and which answers of that call mean the item is gone already. ``LeftItems`` deletes an item and keeps
the ones whose deletion failed, to be tried again at cleanup and, if still there, named as leftovers of the
run (which fail it), one line each.
"""

from __future__ import annotations

import json
import threading
from typing import NamedTuple

from ecrconf.wire import protocol
from ecrconf.wire.exchange import Exchange, printable


class Undo(NamedTuple):
    """How an item of the whole registry that a call created is deleted again."""

    delete: str  # the call that deletes it
    keys: tuple[str, ...]  # members it takes from the creating call's request or answer; the first names the item
    gone: tuple[str, ...]  # error types of that call that mean the item is gone already (or, a backfill, ended)
    what: str  # what the item is, for the line that names one left behind


# Calls that create an item of the whole registry, and how it is deleted again.
UNDOES = {
    "CreatePullThroughCacheRule": Undo("DeletePullThroughCacheRule", ("ecrRepositoryPrefix", "registryId"),
                                       ("PullThroughCacheRuleNotFoundException",), "pull-through cache rule"),
    "CreateRepositoryCreationTemplate": Undo("DeleteRepositoryCreationTemplate", ("prefix", "registryId"),
                                             ("TemplateNotFoundException",), "repository creation template"),
    "RegisterPullTimeUpdateExclusion": Undo("DeregisterPullTimeUpdateExclusion", ("principalArn",),
                                            ("ExclusionNotFoundException",), "pull-time update exclusion"),
    "StartReplicationBackfill": Undo("StopReplicationBackfill", ("replicationBackfillId", "registryId"),
                                     ("ReplicationBackfillNotFoundException",
                                      "ReplicationBackfillInvalidStatusException"), "replication backfill"),
}


class LeftItems:
    """The items of the whole registry whose deletion failed, by the name their line gives them."""

    def __init__(self):
        self._lock = threading.Lock()
        self._left: dict[str, tuple[Undo, dict]] = {}

    def undo(self, client, exchange: Exchange) -> None:
        """Delete the item a creating call (a key of UNDOES, answered 200) made, through client (an EcrClient);
        kept for retry() when that fails. Never raises."""
        undo = UNDOES[exchange.operation]
        known = {**sent(exchange), **(exchange.body if isinstance(exchange.body, dict) else {})}
        payload = {key: known[key] for key in undo.keys if isinstance(known.get(key), str)}
        if payload:
            self._delete(client, undo, payload)

    def retry(self, client) -> list[str]:
        """Try each item left again; one line per item still not deleted ("<what> <name>: not deleted, ...")."""
        with self._lock:
            left = list(self._left.values())
        return [problem for undo, payload in left if (problem := self._delete(client, undo, payload))]

    def _delete(self, client, undo: Undo, payload: dict) -> str | None:
        name = f"{undo.what} {payload.get(undo.keys[0], json.dumps(payload, sort_keys=True))}"
        try:
            exchange = client.call(undo.delete, payload)
        except Exception as exc:  # an undo must not hide the check's own outcome
            problem = f"{name}: {undo.delete} raised {type(exc).__name__}: {exc}"
        else:
            if exchange.status == 200 or protocol.error_type(exchange) in undo.gone:
                with self._lock:
                    self._left.pop(name, None)
                return None
            problem = f"{name}: not deleted, {outcome(exchange)}"
        with self._lock:
            self._left[name] = (undo, payload)
        return problem


def sent(exchange: Exchange) -> dict:
    """The JSON object a request sent; {} for any other body."""
    try:
        body = json.loads(exchange.request.body or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def outcome(exchange: Exchange) -> str:
    """An answer in a few words, printable: "HTTP 500 ServerException", or "no response (...)"."""
    if exchange.status is None:
        return f"no response ({printable(str(exchange.transport_error))})"
    error = protocol.error_type(exchange)
    return f"HTTP {exchange.status}" + (f" {printable(error)}" if error else "")
