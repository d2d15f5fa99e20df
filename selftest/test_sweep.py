"""Nothing left behind, even after ``kill -9``: every repository a run makes carries the run tag, and
``python -m ecrconf.sweep`` deletes what a killed run left, only that (ecrconf/resources/sweeper.py).

The suite runs under ``-n 2`` in a subprocess against the strict reference on loopback; once the reference
holds repositories of the run, the run's whole process group is killed with SIGKILL, so that no handler of
the run can clean anything up. Repositories made beforehand (one with the run name form but no tag, one
whose tag names another run, one with neither mark) must survive every sweep. No output may show the secret
key or the session token the run and the sweeper sign with.
"""

from __future__ import annotations

import datetime
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ecrconf import sweep
from ecrconf.resources import RUN_TAG_KEY, Resources, RunTagRefused, sweeper
from ecrconf.wire.client import Credentials, EcrClient
from selftest.reference import ACCOUNT_ID, REGION, Behaviour, KeyPair, ReferenceEcr

ROOT = Path(__file__).resolve().parent.parent
KEYS = KeyPair("ASIASWEEPTEST0000000", "sweep/secret/key/never/printed", token="sweep-session-token-never-printed")
WAIT = 120  # seconds: the bound on anything a case waits for
# Made before the run, never the sweeper's to delete: the name form without the tag, the tag of another run
# than the name says, and neither mark.
UNTAGGED = "ecrconf-0a1b2c-gw0-1"
MISMATCHED = "ecrconf-0a1b2c-main-2"
STRANGER = "someone-elses/repository"


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=KEYS.access_key, AWS_SECRET_ACCESS_KEY=KEYS.secret_key,
               AWS_SESSION_TOKEN=KEYS.token, AWS_REGION=REGION, AWS_EC2_METADATA_DISABLED="true")
    return env


def client(url: str) -> EcrClient:
    return EcrClient(url, REGION, Credentials(KEYS.access_key, KEYS.secret_key, KEYS.token), timeout=10)


def repositories(reference: ReferenceEcr) -> dict[str, dict[str, str]]:
    """{name: its tags} of every repository the reference holds."""
    store = reference.pipeline.context.store
    with store.lock:
        return {name: dict(repo.resource_tags) for name, repo in store.repositories(ACCOUNT_ID).items()}


def sweep_run(url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ecrconf.sweep", f"--endpoint={url}", *args], cwd=ROOT,
                          env=environment(), capture_output=True, text=True, timeout=WAIT)


def no_secret(*outputs: str) -> None:
    for output in outputs:
        assert KEYS.secret_key not in output and KEYS.token not in output


@pytest.fixture
def reference():
    server = ReferenceEcr(Behaviour(), keys=KEYS)
    url = server.start()
    maker = client(url)
    for name, tags in ((UNTAGGED, []), (MISMATCHED, [{"Key": RUN_TAG_KEY, "Value": "ffffff"}]), (STRANGER, [])):
        assert maker.call("CreateRepository", {"repositoryName": name, "tags": tags}).status == 200
    yield server
    server.stop()


def test_after_sigkill_the_sweeper_deletes_the_runs_repositories_and_nothing_else(reference, tmp_path):
    url = reference.url
    before = repositories(reference)
    run = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2", f"--endpoint={url}",
         "--expectations=none", f"--report-dir={tmp_path / 'report'}", "suites/semantics"],
        cwd=ROOT, env=environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True)
    try:
        deadline = time.monotonic() + WAIT
        while len(set(repositories(reference)) - set(before)) < 3:
            assert run.poll() is None, "the run ended before it made 3 repositories"
            assert time.monotonic() < deadline, f"the run made no 3 repositories in {WAIT}s"
            time.sleep(0.02)
    finally:
        os.killpg(run.pid, signal.SIGKILL)  # the run and its workers: no handler runs
        out, err = run.communicate(timeout=WAIT)
    assert run.returncode == -signal.SIGKILL

    made = {name: tags for name, tags in repositories(reference).items() if name not in before}
    assert made, "the run was killed before anything of it was left"
    run_ids = {sweeper.RUN_NAME.fullmatch(name)["run"] for name in made}
    assert len(run_ids) == 1
    run_id = run_ids.pop()
    assert all(tags.get(RUN_TAG_KEY) == run_id for tags in made.values()), made  # every one carries the run tag

    young = sweep_run(url, "--older-than=1h")  # the run's repositories are seconds old
    dry = sweep_run(url, "--older-than=0", "--dry-run")
    assert (young.returncode, dry.returncode) == (0, 0), young.stderr + dry.stderr
    assert set(repositories(reference)) == set(before) | set(made)  # neither deleted anything
    for name in made:
        assert f"would delete {name}" in " ".join(dry.stdout.split()), dry.stdout
    assert f"would delete {len(made)} of {len(made) + 2} " in dry.stdout

    done = sweep_run(url, "--older-than=0")
    assert done.returncode == 0, done.stdout + done.stderr
    left = repositories(reference)
    assert not [name for name in left if name.startswith(f"ecrconf-{run_id}-")]  # nothing of the run remains
    assert left == before  # what was there before is untouched, tags and all
    assert f"deleted {len(made)} of {len(made) + 2} " in done.stdout
    for name, why in ((UNTAGGED, f"no {RUN_TAG_KEY} tag"), (MISMATCHED, "says run 'ffffff'")):
        line = next(line for line in done.stdout.splitlines() if name in line)
        assert line.startswith("keep") and why in line, line
    assert STRANGER not in done.stdout  # not even considered
    no_secret(out, err, young.stdout, young.stderr, dry.stdout, dry.stderr, done.stdout, done.stderr,
              *(path.read_text() for path in (tmp_path / "report").glob("*") if path.is_file()))


def test_leftovers_are_chosen_by_name_tag_and_age(reference):
    """sweeper.leftovers on its own: the age is measured from createdAt, against the time given."""
    maker = client(reference.url)
    ours = "ecrconf-abcdef-gw1-3"
    assert maker.call("CreateRepository", {"repositoryName": ours,
                                           "tags": [{"Key": RUN_TAG_KEY, "Value": "abcdef"}]}).status == 200
    now = datetime.datetime.now(datetime.timezone.utc)
    soon = {f.name: f for f in sweeper.leftovers(maker, older_than=datetime.timedelta(hours=2), now=now)}
    later = {f.name: f for f in sweeper.leftovers(maker, older_than=datetime.timedelta(hours=2),
                                                   now=now + datetime.timedelta(hours=3))}
    assert sorted(soon) == sorted(later) == sorted([ours, UNTAGGED, MISMATCHED])
    assert not any(f.delete for f in soon.values())
    assert [name for name, f in later.items() if f.delete] == [ours]
    assert sweeper.delete(maker, later[ours]) is None
    assert ours not in repositories(reference)
    assert sweeper.delete(maker, later[ours]) is None  # already gone is done


@pytest.mark.parametrize(("args", "status", "says"), [
    ([], 4, "--endpoint"),
    (["--endpoint=ftp://x"], 4, "http:// or https://"),
    (["--endpoint=http://127.0.0.1:9", "--older-than=2 hours"], 4, "--older-than"),
    (["--endpoint=http://127.0.0.1:9", "--surprise"], 4, "unrecognized arguments"),
    (["--endpoint=https://api.ecr.eu-west-1.amazonaws.com"], 9, "--allow-aws"),
])
def test_bad_input_is_one_line_and_its_own_status(args, status, says, capsys, monkeypatch):
    for name, value in environment().items():
        monkeypatch.setenv(name, value)
    assert status_of(args) == status
    err = capsys.readouterr().err
    assert says in err and len(err.strip().splitlines()) == 1, err


def test_an_unreachable_endpoint_is_exit_7(capsys, monkeypatch):
    for name, value in environment().items():
        monkeypatch.setenv(name, value)
    with ReferenceEcr(Behaviour(), keys=KEYS) as url:
        pass  # its port is free again, and nothing listens there
    assert status_of([f"--endpoint={url}"]) == 7
    err = capsys.readouterr().err
    assert "cannot reach" in err and len(err.strip().splitlines()) == 1


def status_of(args: list[str]) -> int:
    """The exit status python -m ecrconf.sweep args ends with (argparse's own exits included)."""
    try:
        return sweep.main(args)
    except SystemExit as stop:
        return stop.code


def test_every_repository_of_a_run_carries_the_run_tag(reference):
    made = Resources(client(reference.url), "ecrconf-123abc-main", run_id="123abc")
    repository = made.repository()
    assert repositories(reference)[repository.name] == {RUN_TAG_KEY: "123abc"}
    assert made.run_tags() == [(RUN_TAG_KEY, "123abc")] and made.cleanup() == []


def test_a_target_that_refuses_tags_gets_repositories_without_the_run_tag_and_one_warning():
    refusing = ReferenceEcr(Behaviour(input_constraints={"CreateRepository.tags": {"maxItems": 0}}), keys=KEYS)
    with refusing as url:
        made = Resources(client(url), "ecrconf-123abc-main", run_id="123abc")
        with pytest.warns(RunTagRefused, match="refused CreateRepository with tags") as warned:
            names = [made.repository().name for _ in range(3)]
        assert len(warned) == 1 and made.tags_refused and made.run_tags() == []
        assert all(repositories(refusing)[name] == {} for name in names)
        assert made.cleanup() == [] and not repositories(refusing)
