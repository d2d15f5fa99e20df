"""How every reader of results.json (HTML and Markdown reports, compare, matrix) puts a run in words:
the outcomes' order, labels and colours, counts, the run's verdict and its fingerprint.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable
from typing import NamedTuple

# Left to right in tables: what a reader looks for first.
COLUMNS = ("pass", "fail", "error", "unsupported", "expected-failure", "advisory-fail", "unexpected-pass",
           "skipped")
# Worst first: sorting, and the one outcome that stands for several.
SEVERITY = ("error", "fail", "unexpected-pass", "advisory-fail", "expected-failure", "unsupported", "skipped",
            "pass")
# The outcomes that make the run's exit status non-zero.
GATING = frozenset({"fail", "error", "unexpected-pass"})

LABEL = {"pass": "pass", "fail": "fail", "error": "error", "unsupported": "unsupported",
         "expected-failure": "expected", "advisory-fail": "advisory", "unexpected-pass": "unexpected pass",
         "skipped": "skipped"}
MEANING = {
    "pass": "the target did what ECR does",
    "fail": "a deviation from ECR",
    "error": "the harness or the target broke before a verdict",
    "unsupported": "the target does not implement the operation",
    "expected-failure": "a known deviation, listed in the expectations file",
    "advisory-fail": "a deviation on evidence weaker than the run asserts strictly",
    "unexpected-pass": "a listed known deviation that no longer happens",
    "skipped": "the check did not run (deselected, or not applicable to the target)",
}
# Background, text colour; readable in print and for the common colour-vision deficiencies (labels carry it too).
COLOUR = {"pass": ("#d8f0d8", "#14501a"), "fail": ("#f7d4d4", "#7d1010"), "error": ("#e6d3f0", "#4b1670"),
          "unsupported": ("#dde3ea", "#2d3b4a"), "expected-failure": ("#fbe8c8", "#6b4300"),
          "advisory-fail": ("#fbf3bf", "#5c5200"), "unexpected-pass": ("#f9d8ec", "#7a0f4d"),
          "skipped": ("#ececec", "#444444")}


def counts(results: Iterable[dict]) -> Counter:
    return Counter(r["outcome"] for r in results)


def worst(outcomes: Iterable[str]) -> str:
    present = set(outcomes)
    return next(o for o in SEVERITY if o in present)


def severity_key(result: dict) -> tuple[int, str]:
    return SEVERITY.index(result["outcome"]), result["id"]


def first_line(text: str | None, limit: int = 200) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line if len(line) <= limit else line[:limit - 1] + "…"


def heading(record: dict) -> str:
    """The group a record is shown under: its operation and suite area ("StartImageScan · protocol")."""
    operation = record["operation"] or "(no operation)"
    return f"{operation} · {record['area']}" if record["area"] else operation


def target_name(run: dict) -> str:
    return run.get("target") or "unnamed target"


class Verdict(NamedTuple):
    """A run in words. state: "passed" (nothing gates), "failed" (something gates), "incomplete"
    (interrupted or stopped early: checks did not run) or "nothing judged" (no check reached a verdict:
    all unsupported or skipped)."""
    state: str
    sentence: str

    @property
    def ok(self) -> bool:
        """Nothing in the run gates it."""
        return self.state in ("passed", "nothing judged")

    @property
    def title(self) -> str:
        return self.state[0].upper() + self.state[1:]

    @property
    def headline(self) -> str:
        """The sentence, led by the state where the sentence alone would not say it."""
        return self.sentence if self.state in ("passed", "failed") else f"{self.state}: {self.sentence}"


def verdict(results: dict) -> Verdict:
    """The run's verdict, worst first: incomplete, then deviations and errors, then nothing judged."""
    run = results["run"]
    total = counts(results["results"])
    n = sum(total.values())
    problems = [f"{total[o]} {_plural(o, total[o])}" for o in ("fail", "error", "unexpected-pass") if total[o]]
    if run.get("leftovers"):
        problems.append(f"{len(run['leftovers'])} created and not deleted: {run['leftovers'][0].split(': ')[0]}"
                        + (", …" if len(run["leftovers"]) > 1 else ""))
    tail = [f"{total[o]} {LABEL[o]}" for o in ("expected-failure", "advisory-fail", "unsupported", "skipped")
            if total[o]]
    passing = f"{total['pass']} of {n} checks pass" + (f" ({', '.join(tail)})" if tail else "")
    if run.get("complete") is False:
        missing = run.get("not_run", 0)
        why = run.get("stopped") or "the run was stopped"
        ran = (f"{missing} of {n + missing} checks did not run" if missing
               else f"all {n} checks reported" if n else "no check ran")
        return Verdict("incomplete", f"{why}; {ran}"
                       + (f"; {', '.join(problems)}" if problems else "") + (f"; {passing}" if n else ""))
    if n == 0:
        return Verdict("failed", "no checks ran")
    if problems:
        return Verdict("failed", f"{', '.join(problems)}; {passing}")
    judged = n - total["unsupported"] - total["skipped"]
    if judged == 0:
        return Verdict("nothing judged", passing)
    return Verdict("passed", f"no unexpected deviations; {passing}")


def _plural(outcome: str, n: int) -> str:
    word = {"fail": "deviation", "error": "error", "unexpected-pass": "unexpected pass"}[outcome]
    return word if n == 1 else ("unexpected passes" if outcome == "unexpected-pass" else word + "s")


def fingerprint(run: dict) -> list[tuple[str, str]]:
    """(label, value) pairs that say where, when and how the run ran, in reading order."""
    model = run["model"]
    hypothesis = run["hypothesis"]
    seed = hypothesis.get("seed")
    kind = " (embedded moto)" if run.get("embedded") else ""
    pairs = [
        ("target", target_name(run) + kind),
        ("endpoint", run["endpoint"]),
        ("region", run.get("region", "")),
        ("suite", run["suite_version"]),
        ("model", f"botocore {model['botocoreVersion']}, sha256 {model['modelSha256'][:12]}"),
        ("evidence", f"{run['evidence']} and stronger asserted strictly"),
        ("expectations", run.get("expectations") or "none"),
        ("hypothesis", hypothesis["profile"] + (f", seed {seed}" if seed not in (None, "") else "")),
        ("started", run["started"]),
        ("finished", run["finished"] + _duration(run["started"], run["finished"])),
        ("requests", str(run["requests"]) + (f" ({run['retries']} sent again after a throttling or "
                                              "unavailable answer)" if run.get("retries") else "")),
    ]
    if "exit_status" in run:
        pairs.append(("exit status", str(run["exit_status"])))
    return [(label, value) for label, value in pairs if value]


def _duration(started: str, finished: str) -> str:
    try:
        seconds = (datetime.datetime.fromisoformat(finished.replace("Z", "+00:00"))
                   - datetime.datetime.fromisoformat(started.replace("Z", "+00:00"))).total_seconds()
    except (ValueError, TypeError):
        return ""
    return f" ({seconds:.0f} s)" if seconds < 120 else f" ({seconds / 60:.1f} min)"
