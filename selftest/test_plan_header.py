"""--plan with --endpoint: the header names that endpoint and region, not an embedded moto that never starts."""

from __future__ import annotations

from selftest.test_plan import run


def test_plan_header_names_the_endpoint_and_region():
    done = run("-v", "--plan", "-k", "stateful", "--endpoint=http://127.0.0.1:1", "--region=eu-west-2")
    header = next(line for line in done.stdout.splitlines() if line.startswith("target: "))
    assert done.returncode == 0
    assert header == "target: unnamed (endpoint http://127.0.0.1:1, region eu-west-2)", header


def test_plan_header_embedded_has_no_stray_space():
    done = run("-v", "--plan", "-k", "stateful")
    header = next(line for line in done.stdout.splitlines() if line.startswith("target: "))
    assert "(embedded moto, region us-east-1)" in header, header


def test_an_interrupted_plan_sends_no_sweep(monkeypatch):
    """--plan stashes its --endpoint's target for the header; an interrupted -n run must still send nothing."""
    from types import SimpleNamespace

    import pytest

    from ecrconf.run import plugin
    from ecrconf.run.target import Target

    config = SimpleNamespace(stash=pytest.Stash(), option=SimpleNamespace(
        numprocesses=2, collectonly=True, showfixtures=False, show_fixtures_per_test=False))
    config.stash[plugin.TARGET] = Target("http://127.0.0.1:1", "us-east-1", "")
    config.stash[plugin.RUN_ID] = "abc123"
    monkeypatch.setattr(plugin.sweeper, "sweep_run", lambda *a: pytest.fail("--plan sent a sweep"))
    plugin.pytest_sessionfinish(SimpleNamespace(config=config), pytest.ExitCode.INTERRUPTED)
