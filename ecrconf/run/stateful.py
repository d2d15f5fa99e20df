"""Running the stateful suite: a Hypothesis state machine over programs, or one program replayed, each step
judged by one invariant; and what a failure tells its reader (the program, numbered, and a replay command).

Every rule of the machine draws one step (``ecrconf.generate.programs``), runs it (``ProgramRun``) and judges
the invariant the test is about. A program whose answers left the model (``ProgramRun.diverged``) is judged
no further by the other invariants: a noted early end, so that one deviation fails one check. Where an
invariant does not hold, its reads are asked again until it does or ``--consistency-wait`` is spent (never
longer); the time waited is noted and reported.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass

from hypothesis import event, note, settings, stateful
from hypothesis.control import currently_in_test_context
from hypothesis import strategies as st
from hypothesis.internal.conjecture import engine

from ecrconf import paths
from ecrconf.checks import ConformanceFailure, OperationUnsupported, invariants
from ecrconf.generate import programs
from ecrconf.resources import program_reads
from ecrconf.resources.program import ProgramRun, Step
from ecrconf.run import program_text, shrinking
from ecrconf.run.ministack import REPLAY_RUNNER_ENV
from ecrconf.wire import protocol

# Hypothesis's examples and steps per program, by profile; any other profile (the calibration's) as conformance.
BOUNDS = {"conformance": (4, 12), "thorough": (40, 40)}
SHRINK_SECONDS = 60  # how long a new failure may be shrunk (Hypothesis's own bound is 300 s)
# Programs every run judges first, as Hypothesis's explicit examples: each reaches a state that the
# exploration reaches only now and then (a tag moved, a name created again after a forced deletion, a
# deletion between two pages, the repository settings, policies and tags).
EXAMPLES = paths.data("fixtures", "programs")
POLL_SECONDS = 1.0  # between two reads while waiting for eventual consistency


@dataclass(frozen=True)
class Invariant:
    name: str
    operation: str  # the operation the check is reported under
    evidence: tuple[str, str]  # level, source
    requirement: str
    judge: Callable  # (run, step) -> list[invariants.Problem]


def answers(run: ProgramRun, step: Step) -> list[invariants.Problem]:
    """The calls of the step whose answers disagree with the model's outcomes, or carry another value of a
    member the model predicts."""
    return [invariants.Problem(c.problem or c.misanswer, c.exchange) for c in step.calls if c.problem or c.misanswer]


def digests(run: ProgramRun, step: Step) -> list[invariants.Problem]:
    """The step's PutImage answers that name the image by another digest than its bytes'."""
    return invariants.digests(step)


def paging(run: ProgramRun, step: Step) -> list[invariants.Problem]:
    """The listing walked around a deletion (a delete_between_pages step), while the program is judged."""
    return invariants.paging(step.walk) if step.walk and run.diverged is None else []


def after_reads(name: str) -> Callable:
    """An invariant judged on what its reads get after each step, the model's state against the target's."""
    read, compare = program_reads.READS[name], getattr(invariants, name)

    def judge(run: ProgramRun, step: Step) -> list[invariants.Problem]:
        if run.diverged is not None or not step.calls:
            return []
        got = read(run, {step.step["repository"]})
        for exchange in _exchanges(got):
            if protocol.not_implemented(exchange):
                raise OperationUnsupported(exchange)
        return compare(run, got)
    return judge


def _exchanges(got: dict):
    for value in got.values():
        yield from (value.exchanges if isinstance(value, invariants.Walk) else (value,))


def judge(invariant: Invariant, run: ProgramRun, step: Step, wait: float) -> None:
    """Judge step by invariant, re-reading for up to wait seconds while it does not hold; raise
    ConformanceFailure (its first problem's exchange) when it still does not."""
    started = time.monotonic()
    problems = invariant.judge(run, step)
    while problems and invariant.judge not in (answers, digests, paging) and time.monotonic() - started < wait:
        time.sleep(min(POLL_SECONDS, max(0.0, wait - (time.monotonic() - started))))
        problems = invariant.judge(run, step)
    waited = time.monotonic() - started if wait else 0.0
    run.waited += waited
    if waited >= 0.05:
        _note(run, f"waited {waited:.1f} s for {invariant.name} to hold after step {sent(run)}")
    if run.diverged is not None and not run.noted:
        run.noted = True
        _note(run, f"step {sent(run)}: {run.diverged.problem}; the program is judged no further")
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ConformanceFailure(f"{invariant.name}: after step {sent(run)} ({programs.describe(step.step)}): "
                                 f"{first.text}{more}", received="; ".join(p.text for p in problems[:4]),
                                 expected=invariant.requirement, exchange=first.exchange)


def sent(run: ProgramRun) -> int:
    """The number of the run's last step among the steps sent, as the printed and saved program numbers them
    (a step not sent is in neither)."""
    return sum(1 for s in run.steps if not s.skipped)


def _note(run: ProgramRun, text: str) -> None:
    """A note for the reader of a failure: Hypothesis's (reported with its example), and the program's."""
    run.notes.append(text)
    if currently_in_test_context():
        note(text)
        event("waited for eventual consistency" if text.startswith("waited") else "a program left the model")


class Programs:
    """Makes each program's ProgramRun; remembers the last, which is the failing program Hypothesis shrank."""

    def __init__(self, client, resources, *, refused: bool = True):
        self.client, self.resources, self.refused = client, resources, refused
        self.made = 0
        self.last: ProgramRun | None = None

    def new(self) -> ProgramRun:
        if self.last is not None:
            self.last.close()
        self.made += 1
        self.last = ProgramRun(self.client, self.resources, f"{self.resources.prefix}-p{self.made}",
                               refused=self.refused)
        return self.last

    def close(self) -> None:
        if self.last is not None:
            self.last.close()


def machine(invariant: Invariant, made: Programs, wait: float) -> type[stateful.RuleBasedStateMachine]:
    """A RuleBasedStateMachine whose every rule draws, runs and judges one step."""

    def init(self) -> None:
        stateful.RuleBasedStateMachine.__init__(self)
        self.run = made.new()

    @stateful.rule(data=st.data())
    def step(self, data) -> None:
        judge(invariant, self.run, self.run.run(programs.draw_step(data, self.run.view())), wait)

    body = {"__init__": init, "step": step}
    return type(f"Registry_{invariant.name}", (stateful.RuleBasedStateMachine,), body)


def explore(invariant: Invariant, made: Programs, wait: float, *, known: bool) -> None:
    """The fixed programs meant for the invariant (EXAMPLES, as --replay-steps runs them), then the machine
    under the current profile's bounds (BOUNDS); a known deviation is not shrunk, a new one for at most
    SHRINK_SECONDS; a fault (NoVerdict) ends it at once (ecrconf.run.shrinking)."""
    for path in sorted(EXAMPLES.glob("*.json")):
        if programs.meant_for(path, invariant.name):
            replay(invariant, made, programs.load(path), wait)
    current = settings()
    examples, steps = BOUNDS.get(settings.get_current_profile_name(), BOUNDS["conformance"])
    test = stateful.get_state_machine_test(machine(invariant, made, wait), settings=settings(
        current, max_examples=examples, stateful_step_count=steps, print_blob=False))
    with _shrink_bound(), shrinking.guarded(test, known=known):
        test()


@contextlib.contextmanager
def _shrink_bound():
    saved = engine.MAX_SHRINKING_SECONDS
    engine.MAX_SHRINKING_SECONDS = min(saved, SHRINK_SECONDS)
    try:
        yield
    finally:
        engine.MAX_SHRINKING_SECONDS = saved


def replay(invariant: Invariant, made: Programs, steps: list[dict], wait: float) -> None:
    """Run exactly steps, judged as the machine judges them, with no Hypothesis draws."""
    run = made.new()
    for step in steps:
        judge(invariant, run, run.run(step), wait)


def explained(failure: BaseException, run: ProgramRun | None, save: Callable[[list[dict]], str],
              replay_command: Callable[[str], str]) -> None:
    """Add to failure, as notes, the program of run numbered with each call's request and answer, the time
    waited for consistency, where the program is saved (save(steps) -> path) and the command that replays it.
    Hypothesis's own notes (its steps, in its terms) are replaced."""
    if run is None:
        return
    steps = [s.step for s in run.steps if not s.skipped]
    lines = program_text.numbered(run)
    if not steps:
        lines.append("no step was sent before the failure: there is no program to replay")
    else:
        try:
            path = save(steps)
            lines += [f"program saved: {path}", f"replay: {replay_command(path)}"]
        except OSError as exc:
            lines.append(f"the program could not be saved: {exc.strerror or exc}")
    failure.__notes__ = lines
    failure.program = lines  # for its record (ecrconf.run.results.details) and so for every report


# The options that decide what a replayed program meets and how its answers are judged; the replay carries them.
_REPLAYED_OPTIONS = ("region", "aws_profile", "target", "expectations", "consistency_wait")


def replay_command(request, target, path: str) -> str:
    """The command that runs this program again with the verdict it had: the same target, region, credentials,
    expectations and evidence level, from any folder when the suite is installed; through the runner that
    started the target, when one did: the command in REPLAY_RUNNER_ENV (set by ecrconf.run.ministack), ending in
    "--", starts another and runs pytest against it with the arguments that follow."""
    option = request.config.option
    runner = os.environ.get(REPLAY_RUNNER_ENV, "")
    args = [] if target.embedded or runner else [f"--endpoint={target.redacted_endpoint()}"]
    args += [f"--{name.replace('_', '-')}={getattr(option, name)}" for name in _REPLAYED_OPTIONS
             if getattr(option, name, None) is not None and not (runner and name == "target")]
    if getattr(option, "evidence", "observed") != "observed":
        args.append(f"--evidence={option.evidence}")
    args += [f"--replay-steps={path}", "-k", request.node.name]
    if runner:
        return shlex.join([*shlex.split(runner), str(request.node.path.relative_to(request.config.rootpath)), *args])
    if paths.INSTALLED:  # pytest's rootdir is inside site-packages: a path relative to it resolves nowhere
        return shlex.join(["ecrconf", "run", str(request.node.path), *args])
    return shlex.join(["pytest", str(request.node.path.relative_to(request.config.rootpath)), *args])
