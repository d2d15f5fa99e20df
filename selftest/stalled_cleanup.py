"""A pytest plugin that selftest/test_interrupts.py loads into a suite run (``-p selftest.stalled_cleanup``):
in xdist workers, the run's cleanup first waits longer than xdist lets a stopping worker live (10 s), as a
cleanup stuck behind a slow target would, so that the worker is killed with its repositories still there."""

from __future__ import annotations

import os
import time

from ecrconf.resources import Resources

STALL = 30  # seconds: past xdist's 10 s, within the self-test's bound on the whole run

if os.environ.get("PYTEST_XDIST_WORKER"):
    _cleanup = Resources.cleanup

    def _stalled(self) -> list[str]:
        time.sleep(STALL)
        return _cleanup(self)

    Resources.cleanup = _stalled
