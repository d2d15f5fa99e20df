"""Run the suite against a MiniStack server started for the run, and stop it afterwards.

    python -m ecrconf.run.ministack [--ministack PATH] [--report-dir DIR] [--startup-timeout S] [-- PYTEST_ARGS...]

MiniStack is started as `GATEWAY_PORT=PORT BIND_HOST=127.0.0.1 ministack` on a free port the OS
chooses, in its own process group and a scratch directory, and is waited for on
GET /_ministack/health (which also gives its version, hence --target=ministack-<version>). The suite
then runs as `pytest --endpoint=http://127.0.0.1:PORT --target=ministack-<version>` with dummy AWS
credentials; whatever happens (failure, Ctrl-C, SIGTERM), the whole process group is stopped.

MiniStack pins its own botocore, older than the suite's, so it belongs in a virtualenv of its own:
PATH is that environment's `ministack` executable. The exit status is pytest's, or 3 when MiniStack
does not start.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEALTH = "/_ministack/health"
EXIT_NOT_STARTED = 3
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


def pytest_command(endpoint: str, version: str, report_dir: str | None, extra: list[str]) -> list[str]:
    command = [sys.executable, "-m", "pytest", f"--endpoint={endpoint}", f"--target=ministack-{version}"]
    if report_dir:
        command.append(f"--report-dir={report_dir}")
    return command + extra


def _raise_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)  # unwinds through the finally blocks, so MiniStack is stopped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ecrconf.run.ministack", description=__doc__.split("\n")[0])
    parser.add_argument("--ministack", metavar="PATH", default=shutil.which("ministack"),
                        help="the ministack executable (default: ministack on PATH)")
    parser.add_argument("--report-dir", metavar="DIR", help="passed on to pytest as --report-dir")
    parser.add_argument("--startup-timeout", type=float, default=60.0, metavar="SECONDS",
                        help="how long to wait for MiniStack's health check (default 60)")
    parser.add_argument("pytest_args", nargs="*", metavar="PYTEST_ARGS", help="more pytest arguments, after --")
    args = parser.parse_args(argv)
    if not args.ministack or not Path(args.ministack).is_file():
        print(f"ecrconf.run.ministack: no ministack executable ({args.ministack or 'none on PATH'}); "
              "install it with pip install ministack in a virtualenv of its own", file=sys.stderr)
        return EXIT_NOT_STARTED
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    report_dir = str(Path(args.report_dir).resolve()) if args.report_dir else None
    # MiniStack runs in a scratch directory and pytest in the project: neither may see a relative path.
    with MiniStack(str(Path(args.ministack).resolve()), startup_timeout=args.startup_timeout) as server:
        try:
            version = server.start()
        except NotStarted as exc:
            print(f"ecrconf.run.ministack: {exc}", file=sys.stderr)
            return EXIT_NOT_STARTED
        command = pytest_command(server.endpoint, version, report_dir, args.pytest_args)
        print(f"ecrconf.run.ministack: MiniStack {version} at {server.endpoint}; {' '.join(command[1:])}", flush=True)
        return subprocess.run(command, cwd=ROOT, env=clean_environment()).returncode


if __name__ == "__main__":
    sys.exit(main())
