"""The end-of-run console summary: per operation and requirement, what the target did."""

from __future__ import annotations

from collections import defaultdict

from ecrconf.run.outcomes import GATING, SEVERITY, counts, first_line, heading, worst

# Fixed-width tags for a terminal column.
TAG = {"fail": "FAIL", "error": "ERROR", "unexpected-pass": "XPASS", "unsupported": "UNSUPP",
       "expected-failure": "KNOWN", "advisory-fail": "ADVISE", "pass": "PASS", "skipped": "SKIP"}
NOTES_SHOWN = 6


def requirement_rows(records: list[dict]) -> dict[str, list[tuple[str, list[dict]]]]:
    """{"<operation> · <area>": [(requirement, its records), ...]} in the order the records come."""
    grouped: dict[str, dict[str, list[dict]]] = defaultdict(dict)
    for record in records:
        test = record["id"].split("[", 1)[0]
        grouped[heading(record)].setdefault(test, []).append(record)
    return {group: [(recs[0]["requirement"], recs) for recs in tests.values()] for group, tests in grouped.items()}


def write(tw, records: list[dict]) -> None:
    tw.section("ECR conformance: what the target did, per requirement")
    for group, rows in sorted(requirement_rows(records).items()):
        totals = counts(r for _, recs in rows for r in recs)
        tw.line(f"{group}: " + ", ".join(f"{totals[o]} {o}" for o in SEVERITY if totals[o]), bold=True)
        for requirement, recs in rows:
            tally = counts(recs)
            label = worst(tally)
            evidence = "/".join(sorted({r["evidence"] for r in recs if r["evidence"]}))
            tw.line(f"  {TAG[label]:<7}{requirement} [{evidence}] ("
                    + ", ".join(f"{tally[o]} {o}" for o in SEVERITY if tally[o]) + ")",
                    red=label in GATING, yellow=label in ("expected-failure", "unsupported", "advisory-fail"))
            notes = [r for r in recs if r["outcome"] not in ("pass", "unsupported")]
            if label == "unsupported":
                notes = recs[:1]  # one line says why; the count says how many
            for record in notes[:NOTES_SHOWN]:
                case = record["id"].split("/", 2)[2]
                case = case[case.index("["):] if "[" in case else ""
                text = record.get("message", "")
                tw.line(f"           {TAG[record['outcome']]}{case}: {first_line(text, 150)}")
            if len(notes) > NOTES_SHOWN:
                tw.line(f"           … and {len(notes) - NOTES_SHOWN} more")
