"""A check's evidence level comes from the confidence labels of the dossier rows its table cites."""

from __future__ import annotations

import pytest

from ecrconf.spec import evidence


@pytest.mark.parametrize(("citation", "level"), [
    ("model", "documented"),
    ("base 4.1", "observed"),  # OBS-ECR
    ("ops I.8", "inferred"),  # SEC
    ("ops I.8; base 4.1", "observed"),  # the strongest row cited
    ("ops L.7", "documented"),  # DOC
    ("base 4.1-4.4", "observed"),
    ("model; ops P.5 (the error's text)", "documented"),
    ("ops Z.99", "inferred"),  # no such row: never stronger than a row says
    ("a blog post", "inferred"),
])
def test_level_of_a_citation(citation, level):
    assert evidence.level_of(citation) == level


def test_every_row_of_both_dossiers_has_a_label():
    for dossier in evidence.DOSSIERS:
        rows = evidence._labels(dossier)
        assert len(rows) > 50 and all(label for label in rows.values()), dossier
