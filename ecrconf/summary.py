"""The end-of-run console summary: per operation and requirement, what the target did.

Runs on the controller only (xdist sends every report back there), so it sees the whole run.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

import pytest

ORDER = ("failed", "error", "xpassed", "xfailed", "advisory", "passed", "skipped")
LABEL = {"failed": "FAIL", "error": "ERROR", "xpassed": "XPASS", "xfailed": "KNOWN", "advisory": "ADVISE",
         "passed": "PASS", "skipped": "SKIP"}


def outcome(report: pytest.TestReport) -> str | None:
    """The test's outcome if this report settles it, else None."""
    xfail = hasattr(report, "wasxfail")
    advisory = xfail and report.wasxfail.startswith("advisory:")
    if report.when == "call":
        if report.passed:
            return "xpassed" if xfail and not advisory else "passed"
        if report.skipped:
            return "advisory" if advisory else "xfailed" if xfail else "skipped"
        if xfail:  # a strict expected failure that passed
            return "xpassed"
        return "error" if "TargetUnresponsive" in first_line(report) else "failed"
    if report.failed:
        return "error"
    if report.skipped and report.when == "setup":
        return "xfailed" if xfail else "skipped"
    return None


def first_line(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        message = crash.message
    elif isinstance(report.longrepr, tuple):  # skips: (path, line, reason)
        message = report.longrepr[2]
    else:
        message = str(report.longrepr or "")
    for prefix in ("ecrconf.checks.ConformanceFailure: ", "AssertionError: ", "Skipped: "):
        message = message.removeprefix(prefix)
    return message.strip().splitlines()[0] if message.strip() else ""


@dataclass
class Requirement:
    operation: str
    text: str
    line: int
    evidence: set[str] = field(default_factory=set)
    outcomes: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)


class RequirementSummary:
    def __init__(self, config: pytest.Config):
        self.config = config
        self.requirements: dict[tuple[str, str], Requirement] = {}
        self.settled: dict[str, str] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        result = outcome(report)
        if result is None or (report.nodeid in self.settled and result != "error"):
            return
        props = dict(report.user_properties)
        module, _, name = report.nodeid.partition("::")
        function = name.split("[", 1)[0]
        key = (module, function)
        req = self.requirements.setdefault(key, Requirement(
            props.get("operation") or module, props.get("requirement", function), report.location[1] or 0))
        if props.get("evidence"):
            req.evidence.add(props["evidence"])
        previous = self.settled.get(report.nodeid)
        if previous:
            req.outcomes[previous] -= 1
        self.settled[report.nodeid] = result
        req.outcomes[result] += 1
        if result != "passed":
            case = name[len(function):]
            req.notes.append(f"{LABEL[result]}{case}: {first_line(report)}")

    def pytest_terminal_summary(self, terminalreporter, exitstatus, config) -> None:
        if not self.requirements:
            return
        tw = terminalreporter
        tw.section("ECR conformance: what the target did, per requirement")
        by_operation: dict[str, list[Requirement]] = defaultdict(list)
        for req in self.requirements.values():
            by_operation[req.operation].append(req)
        for operation in sorted(by_operation):
            totals = sum((r.outcomes for r in by_operation[operation]), Counter())
            tw.line(f"{operation}: " + ", ".join(f"{totals[o]} {o}" for o in ORDER if totals[o]), bold=True)
            for req in sorted(by_operation[operation], key=lambda r: r.line):
                worst = next(o for o in ORDER if req.outcomes[o])
                counts = "/".join(f"{req.outcomes[o]} {o}" for o in ORDER if req.outcomes[o])
                evidence = f" [{'/'.join(sorted(req.evidence))}]" if req.evidence else ""
                tw.line(f"  {LABEL[worst]:<6}{req.text}{evidence} ({counts})",
                        red=worst in ("failed", "error", "xpassed"), yellow=worst == "xfailed")
                for note in req.notes[:6]:
                    tw.line(f"          {note[:160]}")
                if len(req.notes) > 6:
                    tw.line(f"          … and {len(req.notes) - 6} more")
