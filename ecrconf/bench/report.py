"""The bench's outputs: the figures that matter (and the issue's goals), a short console table,
``bench.json`` and ``bench.md``; and the top functions of a cProfile file.

Figures are seconds, requests per second and milliseconds per request, as their names say.
"""

from __future__ import annotations

import json
import pstats
import sys
from pathlib import Path

FORMAT = "ecrconf-bench/1"
# Issue 9's "done when": (figure, comparison, bound, what it means)
GOALS = (
    ("serial_ratio", ">=", 0.7, "suite serial request rate / raw loop rate (moto)"),
    ("stub_harness_median_ms", "<=", 1.5, "median harness ms per request against the stub"),
    ("speedup", ">=", 1.6, "-n 2 speed-up over serial (moto, session wall)"),
    ("remote_speedup", ">=", 1.6, "-n 2 speed-up over serial (remote stand-in, session wall)"),
)
PROFILE_TOP = 25
# The runs the figures come from, by the name runs.suite gave them.
RUN_NAMES = ("moto-serial", "moto-n2", "stub-serial", "remote-serial", "remote-n2")


def figures(raw: dict, runs: dict[str, dict]) -> dict:
    """The headline figures from the anchor and the runs (``runs.suite`` results, by RUN_NAMES).

    ``speedup_bound`` is the most ``-n 2`` could gain against moto on this machine: the serial session
    wall over the time spent waiting for moto, which no number of workers can shorten while moto answers
    one request at a time on a core it shares with them."""
    serial, parallel, stub = runs["moto-serial"], runs["moto-n2"], runs["stub-serial"]
    remote_serial, remote_parallel = runs["remote-serial"], runs["remote-n2"]
    return {
        "raw_rate": raw["rate"],
        "serial_rate": serial["rate"], "serial_ratio": serial["rate"] / raw["rate"],
        "serial_session_wall": serial["session_wall"], "parallel_session_wall": parallel["session_wall"],
        "parallel_rate": parallel["rate"], "speedup": serial["session_wall"] / parallel["session_wall"],
        "speedup_bound": serial["session_wall"] / serial["wait"] if serial["wait"] else None,
        "stub_rate": stub["rate"], "stub_harness_ms": stub["harness_ms"],
        "stub_harness_median_ms": stub["per_test_harness_ms"]["median"],
        "stub_harness_p90_ms": stub["per_test_harness_ms"]["p90"],
        "remote_serial_session_wall": remote_serial["session_wall"],
        "remote_parallel_session_wall": remote_parallel["session_wall"],
        "remote_speedup": remote_serial["session_wall"] / remote_parallel["session_wall"],
    }


def goals(found: dict) -> list[dict]:
    """Each goal of the issue with the figure found and whether it is met (None when unmeasured)."""
    checked = []
    for name, comparison, bound, meaning in GOALS:
        value = found.get(name)
        met = None if value is None else (value >= bound if comparison == ">=" else value <= bound)
        checked.append({"figure": name, "goal": f"{comparison} {bound}", "meaning": meaning, "value": value,
                        "met": met})
    return checked


def top_functions(profile: Path, root: Path, count: int = PROFILE_TOP) -> list[dict]:
    """The count functions with the most own time in a cProfile output file, most first."""
    stats = pstats.Stats(str(profile))
    rows = []
    for (filename, line, name), (_, calls, own, cumulative, _) in stats.stats.items():
        rows.append({"function": f"{_short(filename, root)}:{line}({name})", "calls": calls,
                     "own_s": own, "cumulative_s": cumulative})
    return sorted(rows, key=lambda r: -r["own_s"])[:count]


def _short(filename: str, root: Path) -> str:
    """filename relative to the longest import path or project root it lies in."""
    for prefix in sorted({str(root), *(p for p in sys.path if p)}, key=len, reverse=True):
        if filename.startswith(prefix.rstrip("/") + "/"):
            return filename[len(prefix.rstrip("/")) + 1:]
    return filename


def console(document: dict, *, top_tests: int = 5) -> str:
    """The short table printed at the end of a bench run."""
    f, runs = document["figures"], document["runs"]
    raw = document["anchor"]
    machine = document["machine"]
    lines = [f"ecrconf bench: {machine['cpus']} CPUs, load average {machine['load_average'][0]:.1f} at start "
             "(a shared machine gives noisy figures)",
             f"{'':30} {'wall s':>8} {'requests':>9} {'req/s':>8} {'vs raw':>7}  harness ms/request",
             f"{'raw signed loop (moto)':30} {raw['seconds']:8.2f} {raw['requests']:9d} {raw['rate']:8.1f} {1:7.2f}"]
    latency = document.get("remote_latency_ms")
    for name, label in (("moto-serial", "suite serial (moto)"), ("moto-n2", "suite -n 2 (moto)"),
                        ("stub-serial", "suite serial (stub)"), ("remote-serial", f"suite serial (remote, {latency} ms)"),
                        ("remote-n2", f"suite -n 2 (remote, {latency} ms)")):
        run = runs[name]
        dist = run["per_test_harness_ms"]
        lines.append(f"{label:30} {run['session_wall']:8.2f} {run['requests']:9d} {run['rate']:8.1f} "
                     f"{run['rate'] / raw['rate']:7.2f}  median {_ms(dist['median'])}, p90 {_ms(dist['p90'])}, "
                     f"overall {_ms(run['harness_ms'])}")
    uncached = " (PYTHONDONTWRITEBYTECODE set: pytest cannot write its assertion-rewrite cache)" if machine.get(
        "PYTHONDONTWRITEBYTECODE") else ""
    lines.append(f"-n 2 speed-up over serial: moto {f['speedup']:.2f}x (at most {_value(f['speedup_bound'])}x while "
                 f"moto answers on the workers' cores), remote {f['remote_speedup']:.2f}x; pytest start-up "
                 f"(--collect-only -q): {document['startup_seconds']:.2f} s{uncached}")
    if document["verdict_differences"]:
        lines.append(f"serial and -n 2 verdicts differ in {len(document['verdict_differences'])} tests (see bench.md)")
    floor = document.get("floor")
    if floor:
        lines.append(f"pytest's own cost per test (an empty test, same plugins and fixtures): median "
                     f"{_ms(floor['per_test_wall']['median'] * 1000)} ms")
    lines.append("goals: " + "; ".join(f"{g['figure']} {g['goal']}: {_value(g['value'])} "
                                       f"({'met' if g['met'] else 'not met'})" for g in document["goals"]))
    lines.append("costliest tests against the stub (harness ms/request, requests):")
    for row in sorted(runs["stub-serial"]["by_test"], key=lambda r: -(r["wall"] - r["wait"]))[:top_tests]:
        lines.append(f"  {_ms(row['harness_ms']):>8}  {row['requests']:4d}  {row['key']}")
    return "\n".join(lines)


def markdown(document: dict) -> str:
    """bench.md: the figures, the goals, per operation and per test for every run, and the profile."""
    f, runs, raw = document["figures"], document["runs"], document["anchor"]
    out = [f"# ecrconf bench, {document['when']}", "",
           f"Machine: {document['machine']['cpus']} CPUs, load average {document['machine']['load_average']} at start, "
           f"Python {document['machine']['python']}, moto {document['machine']['moto']}, "
           f"PYTHONDONTWRITEBYTECODE {'set' if document['machine'].get('PYTHONDONTWRITEBYTECODE') else 'unset'}. "
           "Reproduce with `make bench`. A shared or busy machine makes every figure noisy.", "",
           "| figure | value |", "|---|---|",
           f"| raw signed loop vs moto ({raw['client']}) | {raw['rate']:.1f} req/s ({raw['requests']} requests) |",
           f"| suite serial vs moto | {f['serial_rate']:.1f} req/s, {f['serial_ratio']:.2f} of raw "
           f"({runs['moto-serial']['requests']} requests in {f['serial_session_wall']:.1f} s) |",
           f"| suite `-n 2` vs moto | {f['parallel_session_wall']:.1f} s, {f['speedup']:.2f}x serial (at most "
           f"{_value(f['speedup_bound'])}x: serial session wall / time waiting for moto, which shares the cores) |",
           f"| suite serial vs stub | {f['stub_rate']:.1f} req/s; harness per request: "
           f"median {_ms(f['stub_harness_median_ms'])} ms, p90 {_ms(f['stub_harness_p90_ms'])} ms (over tests), "
           f"overall {_ms(f['stub_harness_ms'])} ms |",
           f"| suite vs a remote stand-in (the stub answering after {document.get('remote_latency_ms')} ms) | "
           f"serial {f['remote_serial_session_wall']:.1f} s, `-n 2` {f['remote_parallel_session_wall']:.1f} s: "
           f"{f['remote_speedup']:.2f}x |",
           f"| pytest start-up (`pytest --collect-only -q`) | {document['startup_seconds']:.2f} s |",
           *([f"| pytest's own cost per test (an empty test under the same plugins and fixtures, "
              f"{document['floor']['tests']} times) | median {_ms(document['floor']['per_test_wall']['median'] * 1000)} ms |"]
             if document.get("floor") else []), "",
           "## Goals (issue 9)", "", "| figure | goal | value | met |", "|---|---|---|---|"]
    out += [f"| {g['meaning']} | {g['goal']} | {_value(g['value'])} | {'yes' if g['met'] else 'no'} |"
            for g in document["goals"]]
    differences = document["verdict_differences"]
    out += ["", f"Serial and `-n 2` verdicts against moto: "
                f"{'identical' if not differences else f'{len(differences)} differ'}."]
    out += [f"- {line}" for line in differences]
    for name, run in runs.items():
        out += ["", f"## {name}: `{run['command']}`", "",
                f"Exit status {run['exit_status']}; outcomes {run['outcomes']}; session {run['session_wall']:.2f} s, "
                f"process {run['process_wall']:.2f} s, {run['processes']} process(es); log `{run['log']}`.", ""]
        for title, rows in (("operation", run["by_operation"]), ("test", run["by_test"])):
            out += [f"| {title} | tests | wall s | requests | wait s | harness ms/request |",
                    "|---|---:|---:|---:|---:|---:|"]
            out += [f"| `{r['key']}` | {r['tests']} | {r['wall']:.2f} | {r['requests']} | {r['wait']:.2f} | "
                    f"{_ms(r['harness_ms'])} |" for r in rows]
            out.append("")
    if document.get("profile"):
        out += ["## Profile: top functions by own time", "",
                "A second serial run against the stub, under cProfile (log `runs/stub-profile.log`).", "",
                "| function | calls | own s | cumulative s |", "|---|---:|---:|---:|"]
        out += [f"| `{r['function']}` | {r['calls']} | {r['own_s']:.3f} | {r['cumulative_s']:.3f} |"
                for r in document["profile"]]
    return "\n".join(out) + "\n"


def write(document: dict, directory: Path) -> None:
    """bench.json and bench.md in directory (created when missing)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "bench.json").write_text(json.dumps(document, indent=1, sort_keys=False) + "\n")
    (directory / "bench.md").write_text(markdown(document))


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _value(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
