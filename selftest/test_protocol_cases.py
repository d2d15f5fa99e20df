"""The protocol and SigV4 cases (suites/protocol) against the reference endpoint, offline.

Every case passes when the reference answers as real ECR does, and in each variant the protocol
allows; every case fails, under its own id, in at least one breakage. Breakages that do not
interfere share one run of the suite; each run lists exactly which cases it must fail.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from ecrconf import checks
from ecrconf.checks import protocol_cases
from ecrconf.wire.exchange import Exchange, Request, Response
from selftest import pytest_runs
from selftest.reference import REGION, Behaviour, KeyPair, ReferenceEcr

TABLES = ("body", "routing", "framing", "sigv4")
ENFORCEMENT = "test_target_enforces_sigv4"
TEMPORARY_KEYS = KeyPair("ASIAREFERENCE0TEMPORARY", "reference/temporary/secret", token="reference-session-token")
PERMANENT_KEYS = KeyPair("AKIAREFERENCE0PERMANENT", "reference/permanent/secret")
SUITE_TIMEOUT = 300


@dataclass(frozen=True)
class Run:
    behaviour: Behaviour
    failed: frozenset[str] = frozenset()  # case ids (and ENFORCEMENT) that must fail, and no others
    skipped: frozenset[str] = frozenset()
    advisory: frozenset[str] = frozenset()  # expected failures on evidence weaker than --evidence
    keys: KeyPair = TEMPORARY_KEYS
    evidence: str = "inferred"  # every claim judged strictly unless a run says otherwise
    skip_reason: str = field(default="", compare=False)


BODY_PARSE = {"malformed-json", "empty-body", "truncated-json", "array-body", "string-body", "number-for-string",
              "object-for-string"}
SIGV4 = {case.id for case in protocol_cases.load("sigv4")}

RUNS = {
    "correct": Run(Behaviour()),
    "variant-namespaced-Message-extra-members-sorted-403": Run(
        Behaviour(error_type_style="namespaced", message_key="Message", extra_members={"ecrconfExtra": {"x": [1]}},
                  json_indent=2, json_sort_keys=True, auth_error_status=403),
        keys=PERMANENT_KEYS, skipped=frozenset({"missing-session-token"}),
        skip_reason="not applicable: the run's credentials carry no session token"),
    "variant-suffixed-type-only-in-header": Run(
        Behaviour(error_type_style="suffixed", error_type_header=True, error_type_in_body=False,
                  request_id_style="uuid1")),
    "accepts-what-ecr-refuses": Run(
        Behaviour(coerce_scalars=True, refuse_non_post=False, refuse_other_content_types=False,
                  match_target_prefix=False, max_body_bytes=None,
                  unchecked={"presence", "expiry", "not-yet-current", "region", "service", "access-key",
                             "session-token", "payload-hash"}),
        failed=frozenset({"number-for-string", "object-for-string", "oversized-body", "wrong-target-prefix",
                          "missing-content-type", "wrong-content-type", "legacy-json-content-type", "get-method",
                          "missing-authorization", "unknown-access-key", "expired-date", "future-date",
                          "wrong-region", "wrong-service", "body-changed", "missing-session-token"})),
    "refuses-with-wrong-answers": Run(
        Behaviour(error_statuses={"SerializationException": 500, "UnknownOperationException": 500},
                  reject_unknown_members=True, auth_error_status=401),
        failed=frozenset(BODY_PARSE | SIGV4 - {"date-within-window"} | {"unknown-members", "unknown-operation", "missing-target",
                                               "wrong-target-prefix"})),
    "frames-answers-wrongly": Run(
        Behaviour(response_content_type="application/json", request_id_style="absent", error_messages=False,
                  error_statuses={"RepositoryNotFoundException": 404}),
        failed=frozenset({case.id for case in protocol_cases.load("framing")}
                         | {"unknown-members", "unknown-access-key", "expired-date", "future-date",
                            "date-within-window"})),
    "does-not-check-signatures": Run(
        Behaviour(unchecked={"signature"}), failed=frozenset({ENFORCEMENT}),
        skipped=frozenset({"wrong-secret", "signed-header-changed", "date-within-window"}),
        skip_reason="disabled: target does not enforce SigV4"),
    "narrow-clock-window": Run(Behaviour(clock_skew=timedelta(minutes=5)), failed=frozenset({"date-within-window"})),
    "deviates-only-where-evidence-is-inferred": Run(
        Behaviour(error_statuses={"UnknownOperationException": 404}), evidence="observed",
        advisory=frozenset({"unknown-operation", "missing-target", "wrong-target-prefix"})),
}
BREAKAGES = [name for name, run in RUNS.items() if run.failed]


@dataclass(frozen=True)
class Outcomes:
    by_case: dict[str, str]  # case id -> passed, failed, error, skipped, advisory
    messages: dict[str, str]
    output: str
    faults: list[str]

    def having(self, outcome: str) -> set[str]:
        return {case for case, seen in self.by_case.items() if seen == outcome}


def run_suite(run: Run, junit) -> Outcomes:
    env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=run.keys.access_key, AWS_SECRET_ACCESS_KEY=run.keys.secret_key, AWS_REGION=REGION)
    if run.keys.token:
        env["AWS_SESSION_TOKEN"] = run.keys.token
    reference = ReferenceEcr(run.behaviour, keys=run.keys)
    with reference as url:
        done = pytest_runs.run(
            ["-p", "no:cacheprovider", "--endpoint", url, f"--evidence={run.evidence}", "-q", f"--junitxml={junit}",
             "suites/protocol"], env=env, timeout=SUITE_TIMEOUT)
    output = done.stdout + done.stderr
    assert done.returncode in (0, 1) and junit.exists(), output[-4000:]
    by_case, messages = {}, {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        name = case.get("name")
        case_id = name[name.index("[") + 1:-1] if "[" in name else name
        problem = next((child for child in case if child.tag in ("failure", "error", "skipped")), None)
        outcome = "passed" if problem is None else {"failure": "failed"}.get(problem.tag, problem.tag)
        if outcome == "skipped" and problem.get("type") == "pytest.xfail":
            outcome = "advisory" if (problem.get("message") or "").startswith("advisory:") else "xfailed"
        by_case[case_id] = outcome
        messages[case_id] = "" if problem is None else problem.get("message") or ""
    return Outcomes(by_case, messages, output, reference.pipeline.faults)


@pytest.mark.parametrize("name", list(RUNS))
def test_cases_against_the_reference(name, tmp_path):
    run = RUNS[name]
    seen = run_suite(run, tmp_path / "junit.xml")
    assert not seen.faults, seen.faults[0]
    assert set(seen.by_case) == all_ids(), seen.output[-4000:]
    assert not seen.having("error"), {case: seen.messages[case] for case in seen.having("error")}
    unexpected = {case: seen.messages[case][:300] for case in seen.having("failed") ^ run.failed}
    assert not unexpected, f"failed but not listed, or listed but not failed: {unexpected}"
    assert seen.having("skipped") == run.skipped, {c: seen.messages[c] for c in seen.having("skipped")}
    assert all(seen.messages[case].startswith(run.skip_reason) for case in run.skipped)
    assert seen.having("advisory") == run.advisory
    assert seen.having("passed") == all_ids() - run.failed - run.skipped - run.advisory


def test_every_case_is_caught_by_some_breakage():
    caught = set().union(*(RUNS[name].failed for name in BREAKAGES))
    assert all_ids() - caught == set()


def test_case_ids_are_unique_across_tables():
    ids = [case.id for table in TABLES for case in protocol_cases.load(table)]
    assert len(ids) == len(set(ids))


def test_the_tables_are_all_run():
    assert {path.stem for path in protocol_cases.TABLES.glob("*.json")} == set(TABLES)


def test_a_case_with_an_unknown_request_key_is_refused(tmp_path, monkeypatch):
    (tmp_path / "odd.json").write_text('{"cases": [{"id": "x", "requirement": "r", "request": {"sign_with": 1},'
                                       ' "expect": {"evidence": ["documented", "s"]}}]}')
    monkeypatch.setattr(protocol_cases, "TABLES", tmp_path)
    with pytest.raises(ValueError, match="sign_with"):
        protocol_cases.load.__wrapped__("odd")


def exchange(status: int | None, body: bytes = b"", transport_error: str | None = None, **headers) -> Exchange:
    request = Request("POST", "http://127.0.0.1:1/", {}, b"{}")
    response = None if status is None else Response(status, {k.replace("_", "-"): v for k, v in headers.items()}, body)
    return Exchange("StartImageScan", request, response, 0.01, transport_error)


OVERSIZED = protocol_cases.case("body", "oversized-body")


def test_an_oversized_body_may_be_refused_by_closing_the_connection():
    closed = exchange(None, transport_error="connection failed: ConnectionResetError: [Errno 104] reset by peer")
    for expectation in (OVERSIZED.expect, OVERSIZED.precisely):
        protocol_cases.hold(expectation, closed, "RepositoryNotFoundException")


def test_a_timeout_is_no_refusal_but_an_unresponsive_target():
    silent = exchange(None, transport_error="timed out (connect 5s, read 30s)")
    with pytest.raises(checks.TargetUnresponsive):
        protocol_cases.hold(OVERSIZED.expect, silent, "RepositoryNotFoundException")


@pytest.mark.parametrize("spelled", ["RepositoryNotFoundException", "com.amazonaws.ecr#RepositoryNotFoundException",
                                     "RepositoryNotFoundException:http://internal.amazon.com/coral/x/"])
def test_the_valid_answer_is_recognised_however_it_is_spelled(spelled):
    answered = exchange(400, json.dumps({"__type": spelled, "Message": "m"}).encode(),
                        content_type="application/x-amz-json-1.1")
    unknown_members = protocol_cases.case("body", "unknown-members")
    protocol_cases.hold(unknown_members.expect, answered, "RepositoryNotFoundException")
    with pytest.raises(checks.ConformanceFailure, match="not refused"):
        protocol_cases.hold(protocol_cases.case("body", "malformed-json").expect, answered,
                            "RepositoryNotFoundException")


def all_ids() -> set[str]:
    return {case.id for table in TABLES for case in protocol_cases.load(table)} | {ENFORCEMENT}
