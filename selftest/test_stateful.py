"""The stateful suite (suites/stateful): its invariants on hand-made answers, the program file, and whole runs
against the reference (a failure lists its program and a replay command that fails again; a good program
replays clean; a malformed one is bad input, exit 4)."""

from __future__ import annotations

import ast
import json
import os
import re
import shlex
from types import SimpleNamespace

import pytest

from ecrconf import paths
from ecrconf.checks import ConformanceFailure, invariants
from ecrconf.checks.registry_model import Outcome, fails
from ecrconf.generate import programs
from ecrconf.resources import images
from ecrconf.resources.program import ProgramRun, Step
from ecrconf.run import options, program_text, stateful
from ecrconf.wire import protocol
from ecrconf.wire.exchange import Exchange, Request, Response
from selftest import pytest_runs
from selftest.reference import Behaviour, ReferenceEcr

JSON11 = {"content-type": protocol.CONTENT_TYPE}


def answer(operation: str, status: int = 200, body: object = None) -> Exchange:
    request = Request("POST", "http://127.0.0.1:1/", {}, b"{}")
    return Exchange(operation, request, Response(status, JSON11, json.dumps(body or {}).encode()), 0.01)


def error(operation: str, name: str) -> Exchange:
    return answer(operation, 400, {"__type": name, "message": "m"})


class Names:
    """Stands for Resources: names under a prefix, no calls."""
    prefix = "ecrconf-selftest"

    def __init__(self):
        self.made = 0

    def new_name(self) -> str:
        self.made += 1
        return f"{self.prefix}-{self.made}"


def held_run() -> tuple[ProgramRun, images.Image]:
    """A run whose model holds repo0 with oci:0 tagged t0, as its target answered it."""
    run = ProgramRun(None, Names(), "ns")
    image = run.image("oci:0")
    run.model.create_repository("repo0")
    for blob in image.blobs:
        run.model.complete_upload("repo0", blob, parts=1)
    assert run.model.put_image("repo0", image.manifest, image.media_type, blobs=tuple(image.blobs), tag="t0").succeeds
    run.name("repo0")
    run.seen["repo0"] = {image.digest, "t0"}
    return run, image


def walk(operation: str, key: str, *pages: list) -> invariants.Walk:
    exchanges = [answer(operation, body={key: items, **({"nextToken": "n"} if i < len(pages) - 1 else {})})
                 for i, items in enumerate(pages)]
    return invariants.Walk(tuple(i for page in pages for i in page), tuple(exchanges), True)


# --- answers against the model's outcome ------------------------------------------------------------

@pytest.mark.parametrize("exchange, outcome, agrees", [
    (answer("PutImage"), Outcome(), True),
    (error("PutImage", "ImageTagAlreadyExistsException"), fails("ImageTagAlreadyExistsException"), True),
    (error("PutImage", "ImageAlreadyExistsException"), fails("ImageTagAlreadyExistsException"), False),
    (answer("PutImage"), fails("LayersNotFoundException"), False),
    (error("PutImage", "ServerException"), Outcome(), False),
    (answer("BatchDeleteImage", body={"imageIds": [], "failures": [{"failureCode": "ImageNotFound"}]}),
     Outcome(item_failed=True), True),
    (answer("BatchDeleteImage", body={"imageIds": [{}], "failures": []}), Outcome(item_failed=True), False),
])
def test_an_answer_agrees_with_the_outcome_predicted(exchange, outcome, agrees):
    assert (invariants.disagreement(exchange, outcome) == "") is agrees


@pytest.mark.parametrize("body, misanswer", [
    ({"lastByteReceived": 9}, ""),
    ({"uploadId": "u"}, ""),  # a member the answer leaves out is not judged
    ({"lastByteReceived": 10}, "UploadLayerPart answered lastByteReceived 10; the model predicts 9 (ops L.2)"),
])
def test_a_member_with_another_value_is_misanswered_but_not_a_disagreement(body, misanswer):
    outcome = Outcome(evidence="ops L.2", answer=(("lastByteReceived", 9),))
    exchange = answer("UploadLayerPart", body=body)
    assert invariants.disagreement(exchange, outcome) == ""
    assert invariants.misanswered(exchange, outcome) == misanswer


# --- the invariants, catching and silent ------------------------------------------------------------

def test_list_images_holds_for_the_model_in_any_order_and_smaller_pages():
    run, image = held_run()
    entry = {"imageDigest": image.digest, "imageTag": "t0"}
    walks = {("repo0", "ANY"): walk("ListImages", "imageIds", [], [entry]),
             ("repo0", "TAGGED"): walk("ListImages", "imageIds", [entry]),
             ("repo0", "UNTAGGED"): walk("ListImages", "imageIds", [])}
    assert invariants.list_images(run, walks) == []


@pytest.mark.parametrize("pages, words", [
    ([[{"imageTag": "t0"}], [{"imageTag": "t0"}]], "listed 2 times"),
    ([[{"imageTag": "t0"}, {"imageTag": "t1"}]], "which the model does not hold"),
    ([[]], "missing"),
])
def test_list_images_catches_repeats_strangers_and_gaps(pages, words):
    run, image = held_run()
    pages = [[{**entry, "imageDigest": image.digest} for entry in page] for page in pages]
    problems = invariants.list_images(run, {("repo0", "TAGGED"): walk("ListImages", "imageIds", *pages)})
    assert problems and words in problems[0].text


def test_the_digest_the_target_answered_names_the_image_elsewhere():
    """Consistency is judged against the digest PutImage answered; only the digest check holds it to the bytes."""
    run, image = held_run()
    run.answered[("repo0", image.digest)] = "sha256:" + "e" * 64
    details = walk("DescribeImages", "imageDetails", [{"imageDigest": "sha256:" + "e" * 64, "imageTags": ["t0"]}])
    assert invariants.describe_images(run, {"repo0": details}) == []
    step = type("S", (), {"puts": [(answer("PutImage", body={"image": {"imageId": {"imageDigest": "sha256:" + "e" * 64}}}),
                                    image.digest)]})()
    assert "sha256 of the manifest bytes" in invariants.digests(step)[0].text


def test_batch_get_image_wants_the_pushed_bytes_and_nothing_deleted():
    run, image = held_run()
    got = {"imageId": {"imageDigest": image.digest, "imageTag": "t0"}, "imageManifest": image.manifest.decode()}
    assert invariants.batch_get_image(run, {"repo0": answer("BatchGetImage", body={"images": [got], "failures": []})}) == []
    other = {**got, "imageManifest": image.manifest.decode() + " "}
    assert "other manifest bytes" in invariants.batch_get_image(
        run, {"repo0": answer("BatchGetImage", body={"images": [other]})})[0].text
    run.model.delete_image("repo0", digest=image.digest)
    assert "still answers deleted image" in invariants.batch_get_image(
        run, {"repo0": answer("BatchGetImage", body={"images": [got]})})[0].text


def test_a_deleted_repository_must_be_gone():
    run, _ = held_run()
    run.model.delete_repository("repo0", force=True)
    gone = error("DescribeRepositories", "RepositoryNotFoundException")
    assert invariants.repositories(run, {"repo0": gone}) == []
    still = answer("DescribeRepositories", body={"repositories": [{"repositoryName": run.names["repo0"]}]})
    assert "expected RepositoryNotFoundException" in invariants.repositories(run, {"repo0": still})[0].text


def test_paging_across_a_deletion_catches_a_repeat_and_a_skip():
    a, b, c = ({"imageDigest": "sha256:" + x * 64} for x in "abc")
    keys = [(e["imageDigest"], None) for e in (a, b, c)]
    clean = {"before": keys, "after": keys[1:], "pages": [answer("ListImages", body={"imageIds": [a], "nextToken": "n"}),
                                                         answer("ListImages", body={"imageIds": [b, c]})]}
    assert [p.text for p in invariants.paging(clean)] == ["ListImages one entry a page, an image deleted after the "
                                                          "first page: a page of 2 items where maxResults is 1"]
    repeat = {**clean, "pages": [answer("ListImages", body={"imageIds": [b], "nextToken": "n"}),
                                 answer("ListImages", body={"imageIds": [b], "nextToken": "m"}),
                                 answer("ListImages", body={"imageIds": [c]})]}
    assert "listed 2 times" in invariants.paging(repeat)[0].text
    skip = {**clean, "pages": [answer("ListImages", body={"imageIds": [a], "nextToken": "n"}),
                               answer("ListImages", body={"imageIds": [c]})]}
    assert "skipped" in invariants.paging(skip)[0].text


# --- the program file -------------------------------------------------------------------------------

def test_a_program_survives_its_file(tmp_path):
    steps = [{"step": "create_repository", "repository": "repo0", "mutability": "MUTABLE", "scan_on_push": False},
             {"step": "delete_tag", "repository": "repo0", "tag": "t1"}]
    programs.dump(steps, tmp_path / "p.json", check="X/stateful/test_x")
    assert programs.load(tmp_path / "p.json") == steps


@pytest.mark.parametrize("text, words", [
    ("{", "not JSON"), ('{"format": "ecrconf-program/1"}', "steps"),
    ('{"format": "ecrconf-program/1", "steps": []}', "at steps: [] should be non-empty"),
    ('{"format": "ecrconf-program/1", "steps": [{"step": "drop_table", "repository": "repo0"}]}', "steps/0"),
    ('{"format": "ecrconf-program/1", "steps": [{"step": "delete_tag", "repository": "../etc", "tag": "t1"}]}',
     "steps/0"),
])
def test_a_malformed_program_is_refused_in_one_line(tmp_path, text, words):
    (tmp_path / "p.json").write_text(text)
    with pytest.raises(programs.ProgramInvalid, match=re.escape(words)) as refused:
        programs.load(tmp_path / "p.json")
    assert "\n" not in str(refused.value)


# --- whole runs against the reference ----------------------------------------------------------------

def _suite(reference: ReferenceEcr, url: str, *args: str):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=reference.keys.access_key, AWS_SECRET_ACCESS_KEY=reference.keys.secret_key)
    return pytest_runs.run(["-q", "-p", "no:cacheprovider", "-p", "no:randomly", f"--endpoint={url}",
                            "--expectations=none", "suites/stateful/test_registry_machine.py", *args],
                           env=env, timeout=240)


def test_a_failure_lists_its_program_and_its_replay_fails_again_and_passes_where_it_holds(tmp_path):
    """A target that stores manifests re-serialised: the digest check fails, numbering the program's steps with
    each request and answer; the saved program, replayed, fails the same way there and holds on the reference."""
    broken = ReferenceEcr(Behaviour(manifest_reserialised=True))
    with broken as url:
        done = _suite(broken, url, "-k", "test_digest", f"--report-dir={tmp_path / 'r'}")
        assert done.returncode == 1, done.stdout[-3000:]
        assert re.search(r"^\s+1\. create_repository repo0", done.stdout, re.M), done.stdout[-3000:]
        assert re.search(r"PutImage \{.*\} -> HTTP 200 \(imageDigest sha256:", done.stdout)
        saved = tmp_path / "r" / "stateful" / "PutImage-stateful-test_digest.json"
        command = next(line for line in done.stdout.splitlines() if line.startswith("replay: pytest "))
        assert f"--replay-steps={saved}" in shlex.split(command.removeprefix("replay: ")) and "-k" in command
        again = _suite(broken, url, "-k", "test_digest", f"--replay-steps={saved}")
        assert again.returncode == 1 and "sha256 of the manifest bytes" in again.stdout, again.stdout[-3000:]
    strict = ReferenceEcr(Behaviour())
    with strict as url:
        clean = _suite(strict, url, "-k", "test_digest", f"--replay-steps={saved}")
    assert clean.returncode == 0, clean.stdout[-3000:]


def test_a_replayed_program_that_does_not_show_a_known_deviation_passes(tmp_path):
    """One program shows nothing about the deviation the run's other programs showed: replayed under an
    expectations file that lists its check, a program that holds is a pass, not an unexpected pass (exit 1,
    "update the expectations file"); a replayed program that shows the deviation is still a known one."""
    known = tmp_path / "known.toml"
    known.write_text('[deviations."PutImage/stateful/test_digest"]\nseen = "digest: re-serialised"\nstatus = 200\n')
    program = paths.data("fixtures", "programs", "retag.json")
    strict = ReferenceEcr(Behaviour())
    with strict as url:
        clean = _suite(strict, url, "-k", "test_digest", f"--replay-steps={program}", f"--expectations={known}")
    assert clean.returncode == 0, clean.stdout[-3000:]
    assert "unexpected pass" not in clean.stdout and "1 of 1 checks pass" in clean.stdout, clean.stdout[-3000:]
    broken = ReferenceEcr(Behaviour(manifest_reserialised=True))
    with broken as url:
        shown = _suite(broken, url, "-k", "test_digest", f"--replay-steps={program}", f"--expectations={known}")
    assert shown.returncode == 0 and "1 expected" in shown.stdout, shown.stdout[-3000:]


def test_a_malformed_program_file_is_bad_input(tmp_path):
    (tmp_path / "p.json").write_text('{"format": "ecrconf-program/1", "steps": [{"step": "nope"}]}')
    done = pytest_runs.run(["-q", "-p", "no:cacheprovider", "--collect-only", f"--replay-steps={tmp_path / 'p.json'}",
                            "suites/stateful"], env=dict(os.environ), timeout=120)
    assert done.returncode == 4
    assert len(done.stderr.strip().splitlines()) == 1 and "not a program" in done.stderr, done.stderr


# --- eventual consistency: bounded, reported ---------------------------------------------------------

class FakeClock:
    """time.monotonic and time.sleep of ecrconf.run.stateful, without waiting."""

    def __init__(self):
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def _waiting(monkeypatch, answers: list[list]) -> tuple[stateful.Invariant, list]:
    """An invariant whose reads disagree as answers says, one entry per read; the reads it was asked."""
    clock, asked = FakeClock(), []
    monkeypatch.setattr(stateful, "time", clock)

    def judge(run, step):
        asked.append(clock.now)
        return answers[min(len(asked), len(answers)) - 1]
    return stateful.Invariant("list_images", "ListImages", ("documented", "x"), "holds", judge), asked


def test_an_invariant_that_comes_to_hold_within_the_wait_passes_and_the_wait_is_reported(monkeypatch):
    run, _ = held_run()
    invariant, asked = _waiting(monkeypatch, [[invariants.Problem("stale")], [invariants.Problem("stale")], []])
    stateful.judge(invariant, run, Step({"step": "x", "repository": "repo0"}), 5.0)
    assert asked == [0.0, 1.0, 2.0] and run.waited == 2.0
    assert run.notes == ["waited 2.0 s for list_images to hold after step 0"]


def test_an_invariant_that_never_holds_fails_once_the_wait_is_spent(monkeypatch):
    run, _ = held_run()
    invariant, asked = _waiting(monkeypatch, [[invariants.Problem("stale")]])
    with pytest.raises(ConformanceFailure, match="stale"):
        stateful.judge(invariant, run, Step({"step": "x", "repository": "repo0"}), 2.5)
    assert asked == [0.0, 1.0, 2.0, 2.5] and run.waited == 2.5


def test_a_failure_before_any_step_was_sent_saves_no_program_to_replay():
    run, _ = held_run()
    run.steps.append(Step({"step": "scan", "repository": "repo0"}, skipped="it would scan an image again"))
    failure, saved = ConformanceFailure("broken", received="x", expected="y"), []
    stateful.explained(failure, run, lambda steps: saved.append(steps) or "p.json", lambda path: f"replay {path}")
    assert saved == [] and failure.__notes__[-1].startswith("no step was sent")


@pytest.mark.parametrize("text", ["-1", "nan", "inf", "soon"])
def test_a_consistency_wait_is_zero_or_more_seconds(text):
    with pytest.raises(pytest.UsageError, match="--consistency-wait"):
        options.wait_seconds(text)
    assert options.wait_seconds("0") == 0.0


# --- sizes: BatchCheckLayerAvailability against the model's layers ------------------------------------

def _layers(*entries: tuple[str, str, int]) -> Exchange:
    return answer("BatchCheckLayerAvailability", body={"layers": [
        {"layerDigest": d, "layerAvailability": a, "layerSize": n} for d, a, n in entries], "failures": []})


def test_layers_wants_completed_blobs_available_with_their_size_and_unfinished_layers_open_ones_not():
    run, image = held_run()  # its two blobs completed, one byte each as the model was told
    config, layer = sorted(image.blobs)
    run.model.initiate_upload("u0", "repo0", "sha256:open", 10)
    assert invariants.judged_blobs(run.model.repositories["repo0"]) == {config: 1, layer: 1, "sha256:open": None}
    good = _layers((config, "AVAILABLE", 1), (layer, "AVAILABLE", 1), ("sha256:open", "UNAVAILABLE", 0))
    assert invariants.layers(run, {"repo0": good}) == invariants.unfinished_layers(run, {"repo0": good}) == []
    bad = {"repo0": _layers((config, "AVAILABLE", 2), ("sha256:open", "AVAILABLE", 10))}
    assert [p.text.split(": ", 1)[1] for p in invariants.layers(run, bad)] == [
        f"{config} has layerSize 2; 1 bytes were uploaded", f"{layer}, completed (1 bytes), is not AVAILABLE"]
    assert [p.text.split(": ", 1)[1] for p in invariants.unfinished_layers(run, bad)] == [
        "sha256:open is AVAILABLE, but its upload was never completed"]


def test_layers_leaves_a_blob_only_deleted_images_named_unjudged():
    run, image = held_run()
    run.model.delete_image("repo0", digest=image.digest)
    assert invariants.judged_blobs(run.model.repositories["repo0"]) == {}
    assert invariants.layers(run, {"repo0": _layers()}) == invariants.unfinished_layers(run, {"repo0": _layers()}) == []


def test_a_step_of_an_upload_that_is_not_open_is_skipped_and_changes_nothing():
    """A shrunk or hand-written program may name an upload it never opened (or already completed): not sent."""
    run, _ = held_run()
    for step in ({"step": "upload_part", "repository": "repo0", "upload": "u1", "bytes": "rest"},
                 {"step": "complete_upload", "repository": "repo0", "upload": "u1", "digest": "right"}):
        assert programs._validator().is_valid({"format": programs.FORMAT, "steps": [step]})
        assert run.run(step).skipped == "upload u1 is not open"
    assert not run.model.uploads and run.view().uploads == {}


class Canned:
    """Stands for the client: every call answered HTTP 200 with the body given for its operation."""
    region = "us-east-1"

    def __init__(self, bodies: dict):
        self.bodies = bodies

    def call(self, operation: str, payload: dict) -> Exchange:
        return answer(operation, body=self.bodies.get(operation, {}))


def test_a_part_answered_with_another_last_byte_fails_the_answers_check_and_the_program_goes_on():
    """ops L.2: lastByteReceived == partLastByte. Another value is the answers check's problem; the state is what
    the model says, so the program is still judged."""
    run = ProgramRun(Canned({"InitiateLayerUpload": {"uploadId": "id-0"}, "UploadLayerPart": {"lastByteReceived": 0}}),
                     Names(), "ns")
    run.model.create_repository("repo0")
    run.run({"step": "open_upload", "repository": "repo0", "upload": "u0", "image": "oci:0", "blob": "config"})
    step = run.run({"step": "upload_part", "repository": "repo0", "upload": "u0", "bytes": "rest"})
    size = run.model.uploads["u0"].size
    assert [p.text for p in stateful.answers(run, step)] == [
        f"UploadLayerPart answered lastByteReceived 0; the model predicts {size - 1} (ops L.2 (DOC): "
        "lastByteReceived is partLastByte)"]
    assert run.diverged is None and run.model.uploads["u0"].received == size


def test_a_fixed_program_runs_for_the_invariants_it_names_else_for_every_one(tmp_path):
    steps = [{"step": "create_repository", "repository": "repo0", "mutability": "MUTABLE", "scan_on_push": False}]
    (tmp_path / "some.json").write_text(json.dumps({"format": programs.FORMAT, "invariants": ["layers"], "steps": steps}))
    programs.dump(steps, tmp_path / "all.json")
    assert programs.load(tmp_path / "some.json") == steps
    assert [programs.meant_for(tmp_path / "some.json", name) for name in ("layers", "answers")] == [True, False]
    assert programs.meant_for(tmp_path / "all.json", "answers")
    (tmp_path / "none.json").write_text(json.dumps({"format": programs.FORMAT, "invariants": [], "steps": steps}))
    with pytest.raises(programs.ProgramInvalid, match="invariants"):
        programs.load(tmp_path / "none.json")


def test_a_failure_numbers_its_step_as_the_printed_program_does():
    """Steps not sent are not in the printed or saved program: the failure and its notes number the failing
    step among the steps sent, so "after step N" is step N of the program printed with it."""
    run = ProgramRun(None, Names(), "ns")
    unsent = {"step": "delete_tag", "repository": "repo0", "tag": "t0"}
    sent = {"step": "put_image", "repository": "repo0", "image": "oci:0", "tag": None, "digest": "none", "upload": False}
    run.steps = [Step(unsent, skipped="undetermined"), Step(sent, calls=[])]
    run.diverged = SimpleNamespace(problem="it answered otherwise")
    always = stateful.Invariant("digest", "PutImage", ("documented", "x"), "MUST",
                                lambda run, step: [invariants.Problem("wrong digest", answer("PutImage"))])
    with pytest.raises(ConformanceFailure, match=r"^digest: after step 1 \(put_image repo0"):
        stateful.judge(always, run, run.steps[-1], 0.0)
    assert run.notes == ["step 1: it answered otherwise; the program is judged no further"]
    assert program_text.numbered(run)[1].startswith("  1. put_image")


def test_the_shipped_programs_name_only_invariants_the_suite_has():
    """A fixed program runs only for the invariants it names: a misspelt name would never run it. (The suite's
    module is read, not imported: its marks are the suite plugin's, unknown to the self-tests' pytest.)"""
    source = ast.parse((paths.SUITES / "stateful" / "test_registry_machine.py").read_text())
    names = {node.args[0].value for node in ast.walk(source)
             if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Invariant"}
    named = {path.name: set(json.loads(path.read_text()).get("invariants", [])) for path in stateful.EXAMPLES.glob("*.json")}
    assert len(names) == 11 and any(named.values()), (names, named)
    assert all(wanted <= names for wanted in named.values()), named
