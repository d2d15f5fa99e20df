"""Delete what interrupted runs of the suite left on a target (ecrconf.resources.sweeper).

    python -m ecrconf.sweep --endpoint=URL [--region=NAME] [--aws-profile=NAME] [--older-than=2h]
                            [--dry-run] [--allow-aws]

Only repositories named as a run names them (``ecrconf-<run>-<worker>-...``) AND tagged ``ecrconf:run=<that
run>`` AND created longer ago than --older-than (default 2h: a run still under way is not swept) are
deleted, with their images. Each repository of that name form is listed with what is done and why;
--dry-run lists and deletes nothing. Credentials come from the AWS chain, as for the suite; a real AWS
endpoint needs --allow-aws.

Exit status: 0 done (or nothing to do, or --dry-run); 1 some leftover could not be deleted, or the registry
could not be listed; 4 bad input; 6 no credentials; 7 the endpoint cannot be reached; 8 it does not answer
in awsJson1_1; 9 real AWS without --allow-aws (the suite's own statuses); 2 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import datetime
import re
import sys

from ecrconf.report.results_file import EXIT_BAD_INPUT
from ecrconf.run.options import REGION_NAME
from ecrconf.resources import sweeper
from ecrconf.run.target import (EXIT_NEEDS_CONSENT, Target, TargetUnusable, is_real_aws, probe,
                                resolve_credentials, resolve_region, validate_endpoint)
from ecrconf.wire.client import EcrClient

EXIT_NOT_ALL_DELETED = 1
EXIT_INTERRUPTED = 2
_AGE = re.compile(r"(?P<n>[0-9]+(?:\.[0-9]+)?)(?P<unit>[smhd]?)")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def age(text: str) -> datetime.timedelta:
    """--older-than: a number with an optional unit s, m, h or d ("90m", "2h", "0"); ValueError otherwise."""
    match = _AGE.fullmatch(text.strip())
    if not match:
        raise ValueError(f"--older-than must be a number with an optional unit s, m, h or d (e.g. 2h), got {text!r}")
    try:
        return datetime.timedelta(seconds=float(match["n"]) * _UNIT_SECONDS[match["unit"]])
    except OverflowError:
        raise ValueError(f"--older-than is too long to be an age, got {text!r}") from None


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line and the suite's bad-input status, not usage and 2
        self.exit(EXIT_BAD_INPUT, f"ecrconf.sweep: {message}\n")


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = _Parser(prog="python -m ecrconf.sweep", description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", required=True, metavar="URL", help="the ECR endpoint the runs used")
    parser.add_argument("--region", help="region to sign for (default: as the suite chooses it)")
    parser.add_argument("--aws-profile", metavar="NAME", help="AWS shared-config profile for credentials")
    parser.add_argument("--older-than", default="2h", metavar="AGE",
                        help="delete only leftovers created longer ago than this (default 2h; 0: all)")
    parser.add_argument("--dry-run", action="store_true", help="list what would be deleted, delete nothing")
    parser.add_argument("--allow-aws", action="store_true", help="consent to delete on a real AWS account")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    options = _arguments(argv)
    try:
        older_than = age(options.older_than)
        endpoint = validate_endpoint(options.endpoint)
        region = resolve_region(options.region)
        if not REGION_NAME.fullmatch(region):  # signed into every request: the target would refuse them all
            raise ValueError(f"the region to sign for is not a region name: {region!r} (from --region, AWS_REGION, "
                             "AWS_DEFAULT_REGION or the AWS config)")
    except ValueError as exc:
        print(f"ecrconf.sweep: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    target = Target(endpoint, region, "")
    try:
        if is_real_aws(endpoint) and not options.allow_aws:
            raise TargetUnusable(f"{target.redacted_endpoint()} is real AWS: pass --allow-aws to consent to "
                                 "deleting there", EXIT_NEEDS_CONSENT)
        client = EcrClient(endpoint, target.region, resolve_credentials(options.aws_profile))
        probe(client)
        found = sweeper.leftovers(client, older_than=older_than, now=datetime.datetime.now(datetime.timezone.utc))
    except TargetUnusable as exc:
        print(f"ecrconf.sweep: {exc}", file=sys.stderr)
        return exc.exit_status
    except sweeper.SweepFailed as exc:
        print(f"ecrconf.sweep: cannot list {target.redacted_endpoint()}: {exc}", file=sys.stderr)
        return EXIT_NOT_ALL_DELETED
    problems = []
    for leftover in found:
        print(leftover.line(dry_run=options.dry_run))
        if leftover.delete and not options.dry_run:
            problem = sweeper.delete(client, leftover)
            if problem:
                problems.append(problem)
                print(f"  {problem}")
    chosen = sum(f.delete for f in found)
    verb = "would delete" if options.dry_run else "deleted"
    print(f"ecrconf.sweep: {target.redacted_endpoint()}: {verb} {chosen - len(problems)} of {len(found)} "
          f"repositories named as the suite's runs name them; kept {len(found) - chosen}"
          + (f"; {len(problems)} could not be deleted" if problems else ""))
    return EXIT_NOT_ALL_DELETED if problems else 0


def _run() -> int:
    """main(), with Ctrl-C ending it in one line (exit 2, as an interrupted run of the suite)."""
    try:
        return main()
    except KeyboardInterrupt:
        print("ecrconf.sweep: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(_run())
