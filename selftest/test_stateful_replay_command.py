"""The replay command a stateful failure prints reproduces the verdict: it carries the options that decided it
(--expectations=none turned a known deviation into a failure) and, installed, names a path that resolves."""

import shlex
from pathlib import Path
from types import SimpleNamespace

from ecrconf import paths
from ecrconf.run import stateful


def _request(root: Path, **options):
    defaults = dict(region=None, aws_profile=None, target=None, expectations=None, consistency_wait=None,
                    evidence="observed")
    defaults.update(options)
    return SimpleNamespace(config=SimpleNamespace(option=SimpleNamespace(**defaults), rootpath=root),
                           node=SimpleNamespace(path=root / "suites" / "stateful" / "test_registry_machine.py",
                                                name="test_answers"))


def test_replay_carries_the_options_that_decided_the_verdict(tmp_path):
    request = _request(tmp_path, expectations="none", region="eu-west-1", target="my thing", evidence="inferred")
    target = SimpleNamespace(embedded=False, redacted_endpoint=lambda: "http://127.0.0.1:9/")
    words = shlex.split(stateful.replay_command(request, target, "/r/p q.json"))
    assert "--expectations=none" in words and "--region=eu-west-1" in words and "--target=my thing" in words
    assert "--evidence=inferred" in words and "--endpoint=http://127.0.0.1:9/" in words
    assert "--replay-steps=/r/p q.json" in words and words[-2:] == ["-k", "test_answers"]


def test_installed_replay_names_a_path_that_resolves_from_anywhere(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "INSTALLED", True)
    request = _request(tmp_path)
    words = shlex.split(stateful.replay_command(request, SimpleNamespace(embedded=True), "/p.json"))
    assert words[:2] == ["ecrconf", "run"] and Path(words[2]).is_absolute()
    assert not any(word.startswith("--expectations") for word in words)


def test_a_run_of_the_ministack_runner_replays_through_the_runner(tmp_path, monkeypatch):
    """The runner's MiniStack is gone when its run ends, and so are its dummy credentials: the replay starts
    another through the runner (which names the endpoint and target), not pytest at a port nobody answers."""
    from ecrconf.run import ministack

    env = ministack.pytest_environment("/opt/ms/bin/ministack")
    monkeypatch.setenv(stateful.REPLAY_RUNNER_ENV, env[stateful.REPLAY_RUNNER_ENV])
    request = _request(tmp_path, expectations="none", target="ministack-1.5.33")
    target = SimpleNamespace(embedded=False, redacted_endpoint=lambda: "http://127.0.0.1:9/")
    words = shlex.split(stateful.replay_command(request, target, "/p.json"))
    assert words[:6] == ["python", "-m", "ecrconf.run.ministack", "--ministack", "/opt/ms/bin/ministack", "--"]
    assert not any(word.startswith(("--endpoint", "--target")) for word in words)
    assert "--expectations=none" in words and words[-3:] == ["--replay-steps=/p.json", "-k", "test_answers"]
    assert env["AWS_ACCESS_KEY_ID"] == "test" and stateful.REPLAY_RUNNER_ENV in env
