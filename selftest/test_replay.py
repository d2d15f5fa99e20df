"""python -m ecrconf.replay: a recording of the strict reference replayed against embedded moto shows the
deviations the suite reports for moto; replayed against the reference itself, only what differs by timing;
what the replay creates is deleted; bad input is one line and its own exit status."""

from __future__ import annotations

import json
import os
import tomllib

import pytest

from ecrconf.replay.__main__ import main
from ecrconf.run.expectations import path_for
from ecrconf.wire.client import Credentials, EcrClient
from selftest import recordings
from selftest.reference import REFERENCE_KEYS, ReferenceEcr

AREA = "StartImageScan/start_image_scan/"
# Checks whose exchanges differ between two runs of one conformant target: which of two concurrent scans
# starts, and whether a scan polled is still IN_PROGRESS (no findings yet) or already COMPLETE.
BY_TIMING = {f"{AREA}test_concurrent_scans_start_once", f"{AREA}test_started_scan_is_visible_and_finishes"}


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    directory = tmp_path_factory.mktemp("replay") / "rec"
    done = recordings.record(directory, "suites/start_image_scan")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return directory


@pytest.fixture
def reference_keys(monkeypatch):
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", REFERENCE_KEYS.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", REFERENCE_KEYS.secret_key)


def test_replay_against_moto_shows_every_deviation_the_suite_records_for_moto(recording, tmp_path, capsys):
    """Every StartImageScan deviation of expectations/moto-5.2.5.toml is an exchange of its check that the
    replay against embedded moto answers as that entry records (status, error type), unlike the reference."""
    status = main([str(recording), f"--report={tmp_path / 'moto.json'}", f"--markdown={tmp_path / 'moto.md'}"])
    found = json.loads((tmp_path / "moto.json").read_text())
    assert status == 1 and found["summary"]["different"] > 0 and found["leftovers"] == []
    assert "answered differently" in capsys.readouterr().out
    by_check: dict[str, list[dict]] = {}
    for row in found["exchanges"]:
        by_check.setdefault(row["check"], []).append(row)
    known = tomllib.loads(path_for("moto-5.2.5").read_text())["deviations"]
    wanted = {check: {"status": entry.get("status"), "error": entry.get("error")}
              for check, entry in known.items() if check.startswith(AREA)}
    missing = [check for check, answer in wanted.items()
               if not any(row.get("differences") and row["replayed"] == answer for row in by_check.get(check, []))]
    assert len(wanted) >= 40 and missing == []
    assert "| main.har:" in (tmp_path / "moto.md").read_text()


def test_replay_against_the_reference_differs_only_by_timing_and_leaves_nothing(recording, tmp_path,
                                                                                reference_keys, capsys):
    """Names are mapped to the replay's own (the recorded repositories are made again, so every later call
    finds them) and everything the replay made is gone afterwards."""
    with ReferenceEcr() as url:
        status = main([str(recording), f"--endpoint={url}", f"--report={tmp_path / 'ref.json'}"])
        left = EcrClient(url, "us-east-1", Credentials(REFERENCE_KEYS.access_key, REFERENCE_KEYS.secret_key)).call(
            "DescribeRepositories", {}).body["repositories"]
    found = json.loads((tmp_path / "ref.json").read_text())
    differing = {row["check"] for row in found["exchanges"] if row.get("differences")}
    assert differing <= BY_TIMING and status in (0, 1)
    assert left == [] and found["leftovers"] == [] and found["summary"]["replayed"] == found["summary"]["exchanges"]
    recorded_prefix = json.loads((recording / "main.har").read_text())["log"]["_ecrconf"]["prefix"]
    assert recorded_prefix not in json.dumps(found["exchanges"])  # nothing the replay sent named the recording's


@pytest.mark.parametrize("args, status, words", [
    (["{missing}"], 4, "is not a directory"),
    (["{empty}"], 4, "no *.har"),
    (["{recording}", "--endpoint=ftp://x"], 4, "ftp"),
    (["{recording}", f"--endpoint={recordings.AWS_ENDPOINT}"], 9, "--allow-aws"),
    (["{recording}", "--report={empty}"], 4, "--report"),  # refused before anything is replayed
    (["{recording}", "--markdown={recording}/main.har/x.md"], 4, "--markdown"),
    (["{recording}", "--report={recording}/main.har/x.json"], 4, "cannot be written: Not a directory"),
])
def test_bad_input_is_one_line(recording, tmp_path, capsys, reference_keys, args, status, words):
    (tmp_path / "empty").mkdir()
    paths = {"missing": tmp_path / "missing", "empty": tmp_path / "empty", "recording": recording}
    assert main([arg.format(**paths) for arg in args]) == status
    out = capsys.readouterr()
    lines = [line for line in (out.out + out.err).splitlines() if line.strip()]
    assert len(lines) == 1 and words in lines[0], lines


def test_a_file_that_is_no_recording_is_bad_input(tmp_path, capsys):
    (tmp_path / "main.har").write_text('{"log": {"entries": []}}')
    assert main([str(tmp_path)]) == 4
    assert "not a recording" in capsys.readouterr().err


def _entry(operation: str, authorization: str | None = None, body: str = "{}") -> dict:
    headers = [{"name": "Authorization", "value": authorization}] if authorization else []
    return {"_operation": operation, "request": {"headers": headers, "postData": {"text": body}}}


SIGNED = ("AWS4-HMAC-SHA256 Credential=AKIA…/20261130/us-east-1/ecr/aws4_request, "
          "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=<redacted>")


def test_what_is_not_replayed():
    from ecrconf.replay.__main__ import why_not
    assert why_not(_entry("DescribeRepositories", SIGNED), on_aws=True, allow_registry_writes=False) is None
    assert why_not(_entry("DescribeRepositories"), on_aws=False, allow_registry_writes=False) is None  # unsigned
    assert "altered the signature" in why_not(_entry("DescribeRepositories", "AWS4-HMAC-SHA256 Credential=x"),
                                               on_aws=False, allow_registry_writes=False)
    omitted = _entry("PutImage", SIGNED)
    omitted["request"]["postData"] = {"text": "", "_omitted": {"size": 33554432, "sha256": "00"}}
    assert "omitted" in why_not(omitted, on_aws=False, allow_registry_writes=False)
    policy = _entry("PutRegistryPolicy", SIGNED)
    assert why_not(policy, on_aws=False, allow_registry_writes=False) is None
    assert "--allow-registry-writes" in why_not(policy, on_aws=True, allow_registry_writes=False)
    assert why_not(policy, on_aws=True, allow_registry_writes=True) is None
    backfill = _entry("StartReplicationBackfill", SIGNED)
    assert "never replayed on AWS" in why_not(backfill, on_aws=True, allow_registry_writes=True)


def test_names_and_learnt_identifiers_are_mapped():
    from ecrconf.replay.names import Names
    names = Names("ecrconf-aaaaaa", "ecrconf-bbbbbb")
    names.learn({"uploadId": "recorded-upload-1", "registryId": "123456789012", "repository": {
                    "repositoryArn": "arn:aws:ecr:us-east-1:123456789012:repository/ecrconf-aaaaaa-main-1"}},
                {"uploadId": "replayed-upload-9", "registryId": "000000000000", "repository": {
                    "repositoryArn": "arn:aws:ecr:eu-west-1:000000000000:repository/ecrconf-bbbbbb-main-1"}})
    sent = names.request(json.dumps({"repositoryName": "ecrconf-aaaaaa-main-1", "uploadId": "recorded-upload-1",
                                     "resourceArn": "arn:aws:ecr:us-east-1:123456789012:repository/"
                                                    "ecrconf-aaaaaa-main-1"}).encode())
    assert json.loads(sent) == {"repositoryName": "ecrconf-bbbbbb-main-1", "uploadId": "replayed-upload-9",
                                "resourceArn": "arn:aws:ecr:eu-west-1:000000000000:repository/ecrconf-bbbbbb-main-1"}


def test_shape_differences_name_the_topmost_member_only():
    from ecrconf.replay.compare import shape, shape_differences
    recorded = {"images": [{"imageId": {"imageDigest": "sha256:1"}}], "failures": [], "n": 1}
    replayed = {"images": [], "failures": [], "n": "1", "extra": True}
    assert shape_differences(shape(recorded), shape(replayed)) == [
        "shape: replayed answer has extra (boolean), the recorded one not",
        "shape: replayed answer lacks images[] (object)",
        "shape: n is string, recorded number"]
