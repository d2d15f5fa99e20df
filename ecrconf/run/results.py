"""One result record per check per case (format: results_schema.json), gathered from test reports.

Workers attach what a record needs to their reports (``details``); the controller, which sees every
report also under xdist, turns them into records (``Collector``).
"""

from __future__ import annotations

import datetime
from pathlib import PurePosixPath

import pytest

from ecrconf import checks
from ecrconf.spec import evidence
from ecrconf.run.settle import KNOWN_PREFIX, UNSUPPORTED, answer_of, judged

FORMAT = "ecrconf-results/1"
PROGRAM_CHARS = 12000  # of a stateful check's program in its record's message


def check_id(nodeid: str, operation: str) -> str:
    """<operation>/<area>/<test>[<case>]: stable across runs, workers and versions of the target."""
    path, _, name = nodeid.partition("::")
    parts = PurePosixPath(path).parts
    area = parts[1] if len(parts) > 2 and parts[0] == "suites" else PurePosixPath(path).stem
    return f"{operation or 'unknown'}/{area}/{name}"


def details(excinfo: pytest.ExceptionInfo | None) -> list[tuple[str, str]]:
    """What a record says about a non-pass outcome: the message, the exchange and how to reproduce it."""
    if excinfo is None:
        return []
    error = excinfo.value
    if isinstance(error, pytest.skip.Exception) and not isinstance(error, checks.OperationUnsupported):
        return [("message", error.msg)]
    if isinstance(error, checks.ConformanceFailure):
        message = "\n".join(str(error).splitlines()[:3])
    else:
        message = str(error).split("\nsent: ")[0].split("\nreproduce: ")[0]
        if not isinstance(error, (*checks.NO_VERDICT, *UNSUPPORTED)):
            message = f"{type(error).__name__}: {message}"
    program = getattr(error, "program", None)  # a stateful check's program and replay (ecrconf.run.stateful)
    message = message[:2000] + ("\n" + "\n".join(program) if program else "")[:PROGRAM_CHARS]
    found = [("message", message), ("kind", type(error).__name__),
             ("verdict", "judged" if judged(error) else "none")]
    answer = answer_of(error)
    if answer is not None:
        found += [("answer_status", answer["status"]), ("answer_error", answer["error"] or "")]
    exchange = getattr(error, "exchange", None)
    if exchange is not None:
        found += [("request", exchange.sent()), ("response", exchange.got()), ("reproduce", exchange.as_curl())]
    return found


def outcome(report: pytest.TestReport) -> str | None:
    """The record's outcome if this report settles the test, else None."""
    reason = getattr(report, "wasxfail", None)
    advisory = reason is not None and reason.startswith(evidence.ADVISORY_PREFIX)
    if report.skipped:
        if reason is not None:
            return "advisory-fail" if advisory else "expected-failure"
        return "unsupported" if _longrepr_line(report).startswith("unsupported:") else "skipped"
    if report.when == "call":
        if report.passed:
            return "unexpected-pass" if reason is not None and not advisory else "pass"
        if isinstance(report.longrepr, str) and report.longrepr.startswith("[XPASS(strict)]"):
            return "unexpected-pass"
        # A check that judged the target fails; anything else raised means the run could not judge.
        return "fail" if _said(report, "verdict") == "judged" else "error"
    return "error" if report.failed else None


def _said(report: pytest.TestReport, key: str) -> str:
    return next((str(v) for k, v in report.user_properties if k == key), "")


class Collector:
    """Builds the records of a run; lives on the controller."""

    def __init__(self) -> None:
        self.records: dict[str, dict] = {}
        self.requests = 0
        self.retries = 0
        self.retried: dict[str, int] = {}  # nodeid -> requests of that test sent again
        self.leftovers: list[str] = []
        self.started = _now()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.requests += sum(int(v) for k, v in report.user_properties if k == "requests")
        resent = sum(int(v) for k, v in report.user_properties if k == "retries")
        if resent:
            self.retries += resent
            self.retried[report.nodeid] = self.retried.get(report.nodeid, 0) + resent
            if report.nodeid in self.records:  # the teardown report comes after the test's record
                self.records[report.nodeid]["retries"] = self.retried[report.nodeid]
        self.leftovers += [line for k, v in report.user_properties if k == "leftovers" for line in v]
        result = outcome(report)
        if result is None:
            return
        previous = self.records.get(report.nodeid)
        if previous and not (result == "error" and previous["outcome"] != "error"):
            return  # a teardown error spoils a settled test; nothing else changes it
        props = dict(report.user_properties)
        check = props.get("check_id") or check_id(report.nodeid, props.get("operation", ""))  # set at collection
        record = {
            "id": check,
            "nodeid": report.nodeid,
            "operation": props.get("operation", ""),
            "area": check.split("/")[1],
            "requirement": props.get("requirement", ""),
            "evidence": props.get("evidence", ""),
            "source": props.get("source", ""),
            "strict": props.get("strict", True) and not _excused(report).startswith(evidence.ADVISORY_PREFIX),
            "outcome": result,
            "duration": round(report.duration, 3),
            "line": report.location[1] or 0,
        }
        if "error_type_seen" in props:
            record["error_type_seen"] = props["error_type_seen"]
        if result != "pass":
            record["message"] = "\n".join(filter(None, (props.get("message") or _longrepr_line(report),
                                                        props.get("note"))))
            if "answer_status" in props:
                record["answer"] = {"status": props["answer_status"], "error": props["answer_error"] or None}
            for key in ("request", "response", "reproduce"):
                if key in props:
                    record[key] = props[key]
        if _excused(report).startswith(KNOWN_PREFIX):
            record["known_deviation"] = props.get("known_deviation", "")
        if report.nodeid in self.retried:
            record["retries"] = self.retried[report.nodeid]
        self.records[report.nodeid] = record

    def document(self, run: dict) -> dict:
        records = sorted(self.records.values(), key=lambda r: (r["operation"], r["area"], r["line"], r["id"]))
        return {"format": FORMAT,
                "run": {**run, "started": self.started, "finished": _now(), "requests": self.requests,
                "retries": self.retries},
                "results": [{k: v for k, v in r.items() if k != "line"} for r in records]}


def _excused(report: pytest.TestReport) -> str:
    return getattr(report, "wasxfail", "") or ""


def _longrepr_line(report: pytest.TestReport) -> str:
    if isinstance(report.longrepr, tuple):  # a skip: (path, line, reason)
        return report.longrepr[2].removeprefix("Skipped: ")
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr or "")
    return text.strip().splitlines()[0] if text.strip() else ""


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
