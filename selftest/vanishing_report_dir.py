"""A pytest plugin that selftest/test_bad_input.py loads into a suite run (``-p selftest.vanishing_report_dir``):
once the run has started (and checked its --report-dir), it puts a file where that directory was, as
a user's ``rm -rf`` or a full disk would leave it, so that the run ends with a report dir it cannot write."""

from __future__ import annotations

import shutil

import pytest


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    directory = session.config.option.report_dir
    if directory is not None and not hasattr(session.config, "workerinput"):
        shutil.rmtree(directory)
        directory.write_text("a file where the report directory was\n")
