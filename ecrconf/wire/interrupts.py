"""Stopping a run on a signal: SIGINT, SIGTERM and SIGHUP all stop it as Ctrl-C does, and it cleans up.

The first signal raises ``Interrupted`` (a KeyboardInterrupt, so pytest stops the run, tears the session
fixtures down, which deletes what the run created, and exits with status 2) and is remembered until
pytest has taken it. Where Python drops an exception (a gc callback such as Hypothesis's, ``__del__``:
"Exception ignored in ...") or code swallows it, the remembered request is raised again at the next
safe point: ``check()``, called by ``EcrClient.send``, at every test start, for every report the xdist
controller receives, and when the test loop ends.

Once the run is stopping or finishing (pytest took the interruption, ``pytest_sessionfinish`` began,
or inside ``deferred()`` around a cleanup), a signal no longer raises: the first one only marks the run
interrupted; the next one abandons the cleanup and ends the process by that signal at once (the user
pressed twice). Under pytest-xdist the controller passes a stop on to its local workers, which stop and
clean up as above and ignore later signals: the controller decides when to give up on them (xdist
kills a worker 10 s after asking it to end; a second signal to the controller kills them at once).

Signals that were ignored when the run started (``nohup`` ignores SIGHUP) stay ignored.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from _pytest._code import Traceback

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

# A worker must not raise while it writes to the controller: a half-sent message breaks the channel.
_UNSAFE_IN_WORKER = {("xdist.remote", "sendevent")}


class Interrupted(KeyboardInterrupt):
    """The run was stopped by a signal; its argument is the signal's name."""


@dataclass
class _State:
    installed: dict[int, object] = field(default_factory=dict)  # signal -> handler before ours
    worker: bool = False
    requested: int | None = None  # the first stop signal received
    stopping: bool = False  # pytest took the interruption, or the run is finishing
    shielded: int = 0  # depth of deferred() blocks
    workers: set[int] = field(default_factory=set)  # pids of this controller's local xdist workers
    on_abandon: Callable[[str], None] = lambda line: None


_state = _State()


def install(*, worker: bool, on_abandon: Callable[[str], None]) -> None:
    """Handle STOP_SIGNALS in this process (main thread only; elsewhere nothing is installed).

    worker: this is an xdist worker (it ignores signals once stopping). on_abandon(line) is called
    with one line to show before a second signal ends the process without finishing the cleanup.
    """
    global _state
    if threading.current_thread() is not threading.main_thread():
        return
    uninstall()
    _state = _State(worker=worker, on_abandon=on_abandon)
    for signum in STOP_SIGNALS:
        previous = signal.getsignal(signum)
        if previous == signal.SIG_IGN:
            continue
        _state.installed[signum] = previous
        signal.signal(signum, _handle)


def uninstall() -> None:
    """Give the signals back the handlers they had before install(), and forget any stop requested:
    after it, check() raises nothing (a later pytest session in this process starts afresh)."""
    global _state
    if threading.current_thread() is not threading.main_thread():
        return
    for signum, previous in _state.installed.items():
        if signal.getsignal(signum) is _handle:
            signal.signal(signum, previous)
    _state = _State()


def requested() -> int | None:
    """The first stop signal this process received, or None."""
    return _state.requested


def check() -> None:
    """A safe point: raise Interrupted if a stop was requested and pytest has not taken it yet.

    Only in the main thread (the one pytest runs tests in); never while stopping or in deferred().
    """
    if _pending() and threading.current_thread() is threading.main_thread():
        raise Interrupted(f"stopped by {_name(_state.requested)}")


def stopping() -> None:
    """The run is stopping or finishing: from now on signals no longer raise."""
    _state.stopping = True


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """A block that a first signal must not break (a cleanup): it is only remembered."""
    _state.shielded += 1
    try:
        yield
    finally:
        _state.shielded -= 1


def add_worker(pid: int) -> None:
    """A local xdist worker of this controller: stops are passed on to it, also one requested before the
    worker was ready (a signal early in the run must reach every worker)."""
    _state.workers.add(pid)
    if _state.requested is not None:
        with contextlib.suppress(OSError):
            os.kill(pid, _state.requested)


def remove_worker(pid: int) -> None:
    _state.workers.discard(pid)


def hide_dropped_stops() -> Callable[[], None]:
    """Put a sys.unraisablehook on top of the current one: an Interrupted that Python had to drop (raised
    in a gc callback or a __del__) is not shown, as it stays requested and is raised again at the next
    safe point; anything else goes to the hook below. Returns the function that takes it off again."""
    below = sys.unraisablehook

    def hook(args) -> None:
        if not isinstance(args.exc_value, Interrupted):
            below(args)

    def take_off() -> None:
        if sys.unraisablehook is hook:
            sys.unraisablehook = below

    sys.unraisablehook = hook
    return take_off


def _pending() -> bool:
    return _state.requested is not None and not _state.stopping and not _state.shielded


def _handle(signum: int, frame) -> None:
    state = _state
    calm = state.stopping or state.shielded
    if state.requested is not None and (calm or state.worker):
        if calm and not state.worker:  # a second signal while the run stops: the user pressed twice
            _abandon(signum)
        return  # a worker leaves it to the controller; a swallowed first one is raised at a safe point
    if state.requested is None:
        state.requested = signum
        _pass_on(signum)
    if calm:  # the first signal, while the run finishes anyway: only mark it interrupted
        return
    if state.worker and _inside(frame, _UNSAFE_IN_WORKER):
        return  # raised at the next safe point
    raise Interrupted(f"stopped by {_name(signum)}")


def _pass_on(signum: int) -> None:
    for pid in list(_state.workers):
        with contextlib.suppress(OSError):
            os.kill(pid, signum)


def _abandon(signum: int) -> None:
    """End the process now, by the signal received, and its workers with it."""
    for pid in list(_state.workers):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        _state.on_abandon(f"ecrconf: {_name(signum)} again: stopping at once, cleanup not finished")
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _inside(frame, functions: set[tuple[str, str]]) -> bool:
    """Whether frame is inside one of functions, given as (module, function name)."""
    while frame is not None:
        if (frame.f_globals.get("__name__", ""), frame.f_code.co_name) in functions:
            return True
        frame = frame.f_back
    return False


def _name(signum: int | None) -> str:
    return signal.Signals(signum).name if signum else "signal"


class Plugin:
    """The pytest side, registered by ecrconf.run.plugin in the controller and in every xdist worker.

    abandon_note: what may be left behind when a second signal ends the process, in a few words.
    """

    def __init__(self, config: pytest.Config, *, worker: bool, abandon_note: str):
        self.config = config
        self.worker = worker
        self.abandon_note = abandon_note
        self._take_off_unraisable: Callable[[], None] = lambda: None
        install(worker=worker, on_abandon=self._say)

    def _say(self, line: str) -> None:
        capture = self.config.pluginmanager.getplugin("capturemanager")
        if capture is not None:
            capture.suspend_global_capture(in_=True)
        sys.stderr.write(f"\n{line}: {self.abandon_note}\n")

    @pytest.hookimpl(trylast=True)  # on top of pytest's own hook, installed at configure
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self._take_off_unraisable = hide_dropped_stops()

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> None:
        check()

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if not self.worker:  # the xdist controller's safe point; a worker sends reports on from here
            check()

    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self, session: pytest.Session):
        result = yield
        check()  # a stop that was swallowed after the last safe point
        return result

    @pytest.hookimpl(tryfirst=True)
    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo) -> None:
        stopping()
        mend_line_numbers(excinfo)

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int):
        stopping()
        try:
            return (yield)
        finally:
            if requested() is not None:  # also one that came while the run was finishing
                session.exitstatus = pytest.ExitCode.INTERRUPTED

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        self._take_off_unraisable()
        uninstall()

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodeready(self, node) -> None:  # xdist's, on the controller
        pid = _local_pid(node)
        if pid:
            add_worker(pid)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node, error) -> None:
        pid = _local_pid(node)
        if pid:
            remove_worker(pid)


def mend_line_numbers(excinfo: pytest.ExceptionInfo) -> None:
    """Give every traceback entry of excinfo's exception, and of the exceptions it chains, a line number.

    A signal handler runs between any two bytecode instructions. When it raises at one that has no line
    of its own (CPython 3.11 emits such instructions for the cleanup of ``with`` blocks and generators),
    that entry's ``tb_lineno`` is None, and pytest's report of the interruption fails on it with a
    TypeError (``TracebackEntry.lineno``): the run ends with status 1 and a wall of traceback instead of
    status 2. Such an entry gets the line of the nearest instruction before it that has one.
    """
    seen: set[int] = set()
    exception: BaseException | None = excinfo.value
    while exception is not None and id(exception) not in seen:
        seen.add(id(exception))
        exception.__traceback__ = _with_line_numbers(exception.__traceback__)
        exception = exception.__cause__ or exception.__context__
    excinfo.traceback = Traceback(excinfo.value.__traceback__)


def _with_line_numbers(tb: types.TracebackType | None) -> types.TracebackType | None:
    entries = []
    while tb is not None:
        entries.append(tb)
        tb = tb.tb_next
    if all(entry.tb_lineno is not None for entry in entries):
        return entries[0] if entries else None
    mended = None
    for entry in reversed(entries):
        mended = types.TracebackType(mended, entry.tb_frame, entry.tb_lasti,
                                     entry.tb_lineno or _line_before(entry.tb_frame.f_code, entry.tb_lasti))
    return mended


def _line_before(code: types.CodeType, offset: int) -> int:
    lines = [line for start, _, line in code.co_lines() if start <= offset and line is not None]
    return lines[-1] if lines else code.co_firstlineno


def _local_pid(node) -> int | None:
    """The process id of an xdist worker on this machine (a popen gateway), else None."""
    gateway = node.gateway
    if not gateway.spec.popen or gateway.spec.via:
        return None
    # xdist caches the remote info when it sets a node up (pytest-cov reads it the same way).
    return getattr(gateway._rinfo(), "pid", None)
