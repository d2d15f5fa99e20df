"""``python -m ecrconf.bench [--profile] [--report-dir reports/bench] [--raw-requests N]``: ``make bench``.

In one invocation, on loopback: the raw signed loop against a moto server (the anchor), the suite
against the same server serially and with ``-n 2`` (moto's expectations, state reset between runs),
the suite serially against the instant stub (``--expectations=none``: only its cost matters) and an
empty test under the same plugins and fixtures (pytest's own floor per test), the suite
serially and with ``-n 2`` against the stub answering after ``--latency-ms`` (a remote endpoint, which
does not share this machine's CPU with the suite as moto does), and pytest's start-up. Prints a short table and writes bench.json and bench.md. A benchmark, not a test:
the exit status is 0 whatever the figures, 3 when a benchmarked process could not be run, 4 when the
report directory cannot be written (2: a wrong option).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import sys
from importlib.metadata import version
from pathlib import Path

import requests

from ecrconf import paths
from ecrconf.bench import measure, raw, report, runs

EXIT_FAILED = 3
EXIT_CANNOT_WRITE = 4
TARGET = f"moto-{version('moto')}"  # its expectations file applies
# A remote endpoint's answer time, for the -n 2 figure that moto on this machine cannot give: moto and
# the workers share the same cores, so moto's speed-up is bound by its own CPU, not by the harness.
REMOTE_LATENCY_MS = 20


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ecrconf.bench", description=__doc__.split("\n\n")[1])
    parser.add_argument("--profile", action="store_true",
                        help="run the suite against the stub once more, under cProfile, and add the top "
                             f"{report.PROFILE_TOP} functions by own time")
    parser.add_argument("--report-dir", type=Path, default=Path("reports/bench"), metavar="DIR",
                        help="where bench.json, bench.md and the runs' logs go (default reports/bench)")
    parser.add_argument("--raw-requests", type=_positive, default=500, metavar="N",
                        help="requests the raw loop times (default 500)")
    parser.add_argument("--latency-ms", type=_positive, default=REMOTE_LATENCY_MS, metavar="MS",
                        help="how long the remote stand-in takes to answer each request (default "
                             f"{REMOTE_LATENCY_MS})")
    return parser


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def bench(report_dir: Path, *, profile: bool, raw_requests: int, latency_ms: int = REMOTE_LATENCY_MS,
          say=print) -> dict:
    """Run everything and return the bench document (see ``report``); BenchFailed when a process fails."""
    work = report_dir.resolve() / "runs"  # the bench's own: what an earlier bench left there goes
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    document = {"format": report.FORMAT,
                "when": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "machine": {"cpus": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()],
                            "python": platform.python_version(), "moto": version("moto"),
                            # Set, pytest cannot write its assertion-rewrite cache: until some run without it
                            # has written one, every process rewrites (parses and compiles) the plugins'
                            # packages again, hypothesis among them: seconds per process and xdist worker.
                            "PYTHONDONTWRITEBYTECODE": bool(os.environ.get("PYTHONDONTWRITEBYTECODE"))}}
    say("pytest start-up ...")
    document["startup_seconds"] = runs.startup_seconds()
    suite_runs = {}
    with runs.server("moto") as url:
        say(f"raw signed loop, {raw_requests} requests ...")
        try:
            document["anchor"] = {"client": "requests.Session + requests-aws4auth", "target": TARGET,
                                  **raw.raw_loop(url, count=raw_requests)}
        except requests.RequestException as exc:
            raise runs.BenchFailed(f"raw loop: {type(exc).__name__}: {exc}") from None
        for name, args in (("moto-serial", []), ("moto-n2", ["-n", "2"])):
            runs.reset_moto(url)
            say(f"suite {name} ...")
            suite_runs[name] = runs.suite(name, url, [f"--target={TARGET}", *args], work)
    profile_file = work / "stub-profile.prof"
    with runs.server("stub") as url:
        say("suite stub-serial ...")
        suite_runs["stub-serial"] = runs.suite("stub-serial", url, ["--expectations=none"], work)
        say(f"pytest's floor: an empty test, {runs.FLOOR_TESTS} times ...")
        document["floor"] = runs.floor(url, work)
        if profile:  # a run of its own: cProfile's overhead must not inflate the figures above
            say("suite stub-serial again, under cProfile ...")
            runs.suite("stub-profile", url, ["--expectations=none"], work, profile=profile_file)
    for name, args in (("remote-serial", []), ("remote-n2", ["-n", "2"])):
        with runs.server("stub", latency_ms) as url:  # a fresh stub each: both runs start from nothing
            say(f"suite {name} (the stub answering after {latency_ms} ms) ...")
            suite_runs[name] = runs.suite(name, url, ["--expectations=none", *args], work)
    document["remote_latency_ms"] = latency_ms
    document["runs"] = suite_runs
    document["figures"] = report.figures(document["anchor"], suite_runs)
    document["goals"] = report.goals(document["figures"])
    document["verdict_differences"] = measure.verdict_differences(suite_runs["moto-serial"], suite_runs["moto-n2"])
    document["profile"] = report.top_functions(profile_file, runs.ROOT) if profile else None
    return document


def main(argv: list[str] | None = None) -> int:
    options = _parser().parse_args(argv)
    refused = paths.checkout_only("ecrconf.bench", "clone the repository and run make bench")
    if refused:
        sys.stderr.write(refused + "\n")
        return EXIT_FAILED
    try:
        document = bench(options.report_dir, profile=options.profile, raw_requests=options.raw_requests,
                         latency_ms=options.latency_ms)
        report.write(document, options.report_dir)
    except runs.BenchFailed as exc:
        sys.stderr.write(f"ecrconf.bench: {exc}\n")
        return EXIT_FAILED
    except OSError as exc:  # the report directory cannot be made or written
        sys.stderr.write(f"ecrconf.bench: {exc.strerror or exc}: {exc.filename or options.report_dir}\n")
        return EXIT_CANNOT_WRITE
    print(report.console(document))
    print(f"wrote {options.report_dir / 'bench.json'} and {options.report_dir / 'bench.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
