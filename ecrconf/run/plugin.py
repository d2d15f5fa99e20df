"""The pytest plugin: options, the target, fixtures, Hypothesis profiles, evidence and expectations.

The outputs of a run (records, console summary, report files) are in ``ecrconf.report.reporting``.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings

from ecrconf import __version__
from ecrconf.report import reporting
from ecrconf.run import collection, expectations, ini, options, plan, settle, shrinking
from ecrconf.spec import schemas
from ecrconf.wire import interrupts, pacing, retries
from ecrconf.wire.client import EcrClient
from ecrconf.generate import listings, programs, tables
from ecrconf.resources import Resources, SetupFailed, sweeper
from ecrconf.resources.registry import RegistryHold, RegistryWrites
from ecrconf.resources.turns import Turns, remove_files as remove_turn_files
from ecrconf.resources.world import World
from ecrconf.run.target import (EMBEDDED_CREDENTIALS, EXIT_NEEDS_CONSENT, EmbeddedMoto, Target, TargetUnusable,
                            is_real_aws, probe, resolve_credentials, resolve_region, strip_userinfo,
                            validate_endpoint)

# The run's optional parts, each a plugin of its own: --record (HAR 1.2 recordings), --plan.
pytest_plugins = ["ecrconf.run.recorder", "ecrconf.run.plan"]

# No explain phase in the gating profile: it replays a failure dozens of times against the target
# (39 s for one StartImageScan test against moto) to annotate the minimal example.
settings.register_profile(
    "conformance", deadline=None, derandomize=True, database=None, print_blob=True, max_examples=25,
    report_multiple_bugs=False, suppress_health_check=[HealthCheck.too_slow],
    phases=[phase for phase in Phase if phase != Phase.explain])
settings.register_profile(
    "thorough", deadline=None, derandomize=False, max_examples=300, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("conformance")

TARGET = pytest.StashKey[Target]()
TURNS = pytest.StashKey[Turns]()
RUN_ID = pytest.StashKey[str]()
# The expectations file the run applies (None: none) and, for the header, why none.
EXPECTATIONS = pytest.StashKey[tuple[Path | None, str]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    options.add(parser)


@pytest.hookimpl(tryfirst=True)  # before junitxml reads its path
def pytest_configure(config: pytest.Config) -> None:
    ini.apply(config)
    config.pluginmanager.register(reporting, "ecrconf-reporting-hooks")
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:  # an xdist worker: the controller already chose the target
        config.stash[TARGET] = Target(**workerinput["ecr_target"])
        config.stash[RUN_ID] = workerinput["ecr_run_id"]
        path = workerinput["ecr_expectations"]
        config.stash[EXPECTATIONS] = (Path(path) if path else None, "")
        _stop_on_signals(config, worker=True)
        return
    config.stash[RUN_ID] = secrets.token_hex(3)
    if config.option.max_rps:  # the run's shared pace (ecrconf.wire.pacing), gone with the run
        config.add_cleanup(lambda: pacing.slots_file(config.stash[RUN_ID]).unlink(missing_ok=True))
    _stop_on_signals(config, worker=False)
    report_dir = config.option.report_dir
    if report_dir and not config.option.xmlpath:
        config.option.xmlpath = str(report_dir / "junit.xml")
    config.pluginmanager.register(
        reporting.RunReport(config, lambda: run_fingerprint(config), report_dir, config.option.baseline),
        "ecrconf-run-report")


def _stop_on_signals(config: pytest.Config, *, worker: bool) -> None:
    note = f"repositories named ecrconf-{config.stash[RUN_ID]}-* may remain"
    config.pluginmanager.register(interrupts.Plugin(config, worker=worker, abandon_note=note), "ecrconf-interrupts")


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> int | None:
    """Check every input before anything runs, on the controller (so also once under xdist).

    A bad option, file or directory ends the run in one line with exit 4 (pytest.UsageError); an
    unusable --endpoint in one line with its own exit status (ecrconf.run.target). A user:password in
    --endpoint is dropped here, with a one-line warning, so that nothing downstream ever sees it.
    """
    opt = config.option
    if hasattr(config, "workerinput") or _informational(opt):
        return None
    if opt.report_dir:  # first: a run that stops early must not leave an earlier run's reports standing
        options.check_report_dir(opt.report_dir)
        reporting.clear_reports(opt.report_dir)
    if opt.endpoint:
        try:
            endpoint = validate_endpoint(opt.endpoint)  # without the userinfo; a malformed URL raises
            _, had_userinfo = strip_userinfo(opt.endpoint)
            opt.endpoint = endpoint
        except ValueError as exc:
            raise pytest.UsageError(str(exc)) from None
        if had_userinfo:
            sys.stderr.write("ecrconf: the user:password in --endpoint is ignored; "
                             "SigV4 credentials come from the AWS credential chain\n")
    try:
        tables.tables()  # a broken operation table is bad input: one line, before anything runs
        listings.listings()  # so is a broken listing table (fixtures/pagination.toml)
    except tables.TableInvalid as exc:
        raise pytest.UsageError(str(exc)) from None
    if opt.replay_steps:  # a program that cannot be replayed is bad input: one line, before anything runs
        try:
            programs.load(opt.replay_steps)
        except programs.ProgramInvalid as exc:
            raise pytest.UsageError(str(exc)) from None
    if opt.fail_on_regression and not opt.baseline:
        raise pytest.UsageError("--fail-on-regression needs --baseline=RESULTS_JSON")
    target_name = opt.target or ("" if opt.endpoint else EmbeddedMoto.name())
    config.stash[EXPECTATIONS] = options.choose_expectations(opt, target_name)
    if not opt.endpoint:  # embedded moto, started (or, for --plan, not) at session start
        plan.wanted(config)
        return None
    region = resolve_region(opt.region)
    options.check_region(region)
    target = Target(opt.endpoint, region, opt.target or "")
    if plan.wanted(config):  # --plan: print what the run would do; send nothing (the header names this target)
        config.stash[TARGET] = target
        return None
    if is_real_aws(target.endpoint) and not opt.allow_aws:  # the plan, then the consent line (exit 9)
        plan.hold(config, status=EXIT_NEEDS_CONSENT, line=f"{target.redacted_endpoint()} is real AWS: the suite "
                  "creates and deletes repositories there; pass --allow-aws to consent")
        config.stash[TARGET] = target
        return None
    try:
        if not options.sends_nothing(opt):
            _probe(config, target)
    except TargetUnusable as exc:
        sys.stderr.write(f"ecrconf: {exc}\n")
        return exc.exit_status
    except KeyboardInterrupt:  # Ctrl-C, or (see _probe) SIGTERM/SIGHUP, while the probe waits
        sys.stderr.write(f"ecrconf: interrupted while probing {target.redacted_endpoint()}\n")
        return pytest.ExitCode.INTERRUPTED
    config.stash[TARGET] = target
    return None


def _probe(config: pytest.Config, target: Target) -> None:
    """probe() the target with the suite's stop signals raising KeyboardInterrupt (ecrconf.wire.interrupts).

    pytest_cmdline_main runs before pytest_configure, where the run installs its own handlers: without
    these, SIGTERM or SIGHUP would end the process silently while the probe waits on a hanging endpoint.
    """
    interrupts.install(worker=False, on_abandon=lambda line: sys.stderr.write(line + "\n"))
    try:
        probe(_client(config, target))
    finally:
        interrupts.uninstall()


def _informational(opt) -> bool:
    return bool(opt.help or opt.version or opt.markers or opt.showfixtures or opt.show_fixtures_per_test)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    if hasattr(config, "workerinput") or TARGET in config.stash:
        return
    name = config.option.target or EmbeddedMoto.name()
    if options.sends_nothing(config.option):  # no server needed
        config.stash[TARGET] = Target("", "us-east-1", name, embedded=True)
        return
    moto = EmbeddedMoto()
    config.stash[TARGET] = target = Target(moto.start(), "us-east-1", name, embedded=True)
    config.add_cleanup(moto.stop)
    config.add_cleanup(lambda: remove_turn_files(target.endpoint))  # only this run knows the endpoint


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:  # xdist's, called only when xdist runs workers
    target = node.config.stash[TARGET]
    node.workerinput["ecr_target"] = {"endpoint": target.endpoint, "region": target.region,
                                      "name": target.name, "embedded": target.embedded}
    node.workerinput["ecr_run_id"] = node.config.stash[RUN_ID]
    path = _expectations_file(node.config)
    node.workerinput["ecr_expectations"] = str(path) if path else None


def pytest_report_header(config: pytest.Config) -> list[str]:
    target = config.stash.get(TARGET, None)
    source = schemas.source()
    lines = [f"suite: ecrconf {__version__}",
             f"ECR model: botocore {source['botocoreVersion']} (sha256 {source['modelSha256'][:12]})",
             f"hypothesis profile: {settings.get_current_profile_name()}; evidence asserted: "
             f"{config.option.evidence} and stronger"]
    if EXPECTATIONS in config.stash:
        path, why = config.stash[EXPECTATIONS]
        lines.append(f"expectations: {options.shown(path)}" if path else f"expectations: none ({why})")
    rate = f"at most {config.option.max_rps:g} requests/s (all workers); " if config.option.max_rps else ""
    lines.append(f"requests: {rate}a throttled or unavailable answer retried up to {config.option.max_retries} "
                 "times")
    if target:
        kind = "embedded moto" if target.embedded else "endpoint"
        where = " ".join(filter(None, [kind, target.redacted_endpoint()]))  # --plan starts no moto: no URL
        lines.insert(0, f"target: {target.name or 'unnamed'} ({where}, "
                        f"region {target.region})")
    return lines


def run_fingerprint(config: pytest.Config) -> dict:
    target = config.stash.get(TARGET, None)
    source = schemas.source()
    seed = config.getoption("hypothesis_seed", None)
    derandomized = settings().derandomize
    return {
        "endpoint": target.redacted_endpoint() if target else "",
        "embedded": bool(target and target.embedded),
        "target": target.name if target else "",
        "region": target.region if target else "",
        "suite_version": __version__,
        "model": {"botocoreVersion": source["botocoreVersion"], "modelSha256": source["modelSha256"]},
        "hypothesis": {"profile": settings.get_current_profile_name(),
                       "seed": seed if seed is not None else ("derandomized" if derandomized else None)},
        "evidence": config.option.evidence,
        "expectations": options.shown(_expectations_file(config)),
    }


def _expectations_file(config: pytest.Config) -> Path | None:
    """The expectations file chosen (and checked) before the run; None when none applies."""
    path, _ = config.stash.get(EXPECTATIONS, (None, ""))
    return path


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    path = _expectations_file(config)
    collection.mark(items, known=expectations.load(path) if path else {}, strictest=config.option.evidence,
                    replaying=bool(config.option.replay_steps))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem):
    """Every check's turn with the registry (ecrconf.resources.turns): shared, or alone once it holds a
    registry-wide setting; it spans the check's setup, call and teardown (a world's restore among them)."""
    turns = _turns(item.config)
    turns.share()
    try:
        return (yield)
    finally:
        turns.end()


def _turns(config: pytest.Config) -> Turns:
    """This process's turns with the target's registry, made on first use."""
    if TURNS not in config.stash:
        config.stash[TURNS] = Turns(config.stash[TARGET].endpoint)
    return config.stash[TURNS]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    test = getattr(item, "obj", None)
    if not getattr(test, "is_hypothesis_test", False):
        return (yield)
    with shrinking.guarded(test, known=settle.KNOWN in item.stash):
        return (yield)


def _client(config: pytest.Config, target: Target) -> EcrClient:
    credentials = EMBEDDED_CREDENTIALS if target.embedded else resolve_credentials(config.option.aws_profile)
    rate, run_id = config.option.max_rps, config.stash.get(RUN_ID, None)
    pace = pacing.Pace(pacing.slots_file(run_id), rate) if rate and run_id else None  # None: the start-up probe
    return EcrClient(target.endpoint, target.region, credentials, timeout=config.option.request_timeout,
                     retry=retries.Policy(config.option.max_retries), pace=pace)


@pytest.hookimpl(tryfirst=True)  # before reporting reads the leftovers
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """On the xdist controller of an interrupted run: xdist kills a worker that has not ended 10 s after it
    was asked to, whatever its cleanup was doing, so the controller deletes what the run still has (by its
    name form and run tag: ecrconf.resources.sweeper) and names what it could not."""
    config = session.config
    target = config.stash.get(TARGET, None)
    if (hasattr(config, "workerinput") or not getattr(config.option, "numprocesses", None)
            or exitstatus != pytest.ExitCode.INTERRUPTED or target is None or not target.endpoint
            or options.sends_nothing(config.option)):  # --plan names its target and sends it nothing
        return
    with interrupts.deferred():
        deleted, problems = sweeper.sweep_run(_client(config, target), config.stash[RUN_ID])
    if deleted:
        sys.stderr.write(f"ecrconf: deleted {len(deleted)} repositories that stopped workers left: "
                         f"{', '.join(deleted[:5])}{' ...' if len(deleted) > 5 else ''}\n")
    config.stash.setdefault(reporting.LEFTOVERS, []).extend(problems)


@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config) -> Target:
    return pytestconfig.stash[TARGET]


@pytest.fixture(scope="session")
def client(pytestconfig: pytest.Config, target: Target) -> EcrClient:
    try:
        return _client(pytestconfig, target)
    except TargetUnusable as exc:
        pytest.exit(str(exc), returncode=exc.exit_status)


@pytest.fixture(scope="session")
def resources(pytestconfig: pytest.Config, client: EcrClient):
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    run_id = pytestconfig.stash[RUN_ID]
    made = Resources(client, f"ecrconf-{run_id}-{worker}", run_id=run_id)
    yield made
    with interrupts.deferred():  # a signal now must not cut the cleanup short
        problems = made.cleanup()
    # Reported with the run's verdict (reporting.py): what could not be deleted fails the run.
    pytestconfig.stash.setdefault(reporting.LEFTOVERS, []).extend(problems)


@pytest.fixture(scope="session")
def registry_writes(pytestconfig: pytest.Config, client: EcrClient, target: Target) -> RegistryWrites:
    """Whether checks may change state of the whole registry (ecrconf.resources.registry), and its lock."""
    on_aws = is_real_aws(target.endpoint)
    return RegistryWrites(client, _turns(pytestconfig), on_aws=on_aws,
                          allowed=not on_aws or pytestconfig.option.allow_registry_writes)


@pytest.fixture
def world(resources: Resources, client: EcrClient, registry_writes: RegistryWrites):
    """The check's World (ecrconf.resources.world: what the operation tables' placeholders name). When the
    check ends, registry-wide items it made are deleted and held settings put back; a setting that could
    not be is an error of the check."""
    made = World(resources, client.region, RegistryHold(registry_writes))
    yield made
    with interrupts.deferred():
        problems = made.close()
    if problems:
        raise SetupFailed("; ".join(problems))


@pytest.fixture(scope="session")
def scan_timeout(pytestconfig: pytest.Config) -> float:
    return pytestconfig.option.scan_timeout
