"""What the repository's pytest.ini gives a run that the plugin must give a run without it (the installed
suites run as ``pytest --pyargs ecrconf.suites``), so that both judge alike: the suite's markers, and quiet
about the JUnit family. ``ecrconf run`` applies the suite's own pytest.ini in both layouts."""

from __future__ import annotations

import pytest

MARKERS = (
    "operation(name): the ECR operation whose published behaviour the test holds the target to",
    "evidence(level, source): how the expected behaviour is known: documented, observed or inferred, and where from",
    "auth: needs a target that enforces SigV4 signatures (deselect with -m \"not auth\" for mocks)",
)
# Without our pytest.ini, junit_family is pytest's default, xunit2, which warns once per check that records
# properties; junit.xml still carries them (the verdicts do not depend on the family).
QUIET = "ignore:record_property is incompatible with junit_family:pytest.PytestWarning"


def apply(config: pytest.Config) -> None:
    """Add the suite's markers and warning filter to the run's ini values (pytest_configure)."""
    for line in MARKERS:
        config.addinivalue_line("markers", line)
    config.addinivalue_line("filterwarnings", QUIET)
