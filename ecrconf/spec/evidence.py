"""How strongly a check's expectation is known, and what a run asserts strictly (--evidence)."""

from __future__ import annotations

import re
from functools import cache

import pytest

from ecrconf import paths

LEVELS = ("documented", "observed", "inferred")  # strongest first
ADVISORY_PREFIX = "advisory:"


def advisory(level: str, strictest: str) -> bool:
    """Whether a check on this evidence only advises in a run that asserts down to strictest."""
    return LEVELS.index(level) > LEVELS.index(strictest)


def advisory_mark(level: str, strictest: str) -> pytest.MarkDecorator:
    """A non-strict xfail: the failure is reported, and does not gate."""
    return pytest.mark.xfail(reason=f"{ADVISORY_PREFIX} rests on {level} evidence, weaker than --evidence={strictest}",
                             strict=False)


DOSSIERS = {"base": "real-ecr-behaviour.md", "ops": "real-ecr-behaviour-operations.md"}
EVIDENCE_DIR = paths.data("docs", "evidence")
_ROW = r"(?:[A-Z]|\d+)\.\d+"  # base rows are "4.1", ops rows "I.8"
_CITED = re.compile(rf"\b(base|ops)\s+((?:{_ROW}(?:-\d+)?(?:,\s*)?)+)")


def level_of(citation: str) -> str:
    """The evidence level a citation such as ``"ops I.8; base 4.1"`` or ``"model"`` supports: the strongest
    confidence label among the rows it cites (DOC: documented, OBS-ECR: observed, any other: inferred).

    "model" alone is documented. A citation naming no row of the dossiers (docs/evidence) is inferred, so
    that a level is never stronger than a row says. Ranges ("base 4.1-4.4") cite each row between."""
    found = ["documented"] if re.search(r"\bmodel\b", citation) else []
    for dossier, ids in _CITED.findall(citation):
        rows = _labels(dossier)
        for cited in re.split(r",\s*", ids.strip().rstrip(",")):
            found += [_level(rows[row]) for row in _expand(cited) if row in rows]
    return min(found, key=LEVELS.index, default="inferred")


def _expand(cited: str) -> list[str]:
    """"4.1-4.4" -> 4.1, 4.2, 4.3, 4.4; anything else is itself."""
    matched = re.fullmatch(r"((?:[A-Z]|\d+)\.)(\d+)-(\d+)", cited)
    if not matched:
        return [cited]
    head, first, last = matched.group(1), int(matched.group(2)), int(matched.group(3))
    return [f"{head}{n}" for n in range(first, last + 1)]


def _level(label: str) -> str:
    return "documented" if "DOC" in label else "observed" if "OBS-ECR" in label else "inferred"


@cache
def _labels(dossier: str) -> dict[str, str]:
    """Row id -> its confidence label (the last cell), for every table row of one dossier."""
    rows = {}
    for line in (EVIDENCE_DIR / DOSSIERS[dossier]).read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) >= 3 and re.fullmatch(_ROW, cells[0]):
            rows[cells[0]] = cells[-1]
    return rows
