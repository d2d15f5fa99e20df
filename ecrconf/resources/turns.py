"""Turns with the registry: every check of a run has one, shared with the others, except a check that holds
a registry-wide setting, which has the registry alone (across xdist workers and other runs on this machine
against the same endpoint).

A check that changes a setting (or that a target wrongly lets change it, with an invalid request) may leave
the target failing other calls until the setting is put back: no other check runs meanwhile, so verdicts do
not depend on which checks the workers happen to run side by side.

A readers-writer lock of two files and ``fcntl.flock`` (shared and exclusive locks of the operating system,
dropped by it when a process ends): every check holds the *registry* file shared; one that needs it alone
takes the *gate* file exclusively, so that no new shared turn begins, then the registry file exclusively,
once the shared turns under way have ended. A writer cannot starve, and a process never waits for itself.
"""

from __future__ import annotations

import fcntl
import hashlib
import tempfile
from pathlib import Path


def files(endpoint: str, directory: Path | None = None) -> tuple[Path, Path]:
    """The gate and registry files of an endpoint's turns, in directory (default: the temporary directory).
    They stay while any run may still use the endpoint; a run's own embedded target's go with the run."""
    key = hashlib.sha256(endpoint.encode()).hexdigest()[:16]
    where = Path(directory or tempfile.gettempdir())
    return where / f"ecrconf-registry-{key}.gate", where / f"ecrconf-registry-{key}.lock"


def remove_files(endpoint: str, directory: Path | None = None) -> None:
    """Delete an endpoint's turn files: for whoever started the endpoint, once it is stopped and no run will
    use it again (a run's embedded moto, a self-test's reference endpoint)."""
    for path in files(endpoint, directory):
        path.unlink(missing_ok=True)


class Turns:
    """One process's turns with the registry of one endpoint: ``share`` when a check begins, ``alone``
    before it holds a registry-wide setting, ``end`` when it ends. The calls block until the turn comes."""

    def __init__(self, endpoint: str, directory: Path | None = None):
        gate, registry = files(endpoint, directory)
        self._gate = open(gate, "a")  # noqa: SIM115 (held for the process)
        self._registry = open(registry, "a")  # noqa: SIM115
        self.alone_now = False

    def share(self) -> None:
        fcntl.flock(self._gate, fcntl.LOCK_SH)  # waits while a check waits to be alone
        fcntl.flock(self._registry, fcntl.LOCK_SH)
        fcntl.flock(self._gate, fcntl.LOCK_UN)

    def alone(self) -> None:
        if self.alone_now:
            return
        fcntl.flock(self._registry, fcntl.LOCK_UN)  # its own shared turn must not keep it waiting
        fcntl.flock(self._gate, fcntl.LOCK_EX)
        fcntl.flock(self._registry, fcntl.LOCK_EX)
        fcntl.flock(self._gate, fcntl.LOCK_UN)
        self.alone_now = True

    def end(self) -> None:
        fcntl.flock(self._registry, fcntl.LOCK_UN)
        self.alone_now = False
