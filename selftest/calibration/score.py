"""The score of a calibration: kill rate and false alarms per area, as a document, Markdown and console text."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

from selftest.calibration.catalogue import AREAS
from selftest.calibration.engine import Calibration

FORMAT = "ecrconf-calibration/1"


def document(calibration: Calibration) -> dict:
    """Everything the score says, as JSON-ready data: written as calibration.json."""
    areas = []
    for area in AREAS:
        mutants = [v for v in calibration.mutants if v.mutant.area == area]
        variants = [v for v in calibration.variants if v.variant.area == area]
        if mutants or variants:
            areas.append({"area": area, **_tally(mutants), "variants": len(variants),
                          "false_alarms": sum(len(v.false_alarms) for v in variants)})
    return {
        "format": FORMAT,
        "written": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "seconds": round(calibration.seconds, 1),
        "as_expected": calibration.as_expected,
        "totals": {**_tally(calibration.mutants), "variants": len(calibration.variants),
                   "false_alarms": sum(len(v.false_alarms) for v in calibration.variants)},
        "areas": areas,
        "control": {"checks": len(calibration.control.outcomes),
                    "passed": len(calibration.control.having("pass")),
                    "skipped": calibration.control.having("skipped")},
        "problems": list(calibration.problems),
        "mutants": [{"name": v.mutant.name, "area": v.mutant.area, "description": v.mutant.description,
                     "meant": list(v.mutant.meant), "killed": v.killed, "as_expected": v.as_expected,
                     "killed_by": list(v.killed_by), "killed_at_default": v.killed_at_default,
                     "also_failed": list(v.also_failed), "not_judged": list(v.not_judged), "reason": v.reason,
                     "seconds": round(v.seconds, 1)}
                    for v in calibration.mutants],
        "variants": [{"name": v.variant.name, "area": v.variant.area, "description": v.variant.description,
                      "evidence": v.variant.evidence, "false_alarms": list(v.false_alarms),
                      "run_alone": v.run_alone, "broken": v.broken}
                     for v in calibration.variants],
    }


def markdown(score: dict) -> str:
    totals = score["totals"]
    control = score["control"]
    lines = ["# Calibration of the conformance suite", "",
             f"{_summary(totals)}. Against the reference endpoint itself, {control['passed']} of "
             f"{control['checks']} checks pass. The calibration took {score['seconds']:.0f} s.", "",
             "| area | mutants | killed | at default strictness | survived | kill rate | variants | false alarms |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for row in [*score["areas"], {"area": "**all**", **totals}]:
        lines.append(f"| {row['area']} | {row['mutants']} | {row['killed']} | {row['killed_at_default']} | "
                     f"{row['survived']} | "
                     f"{_rate(row)} | {row['variants']} | {row['false_alarms']} |")
    survivors = [m for m in score["mutants"] if not m["killed"]]
    if survivors:
        lines += ["", "## Surviving mutants", ""]
        lines += [f"- **{m['name']}** ({m['area']}): {m['description']}. {m['reason']}" for m in survivors]
    flagged = [v for v in score["variants"] if v["false_alarms"] or v["broken"]]
    if flagged:
        lines += ["", "## False alarms", ""]
        lines += [f"- **{v['name']}**: {'; '.join(v['false_alarms']) or v['broken']}" for v in flagged]
    if score["problems"]:
        lines += ["", "## Problems with the calibration itself", ""] + [f"- {p}" for p in score["problems"]]
    lines += ["", "## Mutants", "", "| mutant | area | meant check | verdict |", "|---|---|---|---|"]
    lines += [f"| {m['name']} | {m['area']} | {'<br>'.join(m['meant'])} | "
              f"{'killed' if m['killed'] else 'survived'}{'' if m['as_expected'] else ' (unexpected)'} |"
              for m in score["mutants"]]
    lines += ["", "## Conformant variants", "", "| variant | area | allowed by | false alarms |", "|---|---|---|---:|"]
    lines += [f"| {v['name']} | {v['area']} | {v['evidence']} | {len(v['false_alarms'])} |" for v in score["variants"]]
    return "\n".join(lines) + "\n"


def console(score: dict) -> str:
    lines = [f"calibration: {_summary(score['totals'])} ({score['seconds']:.0f} s)"]
    for row in score["areas"]:
        lines.append(f"  {row['area']:<16} {row['killed']:>3}/{row['mutants']:<3} killed  {_rate(row):>5}   "
                     f"{row['false_alarms']} false alarms in {row['variants']} variants")
    for mutant in score["mutants"]:
        if not mutant["killed"] or not mutant["as_expected"]:
            verdict = "KILLED " if mutant["killed"] else "SURVIVED"
            lines.append(f"  {verdict} {mutant['name']}: {mutant['reason']}")
    for variant in score["variants"]:
        for alarm in variant["false_alarms"] or ([variant["broken"]] if variant["broken"] else []):
            lines.append(f"  FALSE ALARM {variant['name']}: {alarm}")
    lines += [f"  PROBLEM {problem}" for problem in score["problems"]]
    return "\n".join(lines)


def write(score: dict, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = [directory / "calibration.json", directory / "calibration.md"]
    written[0].write_text(json.dumps(score, indent=2) + "\n")
    written[1].write_text(markdown(score))
    return written


def _tally(verdicts: list) -> dict:
    killed = sum(1 for v in verdicts if v.killed)
    return {"mutants": len(verdicts), "killed": killed, "survived": len(verdicts) - killed,
            "kill_rate": round(killed / len(verdicts), 3) if verdicts else None,
            "killed_at_default": sum(1 for v in verdicts if v.killed_at_default)}


def _rate(row: dict) -> str:
    return "—" if row["kill_rate"] is None else f"{row['kill_rate']:.0%}"


def _summary(totals: dict) -> str:
    return (f"{totals['killed']} of {totals['mutants']} mutants killed ({_rate(totals)}; "
            f"{totals['killed_at_default']} by checks the default --evidence=observed asserts strictly, the rest "
            f"by checks on inferred evidence, advisory by default), "
            f"{totals['false_alarms']} false alarms in {totals['variants']} conformant variants")
