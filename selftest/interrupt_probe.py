"""A pytest plugin that selftest/test_interrupts.py loads into a suite run (``-p selftest.interrupt_probe``).

With ECRCONF_PROBE_SIGNAL=SIGINT (or another name) set, it sends that signal to its own process from
inside a garbage-collection callback, once the test named by ECRCONF_PROBE_TEST has sent requests: the
signal lands where Python can only drop an exception ("Exception ignored in garbage collection
callback"), as a Ctrl-C does now and then during a Hypothesis test. Without the variable it does nothing.

With ECRCONF_PROBE_AFTER=<Operation> as well, it sends the signal instead when the first answer to that
operation has arrived, before the code that sent it sees it: as a Ctrl-C does that lands while the run
waits for the target (the target has carried the call out; the run has not yet learnt what it made).
"""

from __future__ import annotations

import gc
import os
import signal

import pytest

from ecrconf.wire import client

_AFTER_REQUESTS = 5
_SEND = client.EcrClient.send


def pytest_configure(config: pytest.Config) -> None:
    name, operation = os.environ.get("ECRCONF_PROBE_SIGNAL"), os.environ.get("ECRCONF_PROBE_AFTER")
    if not name or not operation:
        return
    signum = signal.Signals[name]
    fired = []

    def send(self, prepared, sent: str, **more):
        exchange = _SEND(self, prepared, sent, **more)
        if sent == operation and not fired:
            fired.append(True)
            os.kill(os.getpid(), signum)
            for _ in range(3):  # a backward jump: Python runs the signal handler here
                pass
        return exchange

    client.EcrClient.send = send


def pytest_unconfigure(config: pytest.Config) -> None:
    client.EcrClient.send = _SEND


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    name = os.environ.get("ECRCONF_PROBE_SIGNAL")
    if not name or os.environ.get("ECRCONF_PROBE_AFTER") or os.environ.get("ECRCONF_PROBE_TEST", "") not in item.name:
        return (yield)
    signum = signal.Signals[name]
    start = client.requests_sent()
    fired = []

    def callback(phase: str, info: dict) -> None:
        if fired or phase != "start" or client.requests_sent() - start < _AFTER_REQUESTS:
            return
        fired.append(True)
        os.kill(os.getpid(), signum)
        for _ in range(3):  # a backward jump: Python runs the signal handler here, inside the callback
            pass

    gc.callbacks.append(callback)
    try:
        return (yield)
    finally:
        gc.callbacks.remove(callback)
