"""Searching for a failing case, then shrinking it, Hypothesis last.

A Hypothesis draw costs more than judging a small case, so the search does not go through
Hypothesis: the builders of ``strategies`` run on a ``RandomChooser`` seeded with the run's seed
(the cases depend on the seed alone, never on timing) and each case is judged at once. When one
fails, a greedy first shrink on the same fast path (``simplify``) makes the shape's choices as
small as the failure allows, then every value choice it can 0; the resulting choice sequence is
saved in a Hypothesis example database under the run's key, and Hypothesis runs the same builder
in its reuse and shrink phases: it replays the failure and shrinks it further, and the exception
of the minimal case comes back. With ``--database DIR`` that database is a directory, so a failure
saved there replays (and is reported) first on the next run.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import hypothesis
import numpy as np
from hypothesis import HealthCheck, Phase, Verbosity
from hypothesis.database import DirectoryBasedExampleDatabase, ExampleDatabase, InMemoryExampleDatabase
from hypothesis.errors import DeadlineExceeded, Flaky, Unsatisfiable

from ..backends import Backend
from ..outcomes import Outcome, Result
from ..tolerance import STRICT, Profile
from ..vector import Vector
from .cases import Case, judge_case
from .metamorphic import Law, LawCase
from .operators import fuzzed
from .strategies import Chooser, RandomChooser, Rejected, ReplayChooser, Space, strategy

PROGRESS_SECONDS = 2.0
MAX_REJECTED = 1000  # builders reject rarely; this many in a row is a bug


def choices_to_bytes(choices: tuple) -> bytes:
    """Hypothesis's database encoding of a choice sequence (Hypothesis 6.124 and newer)."""
    from hypothesis.database import choices_to_bytes as encode

    return encode(choices)


@dataclass
class FuzzConfig:
    """What `convspec fuzz` was asked for."""

    examples: int = 1000  # cases to judge (laws: cases per law)
    seed: int | None = None  # None: a random seed, reported so the run can be repeated
    dtypes: tuple[str, ...] | None = None  # None: every dtype the backend supports
    max_size: int = 6  # largest spatial extent of a generated input
    invalid: bool = False  # generate invalid calls that every backend must reject
    time_budget: float | None = None  # seconds; stop searching when spent
    deadline: float | None = 5000.0  # milliseconds per case; None: no deadline
    database: str | Path | None = None  # Hypothesis example database directory; None: in memory
    profile: Profile = STRICT
    op: str = "conv"  # the operator whose calls are generated (see operators.FUZZED)

    def resolved_seed(self) -> int:
        return self.seed if self.seed is not None else random.SystemRandom().randrange(2**32)

    def space(self, backend: Backend) -> Space:
        dtypes, defined = self.dtypes, fuzzed(self.op).dtypes
        if defined is not None:  # an operator defined for some dtypes only draws those
            dtypes = tuple(d for d in dtypes or defined if d in defined)
            if not dtypes:
                raise ValueError(f"{self.op} is defined for {', '.join(defined)} only")
        return Space.for_backend(backend, dtypes, max_size=self.max_size, profile=self.profile.name)


@dataclass
class Failure:
    """The minimal failing case Hypothesis shrank to, and how it failed."""

    case: Case
    vector: Vector
    result: Result


@dataclass
class Progress:
    """Counts while a run goes on; handed to the progress callback."""

    phase: str = "search"  # "search", then "shrink" once a failure was found
    cases: int = 0  # cases judged while searching
    shrink_cases: int = 0  # cases tried while shrinking
    counts: Counter = field(default_factory=Counter)  # outcome value -> cases, while searching
    started: float = field(default_factory=time.perf_counter)
    label: str = ""  # what is being checked (a law's name in laws mode)
    smallest: str = ""  # the smallest failing case so far, while shrinking

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started

    @property
    def rate(self) -> float:
        return self.cases / self.seconds if self.seconds > 0 else 0.0


@dataclass
class FuzzReport:
    """How a run ended."""

    seed: int
    progress: Progress
    seconds: float = 0.0
    failure: Failure | None = None
    law: Law | None = None  # laws mode: the law that is broken
    law_case: LawCase | None = None
    law_message: str = ""
    problem: str = ""  # the run ended without a shrunk case: why (deadline, not deterministic)
    stopped: str = "examples"  # "examples", "time budget" or "failure"
    laws_checked: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.failure is not None or self.law is not None or bool(self.problem)


class CaseFailed(Exception):
    """A case whose outcome is a problem. One subclass per outcome, so Hypothesis shrinks a fail
    to a fail and an error to an error, never one into the other."""

    def __init__(self, case: Case, vector: Vector, result: Result):
        super().__init__(f"{result.outcome.value}: {vector.id}: {result.reason}")
        self.case, self.vector, self.result = case, vector, result


FAILED_BY_OUTCOME = {o: type(f"Case{o.name.title()}", (CaseFailed,), {}) for o in Outcome if o.is_problem}


class LawBroken(Exception):
    """A metamorphic law that does not hold on a case."""

    def __init__(self, law: Law, case: LawCase, message: str):
        super().__init__(f"{law.name}: {message}")
        self.law, self.case, self.message = law, case, message


class TooSlow(Exception):
    """A case took longer than the deadline."""


class _Run:
    """One search-and-shrink: the builder, the check, the budget and the progress callback."""

    def __init__(self, config: FuzzConfig, progress: Progress, callback: Callable[[Progress], None] | None):
        self.config, self.progress, self.callback = config, progress, callback
        self.budget_end = None if config.time_budget is None else progress.started + config.time_budget
        self.last_tick = time.perf_counter()

    @property
    def budget_spent(self) -> bool:
        return self.budget_end is not None and time.perf_counter() >= self.budget_end

    def tick(self) -> None:
        now = time.perf_counter()
        if self.callback is not None and now - self.last_tick >= PROGRESS_SECONDS:
            self.last_tick = now
            self.callback(self.progress)

    def timed(self, check: Callable[[object], None], item: object) -> None:
        start = time.perf_counter()
        check(item)
        took = (time.perf_counter() - start) * 1000
        if self.config.deadline is not None and took > self.config.deadline:
            raise TooSlow(f"a case took {took:.0f} ms, over the deadline of {self.config.deadline:g} ms "
                          f"({describe(item)}); a slow backend needs --deadline-off")

    def search(self, build: Callable[[Chooser], object], check: Callable[[object], None], seed: int,
               examples: int) -> tuple[RandomChooser | None, BaseException | None, str]:
        """Judge built cases until one fails (its chooser, holding the choices, and exception),
        ``examples`` cases were judged, or the budget is spent."""
        rng = np.random.default_rng(seed)
        start, rejected = self.progress.cases, 0
        while self.progress.cases - start < examples:
            if self.budget_spent:
                return None, None, "time budget"
            chooser = RandomChooser(rng)
            try:
                item = build(chooser)
            except Rejected:
                rejected += 1
                if rejected > MAX_REJECTED:
                    raise RuntimeError("the case builder rejects nearly everything") from None
                continue
            rejected = 0
            try:
                self.timed(check, item)
            except (CaseFailed, LawBroken) as exc:
                return chooser, exc, "failure"
            except TooSlow as exc:
                return None, exc, "failure"
            finally:
                self.tick()
        return None, None, "examples"

    def simplify(self, build: Callable[[Chooser], object], check: Callable[[object], None],
                 found: RandomChooser, failure: BaseException) -> list[int]:
        """A first, greedy shrink on the fast path, before Hypothesis's (whose every step costs many
        Hypothesis draws): returns a simpler choice sequence that fails the same way.

        First the shape: each choice before the builder's mark tries every smaller value, the values'
        choices unchanged, and if that passes, with every value choice 1. (Hypothesis's shrinker
        would zero values first, and a value that carries the failure then often pins a channel, a
        group or an axis in place.) Then each value choice tries 0 (the simplest value). Repeated
        while anything changes.
        """
        best = list(found.choices)
        end = found.marks[0] if found.marks else 0

        def fails(choices: list[int], i: int) -> list[int] | None:
            trial = ReplayChooser(choices)
            try:
                item = build(trial)
            except Rejected:
                return None
            if trial.choices[i] >= best[i] or (trial.marks and trial.marks[0] != end):
                return None  # clamped back into its range, or the values' choices moved
            self.progress.shrink_cases += 1
            try:
                check(item)
            except type(failure):
                return trial.choices
            except (CaseFailed, LawBroken):
                return None
            finally:
                self.tick()
            return None

        for _ in range(3):
            before = list(best)
            for i in range(len(best)):
                smaller = range(0 if best[i] > 0 else best[i], best[i]) if i < end else [0]
                for value in smaller:
                    if i >= len(best) or value >= best[i]:
                        continue
                    simpler = fails([*best[:i], value, *best[i + 1:]], i)
                    if simpler is None and i < end:
                        # the smaller shape may have lost the elements that carried the failure:
                        # try it once more with every value choice 1 (a simple non-zero value)
                        simpler = fails([*best[:i], value, *best[i + 1:end], *[1] * (len(best) - end)], i)
                    if simpler is not None:
                        best = simpler
                        break
            if best == before:
                break
        return best

    def shrink(self, build: Callable[[Chooser], object], check: Callable[[object], None],
               choices: list[int] | None, key: str, seed: int) -> BaseException | None:
        """Let Hypothesis replay ``choices`` (and whatever the database holds under ``key``) and shrink
        the failure; the minimal case's exception, or None when nothing failed again."""
        database: ExampleDatabase = (DirectoryBasedExampleDatabase(str(self.config.database))
                                     if self.config.database else InMemoryExampleDatabase())
        key_bytes = key.encode()
        if choices is None and not any(True for k in (key_bytes, key_bytes + b".secondary")
                                       for _ in database.fetch(k)):
            return None  # nothing saved: nothing to replay
        if choices is not None:
            # Hypothesis's secondary corpus holds failures not yet shrunk (the primary one, minimal
            # ones, which it replays without shrinking).
            database.save(key_bytes + b".secondary", choices_to_bytes(tuple(choices)))

        def test(item) -> None:
            self.progress.shrink_cases += 1
            check(item)
            self.tick()

        run = hypothesis.settings(
            max_examples=100, deadline=self.config.deadline, database=database, derandomize=False,
            report_multiple_bugs=False, print_blob=False, verbosity=Verbosity.quiet,
            phases=[Phase.reuse, Phase.shrink], suppress_health_check=list(HealthCheck),
        )(hypothesis.given(strategy(build))(test))
        # Hypothesis's own hooks (what @seed sets, but @seed also turns the database off): the key
        # the choices are saved under, and a fixed seed so that shrinking is the same on every run.
        run._hypothesis_internal_database_key = key_bytes
        run._hypothesis_internal_use_seed = seed
        try:
            run()
        except (CaseFailed, LawBroken, DeadlineExceeded, Flaky) as exc:
            return exc
        except Unsatisfiable:
            return None
        return None


def describe(item: object) -> str:
    return item.describe() if hasattr(item, "describe") else repr(item)


def _problem(exc: BaseException, config: FuzzConfig) -> str:
    if isinstance(exc, TooSlow):
        return str(exc)
    if isinstance(exc, DeadlineExceeded):
        return (f"while shrinking, a case took longer than the deadline of {config.deadline:g} ms "
                f"({exc}); a slow backend needs --deadline-off")
    return (f"a case failed once but not when Hypothesis ran it again: the backend is not deterministic "
            f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})")


def _key(kind: str, backend: Backend, detail: str) -> str:
    return f"convspec-fuzz/1|{kind}|{backend.name}|{detail}"


def fuzz(backend: Backend, config: FuzzConfig | None = None,
         progress_callback: Callable[[Progress], None] | None = None) -> FuzzReport:
    """Judge generated cases against the reference until a failure (then shrunk), ``config.examples``
    cases, or the time budget."""
    config = config or FuzzConfig()
    seed = config.resolved_seed()
    space = config.space(backend)
    mode = "invalid" if config.invalid else "valid"
    builders = fuzzed(config.op)
    build_case = builders.build_invalid if config.invalid else builders.build_valid

    def build(c: Chooser) -> Case:
        return build_case(c, space)

    progress = Progress()
    run = _Run(config, progress, progress_callback)

    def check(case: Case) -> None:
        vector, result = judge_case(case, backend, config.profile, seed=seed)
        if progress.phase == "search":
            progress.cases += 1
            progress.counts[result.outcome.value] += 1
        if result.outcome.is_problem:
            progress.phase = "shrink"
            progress.smallest = case.describe()
            raise FAILED_BY_OUTCOME[result.outcome](case, vector, result)

    key = _key(fuzzed(config.op).database_prefix + mode, backend, config.profile.name)
    report = FuzzReport(seed, progress)
    exc = run.shrink(build, check, None, key, seed) if config.database else None  # saved failures first
    if exc is None:
        found, exc, report.stopped = run.search(build, check, seed, config.examples)
        if found is not None:
            choices = run.simplify(build, check, found, exc)
            exc = run.shrink(build, check, choices, key, seed)
            if exc is None:
                exc = Flaky("the case did not fail again")
    else:
        report.stopped = "failure"
    if isinstance(exc, CaseFailed):
        report.failure = Failure(exc.case, exc.vector, exc.result)
        report.stopped = "failure"
    elif exc is not None:
        report.problem, report.stopped = _problem(exc, config), "failure"
    report.seconds = progress.seconds
    return report


def fuzz_laws(backend: Backend, config: FuzzConfig | None = None, laws: tuple[Law, ...] | None = None,
              progress_callback: Callable[[Progress], None] | None = None) -> FuzzReport:
    """Check each metamorphic law (by default those of ``config.op``) on ``config.examples`` cases
    (no reference); stop at the first law that is broken, with its shrunk case."""
    config = config or FuzzConfig()
    laws = fuzzed(config.op).laws if laws is None else laws
    seed = config.resolved_seed()
    space = config.space(backend)
    progress = Progress()
    run = _Run(config, progress, progress_callback)
    report = FuzzReport(seed, progress)
    for number, law in enumerate(laws):
        if not law.applies(backend, space):
            continue
        narrowed = law.narrowed(space)
        progress.label, progress.phase = law.name, "search"

        def build(c: Chooser, law: Law = law, narrowed: Space = narrowed) -> LawCase:
            return law.build(c, narrowed)

        def check(case: LawCase, law: Law = law,
                  implementation: object = law.implementation(backend)) -> None:
            message = law.check(implementation, case)
            if message is not None and backend.limits is not None and \
                    backend.unsupported(case.call) is not None:
                if progress.phase == "search":  # a call the backend declares it cannot run
                    progress.cases += 1
                    progress.counts["unsupported"] += 1
                return
            if progress.phase == "search":
                progress.cases += 1
                progress.counts["holds" if message is None else "broken"] += 1
            if message is not None:
                progress.phase = "shrink"
                progress.smallest = case.describe()
                raise LawBroken(law, case, message)

        key = _key(f"law-{law.name}", backend, "")
        exc = run.shrink(build, check, None, key, seed) if config.database else None
        if exc is None:
            found, exc, stopped = run.search(build, check, seed + number, config.examples)
            if found is not None:
                choices = run.simplify(build, check, found, exc)
                exc = run.shrink(build, check, choices, key, seed)
                if exc is None:
                    exc = Flaky("the case did not break the law again")
            report.stopped = stopped
        report.laws_checked.append(law.name)
        if isinstance(exc, LawBroken):
            report.law, report.law_case, report.law_message = exc.law, exc.case, exc.message
            report.stopped = "failure"
            break
        if exc is not None:
            report.problem, report.stopped = _problem(exc, config), "failure"
            break
        if report.stopped == "time budget":
            break
    report.seconds = progress.seconds
    return report
