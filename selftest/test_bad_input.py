"""Bad input gets one clear line and its own exit status, never a traceback or a hang; no secret in any output.

The runs are `python -m pytest` as selftest/pytest_runs.py gives them; the signal tests start a real process.
"""

from __future__ import annotations

import http.server
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from ecrconf import checks
from ecrconf.run import expectations
from ecrconf.wire.client import _reason as client_reason
from ecrconf.wire.exchange import Exchange, Request, Response, printable
from ecrconf.run.options import positive_seconds, region_name
from ecrconf.run.target import Target, TargetUnusable, is_real_aws, probe, strip_userinfo, validate_endpoint
from selftest import pytest_runs
from selftest.reference import Behaviour, ReferenceEcr
from selftest.suite_runs import areas

ROOT = Path(__file__).resolve().parent.parent
SECRET = "hunter2-secret"


def run_suite(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    base.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_EC2_METADATA_DISABLED="true")
    base.update(env or {})
    return pytest_runs.run(["-q", "-p", "no:cacheprovider", *areas(args)], env=base, timeout=120)


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


@pytest.mark.parametrize("listing", ["--collect-only", "--fixtures-per-test"])
def test_a_listing_neither_probes_nor_judges(listing):
    """A run that only lists what it would run sends nothing, so an unreachable endpoint is no error and
    the run is neither complete nor incomplete."""
    done = pytest_runs.run(["-p", "no:cacheprovider", listing, "--endpoint=http://127.0.0.1:1",
                            "suites/semantics", "-k", "digest"], env=os.environ, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ECR conformance: no checks ran" in done.stdout and "incomplete" not in done.stdout


def test_hanging_endpoint_times_out(silent_port):
    assert_one_line(run_suite(f"--endpoint=http://127.0.0.1:{silent_port}", "--request-timeout=0.5"), 7, "timed out")


def test_endpoint_that_is_not_ecr(html_server):
    assert_one_line(run_suite(f"--endpoint={html_server}"), 8, "not awsJson1_1")


def test_missing_credentials(tmp_path):
    nowhere = str(tmp_path / "none")
    done = run_suite("--endpoint=http://127.0.0.1:9", env={
        "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_CONFIG_FILE": nowhere,
        "AWS_SHARED_CREDENTIALS_FILE": nowhere})
    assert_one_line(done, 6, "no AWS credentials")


def assert_plan_then_consent(done: subprocess.CompletedProcess) -> None:
    """Real AWS without --allow-aws: the plan on stdout (ecrconf.run.plan), one line on stderr, exit 9."""
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 9, done.stdout + done.stderr
    assert len(lines) == 1 and "--allow-aws" in lines[0], lines
    assert "ecrconf plan for" in done.stdout and "Traceback" not in done.stdout + done.stderr


def test_real_aws_needs_consent():
    assert_plan_then_consent(run_suite("--endpoint=https://api.ecr.us-east-1.amazonaws.com"))


def test_wrong_evidence_level():
    assert_one_line(run_suite("--evidence=strongest"), 4, "--evidence must be one of documented, observed, inferred")


def test_wrong_option_value():
    done = run_suite("--endpoint=ftp://example")
    assert done.returncode == 4 and "must be an http:// or https:// URL" in done.stderr
    assert "Traceback" not in done.stderr


def test_no_secret_in_output(silent_port):
    done = run_suite(f"--endpoint=http://127.0.0.1:{silent_port}", "--request-timeout=0.5",
                     env={"AWS_SECRET_ACCESS_KEY": "very-secret-value-123", "AWS_SESSION_TOKEN": "token-456"})
    assert "very-secret-value-123" not in done.stdout + done.stderr
    assert "token-456" not in done.stdout + done.stderr


# --- bad options, files and directories: one line, exit 4, before anything runs ---

def test_an_empty_endpoint_is_refused_not_read_as_the_embedded_moto():
    """`--endpoint=$URL` with URL unset must not quietly test (and pass) the embedded moto."""
    assert_one_line(run_suite("--endpoint="), 4, "--endpoint is empty")


@pytest.mark.parametrize(("args", "env", "words"), [
    (("--region=us east 1",), {}, "--region must be a region name"),
    (("--region=-us-east-1",), {}, "--region must be a region name"),
    (("--endpoint=http://127.0.0.1:9",), {"AWS_REGION": "us/east/1"}, "the region to sign for is not a region name"),
], ids=["space", "leading-dash", "from-AWS_REGION"])
def test_a_region_that_is_no_region_name_is_refused(args, env, words):
    """A region that botocore would refuse is signed into every request: the target refuses them all, and the
    run blamed the endpoint ("not awsJson1_1: is this an ECR endpoint?", exit 8) before it was refused here."""
    assert_one_line(run_suite(*args, env=env), 4, words)


def test_every_region_botocore_knows_is_a_region_name():
    from botocore.loaders import create_loader
    from botocore.regions import EndpointResolver
    resolver = EndpointResolver(create_loader().load_data("endpoints"))
    regions = {region for partition in resolver.get_available_partitions()
               for region in resolver.get_available_endpoints("api.ecr", partition)}
    assert len(regions) > 20
    assert [region for region in sorted(regions) if region_name(region) != region] == []


@pytest.mark.parametrize("text", ["0", "-1", "-0.5", "abc", "", "inf", "nan"])
def test_timeout_must_be_a_positive_number(text):
    with pytest.raises(pytest.UsageError, match="a timeout must be a number of seconds"):
        positive_seconds(text)


def test_timeout_in_seconds():
    assert positive_seconds("0.25") == 0.25 and positive_seconds("180") == 180.0


@pytest.mark.parametrize("option", ["--request-timeout=0", "--request-timeout=abc", "--scan-timeout=-1"])
def test_timeout_that_is_not_a_positive_number_stops_the_run(option):
    assert_one_line(run_suite(option), 4, "a timeout must be a number of seconds")


BAD_EXPECTATIONS = {
    "toml-syntax": ('[deviations."a"]\nseen = "x"\nreason = \n', "not valid TOML", "line 3"),
    "no-seen": ('[deviations."a"]\nreason = "tracked"\n', "has no 'seen'", "'a'"),
    "expires-not-a-date": ('[deviations."a"]\nseen = "x"\nexpires = "tomorrow"\n', "'expires' must be a TOML date",
                           "'tomorrow'"),
    "expires-a-date-time": ('[deviations."a"]\nseen = "x"\nexpires = 2030-01-01T10:00:00\n',
                            "'expires' must be a TOML date", "'a'"),
    "seen-not-a-string": ('[deviations."a"]\nseen = 3\n', "'seen' must be a string", "got 3"),
    "status-not-an-integer": ('[deviations."a"]\nseen = "x"\nstatus = "400"\n', "'status' must be an integer",
                              "'400'"),
    "status-a-boolean": ('[deviations."a"]\nseen = "x"\nstatus = true\n', "'status' must be an integer", "True"),
    "unknown-key": ('[deviations."a"]\nseen = "x"\nsean = "typo"\n', "unknown key(s) sean", "'a'"),
    "entry-not-a-table": ('[deviations]\na = "x"\n', "must be a table", "'a'"),
    "deviations-not-a-table": ('deviations = ["a"]\n', "'deviations' must be a table", "deviations"),
}


@pytest.mark.parametrize("case", list(BAD_EXPECTATIONS))
def test_invalid_expectations_file_is_one_exception(case, tmp_path):
    text, problem, detail = BAD_EXPECTATIONS[case]
    path = tmp_path / f"{case}.toml"
    path.write_text(text)
    with pytest.raises(expectations.InvalidExpectations) as raised:
        expectations.load(path)
    message = str(raised.value)
    assert "\n" not in message and message.startswith(str(path)) and problem in message and detail in message


def test_valid_expectations_entry_keeps_every_field(tmp_path):
    path = tmp_path / "good.toml"
    path.write_text('[other]\nnote = "left alone"\n\n[deviations."a"]\nseen = "x"\nstatus = 400\n'
                    'error = "ValidationException"\nreason = "r"\nlink = "https://x"\nexpires = 2030-01-01\n')
    entry = expectations.load(path)["a"]
    assert (entry.seen, entry.status, entry.error, entry.reason, entry.link, str(entry.expires)) == \
        ("x", 400, "ValidationException", "r", "https://x", "2030-01-01")


@pytest.mark.parametrize(("case", "workers"), [("toml-syntax", []), ("expires-not-a-date", []),
                                               ("no-seen", ["-n", "2"])])
def test_invalid_expectations_file_stops_the_run(case, workers, tmp_path):
    text, problem, _ = BAD_EXPECTATIONS[case]
    path = tmp_path / f"{case}.toml"
    path.write_text(text)
    assert_one_line(run_suite(f"--expectations={path}", *workers), 4, problem)


def test_report_dir_that_is_a_file(tmp_path):
    existing = tmp_path / "results.json"
    existing.write_text("{}")
    assert_one_line(run_suite(f"--report-dir={existing}"), 4, "exists and is not a directory")


def test_report_dir_that_cannot_be_created(tmp_path):
    existing = tmp_path / "a-file"
    existing.write_text("")  # nobody, root included, can make a directory inside a file
    assert_one_line(run_suite(f"--report-dir={existing / 'reports'}"), 4, "cannot be written")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through any permission bits")
def test_report_dir_that_is_not_writable(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    assert_one_line(run_suite(f"--report-dir={locked}"), 4, "cannot be written")


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_a_report_dir_that_cannot_be_written_when_the_run_ends(tmp_path, workers):
    """Checked at start, the report dir may be gone by the end (selftest/vanishing_report_dir.py puts a file
    there): the run says so in one line, still gives its verdict, and exits 4; pytest's JUnit writer
    ended it in a traceback wall before."""
    report_dir = tmp_path / "reports"
    done = run_suite(f"--report-dir={report_dir}", "-p", "selftest.vanishing_report_dir", *workers,
                     "suites/protocol/test_awsjson11.py", "-k", "test_routing")
    output = done.stdout + done.stderr
    assert done.returncode == 4, output[-3000:]
    assert "Traceback" not in output and "generated xml file" not in output, output[-3000:]
    assert f"ecrconf: --report-dir {report_dir} could not be written when the run ended (Not a directory)" in output
    assert "ECR conformance: " in output
    assert report_dir.is_file()


def test_report_dir_is_created_before_the_run(tmp_path):
    wanted = tmp_path / "new" / "reports"
    done = run_suite(f"--report-dir={wanted}", "--fail-on-regression")  # stops before any test runs
    assert_one_line(done, 4, "--fail-on-regression needs --baseline")
    assert wanted.is_dir() and not any(wanted.iterdir())


@pytest.mark.parametrize(("args", "shown"), [
    ([], "expectations: expectations/moto-"),
    (["--target=no-such-target"], "expectations: none (no expectations/no-such-target.toml)"),
])
def test_header_names_the_expectations_applied(args, shown):
    done = pytest_runs.run(["-p", "no:cacheprovider", "--collect-only", *args], env=os.environ, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert shown in done.stdout


# --- real AWS, known by botocore's partition data ---

@pytest.mark.parametrize("url", [
    "https://api.ecr.us-east-1.amazonaws.com.",  # a fully qualified name
    "https://ecr.us-east-1.api.aws",  # dual-stack
    "https://api.ecr.eusc-de-east-1.amazonaws.eu",  # the European Sovereign Cloud
    "https://API.ECR.US-EAST-1.AMAZONAWS.COM/",
    "https://ecr-fips.us-gov-west-1.amazonaws.com",
    "https://api.ecr.cn-north-1.amazonaws.com.cn",
    "https://ecr.cn-north-1.api.amazonwebservices.com.cn",
    "https://api.ecr.us-iso-east-1.c2s.ic.gov",
    "https://user:pw@api.ecr.us-east-1.amazonaws.com:443/",
])
def test_real_aws_hosts(url):
    assert is_real_aws(url)


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:4566", "http://localhost:5000", "http://[::1]:4566", "https://localhost.localstack.cloud:4566",
    "http://ecr.us-east-1.localhost.localstack.cloud:4566", "http://notamazonaws.com",
    "http://api.ecr.us-east-1.amazonaws.com.example.net", "http://amazonaws.com-emulator.local",
])
def test_loopback_and_emulator_hosts_are_not_aws(url):
    assert not is_real_aws(url)


def test_every_ecr_endpoint_botocore_knows_is_real_aws():
    """Every hostname botocore's own resolver builds for ECR, in every partition, FIPS and dual-stack too."""
    from botocore.loaders import create_loader
    from botocore.regions import EndpointResolver
    resolver = EndpointResolver(create_loader().load_data("endpoints"))
    hosts = set()
    for partition in resolver.get_available_partitions():
        for service in ("api.ecr", "ecr"):
            for region in resolver.get_available_endpoints(service, partition, allow_non_regional=True):
                for dualstack, fips in ((False, False), (True, False), (False, True), (True, True)):
                    try:
                        found = resolver.construct_endpoint(service, region, partition_name=partition,
                                                            use_dualstack_endpoint=dualstack, use_fips_endpoint=fips)
                    except Exception:  # a variant the partition does not offer
                        continue
                    if found:
                        hosts.add(found["hostname"])
    assert len(hosts) > 100
    assert not sorted(host for host in hosts if not is_real_aws(f"https://{host}"))


def test_real_aws_by_its_fully_qualified_name_needs_consent():
    assert_plan_then_consent(run_suite("--endpoint=https://api.ecr.us-east-1.amazonaws.com."))


# --- the endpoint URL's user:password is dropped where it enters ---

def test_userinfo_is_stripped():
    assert strip_userinfo("http://user:p@ss@127.0.0.1:4566/x?y") == ("http://127.0.0.1:4566/x?y", True)
    assert strip_userinfo("http://127.0.0.1:4566") == ("http://127.0.0.1:4566", False)
    assert validate_endpoint(f"https://user:{SECRET}@ecr.example:8443/") == "https://ecr.example:8443/"


@pytest.mark.parametrize("url", [f"ftp://user:{SECRET}@example", f"http://user:{SECRET}@:80",
                                 f"http://user:{SECRET}@host:port"])
def test_malformed_endpoint_message_repeats_no_userinfo(url):
    with pytest.raises(ValueError) as raised:
        validate_endpoint(url)
    assert SECRET not in str(raised.value)


def assert_no_secret(done: subprocess.CompletedProcess, status: int, *files: Path) -> None:
    output = done.stdout + done.stderr
    assert done.returncode == status, output
    assert "--endpoint is ignored" in done.stderr
    assert SECRET not in output and "Traceback" not in output
    for path in files:
        assert SECRET not in path.read_text(errors="replace"), path


def test_no_url_secret_when_unreachable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert_no_secret(run_suite(f"--endpoint=http://user:{SECRET}@127.0.0.1:{port}"), 7)


def test_no_url_secret_when_hanging(silent_port):
    assert_no_secret(run_suite(f"--endpoint=http://user:{SECRET}@127.0.0.1:{silent_port}", "--request-timeout=0.5"), 7)


def test_no_url_secret_when_not_ecr(html_server):
    assert_no_secret(run_suite(f"--endpoint={html_server.replace('http://', f'http://user:{SECRET}@')}"), 8)


def test_no_url_secret_when_real_aws_needs_consent():
    assert_no_secret(run_suite(f"--endpoint=https://user:{SECRET}@api.ecr.us-east-1.amazonaws.com"), 9)


def test_no_url_secret_when_the_scheme_is_wrong():
    done = run_suite(f"--endpoint=ftp://user:{SECRET}@example")
    assert done.returncode == 4 and SECRET not in done.stdout + done.stderr


def test_no_url_secret_in_a_full_run(tmp_path):
    """A run with deviations (so reproductions, messages and every report are written) shows no URL secret."""
    reference = ReferenceEcr(Behaviour(error_statuses={"UnknownOperationException": 404}))
    with reference as url:
        done = run_suite(f"--endpoint={url.replace('http://', f'http://user:{SECRET}@')}", "--evidence=inferred",
                         f"--report-dir={tmp_path / 'reports'}", f"--junitxml={tmp_path / 'junit.xml'}",
                         "suites/protocol/test_awsjson11.py",
                         env={"AWS_ACCESS_KEY_ID": reference.keys.access_key,
                              "AWS_SECRET_ACCESS_KEY": reference.keys.secret_key})
    files = sorted((tmp_path / "reports").iterdir()) + [tmp_path / "junit.xml"]
    assert len(files) == 5
    assert_no_secret(done, 1, *files)
    assert "curl " in (tmp_path / "reports" / "results.json").read_text()  # reproductions were written


# --- target bytes reach no console raw: terminal escapes, NUL, bidi overrides are shown escaped ---

HOSTILE = "\x1b[2J\x1b[H\x1b[32mECR conformance: all passed\x00\x9b\u2028\u202e\u2066"
RAW = ("\x1b", "\x00", "\x9b", "\u2028", "\u202e", "\u2066")


def test_printable_escapes_every_control_but_newline_and_tab():
    assert printable(HOSTILE) == ("\\x1b[2J\\x1b[H\\x1b[32mECR conformance: all passed\\x00\\x9b\\u2028\\u202e"
                                  "\\u2066")
    assert printable("line\n\tnext \x7f\r") == "line\n\tnext \\x7f\\x0d"
    assert printable("\u202a\u202b\u202c\u202d\u2067\u2068\u2069\u2029") == (
        "\\u202a\\u202b\\u202c\\u202d\\u2067\\u2068\\u2069\\u2029")


def test_printable_keeps_ordinary_text():
    text = 'répertoire 仓库 {"__type": "X"} ✓'
    assert printable(text) == text


def hostile_exchange() -> Exchange:
    body = f'{{"__type": "Boom", "message": "{HOSTILE}"}}'.encode() + b"\x00"  # raw: no JSON escaping
    request = Request("POST", "http://127.0.0.1:1/", {"X-Amz-Target": "AmazonEC2ContainerRegistry_V20150921."
                      "DescribeRepositories"}, b"{}")
    response = Response(500, {"content-type": "application/x-amz-json-1.1\x1b[31m"}, body)
    return Exchange("DescribeRepositories", request, response, 0.1)


def test_failure_message_shows_no_raw_control_character():
    exchange = hostile_exchange()
    for text in (exchange.sent(), exchange.got(), exchange.describe(), str(checks.ConformanceFailure(
            f"title {HOSTILE}", received=HOSTILE, expected=HOSTILE, exchange=exchange))):
        assert not any(raw in text for raw in RAW), repr(text)
    with pytest.raises(checks.ConformanceFailure) as raised:
        checks.succeeded(exchange)
    assert not any(raw in str(raised.value) for raw in RAW) and "\\x1b[2J" in str(raised.value)


def test_unresponsive_message_shows_no_raw_control_character():
    request = Request("POST", "http://127.0.0.1:1/", {}, b"{}")
    exchange = Exchange("DescribeRepositories", request, None, 0.1, transport_error=f"BadStatusLine: {HOSTILE}")
    assert not any(raw in str(checks.TargetUnresponsive(exchange)) for raw in RAW)
    assert not any(raw in exchange.got() for raw in RAW)


def test_transport_error_reason_is_printable():
    try:
        raise ConnectionError(f"bad status line {HOSTILE}")
    except ConnectionError as exc:
        reason = client_reason(exc)
    assert not any(raw in reason for raw in RAW) and "\\x1b" in reason


# --- more bad input: one line, exit 4 (or the real-AWS refusal), never a traceback ---

def test_fullwidth_dots_name_the_same_aws_host():
    assert validate_endpoint("https://api．ecr．us-east-1．amazonaws．com") == "https://api.ecr.us-east-1.amazonaws.com"
    assert validate_endpoint("http://bücher.example:8080/x") == "http://xn--bcher-kva.example:8080/x"
    assert_plan_then_consent(run_suite("--endpoint=https://api．ecr．us-east-1．amazonaws．com"))


@pytest.mark.parametrize("url", ["http://a..b/", f"http://{'x' * 64}.example/"])
def test_host_that_is_not_a_host_name(url):
    assert_one_line(run_suite(f"--endpoint={url}"), 4, "not a valid host name")


def test_unclosed_ipv6_address():
    done = run_suite(f"--endpoint=http://alice:{SECRET}@[::1")
    assert_one_line(done, 4, "IPv6")
    assert SECRET not in done.stdout + done.stderr


@pytest.mark.parametrize("url", [f"http://127.0.0.1:1/?X-Amz-Security-Token={SECRET}", f"http://127.0.0.1:1/p?q=1#{SECRET}",
                                 f"http://127.0.0.1:1/#{SECRET}"])
def test_endpoint_with_a_query_or_a_fragment(url):
    done = run_suite(f"--endpoint={url}")
    assert_one_line(done, 4, "no query string and no fragment")
    assert SECRET not in done.stdout + done.stderr


def test_ipv6_endpoint_keeps_its_brackets():
    assert Target("http://[::1]:34897", "us-east-1", "").redacted_endpoint() == "http://[::1]:34897"
    assert Target("http://[::1]/p", "us-east-1", "").redacted_endpoint() == "http://[::1]/p"
    assert Target("http://127.0.0.1:80/p", "us-east-1", "").redacted_endpoint() == "http://127.0.0.1:80/p"
    assert validate_endpoint(f"http://u:{SECRET}@[::1]:34897/") == "http://[::1]:34897/"


def test_empty_report_dir():
    assert_one_line(run_suite("--report-dir="), 4, "--report-dir must name a directory")


def test_report_dir_name_too_long(tmp_path):
    assert_one_line(run_suite(f"--report-dir={tmp_path / ('x' * 300)}"), 4, "cannot be written")


@pytest.mark.parametrize("name", ["/tmp/x/evil", "../evil", "a/b", ".hidden", "", "x" * 101])
def test_target_name_that_is_a_path(name):
    assert_one_line(run_suite(f"--target={name}", "--collect-only"), 4, "--target must be")


@pytest.mark.parametrize("name", ["/tmp/x/evil", "../evil", "x" * 101])
def test_expectations_tool_refuses_a_target_name_that_is_a_path(name, tmp_path, capsys):
    assert expectations.main([name, str(tmp_path / "results.json")]) == 4
    assert capsys.readouterr().err.count("\n") == 1
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_signal_while_probing_a_hanging_endpoint(signum):
    """The start-up probe waits on an endpoint that never answers; a stop signal then ends the run in
    one line, exit 2 (pytest's interrupted). The signal is sent once the endpoint has the connection."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    base.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_EC2_METADATA_DISABLED="true")
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.settimeout(60)
        port = server.getsockname()[1]
        run = subprocess.Popen([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                f"--endpoint=http://127.0.0.1:{port}", "--request-timeout=120"], cwd=ROOT, env=base,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            connection, _ = server.accept()
            with connection:
                run.send_signal(signum)
                stdout, stderr = run.communicate(timeout=60)
        finally:
            if run.poll() is None:
                run.kill()
                run.wait()
    done = subprocess.CompletedProcess(run.args, run.returncode, stdout, stderr)
    assert_one_line(done, 2, f"ecrconf: interrupted while probing http://127.0.0.1:{port}")


def test_expectations_that_name_a_directory(tmp_path, capsys):
    assert_one_line(run_suite(f"--expectations={tmp_path}", "--collect-only"), 4,
                    f"--expectations {tmp_path}: is a directory, not a file")
    (tmp_path / "results.json").write_text('{"format": "ecrconf-results/1"}')
    assert expectations.main(["moto-5.2.5", str(tmp_path / "results.json"), f"--file={tmp_path}"]) == 4
    assert capsys.readouterr().err == f"ecrconf.run.expectations: {tmp_path}: cannot read: Is a directory\n"


def test_expectations_file_name_too_long(tmp_path):
    assert_one_line(run_suite(f"--expectations={tmp_path / ('x' * 300)}", "--collect-only"), 4,
                    "--expectations file cannot be read")


def test_probe_shows_no_raw_control_character_of_the_content_type():
    class Client:
        endpoint = "http://127.0.0.1:1"

        def call(self, operation, payload):
            return hostile_exchange()  # HTTP 500, a body that is not JSON, an ESC in its Content-Type

    with pytest.raises(TargetUnusable) as raised:
        probe(Client())
    assert "\x1b" not in str(raised.value) and "\\x1b[31m" in str(raised.value)
