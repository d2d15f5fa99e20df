"""Comparing two runs: exactly the injected changes, the documented semantics, and the CLI's exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ecrconf.report.compare import compare, regressed
from selftest.results_samples import FRESH, find, record, sample_results

ROOT = Path(__file__).resolve().parent.parent
FLIPPED = "StartImageScan/start_image_scan/test_fresh_image_scan_starts[digest-docker]"
ADDED = "StartImageScan/start_image_scan/test_fresh_image_scan_starts[tag-docker]"
REMOVED = "StartImageScan/protocol/test_response_framing[malformed-json]"


def injected() -> tuple[dict, dict]:
    """A baseline, and the same run with one pass flipped to fail, one check added and one removed."""
    old, new = sample_results(), sample_results()
    flipped = find(new, FLIPPED)
    flipped.update(outcome="fail", message="Received: HTTP 500\nExpected: HTTP 200")
    new["results"].append(record(ADDED, "pass", FRESH))
    new["results"].remove(find(new, REMOVED))
    return old, new


def ids(entries: list[dict]) -> list[str]:
    return [e["id"] for e in entries]


def test_compare_finds_exactly_the_injected_changes():
    old, new = injected()
    diff = compare(old, new)
    assert ids(diff["newly_failing"]) == [FLIPPED]
    assert ids(diff["added"]) == [ADDED]
    assert ids(diff["removed"]) == [REMOVED]
    assert diff["newly_passing"] == [] and diff["changed"] == []
    assert diff["unchanged"] == len(old["results"]) - 2
    assert diff["newly_failing"][0] == {"id": FLIPPED, "operation": "StartImageScan", "requirement": FRESH,
                                        "old": "pass", "new": "fail",
                                        "message": "Received: HTTP 500\nExpected: HTTP 200"}
    assert diff["added"][0]["old"] is None and diff["removed"][0]["new"] is None
    assert diff["baseline"]["target"] == "moto-5.2.5"
    assert regressed(diff)


def test_identical_runs_have_no_changes():
    diff = compare(sample_results(), sample_results())
    assert all(diff[k] == [] for k in ("newly_failing", "newly_passing", "changed", "added", "removed"))
    assert diff["unchanged"] == len(sample_results()["results"])
    assert not regressed(diff)


# The table of the module docstring, written out pair by pair: (before, now) -> kind.
SEMANTICS = {
    ("pass", "fail"): "newly_failing",
    ("pass", "error"): "newly_failing",
    ("unsupported", "fail"): "newly_failing",
    ("expected-failure", "fail"): "newly_failing",  # the expectations entry was removed or expired
    ("advisory-fail", "fail"): "newly_failing",  # the run now asserts this evidence strictly
    ("skipped", "error"): "newly_failing",
    ("unexpected-pass", "fail"): "newly_failing",
    ("fail", "pass"): "newly_passing",
    ("error", "pass"): "newly_passing",
    ("unsupported", "pass"): "newly_passing",
    ("expected-failure", "unexpected-pass"): "newly_passing",  # the known deviation stopped happening
    ("advisory-fail", "pass"): "newly_passing",
    ("skipped", "pass"): "newly_passing",
    ("expected-failure", "expected-failure"): "unchanged",  # a known deviation still known
    ("unsupported", "unsupported"): "unchanged",
    ("fail", "fail"): "unchanged",
    ("fail", "error"): "changed",
    ("error", "fail"): "changed",
    ("fail", "expected-failure"): "changed",  # accepted in the expectations file
    ("pass", "unsupported"): "newly_failing",  # the target stopped implementing what it did
    ("expected-failure", "unsupported"): "newly_failing",
    ("advisory-fail", "unsupported"): "newly_failing",
    ("skipped", "unsupported"): "changed",
    ("pass", "expected-failure"): "changed",
    ("pass", "advisory-fail"): "changed",
    ("pass", "skipped"): "changed",
    ("pass", "unexpected-pass"): "changed",
    ("unsupported", "expected-failure"): "changed",
    ("unexpected-pass", "expected-failure"): "changed",
}


@pytest.mark.parametrize(("before", "now"), list(SEMANTICS), ids=[f"{a}->{b}" for a, b in SEMANTICS])
def test_transition_is_classified_as_documented(before, now):
    old, new = sample_results(), sample_results()
    find(old, FLIPPED)["outcome"] = before
    find(new, FLIPPED)["outcome"] = now
    diff = compare(old, new)
    kinds = [k for k in ("newly_failing", "newly_passing", "changed") if ids(diff[k]) == [FLIPPED]]
    assert kinds == ([] if SEMANTICS[before, now] == "unchanged" else [SEMANTICS[before, now]])
    assert diff["unchanged"] == len(old["results"]) - (SEMANTICS[before, now] != "unchanged")
    assert regressed(diff) == (SEMANTICS[before, now] == "newly_failing")


def test_added_and_removed_checks_are_not_regressions_whatever_their_outcome():
    old, new = sample_results(), sample_results()
    new["results"].append(record("StartImageScan/start_image_scan/test_new_strict_check", "fail", FRESH))
    old["results"].append(record("StartImageScan/start_image_scan/test_dropped_check", "pass", FRESH))
    diff = compare(old, new)
    assert ids(diff["added"]) == ["StartImageScan/start_image_scan/test_new_strict_check"]
    assert ids(diff["removed"]) == ["StartImageScan/start_image_scan/test_dropped_check"]
    assert not regressed(diff)


# The CLI

def run_compare(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ecrconf.report.compare", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


def write(tmp_path: Path, name: str, document: object) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document) if not isinstance(document, str) else document)
    return path


@pytest.fixture
def runs(tmp_path):
    old, new = injected()
    return write(tmp_path, "old.json", old), write(tmp_path, "new.json", new)


def test_cli_prints_a_readable_diff_and_exits_0_without_the_gate(runs):
    done = run_compare(*runs)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "newly failing: 1" in out and FLIPPED in out and "pass -> fail" in out
    assert "added: 1" in out and ADDED in out and "removed: 1" in out and REMOVED in out
    assert f"unchanged: {len(sample_results()['results']) - 2}" in out
    assert out.rstrip().endswith("verdict: REGRESSED")
    assert "Received: HTTP 500" in out


def test_cli_fails_on_regression_only_when_asked_and_only_when_regressed(runs, tmp_path):
    old, new = runs
    assert run_compare(old, new, "--fail-on-regression").returncode == 1
    assert run_compare(new, old, "--fail-on-regression").returncode == 0  # the reverse is an improvement
    assert run_compare(old, old, "--fail-on-regression").returncode == 0


def test_cli_writes_the_diff_as_markdown(runs, tmp_path):
    out = tmp_path / "diff.md"
    done = run_compare(*runs, "--markdown", out)
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert text.startswith("#### Compared with the baseline (moto-5.2.5, 2026-11-27T10:00:00Z): "
                           "❌ regressed: 1 newly failing")
    assert f"- `{FLIPPED}`: pass → fail." in text


@pytest.mark.parametrize("content, words", [
    ("{not json", "not JSON"),
    ('{"format": "ecrconf-results/1", "results": []}', "not an ecrconf results document"),
    ("[]", "not an ecrconf results document"),
    (None, "cannot read"),
])
def test_cli_bad_input_is_one_line_and_exit_4(tmp_path, content, words):
    good = write(tmp_path, "good.json", sample_results())
    bad = tmp_path / "bad.json" if content is None else write(tmp_path, "bad.json", content)
    for args in ((bad, good), (good, bad)):
        done = run_compare(*args, "--fail-on-regression")
        assert done.returncode == 4
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and words in lines[0] and str(bad) in lines[0], done.stderr
        assert done.stdout == ""


def test_cli_rejects_duplicate_ids(tmp_path):
    document = sample_results()
    document["results"].append(dict(document["results"][0]))
    done = run_compare(write(tmp_path, "dup.json", document), write(tmp_path, "good.json", sample_results()))
    assert done.returncode == 4 and "appears more than once" in done.stderr and "Traceback" not in done.stderr


def test_cli_does_not_pass_terminal_control_characters_through(tmp_path):
    old, new = injected()
    find(new, FLIPPED)["message"] = "\x1b[2J\x1b]0;owned\x07 cleared"
    done = run_compare(write(tmp_path, "old.json", old), write(tmp_path, "new.json", new))
    assert "\x1b" not in done.stdout and "\x07" not in done.stdout and "cleared" in done.stdout
