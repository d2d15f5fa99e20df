"""The suite's command-line options, and the checks of every input before the run starts.

Every check raises ``pytest.UsageError``: one line, exit status 4, before any test runs (also under
xdist, since the controller checks its inputs before it starts workers).
"""

from __future__ import annotations

import math
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from ecrconf.run import expectations
from ecrconf.spec import evidence
from ecrconf.run.target import is_target_name
from ecrconf.wire import retries

MAX_RETRIES = 10  # --max-retries: beyond this a throttling target would hold one check for minutes


# The longest wait an option may ask for: a larger timeout, or a slower rate, overflows time_t deep in a request.
MAX_SECONDS = 86400.0


def positive_seconds(text: str) -> float:
    """A number of seconds greater than zero, at most MAX_SECONDS (the type of --request-timeout and
    --scan-timeout): more overflows the socket's and the clock's time.

    Raises pytest.UsageError (one line, exit 4) rather than argparse's ArgumentTypeError: pytest prints
    an argparse error with its usage line before it, two lines where one is due.
    """
    return _finite(text, within=lambda value: 0 < value <= MAX_SECONDS,
                   not_a_number="a timeout must be a number of seconds",
                   out_of_range=f"a timeout must be a number of seconds greater than 0 and at most {MAX_SECONDS:g} "
                                "(a day)")


def wait_seconds(text: str) -> float:
    """A number of seconds of zero or more, finite (the type of --consistency-wait); anything else is
    pytest.UsageError, one line (see positive_seconds)."""
    return _finite(text, within=lambda value: value >= 0,
                   not_a_number="--consistency-wait must be a number of seconds",
                   out_of_range="--consistency-wait must be a number of seconds of 0 or more")


def requests_per_second(text: str) -> float:
    """--max-rps: a number of requests a second of at least one a day (slower overflows the clock between
    two requests); else pytest.UsageError (one line, exit 4; see positive_seconds)."""
    wanted = f"--max-rps must be a number of requests a second of at least one a day ({1 / MAX_SECONDS:.3g})"
    return _finite(text, within=lambda value: value >= 1 / MAX_SECONDS, not_a_number=wanted, out_of_range=wanted)


def _finite(text: str, *, within: Callable[[float], bool], not_a_number: str, out_of_range: str) -> float:
    """text as a finite number for which within holds; pytest.UsageError saying not_a_number or
    out_of_range, with the text given, otherwise."""
    try:
        value = float(text)
    except ValueError:
        raise pytest.UsageError(f"{not_a_number}, got {text!r}") from None
    if not (math.isfinite(value) and within(value)):
        raise pytest.UsageError(f"{out_of_range}, got {text!r}")
    return value


def retry_count(text: str) -> int:
    """--max-retries: a whole number from 0 to MAX_RETRIES; else pytest.UsageError (see positive_seconds)."""
    if not (text.strip().isdigit() and int(text) <= MAX_RETRIES):
        raise pytest.UsageError(f"--max-retries must be a whole number from 0 to {MAX_RETRIES}, got {text!r}")
    return int(text)


def evidence_level(text: str) -> str:
    """An evidence level (ecrconf.spec.evidence.LEVELS); anything else is pytest.UsageError, one line (see positive_seconds)."""
    if text not in evidence.LEVELS:
        raise pytest.UsageError(f"--evidence must be one of {', '.join(evidence.LEVELS)}, got {text!r}")
    return text


def target_name(text: str) -> str:
    """A --target name (ecrconf.run.target.TARGET_NAME): it picks expectations/NAME.toml, so a path such as
    ``/tmp/x/evil`` or ``../x`` is refused, pytest.UsageError (one line, exit 4; see positive_seconds)."""
    if not is_target_name(text):
        raise pytest.UsageError(f"--target must be 1-100 letters, digits, '.', '_' or '-', starting with a "
                                f"letter or digit, got {text!r}")
    return text


# botocore's own rule for a region name (botocore.utils.validate_region_name): a host label, not all digits.
REGION_NAME = re.compile(r"(?![0-9]+$)(?!-)[a-zA-Z0-9-]{1,63}(?<!-)")


def region_name(text: str) -> str:
    """A --region value: a region name as botocore accepts one (REGION_NAME), or empty (then the AWS chain's
    region applies); anything else, such as ``us east 1``, would be signed into every request and make the
    target refuse them all, so it is pytest.UsageError, one line (see positive_seconds)."""
    if text and not REGION_NAME.fullmatch(text):
        raise pytest.UsageError(f"--region must be a region name (letters, digits and '-', as in us-east-1), "
                                f"got {text!r}")
    return text


def check_region(region: str) -> None:
    """The region the run signs for, wherever it came from (--region, AWS_REGION, AWS_DEFAULT_REGION, the AWS
    config): pytest.UsageError, one line, when it is not a region name (REGION_NAME)."""
    if not REGION_NAME.fullmatch(region):
        raise pytest.UsageError(f"the region to sign for is not a region name: {region!r} (from AWS_REGION, "
                                "AWS_DEFAULT_REGION or the AWS config; --region=NAME overrides them)")


def endpoint_url(text: str) -> str:
    """A --endpoint value; an empty one (``--endpoint=$URL`` with URL unset) must not quietly test the
    embedded moto instead, so it is pytest.UsageError, one line (see positive_seconds). The URL itself is
    checked later (ecrconf.run.target.validate_endpoint), after its userinfo is taken out."""
    if not text.strip():
        raise pytest.UsageError("--endpoint is empty: give the URL of an ECR endpoint, or leave the option out "
                                "to test the embedded moto")
    return text


def report_dir(text: str) -> Path:
    """A --report-dir path; an empty one (which would write into the current directory unasked) is
    pytest.UsageError, one line (see positive_seconds)."""
    if not text.strip():
        raise pytest.UsageError("--report-dir must name a directory, got an empty value")
    return Path(text)


def add(parser: pytest.Parser) -> None:
    """Register the suite's options (pytest_addoption). Their names collide with no common plugin's."""
    group = parser.getgroup("ecr", "ECR conformance")
    option = group.addoption
    option("--endpoint", type=endpoint_url, metavar="URL",
        help="ECR endpoint to test (default: an embedded moto server)")
    option("--region", type=region_name, help="AWS region to sign for (default: AWS_REGION, the AWS config, us-east-1)")
    option("--aws-profile", metavar="NAME", help="AWS shared-config profile for credentials")
    option("--target", type=target_name, metavar="NAME",
        help="name of the target, picks expectations/NAME.toml (embedded default: moto-<version>)")
    option("--expectations", metavar="FILE",
        help="known-deviations file to apply (overrides --target); 'none' applies none")
    option("--evidence", type=evidence_level, choices=evidence.LEVELS, default="observed",
        help="weakest evidence a check may rest on and still fail the run; checks on weaker evidence "
             "run as advisory (default: observed, which includes documented)")
    # Names no common plugin uses: pytest-timeout owns --timeout.
    option("--request-timeout", type=positive_seconds, default=30.0, metavar="SECONDS",
        help="read timeout of one request (default 30)")
    option("--scan-timeout", type=positive_seconds, default=180.0, metavar="SECONDS",
        help="how long a started scan may take to reach COMPLETE or FAILED (default 180)")
    option("--max-rps", type=requests_per_second, metavar="N",
        help="send at most N requests a second, all xdist workers together (default: no limit)")
    option("--max-retries", type=retry_count, default=retries.DEFAULT_MAX_RETRIES, metavar="N",
        help="send a request again at most N times after a throttling or unavailable answer, with "
             f"exponential backoff and jitter (default {retries.DEFAULT_MAX_RETRIES}; 0: never)")
    option("--report-dir", type=report_dir, metavar="DIR", help="write results.json, junit.xml, report.html, summary.md")
    option("--baseline", type=Path, metavar="RESULTS_JSON", help="compare this run with an earlier results.json")
    option("--fail-on-regression", action="store_true",
        help="with --baseline: exit non-zero only when something regressed")
    option("--replay-steps", type=Path, metavar="FILE",
        help="the stateful suite runs exactly this program (a file a failure of suites/stateful saved), "
             "judged as before, with no Hypothesis draws")
    option("--consistency-wait", type=wait_seconds, metavar="SECONDS",
        help="how long the stateful suite re-reads while an invariant does not hold, for eventual consistency "
             "(default 0, on real AWS 5)")
    option("--allow-aws", action="store_true",
        help="consent to create (and delete) repositories and images on a real AWS account")
    option("--allow-registry-writes", action="store_true",
        help="on a real AWS account, also run the checks that change state of the whole registry (its "
             "policy, scanning, replication and signing configurations, account settings, pull-through cache "
             "rules, creation templates); the run puts that state back afterwards. Emulators: always run")


def check_report_dir(path: Path) -> None:
    """Create --report-dir and prove it writable now, not after the run. Raises pytest.UsageError, also
    for any OSError of the file system (a name too long, a permission, a file in the way)."""
    try:
        if path.exists() and not path.is_dir():
            raise pytest.UsageError(f"--report-dir {path} exists and is not a directory")
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        shown = path if len(str(path)) <= 100 else f"{str(path)[:100]}…"
        raise pytest.UsageError(f"--report-dir {shown} cannot be written: {exc.strerror or exc}") from None


def choose_expectations(opt, target_name: str) -> tuple[Path | None, str]:
    """(the expectations file to apply or None, why none), the file read and checked here.

    Raises pytest.UsageError when --expectations names no file or the file is not a valid
    expectations file (ecrconf.run.expectations.load).
    """
    if opt.expectations == "none":
        return None, "--expectations=none"
    if opt.expectations:
        path = Path(opt.expectations)
        try:
            found = path.is_file()
        except OSError as exc:  # a name too long for the file system
            raise pytest.UsageError(f"--expectations file cannot be read: {exc.strerror or exc}") from None
        if not found:
            raise pytest.UsageError(f"--expectations {path}: " + ("is a directory, not a file" if path.is_dir()
                                                                   else "file not found"))
    elif not target_name:
        return None, "no --target"
    else:
        path = expectations.path_for(target_name)
        if not path.is_file():
            return None, f"no {shown(path)}"
    try:
        expectations.load(path)
    except expectations.InvalidExpectations as exc:
        raise pytest.UsageError(f"expectations: {exc}") from None
    return path, ""


def shown(path: Path | None) -> str | None:
    """A path as a reader of the report knows it: relative to the project when inside it."""
    if path is None:
        return None
    root = expectations.ROOT.parent
    return str(path.resolve().relative_to(root)) if path.resolve().is_relative_to(root) else str(path)


def sends_nothing(opt) -> bool:
    """Whether pytest only lists (``--collect-only``, ``--fixtures``, ``--fixtures-per-test``): no check
    runs, so no target is started or probed and the run is neither complete nor incomplete."""
    return bool(opt.collectonly or opt.showfixtures or opt.show_fixtures_per_test)
