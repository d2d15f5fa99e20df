"""``python -m ecrconf.evidence DIR [--out fixtures/evidence/]`` and ``python -m ecrconf.evidence --review``

Turns a recording made against real Amazon ECR (``pytest --endpoint=<AWS> --allow-aws --record=DIR``) into one
evidence file, ``<date>-<region>-<digest>.json`` under --out: the date, region, endpoint and suite version it
came from, and per check its outcome there and ECR's answers (``ecrconf.evidence.entries``). Then it says what
the file changes: the inferred checks it confirms (observed from now on, ``ecrconf.spec.recorded``) and every
check some recording contradicts, for review. ``--review`` prints only the latter, over the files already kept.

Exit status: 0 written (or nothing to review), 1 ``--review`` found contradictions, 4 bad input: neither a
recording nor ``--review`` (or both), a recording that cannot be read, one not made against real AWS, an --out
that cannot be written.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import sys
from pathlib import Path

from ecrconf.evidence import entries
from ecrconf.replay import har
from ecrconf.report.results_file import OneLineParser
from ecrconf.spec import recorded


def build(recordings: list[har.Recording]) -> dict:
    """The evidence document of a recording (every file of one --record directory)."""
    meta = recordings[0].meta
    return {"format": recorded.FORMAT,
            "source": {"date": str(meta.get("recorded", ""))[:10] or datetime.date.today().isoformat(),
                       "region": meta.get("region"), "endpoint": meta.get("endpoint"),
                       "suiteVersion": meta.get("suiteVersion"), "botocoreVersion": meta.get("botocoreVersion"),
                       "files": [r.path.name for r in recordings]},
            "checks": entries.entries(recordings)}


def file_name(document: dict) -> str:
    digest = hashlib.sha256(json.dumps(document["checks"], sort_keys=True).encode()).hexdigest()[:8]
    return f"{document['source']['date']}-{document['source']['region']}-{digest}.json"


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(prog="python -m ecrconf.evidence", description=__doc__.split("\n\n")[1])
    parser.add_argument("recording", type=Path, nargs="?", help="a --record directory made against real AWS")
    parser.add_argument("--out", type=Path, default=recorded.EVIDENCE_DATA, help="where evidence files are kept")
    parser.add_argument("--review", action="store_true", help="only list the checks recordings contradict")
    args = parser.parse_args(argv)
    if args.review == (args.recording is not None):
        parser.error("give either a recording directory (made with --record against real AWS) or --review")
    if args.review:
        return _review(args.out, exit_on_found=True)
    try:
        recordings = har.load(args.recording)
    except har.RecordingInvalid as exc:
        return _fail(str(exc))
    not_aws = [r.path.name for r in recordings if r.meta.get("realAws") is not True]
    if not_aws:
        return _fail(f"{args.recording}/{not_aws[0]} was not recorded against real AWS: it is no evidence of "
                     "what ECR does (replay it instead: python -m ecrconf.replay)")
    document = build(recordings)
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        path = args.out / file_name(document)
        path.write_text(json.dumps(document, indent=1) + "\n")
    except OSError as exc:
        return _fail(f"cannot write to {args.out}: {exc.strerror or exc}")
    checks = document["checks"].values()
    upgraded = sorted(check for check, row in document["checks"].items()
                      if row["evidence"] == "inferred" and row["verdict"] == recorded.CONFIRMS)
    print(f"{path}: {len(document['checks'])} checks from {document['source']['region']} "
          f"({document['source']['date']}): {sum(r['verdict'] == recorded.CONFIRMS for r in checks)} confirmed, "
          f"{sum(r['verdict'] == recorded.CONTRADICTS for r in checks)} contradicted")
    recorded.verdicts.cache_clear()
    for check in upgraded:
        level, _ = recorded.level(check, "inferred", "", args.out)
        print(f"  observed now (was inferred): {check}" if level == "observed" else
              f"  confirmed, but contradicted elsewhere (stays inferred): {check}")
    _review(args.out, exit_on_found=False)
    return 0


def _review(directory: Path, *, exit_on_found: bool) -> int:
    try:
        lines = recorded.review(directory)
    except ValueError as exc:
        return _fail(str(exc))
    for line in lines:
        print(f"  review: {line}")
    if exit_on_found and not lines:
        print(f"no check is contradicted by the recordings in {directory}")
    return 1 if lines and exit_on_found else 0


def _fail(line: str) -> int:
    sys.stderr.write(f"ecrconf.evidence: {line}\n")
    return 4


if __name__ == "__main__":
    sys.exit(main())
