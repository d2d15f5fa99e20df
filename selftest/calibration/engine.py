"""The calibration: the suite against the reference (the control), against each mutant, and the variants.

A mutant is killed when a check meant for it fails; a check that fails elsewhere, or cannot judge
(error), is no kill. A variant is flagged for every check whose outcome is neither pass nor the one it
had in the control. To keep time bounded, a mutant runs only the tests meant for it, and variants of
different areas share full runs; a shared run that flags anything is run again variant by variant, to
say which one it was.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from selftest.calibration.catalogue import Catalogue, Mutant, Variant, behaviour_from, matches
from selftest.calibration.runs import RunBroken, Selection, SuiteRun, run_suite
from selftest.reference import Behaviour

NOT_JUDGED = ("error", "unsupported")  # outcomes of a check that could not hold the target to anything
CLEAN = ("pass", "skipped")
DEFAULT_STRICT = ("documented", "observed")  # what a run asserts strictly unless told --evidence=inferred
# One name of pytest's -k expression grammar (_pytest/mark/expression.py, IDENT): what -k takes as a word.
_K_NAME = re.compile(r"(?:\w|:|\+|-|\.|\[|\]|\\|/)+")


@dataclass(frozen=True)
class MutantVerdict:
    mutant: Mutant
    killed_by: tuple[str, ...] = ()  # meant checks that failed
    also_failed: tuple[str, ...] = ()  # other checks of its run that failed
    not_judged: tuple[str, ...] = ()  # checks of its run that could not judge
    broken: str = ""  # why the run gave no verdicts, if it did not
    seconds: float = 0.0
    killed_at_default: bool = False  # by a check on evidence the default --evidence=observed asserts

    @property
    def killed(self) -> bool:
        return bool(self.killed_by)

    @property
    def as_expected(self) -> bool:
        return not self.broken and self.killed != bool(self.mutant.survives)

    @property
    def reason(self) -> str:
        """Why it survived, or why its verdict is not the one expected."""
        if self.broken:
            return f"the suite did not run: {self.broken.splitlines()[0]}"
        if self.killed and self.mutant.survives:
            more = f" and {len(self.killed_by) - 1} more" if len(self.killed_by) > 1 else ""
            return f"killed by {self.killed_by[0]}{more}: the check now exists; drop 'survives' from the mutant"
        if self.mutant.survives:
            return self.mutant.survives
        if not self.killed:
            elsewhere = f"; failed instead: {', '.join(self.also_failed)}" if self.also_failed else ""
            return f"its meant checks passed{elsewhere}"
        return ""


@dataclass(frozen=True)
class VariantVerdict:
    variant: Variant
    false_alarms: tuple[str, ...] = ()  # "check id: outcome: message"
    run_alone: bool = False  # False: judged in a run shared with other variants, which flagged nothing
    broken: str = ""  # why its run cannot be trusted: the suite did not run, or the reference failed


@dataclass(frozen=True)
class Calibration:
    control: SuiteRun
    mutants: tuple[MutantVerdict, ...]
    variants: tuple[VariantVerdict, ...]
    seconds: float
    problems: tuple[str, ...] = field(default=())  # what makes the calibration itself untrustworthy

    @property
    def as_expected(self) -> bool:
        return (not self.problems and all(v.as_expected for v in self.mutants)
                and not any(v.false_alarms or v.broken for v in self.variants))


def judge_mutant(mutant: Mutant, run: SuiteRun) -> MutantVerdict:
    failed = run.having("fail")
    killed_by = tuple(check for check in failed if mutant.is_meant(check))
    return MutantVerdict(mutant, killed_by, tuple(c for c in failed if c not in killed_by),
                         tuple(run.having(*NOT_JUDGED)), seconds=run.seconds,
                         killed_at_default=any(run.evidence.get(c) in DEFAULT_STRICT for c in killed_by))


def false_alarms(run: SuiteRun, control: SuiteRun) -> tuple[str, ...]:
    return tuple(f"{check}: {seen}: {run.messages.get(check, '')}".rstrip(": ")
                 for check, seen in sorted(run.outcomes.items())
                 if seen != "pass" and seen != control.outcomes.get(check))


def control_problems(control: SuiteRun, mutants: tuple[Mutant, ...]) -> list[str]:
    """A control that is not clean, reference faults, and meant checks that name no check of the suite."""
    problems = [f"the suite flags the reference: {check}: {control.outcomes[check]}: {control.messages[check]}"
                for check in sorted(control.outcomes) if control.outcomes[check] not in CLEAN]
    problems += [f"the reference failed internally: {fault.strip().splitlines()[-1]}" for fault in control.faults]
    for mutant in mutants:
        if mutant.survives:
            continue  # its meant check may be the one still missing
        for pattern in mutant.meant:
            if not any(matches(pattern, check) for check in control.outcomes):
                problems.append(f"mutant {mutant.name}: no check of the suite is {pattern!r}")
    return problems


def variant_groups(variants: tuple[Variant, ...]) -> list[tuple[Variant, ...]]:
    """The variants in as few groups as fit, no two in a group of one area or turning the same knob.

    Variants of one area could hide one another (the error type only in a header hides the member
    that would carry it in the body), so each runs with variants of other areas only.
    """
    groups: list[list[Variant]] = []
    for variant in variants:
        home = next((g for g in groups if not any(_overlap(variant, v) for v in g)), None)
        if home is None:
            groups.append(home := [])
        home.append(variant)
    return [tuple(group) for group in groups]


def _overlap(one: Variant, other: Variant) -> bool:
    return one.area == other.area or bool(set(one.overrides) & set(other.overrides))


def merged(group: tuple[Variant, ...]) -> Behaviour:
    return behaviour_from({knob: value for variant in group for knob, value in variant.overrides.items()})


def selection(mutant: Mutant) -> Selection:
    """The part of the suite a mutant's run needs: the areas of its meant checks, and -k names that select
    those checks (a generic test has a case per operation: running them all for one would cost seconds)."""
    areas = tuple(dict.fromkeys(area for area, _ in mutant.tests()))
    return Selection(areas, tuple(dict.fromkeys(_k_name(pattern) for pattern in mutant.meant)))


def _k_name(pattern: str) -> str:
    """The -k name of a meant pattern: its test and case, which -k matches as a substring of a test's name
    (so a prefix pattern selects all its cases); its test function when the case has characters -k cannot take."""
    test = pattern.split("/", 2)[2].rstrip("*")
    return test if _K_NAME.fullmatch(test) else test.split("[", 1)[0]


def calibrate(catalogue: Catalogue, jobs: int = 2, run: Callable[..., SuiteRun] = run_suite) -> Calibration:
    started = time.monotonic()
    with ThreadPoolExecutor(jobs) as pool:
        try:
            # The full runs first: the short mutant runs fill in around them.
            control = pool.submit(run, Behaviour())
            groups = [(group, pool.submit(run, merged(group))) for group in variant_groups(catalogue.variants)]
            mutant_runs = _submit_mutants(pool, catalogue.mutants, run)
            control_run = control.result()  # a broken control ends the calibration: nothing can be judged
            variants, problems = _variant_verdicts(pool, groups, control_run, run)
        except BaseException:
            pool.shutdown(cancel_futures=True)
            raise
    mutants = tuple(_mutant_verdict(mutant, future) for mutant, future in mutant_runs)
    problems = control_problems(control_run, catalogue.mutants) + problems
    return Calibration(control_run, mutants, variants, time.monotonic() - started, tuple(problems))


def judge_mutants(mutants: tuple[Mutant, ...], jobs: int = 2,
                  run: Callable[..., SuiteRun] = run_suite) -> tuple[MutantVerdict, ...]:
    """The verdicts calibrate() gives these mutants, without the control and the variants: a mutant is
    judged by its own run alone (jobs runs at a time), so a part of the catalogue can be judged apart."""
    with ThreadPoolExecutor(jobs) as pool:
        try:
            mutant_runs = _submit_mutants(pool, mutants, run)
            return tuple(_mutant_verdict(mutant, future) for mutant, future in mutant_runs)
        except BaseException:
            pool.shutdown(cancel_futures=True)
            raise


def _submit_mutants(pool: ThreadPoolExecutor, mutants: tuple[Mutant, ...],
                    run: Callable[..., SuiteRun]) -> list[tuple[Mutant, Future]]:
    return [(mutant, pool.submit(run, mutant.behaviour(), selection(mutant))) for mutant in mutants]


def _mutant_verdict(mutant: Mutant, future: Future) -> MutantVerdict:
    try:
        return judge_mutant(mutant, future.result())
    except RunBroken as exc:
        return MutantVerdict(mutant, broken=str(exc))


def _variant_verdicts(pool: ThreadPoolExecutor, groups: list[tuple[tuple[Variant, ...], Future]],
                      control: SuiteRun, run: Callable[..., SuiteRun]) -> tuple[tuple[VariantVerdict, ...], list[str]]:
    """Each variant's verdict, and the false alarms only a group of variants together raised."""
    verdicts: dict[str, VariantVerdict] = {}
    again = []
    for group, future in groups:
        flagged, broken = _flagged(future, control)
        if (flagged or broken) and len(group) > 1:
            again.append((group, flagged, [(v, pool.submit(run, v.behaviour())) for v in group]))
        else:
            verdicts.update((v.name, VariantVerdict(v, flagged, len(group) == 1, broken)) for v in group)
    problems = []
    for group, flagged, alone in again:
        for variant, future in alone:
            alarms, broken = _flagged(future, control)
            verdicts[variant.name] = VariantVerdict(variant, alarms, True, broken)
        explained = {alarm.split(": ", 1)[0] for v, _ in alone for alarm in verdicts[v.name].false_alarms}
        problems += [f"variants {' + '.join(v.name for v in group)} together: {alarm}"
                     for alarm in flagged if alarm.split(": ", 1)[0] not in explained]
    return tuple(verdicts[v.name] for group, _ in groups for v in group), problems


def _flagged(future: Future, control: SuiteRun) -> tuple[tuple[str, ...], str]:
    """The false alarms of a variant run, and why the run cannot be trusted, if it cannot."""
    try:
        seen = future.result()
    except RunBroken as exc:
        return (), str(exc)
    broken = f"the reference failed internally: {seen.faults[0].strip().splitlines()[-1]}" if seen.faults else ""
    return false_alarms(seen, control), broken
