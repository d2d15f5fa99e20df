"""Where the suite's data is: the repository's top-level folders in a checkout, the package's copy when installed.

A checkout keeps ``schemas/``, ``fixtures/``, ``suites/``, ``expectations/`` and ``docs/evidence/`` at its
root, next to ``pytest.ini``. The wheel (pyproject.toml, ``[tool.hatch.build.targets.wheel.force-include]``)
maps them into the package: the suites to ``ecrconf/suites`` (a package, so that ``pytest --pyargs
ecrconf.suites`` finds them) and everything else, ``pytest.ini`` among it, under ``ecrconf/_data``. An
installed copy is recognised by that folder, so it needs nothing from a checkout.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

PACKAGE = Path(str(files("ecrconf"))).resolve()  # an installed package is a folder on disk (pip never installs a zip)
INSTALLED = (PACKAGE / "_data").is_dir()
# The folder pytest's node ids are relative to (--rootdir): it holds suites/ in both layouts.
ROOT = PACKAGE if INSTALLED else PACKAGE.parent
DATA = PACKAGE / "_data" if INSTALLED else PACKAGE.parent
SUITES = ROOT / "suites"
INI = DATA / "pytest.ini"


def data(*parts: str) -> Path:
    """The path of a data file or folder named from the repository's root, e.g. data("fixtures", "images")."""
    return DATA.joinpath(*parts)


def checkout_only(tool: str, instead: str) -> str | None:
    """None in a checkout; installed, the one line a tool that works on the repository (it runs the suite
    from the repository's root, or writes into it) says instead of running."""
    if not INSTALLED:
        return None
    return f"{tool} works in a checkout of the repository only; {instead}"
