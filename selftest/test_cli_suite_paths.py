"""``ecrconf run suites/stateful`` names the same suites installed as in a checkout: a path under ``suites/``
that is not where the run starts is the package's copy (it is "pytest in the repository", README)."""

from __future__ import annotations

from ecrconf import cli, paths


def _tests(args: list[str]) -> list[str]:
    made = cli.pytest_arguments(args)
    return made[next(i for i, a in enumerate(made) if a.startswith("--rootdir=")) + 1:]


def test_an_installed_run_finds_a_suite_named_as_in_the_repository(tmp_path, monkeypatch):
    (tmp_path / "suites" / "stateful").mkdir(parents=True)
    (tmp_path / "suites" / "stateful" / "test_registry_machine.py").write_text("")
    monkeypatch.setattr(paths, "INSTALLED", True)
    monkeypatch.setattr(paths, "ROOT", tmp_path)
    monkeypatch.chdir(tmp_path.parent)  # the run starts elsewhere, as a CI job does
    node = "suites/stateful/test_registry_machine.py::test_layers"
    assert _tests(["-q", "suites/stateful", node]) == [
        "-q", str(tmp_path / "suites" / "stateful"), str(tmp_path / node)]


def test_other_arguments_are_left_as_given(tmp_path, monkeypatch):
    (tmp_path / "suites" / "stateful").mkdir(parents=True)
    monkeypatch.setattr(paths, "ROOT", tmp_path)
    monkeypatch.chdir(tmp_path.parent)
    monkeypatch.setattr(paths, "INSTALLED", False)  # a checkout: pytest resolves paths from where it starts
    assert _tests(["suites/stateful"]) == ["suites/stateful"]
    monkeypatch.setattr(paths, "INSTALLED", True)
    # not in the package (a folder of one's own, an option's value), or a folder of that name where it starts
    (tmp_path.parent / "mine" / "suites" / "x").mkdir(parents=True)
    assert _tests(["suites/nothere", "-k", "stateful", "--report-dir=suites/stateful", "mine/suites/x"]) == [
        "suites/nothere", "-k", "stateful", "--report-dir=suites/stateful", "mine/suites/x"]
    monkeypatch.chdir(tmp_path)
    assert _tests(["suites/stateful"]) == ["suites/stateful"]
