"""What settles a test's outcome: what the target did in this run, never what was recorded about it.

``settle`` runs where the test runs (a worker under xdist), on each phase's report, after pytest has
applied the xfail marks of known deviations and advisory checks:

- an operation the target lacks is *unsupported* (a skip whose reason starts "unsupported:");
- a check that could not judge (no answer, a setup call that failed, a harness error) is an *error*,
  also where a known deviation or an advisory mark would have excused a failure;
- a known deviation holds only while the target answers with the status and error type the entry
  records; any other deviation is a new failure, whose message says what this run received;
- an advisory check that passed is a plain pass, not "xpassed"; so is a known deviation's stateful check
  that replays one program (--replay-steps) which holds: that program does not show the deviation stopped.

A conformance failure's text (what was received and expected, the exchange, a reproduction) replaces
pytest's traceback of harness locals (``brief``), unless the user asked for a traceback style (``--tb``).
"""

from __future__ import annotations

import pytest

from ecrconf import checks
from ecrconf.spec import evidence
from ecrconf.run.expectations import Expectation, describe_answer
from ecrconf.resources import OperationNotImplemented

KNOWN = pytest.StashKey[Expectation]()  # on an item whose check is a known deviation of the target
KNOWN_PREFIX = "known deviation: "
REPLAYED = pytest.StashKey[bool]()  # on a known deviation's stateful check that replays one program
UNSUPPORTED = (checks.OperationUnsupported, OperationNotImplemented)


def judged(error: BaseException) -> bool:
    """Whether an exception is a verdict on the target (a deviation) rather than a failure to reach one."""
    return isinstance(error, AssertionError)


def answer_of(error: BaseException) -> dict | None:
    """The answer a failure is about, as expectations record it: {"status", "error"} or None."""
    return checks.answer_seen(getattr(error, "exchange", None))


def settle(item: pytest.Item, call: pytest.CallInfo, report: pytest.TestReport) -> str | None:
    """Rewrite report in place as the module docstring says; returns a note for the record, or None."""
    error = call.excinfo.value if call.excinfo is not None else None
    entry = item.stash.get(KNOWN, None)
    if isinstance(error, UNSUPPORTED):
        if entry is None:
            _unsupported(item, error, report)
            return None
        # A recorded deviation means the target implemented the operation then: this is another answer,
        # a new deviation when a check got it, an error when a setup call did.
        note = _not_recorded(entry, answer_of(error))
        _fail(report)
        report.longrepr = f"{error}\n{note}"
        if isinstance(error, checks.OperationUnsupported):
            report.user_properties.append(("verdict", "judged"))
        return note
    excused = getattr(report, "wasxfail", None)
    note = None
    if excused is not None and report.passed:
        if excused.startswith(evidence.ADVISORY_PREFIX) or item.stash.get(REPLAYED, False):
            del report.wasxfail  # an advisory check, or a replayed program, that holds is simply a pass
        return None
    if excused is not None and error is not None:
        if not judged(error):
            _fail(report)  # no verdict: neither a known deviation nor advice can excuse it
        elif excused.startswith(KNOWN_PREFIX) and entry is not None:
            answer = answer_of(error)
            if entry.matches(answer):
                report.wasxfail = KNOWN_PREFIX + _first_line(error)
            else:
                _fail(report)
                note = _not_recorded(entry, answer)
    if report.failed and error is not None:
        if call.when != "call":  # the call phase is brief already (install_brief_failures)
            report.longrepr = brief(item, call.excinfo) or report.longrepr
        if note:
            if isinstance(report.longrepr, str):
                report.longrepr += "\n" + note
            else:
                report.sections.append(("known deviation", note))
    return note


def install_brief_failures(item: pytest.Item) -> None:
    """Make item's failures brief (``brief``) instead of pytest's traceback, which also costs about
    0.1 s a failure to render (source parsed for every frame), paid again for every known deviation."""
    original = item.repr_failure

    def repr_failure(excinfo: pytest.ExceptionInfo, *args, **kwargs):
        return brief(item, excinfo) or original(excinfo, *args, **kwargs)

    item.repr_failure = repr_failure


def brief(item: pytest.Item, excinfo: pytest.ExceptionInfo) -> str | None:
    """A failure as a user reads it: its own text (received, expected, the exchange, a reproduction),
    Hypothesis's notes and the test's line, no harness locals. None for an exception that is not a
    ConformanceFailure or NoVerdict, or when the user chose a traceback style (--tb)."""
    error, kind = excinfo.value, None
    if isinstance(error, BaseExceptionGroup) and error.exceptions:  # Hypothesis's Flaky: no verdict
        kind = "no verdict (flaky: the target answered otherwise when the example was replayed)"
        error = error.exceptions[0]
    if item.config.option.tbstyle != "auto" or not isinstance(error, (checks.ConformanceFailure, *checks.NO_VERDICT)):
        return None
    kind = kind or ("deviation" if judged(error) else "no verdict")
    lines = [f"{kind} ({type(error).__name__}): {str(error).strip()}"]
    lines += [str(n) for n in getattr(error, "__notes__", ())]
    here = [entry for entry in excinfo.traceback if entry.path == item.path]
    if here:
        lines.append(f"at {item.location[0]}:{here[-1].lineno + 1}")
    return "\n".join(lines)


def _not_recorded(entry: Expectation, answer: dict | None) -> str:
    return (f"not the known deviation: {entry.test_id} is recorded as {entry.recorded()}, "
            f"this run received {describe_answer(answer)}")


def _fail(report: pytest.TestReport) -> None:
    """The report fails, whatever excused it."""
    report.outcome = "failed"
    report.__dict__.pop("wasxfail", None)


def _unsupported(item: pytest.Item, error: BaseException, report: pytest.TestReport) -> None:
    # Unsupported is not failed: the target lacks the operation (the OCI suite's "skip" for it).
    report.outcome = "skipped"
    reason = str(error).splitlines()[0]
    report.longrepr = (str(item.path), item.location[1], reason if reason.startswith("unsupported:")
                       else f"unsupported: {reason}")
    report.__dict__.pop("wasxfail", None)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
