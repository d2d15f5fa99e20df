"""The installed package's pytest11 entry point (named ``ecrconf``): it loads the suite's plugin,
``ecrconf.run.plugin``, for a run that names the suites, and for no other.

Installed, an entry point is loaded into every pytest run of the environment, a project's own tests
among them; the suite's plugin starts an embedded moto and writes reports, which only a conformance run
wants. So the plugin is loaded when a path or node id given to pytest lies in the suites
(``ecrconf.paths.SUITES``) or ``--pyargs`` names them (``pytest --pyargs ecrconf.suites``).
``ecrconf run`` loads it itself (``-p ecrconf.run.plugin``), and so does ``conftest.py`` in the repository.

The plugin is registered under its module name, as ``-p`` and ``pytest_plugins`` register it: when
several of these ask for it, pytest finds it registered already and loads it once.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ecrconf import paths

PLUGIN = "ecrconf.run.plugin"
PACKAGE = "ecrconf.suites"


def names_suites(args: list[str], *, pyargs: bool) -> bool:
    """Whether any of pytest's arguments (paths or node ids; module names with --pyargs) is in the suites."""
    for arg in args:
        head = arg.split("::", 1)[0]
        if pyargs and (head == PACKAGE or head.startswith(PACKAGE + ".")):
            return True
        try:
            if Path(head).resolve().is_relative_to(paths.SUITES):
                return True
        except (OSError, ValueError):  # not a path this system can resolve: not ours
            continue
    return False


def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser, args: list[str]) -> None:
    """Load the suite's plugin when the run names the suites (before its options are parsed for good)."""
    known = early_config.known_args_namespace
    if names_suites(known.file_or_dir or [], pyargs=bool(known.pyargs)):
        early_config.pluginmanager.import_plugin(PLUGIN)
