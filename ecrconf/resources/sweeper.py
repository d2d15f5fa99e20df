"""What interrupted runs left behind, found and deleted: the sweeper behind ``python -m ecrconf.sweep``.

A run deletes its repositories when it ends, also on failures and signals; a process killed with SIGKILL or a
CI machine lost mid-run cannot. Such a leftover is recognised by two marks that only the suite sets, both
required: a name of the run's form, ``ecrconf-<run id>-<worker>-...`` (``RUN_NAME``), and the run tag
``ecrconf:run`` (``RUN_TAG_KEY``) whose value is the run id in that name. A repository is deleted (with its
images) only when it has both and was created (``createdAt``) longer ago than the age given; every other
repository of the registry is left alone, and those with the name form but not the rest are listed with why
they are kept.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass

from ecrconf.resources import RUN_TAG_KEY
from ecrconf.resources.items import outcome as _outcome
from ecrconf.wire import protocol
from ecrconf.wire.exchange import printable
from ecrconf.wire.retries import RetriesExhausted

# ecrconf-<run id: 6 hex digits, secrets.token_hex(3) in ecrconf.run.plugin>-<worker: main, gw0, ...>-<rest>
RUN_NAME = re.compile(r"ecrconf-(?P<run>[0-9a-f]{6})-(?:main|gw[0-9]+)-.+")
PAGE = 1000  # DescribeRepositories' largest page


class SweepFailed(Exception):
    """The registry could not be listed: str() is one line."""


@dataclass(frozen=True)
class Found:
    """A repository with a run's name form, and the sweeper's decision about it."""
    name: str
    registry_id: str
    run: str  # the run id in its name
    created: datetime.datetime | None
    delete: bool
    reason: str  # why it is deleted or kept, in a few words

    def line(self, *, dry_run: bool) -> str:
        verb = ("would delete" if dry_run else "delete") if self.delete else "keep"
        return f"{verb:<12} {printable(self.name)}  ({printable(self.reason)})"


def leftovers(client, *, older_than: datetime.timedelta, now: datetime.datetime,
              run: str | None = None) -> list[Found]:
    """Every repository of the registry whose name has a run's form (of that run, when run is given),
    each with its decision (module docstring); sorted by name. Raises SweepFailed when a listing call
    does not succeed."""
    found = []
    for repository in _repositories(client):
        name = repository.get("repositoryName")
        match = RUN_NAME.fullmatch(name) if isinstance(name, str) else None
        if match and run in (None, match["run"]):
            found.append(_decide(client, repository, match["run"], older_than, now))
    return sorted(found, key=lambda f: f.name)


def sweep_run(client, run: str) -> tuple[list[str], list[str]]:
    """Delete what the run with this id still has (its name form and run tag, any age): what xdist workers
    that were killed before their cleanup ended left. Returns (names deleted, one line per repository not
    deleted); never raises for what the target does."""
    try:
        found = leftovers(client, older_than=datetime.timedelta(0), now=datetime.datetime.now(datetime.timezone.utc),
                          run=run)
    except SweepFailed as exc:
        return [], [f"the run's repositories could not be listed to delete what stopped workers left: {exc}"]
    deleted, problems = [], []
    for item in found:
        if item.delete:
            problem = delete(client, item)
            (problems.append(problem) if problem else deleted.append(item.name))
    return deleted, problems


def delete(client, found: Found) -> str | None:
    """Delete a leftover (force: with its images); None when done or already gone, else one line why not."""
    payload = {"repositoryName": found.name, "force": True, "registryId": found.registry_id}
    try:
        exchange = client.call("DeleteRepository", payload)
    except RetriesExhausted as exhausted:
        return f"{found.name}: not deleted, {str(exhausted).splitlines()[0]}"
    if exchange.status == 200 or protocol.error_type(exchange) == "RepositoryNotFoundException":
        return None
    return f"{found.name}: not deleted, {_outcome(exchange)}"


def _decide(client, repository: dict, run: str, older_than: datetime.timedelta,
            now: datetime.datetime) -> Found:
    name, registry = repository["repositoryName"], str(repository.get("registryId") or "")
    created = _created(repository.get("createdAt"))

    def found(delete: bool, reason: str) -> Found:
        return Found(name, registry, run, created, delete, reason)

    tag = _run_tag(client, repository)
    if tag is None:
        return found(False, f"no {RUN_TAG_KEY} tag: not made by the suite, or by a run the target kept no tags for")
    if tag != run:
        return found(False, f"its {RUN_TAG_KEY} tag says run {tag!r}, its name run {run!r}")
    if created is None:
        return found(False, "no createdAt: its age is unknown")
    age = now - created
    if age < older_than:
        return found(False, f"run {run}, created {_ago(age)} ago: not older than {_ago(older_than)}")
    return found(True, f"run {run}, created {_ago(age)} ago")


def _repositories(client) -> Iterator[dict]:
    """Every repository DescribeRepositories lists, page after page."""
    token = None
    while True:
        payload = {"maxResults": PAGE, **({"nextToken": token} if token else {})}
        body = _answer(client, "DescribeRepositories", payload)
        for repository in body.get("repositories") or []:
            if isinstance(repository, dict):
                yield repository
        token = body.get("nextToken")
        if not isinstance(token, str) or not token:
            return


def _run_tag(client, repository: dict) -> str | None:
    """The value of the repository's run tag; None when it has none."""
    arn = repository.get("repositoryArn")
    if not isinstance(arn, str):
        return None
    tags = _answer(client, "ListTagsForResource", {"resourceArn": arn}).get("tags") or []
    values = [tag.get("Value") for tag in tags if isinstance(tag, dict) and tag.get("Key") == RUN_TAG_KEY]
    return values[0] if values and isinstance(values[0], str) else None


def _answer(client, operation: str, payload: dict) -> dict:
    try:
        exchange = client.call(operation, payload)
    except RetriesExhausted as exhausted:
        raise SweepFailed(str(exhausted).splitlines()[0]) from None
    if exchange.status == 200 and isinstance(exchange.body, dict):
        return exchange.body
    raise SweepFailed(f"{operation} failed: {_outcome(exchange)}")


def _created(value: object) -> datetime.datetime | None:
    """createdAt as awsJson1_1 sends a timestamp (epoch seconds, a number), in UTC; None otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return datetime.datetime.fromtimestamp(value, datetime.timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def _ago(age: datetime.timedelta) -> str:
    seconds = int(age.total_seconds())
    if abs(seconds) < 120:
        return f"{seconds} s"
    if abs(seconds) < 2 * 3600:
        return f"{seconds // 60} min"
    return f"{seconds / 3600:.1f} h"

