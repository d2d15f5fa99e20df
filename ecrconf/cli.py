"""``ecrconf``: one command line for the suite and its tools (also ``python -m ecrconf``).

Each command but ``run`` hands its arguments to the ``main(argv)`` of the module that has always done the
job (``python -m <module>`` keeps working); ``run`` is pytest with the suite's plugin, ini options and
suites, in this process, so its exit status is the plugin's.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from ecrconf import __version__, paths

# command -> (module whose main(argv) does it, what it does); run is pytest itself.
COMMANDS = {
    "run": ("", "run the suite against --endpoint (default: an embedded moto); every pytest option applies"),
    "compare": ("ecrconf.report.compare", "compare two runs' results.json by check id: what regressed"),
    "matrix": ("ecrconf.report.matrix", "several runs' results.json side by side, as Markdown or HTML"),
    "expectations": ("ecrconf.run.expectations", "write a target's expectations file from a run's results.json"),
    "sweep": ("ecrconf.sweep", "delete what interrupted runs of the suite left on a target"),
    "replay": ("ecrconf.replay.__main__", "send a recording's requests to another endpoint and compare answers"),
    "evidence": ("ecrconf.evidence.__main__", "turn a recording of real Amazon ECR into an evidence file"),
}

EXIT_BAD_INPUT = 4  # as the plugin's (pytest.UsageError) and every tool's for bad input
RUN_EXIT_STATUSES = """exit statuses of run (the plugin's):
  0  every strict check passed or failed as its expectations file records
  1  something deviated or errored (with --fail-on-regression: regressed)
  2  stopped early: interrupted (the run's resources deleted), the target stopped answering, -x/--maxfail
  4  a wrong option or input (one line)
  6  no AWS credentials for --endpoint
  7  the endpoint cannot be reached
  8  the endpoint does not answer in awsJson1_1 (not ECR?)
  9  real AWS without --allow-aws (after printing the plan)"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        """Bad input: one line and the suite's status for it, not argparse's usage block and status 2."""
        self.exit(EXIT_BAD_INPUT, f"ecrconf: {message}\n")


def parser() -> argparse.ArgumentParser:
    """The top-level parser: ``--version``, the command and its arguments, left as they are."""
    listing = "\n".join(f"  {name:<13}{what}" for name, (_, what) in COMMANDS.items())
    made = _Parser(prog="ecrconf", formatter_class=argparse.RawDescriptionHelpFormatter,
                   description="The ECR conformance suite and its tools.",
                   epilog=f"commands:\n{listing}\n\n'ecrconf COMMAND --help' says what a command does, its "
                          f"options and its exit statuses. A command ecrconf does not know: 4, in one line."
                          f"\n\n{RUN_EXIT_STATUSES}")
    made.add_argument("--version", action="version", version=f"ecrconf {__version__}")
    made.add_argument("command", choices=COMMANDS, metavar="COMMAND", help="one of: " + ", ".join(COMMANDS))
    made.add_argument("args", nargs=argparse.REMAINDER, metavar="ARGS", help="the command's arguments")
    return made


def pytest_arguments(args: list[str]) -> list[str]:
    """The pytest command line of ``ecrconf run ARGS``: the suite's plugin, its ini file and rootdir (the
    repository's in a checkout, the package's copy when installed), the suites when ARGS name no tests; a
    suite named as in the repository (``suites/stateful``) is the installed one (``suite_path``)."""
    return ["-p", "ecrconf.run.plugin", "-p", "ecrconf.run.whole_suite", "-c", str(paths.INI),
            f"--rootdir={paths.ROOT}", *(suite_path(arg) for arg in args)]


def suite_path(arg: str) -> str:
    """arg, or, installed, the package's copy of the suites' path or node id it names as the repository does
    (``suites/stateful``, ``suites/stateful/test_registry_machine.py::test_layers``) when the run's folder
    holds no such path and the package does: ``ecrconf run`` is "pytest in the repository" from any folder."""
    head = arg.partition("::")[0]
    if (not paths.INSTALLED or not head.startswith("suites/") or Path(head).exists()
            or not (paths.ROOT / head).exists()):
        return arg
    return str(paths.ROOT / arg)


def run(args: list[str]) -> int:
    """Run the suite with pytest in this process; pytest's (the plugin's) exit status."""
    import pytest  # here: importing the CLI must not load pytest's plugins before the run does

    if "-h" in args or "--help" in args:
        print("usage: ecrconf run [PYTEST_ARGS...]\n\nRuns the ECR conformance suite (pytest with the suite's "
              "plugin) against --endpoint, by default an embedded moto server.\n\n" + RUN_EXIT_STATUSES + "\n")
    return int(pytest.main(pytest_arguments(args)))


def delegate(module: str, command: str, args: list[str]) -> int:
    """Hand args to module's main(argv); with --help, the module's own description (exit statuses among it)
    comes before its options."""
    target = importlib.import_module(module)
    if "-h" in args or "--help" in args:
        print(f"ecrconf {command}: the same as python -m {module.removesuffix('.__main__')}\n")
        print((target.__doc__ or "").strip() + "\n")
    return int(target.main(args) or 0)


def main(argv: list[str] | None = None) -> int:
    """The ``ecrconf`` command: dispatch to a command; its exit status."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        print(f"ecrconf: give a command, one of {', '.join(COMMANDS)} (ecrconf --help)", file=sys.stderr)
        return EXIT_BAD_INPUT
    options = parser().parse_args(argv)
    module, _ = COMMANDS[options.command]
    if not module:
        return run(options.args)
    return delegate(module, options.command, options.args)
