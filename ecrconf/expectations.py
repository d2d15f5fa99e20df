"""Known deviations of one target, kept as data: expectations/<target>.toml.

Each table is keyed by a test id and says what the target was seen to do (``seen``), with an
optional ``link`` and ``expires`` date. Listed tests become strict expected failures: a new failure
fails the run, and so does a listed test that starts to pass, so the file stays true.
"""

from __future__ import annotations

import datetime
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "expectations"


@dataclass(frozen=True)
class Expectation:
    test_id: str
    seen: str
    link: str = ""
    expires: datetime.date | None = None

    def expired(self, today: datetime.date) -> bool:
        return self.expires is not None and today > self.expires


def path_for(target_name: str) -> Path:
    return ROOT / f"{target_name}.toml"


def load(path: Path) -> dict[str, Expectation]:
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    entries = {}
    for test_id, entry in data.get("deviations", {}).items():
        if "seen" not in entry:
            raise ValueError(f"{path}: entry {test_id!r} has no 'seen'")
        entries[test_id] = Expectation(test_id, entry["seen"], entry.get("link", ""), entry.get("expires"))
    return entries
