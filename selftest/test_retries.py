"""Throttling and rate (ecrconf/wire/retries.py, ecrconf/wire/pacing.py): "try again later" answers are sent
again, boundedly, and nothing else is; a request that stays throttled is an error of its check, never a
failure; --max-rps holds the whole run, all workers together, to its rate.

Unit cases run the client against a scripted loopback server; the suite runs against the strict reference
(selftest/reference) with its throttling stand-in (Behaviour.throttle_every) on. No output of those runs
may show the secret key or the session token they sign with.
"""

from __future__ import annotations

import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ecrconf.report import results_file
from ecrconf.wire import pacing, retries
from ecrconf.wire.client import Credentials, EcrClient
from selftest import pytest_runs
from selftest.reference import REGION, Behaviour, KeyPair, ReferenceEcr

KEYS = KeyPair("ASIARETRYTEST0000000", "retry/secret/key/never/printed", token="retry-session-token-never-printed")
SELECTION = ("suites/semantics",)
THROTTLE_EVERY = 9  # the stand-in's rate: one request in 9 is throttled
RATE = 25.0  # --max-rps of the rate case
# Arrival times are taken by the server, after the network: two requests paced 1/RATE apart may arrive a little
# closer. A 1-s window may so hold one request more than floor(RATE) + 1; and the start-up probe is not paced.
RATE_TOLERANCE = 2
OK = (200, {"repositories": []})


class Scripted:
    """A loopback server answering each request with the next of answers: (status, body) or "drop" (the
    connection closed with no answer); the last one repeats. ``hits`` counts requests."""

    def __init__(self, *answers):
        self.answers, self.hits, lock = list(answers), 0, threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with lock:
                    answer = server.answers[min(server.hits, len(server.answers) - 1)]
                    server.hits += 1
                if answer == "drop":
                    self.close_connection = True
                    return
                status, body = answer
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1" if not isinstance(body, bytes)
                                 else "text/html")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def client(self, max_retries: int = retries.DEFAULT_MAX_RETRIES, waits: list | None = None) -> EcrClient:
        sleep = waits.append if waits is not None else (lambda seconds: None)
        return EcrClient(self.url, REGION, Credentials("testing", "testing"), timeout=5,
                         retry=retries.Policy(max_retries, sleep=sleep))

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def error(status: int, type_: str) -> tuple[int, dict]:
    return status, {"__type": type_, "message": "Rate exceeded" if "Throttl" in type_ else "no"}


@pytest.fixture
def scripted():
    made = []

    def make(*answers) -> Scripted:
        made.append(Scripted(*answers))
        return made[-1]

    yield make
    for server in made:
        server.close()


@pytest.mark.parametrize("first", [
    error(400, "ThrottlingException"), error(400, "TooManyRequestsException"), error(400, "RequestTimeoutException"),
    (429, {}), (502, b"<html>bad gateway</html>"), (503, {}), (504, b""),
])
def test_a_retryable_answer_is_sent_again_and_recorded(scripted, first):
    server = scripted(first, OK)
    before = retries.retries_sent()
    exchange = server.client().call("DescribeRepositories", {})
    assert (exchange.status, server.hits, retries.retries_sent() - before) == (200, 2, 1)
    assert len(exchange.retried) == 1 and "retried once (" in exchange.got()


@pytest.mark.parametrize("answer", [
    error(400, "InvalidParameterException"), error(400, "LimitExceededException"), error(500, "ServerException"),
    (500, b"<html>Internal Server Error</html>"), error(400, "RepositoryNotFoundException"), (413, {}),
    error(503, "ServerException"),  # a status retried, but with an error the model gives the operation
])
def test_a_verdict_is_never_sent_again(scripted, answer):
    server = scripted(answer, OK)
    exchange = server.client().call("DescribeRepositories", {})
    assert (exchange.status, server.hits, exchange.retried) == (answer[0], 1, ())


def test_retries_are_bounded_and_exhausting_them_is_no_verdict(scripted):
    server = scripted(error(400, "ThrottlingException"))
    waits: list[float] = []
    with pytest.raises(retries.RetriesExhausted) as raised:
        server.client(max_retries=2, waits=waits).call("DescribeRepositories", {})
    assert server.hits == 3 + 1 and len(waits) == 2  # three attempts and the control request
    assert all(0 <= wait <= retries.MAX_WAIT for wait in waits)
    assert raised.value.only_throttled and raised.value.exchange.retried == ("ThrottlingException",) * 2
    assert "after 3 attempts, retried 2 times (ThrottlingException ×2)" in str(raised.value).splitlines()[0]


def test_the_waits_of_one_request_add_up_to_at_most_the_cap(scripted):
    server = scripted((503, {}))
    waits: list[float] = []
    client = EcrClient(server.url, REGION, Credentials("testing", "testing"), timeout=5,
                       retry=retries.Policy(10, sleep=waits.append, rand=lambda: 1.0))  # the longest waits
    with pytest.raises(retries.RetriesExhausted) as raised:
        client.call("DescribeRepositories", {})
    assert sum(waits) <= retries.MAX_TOTAL_WAIT and server.hits == len(waits) + 2 < 12  # and the control
    assert not raised.value.only_throttled


def test_a_throttle_that_hits_one_request_only_is_the_targets_answer_to_it(scripted):
    """After the last attempt the control request is answered at once: the target is not busy, so the
    throttled answer is returned to be judged (a check then fails, rather than errs)."""
    throttled = error(400, "ThrottlingException")
    server = scripted(throttled, throttled, throttled, OK)
    exchange = server.client(max_retries=2).call("StartImageScan", {})
    assert (exchange.status, exchange.operation, server.hits) == (400, "StartImageScan", 4)
    assert exchange.retried == ("ThrottlingException",) * 2


def test_a_dropped_connection_is_sent_again_once_only_for_a_request_the_client_built(scripted):
    server = scripted("drop", OK)
    assert server.client().call("DescribeRepositories", {}).status == 200 and server.hits == 2
    server = scripted("drop", "drop", OK)
    exchange = server.client().call("DescribeRepositories", {})  # down: no answer, as the checks see it
    assert (exchange.response, exchange.retried, server.hits) == (None, ("RemoteDisconnected",), 2)
    server = scripted("drop", OK)
    client = server.client()
    exchange = client.send(client.prepare("DescribeRepositories", {}), "DescribeRepositories")
    assert exchange.response is None and server.hits == 1  # a check's own request: the drop is its answer


def test_paces_of_one_run_share_their_slots(tmp_path):
    now = [100.0]
    first, second = (pacing.Pace(tmp_path / "pace", 4.0, clock=lambda: now[0]) for _ in range(2))
    slots = [first.take(), second.take(), first.take(), second.take()]
    assert slots == [100.0, 100.25, 100.5, 100.75]
    now[0] = 200.0  # idle meanwhile: no burst is saved up
    assert [second.take(), first.take()] == [200.0, 200.25]
    with pytest.raises(ValueError):
        pacing.Pace(tmp_path / "pace", 0.0)


# --- the suite against the reference -------------------------------------------------------------------


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=KEYS.access_key, AWS_SECRET_ACCESS_KEY=KEYS.secret_key,
               AWS_SESSION_TOKEN=KEYS.token, AWS_REGION=REGION)
    return env


def run_suite(reference: ReferenceEcr, report_dir: Path, *args: str) -> tuple[dict, str]:
    """The SELECTION against reference (started here): (results.json, every output of the run as one text)."""
    with reference as url:
        done = pytest_runs.run(["-p", "no:cacheprovider", "-p", "no:randomly", "-q", f"--endpoint={url}",
                                "--evidence=inferred", "--expectations=none", f"--report-dir={report_dir}",
                                *args, *SELECTION], env=environment(), timeout=300)
    assert done.returncode in (0, 1), done.stdout[-3000:] + done.stderr[-3000:]
    outputs = [done.stdout, done.stderr, *(p.read_text() for p in report_dir.iterdir() if p.is_file())]
    return results_file.load(report_dir / "results.json"), "\n".join(outputs)


def verdicts(document: dict) -> dict[str, str]:
    return {record["id"]: record["outcome"] for record in document["results"]}


def no_secret(output: str) -> None:
    assert KEYS.secret_key not in output and KEYS.token not in output


def test_throttling_at_a_set_rate_is_survived_with_the_same_verdicts(tmp_path):
    plain, plain_output = run_suite(ReferenceEcr(Behaviour(), keys=KEYS), tmp_path / "plain")
    throttling = ReferenceEcr(Behaviour(throttle_every=THROTTLE_EVERY), keys=KEYS)
    throttled, output = run_suite(throttling, tmp_path / "throttled")
    assert verdicts(throttled) == verdicts(plain)
    assert set(verdicts(plain).values()) == {"pass"}
    # Every throttled answer was retried once (serially, the retry is the next request: never throttled
    # again); the start-up probe's retry is no check's.
    run = throttled["run"]
    assert run["retries"] >= 1 and run["retries"] in (throttling.pipeline.throttled, throttling.pipeline.throttled - 1)
    assert run["requests"] == plain["run"]["requests"] + run["retries"]
    assert sum(record.get("retries", 0) for record in throttled["results"]) == run["retries"]
    assert "retries" not in plain["run"] or plain["run"]["retries"] == 0
    no_secret(plain_output)
    no_secret(output)


def test_a_target_that_always_throttles_gives_errors_not_failures(tmp_path):
    always = ReferenceEcr(Behaviour(throttle_every=1), keys=KEYS)
    document, output = run_suite(always, tmp_path, "--max-retries=1", "-k", "tag")
    outcomes = verdicts(document)
    assert outcomes and set(outcomes.values()) == {"error"}
    run = document["run"]
    # Each request: one attempt, one retry, and the control request that shows the target throttles everything.
    assert run["requests"] == 3 * run["retries"] > 0
    for record in document["results"]:
        assert "after 2 attempts, retried once (ThrottlingException)" in record["message"], record["message"]
    no_secret(output)


def test_max_rps_holds_under_two_workers(tmp_path):
    reference = ReferenceEcr(Behaviour(), keys=KEYS)
    arrivals: list[float] = []
    handle = reference.pipeline.handle

    def timestamped(received):
        arrivals.append(time.monotonic())
        return handle(received)

    reference.pipeline.handle = timestamped
    document, output = run_suite(reference, tmp_path, "-n", "2", f"--max-rps={RATE:g}", "-k", "tag or Repository")
    assert set(verdicts(document).values()) == {"pass"}
    assert len(arrivals) > 2 * RATE  # long enough for windows to mean something
    busiest = max(sum(1 for t in arrivals if start <= t < start + 1.0) for start in arrivals)
    assert busiest <= int(RATE) + 1 + RATE_TOLERANCE, busiest
    no_secret(output)


@pytest.mark.parametrize("option", ["--max-rps=0", "--max-rps=-3", "--max-rps=fast", "--max-rps=inf",
                                    "--max-retries=-1", "--max-retries=11", "--max-retries=2.5"])
def test_a_bad_rate_or_retry_count_is_one_line_and_exit_4(option):
    done = pytest_runs.run(["-p", "no:cacheprovider", option, "--collect-only", "-q", "suites/semantics"],
                           env=environment(), timeout=120)
    assert done.returncode == 4
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and option.split("=")[0] in lines[0], done.stderr
