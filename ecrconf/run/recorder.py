"""``--record=DIR``: every exchange of the run saved as HAR 1.2 (``ecrconf.wire.recording``), secrets redacted.

One file per process, ``DIR/<worker>.har`` (``main.har`` for a serial run, ``gw0.har``, ``gw1.har``, ...
under pytest-xdist): each worker makes its own repositories under its own prefix, so each file replays on
its own, and nothing has to be merged after a worker that was stopped. A file is written when its process's
session ends, after the run's cleanup, so the deletions are in it. The controller empties DIR of ``*.har``
before the run, so a recording directory holds one run. Each entry's ``_checkId`` is the check it was sent
for (the start-up probe, sent before the session, is not recorded; the last teardown, which holds the run's
cleanup, is ``(end of session)``); ``log._ecrconf`` says the endpoint (without credentials), region, whether
it is real AWS, the run's name prefix, the worker, the suite and model versions, when it was written and
every check the process ran (``checks``, also those that sent nothing) with its outcome and evidence level
(``outcomes``, as results.json says them).
"""

from __future__ import annotations

import datetime
import json
import os
from pathlib import Path

import pytest

from ecrconf import __version__
from ecrconf.run import options, results
from ecrconf.spec import schemas
from ecrconf.wire import recording
from ecrconf.wire.exchange import Exchange

_RECORDER = pytest.StashKey["Recorder"]()
SESSION_END = "(end of session)"  # the label of the last teardown: the run's cleanup
_current: "Recorder | None" = None  # this process's (pytest_runtest_logreport has no config to find it by)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("ecr").addoption(
        "--record", metavar="DIR", type=_record_dir,
        help="save every exchange as HAR 1.2 in DIR/<worker>.har (credentials and tokens redacted)")


def _record_dir(text: str) -> Path:
    if not text.strip():
        raise pytest.UsageError("--record must name a directory, got an empty value")
    return Path(text)


def prepare(path: Path) -> None:
    """Create the recording directory and remove an earlier run's ``*.har`` from it. Raises
    pytest.UsageError (one line, exit 4) when it is a file or cannot be written."""
    try:
        if path.exists() and not path.is_dir():
            raise pytest.UsageError(f"--record {path} exists and is not a directory")
        path.mkdir(parents=True, exist_ok=True)
        for old in path.glob("*.har"):
            old.unlink()
        (path / ".probe").write_text("")
        (path / ".probe").unlink()
    except OSError as exc:
        raise pytest.UsageError(f"--record {str(path)[:100]} cannot be written: {exc.strerror or exc}") from None


class Recorder:
    """The entries of this process, labelled with the check in progress; written by ``save``."""

    def __init__(self, secrets: tuple[str, ...]) -> None:
        self.secrets = secrets
        self.label = ""
        self.entries: list[dict] = []
        self.checks: list[str] = []  # every check this process ran, also those that sent nothing
        self.outcomes: dict[str, dict] = {}  # check -> {"outcome": as results.json says, "evidence": level}

    def __call__(self, exchange: Exchange) -> None:
        self.entries.append(recording.entry(exchange, label=self.label, secrets=self.secrets))

    def save(self, path: Path, meta: dict) -> None:
        document = recording.har(self.entries, comment=f"ecrconf run against {meta['endpoint']}", meta=meta,
                                 creator_version=__version__)
        path.write_text(json.dumps(recording.redact(document, self.secrets), indent=1))


def pytest_cmdline_main(config: pytest.Config) -> None:
    # After the plugin's own checks (tryfirst there): a run that sends nothing (--plan, --collect-only) records nothing.
    if config.option.record and not hasattr(config, "workerinput") and not options.sends_nothing(config.option):
        prepare(config.option.record)


def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    if (not config.option.record or options.sends_nothing(config.option)
            or config.pluginmanager.getplugin("dsession") is not None):
        return  # nothing is sent; under xdist the controller sends nothing either: its workers record
    global _current
    recorder = _current = Recorder(_secrets(config))
    config.stash[_RECORDER] = recorder
    recording.install(recorder)


def _secrets(config: pytest.Config) -> tuple[str, ...]:
    """Every secret a request of this run can carry: the resolved credentials' secret key and session token,
    and the environment's (whichever the chain chose); and the access key id, which is no secret but names
    the account's user, and which ECR quotes back in some error messages."""
    from ecrconf.run.target import TargetUnusable, resolve_credentials
    found = [os.environ.get(name, "") for name in
             ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")]
    try:
        credentials = resolve_credentials(config.option.aws_profile)
        found += [credentials.access_key, credentials.secret_key, credentials.token or ""]
    except TargetUnusable:
        pass
    return tuple(sorted({s for s in found if s}, key=len, reverse=True))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem):
    recorder = item.config.stash.get(_RECORDER, None)
    if recorder is not None:
        recorder.label = dict(item.user_properties).get("check_id", item.nodeid)
        recorder.checks.append(recorder.label)
    return (yield)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem):
    """The last check's teardown also ends the session: the run's cleanup is labelled SESSION_END, not as
    that check's (it deletes every repository of the run)."""
    recorder = item.config.stash.get(_RECORDER, None)
    if recorder is not None and nextitem is None:
        recorder.label = SESSION_END
    return (yield)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Each check's outcome and evidence level, as its record in results.json has them."""
    recorder = _current
    found = results.outcome(report)
    if recorder is None or found is None:
        return
    said = dict(report.user_properties)
    recorder.outcomes[said.get("check_id", report.nodeid)] = {"outcome": found, "evidence": said.get("evidence")}


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    recorder = config.stash.get(_RECORDER, None)
    if recorder is None:
        return
    recording.uninstall()
    from ecrconf.run import plugin
    from ecrconf.run.target import is_real_aws
    target = config.stash.get(plugin.TARGET, None)
    endpoint = target.endpoint if target else ""
    # xdist's own name for this worker; not PYTEST_XDIST_WORKER, which a run started from a worker inherits.
    worker = getattr(config, "workerinput", {}).get("workerid", "main")
    source = schemas.source()
    meta = {"endpoint": target.redacted_endpoint() if target else "", "region": target.region if target else "",
            "realAws": bool(endpoint) and is_real_aws(endpoint), "target": target.name if target else "",
            "prefix": f"ecrconf-{config.stash[plugin.RUN_ID]}", "worker": worker, "suiteVersion": __version__,
            "botocoreVersion": source["botocoreVersion"], "checks": recorder.checks, "outcomes": recorder.outcomes,
            "recorded": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
    recorder.save(config.option.record / f"{worker}.har", meta)
