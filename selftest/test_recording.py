"""--record=DIR: a run's exchanges as HAR 1.2, valid against the format, with no secret in any file or output."""

from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path

import jsonschema
import pytest

from ecrconf.wire import recording
from ecrconf.wire.exchange import Exchange, Request, Response
from selftest import pytest_runs, recordings
from selftest.reference.sigv4 import KeyPair

HAR_SCHEMA = json.loads((Path(__file__).parent / "har-1.2.schema.json").read_text())
KEYS = KeyPair("AKIARECORDING0EXAMPLE", "recording/secret/key/0123456789/abcdefghij",
               "session-token-for-the-recording-selftest-0123456789")
SELECTION = ("suites/semantics/test_semantics.py", "suites/protocol", "-k", "authorization or test_sigv4 or oversized")


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """SELECTION recorded against a reference ECR with KEYS (a session token among them)."""
    tmp_path = tmp_path_factory.mktemp("recorded")
    done = recordings.record(tmp_path / "rec", *SELECTION, keys=KEYS, report_dir=tmp_path / "reports")
    return tmp_path, done


def test_a_recording_is_har_1_2_with_one_entry_per_request(recorded):
    tmp_path, done = recorded
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    files = sorted((tmp_path / "rec").iterdir())
    assert [f.name for f in files] == ["main.har"]
    document = json.loads(files[0].read_text())
    jsonschema.validate(document, HAR_SCHEMA)
    entries = document["log"]["entries"]
    sent = json.loads((tmp_path / "reports" / "results.json").read_text())["run"]["requests"]
    assert len(entries) == sent  # every request the checks sent (the start-up probe is no check's)
    checks = {e["_checkId"] for e in entries}
    assert "" not in checks
    assert "GetAuthorizationToken/semantics/test_authorization_token_is_base64_aws_password_valid_about_12_hours" in {c.split("[")[0] for c in checks}
    meta = document["log"]["_ecrconf"]
    assert meta["realAws"] is False and meta["region"] == "us-east-1" and meta["prefix"].startswith("ecrconf-")
    oversized = [e for e in entries if "_omitted" in e["request"]["postData"]]
    assert oversized and oversized[0]["request"]["bodySize"] > recording.BODY_LIMIT


def test_no_secret_in_the_recording_or_any_output(recorded):
    """The secret key, the session token, the whole access key id and the authorization tokens ECR gave
    (base64 of "AWS:...") appear in no file the run wrote and not in its output: 0 found."""
    tmp_path, done = recorded
    texts = {"stdout": done.stdout, "stderr": done.stderr}
    texts.update({str(p): p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file()})
    token_prefix = base64.b64encode(b"AWS:").decode()[:5]  # "QVdTO": every authorization token starts so
    found = [(name, secret[:6]) for name, text in texts.items()
             for secret in (KEYS.secret_key, KEYS.token, KEYS.access_key, token_prefix) if secret in text]
    assert found == []
    entries = json.loads((tmp_path / "rec" / "main.har").read_text())["log"]["entries"]
    tokens = [item["authorizationToken"] for e in entries if e["_operation"] == "GetAuthorizationToken"
              and e["response"]["status"] == 200
              for item in json.loads(e["response"]["content"]["text"])["authorizationData"]]
    assert tokens and set(tokens) == {recording.REDACTED}
    headers = {(h["name"].lower(), h["value"]) for e in entries for h in e["request"]["headers"]}
    assert ("x-amz-security-token", recording.REDACTED) in headers
    signed = [v for k, v in headers if k == "authorization"]
    assert signed and not [v for v in signed if re.search(r"Signature=[0-9a-fA-F]", v)]


def _exchange(operation: str, body: dict, url: str = "http://127.0.0.1:1/") -> Exchange:
    request = Request("POST", url, {"Authorization": "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/x, Signature=abcdef",
                                    "X-Amz-Security-Token": "tok"}, b"{}")
    return Exchange(operation, request, Response(200, {"content-type": "x"}, json.dumps(body).encode()), 0.25)


def test_an_entry_redacts_tokens_headers_and_secrets_anywhere():
    answer = {"authorizationData": [{"authorizationToken": "QVdTOnBhc3N3b3Jk", "proxyEndpoint": "https://x"}],
              "note": "the secret-value-12345 echoed"}
    entry = recording.entry(_exchange("GetAuthorizationToken", answer), label="c", secrets=("secret-value-12345",))
    text = json.dumps(entry)
    assert "QVdTOnBhc3N3b3Jk" not in text and "secret-value-12345" not in text and "abcdef" not in text
    assert "AKIAEXAMPLE" not in text and '"tok"' not in text
    assert json.loads(entry["response"]["content"]["text"])["authorizationData"][0]["proxyEndpoint"] == "https://x"
    assert entry["timings"]["wait"] == 250 and entry["_checkId"] == "c"


def test_a_short_emulator_secret_is_not_treated_as_one():
    """"test" is no AWS secret: redacting it would mangle every "latest" of a recording."""
    entry = recording.entry(_exchange("ListImages", {"imageIds": [{"imageTag": "latest"}]}), label="", secrets=("test",))
    assert "latest" in entry["response"]["content"]["text"]


def test_record_into_a_file_is_bad_input(tmp_path):
    (tmp_path / "file").write_text("")
    done = pytest_runs.run(["-q", "-p", "no:cacheprovider", f"--record={tmp_path / 'file'}", "suites/protocol"],
                           env=dict(os.environ), timeout=60)
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert done.returncode == 4 and len(lines) == 1 and "--record" in lines[0], lines


def test_under_xdist_each_worker_records_its_own_file(tmp_path):
    done = recordings.record(tmp_path / "rec", "-n", "2", "suites/protocol/test_sigv4.py",
                             report_dir=tmp_path / "reports")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    files = sorted(p.name for p in (tmp_path / "rec").iterdir())
    assert files == ["gw0.har", "gw1.har"]
    documents = [json.loads((tmp_path / "rec" / name).read_text()) for name in files]
    sent = json.loads((tmp_path / "reports" / "results.json").read_text())["run"]["requests"]
    assert sum(len(d["log"]["entries"]) for d in documents) == sent
    assert {d["log"]["_ecrconf"]["worker"] for d in documents} == {"gw0", "gw1"}


def test_a_plan_records_nothing(tmp_path):
    done = recordings.record(tmp_path / "rec", "--plan", "suites/protocol")
    assert done.returncode == 0 and not (tmp_path / "rec").exists()


def test_no_secret_in_what_replay_and_evidence_make_of_it(recorded, tmp_path, monkeypatch, capsys):
    """The recording replayed (with the same keys, against the reference) and turned into evidence: 0 secrets
    in their files and outputs."""
    import shutil

    from ecrconf.evidence.__main__ import main as evidence
    from ecrconf.replay.__main__ import main as replay
    from selftest.reference import ReferenceEcr
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEYS.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", KEYS.secret_key)
    monkeypatch.setenv("AWS_SESSION_TOKEN", KEYS.token)
    with ReferenceEcr(keys=KEYS) as url:
        replay([str(recorded[0] / "rec"), f"--endpoint={url}", f"--report={tmp_path / 'replay.json'}",
                f"--markdown={tmp_path / 'replay.md'}"])
    shutil.copytree(recorded[0] / "rec", tmp_path / "aws")
    recordings.as_if_from_aws(tmp_path / "aws")
    assert evidence([str(tmp_path / "aws"), f"--out={tmp_path / 'evidence'}"]) == 0
    out = capsys.readouterr()
    texts = [out.out, out.err, *(p.read_text() for p in tmp_path.rglob("*") if p.is_file() and p.suffix != ".har")]
    assert len(texts) == 5  # the outputs, the replay's JSON and Markdown, the evidence file
    assert [s[:6] for s in (KEYS.secret_key, KEYS.token, KEYS.access_key) for text in texts if s in text] == []
