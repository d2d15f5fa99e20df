"""Every expectations file names only checks the suite has, and says what was seen for each."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecrconf import expectations

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted(expectations.ROOT.glob("*.toml"))


class CheckIds:
    def __init__(self) -> None:
        self.ids: set[str] = set()

    @pytest.hookimpl(trylast=True)  # after the suite's plugin has given every item its check id
    def pytest_collection_modifyitems(self, items) -> None:
        self.ids = {value for item in items for key, value in item.user_properties if key == "check_id"}


@pytest.fixture(scope="module")
def collected_check_ids() -> set[str]:
    found = CheckIds()
    exit_code = pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider", "--rootdir", str(ROOT),
                             "-c", str(ROOT / "pytest.ini"), str(ROOT / "suites")], plugins=[found])
    assert exit_code == 0 and found.ids, "the suite did not collect"
    return found.ids


def test_there_is_an_expectations_file_for_the_embedded_moto():
    from importlib.metadata import version
    assert expectations.path_for(f"moto-{version('moto')}") in FILES


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_entry_matches_a_collected_check(path, collected_check_ids):
    stale = sorted(set(expectations.load(path)) - collected_check_ids)
    assert not stale, f"{path.name} lists checks the suite does not have: {stale}"


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_entry_says_what_was_seen(path):
    assert all(entry.seen.strip() for entry in expectations.load(path).values())


def test_regeneration_keeps_reasons_and_drops_fixed_checks(tmp_path):
    previous = {"A/x/t1": expectations.Expectation("A/x/t1", "old", reason="tracked upstream", link="https://x/1"),
                "A/x/t2": expectations.Expectation("A/x/t2", "was failing")}
    document = {"results": [
        {"id": "A/x/t1", "outcome": "expected-failure", "known_deviation": "old"},
        {"id": "A/x/t2", "outcome": "pass"},
        {"id": "A/x/t3", "outcome": "fail", "message": "expected X, got Y\nReceived: HTTP 400 Y {\"a\": 1}\nExpected: X"},
        {"id": "A/x/t4", "outcome": "error", "message": "timed out"},
    ]}
    path = tmp_path / "t.toml"
    path.write_text(expectations.render("t", expectations.deviations_from_results(document), previous))
    again = expectations.load(path)
    assert set(again) == {"A/x/t1", "A/x/t3"}
    assert again["A/x/t1"].reason == "tracked upstream" and again["A/x/t1"].link == "https://x/1"
    assert again["A/x/t3"].seen == "expected X, got Y; Received: HTTP 400 Y"
