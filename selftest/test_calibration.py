"""The suite, calibrated by mutation (selftest/calibration, selftest/reference/mutants.toml).

The calibration runs the suite against the reference, each mutant and the variants: the suite must pass
against the reference, every mutant must be killed by the check meant for it (or survive for the reason
it states), and no variant may be flagged. It is split in parts that xdist can spread over its workers
(python -m selftest.calibration runs it whole): the reference and the variants in one test, the mutants
of each area in one test each (a mutant is judged by its own run alone). The other tests hold the engine
to its rules without running the suite.
"""

from __future__ import annotations

import json
import time

import pytest

from ecrconf.wire import protocol
from ecrconf.wire.client import Credentials, EcrClient
from ecrconf.resources import Resources
from selftest.calibration import catalogue, score
from selftest.calibration.catalogue import Catalogue, Mutant, Variant
from selftest.calibration.engine import (calibrate, control_problems, false_alarms, judge_mutant, judge_mutants,
                                        merged, selection, variant_groups)
from selftest.calibration.runs import KEYS, Selection, SuiteRun, run_suite
from selftest.reference import REGION, Behaviour, ReferenceEcr
from selftest.reference.sigv4 import Received

CATALOGUE = catalogue.load()
MUTANT_AREAS = [area for area in catalogue.AREAS if any(mutant.area == area for mutant in CATALOGUE.mutants)]
CHECK = "StartImageScan/start_image_scan/test_second_scan_is_limit_exceeded"


def test_the_calibration_passes_the_reference_and_flags_no_variant(tmp_path):
    calibration = calibrate(Catalogue((), CATALOGUE.variants))
    written = score.write(score.document(calibration), tmp_path)
    report = score.console(json.loads(written[0].read_text()))
    assert not calibration.problems, report
    assert not control_problems(calibration.control, CATALOGUE.mutants), "\n".join(
        control_problems(calibration.control, CATALOGUE.mutants))  # every mutant's meant check exists
    assert not any(verdict.false_alarms or verdict.broken for verdict in calibration.variants), report


@pytest.mark.parametrize("area", MUTANT_AREAS)
def test_the_calibration_kills_every_mutant(area):
    mutants = tuple(mutant for mutant in CATALOGUE.mutants if mutant.area == area)
    verdicts = judge_mutants(mutants)
    assert [verdict.mutant.name for verdict in verdicts] == [mutant.name for mutant in mutants]
    assert all(verdict.as_expected for verdict in verdicts), "\n".join(
        f"{verdict.mutant.name}: {verdict.reason}" for verdict in verdicts if not verdict.as_expected)


def test_the_catalogue_spans_every_kind_of_deviation():
    assert len(CATALOGUE.mutants) >= 25 and len(CATALOGUE.variants) >= 8
    assert {mutant.area for mutant in CATALOGUE.mutants} == set(catalogue.AREAS)


def test_the_variant_knobs_no_mutant_turns_do_change_the_answers():
    """A kill shows that a mutant's knobs work; these variants' knobs are shown here, or they could pass for nothing."""
    names = ("lower-case-request-id-header", "empty-body-is-no-input", "scan-ends-failed")
    behaviour = merged(tuple(v for v in CATALOGUE.variants if v.name in names))
    reference = ReferenceEcr(behaviour, keys=KEYS)
    with reference as url:
        client = EcrClient(url, REGION, Credentials(KEYS.access_key, KEYS.secret_key, KEYS.token))
        empty = client.send(client.prepare("StartImageScan", body=b""), "StartImageScan")
        resources = Resources(client, "knobs")
        pushed = resources.fresh_image(resources.repository())
        image = {"repositoryName": pushed.repository.name, "imageId": {"imageDigest": pushed.digest}}
        client.call("StartImageScan", image)
        time.sleep(behaviour.scan_duration + 0.05)
        found = client.call("DescribeImageScanFindings", image)
    refused = reference.pipeline.handle(Received("GET", "/", (), b""))
    assert protocol.error_type(empty) == "InvalidParameterException"
    assert found.body["imageScanStatus"]["status"] == "FAILED"
    assert "x-amzn-requestid" in dict(refused.headers)


def test_the_generic_variants_knobs_change_the_answers():
    """Policies re-serialised with other whitespace, and empty optional members left out: both variants pass
    only if the suite tolerates what their knobs change, so show that they change it."""
    names = ("policies-with-other-whitespace", "empty-optional-members-omitted")
    seen = []
    for behaviour in (Behaviour(), merged(tuple(v for v in CATALOGUE.variants if v.name in names))):
        with ReferenceEcr(behaviour, keys=KEYS) as url:
            client = EcrClient(url, REGION, Credentials(KEYS.access_key, KEYS.secret_key, KEYS.token))
            repository = Resources(client, "knobs").repository()
            policy = client.call("SetRepositoryPolicy", {"repositoryName": repository.name, "policyText": json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Sid": "s", "Effect": "Allow", "Action": "ecr:ListImages",
                                                         "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}]})})
            scanning = client.call("GetRegistryScanningConfiguration", {})
            seen.append((policy.body["policyText"], scanning.body["scanningConfiguration"]))
    (jackson, rules), (dumped, pruned) = seen
    assert json.loads(jackson) == json.loads(dumped) and jackson != dumped
    assert rules == {"scanType": "BASIC", "rules": []} and pruned == {"scanType": "BASIC"}


def test_an_operation_the_target_does_not_implement_is_unsupported_not_failed():
    """The calibration cannot count this: an unsupported check is no kill, and in a variant it would be a
    false alarm. A target without PutLifecyclePolicy (answered UnknownOperationException) gets every check
    of that operation unsupported, and the checks that need a lifecycle policy say they need it; none fails."""
    run = run_suite(Behaviour(unimplemented_operations=frozenset({"PutLifecyclePolicy"})),
                    Selection(("operations",), ("LifecyclePolicy]", "LifecyclePolicy-")))
    put = {check: seen for check, seen in run.outcomes.items() if check.startswith("PutLifecyclePolicy/")}
    get = {check: seen for check, seen in run.outcomes.items() if check.startswith("GetLifecyclePolicy/")}
    assert put and set(put.values()) == {"unsupported"}, put
    needing = [check for check in get if run.messages[check].startswith("unsupported: GetLifecyclePolicy needs "
                                                                        "PutLifecyclePolicy")]
    assert get["GetLifecyclePolicy/operations/test_valid_request_succeeds[GetLifecyclePolicy]"] == "unsupported"
    assert "GetLifecyclePolicy/operations/test_valid_request_succeeds[GetLifecyclePolicy]" in needing
    assert not run.having("fail", "error"), run.having("fail", "error")
    assert "pass" in get.values()  # the checks that need no lifecycle policy are judged as ever


def run_of(outcomes: dict[str, str], messages: dict[str, str] | None = None) -> SuiteRun:
    return SuiteRun(outcomes, messages or {}, (), 0.1)


def mutant(meant: tuple[str, ...] = (CHECK,), survives: str = "") -> Mutant:
    return Mutant("m", "quota", "d", {"scan_quota": False}, meant, survives)


@pytest.mark.parametrize("pattern, check, meant", [
    (CHECK, CHECK, True),
    ("StartImageScan/protocol/test_signature", "StartImageScan/protocol/test_signature[expired-date]", True),
    ("StartImageScan/protocol/test_signature", "StartImageScan/protocol/test_signature_more", False),
    ("StartImageScan/protocol/test_signature[expired*", "StartImageScan/protocol/test_signature[expired-date]", True),
    ("StartImageScan/protocol/test_signature[expired-date]", "StartImageScan/protocol/test_signature[future-date]",
     False),
])
def test_a_meant_check_is_named_by_its_id_its_test_or_a_prefix(pattern, check, meant):
    assert catalogue.matches(pattern, check) is meant


def test_a_mutant_is_killed_only_when_its_meant_check_fails():
    other = "StartImageScan/start_image_scan/test_concurrent_scans_start_once"
    killed = judge_mutant(mutant(), run_of({CHECK: "fail", other: "fail"}))
    assert killed.killed_by == (CHECK,) and killed.also_failed == (other,) and killed.as_expected
    not_judged = judge_mutant(mutant(), run_of({CHECK: "error", other: "fail"}))
    assert not not_judged.killed and not not_judged.as_expected
    assert not_judged.not_judged == (CHECK,) and other in not_judged.reason


def test_a_mutant_expected_to_survive_must_survive():
    survivor = mutant(survives="no check holds the target to this yet")
    assert judge_mutant(survivor, run_of({CHECK: "pass"})).as_expected
    caught = judge_mutant(survivor, run_of({CHECK: "fail"}))
    assert not caught.as_expected and "drop 'survives'" in caught.reason


def test_a_mutant_runs_only_the_tests_meant_for_it():
    meant = (CHECK, "StartImageScan/protocol/test_signature[expired-date]", "StartImageScan/protocol/test_signature*")
    chosen = selection(mutant(meant))
    assert chosen.areas == ("start_image_scan", "protocol")
    assert chosen.arguments() == ["suites/start_image_scan", "suites/protocol", "-k",
                                  "test_second_scan_is_limit_exceeded or test_signature[expired-date] or test_signature"]
    odd = selection(mutant(("X/operations/test_valid_request_succeeds[a b]", "X/operations/test_absent[Op-m[0]-*")))
    assert odd.tests == ("test_valid_request_succeeds", "test_absent[Op-m[0]-")


def test_a_variant_is_flagged_for_any_outcome_the_control_did_not_have():
    control = run_of({"a": "pass", "b": "skipped", "c": "pass"})
    seen = run_of({"a": "fail", "b": "skipped", "c": "error"}, {"a": "expected 400"})
    assert false_alarms(seen, control) == ("a: fail: expected 400", "c: error")


def test_variants_share_a_run_only_with_variants_of_other_areas_and_knobs():
    groups = variant_groups(CATALOGUE.variants)
    assert sorted(v.name for group in groups for v in group) == sorted(v.name for v in CATALOGUE.variants)
    for group in groups:
        knobs = [knob for variant in group for knob in variant.overrides]
        assert len(knobs) == len(set(knobs)), [v.name for v in group]
        assert len({v.area for v in group}) == len(group), [v.name for v in group]
    assert len(groups) < len(CATALOGUE.variants)


def test_a_flagged_shared_run_is_judged_again_variant_by_variant():
    pretty = Variant("pretty", "response", "d", {"json_indent": 2}, "e")
    plain = Variant("plain", "protocol", "d", {"message_key": "Message"}, "e")
    killer = mutant()

    def run(behaviour, chosen=None):
        if behaviour.json_indent == 2:
            return run_of({CHECK: "fail"})
        return run_of({CHECK: "fail" if not behaviour.scan_quota else "pass"})

    calibration = calibrate(Catalogue((killer,), (pretty, plain)), run=run)
    assert [(v.variant.name, bool(v.false_alarms), v.run_alone) for v in calibration.variants] == \
        [("pretty", True, True), ("plain", False, True)]
    assert calibration.mutants[0].killed and not calibration.problems and not calibration.as_expected


def test_a_catalogue_entry_that_changes_nothing_or_turns_no_knob_is_refused(tmp_path):
    same = tmp_path / "same.toml"
    same.write_text('[[variant]]\nname = "v"\narea = "protocol"\ndescription = "d"\nevidence = "e"\n'
                    'overrides.message_key = "message"\n')
    with pytest.raises(ValueError, match="leave the reference as it is"):
        catalogue.load(same)
    odd = tmp_path / "odd.toml"
    odd.write_text('[[mutant]]\nname = "m"\narea = "quota"\ndescription = "d"\nmeant = ["x"]\n'
                   'overrides.no_such_knob = true\n')
    with pytest.raises(ValueError, match="no_such_knob"):
        catalogue.load(odd)
