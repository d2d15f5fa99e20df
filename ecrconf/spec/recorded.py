"""Evidence from recordings of real ECR (``fixtures/evidence/*.json``, written by ``python -m ecrconf.evidence``).

Each file holds, per check, what real ECR answered and the check's outcome there. A check that passed against
real ECR is *confirmed* by that recording; one that failed there (``fail``, ``advisory-fail``,
``expected-failure``) is *contradicted*. An inferred check that some recording confirms and none contradicts
rests on observed evidence (``level``); a contradicted check keeps its level and is listed for review
(``review``, ``python -m ecrconf.evidence --review``): the suite, not ECR, may be wrong there.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from ecrconf import paths

EVIDENCE_DATA = paths.data("fixtures", "evidence")
FORMAT = "ecrconf-evidence/1"
CONFIRMS, CONTRADICTS = "confirms", "contradicts"


def verdict(outcome: str) -> str | None:
    """What a check's outcome against real ECR says about the check: CONFIRMS, CONTRADICTS or None."""
    if outcome == "pass":
        return CONFIRMS
    if outcome in ("fail", "advisory-fail", "expected-failure"):
        return CONTRADICTS
    return None


@cache
def verdicts(directory: Path = EVIDENCE_DATA) -> dict[str, list[tuple[str, str]]]:
    """{check id: [(CONFIRMS or CONTRADICTS, file name), ...]} over every evidence file of directory.

    Raises ValueError naming the file when one is not an evidence document."""
    found: dict[str, list[tuple[str, str]]] = {}
    for path in sorted(directory.glob("*.json")) if directory.is_dir() else []:
        try:
            document = json.loads(path.read_text())
            if document.get("format") != FORMAT:
                raise ValueError(f"not {FORMAT}")
            for check, entry in document["checks"].items():
                said = verdict(entry["outcome"])
                if said:
                    found.setdefault(check, []).append((said, path.name))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"{path}: not an evidence file of this suite ({exc})") from None
    return found


def level(check: str, marked: str, source: str, directory: Path = EVIDENCE_DATA) -> tuple[str, str]:
    """(level, source) of a check whose marker says marked and source: observed, citing the recordings,
    when marked is inferred and a recording confirms the check and none contradicts it; else as marked."""
    said = verdicts(directory).get(check, [])
    confirming = [name for kind, name in said if kind == CONFIRMS]
    if marked != "inferred" or not confirming or any(kind == CONTRADICTS for kind, _ in said):
        return marked, source
    return "observed", f"{source}; recorded from real ECR: fixtures/evidence/{', '.join(confirming)}"


def review(directory: Path = EVIDENCE_DATA) -> list[str]:
    """One line per check that a recording of real ECR contradicts, with the files that say so."""
    return [f"{check}: contradicted by {', '.join(name for kind, name in said if kind == CONTRADICTS)}"
            for check, said in sorted(verdicts(directory).items()) if any(k == CONTRADICTS for k, _ in said)]
