"""How xdist spreads the self-tests over its workers (-n): each test to whichever worker is free, except
that the tests of a module in SHARED_FIXTURE_MODULES go to one worker together.

Those modules' tests share a module fixture that runs the suite several times (tens of seconds); split
over two workers, each worker would compute it. pytest-xdist's own ``--dist loadgroup`` would do this
with ``xdist_group`` marks, but with pytest 9.2 its group suffix no longer reaches the node ids
(xdist 3.8.0 sets ``item._nodeid``, which pytest 9.2 no longer reads), so the grouping is done here,
with xdist's LoadScopeScheduling and its documented ``pytest_xdist_make_scheduler`` hook. Units with
more tests are handed out first (xdist's --loadscope-reorder), so the grouped modules start early.
"""

from __future__ import annotations

import pytest
from xdist.scheduler import LoadScopeScheduling

SHARED_FIXTURE_MODULES = ("test_gate.py", "test_package.py", "test_pytest_integration.py")


class SharedFixtureScheduling(LoadScopeScheduling):
    """LoadScopeScheduling whose unit of work is one test, or a whole module of SHARED_FIXTURE_MODULES."""

    def _split_scope(self, nodeid: str) -> str:
        module = nodeid.split("::", 1)[0]
        return module if module.rsplit("/", 1)[-1] in SHARED_FIXTURE_MODULES else nodeid


@pytest.hookimpl(optionalhook=True)  # a hook of xdist's: unknown when xdist is not active
def pytest_xdist_make_scheduler(config, log):
    """The scheduler for xdist's default distribution (load); any other --dist is left to xdist."""
    if config.getoption("dist") == "load":
        return SharedFixtureScheduling(config, log)
    return None
