"""Every interruption cleans up, and a single Ctrl-C always stops the run (ecrconf/wire/interrupts.py).

The suite runs in a subprocess against a moto server on loopback that counts the requests it serves.
Signals go to the pytest process alone (``timeout -s TERM``) or to its whole process group (Ctrl-C at a
terminal, a CI runner cancelling a job). Afterwards no ``ecrconf-*`` repository may remain, a repository
made beforehand must still be there, and the output must hold no INTERNALERROR, no traceback and no
"Exception ignored".
"""

from __future__ import annotations

import collections
import gc
import json
import os
import signal
import subprocess
import sys
import threading
import time
import types
import uuid
from pathlib import Path

import pytest
import requests
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

from ecrconf.wire import interrupts
from ecrconf.wire.client import Credentials, EcrClient

ROOT = Path(__file__).resolve().parent.parent
# A Hypothesis test that passes on moto: it sends a request for each of its 25 examples.
GENERATED = "test_absent_repository_is_repository_not_found"
WAIT = 60  # seconds: the bound on anything a case waits for; none comes close
CLEAN_OUTPUT_FORBIDS = ("INTERNALERROR", "Exception ignored", "Traceback")


class CountingMoto:
    """A moto server on 127.0.0.1 (port chosen by the OS) that counts requests per operation and can
    hold DeleteRepository calls until released."""

    def __init__(self) -> None:
        app = DomainDispatcherApplication(create_backend_app)
        self.calls: collections.Counter[str] = collections.Counter()
        self.hold_deletes = threading.Event()
        self.release = threading.Event()
        lock = threading.Lock()

        def counting(environ, start_response):
            operation = environ.get("HTTP_X_AMZ_TARGET", "").rpartition(".")[2]
            with lock:
                self.calls[operation] += 1
            if operation == "DeleteRepository" and self.hold_deletes.is_set():
                self.release.wait(WAIT)
            return app(environ, start_response)

        self.server = make_server("127.0.0.1", 0, counting, threaded=True, request_handler=MotoRequestHandler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.client = EcrClient(self.url, "us-east-1", Credentials("testing", "testing"), timeout=10)

    def repositories(self, prefix: str) -> list[str]:
        body = self.client.call("DescribeRepositories", {"maxResults": 1000}).body
        return sorted(r["repositoryName"] for r in body["repositories"] if r["repositoryName"].startswith(prefix))

    def wait_for(self, condition, what: str) -> None:
        deadline = time.monotonic() + WAIT
        while not condition():
            assert time.monotonic() < deadline, f"waited {WAIT}s for {what}"
            time.sleep(0.05)


@pytest.fixture
def moto():
    server = CountingMoto()
    server.thread.start()
    # moto keeps its state per process: start from none, whatever other self-tests in this process left.
    requests.post(f"{server.url}/moto-api/reset", timeout=10).raise_for_status()
    yield server
    server.release.set()
    server.server.shutdown()


@pytest.fixture
def bystander(moto):
    """A repository that is not the run's: it must survive every interruption."""
    name = f"bystander-{uuid.uuid4().hex[:8]}"
    assert moto.client.call("CreateRepository", {"repositoryName": name}).status == 200
    return name


class Run:
    """The suite in a subprocess, in a process group of its own, its output in a file."""

    def __init__(self, tmp_path: Path, url: str, *args: str, env: dict[str, str] | None = None):
        base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTEST_", "ECRCONF_"))}
        base.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_EC2_METADATA_DISABLED="true")
        base.update(env or {})
        self.log = (tmp_path / "run.log").open("w+")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", f"--endpoint={url}", *args],
            cwd=ROOT, env=base, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def signal(self, signum: int, *, group: bool) -> None:
        if group:
            os.killpg(self.process.pid, signum)
        else:
            self.process.send_signal(signum)

    def finish(self) -> tuple[int, str]:
        """Wait for the run (at most WAIT seconds) and for every process of its group to be gone."""
        try:
            status = self.process.wait(WAIT)
            deadline = time.monotonic() + WAIT
            while _group_alive(self.process.pid):
                assert time.monotonic() < deadline, "a worker outlived the run"
                time.sleep(0.05)
        finally:
            if _group_alive(self.process.pid):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(WAIT)
        self.log.seek(0)
        return status, self.log.read()


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def signal_self(signum: int = signal.SIGTERM) -> None:
    """Send signum to this process, then a backward jump: Python runs the handler there, where we are."""
    os.kill(os.getpid(), signum)
    for _ in range(3):
        pass


def assert_clean(output: str) -> None:
    for words in CLEAN_OUTPUT_FORBIDS:
        assert words not in output, output[-4000:]


# Serial Ctrl-C is test_ctrl_c_inside_a_hypothesis_test_stops_the_run; a CI runner that signals the
# whole group takes the path of sigint-xdist-ctrl-c; SIGHUP the path of SIGTERM (TestInProcess).
CASES = {
    "sigterm-serial": (signal.SIGTERM, False, ()),  # timeout -s TERM pytest ...
    "sigterm-xdist": (signal.SIGTERM, False, ("-n", "2")),  # reaches the controller only
    "sigint-xdist-ctrl-c": (signal.SIGINT, True, ("-n", "2")),  # Ctrl-C at a terminal signals the group
}


def test_what_killed_workers_leave_the_controller_deletes(tmp_path, moto, bystander):
    """xdist kills a worker 10 s after asking it to stop, whatever its cleanup is doing: the controller
    then deletes what the run still has, by its name form and run tag, and touches nothing else."""
    run = Run(tmp_path, moto.url, "-n", "2", "-p", "selftest.stalled_cleanup")
    moto.wait_for(lambda: moto.repositories("ecrconf-"), "the run to create a repository")
    run.signal(signal.SIGINT, group=True)
    status, output = run.finish()
    assert status == pytest.ExitCode.INTERRUPTED, output[-4000:]
    assert "repositories that stopped workers left" in output, output[-4000:]
    assert moto.repositories("ecrconf-") == []
    assert moto.repositories(bystander) == [bystander]
    assert "ECR conformance: incomplete: " in output


@pytest.mark.parametrize("case", CASES)
def test_signal_stops_the_run_and_cleans_up(tmp_path, moto, bystander, case):
    signum, group, args = CASES[case]
    run = Run(tmp_path, moto.url, f"--report-dir={tmp_path / 'reports'}", *args)
    moto.wait_for(lambda: moto.repositories("ecrconf-"), "the run to create a repository")
    run.signal(signum, group=group)
    status, output = run.finish()
    assert status == pytest.ExitCode.INTERRUPTED, output[-4000:]
    assert moto.repositories("ecrconf-") == []
    assert moto.repositories(bystander) == [bystander]
    assert_clean(output)
    document = json.loads((tmp_path / "reports" / "results.json").read_text())
    assert document["run"]["complete"] is False and document["run"]["not_run"] > 0
    assert "incomplete: " in (tmp_path / "reports" / "summary.md").read_text().splitlines()[0]
    assert "ECR conformance: incomplete: " in output


def test_ctrl_c_inside_a_hypothesis_test_stops_the_run(tmp_path, moto, bystander):
    run = Run(tmp_path, moto.url, "-k", GENERATED)
    moto.wait_for(lambda: moto.calls["StartImageScan"] >= 5, "generated requests")
    run.signal(signal.SIGINT, group=True)
    status, output = run.finish()
    assert status == pytest.ExitCode.INTERRUPTED, output[-4000:]
    assert moto.repositories("ecrconf-") == []
    assert moto.repositories(bystander) == [bystander]
    assert_clean(output)


def test_ctrl_c_dropped_in_a_gc_callback_still_stops_the_run(tmp_path, moto, bystander):
    """selftest/interrupt_probe.py signals the run from inside a gc callback of the Hypothesis test,
    where Python drops the KeyboardInterrupt: the run must stop anyway, quietly."""
    run = Run(tmp_path, moto.url, "-k", GENERATED, "-p", "selftest.interrupt_probe",
              env={"ECRCONF_PROBE_SIGNAL": "SIGINT", "ECRCONF_PROBE_TEST": GENERATED})
    status, output = run.finish()
    assert status == pytest.ExitCode.INTERRUPTED, output[-4000:]
    assert moto.repositories("ecrconf-") == []
    assert moto.repositories(bystander) == [bystander]
    assert_clean(output)


@pytest.mark.parametrize("args", [(), ("-n", "2")], ids=["serial", "xdist"])
def test_second_ctrl_c_during_cleanup_ends_the_run_at_once(tmp_path, moto, bystander, args):
    """The server holds every DeleteRepository until the run has ended: only the second signal can end it."""
    moto.hold_deletes.set()
    run = Run(tmp_path, moto.url, *args)
    moto.wait_for(lambda: moto.repositories("ecrconf-"), "the run to create a repository")
    run.signal(signal.SIGINT, group=True)
    moto.wait_for(lambda: moto.calls["DeleteRepository"] >= 1, "the cleanup to start")
    run.signal(signal.SIGINT, group=True)
    status, output = run.finish()
    moto.release.set()
    assert status == -signal.SIGINT, output[-4000:]
    assert "SIGINT again: stopping at once, cleanup not finished: repositories named ecrconf-" in output
    assert_clean(output)
    assert moto.repositories(bystander) == [bystander]


class TestInProcess:
    """The module's rules, in this process (the handlers are put back afterwards)."""

    @pytest.fixture(autouse=True)
    def installed(self):
        previous = signal.getsignal(signal.SIGHUP)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        interrupts.install(worker=False, on_abandon=lambda line: None)
        try:
            assert signal.getsignal(signal.SIGTERM) is interrupts._handle  # else a SIGTERM would end this run
            yield
        finally:
            interrupts.uninstall()
            signal.signal(signal.SIGHUP, previous)

    def test_stop_signals_are_handled_and_an_ignored_one_stays_ignored(self):
        assert signal.getsignal(signal.SIGTERM) is interrupts._handle
        assert signal.getsignal(signal.SIGINT) is interrupts._handle
        assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN  # as under nohup
        interrupts.uninstall()
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
        interrupts.install(worker=False, on_abandon=lambda line: None)
        assert signal.getsignal(signal.SIGHUP) is interrupts._handle
        with pytest.raises(interrupts.Interrupted, match="stopped by SIGHUP"):
            os.kill(os.getpid(), signal.SIGHUP)
            time.sleep(WAIT)

    def test_a_signal_raises_and_is_remembered(self):
        with pytest.raises(interrupts.Interrupted, match="stopped by SIGTERM"):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(WAIT)
        assert interrupts.requested() == signal.SIGTERM

    def test_a_stop_dropped_in_a_gc_callback_is_raised_at_the_next_safe_point(self, capsys):
        def callback(phase, info):
            if phase == "start":
                signal_self()

        take_off = interrupts.hide_dropped_stops()
        gc.callbacks.append(callback)
        try:
            gc.collect()
        finally:
            gc.callbacks.remove(callback)
            take_off()
        assert interrupts.requested() == signal.SIGTERM
        assert "Exception ignored" not in capsys.readouterr().err
        with pytest.raises(interrupts.Interrupted):
            interrupts.check()

    def test_a_signal_during_cleanup_is_remembered_not_raised(self):
        with interrupts.deferred():
            signal_self()
            interrupts.check()  # no safe point inside a cleanup
        assert interrupts.requested() == signal.SIGTERM
        with pytest.raises(interrupts.Interrupted):
            interrupts.check()

    def test_once_stopping_a_safe_point_no_longer_raises(self):
        with pytest.raises(interrupts.Interrupted):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(WAIT)
        interrupts.stopping()
        interrupts.check()

    def test_other_threads_are_no_safe_point(self):
        with interrupts.deferred():
            signal_self()
        raised = []

        def other():
            try:
                interrupts.check()
            except interrupts.Interrupted as exc:
                raised.append(exc)

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(WAIT)
        assert raised == []


def test_uninstalled_no_stop_is_left_pending():
    """A stop requested in one pytest session of a process must not stop the next (an in-process run)."""
    interrupts.install(worker=False, on_abandon=lambda line: None)
    try:
        with interrupts.deferred():
            signal_self()
    finally:
        interrupts.uninstall()
    assert interrupts.requested() is None
    interrupts.check()


def _generator_with_cleanup():
    try:
        yield
    finally:
        pass


def test_an_interruption_at_an_instruction_without_a_line_is_reported_as_an_interruption():
    """CPython 3.11 gives tb_lineno None to an exception a signal handler raised at an instruction that
    has no line (a generator's cleanup); pytest's report of the interruption must not fail on it (it did
    in CI: exit 1 and a TypeError instead of exit 2)."""
    generator = _generator_with_cleanup()
    next(generator)
    code = generator.gi_frame.f_code
    offset = next(start for start, _, line in code.co_lines() if line is None)
    lineless = types.TracebackType(None, generator.gi_frame, offset, -1)
    assert lineless.tb_lineno is None  # the case itself, as Python builds it
    try:
        raise interrupts.Interrupted("stopped by SIGTERM") from ValueError("the cause")
    except interrupts.Interrupted as exc:
        exc.__traceback__ = types.TracebackType(lineless, sys._getframe(), 0, -1)
        excinfo = pytest.ExceptionInfo.from_exception(exc)
    with pytest.raises(TypeError):
        excinfo.getrepr(funcargs=True)

    interrupts.mend_line_numbers(excinfo)

    shown = str(excinfo.getrepr(funcargs=True))
    assert "Interrupted: stopped by SIGTERM" in shown and "ValueError: the cause" in shown
    cleanup = code.co_firstlineno + 4  # the `pass` in `finally`, the last line before that instruction
    assert excinfo.traceback[-1].lineno + 1 == cleanup  # TracebackEntry.lineno counts from 0
