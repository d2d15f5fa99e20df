"""``python -m ecrconf.replay DIR [--endpoint=URL] [--region=NAME] [--report=FILE] [--markdown=FILE]``

Sends the requests of a recording (``pytest --record=DIR``) to another endpoint, in the order recorded, one
file after another, and reports per exchange where the answers differ in status, error type and response
shape (``ecrconf.replay.compare``). With no --endpoint it replays against an embedded moto server.

Each request is re-signed with the current credentials (the AWS chain, as the suite resolves it) for the
replay's region; names are mapped to the replay's own (``ecrconf.replay.names``), so the recorded
CreateRepository calls make the replay's repositories and the recorded cleanup deletes them. Whatever a
replayed CreateRepository made is deleted again at the end all the same (``ecrconf.resources``), and the
replay's prefix is printed should that fail.

Not replayed, and listed as such: a request whose body the recording omitted (larger than 1 MiB), one whose
signature the recorded check had altered (it cannot be re-signed as it was), and on real AWS, where the
replay needs --allow-aws, every call of an operation on state of the whole registry unless
--allow-registry-writes, and never a replication configuration or backfill (they copy images to another region).

Exit status: 0 the answers agree everywhere, 1 some differ (or a repository could not be deleted),
4 bad input (a recording or option that cannot be used, a report file that cannot be written), 6 no AWS
credentials, 7 the endpoint cannot be reached, 8 it does not speak awsJson1_1, 9 real AWS without --allow-aws.
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import sys
from pathlib import Path

from ecrconf.generate import tables
from ecrconf.replay import compare, har, report
from ecrconf.replay.names import Names
from ecrconf.report import results_file
from ecrconf.report.reporting import unwritable_file
from ecrconf.run.options import REGION_NAME
from ecrconf.resources import Resources
from ecrconf.run.target import (EMBEDDED_CREDENTIALS, EXIT_NEEDS_CONSENT, EmbeddedMoto, TargetUnusable,
                                is_real_aws, probe, resolve_credentials, resolve_region, strip_userinfo,
                                validate_endpoint)
from ecrconf.wire import interrupts
from ecrconf.wire.client import EcrClient

EXIT_DIFFERENT = 1
EXIT_BAD_INPUT = 4
# Headers the client sets itself on every request it signs: never copied from the recording.
_SIGNING = {"authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256", "content-length", "host"}
# Never sent to AWS, as the suite never sends them there: they copy the registry's images to another region.
NEVER_ON_AWS = frozenset({"PutReplicationConfiguration", "StartReplicationBackfill"})
_SIGNED = re.compile(r"AWS4-HMAC-SHA256 Credential=[^/\s]+/\d{8}/[a-z0-9-]+/ecr/aws4_request, "
                     r"SignedHeaders=[a-z0-9;-]+, Signature=<redacted>")


class Replayed(Resources):
    """The replay's own repositories: those its replayed CreateRepository calls made, deleted by cleanup()."""

    def adopt(self, name: str, registry_id: object) -> None:
        with self._lock:
            self._created[name] = registry_id or None


def why_not(entry: dict, on_aws: bool, allow_registry_writes: bool) -> str | None:
    """Why an entry is not replayed, or None when it is."""
    if har.request_body(entry) is None:
        return "not replayed: the recording omitted the request body (larger than 1 MiB)"
    authorization = har.headers(entry["request"]).get("Authorization")
    if authorization is not None and not _SIGNED.fullmatch(authorization):
        return "not replayed: the recorded check altered the signature, which cannot be re-signed as it was"
    operation = entry.get("_operation", "")
    if on_aws and operation in NEVER_ON_AWS:
        return "never replayed on AWS: it would copy the registry's images to another region"
    if on_aws and not allow_registry_writes and operation in _registry_wide():
        return "not replayed on AWS without --allow-registry-writes: it changes state of the whole registry"
    return None


def _registry_wide() -> frozenset[str]:
    return frozenset(t.operation for t in tables.tables() if t.account_wide)


def replay_entry(client: EcrClient, names: Names, entry: dict):
    """Send one recorded request with the replay's names, re-signed; learn identifiers from the answer.
    Returns (the recorded exchange, the replayed one)."""
    recorded = har.exchange(entry)
    sent = har.headers(entry["request"])
    headers: dict[str, str | None] = {"Content-Type": None, "X-Amz-Target": None}
    headers.update({k: v for k, v in sent.items() if k.lower() not in _SIGNING})
    prepared = client.prepare(recorded.operation, body=names.request(recorded.request.body), headers=headers,
                              sign="Authorization" in sent)
    replayed = client.send(prepared, recorded.operation)
    names.learn(recorded.body, replayed.body)
    return recorded, replayed


def run(recordings: list[har.Recording], client: EcrClient, *, on_aws: bool, allow_registry_writes: bool,
        run_id: str) -> tuple[list[dict], list[str]]:
    """Replay every recording; returns (one row per entry, lines of what could not be deleted)."""
    rows: list[dict] = []
    made = Replayed(client, f"ecrconf-{run_id}-replay")
    try:
        for recording in recordings:
            names = Names(recording.meta["prefix"], f"ecrconf-{run_id}")
            for index, entry in enumerate(recording.entries):
                row = {"file": recording.path.name, "index": index, "check": entry.get("_checkId", ""),
                       "operation": entry.get("_operation", "")}
                reason = why_not(entry, on_aws, allow_registry_writes)
                if reason:
                    rows.append({**row, "skipped": reason})
                    continue
                recorded, replayed = replay_entry(client, names, entry)
                if replayed.operation == "CreateRepository" and replayed.status == 200:
                    request = json.loads(replayed.request.body)
                    made.adopt(str(request.get("repositoryName")), request.get("registryId"))
                rows.append({**row, "recorded": compare.answer(recorded), "replayed": compare.answer(replayed),
                             "differences": compare.differences(recorded, replayed)})
    finally:
        with interrupts.deferred():
            leftovers = made.cleanup()
    return rows, leftovers


def parse(argv: list[str]) -> argparse.Namespace:
    parser = results_file.OneLineParser(prog="python -m ecrconf.replay", description=__doc__.split("\n\n")[1])
    parser.add_argument("recording", type=Path, help="a --record directory (*.har)")
    parser.add_argument("--endpoint", help="the endpoint to replay against (default: an embedded moto server)")
    parser.add_argument("--region", help="region to sign for (default: as the suite resolves it)")
    parser.add_argument("--aws-profile", help="AWS shared-config profile for credentials")
    parser.add_argument("--report", type=Path, help="write the per-exchange differences as JSON here")
    parser.add_argument("--markdown", type=Path, help="write them as a Markdown table here")
    parser.add_argument("--allow-aws", action="store_true", help="consent to replay against a real AWS account")
    parser.add_argument("--allow-registry-writes", action="store_true",
                        help="on AWS, also replay the calls that change state of the whole registry")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    for option, path in (("--report", args.report), ("--markdown", args.markdown)):
        reason = path and unwritable_file(path)
        if reason:  # found now, not after the whole replay has run
            return _fail(f"{option} {path}: cannot be written: {reason}", EXIT_BAD_INPUT)
    try:
        recordings = har.load(args.recording)
    except har.RecordingInvalid as exc:
        return _fail(str(exc), EXIT_BAD_INPUT)
    moto = None
    try:
        if args.endpoint:
            endpoint = validate_endpoint(strip_userinfo(args.endpoint)[0])
            on_aws = is_real_aws(endpoint)
            if on_aws and not args.allow_aws:
                raise TargetUnusable(f"{endpoint} is real AWS: replaying creates and deletes repositories there; "
                                     "pass --allow-aws to consent", EXIT_NEEDS_CONSENT)
            region = resolve_region(args.region)
            if not REGION_NAME.fullmatch(region):  # signed into every request: the target would refuse them all
                raise ValueError(f"the region to sign for is not a region name: {region!r} (from --region, "
                                 "AWS_REGION, AWS_DEFAULT_REGION or the AWS config)")
            client = EcrClient(endpoint, region, resolve_credentials(args.aws_profile))
        else:
            moto, on_aws = EmbeddedMoto(), False
            client = EcrClient(moto.start(), "us-east-1", EMBEDDED_CREDENTIALS)
        probe(client)
        interrupts.install(worker=False, on_abandon=lambda line: sys.stderr.write(line + "\n"))
        run_id = secrets.token_hex(3)
        try:
            rows, leftovers = run(recordings, client, on_aws=on_aws,
                                  allow_registry_writes=args.allow_registry_writes, run_id=run_id)
        except interrupts.Interrupted:
            return _fail(f"interrupted; repositories named ecrconf-{run_id}-* may remain", 2)
        finally:
            interrupts.uninstall()
    except ValueError as exc:  # a malformed --endpoint
        return _fail(str(exc), EXIT_BAD_INPUT)
    except TargetUnusable as exc:
        return _fail(str(exc), exc.exit_status)
    finally:
        if moto is not None:
            moto.stop()
    document = report.document(recordings, rows, leftovers, endpoint=client.endpoint)
    try:
        report.write(document, json_path=args.report, markdown_path=args.markdown)
    except OSError as exc:
        return _fail(f"cannot write the report: {exc.strerror or exc}", EXIT_BAD_INPUT)
    print(report.summary_line(document))
    return EXIT_DIFFERENT if document["summary"]["different"] or leftovers else 0


def _fail(line: str, status: int) -> int:
    sys.stderr.write(f"ecrconf.replay: {line}\n")
    return status


if __name__ == "__main__":
    sys.exit(main())
