"""Bad input gets one clear line and its own exit status, never a traceback or a hang."""

from __future__ import annotations

import http.server
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_suite(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    base.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_EC2_METADATA_DISABLED="true")
    base.update(env or {})
    return subprocess.run([sys.executable, "-m", "pytest", "-q", *args], cwd=ROOT, env=base,
                          capture_output=True, text=True, timeout=120)


def assert_one_line(done: subprocess.CompletedProcess, status: int, words: str) -> None:
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert done.returncode == status, done.stdout + done.stderr
    assert len(lines) == 1 and words in lines[0], lines
    assert "Traceback" not in done.stderr


@pytest.fixture
def silent_port():
    """A loopback port that accepts connections and never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server.getsockname()[1]


@pytest.fixture
def html_server():
    class Html(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html>welcome</html>")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Html)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_unreachable_endpoint():
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert_one_line(run_suite(f"--endpoint=http://127.0.0.1:{port}"), 7, "cannot reach")


def test_hanging_endpoint_times_out(silent_port):
    assert_one_line(run_suite(f"--endpoint=http://127.0.0.1:{silent_port}", "--request-timeout=1"), 7, "timed out")


def test_endpoint_that_is_not_ecr(html_server):
    assert_one_line(run_suite(f"--endpoint={html_server}"), 8, "not awsJson1_1")


def test_missing_credentials(tmp_path):
    nowhere = str(tmp_path / "none")
    done = run_suite("--endpoint=http://127.0.0.1:9", env={
        "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_CONFIG_FILE": nowhere,
        "AWS_SHARED_CREDENTIALS_FILE": nowhere})
    assert_one_line(done, 6, "no AWS credentials")


def test_real_aws_needs_consent():
    assert_one_line(run_suite("--endpoint=https://api.ecr.us-east-1.amazonaws.com"), 9, "--allow-aws")


def test_wrong_option_value():
    done = run_suite("--endpoint=ftp://example")
    assert done.returncode == 4 and "must be an http:// or https:// URL" in done.stderr
    assert "Traceback" not in done.stderr


def test_no_secret_in_output(silent_port):
    done = run_suite(f"--endpoint=http://127.0.0.1:{silent_port}", "--request-timeout=1",
                     env={"AWS_SECRET_ACCESS_KEY": "very-secret-value-123", "AWS_SESSION_TOKEN": "token-456"})
    assert "very-secret-value-123" not in done.stdout + done.stderr
    assert "token-456" not in done.stdout + done.stderr
