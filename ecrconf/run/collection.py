"""Each collected test becomes a check: its id, operation and requirement, its evidence, and whether
the run asserts it strictly, only advises on it, or holds it as a known deviation of the target.
"""

from __future__ import annotations

import datetime

import pytest

from ecrconf import paths
from ecrconf.run import results, settle
from ecrconf.spec import evidence, recorded
from ecrconf.run.expectations import Expectation


def mark(items: list[pytest.Item], *, known: dict[str, Expectation], strictest: str, replaying: bool = False) -> None:
    """Give every item the properties its record needs (check_id, operation, requirement, evidence,
    source) and its marks: advisory where its evidence is weaker than ``strictest`` (--evidence), a
    strict xfail where ``known`` (the expectations file, by check id) lists it and the entry has not
    expired. A known deviation is then held to what was seen by ``settle.settle``. ``replaying``
    (--replay-steps): a stateful check runs one given program, which shows nothing about the deviation the
    run's other programs showed, so its known deviation is not strict there (a program that holds is a pass,
    ``settle.REPLAYED``). Failures are made brief (``settle.install_brief_failures``)."""
    today = datetime.date.today()
    for item in items:
        settle.install_brief_failures(item)
        operation = item.get_closest_marker("operation")
        operation = operation.args[0] if operation else ""
        docstring = (getattr(item, "function", None) and item.function.__doc__) or item.name
        check = results.check_id(suite_nodeid(item), operation)
        item.user_properties += [("check_id", check), ("operation", operation),
                                 ("requirement", requirement(docstring))]
        marker = item.get_closest_marker("evidence")
        if marker:
            try:  # upgraded by recordings of real ECR (fixtures/evidence)
                level, source = recorded.level(check, *marker.args)
            except ValueError as exc:  # a broken evidence file: one line, exit 4
                raise pytest.UsageError(str(exc)) from None
            item.user_properties += [("evidence", level), ("source", source)]
            if evidence.advisory(level, strictest):
                item.user_properties.append(("strict", False))
                item.add_marker(evidence.advisory_mark(level, strictest))
                continue
        entry = known.get(check)
        if entry and not entry.expired(today):
            item.stash[settle.KNOWN] = entry
            item.user_properties.append(("known_deviation", entry.seen))
            replayed = replaying and item.path.is_relative_to(paths.SUITES / "stateful")
            item.stash[settle.REPLAYED] = replayed
            item.add_marker(pytest.mark.xfail(reason=settle.KNOWN_PREFIX + entry.recorded(), strict=not replayed))


def suite_nodeid(item: pytest.Item) -> str:
    """The item's node id as a run from the repository's root names it (``suites/<area>/test_x.py::name``),
    whatever the rootdir: a run of the installed suites (``pytest --pyargs ecrconf.suites`` from anywhere)
    gives its checks the same ids, so expectations and baselines apply alike. An item outside the suites
    keeps its node id."""
    if not item.path.is_relative_to(paths.SUITES):
        return item.nodeid
    relative = item.path.relative_to(paths.SUITES).as_posix()
    return f"suites/{relative}::{item.nodeid.partition('::')[2]}"


def requirement(docstring: str) -> str:
    """A test's requirement: the first paragraph of its docstring, on one line (a MUST sentence may wrap)."""
    return " ".join(docstring.strip().split("\n\n", 1)[0].split())
