"""Programs of ECR calls judged as a whole: a Hypothesis state machine draws programs of calls (repositories
created and deleted, with and without force; layers uploaded whole and in parts, in one step or as uploads in
progress across the program (two open at once, a part or completion sent naming the other repository); OCI and
Docker images and indexes put with and without a tag or imageDigest, re-tagged, on MUTABLE and IMMUTABLE
repositories; images deleted by tag and by digest, between two pages of a listing; policies, lifecycle
policies, resource tags; a scan) and compares every answer with a model of what real ECR holds
(``ecrconf.checks.registry_model``).

Each check below is one invariant, judged after every step of every program; a failure lists the shortest
program found, numbered, with each request and answer, and a command that replays it against any endpoint
(``--replay-steps``). Each program works in repositories of its own (the run's prefix), deleted when it ends.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from ecrconf.checks import ConformanceFailure
from ecrconf.generate import programs
from ecrconf.report.reporting import PROGRAMS_DIR
from ecrconf.run import settle, stateful
from ecrconf.run.stateful import Invariant
from ecrconf.run.target import is_real_aws

AWS_CONSISTENCY_WAIT = 5.0  # seconds; ops R.8 (INF): real ECR is eventually consistent after a write
MODEL = "ecrconf/checks/registry_model.py, each rule's row"
# The checks whose programs send the calls the model predicts to be refused: the answers check judges the
# refusals; the unfinished layers check, what a refused CompleteLayerUpload leaves (no blob available). The
# others leave them out: a refused call changes nothing the other invariants read.
SENDS_REFUSED = ("answers", "unfinished_layers")

INVARIANTS = [
    Invariant("answers", "PutImage", ("observed", f"{MODEL} (ops R, I, L, P, T; research 4, 6)"),
              "Every call of a program MUST succeed where ECR succeeds and fail with the error type ECR gives "
              "where it fails, as the registry model predicts from the calls before it (an absent image in a "
              "batch call: a failure of its item).", stateful.answers),
    Invariant("digest", "PutImage", ("documented", "ops I.4; research 6.4, 6.10"),
              "PutImage MUST answer, in every program, the sha256 digest of the exact manifest bytes it was sent.",
              stateful.digests),
    Invariant("repositories", "DescribeRepositories", ("observed", "ops R.1, R.7; research 4.1"),
              "DescribeRepositories MUST describe each repository of a program with the settings it was created "
              "with while it exists, and answer RepositoryNotFoundException for it once it is deleted.",
              stateful.after_reads("repositories")),
    Invariant("list_images", "ListImages", ("documented", "ops I.3, I.11, I.16, N.2"),
              "ListImages, walked in pages of 2 with tagStatus ANY, TAGGED and UNTAGGED, MUST list exactly the "
              "images the program left: one entry per tag, each tag on one image only, one entry per untagged "
              "image, each entry once, nothing deleted.", stateful.after_reads("list_images")),
    Invariant("describe_images", "DescribeImages", ("observed", "ops I.3, I.11, I.14"),
              "DescribeImages, walked in pages of 2, MUST describe each image the repository holds once, with "
              "exactly its tags and the media type it was pushed with, and no deleted image.",
              stateful.after_reads("describe_images")),
    Invariant("batch_get_image", "BatchGetImage", ("documented", "ops I.6, I.8, I.11; research 4.1, 6.10"),
              "BatchGetImage MUST answer the exact manifest bytes pushed for each image a repository holds, by "
              "digest and by tag (the tag's current image), and a failure for each image or tag deleted; the ids "
              "of a deleted repository fail whole with RepositoryNotFoundException.",
              stateful.after_reads("batch_get_image")),
    Invariant("paging", "ListImages", ("inferred", "ops N.2 (pages of a list that does not change); under a "
                                                   "deletion not captured"),
              "ListImages walked one entry a page, an image deleted after the first page, MUST list every entry "
              "that stays exactly once, nothing twice and nothing the repository did not hold.", stateful.paging),
    Invariant("policies", "GetRepositoryPolicy", ("observed", "ops P.2, P.7"),
              "GetRepositoryPolicy and GetLifecyclePolicy MUST find a policy exactly while the program has set "
              "one and not deleted it, else RepositoryPolicyNotFoundException or LifecyclePolicyNotFoundException.",
              stateful.after_reads("policies")),
    Invariant("resource_tags", "ListTagsForResource", ("documented", "ops T.1, T.3"),
              "ListTagsForResource MUST answer exactly the tags TagResource and UntagResource left on a "
              "repository, a key tagged again with its last value.", stateful.after_reads("resource_tags")),
    Invariant("layers", "BatchCheckLayerAvailability", ("documented", "ops L.5, L.8"),
              "BatchCheckLayerAvailability MUST report each blob a program completed in a repository AVAILABLE, "
              "with layerSize the bytes uploaded in all its parts (a blob only deleted images named is not "
              "judged).", stateful.after_reads("layers")),
    Invariant("unfinished_layers", "BatchCheckLayerAvailability", ("inferred", "ops L.5; research 6.2, 6.3, 6.12"),
              "BatchCheckLayerAvailability MUST NOT report a blob AVAILABLE whose upload is still open, or "
              "whose CompleteLayerUpload was refused, and that was never completed otherwise.",
              stateful.after_reads("unfinished_layers")),
]


@pytest.fixture
def consistency_wait(pytestconfig, target) -> float:
    chosen = pytestconfig.option.consistency_wait
    return chosen if chosen is not None else (AWS_CONSISTENCY_WAIT if is_real_aws(target.endpoint) else 0.0)


def _check(invariant: Invariant):
    def test(request, client, resources, target, consistency_wait) -> None:
        made = stateful.Programs(client, resources, refused=invariant.name in SENDS_REFUSED)
        replaying = request.config.option.replay_steps
        try:
            if replaying:
                stateful.replay(invariant, made, programs.load(replaying), consistency_wait)
            else:
                stateful.explore(invariant, made, consistency_wait, known=settle.KNOWN in request.node.stash)
        except ConformanceFailure as failure:
            stateful.explained(failure, made.last, lambda steps: _save(request, steps),
                               lambda path: stateful.replay_command(request, target, path))
            raise
        finally:
            made.close()

    test.__name__ = test.__qualname__ = f"test_{invariant.name}"
    test.__doc__ = invariant.requirement
    test = pytest.mark.evidence(*invariant.evidence)(test)
    return pytest.mark.operation(invariant.operation)(test)


def _save(request, steps: list[dict]) -> str:
    """The failing program under --report-dir/stateful/, or a new temporary directory; returns its path."""
    check = dict(request.node.user_properties).get("check_id", request.node.name)
    folder = request.config.option.report_dir
    folder = Path(folder) / PROGRAMS_DIR if folder else Path(tempfile.mkdtemp(prefix="ecrconf-program-"))
    path = folder / (check.replace("/", "-") + ".json")
    programs.dump(steps, path, check=check)
    return str(path)


for _invariant in INVARIANTS:
    globals()[f"test_{_invariant.name}"] = _check(_invariant)
