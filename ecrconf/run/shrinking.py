"""What Hypothesis may spend time shrinking, and what it may not.

A fault (``checks.NoVerdict``: no answer, a failed setup call) says nothing about the target's
conformance, so shrinking it only repeats the fault: it ends the test at once, as a KeyboardInterrupt
would. A known deviation is reported as known whatever example shows it, so it is not shrunk either.
A new, unexpected failure is shrunk as usual: a minimal reproducer is what its user needs.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator

from hypothesis import Phase, settings

from ecrconf.checks import NO_VERDICT, NoVerdict


class _Carried(BaseException):
    """A NoVerdict on its way out of Hypothesis, which neither catches nor shrinks a BaseException."""

    def __init__(self, fault: NoVerdict):
        super().__init__(str(fault))
        self.fault = fault


@contextlib.contextmanager
def guarded(test: Callable, *, known: bool) -> Iterator[None]:
    """Run the Hypothesis test ``test`` (decorated with @given) inside this block so that a NoVerdict
    leaves it at its first example, raised as itself; with ``known``, failures are not shrunk.
    Restores the test as it was on exit."""
    inner = test.hypothesis.inner_test
    base = test._hypothesis_internal_use_settings

    @functools.wraps(inner)
    def carrying(*args, **kwargs):
        try:
            return inner(*args, **kwargs)
        except NO_VERDICT as fault:
            raise _Carried(fault) from None

    test.hypothesis.inner_test = carrying
    if known:
        test._hypothesis_internal_use_settings = settings(base, phases=[p for p in base.phases if p != Phase.shrink])
    try:
        yield
    except _Carried as carried:
        raise carried.fault from None
    finally:
        test.hypothesis.inner_test = inner
        test._hypothesis_internal_use_settings = base
