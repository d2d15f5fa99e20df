"""Recording the suite against the strict reference ECR (``--record``), for the self-tests of recordings,
replay and evidence."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from selftest import pytest_runs
from selftest.reference import REFERENCE_KEYS, Behaviour, ReferenceEcr
from selftest.reference.sigv4 import KeyPair

AWS_ENDPOINT = "https://api.ecr.us-east-1.amazonaws.com"


def record(directory: Path, *args: str, keys: KeyPair = REFERENCE_KEYS, report_dir: Path | None = None,
           behaviour: Behaviour = Behaviour()) -> subprocess.CompletedProcess:
    """``pytest --record=directory *args`` against a reference ECR that accepts keys and behaves so (no
    expectations applied: the reference deviates from nothing)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=keys.access_key, AWS_SECRET_ACCESS_KEY=keys.secret_key,
               AWS_EC2_METADATA_DISABLED="true")
    if keys.token:
        env["AWS_SESSION_TOKEN"] = keys.token
    reports = [f"--report-dir={report_dir}"] if report_dir else []
    with ReferenceEcr(behaviour, keys=keys) as url:
        return pytest_runs.run(["-p", "no:cacheprovider", f"--endpoint={url}", f"--record={directory}",
                                "--expectations=none", "--target=reference", *reports, *args], env=env, timeout=300)


def as_if_from_aws(directory: Path, region: str = "us-east-1") -> None:
    """Mark every recording of directory as made against real ECR (its endpoint, region, realAws): the
    stand-in for a recording someone made with an account, which these self-tests cannot make."""
    for path in directory.glob("*.har"):
        document = json.loads(path.read_text())
        document["log"]["_ecrconf"].update(endpoint=AWS_ENDPOINT.replace("us-east-1", region), region=region,
                                           realAws=True)
        path.write_text(json.dumps(document))


def main(argv: list[str]) -> int:
    """python -m selftest.recordings DIR [PYTEST_ARGS...]: record the suite against the reference into DIR
    (what fixtures/plan/costs.json is measured on: then python -m ecrconf.run.costs DIR)."""
    import argparse
    parser = argparse.ArgumentParser(prog="python -m selftest.recordings", description=main.__doc__.split(":", 1)[1])
    parser.add_argument("directory", type=Path, help="where the HAR files go (created)")
    parser.add_argument("pytest_args", nargs=argparse.REMAINDER, help="passed on to pytest (a selection)")
    args = parser.parse_args(argv)
    done = record(args.directory, *args.pytest_args)
    print(done.stdout.splitlines()[-1] if done.stdout else done.stderr)
    return done.returncode


if __name__ == "__main__":
    import sys
    sys.exit(main(sys.argv[1:]))
