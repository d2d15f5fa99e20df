"""``python -m pytest ARGS`` from a self-test, as subprocess.run would give it, without paying its start-up each time.

A fresh interpreter spends about 1 s importing pytest, Hypothesis, requests, jsonschema and botocore before
the suite's first test, and the self-tests start well over a hundred of them. ``run()`` starts each run
instead in a process forked from a multiprocessing forkserver that imported those once (``PRELOAD``).
The forked child then makes itself the process ``python -m pytest ARGS`` would be: working directory,
exactly the environment given, ``sys.path`` and ``sys.argv`` as ``-m`` sets them, the self-tests' own
modules out of ``sys.modules`` (Hypothesis mines every local module for constants to generate with, so an
extra one would change the examples), fds 1 and 2 on files (so output written below Python is caught too),
then ``pytest.console_main()`` (what ``python -m pytest`` calls), the atexit handlers, and ``os._exit``
with pytest's status. Each run is a fresh fork: nothing a run changes reaches the next one.

Only third-party and standard-library modules are preloaded, never the harness (``ecrconf``: local, so
Hypothesis would see it earlier than a real run does) nor ``hypothesis_jsonschema`` (its import touches
Hypothesis's storage, which Hypothesis reports as a side effect when it happens before its pytest plugin
loads). moto is not preloaded either: a run against ``--endpoint`` does not import it, and importing it
changes botocore's handlers and the warning filters.

A run falls back to a plain subprocess when the forked child could not be that process: when the
self-tests do not run from the project root (the forkserver starts in the working directory, where
Hypothesis places its storage), or when the run's environment sets interpreter start-up variables
(``PYTHON*``, ``LANG``, ``LC_*``) or Hypothesis's (``HYPOTHESIS_*``, read as it is imported) other than
the forkserver started with.
"""

from __future__ import annotations

import atexit
import importlib
import io
import json
import multiprocessing
import multiprocessing.forkserver
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SELFTEST = ROOT / "selftest"
# Imported once in the forkserver; every run of the suite imports them itself (xdist, pytest-timeout,
# execnet: as pytest plugins, also under -p no:xdist, where they stay unused; packaging for required_plugins).
# Not pdb (pytest's debugging plugin imports it, and it imports readline, which may write to a terminal).
PRELOAD = ("pytest", "hypothesis", "requests", "requests_aws4auth", "jsonschema", "botocore.session",
           "botocore.credentials", "xdist.plugin", "xdist.looponfail", "execnet", "pytest_timeout",
           "packaging.requirements", "concurrent.futures", "tarfile", "tomllib")

_context = multiprocessing.get_context("forkserver")
_lock = threading.Lock()
_started: dict[str, object] = {}  # "startup_env": the start-up variables the forkserver has; "path": see _base_path


def run(args: Sequence[str], *, env: Mapping[str, str], timeout: float,
        cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """``[sys.executable, "-m", "pytest", *args]`` in cwd with exactly env, its output as text.

    Returns what ``subprocess.run(..., capture_output=True, text=True)`` returns: returncode (negative
    when a signal ended it), stdout and stderr decoded as that would decode them. Raises
    subprocess.TimeoutExpired, after killing the run, when it takes longer than timeout seconds.
    """
    command = [sys.executable, "-m", "pytest", *args]
    if not _forkable(Path(cwd), env):
        return subprocess.run(command, cwd=cwd, env=dict(env), capture_output=True, text=True, timeout=timeout)
    with tempfile.TemporaryDirectory(prefix="pytest-run-") as folder:
        out, err = Path(folder, "stdout"), Path(folder, "stderr")
        child = _context.Process(target=_child, args=(list(args), str(cwd), dict(env), _started["path"],
                                                      str(out), str(err)), daemon=True)
        with _lock:  # one start at a time: the calibration starts runs from several threads
            child.start()
        child.join(timeout)
        timed_out = child.exitcode is None
        if timed_out:
            child.kill()
            child.join()
        stdout, stderr = _text(out), _text(err)
    if timed_out:
        raise subprocess.TimeoutExpired(command, timeout, output=stdout, stderr=stderr)
    return subprocess.CompletedProcess(command, child.exitcode, stdout, stderr)


def _startup_env(env: Mapping[str, str]) -> dict[str, str]:
    """The variables read as the forkserver started: by the interpreter (path, hashing, warnings, encodings)
    and, as they are imported, by the preloaded modules (Hypothesis reads HYPOTHESIS_* then)."""
    return {name: value for name, value in env.items()
            if name.startswith(("PYTHON", "LC_", "HYPOTHESIS_")) or name == "LANG"}


def _forkable(cwd: Path, env: Mapping[str, str]) -> bool:
    """Start the forkserver if it is not running (from the project root only); True when a fork can
    stand for ``python -m pytest`` in cwd with env."""
    with _lock:
        if "path" not in _started:
            if Path.cwd() != ROOT:
                return False
            _context.set_forkserver_preload(list(PRELOAD))
            multiprocessing.forkserver.ensure_running()
            _started["startup_env"] = _startup_env(os.environ)
            _started["path"] = _base_path()
    return cwd.resolve() == ROOT and _startup_env(env) == _started["startup_env"]


def _base_path() -> list[str]:
    """sys.path of a fresh interpreter after its first entry (the script's folder, or '' for -c)."""
    done = subprocess.run([sys.executable, "-c", "import json, sys; print(json.dumps(sys.path[1:]))"],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def _text(path: Path) -> str:
    """A captured stream decoded as subprocess.run(text=True) decodes it: locale encoding, universal newlines."""
    return path.read_text() if path.exists() else ""


def _child(args: list[str], cwd: str, env: dict[str, str], base_path: list[str], out: str, err: str) -> None:
    """In the forked process: become ``python -m pytest args``, run it, exit with its status."""
    import pytest

    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    sys.path[:] = [cwd, *base_path]  # -m puts the working directory first
    sys.argv = [str(Path(pytest.__file__).with_name("__main__.py")), *args]
    for name, module in list(sys.modules.items()):  # this module and its package: a real run never has them
        where = getattr(module, "__file__", None)
        if name == "selftest" or (where and Path(where).resolve().is_relative_to(SELFTEST)):
            del sys.modules[name]
    sys.modules.pop("__mp_main__", None)  # the self-test process's main script, re-imported by multiprocessing
    sys.modules["__main__"] = importlib.import_module("pytest.__main__")  # what -m runs as __main__
    for fd, path in ((1, out), (2, err)):
        target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(target, fd)
        os.close(target)
    sys.stdout = sys.__stdout__ = _stream(1, sys.__stdout__, line_buffering=False)
    sys.stderr = sys.__stderr__ = _stream(2, sys.__stderr__, line_buffering=True)
    try:
        status = pytest.console_main()
    except SystemExit as stop:  # a plugin's sys.exit(): the interpreter's own rules
        status = _exit_status(stop.code)
    except BaseException:  # as an uncaught exception ends an interpreter: its traceback, status 1
        sys.excepthook(*sys.exc_info())
        status = 1
    atexit._run_exitfuncs()  # what the interpreter runs on its way out (execnet's gateways, logging)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(int(status))


def _exit_status(code: object) -> int:
    """The status SystemExit(code) ends an interpreter with; a code that is not a number is printed."""
    if code is None or isinstance(code, int):
        return code or 0
    print(code, file=sys.stderr)
    return 1


def _stream(fd: int, like: io.TextIOWrapper, *, line_buffering: bool) -> io.TextIOWrapper:
    """A text stream on fd made as the interpreter makes its standard streams (not a terminal here)."""
    return io.TextIOWrapper(io.open(fd, "wb", closefd=False), encoding=like.encoding, errors=like.errors,
                            line_buffering=line_buffering, write_through=like.write_through)
