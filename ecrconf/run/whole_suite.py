"""A pytest plugin of ``ecrconf run`` (loaded with ``-p``, so xdist's workers load it too): a run given
no test path or node id collects the suites (``ecrconf.paths.SUITES``), from whichever folder it starts,
in a checkout as installed."""

from __future__ import annotations

import pytest

from ecrconf import paths


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser, args: list[str]) -> None:
    """Append the suites to the arguments when they name nothing to collect; pytest's own hook, which runs
    next, finds the initial conftests (the repository's conftest.py in a checkout) from the same paths."""
    known = early_config.known_args_namespace
    if not known.file_or_dir:
        args.append(str(paths.SUITES))
        known.file_or_dir = [str(paths.SUITES)]
