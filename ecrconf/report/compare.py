"""Compare two runs by the stable check id: what newly fails, what newly passes, what came and went.

    python -m ecrconf.report.compare OLD.json NEW.json [--markdown FILE] [--fail-on-regression]

Every outcome belongs to one of three classes:

    passing   pass, unexpected-pass   the target did what ECR does (an unexpected pass is a known
                                      deviation that stopped happening: the target got better)
    failing   fail, error             a deviation nobody accepted, or no verdict because something broke
    neither   expected-failure, advisory-fail, unsupported, skipped
                                      not passing, but accepted: listed as known, advisory by evidence,
                                      not implemented by the target, or not run

For an id present in both runs, with a different outcome:

    before \\ now     passing          failing          unsupported      neither
    passing          changed          NEWLY FAILING    NEWLY FAILING    changed
    failing          newly passing    changed          changed          changed
    neither          newly passing    NEWLY FAILING    (see below)      changed

and an id with the same outcome in both runs is unchanged. So a known deviation that is still known is
no change; unsupported -> fail and expected-failure -> fail (the entry was removed or expired) are
regressions; fail -> error is a change, not a regression. A check the target answered before (pass,
expected-failure, advisory-fail, unexpected-pass) that is now unsupported is a regression: the target
stopped implementing an operation it had (otherwise any target could hide its deviations by claiming
not to implement the operation); skipped -> unsupported is a change. Ids only in
the new run are "added" and ids only in the old run "removed", whatever their outcome: new or dropped
checks are not a change of the target. A run regressed when something is newly failing.

Exit status: 0; 1 with --fail-on-regression when the run regressed; 4 with one line when an input
cannot be read or is not a valid results document (or the Markdown cannot be written).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ecrconf.report import markdown
from ecrconf.run import outcomes
from ecrconf.report import results_file
from ecrconf.report.results_file import EXIT_BAD_INPUT, InvalidResults, load

PASSING = frozenset({"pass", "unexpected-pass"})
FAILING = frozenset({"fail", "error"})
KINDS = ("newly_failing", "newly_passing", "changed", "added", "removed")
TITLES = {"newly_failing": "newly failing", "newly_passing": "newly passing", "changed": "changed",
          "added": "added", "removed": "removed"}


def compare(old: dict, new: dict) -> dict:
    """The difference between two results documents, keyed by id; see the module docstring for the rules.

    Each list holds {id, operation, requirement, old, new, message} sorted by id, where old or new is
    None for an added or removed id and message is the newer record's message. "baseline" names the old
    run so that a report can say what it was compared with.
    """
    before = {r["id"]: r for r in old["results"]}
    after = {r["id"]: r for r in new["results"]}
    diff: dict = {kind: [] for kind in KINDS}
    diff["unchanged"] = 0
    diff["baseline"] = {k: old["run"].get(k, "") for k in ("target", "endpoint", "started", "suite_version")}
    for id_ in sorted(before.keys() | after.keys()):
        was, now = before.get(id_), after.get(id_)
        if was is None:
            kind = "added"
        elif now is None:
            kind = "removed"
        elif was["outcome"] == now["outcome"]:
            diff["unchanged"] += 1
            continue
        else:
            kind = _kind(was["outcome"], now["outcome"])
        latest = now or was
        diff[kind].append({"id": id_, "operation": latest["operation"], "requirement": latest["requirement"],
                           "old": was and was["outcome"], "new": now and now["outcome"],
                           "message": latest.get("message", "")})
    return diff


ANSWERED = PASSING | {"expected-failure", "advisory-fail"}  # outcomes of a target that had the operation


def _kind(was: str, now: str) -> str:
    if now == "unsupported" and was in ANSWERED:
        return "newly_failing"
    if now in FAILING and was not in FAILING:
        return "newly_failing"
    if now in PASSING and was not in PASSING:
        return "newly_passing"
    return "changed"


def regressed(diff: dict) -> bool:
    return bool(diff["newly_failing"])


def console(diff: dict, old_name: str, new_name: str) -> str:
    """The diff as plain text for a terminal, one line per changed id."""
    lines = [f"baseline: {old_name}", f"this run: {new_name}", ""]
    for kind in KINDS:
        entries = diff[kind]
        lines.append(f"{TITLES[kind]}: {len(entries)}")
        for e in entries:
            move = f"{e['old'] or '-'} -> {e['new'] or '-'}"
            message = outcomes.first_line(e["message"], 120) if e["new"] not in (None, "pass") else ""
            lines.append(f"  {move:<34} {e['id']}" + (f"\n  {'':<34} {message}" if message else ""))
    lines.append(f"unchanged: {diff['unchanged']}")
    lines.append("verdict: REGRESSED" if regressed(diff) else "verdict: no regressions")
    return _printable("\n".join(lines))


def _printable(text: str) -> str:
    """Target text without terminal control characters (an ESC in a message must not drive the terminal)."""
    return "".join(c if c in "\n\t" or c.isprintable() else "\N{REPLACEMENT CHARACTER}" for c in text)


def main(argv: list[str] | None = None) -> int:
    parser = results_file.OneLineParser(prog="python -m ecrconf.report.compare", description=__doc__.split("\n")[0])
    parser.add_argument("old", metavar="OLD.json", help="the baseline results document")
    parser.add_argument("new", metavar="NEW.json", help="the results document of this run")
    parser.add_argument("--markdown", metavar="FILE", help="also write the diff as Markdown (e.g. a CI step summary)")
    parser.add_argument("--fail-on-regression", action="store_true", help="exit 1 when something newly fails")
    args = parser.parse_args(argv)
    try:
        old, new = load(args.old), load(args.new)
    except InvalidResults as exc:
        print(f"ecrconf.report.compare: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    diff = compare(old, new)
    print(console(diff, _describe(old, args.old), _describe(new, args.new)))
    if args.markdown:
        try:
            Path(args.markdown).write_text(markdown.render_diff(diff), encoding="utf-8")
        except OSError as exc:
            print(f"ecrconf.report.compare: cannot write {args.markdown}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
    return 1 if args.fail_on_regression and regressed(diff) else 0


def _describe(results: dict, path: str) -> str:
    run = results["run"]
    checks = len(results["results"])
    return f"{outcomes.target_name(run)} at {run['endpoint']}, {run['started']}, {checks} checks ({path})"


if __name__ == "__main__":
    sys.exit(main())
