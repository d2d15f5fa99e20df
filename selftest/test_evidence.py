"""python -m ecrconf.evidence: a recording (of the reference, marked as if made against real ECR) becomes an
evidence file; an inferred check it confirms becomes observed, one it contradicts is listed for review."""

from __future__ import annotations

import json

import pytest

from ecrconf import paths
from ecrconf.evidence.__main__ import main
from ecrconf.evidence.entries import template
from ecrconf.spec import recorded
from selftest import recordings
from selftest.reference import Behaviour

SELECTION = ("suites/pagination", "suites/semantics/test_image_semantics.py",
             "-k", "failure_codes or (garbled and ListImages)")
CONFIRMED = "BatchGetImage/semantics/test_failure_codes_say_why_an_item_failed[BatchGetImage]"
CONTRADICTED = "ListImages/pagination/test_garbled_next_token_is_refused[ListImages]"


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    """The selection recorded against a reference that accepts a garbled nextToken (the mutant
    garbled-token-restarts: an inferred check fails there), marked as made against real ECR."""
    directory = tmp_path_factory.mktemp("evidence") / "rec"
    done = recordings.record(directory, *SELECTION, behaviour=Behaviour(garbled_token_restarts=True))
    assert "3 " in done.stdout.splitlines()[-1], done.stdout[-2000:] + done.stderr[-2000:]
    recordings.as_if_from_aws(directory, region="eu-west-1")
    return directory


def test_a_recording_becomes_evidence_that_upgrades_and_flags(recording, tmp_path, capsys):
    out = tmp_path / "evidence"
    assert main([str(recording), f"--out={out}"]) == 0
    said = capsys.readouterr().out
    (path,) = out.iterdir()
    document = json.loads(path.read_text())
    assert path.name.startswith(document["source"]["date"] + "-eu-west-1-")
    assert document["source"]["region"] == "eu-west-1" and document["source"]["suiteVersion"]
    entry = document["checks"][CONFIRMED]
    assert entry["outcome"] == "pass" and entry["evidence"] == "inferred" and entry["verdict"] == "confirms"
    assert entry["answers"] and all(a["status"] == 200 and "failures" in a["members"] for a in entry["answers"])
    contradicted = document["checks"][CONTRADICTED]
    assert contradicted["outcome"] == "advisory-fail" and contradicted["verdict"] == "contradicts"
    assert f"observed now (was inferred): {CONFIRMED}" in said
    assert f"review: {CONTRADICTED}: contradicted by {path.name}" in said

    # The checks read their level from there: confirmed -> observed (citing the file), contradicted -> as marked.
    level, source = recorded.level(CONFIRMED, "inferred", "ops I.8", out)
    assert level == "observed" and path.name in source
    assert recorded.level(CONTRADICTED, "inferred", "ops N.4", out) == ("inferred", "ops N.4")
    assert recorded.level("X/y/test_unknown", "inferred", "s", out) == ("inferred", "s")
    assert main(["--review", f"--out={out}"]) == 1
    assert CONTRADICTED in capsys.readouterr().out


def test_a_recording_not_made_against_aws_is_no_evidence(tmp_path, capsys):
    directory = tmp_path / "rec"
    directory.mkdir()
    (directory / "main.har").write_text(json.dumps({"log": {"entries": [], "_ecrconf": {"prefix": "ecrconf-abcdef",
                                                                                       "realAws": False}}}))
    assert main([str(directory), f"--out={tmp_path / 'out'}"]) == 4
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "not recorded against real AWS" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("args", [[], ["{tmp}", "--review"]], ids=["neither", "both"])
def test_a_recording_or_review_is_asked_for(tmp_path, capsys, args):
    with pytest.raises(SystemExit) as ended:
        main([arg.format(tmp=tmp_path) for arg in args])
    assert ended.value.code == 4
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "a recording directory" in err and "--review" in err


def test_a_broken_evidence_file_is_one_line(tmp_path, capsys):
    (tmp_path / "x.json").write_text("{")
    assert main(["--review", f"--out={tmp_path}"]) == 4
    assert "not an evidence file" in capsys.readouterr().err


@pytest.mark.parametrize("message, expected", [
    ("The repository with name 'ecrconf-1a2b3c-main-7' does not exist in the registry with id '123456789012'",
     "The repository with name '{name}' does not exist in the registry with id '{account}'"),
    ("Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must have value less than or equal to 1000'",
     "Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must have value less than or equal to 1000'"),
    ("Image with digest sha256:" + "ab" * 32 + " and tag v1 not found in arn:aws:ecr:us-east-1:123456789012:repository/x",
     "Image with digest {digest} and tag v1 not found in {arn}"),
    ("Upload 0b6f2e5a-3c1d-4e8f-9a7b-1c2d3e4f5a6b at 2026-11-30T04:50:52.123Z", "Upload {id} at {time}"),
])
def test_message_templates_replace_values(message, expected):
    assert template(message) == expected


def test_the_kept_evidence_is_readable():
    """Every file under fixtures/evidence/ is an evidence document (the suite reads them at collection)."""
    recorded.verdicts.cache_clear()
    assert isinstance(recorded.verdicts(), dict)


class _Item:
    """Just what ecrconf.run.collection.mark reads and writes of a pytest item."""

    def __init__(self, nodeid: str, operation: str, evidence: tuple[str, str]):
        self.nodeid, self.name = nodeid, nodeid.split("::")[-1]
        self.path = paths.ROOT / nodeid.split("::")[0]
        self.function = lambda: None
        self.function.__doc__ = "X MUST do Y."
        self.user_properties, self.stash, self.added = [], pytest.Stash(), []
        self._markers = {"operation": (operation,), "evidence": evidence}

    def get_closest_marker(self, name):
        args = self._markers.get(name)
        return None if args is None else type("Mark", (), {"args": args})()

    def add_marker(self, marker):
        self.added.append(marker)

    def repr_failure(self, excinfo):
        return ""


def test_collection_reads_the_level_from_the_evidence_files(recording, tmp_path, monkeypatch, capsys):
    """The run's check properties (results.json, JUnit) carry the upgraded level, and the check is then
    asserted strictly under the default --evidence=observed; a contradicted one stays inferred (advisory)."""
    from ecrconf.run import collection
    out = tmp_path / "evidence"
    assert main([str(recording), f"--out={out}"]) == 0
    capsys.readouterr()
    monkeypatch.setattr(recorded, "EVIDENCE_DATA", out)
    monkeypatch.setattr(recorded, "level", lambda c, m, s, d=out, level=recorded.level: level(c, m, s, d))
    confirmed = _Item("suites/semantics/test_image_semantics.py::test_failure_codes_say_why_an_item_failed"
                      "[BatchGetImage]", "BatchGetImage", ("inferred", "ops I.8"))
    contradicted = _Item("suites/pagination/test_pagination.py::test_garbled_next_token_is_refused[ListImages]",
                         "ListImages", ("inferred", "ops N.4"))
    collection.mark([confirmed, contradicted], known={}, strictest="observed")
    assert dict(confirmed.user_properties)["evidence"] == "observed" and not confirmed.added
    assert dict(contradicted.user_properties)["evidence"] == "inferred" and contradicted.added  # advisory
