"""The bench's pieces, offline and cheap: the stub's answers, the probe plugin, the merge arithmetic.

Never timings: only that the stub answers what the suite sends with schema-valid bodies, and that the
figures are computed from the recorded numbers as documented.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from jsonschema import Draft7Validator

from ecrconf.resources import images
from ecrconf.spec import schemas
from ecrconf.wire import protocol
from ecrconf.bench import measure, probe, report, serve, stub
from ecrconf.wire.client import Credentials, EcrClient
from ecrconf.resources import Resources

ROOT = Path(__file__).resolve().parent.parent
# What the suite sends (ecrconf/resources.py, suites/, fixtures/protocol): the stub must answer all of it.
SUITE_OPERATIONS = {"CreateRepository", "DeleteRepository", "DescribeRepositories", "BatchCheckLayerAvailability",
                    "InitiateLayerUpload", "UploadLayerPart", "CompleteLayerUpload", "PutImage", "StartImageScan",
                    "DescribeImageScanFindings"}


class RecordingClient(EcrClient):
    """An EcrClient that keeps every exchange it made."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.exchanges = []

    def send(self, prepared, operation, *, altered=False):
        exchange = super().send(prepared, operation, altered=altered)
        self.exchanges.append(exchange)
        return exchange


@pytest.fixture(scope="module")
def stub_url():
    server = stub.serve()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    yield f"http://{host}:{port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def client(stub_url):
    return RecordingClient(stub_url, "us-east-1", Credentials("testing", "testing"), timeout=10)


def assert_schema_valid(exchange) -> None:
    assert exchange.response is not None, exchange.transport_error
    assert protocol.media_type(exchange) == protocol.CONTENT_TYPE
    assert exchange.response.header("x-amzn-requestid")
    if exchange.status == 200:
        assert schemas.violations("output", exchange.operation, exchange.body) == [], exchange.describe()
    else:
        assert exchange.status == 400, exchange.describe()
        error = protocol.error_type(exchange)
        assert error in schemas.modelled_errors(exchange.operation) or error in (
            "UnknownOperationException", "SerializationException"), exchange.describe()
        if error in schemas.modelled_errors(exchange.operation):
            assert list(Draft7Validator(schemas.error_schema(error)).iter_errors(exchange.body)) == []
        assert protocol.error_message(exchange)


def test_stub_implements_every_operation_the_suite_sends():
    assert SUITE_OPERATIONS <= set(stub.OPERATIONS)
    assert set(stub.OPERATIONS) <= set(schemas.operation_names())


def test_stub_carries_the_suite_setup_and_checks_with_schema_valid_answers(client):
    """Everything resources.py does, then the scans the suite starts: every answer schema-valid."""
    made = Resources(client, "ecrconf-bench-selftest")
    repository = made.repository()
    pushed = {kind: made.fresh_image(repository, tag=f"t-{kind}", media_type=kind)
              for kind in (images.OCI_MANIFEST, images.DOCKER_MANIFEST)}
    index = made.index(repository, tag="multi")
    on_push = made.fresh_image(made.repository(scan_on_push=True), tag="pushed")
    oci = pushed[images.OCI_MANIFEST]

    def scan(image_id, name=repository.name):
        return client.call("StartImageScan", {"repositoryName": name, "imageId": image_id})

    started = scan({"imageTag": oci.tag})
    assert started.status == 200 and started.body["imageId"] == {"imageDigest": oci.digest, "imageTag": oci.tag}
    assert started.body["imageScanStatus"]["status"] == "IN_PROGRESS"
    answers = {
        "again": scan({"imageDigest": oci.digest}),
        "on-push": scan({"imageDigest": on_push.digest}, on_push.repository.name),
        "index": scan({"imageDigest": index.digest}),
        "absent-image": scan({"imageTag": "never-pushed"}),
        "mixed": scan({"imageTag": oci.tag, "imageDigest": pushed[images.DOCKER_MANIFEST].digest}),
        "absent-repository": scan({"imageTag": "absent"}, "ecrconf-bench-selftest-absent"),
        "too-long": scan({"imageTag": "x" * 301}),
        "wrong-type": scan({"imageTag": 12}),
    }
    assert {k: protocol.error_type(e) for k, e in answers.items()} == {
        "again": "LimitExceededException", "on-push": "LimitExceededException",
        "index": "UnsupportedImageTypeException", "absent-image": "ImageNotFoundException",
        "mixed": "ImageNotFoundException", "absent-repository": "RepositoryNotFoundException",
        "too-long": "InvalidParameterException", "wrong-type": "SerializationException"}
    findings = client.call("DescribeImageScanFindings", {"repositoryName": repository.name,
                                                        "imageId": {"imageDigest": oci.digest}})
    assert findings.body["imageScanStatus"]["status"] == "COMPLETE"
    listed = client.call("DescribeRepositories", {"repositoryNames": [repository.name]})
    assert [r["repositoryName"] for r in listed.body["repositories"]] == [repository.name]
    assert made.cleanup() == []
    assert SUITE_OPERATIONS == {e.operation for e in client.exchanges}
    for exchange in client.exchanges:
        assert_schema_valid(exchange)


@pytest.mark.parametrize(("alteration", "error"), [
    ({"headers": {"X-Amz-Target": "AmazonEC2ContainerServiceV20141113.StartImageScan"}}, "UnknownOperationException"),
    ({"headers": {"Content-Type": "application/json"}}, "SerializationException"),
    ({"body": b"{\"repositoryName\": "}, "SerializationException"),
    ({"body": b"[]"}, "SerializationException"),
    ({"method": "GET"}, "UnknownOperationException"),
])
def test_stub_refuses_what_is_not_awsjson11(client, alteration, error):
    prepared = client.prepare("StartImageScan", {"repositoryName": "absent-repo", "imageId": {"imageTag": "a"}},
                              body=alteration.get("body"), headers=alteration.get("headers"))
    prepared.method = alteration.get("method", "POST")
    exchange = client.send(prepared, "StartImageScan")
    assert (exchange.status, protocol.error_type(exchange)) == (400, error)


def test_stub_ignores_unknown_members(client):
    exchange = client.call("StartImageScan", {"repositoryName": "absent-repo", "imageId": {"imageTag": "a"},
                                              "ecrconfPadding": "xxxx"})
    assert protocol.error_type(exchange) == "RepositoryNotFoundException"


# --- the probe and the merge ---------------------------------------------------------------------


@pytest.mark.parametrize(("intervals", "union"), [
    ([], 0.0),
    ([(1.0, 2.0)], 1.0),
    ([(1.0, 2.0), (3.0, 3.5)], 1.5),
    ([(1.0, 3.0), (2.0, 4.0)], 3.0),  # overlapping: counted once
    ([(2.0, 4.0), (1.0, 5.0), (4.5, 6.0)], 5.0),  # one inside another, unsorted
])
def test_union_of_waiting_intervals(intervals, union):
    assert probe.union_seconds(intervals) == pytest.approx(union)


def item(nodeid, wall, wait, requests, outcome="passed", operation="StartImageScan"):
    return {"nodeid": nodeid, "test": nodeid.split("[")[0], "operation": operation, "wall": wall, "wait": wait,
            "requests": requests, "sent": {}, "outcome": outcome}


def document(worker, items, session_wall=0.0, outside=0):
    return {"format": probe.FORMAT, "worker": worker, "pid": 1, "session_wall": session_wall,
            "outside_requests": outside, "items": items}


def test_summary_merges_processes_and_computes_harness_time_per_request():
    documents = [
        document("main", [], session_wall=10.0, outside=1),
        document("gw0", [item("t.py::a[1]", 1.0, 0.5, 5), item("t.py::a[2]", 0.3, 0.1, 2, "xfailed")]),
        document("gw1", [item("t.py::b", 2.0, 1.0, 0, "skipped", operation=""), item("p.py::c", 0.5, 0.2, 3)]),
    ]
    summary = measure.summarise(documents)
    assert (summary["processes"], summary["tests"], summary["requests"]) == (3, 4, 11)
    assert summary["rate"] == pytest.approx(1.1)
    assert summary["harness_ms"] == pytest.approx((3.8 - 1.8) / 10 * 1000)
    # per test: a[1] 100 ms, a[2] 100 ms, c 100 ms; b sent nothing and has no figure
    assert summary["per_test_harness_ms"] == {"n": 3, "median": pytest.approx(100.0), "p90": pytest.approx(100.0)}
    by_test = {row["key"]: row for row in summary["by_test"]}
    assert by_test["t.py::a"]["tests"] == 2 and by_test["t.py::a"]["requests"] == 7
    assert by_test["t.py::a"]["harness_ms"] == pytest.approx((1.3 - 0.6) / 7 * 1000)
    assert by_test["t.py::b"]["harness_ms"] is None
    assert [row["key"] for row in summary["by_test"]] == ["t.py::b", "t.py::a", "p.py::c"]  # slowest first
    assert {row["key"] for row in summary["by_operation"]} == {"StartImageScan", "(none)"}
    assert summary["outcomes"] == {"passed": 2, "skipped": 1, "xfailed": 1}


def test_distribution_median_and_p90():
    assert measure.distribution([4.0, 1.0, 3.0, 2.0, 10.0]) == {"n": 5, "median": 3.0, "p90": pytest.approx(7.6)}
    assert measure.distribution([2.5]) == {"n": 1, "median": 2.5, "p90": 2.5}
    assert measure.distribution([]) == {"n": 0, "median": None, "p90": None}


def test_summary_needs_exactly_one_controller():
    with pytest.raises(measure.ProbeFilesInvalid, match="one controller"):
        measure.summarise([document("gw0", [])])


def test_verdict_differences_name_each_test_that_differs():
    one = measure.summarise([document("main", [item("a", 1, 0, 1), item("b", 1, 0, 1)], 1.0)])
    other = measure.summarise([document("main", [item("a", 1, 0, 1, "failed"), item("c", 1, 0, 1)], 1.0)])
    assert measure.verdict_differences(one, other) == [
        "a: passed / failed", "b: passed / not run", "c: not run / passed"]
    assert measure.verdict_differences(one, one) == []


def test_load_refuses_a_directory_without_probe_files(tmp_path):
    with pytest.raises(measure.ProbeFilesInvalid, match="no probe"):
        measure.load(tmp_path)
    (tmp_path / "probe-main-1.json").write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(measure.ProbeFilesInvalid, match="not an"):
        measure.load(tmp_path)


def test_goals_compare_each_figure_with_its_bound():
    found = report.figures({"rate": 100.0}, {
        "moto-serial": {"rate": 80.0, "session_wall": 10.0, "wait": 8.0},
        "moto-n2": {"rate": 150.0, "session_wall": 5.0},
        "stub-serial": {"rate": 500.0, "harness_ms": 2.0, "per_test_harness_ms": {"median": 1.2, "p90": 3.0}},
        "remote-serial": {"session_wall": 12.0}, "remote-n2": {"session_wall": 8.0}})
    assert found["serial_ratio"] == pytest.approx(0.8) and found["speedup"] == pytest.approx(2.0)
    assert found["speedup_bound"] == pytest.approx(1.25) and found["remote_speedup"] == pytest.approx(1.5)
    met = {g["figure"]: g["met"] for g in report.goals(found)}
    assert met == {"serial_ratio": True, "stub_harness_median_ms": True, "speedup": True, "remote_speedup": False}
    slower = report.goals({**found, "speedup": 1.2, "stub_harness_median_ms": None})
    assert {g["figure"]: g["met"] for g in slower} == {"serial_ratio": True, "stub_harness_median_ms": None,
                                                      "speedup": False, "remote_speedup": False}


TINY_SUITE = '''
import os
from ecrconf.wire.client import Credentials, EcrClient

CLIENT = EcrClient(os.environ["STUB_URL"], "us-east-1", Credentials("testing", "testing"))

def test_three_calls():
    for _ in range(3):
        CLIENT.call("DescribeRepositories", {})

def test_no_call():
    pass
'''


def test_probe_plugin_writes_one_file_per_process(tmp_path, stub_url):
    """Under xdist: one file from the controller (no tests) and one from each worker, merged."""
    (tmp_path / "test_tiny.py").write_text(TINY_SUITE)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    env = {**os.environ, "STUB_URL": stub_url, probe.ENV_DIR: str(tmp_path / "probe"),
           "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
                           "-p", "ecrconf.bench.probe", "-n", "2", "test_tiny.py"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    documents = measure.load(tmp_path / "probe")
    assert sorted(d["worker"] for d in documents) == ["gw0", "gw1", "main"]
    summary = measure.summarise(documents)
    items = {i["nodeid"]: i for d in documents for i in d["items"]}
    three = items["test_tiny.py::test_three_calls"]
    assert (three["requests"], three["sent"], three["outcome"]) == (3, {"DescribeRepositories": 3}, "passed")
    assert 0 < three["wait"] <= three["wall"]
    assert items["test_tiny.py::test_no_call"]["requests"] == 0
    assert summary["requests"] == 3 and summary["outcomes"] == {"passed": 2}


def test_probe_plugin_without_its_directory_is_one_line(tmp_path):
    (tmp_path / "test_tiny.py").write_text("def test_x():\n    pass\n")
    env = {k: v for k, v in os.environ.items() if k != probe.ENV_DIR} | {"PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "ecrconf.bench.probe",
                           "test_tiny.py"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 4
    assert probe.ENV_DIR in done.stderr and "Traceback" not in done.stderr


def test_table_and_markdown_show_the_figures(tmp_path):
    def run(name, session_wall, items, requests_outside=0):
        summary = measure.summarise([document("main", items, session_wall, requests_outside)])
        return {"name": name, "command": f"pytest {name}", "exit_status": 0, "process_wall": session_wall + 2,
                "log": f"runs/{name}.log", **summary}

    runs = {"moto-serial": run("moto-serial", 4.0, [item("t::a", 3.0, 1.0, 40)]),
            "moto-n2": run("moto-n2", 2.5, [item("t::a", 2.0, 1.0, 40, "failed")]),
            "stub-serial": run("stub-serial", 1.0, [item("t::a", 0.9, 0.1, 40)]),
            "remote-serial": run("remote-serial", 6.0, [item("t::a", 5.9, 5.0, 40)]),
            "remote-n2": run("remote-n2", 4.0, [item("t::a", 3.5, 3.0, 40)])}
    anchor = {"client": "requests.Session + requests-aws4auth", "requests": 100, "seconds": 1.0, "rate": 100.0}
    found = report.figures(anchor, runs)
    doc = {"format": report.FORMAT, "when": "2026-01-01T00:00:00Z", "remote_latency_ms": 20,
           "machine": {"cpus": 2, "load_average": [1.0, 1.0, 1.0], "python": "3.11", "moto": "5.2.5",
                       "PYTHONDONTWRITEBYTECODE": True},
           "startup_seconds": 2.0, "anchor": anchor, "runs": runs, "figures": found, "goals": report.goals(found),
           "floor": run("floor", 0.5, [item(f"f::{n}", w, 0.0, 0) for n, w in enumerate((0.001, 0.002, 0.009))]),
           "verdict_differences": measure.verdict_differences(runs["moto-serial"], runs["moto-n2"]),
           "profile": [{"function": "x.py:1(f)", "calls": 3, "own_s": 0.5, "cumulative_s": 0.7}]}
    table = report.console(doc)
    assert "raw signed loop (moto)" in table and "0.10" in table  # serial: 40 requests in 4 s = 10/s, 0.10 of raw
    assert "moto 1.60x (at most 4.00x" in table and "remote 1.50x" in table and "differ in 1 tests" in table
    assert "suite -n 2 (remote, 20 ms)" in table and "same plugins and fixtures): median 2.00 ms" in table
    assert "median 20.00" in table  # stub: (0.9 - 0.1) / 40 s = 20 ms per request
    report.write(doc, tmp_path)
    text = (tmp_path / "bench.md").read_text()
    assert "t::a: passed / failed" in text and "`x.py:1(f)`" in text
    assert json.loads((tmp_path / "bench.json").read_text())["figures"]["speedup"] == pytest.approx(1.6)


@pytest.mark.parametrize(("args", "status", "words"), [
    (["--raw-requests", "0"], 2, "must be at least 1"),
    (["--report-dir", "{file}/sub"], 4, "Not a directory"),
])
def test_bench_bad_input_is_one_line(tmp_path, args, status, words):
    (tmp_path / "file").write_text("")
    args = [a.replace("{file}", str(tmp_path / "file")) for a in args]
    done = subprocess.run([sys.executable, "-m", "ecrconf.bench", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == status
    assert words in done.stderr and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith(("ecrconf.bench: ", "python -m ecrconf.bench: error"))


def test_remote_stand_in_answers_after_its_latency():
    server = stub.serve(latency=0.3)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = server.server_address[:2]
    try:
        exchange = EcrClient(f"http://{host}:{port}", "us-east-1", Credentials("testing", "testing"),
                             timeout=10).call("DescribeRepositories", {})
    finally:
        server.shutdown()
        server.server_close()
    assert exchange.response.status == 200 and exchange.elapsed >= 0.3


@pytest.mark.parametrize("argv", [[], ["stub", "-5"], ["stub", "soon"], ["moto", "20"], ["stub", "1", "2"], ["x"]])
def test_serve_refuses_a_wrong_command_line_in_one_line(argv, capsys):
    assert serve.main(argv) == 2
    assert capsys.readouterr().err.startswith("usage: python -m ecrconf.bench.serve")
