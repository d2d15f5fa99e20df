"""The MiniStack runner, against stand-ins for the ministack executable: health wait, bounded start, group stop."""

from __future__ import annotations

import os
import sys
import time

import pytest

from ecrconf.run.ministack import EXIT_NOT_STARTED, MiniStack, NotStarted, main, pytest_command

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
