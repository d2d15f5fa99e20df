"""Every expectations file names only checks the suite has, and says what was seen for each."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecrconf.run import expectations

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


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_entry_records_the_answer_it_holds_for(path):
    assert all(isinstance(entry.status, int) for entry in expectations.load(path).values())


def test_regeneration_keeps_the_status_and_error_type_seen(tmp_path):
    document = {"results": [
        {"id": "A/x/typed", "outcome": "fail", "message": "expected X, got Y",
         "answer": {"status": 400, "error": "Y"}},
        {"id": "A/x/untyped", "outcome": "expected-failure", "known_deviation": "HTML",
         "answer": {"status": 500, "error": None}},
    ]}
    path = tmp_path / "t.toml"
    path.write_text(expectations.render("t", expectations.deviations_from_results(document), {}))
    again = expectations.load(path)
    assert (again["A/x/typed"].status, again["A/x/typed"].error) == (400, "Y")
    assert (again["A/x/untyped"].status, again["A/x/untyped"].error) == (500, None)


def test_an_entry_holds_only_for_the_answer_it_records():
    typed = expectations.Expectation("A/x/t", "seen", status=400, error="RepositoryNotFoundException")
    assert typed.matches({"status": 400, "error": "RepositoryNotFoundException"})
    assert not typed.matches({"status": 400, "error": "ValidationException"})
    assert not typed.matches({"status": 500, "error": "RepositoryNotFoundException"})
    assert not typed.matches(None)  # no answer at all is never the recorded deviation
    untyped = expectations.Expectation("A/x/u", "seen", status=500)
    assert untyped.matches({"status": 500, "error": None}) and not untyped.matches({"status": 500, "error": "X"})
    assert expectations.Expectation("A/x/v", "written by hand").matches({"status": 418, "error": None})
    assert typed.recorded() == "HTTP 400 RepositoryNotFoundException" and untyped.recorded() == "HTTP 500"


@pytest.mark.parametrize("entry", ['status = 0', 'status = 99999', 'error = "X"', 'status = 400\nerror = ""'],
                         ids=["status-0", "status-too-big", "error-without-status", "empty-error"])
def test_an_entry_must_record_a_real_answer(tmp_path, entry):
    path = tmp_path / "t.toml"
    path.write_text(f'[deviations."A/x/t"]\nseen = "s"\n{entry}\n')
    with pytest.raises(expectations.InvalidExpectations, match="'(status|error)'"):
        expectations.load(path)


def test_regeneration_keeps_the_entries_a_run_did_not_judge(tmp_path):
    previous = {"A/x/absent": expectations.Expectation("A/x/absent", "old", status=400, error="E", reason="why"),
                "A/x/errored": expectations.Expectation("A/x/errored", "old2", status=500),
                "A/x/fixed": expectations.Expectation("A/x/fixed", "old3", status=400)}
    document = {"results": [{"id": "A/x/errored", "outcome": "error", "message": "no response"},
                            {"id": "A/x/fixed", "outcome": "unexpected-pass"}]}
    kept = expectations.unjudged(previous, document)
    assert set(kept) == {"A/x/absent", "A/x/errored"}
    path = tmp_path / "t.toml"
    path.write_text(expectations.render("t", {**kept, **expectations.deviations_from_results(document)}, previous))
    again = expectations.load(path)
    assert set(again) == {"A/x/absent", "A/x/errored"}
    assert (again["A/x/absent"].status, again["A/x/absent"].error, again["A/x/absent"].reason) == (400, "E", "why")
