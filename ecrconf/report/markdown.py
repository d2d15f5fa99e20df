"""A results document as a short Markdown summary that fits a CI step summary ($GITHUB_STEP_SUMMARY).

A verdict line, the run's fingerprint, one table of outcomes per operation, the worst deviations in
plain words with their ids, and the baseline diff when there is one. Text from the target is escaped:
GitHub renders HTML and Markdown in a step summary.
"""

from __future__ import annotations

import html
import re
from collections import Counter, defaultdict

from ecrconf.run import outcomes

TOP = 20
DIFF_LIMITS = {"newly_failing": 20, "newly_passing": 10, "changed": 10, "added": 10, "removed": 10}
ALWAYS = ("pass", "fail", "error", "unsupported", "expected-failure", "advisory-fail")
LISTED = ("error", "fail", "unexpected-pass", "advisory-fail")  # deviations named one by one
_SPECIAL = re.compile(r"([\\`*_\[\]{}|~#!])")


def text(value: str) -> str:
    """Target text made inert: one line, HTML escaped, Markdown punctuation backslash-escaped."""
    return _SPECIAL.sub(r"\\\1", html.escape(" ".join(str(value).split()), quote=False))


def code(value: str, *, in_table: bool = False) -> str:
    """A code span that holds any text: the fence is longer than any run of backticks inside."""
    value = " ".join(str(value).split())
    fence = "`" * (max((len(run) for run in re.findall("`+", value)), default=0) + 1)
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    span = f"{fence}{pad}{value}{pad}{fence}"
    return span.replace("|", "\\|") if in_table else span


def render_markdown(results: dict, *, diff: dict | None = None) -> str:
    run = results["run"]
    verdict = outcomes.verdict(results)
    mark = {"passed": "✅", "failed": "❌", "incomplete": "⛔", "nothing judged": "⚪"}[verdict.state]
    lines = [f"### {mark} ECR conformance of {text(outcomes.target_name(run))}: {text(verdict.headline)}", ""]
    lines.append(" · ".join(f"{label}: {text(value)}" for label, value in outcomes.fingerprint(run)
                            if label not in ("target", "started")))
    lines.append("")
    lines += _operation_table(results["results"])
    lines += _unsupported(results["results"])
    lines += _deviations(results["results"])
    if diff is not None:
        lines += ["", render_diff(diff)]
    return "\n".join(lines).rstrip() + "\n"


def _operation_table(results: list[dict]) -> list[str]:
    by_operation: dict[str, list[dict]] = defaultdict(list)
    for r in results:
        by_operation[r["operation"] or "(no operation)"].append(r)
    if not results:
        return []
    present = outcomes.counts(results)
    columns = [o for o in outcomes.COLUMNS if o in ALWAYS or present[o]]
    head = ["Operation", *(outcomes.LABEL[o] for o in columns), "total"]
    lines = ["| " + " | ".join(head) + " |", "|---" + "|--:" * (len(head) - 1) + "|"]
    for operation in sorted(by_operation):
        c = outcomes.counts(by_operation[operation])
        cells = [str(c[o]) if c[o] else "·" for o in columns]
        lines.append(f"| {text(operation)} | " + " | ".join(cells) + f" | {sum(c.values())} |")
    if len(by_operation) > 1:
        cells = [f"**{present[o]}**" if present[o] else "·" for o in columns]
        lines.append("| **all** | " + " | ".join(cells) + f" | **{sum(present.values())}** |")
    return lines + [""]


def _unsupported(results: list[dict]) -> list[str]:
    per_operation = Counter(r["operation"] for r in results if r["outcome"] == "unsupported")
    if not per_operation:
        return []
    named = ", ".join(f"{text(op)} ({n} {'check' if n == 1 else 'checks'})" for op, n in sorted(per_operation.items()))
    return [f"Not implemented by the target (unsupported, not failed): {named}.", ""]


def _deviations(results: list[dict]) -> list[str]:
    listed = sorted((r for r in results if r["outcome"] in LISTED), key=outcomes.severity_key)
    if not listed:
        return []
    shown = listed[:TOP]
    more = f", the first {len(shown)} of {len(listed)}" if len(listed) > len(shown) else ""
    lines = [f"**Deviations**, worst first{more}:", ""]
    for r in shown:
        message = outcomes.first_line(r.get("message"))
        lines.append(f"- **{outcomes.LABEL[r['outcome']]}** {code(r['id'])}: {text(r['requirement'])}"
                     + (f" — {text(message)}" if message else ""))
    return lines + [""]


def render_diff(diff: dict) -> str:
    """The baseline diff (from ecrconf.report.compare.compare) as a Markdown section."""
    base = diff.get("baseline", {})
    against = ", ".join(text(base[k]) for k in ("target", "started") if base.get(k))
    failing = len(diff["newly_failing"])
    verdict = f"❌ regressed: {failing} newly failing" if failing else "✅ no regressions"
    lines = [f"#### Compared with the baseline{f' ({against})' if against else ''}: {verdict}", ""]
    lines.append(" · ".join(f"{len(diff[k])} {k.replace('_', ' ')}" for k in DIFF_LIMITS)
                 + f" · {diff['unchanged']} unchanged")
    for kind, limit in DIFF_LIMITS.items():
        entries = diff[kind]
        if not entries:
            continue
        lines += ["", f"**{kind.replace('_', ' ').capitalize()}**:", ""]
        for e in entries[:limit]:
            move = f"{e['old'] or 'absent'} → {e['new'] or 'absent'}"
            message = outcomes.first_line(e.get("message")) if e["new"] not in (None, "pass") else ""
            lines.append(f"- {code(e['id'])}: {move}." + (f" — {text(message)}" if message else ""))
        if len(entries) > limit:
            lines.append(f"- … and {len(entries) - limit} more")
    return "\n".join(lines) + "\n"
