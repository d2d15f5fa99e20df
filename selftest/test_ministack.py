"""The MiniStack runner, against stand-ins for the ministack executable: health wait, bounded start, group stop."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ecrconf.run.ministack import EXIT_NOT_STARTED, MiniStack, NotStarted, main, pytest_command

ROOT = Path(__file__).resolve().parent.parent

# A stand-in for `ministack`: serves the health path on GATEWAY_PORT/BIND_HOST after a child process of
# its own is started (which the runner must stop too), or misbehaves as told by its argument.
FAKE = """#!{python}
import http.server, json, os, subprocess, sys, time
mode = {mode!r}
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
open(os.path.join({folder!r}, "child.pid"), "w").write(str(child.pid))
open(os.path.join({folder!r}, "env.json"), "w").write(json.dumps(dict(os.environ)))
if mode == "exits":
    print("boom: cannot start"); sys.exit(4)
if mode == "silent":
    time.sleep(300)
if mode == "moto":  # an ECR that answers: moto, behind the health path; marks the run's first CreateRepository
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server
    moto = DomainDispatcherApplication(create_backend_app)
    def app(environ, start_response):
        if environ["PATH_INFO"] == "/_ministack/health":
            start_response("200 OK", [("Content-Type", "application/json")])
            return [json.dumps({{"version": "9.9.9"}}).encode()]
        if environ.get("HTTP_X_AMZ_TARGET", "").endswith(".CreateRepository"):
            open(os.path.join({folder!r}, "created"), "a").close()
        return moto(environ, start_response)
    make_server(os.environ["BIND_HOST"], int(os.environ["GATEWAY_PORT"]), app, threaded=True,
                request_handler=MotoRequestHandler).serve_forever()
class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({{"version": "9.9.9", "services": {{"ecr": "available"}}}}).encode()
        self.send_response(200 if self.path == "/_ministack/health" else 404)
        self.send_header("Content-Type", "application/json"); self.end_headers(); self.wfile.write(body)
    def log_message(self, *args): pass
http.server.HTTPServer((os.environ["BIND_HOST"], int(os.environ["GATEWAY_PORT"])), Health).serve_forever()
"""


def fake_ministack(folder, mode: str = "healthy") -> str:
    path = folder / "ministack"
    path.write_text(FAKE.format(python=sys.executable, mode=mode, folder=str(folder)))
    path.chmod(0o755)
    return str(path)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is dead too
        return stat.read().split()[2] != "Z"


def wait_gone(pid: int, seconds: float = 5) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.05)
    return False


def test_start_waits_for_health_and_stop_ends_the_whole_group(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "someone-real")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "a-real-secret")
    with MiniStack(fake_ministack(tmp_path)) as server:
        assert server.start() == "9.9.9"
        assert server.endpoint == f"http://127.0.0.1:{server.port}"
        child = int((tmp_path / "child.pid").read_text())
        assert alive(child) and alive(server.process.pid)
        env = (tmp_path / "env.json").read_text()
        assert f'"GATEWAY_PORT": "{server.port}"' in env and '"BIND_HOST": "127.0.0.1"' in env
        assert "someone-real" not in env and "a-real-secret" not in env
    assert wait_gone(child), "MiniStack's own child outlived the run"
    assert server.process.returncode is not None


def test_a_server_that_exits_is_reported_with_its_output(tmp_path):
    with MiniStack(fake_ministack(tmp_path, "exits")) as server:
        with pytest.raises(NotStarted, match="exited with status 4: boom: cannot start"):
            server.start()
    assert wait_gone(int((tmp_path / "child.pid").read_text()))


def test_a_server_that_never_gets_healthy_is_given_up_in_time(tmp_path):
    started = time.monotonic()
    with MiniStack(fake_ministack(tmp_path, "silent"), startup_timeout=2) as server:
        with pytest.raises(NotStarted, match="not healthy .* after 2s"):
            server.start()
    assert time.monotonic() - started < 15
    assert wait_gone(server.process.pid) and wait_gone(int((tmp_path / "child.pid").read_text()))


def test_pytest_is_pointed_at_the_server_by_name_and_version():
    command = pytest_command("http://127.0.0.1:4566", "1.5.33", "results/ministack", ["-n", "auto"])
    assert command[1:] == ["-m", "pytest", "--endpoint=http://127.0.0.1:4566", "--target=ministack-1.5.33",
                           "--report-dir=results/ministack", "-n", "auto"]
    assert "--report-dir" not in " ".join(pytest_command("http://x", "1", None, []))


def test_missing_executable_is_one_line_and_not_started(tmp_path, capsys):
    assert main(["--ministack", str(tmp_path / "nowhere")]) == EXIT_NOT_STARTED
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_main_runs_the_suite_against_the_server_and_stops_it(tmp_path, capfd):
    status = main(["--ministack", fake_ministack(tmp_path), "--", "--collect-only", "-q"])
    out = capfd.readouterr().out
    assert status == 0, out[-2000:]
    assert "MiniStack 9.9.9 at http://127.0.0.1:" in out and "--target=ministack-9.9.9" in out
    assert "test_fresh_image_scan_starts" in out  # the suite was collected against it
    assert wait_gone(int((tmp_path / "child.pid").read_text()))


def start_runner(tmp_path, mode: str, *pytest_args: str) -> tuple[subprocess.Popen, Path]:
    """`python -m ecrconf.run.ministack` against a fake ministack, in a process group of its own: the
    process and the file its output goes to."""
    output = tmp_path / "runner.log"
    with output.open("w") as log:
        runner = subprocess.Popen(
            [sys.executable, "-m", "ecrconf.run.ministack", "--ministack", fake_ministack(tmp_path, mode),
             "--report-dir", str(tmp_path / "reports"), "--", "-p", "no:cacheprovider", *pytest_args],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    return runner, output


def wait_for(path: Path, runner: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert runner.poll() is None and time.monotonic() < deadline, f"no {path.name} within {seconds}s"
        time.sleep(0.05)


# Ctrl-C at a terminal signals the runner's whole process group; a CI timeout signals the runner alone.
STOPS = {"ctrl-c": (signal.SIGINT, True), "sigterm": (signal.SIGTERM, False)}


@pytest.mark.parametrize("stop", STOPS)
def test_a_stop_signal_lets_the_suite_stop_and_report_before_ministack_stops(tmp_path, stop):
    signum, group = STOPS[stop]
    runner, output = start_runner(tmp_path, "moto", "suites/start_image_scan")
    try:
        wait_for(tmp_path / "created", runner)
        os.killpg(runner.pid, signum) if group else runner.send_signal(signum)
        status = runner.wait(60)
    finally:
        if runner.poll() is None:
            os.killpg(runner.pid, signal.SIGKILL)
            runner.wait()
    shown = output.read_text()
    assert status == 2, shown[-3000:]
    assert f"ECR conformance: incomplete: stopped by {signal.Signals(signum).name}" in shown, shown[-3000:]
    assert "Traceback" not in shown, shown[-3000:]
    assert json.loads((tmp_path / "reports" / "results.json").read_text())["run"]["complete"] is False
    assert wait_gone(int((tmp_path / "child.pid").read_text())), "MiniStack outlived the run"


def test_a_stop_signal_while_ministack_starts_is_one_line_and_status_2(tmp_path):
    runner, output = start_runner(tmp_path, "silent")
    try:
        wait_for(tmp_path / "child.pid", runner)
        runner.send_signal(signal.SIGTERM)
        status = runner.wait(30)
    finally:
        if runner.poll() is None:
            os.killpg(runner.pid, signal.SIGKILL)
            runner.wait()
    assert status == 2
    assert output.read_text().strip().splitlines() == ["ecrconf.run.ministack: stopped by SIGTERM before the suite ran"]
    assert wait_gone(int((tmp_path / "child.pid").read_text()))
