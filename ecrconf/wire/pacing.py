"""Holding a whole run, every xdist worker together, to at most N requests a second (``--max-rps``).

The processes of a run share one file: it holds the earliest time (``time.monotonic``: the system's
monotonic clock, the same for every process of a machine on Linux and macOS) at which the run's next
request may go. Each request takes, under an exclusive ``fcntl.flock`` of that file (as
``ecrconf.resources.turns`` shares the registry), the slot ``max(now, that time)``, writes back its slot
plus 1/N seconds, lets the lock go and sleeps until its slot. Requests thus leave at least 1/N seconds
apart across the run, so any window of one second holds at most ``floor(N) + 1`` of them (the one at its
start and those 1/N apart after it), whichever worker sends them and however unevenly they are shared.
"""

from __future__ import annotations

import fcntl
import math
import os
import struct
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

_SLOT = struct.Struct("<d")


def slots_file(run_id: str, directory: Path | None = None) -> Path:
    """The file the processes of run run_id share their pace through (in the system's temporary folder)."""
    return Path(directory or tempfile.gettempdir()) / f"ecrconf-pace-{run_id}"


class Pace:
    """Calling it waits for the next slot of a run held to rate requests a second (rate: finite, > 0).
    The file is made on first use; the caller's process removes it when its run ends (``remove``)."""

    def __init__(self, path: Path, rate: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        if not (math.isfinite(rate) and rate > 0):
            raise ValueError(f"rate must be a number of requests a second greater than 0, got {rate!r}")
        self.path = path
        self.interval = 1.0 / rate
        self._clock = clock
        self._sleep = sleep

    def __call__(self) -> None:
        slot = self.take()
        delay = slot - self._clock()
        if delay > 0:
            self._sleep(delay)

    def take(self) -> float:
        """Reserve the run's next slot; its time (on clock)."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            stored = os.pread(fd, _SLOT.size, 0)
            earliest = _SLOT.unpack(stored)[0] if len(stored) == _SLOT.size else 0.0
            slot = max(self._clock(), earliest)
            os.pwrite(fd, _SLOT.pack(slot + self.interval), 0)
            return slot
        finally:
            os.close(fd)  # and with it the lock

    def remove(self) -> None:
        """Delete the shared file (at the end of the run, by the process that chose the run id)."""
        self.path.unlink(missing_ok=True)
