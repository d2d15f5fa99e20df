"""The pytest plugin: options, the target, fixtures, Hypothesis profiles, evidence and expectations.

The outputs of a run (records, console summary, report files) are in ``ecrconf.reporting``.
"""

from __future__ import annotations

import datetime
import os
import secrets
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from ecrconf import __version__, evidence, expectations, interrupts, reporting, results, schemas
from ecrconf.client import EcrClient
from ecrconf.resources import Resources
from ecrconf.target import (EMBEDDED_CREDENTIALS, EXIT_NEEDS_CONSENT, EmbeddedMoto, Target, TargetUnusable,
                            is_real_aws, probe, resolve_credentials, resolve_region, validate_endpoint)

settings.register_profile(
    "conformance", deadline=None, derandomize=True, database=None, print_blob=True, max_examples=25,
    report_multiple_bugs=False, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "thorough", deadline=None, derandomize=False, max_examples=300, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("conformance")

TARGET = pytest.StashKey[Target]()
RUN_ID = pytest.StashKey[str]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ecr", "ECR conformance")
    add = group.addoption
    add("--endpoint", metavar="URL", help="ECR endpoint to test (default: an embedded moto server)")
    add("--region", help="AWS region to sign for (default: AWS_REGION, the AWS config, us-east-1)")
    add("--aws-profile", metavar="NAME", help="AWS shared-config profile for credentials")
    add("--target", metavar="NAME",
        help="name of the target, picks expectations/NAME.toml (embedded default: moto-<version>)")
    add("--expectations", metavar="FILE",
        help="known-deviations file to apply (overrides --target); 'none' applies none")
    add("--evidence", choices=evidence.LEVELS, default="observed",
        help="weakest evidence a check may rest on and still fail the run; checks on weaker evidence "
             "run as advisory (default: observed, which includes documented)")
    add("--timeout", type=float, default=30.0, metavar="SECONDS", help="read timeout of one request (default 30)")
    add("--scan-timeout", type=float, default=180.0, metavar="SECONDS",
        help="how long a started scan may take to reach COMPLETE or FAILED (default 180)")
    add("--report-dir", type=Path, metavar="DIR", help="write results.json, junit.xml, report.html, summary.md")
    add("--baseline", type=Path, metavar="RESULTS_JSON", help="compare this run with an earlier results.json")
    add("--fail-on-regression", action="store_true",
        help="with --baseline: exit non-zero only when something regressed")
    add("--allow-aws", action="store_true",
        help="consent to create (and delete) repositories and images on a real AWS account")


@pytest.hookimpl(tryfirst=True)  # before junitxml reads its path
def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(reporting, "ecrconf-reporting-hooks")
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:  # an xdist worker: the controller already chose the target
        config.stash[TARGET] = Target(**workerinput["ecr_target"])
        config.stash[RUN_ID] = workerinput["ecr_run_id"]
        _stop_on_signals(config, worker=True)
        return
    config.stash[RUN_ID] = secrets.token_hex(3)
    _stop_on_signals(config, worker=False)
    report_dir = config.option.report_dir
    if report_dir and not config.option.xmlpath:
        config.option.xmlpath = str(report_dir / "junit.xml")
    if config.option.fail_on_regression and not config.option.baseline:
        raise pytest.UsageError("--fail-on-regression needs --baseline=RESULTS_JSON")
    config.pluginmanager.register(
        reporting.RunReport(config, lambda: run_fingerprint(config), report_dir, config.option.baseline),
        "ecrconf-run-report")


def _stop_on_signals(config: pytest.Config, *, worker: bool) -> None:
    note = f"repositories named ecrconf-{config.stash[RUN_ID]}-* may remain"
    config.pluginmanager.register(interrupts.Plugin(config, worker=worker, abandon_note=note), "ecrconf-interrupts")


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> int | None:
    """Check an explicit --endpoint before anything runs: an unusable target ends the run in one line."""
    opt = config.option
    if hasattr(config, "workerinput") or not opt.endpoint or _informational(opt):
        return None
    try:
        endpoint = validate_endpoint(opt.endpoint)
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None
    target = Target(endpoint, resolve_region(opt.region), opt.target or "")
    try:
        if is_real_aws(endpoint) and not opt.allow_aws:
            raise TargetUnusable(f"{endpoint} is real AWS: the suite creates and deletes repositories there; "
                                 "pass --allow-aws to consent", EXIT_NEEDS_CONSENT)
        if not opt.collectonly:
            probe(_client(config, target))
    except TargetUnusable as exc:
        sys.stderr.write(f"ecrconf: {exc}\n")
        return exc.exit_status
    config.stash[TARGET] = target
    return None


def _informational(opt) -> bool:
    return bool(opt.help or opt.version or opt.markers or opt.showfixtures or opt.show_fixtures_per_test)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    if hasattr(config, "workerinput") or TARGET in config.stash:
        return
    name = config.option.target or EmbeddedMoto.name()
    if config.option.collectonly:  # nothing will be sent: no server needed
        config.stash[TARGET] = Target("", "us-east-1", name, embedded=True)
        return
    moto = EmbeddedMoto()
    config.stash[TARGET] = Target(moto.start(), "us-east-1", name, embedded=True)
    config.add_cleanup(moto.stop)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:  # xdist's, called only when xdist runs workers
    target = node.config.stash[TARGET]
    node.workerinput["ecr_target"] = {"endpoint": target.endpoint, "region": target.region,
                                      "name": target.name, "embedded": target.embedded}
    node.workerinput["ecr_run_id"] = node.config.stash[RUN_ID]


def pytest_report_header(config: pytest.Config) -> list[str]:
    target = config.stash.get(TARGET, None)
    source = schemas.source()
    lines = [f"ECR model: botocore {source['botocoreVersion']} (sha256 {source['modelSha256'][:12]})",
             f"hypothesis profile: {settings.get_current_profile_name()}; evidence asserted: "
             f"{config.option.evidence} and stronger"]
    if target:
        kind = "embedded moto" if target.embedded else "endpoint"
        lines.insert(0, f"target: {target.name or 'unnamed'} ({kind} {target.redacted_endpoint()}, "
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
        "expectations": _shown(_expectations_file(config)),
    }


def _shown(path: Path | None) -> str | None:
    """A path as a reader of the report knows it: relative to the project when inside it."""
    if path is None:
        return None
    root = expectations.ROOT.parent
    return str(path.resolve().relative_to(root)) if path.resolve().is_relative_to(root) else str(path)


def _expectations_file(config: pytest.Config) -> Path | None:
    if config.option.expectations == "none":
        return None
    if config.option.expectations:
        path = Path(config.option.expectations)
        if not path.is_file():
            raise pytest.UsageError(f"--expectations file not found: {path}")
        return path
    target = config.stash.get(TARGET, None)
    if target and target.name and expectations.path_for(target.name).is_file():
        return expectations.path_for(target.name)
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    path = _expectations_file(config)
    known = expectations.load(path) if path else {}
    today = datetime.date.today()
    strictest = config.option.evidence
    for item in items:
        operation = item.get_closest_marker("operation")
        operation = operation.args[0] if operation else ""
        docstring = (getattr(item, "function", None) and item.function.__doc__) or item.name
        check = results.check_id(item.nodeid, operation)
        item.user_properties += [("check_id", check), ("operation", operation),
                                 ("requirement", docstring.strip().splitlines()[0])]
        marker = item.get_closest_marker("evidence")
        if marker:
            level, source = marker.args
            item.user_properties += [("evidence", level), ("source", source)]
            if evidence.advisory(level, strictest):
                item.add_marker(evidence.advisory_mark(level, strictest))
                continue
        entry = known.get(check)
        if entry and not entry.expired(today):
            item.add_marker(pytest.mark.xfail(reason=results.KNOWN_PREFIX + entry.seen, strict=True))


def _client(config: pytest.Config, target: Target) -> EcrClient:
    credentials = EMBEDDED_CREDENTIALS if target.embedded else resolve_credentials(config.option.aws_profile)
    return EcrClient(target.endpoint, target.region, credentials, timeout=config.option.timeout)


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
    made = Resources(client, f"ecrconf-{pytestconfig.stash[RUN_ID]}-{worker}")
    yield made
    with interrupts.deferred():  # a signal now must not cut the cleanup short
        problems = made.cleanup()
    for problem in problems:
        print(f"\ncleanup: {problem}")


@pytest.fixture(scope="session")
def scan_timeout(pytestconfig: pytest.Config) -> float:
    return pytestconfig.option.scan_timeout
