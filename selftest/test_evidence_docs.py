"""The evidence the checks cite ships with the repository (docs/evidence/), and every row they cite exists.

docs/evidence/ keeps copies of the team's research dossiers (shared/research/); a test holds each copy
equal to its original when the original is beside the repository.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EVIDENCE = REPO / "docs" / "evidence"
SHARED = REPO.parent / "shared" / "research"
DOSSIERS = ("real-ecr-behaviour.md", "real-ecr-behaviour-operations.md", "emulators.md")
CITATION = re.compile(r"((?:real-ecr-behaviour(?:-operations)?|emulators)\.md)((?:[ ,]+(?:r?\d+\.\d+|section \d+))*)")
CITING = [*REPO.glob("suites/**/*.py"), *REPO.glob("fixtures/**/*.json"), REPO / "README.md"]


def citations() -> list[tuple[str, str, str]]:
    """(citing file, dossier file name, row or section) for every dossier row the suite cites."""
    found = set()
    for path in CITING:
        for name, rows in CITATION.findall(path.read_text()):
            where = str(path.relative_to(REPO))
            found.add((where, name, ""))
            for row in re.findall(r"r?(\d+\.\d+)|section (\d+)", rows):
                found.add((where, name, row[0] or f"section {row[1]}"))
    return sorted(found)


def test_the_suite_cites_rows_of_the_dossiers():
    assert len(citations()) > 10


@pytest.mark.parametrize("where,name,row", citations())
def test_every_cited_row_ships_with_the_repository(where, name, row):
    dossier = EVIDENCE / name
    assert dossier.is_file(), f"{where} cites {name}, which is not in docs/evidence/"
    text = dossier.read_text()
    if row.startswith("section "):
        assert re.search(rf"^## {row.split()[1]}\. ", text, re.M), f"{where}: no {row} in {name}"
    elif row:
        assert re.search(rf"^\| {re.escape(row)} \|", text, re.M), f"{where}: no row {row} in {name}"


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"{SHARED} is not beside the repository")
@pytest.mark.parametrize("name", DOSSIERS)
def test_the_kept_dossiers_are_the_research_ones(name):
    assert (EVIDENCE / name).read_text() == (SHARED / name).read_text(), f"copy {SHARED / name} to {EVIDENCE}"
