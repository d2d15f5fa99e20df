"""The reporting half of the plugin: records on every report, and the outputs of a run.

``pytest_runtest_makereport`` runs where the test runs (a worker under xdist) and attaches what the
record needs. ``RunReport`` lives on the controller: it gathers the records, prints the console
summary, and writes ``--report-dir``: results.json, junit.xml (by pytest), report.html, summary.md.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from ecrconf.report import compare, junit, results_file, summary
from ecrconf.run import options, outcomes, results, settle
from ecrconf.wire import client, retries
from ecrconf.report.html import render_html
from ecrconf.report.markdown import render_markdown

_requests_seen = 0
_retries_seen = 0
_REQUESTS = pytest.StashKey[int]()  # requests sent so far by the test's setup, call and teardown
_RETRIES = pytest.StashKey[int]()  # of those, sent again after a retryable answer (ecrconf.wire.retries)
# What the run created and could not delete, one line each ("<name>: not deleted, HTTP 500"), not yet reported.
LEFTOVERS = pytest.StashKey[list[str]]()
REPORT_FILES = ("results.json", "junit.xml", "report.html", "summary.md")
PROGRAMS_DIR = "stateful"  # a failing stateful check saves its program here (suites/stateful)
# A target that lets this many requests in a row time out has stopped answering: the run stops there
# (incomplete) instead of waiting out every remaining request.
GIVE_UP_AFTER_TIMEOUTS = 3
CLEANUP_LINES = 5  # the console shows this many lines of what cleanup left; results.json has them all


def pytest_sessionstart(session: pytest.Session) -> None:
    global _requests_seen, _retries_seen
    _requests_seen = client.requests_sent()  # the start-up probe is no test's request
    _retries_seen = retries.retries_sent()


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    global _requests_seen, _retries_seen
    report = (yield).get_result()
    report.user_properties += results.details(call.excinfo)
    note = settle.settle(item, call, report)
    if note:
        report.user_properties.append(("note", note))
    # Every request this process sends falls in some test's phase (session fixtures in the first test's
    # setup and the last one's teardown), so the tests' counts add up to the run's. JUnit writes the
    # properties of the teardown report: it carries the test's total, one "requests" property per test.
    timeouts = client.timeouts_in_a_row()
    if timeouts >= GIVE_UP_AFTER_TIMEOUTS and not item.session.shouldstop:
        item.session.shouldstop = f"the target stopped answering: {timeouts} requests in a row timed out"
    now = client.requests_sent()
    item.stash[_REQUESTS] = item.stash.get(_REQUESTS, 0) + now - _requests_seen
    _requests_seen = now
    resent = retries.retries_sent()
    item.stash[_RETRIES] = item.stash.get(_RETRIES, 0) + resent - _retries_seen
    _retries_seen = resent
    if call.when == "teardown":
        report.user_properties.append(("requests", item.stash[_REQUESTS]))
        if item.stash[_RETRIES]:
            report.user_properties.append(("retries", item.stash[_RETRIES]))
        leftovers = item.config.stash.get(LEFTOVERS, [])
        if leftovers:  # the session's cleanup ran in this teardown: the controller learns it from here
            report.user_properties.append(("leftovers", list(leftovers)))
            leftovers.clear()


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config):
    """pytest's own label agrees with the record: a check that could not judge is an ERROR, not FAILED."""
    if report.when == "call" and report.failed and results.outcome(report) == "error":
        return "error", "E", "ERROR"
    return None


@pytest.hookimpl(tryfirst=True)  # before pytest's JUnit writer, which writes into --report-dir
def pytest_sessionfinish(session: pytest.Session) -> None:
    run = session.config.pluginmanager.get_plugin("ecrconf-run-report")
    if run is not None:
        run.check_report_dir()


def unwritable(directory: Path) -> str | None:
    """Why files cannot be written in directory now (made when missing), in a few words; None when they can."""
    if directory.exists() and not directory.is_dir():
        return "Not a directory"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def unwritable_file(path: Path) -> str | None:
    """Why the file at path cannot be written now (its folder made when missing), in a few words; None when
    it can. Nothing is written to path itself: a run that fails later leaves no empty report behind."""
    if path.is_dir():
        return "Is a directory"
    if path.exists():
        return None if os.access(path, os.W_OK) else "Permission denied"
    return unwritable(path.parent)


class RunReport:
    def __init__(self, config: pytest.Config, fingerprint: Callable[[], dict], report_dir: Path | None,
                 baseline: Path | None):
        self.config = config
        self.fingerprint = fingerprint
        self.collector = results.Collector()
        self.report_dir = report_dir
        self.baseline = _read(baseline) if baseline else None
        self.diff: dict | None = None
        self.final: dict | None = None
        self.collected: int | None = None  # checks selected to run
        self.interrupted: str | None = None
        self.session: pytest.Session | None = None
        self.unwritable: str | None = None  # why --report-dir could not be written when the run ended
        self._silenced = None  # pytest's JUnit writer, when it was sent to the null device

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.session = session
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.collected = len(session.items)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node, ids: list[str]) -> None:
        self.collected = len(ids)  # the controller collects nothing itself; every worker collects the same

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo) -> None:
        # xdist says why it stopped (--maxfail); a plain Ctrl-C or signal says nothing.
        self.interrupted = str(excinfo.value) or f"interrupted ({excinfo.typename})"

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.collector.pytest_runtest_logreport(report)

    def leftovers(self) -> list[str]:
        """What the run could not delete: reported by the tests' teardowns, or left in this process's
        stash when the cleanup ran after the last test (an interrupted serial run)."""
        return self.collector.leftovers + self.config.stash.get(LEFTOVERS, [])

    def document(self, exitstatus: int) -> dict:
        judged = len(self.collector.records)
        not_run = max(0, (self.collected or 0) - judged)
        stopped = self.interrupted or _stopped(self.session, exitstatus)
        if options.sends_nothing(self.config.option):
            stopped, not_run = None, 0
        completeness = {"complete": not stopped and not_run == 0, "not_run": not_run}
        if stopped or not_run:
            completeness["stopped"] = stopped or "not every selected check reported a result"
        leftovers = self.leftovers()
        return self.collector.document({**self.fingerprint(), **completeness, "exit_status": int(exitstatus),
                                        **({"leftovers": leftovers} if leftovers else {})})

    def check_report_dir(self) -> None:
        """At the end of the run, before any report is written: --report-dir was checked when the run began,
        but it may have gone meanwhile (removed, replaced by a file, its disk full). Then nothing is written
        into it, pytest's JUnit writer included (which would end the run in a traceback): the run says so in
        one line and exits 4 (ExitCode.USAGE_ERROR, as for a --report-dir that cannot be written at start)."""
        if self.report_dir is None:
            return
        self.unwritable = unwritable(self.report_dir)
        junit_path = self._junit_path()
        if self.unwritable is not None and junit_path is not None and junit_path.parent == self.report_dir.resolve():
            self._silence_junit_writer()

    def _silence_junit_writer(self) -> None:
        """pytest's JUnit writer (a plugin kept under _pytest.junitxml.xml_key) writes to the null device in
        this pytest_sessionfinish, whose callers are already chosen, and is unregistered at the end of it,
        before the terminal summary where it would name its file; pytest's unconfigure then finds it gone."""
        from _pytest.junitxml import xml_key
        writer = self.config.stash.get(xml_key, None)
        if writer is not None:
            writer.logfile = os.devnull
            self._silenced = writer

    def _unregister_silenced(self) -> None:
        writer = self._silenced
        if writer is not None:
            from _pytest.junitxml import xml_key
            self.config.pluginmanager.unregister(writer)
            del self.config.stash[xml_key]
            self._silenced = None

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.leftovers() and session.exitstatus == 0:
            session.exitstatus = exitstatus = 1  # what the run created is still there: never green
        document = self.final = self.document(exitstatus)
        if self.baseline is not None:
            self.diff = compare.compare(self.baseline, document)
            if self.config.option.fail_on_regression and document["run"]["complete"]:
                session.exitstatus = 1 if compare.regressed(self.diff) else 0
        junit_path = self._junit_path()
        if junit_path is not None:
            junit.relabel_errors(junit_path, {r["id"] for r in document["results"] if r["outcome"] == "error"})
        if self.report_dir is not None and self.unwritable is None:
            try:
                self.report_dir.mkdir(parents=True, exist_ok=True)
                (self.report_dir / "results.json").write_text(json.dumps(document, indent=2) + "\n")
                (self.report_dir / "report.html").write_text(render_html(document, diff=self.diff))
                (self.report_dir / "summary.md").write_text(render_markdown(document, diff=self.diff))
                self._copy_junit()
            except OSError as exc:  # the disk filled up, say
                self.unwritable = exc.strerror or str(exc)
        if self.unwritable is not None and session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
            session.exitstatus = pytest.ExitCode.USAGE_ERROR
        self._unregister_silenced()

    def _copy_junit(self) -> None:
        """With --junitxml=X as well, D/junit.xml is a copy of X: pytest's JUnit writer keeps one path.

        Runs after that writer (this hook is trylast), on the controller, so also under xdist.
        """
        written = self._junit_path()
        copy = (self.report_dir / "junit.xml").resolve()
        if written is not None and written != copy and written.is_file():
            shutil.copyfile(written, copy)

    def _junit_path(self) -> Path | None:
        xmlpath = getattr(self.config.option, "xmlpath", None)
        return Path(os.path.expandvars(os.path.expanduser(xmlpath))).resolve() if xmlpath else None

    def pytest_terminal_summary(self, terminalreporter, exitstatus, config) -> None:
        document = self.final or self.document(exitstatus)
        if document["results"]:
            summary.write(terminalreporter, document["results"])
        if self.diff is not None:
            terminalreporter.section("compared with the baseline")
            terminalreporter.write_line(compare.console(self.diff, str(self.config.option.baseline), "this run"))
        if self.unwritable is not None:
            terminalreporter.write_line(f"ecrconf: --report-dir {self.report_dir} could not be written when the "
                                        f"run ended ({self.unwritable}): no report files", red=True)
        elif self.report_dir is not None:
            written = [name for name in REPORT_FILES if (self.report_dir / name).is_file()]
            terminalreporter.write_line(f"reports: {self.report_dir}/{', '.join(written)}")
        leftovers = document["run"].get("leftovers", [])
        shown = leftovers if len(leftovers) <= CLEANUP_LINES else leftovers[:CLEANUP_LINES - 1]
        for line in shown:
            terminalreporter.write_line(f"cleanup: {line}", red=True)
        if len(shown) < len(leftovers):
            where = f"{self.report_dir}/results.json" if self.report_dir is not None else "results.json (--report-dir)"
            terminalreporter.write_line(f"cleanup: and {len(leftovers) - len(shown)} more not deleted, each listed "
                                        f"in {where}", red=True)
        verdict = outcomes.verdict(document)
        terminalreporter.write_line(f"ECR conformance: {verdict.headline}", bold=True,
                                    green=verdict.state == "passed", red=not verdict.ok)


def clear_reports(report_dir: Path) -> None:
    """Remove an earlier run's report files from report_dir: REPORT_FILES and the failing stateful programs
    saved under PROGRAMS_DIR (their *.json), nothing else."""
    for name in REPORT_FILES:
        (report_dir / name).unlink(missing_ok=True)
    programs = report_dir / PROGRAMS_DIR
    for path in programs.glob("*.json"):
        path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # kept when something else is in it
        programs.rmdir()


def _stopped(session: pytest.Session | None, exitstatus: int) -> str | None:
    """Why the run ended before its checks did, if it did: -x/--maxfail, a crash, an interruption."""
    if exitstatus == pytest.ExitCode.INTERRUPTED:
        return "interrupted"
    if exitstatus == pytest.ExitCode.INTERNAL_ERROR:
        return "the harness crashed (INTERNALERROR)"
    reason = session and (session.shouldfail or session.shouldstop)
    return reason if isinstance(reason, str) and reason else None


def _read(path: Path) -> dict:
    try:
        return results_file.load(path)
    except results_file.InvalidResults as exc:
        raise pytest.UsageError(f"--baseline: {exc}") from None
