"""How strongly a check's expectation is known, and what a run asserts strictly (--evidence)."""

from __future__ import annotations

import pytest

LEVELS = ("documented", "observed", "inferred")  # strongest first
ADVISORY_PREFIX = "advisory:"


def advisory(level: str, strictest: str) -> bool:
    """Whether a check on this evidence only advises in a run that asserts down to strictest."""
    return LEVELS.index(level) > LEVELS.index(strictest)


def advisory_mark(level: str, strictest: str) -> pytest.MarkDecorator:
    """A non-strict xfail: the failure is reported, and does not gate."""
    return pytest.mark.xfail(reason=f"{ADVISORY_PREFIX} rests on {level} evidence, weaker than --evidence={strictest}",
                             strict=False)
