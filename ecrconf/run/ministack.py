"""Run the suite against a MiniStack server started for the run, and stop it afterwards.

    python -m ecrconf.run.ministack [--ministack PATH] [--report-dir DIR] [--startup-timeout S] [-- PYTEST_ARGS...]

MiniStack is started as `GATEWAY_PORT=PORT BIND_HOST=127.0.0.1 ministack` on a free port the OS
chooses, in its own process group and a scratch directory, and is waited for on
GET /_ministack/health (which also gives its version, hence --target=ministack-<version>). The suite
then runs as `pytest --endpoint=http://127.0.0.1:PORT --target=ministack-<version>` with dummy AWS
credentials; whatever happens (failure, Ctrl-C, SIGTERM), the whole process group is stopped.

pytest runs in a session of its own, and a stop signal (SIGINT, SIGTERM, SIGHUP) that reaches the runner is
passed on to it once per signal, as ``timeout -s TERM pytest`` would send it: pytest stops, says *incomplete*,
writes its reports and exits 2 (a second signal ends its cleanup at once: 128+N), and only then is MiniStack
stopped. A stop signal while MiniStack starts ends the runner in one line with status 2. Signals ignored at
start (``nohup``) stay ignored.

MiniStack pins its own botocore, older than the suite's, so it belongs in a virtualenv of its own:
PATH is that environment's `ministack` executable. The exit status is pytest's (128+N when a signal N
ended it), 3 when MiniStack does not start, 2 when a stop signal came before pytest started.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from ecrconf import paths

ROOT = paths.ROOT
HEALTH = "/_ministack/health"
EXIT_NOT_STARTED = 3
# How a stateful failure's replay command starts the target again (pytest_environment).
REPLAY_RUNNER_ENV = "ECRCONF_REPLAY_RUNNER"
DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "us-east-1",
                     "AWS_EC2_METADATA_DISABLED": "true"}


class NotStarted(RuntimeError):
    pass


def free_port() -> int:
    # The port is free now; MiniStack binds it moments later. A clash shows as a failed health wait.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def clean_environment() -> dict[str, str]:
    """This environment without any AWS setting (no real credentials or profile can leak in), plus dummy ones."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(DUMMY_CREDENTIALS)
    return env


class MiniStack:
    def __init__(self, executable: str, *, startup_timeout: float = 60.0):
        self.executable = executable
        self.startup_timeout = startup_timeout
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.workdir = tempfile.TemporaryDirectory(prefix="ecrconf-ministack-")
        self.log_path = Path(self.workdir.name) / "ministack.log"

    def __enter__(self) -> MiniStack:
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self) -> str:
        """Start MiniStack and wait until it is healthy; its version, or NotStarted."""
        env = clean_environment()
        env.update(GATEWAY_PORT=str(self.port), BIND_HOST="127.0.0.1", TMPDIR=self.workdir.name)
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen([self.executable], cwd=self.workdir.name, env=env, stdin=subprocess.DEVNULL,
                                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise NotStarted(f"MiniStack exited with status {self.process.returncode}: {self._log_tail()}")
            health = self._health()
            if health is not None:
                return str(health.get("version") or "unknown")
            time.sleep(0.25)
        raise NotStarted(f"MiniStack not healthy at {self.endpoint}{HEALTH} after {self.startup_timeout:.0f}s: "
                         f"{self._log_tail()}")

    def _health(self) -> dict | None:
        try:
            with urllib.request.urlopen(self.endpoint + HEALTH, timeout=2) as response:
                body = json.loads(response.read() or b"{}")
                return body if response.status == 200 and isinstance(body, dict) else None
        except (OSError, ValueError):  # refused while starting, reset, not JSON yet
            return None

    def stop(self) -> None:
        """Stop the whole process group: TERM, KILL whatever is left after 10 seconds."""
        if self.process is not None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=10)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                pass
            try:  # also the group's other members, should the leader have gone first
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait()
        self.workdir.cleanup()

    def _log_tail(self, lines: int = 5) -> str:
        try:
            tail = self.log_path.read_text(errors="replace").strip().splitlines()[-lines:]
        except OSError:
            return "no log"
        return " | ".join(tail) or "no output"


def pytest_environment(executable: str) -> dict[str, str]:
    """pytest's environment (clean_environment) and how a stateful failure's replay command starts MiniStack
    again (REPLAY_RUNNER_ENV, read by ecrconf.run.stateful.replay_command): this runner with this executable,
    since the run's MiniStack is gone by then."""
    runner = ["python", "-m", "ecrconf.run.ministack", "--ministack", executable, "--"]
    return {**clean_environment(), REPLAY_RUNNER_ENV: shlex.join(runner)}


def pytest_command(endpoint: str, version: str, report_dir: str | None, extra: list[str]) -> list[str]:
    command = [sys.executable, "-m", "pytest", f"--endpoint={endpoint}", f"--target=ministack-{version}"]
    if report_dir:
        command.append(f"--report-dir={report_dir}")
    return command + extra


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
EXIT_INTERRUPTED = 2  # pytest's own status for an interrupted run


class Stopped(Exception):
    """A stop signal reached the runner before pytest started; the argument is the signal's name."""


def _stop(signum, frame):
    _on_stop_signals(signal.SIG_IGN)  # MiniStack's stop (at most 10 s) is not cut short by another one
    raise Stopped(signal.Signals(signum).name)  # unwinds through the finally blocks, so MiniStack is stopped


def _on_stop_signals(handler) -> None:
    """handler for every stop signal that was not ignored when the runner started."""
    for signum in STOP_SIGNALS:
        if signal.getsignal(signum) != signal.SIG_IGN:
            signal.signal(signum, handler)


def run_pytest(command: list[str], env: dict[str, str]) -> int:
    """Run command (pytest) in a session of its own and wait for it, passing each stop signal the runner
    receives on to it once; its exit status, 128+N when signal N ended it."""
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)

    def forward(signum, frame):
        if process.poll() is None:
            process.send_signal(signum)

    _on_stop_signals(forward)  # stays: once pytest has ended, a signal while MiniStack stops changes nothing
    try:
        status = process.wait()
    finally:
        if process.poll() is None:  # the runner itself is failing: pytest must not outlive it
            process.kill()
            process.wait()
    return 128 - status if status < 0 else status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ecrconf.run.ministack", description=__doc__.split("\n")[0])
    parser.add_argument("--ministack", metavar="PATH", default=shutil.which("ministack"),
                        help="the ministack executable (default: ministack on PATH)")
    parser.add_argument("--report-dir", metavar="DIR", help="passed on to pytest as --report-dir")
    parser.add_argument("--startup-timeout", type=float, default=60.0, metavar="SECONDS",
                        help="how long to wait for MiniStack's health check (default 60)")
    parser.add_argument("pytest_args", nargs="*", metavar="PYTEST_ARGS", help="more pytest arguments, after --")
    args = parser.parse_args(argv)
    refused = paths.checkout_only("ecrconf.run.ministack", "start MiniStack yourself and run "
                                  "ecrconf run --endpoint=http://127.0.0.1:4566 --target=ministack-VERSION")
    if refused:
        print(refused, file=sys.stderr)
        return EXIT_NOT_STARTED
    if not args.ministack or not Path(args.ministack).is_file():
        print(f"ecrconf.run.ministack: no ministack executable ({args.ministack or 'none on PATH'}); "
              "install it with pip install ministack in a virtualenv of its own", file=sys.stderr)
        return EXIT_NOT_STARTED
    report_dir = str(Path(args.report_dir).resolve()) if args.report_dir else None
    previous = {signum: signal.getsignal(signum) for signum in STOP_SIGNALS}
    # MiniStack runs in a scratch directory and pytest in the project: neither may see a relative path.
    try:
        _on_stop_signals(_stop)
        with MiniStack(str(Path(args.ministack).resolve()), startup_timeout=args.startup_timeout) as server:
            try:
                version = server.start()
            except NotStarted as exc:
                print(f"ecrconf.run.ministack: {exc}", file=sys.stderr)
                return EXIT_NOT_STARTED
            command = pytest_command(server.endpoint, version, report_dir, args.pytest_args)
            print(f"ecrconf.run.ministack: MiniStack {version} at {server.endpoint}; {' '.join(command[1:])}",
                  flush=True)
            return run_pytest(command, pytest_environment(str(Path(args.ministack).resolve())))
    except Stopped as stopped:
        print(f"ecrconf.run.ministack: stopped by {stopped} before the suite ran", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:  # main() may run inside another program (the self-tests): its handlers come back
        for signum, handler in previous.items():
            if handler is not None:
                signal.signal(signum, handler)


if __name__ == "__main__":
    sys.exit(main())
