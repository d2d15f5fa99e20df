"""The suite's markers, registered by the plugin so that a run without the repository's pytest.ini (the
installed suites, ``pytest --pyargs ecrconf.suites``) knows them as well as one inside the repository."""

from __future__ import annotations

import pytest

MARKERS = (
    "operation(name): the ECR operation whose published behaviour the test holds the target to",
    "evidence(level, source): how the expected behaviour is known: documented, observed or inferred, and where from",
    "auth: needs a target that enforces SigV4 signatures (deselect with -m \"not auth\" for mocks)",
)


def register(config: pytest.Config) -> None:
    """Add the suite's markers to the run's ``markers`` ini value (pytest_configure)."""
    for line in MARKERS:
        config.addinivalue_line("markers", line)
