"""replay --endpoint with a region that is no region name: bad input, one line, exit 4 (it was sent, and the
target's refusal read as 'not an ECR endpoint', 8)."""

import json

from ecrconf.replay import __main__ as replay_main


def test_bad_region_is_bad_input(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "y")
    recording = tmp_path / "rec"
    recording.mkdir()
    meta = {"endpoint": "http://127.0.0.1:9", "region": "us-east-1", "realAws": False, "target": "t",
            "prefix": "ecrconf-abc123", "worker": "main", "suiteVersion": "0.1.0", "botocoreVersion": "1",
            "checks": [], "outcomes": {}, "recorded": "2026-11-30T00:00:00+00:00"}
    log = {"version": "1.2", "creator": {"name": "ecrconf", "version": "0.1.0"}, "pages": [], "entries": [],
           "_ecrconf": meta}
    (recording / "main.har").write_text(json.dumps({"log": log}))
    status = replay_main.main([str(recording), "--endpoint=http://127.0.0.1:1", "--region=bad region!"])
    err = capsys.readouterr().err
    assert status == 4, err  # port 1: a probe would have answered 7
    assert "not a region name" in err and err.count("\n") == 1, err
