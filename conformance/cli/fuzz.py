"""`convspec fuzz`: the command line verb (its arguments, and the handler that runs and reports).

Imports nothing of Hypothesis until the verb runs, so the rest of the command line works without it.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

from .usage import EXIT_OK, PROFILE_NAMES, UsageError

DTYPE_CHOICES = ("float64", "float32", "float16", "bfloat16", "int8", "uint8", "int32")
# The operators convspec fuzz generates calls of (conformance/fuzz/operators.py), named here so
# that building the parser imports no NumPy; a test keeps the two lists equal.
OPERATOR_NAMES = ("conv", "conv_transpose", "conv_grad_input", "conv_grad_weight", "conv_grad_bias")
NO_INVALID_CALLS = ("conv_grad_bias",)  # no attributes: nothing to get wrong but dy's rank
EXIT_FOUND = 1


def add_parser(verbs: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the `fuzz` verb to the `convspec` command line (importing no NumPy, as `--help` must not)."""
    p = verbs.add_parser(
        "fuzz", help="generate cases with Hypothesis; shrink a failure to a minimal vector file",
        description=(
            "Generate calls of an operator (--op) over its whole attribute space, judge each like a vector "
            "(same reference, same accuracy rule), and on a failure shrink it and write it as a "
            "vector file that `convspec run FILE --backend B` replays. Exit 1 when a failure was found."))
    p.add_argument("--backend", default="numpy",
                   help="built-in or installed name, or package.module:callable (default: numpy)")
    p.add_argument("--op", default="conv", choices=OPERATOR_NAMES,
                   help=f"the operator whose calls are generated: {', '.join(OPERATOR_NAMES)} "
                        "(default: conv)")
    p.add_argument("--examples", type=int, default=1000, metavar="N",
                   help="cases to judge (with --laws: cases per law); default 1000")
    p.add_argument("--seed", type=int, metavar="S", help="seed of the run (default: random, and printed)")
    p.add_argument("--dtype", action="append", choices=DTYPE_CHOICES, metavar="D",
                   help=f"only this dtype (repeatable; default: all the backend supports: "
                        f"{', '.join(DTYPE_CHOICES)})")
    p.add_argument("--max-size", type=int, default=6, metavar="N",
                   help="largest spatial extent of a generated input (default 6)")
    p.add_argument("--invalid", action="store_true",
                   help="generate invalid calls, which every backend must reject")
    p.add_argument("--laws", action="store_true",
                   help="check the metamorphic laws on the backend (no reference) instead")
    p.add_argument("--profile", default="strict", choices=PROFILE_NAMES,
                   help="accuracy profile for judging (default: strict)")
    p.add_argument("--out", metavar="DIR", default=".",
                   help="where to write the reproducer (default: the current directory)")
    p.add_argument("--time-budget", type=float, metavar="SECONDS",
                   help="stop searching after this many seconds (shrinking a failure still finishes)")
    p.add_argument("--deadline-off", action="store_true",
                   help="no deadline per case (for slow backends); default 5000 ms")
    p.add_argument("--database", metavar="DIR|none", default="none",
                   help="Hypothesis example database: a failure saved there replays first (default: none)")
    p.add_argument("--derandomize", action="store_true",
                   help="the same cases on every run (seed 0 unless --seed; no database), for CI")
    p.set_defaults(func=cmd_fuzz)
    return p


def _say(text: str) -> None:
    print(text, flush=True)


def _progress(progress) -> None:
    label = f"{progress.label}: " if progress.label else ""
    if progress.phase == "shrink":
        line = (f"  {label}shrinking: {progress.shrink_cases} cases tried; smallest failing so far: "
                f"{progress.smallest}")
    else:
        counts = ", ".join(f"{n} {o}" for o, n in sorted(progress.counts.items()))
        line = (f"  {label}{progress.cases} cases ({counts}) in {progress.seconds:.1f} s, "
                f"{progress.rate:.0f} cases/s")
    print(line, file=sys.stderr, flush=True)


def cmd_fuzz(args: argparse.Namespace) -> int:
    if importlib.util.find_spec("hypothesis") is None:
        raise UsageError("convspec fuzz needs Hypothesis: pip install hypothesis")
    import hypothesis.database

    if not hasattr(hypothesis.database, "choices_to_bytes"):  # the choice-sequence database format
        raise UsageError(f"convspec fuzz needs Hypothesis 6.124 or newer (this is {hypothesis.__version__}):"
                         " pip install -U hypothesis")
    from ..backends import BackendNotFound, resolve
    from ..fuzz.engine import FuzzConfig
    from ..tolerance import PROFILES

    if args.examples < 1:
        raise UsageError("--examples must be at least 1")
    if args.max_size < 1:
        raise UsageError("--max-size must be at least 1")
    if args.invalid and args.laws:
        raise UsageError("--invalid and --laws are two different modes: choose one")
    if args.invalid and args.op in NO_INVALID_CALLS:
        raise UsageError(f"{args.op} takes no attributes: there are no invalid calls to generate")
    try:
        backend = resolve(args.backend)
    except BackendNotFound as exc:
        raise UsageError(str(exc)) from None
    if backend.operator(args.op) is None:
        raise UsageError(f"backend {backend.name} has no operator {args.op!r} to fuzz")
    database = None if args.derandomize or args.database.lower() == "none" else args.database
    seed = args.seed if args.seed is not None else (0 if args.derandomize else None)
    config = FuzzConfig(
        examples=args.examples, seed=seed, dtypes=tuple(args.dtype) if args.dtype else None,
        max_size=args.max_size, invalid=args.invalid, time_budget=args.time_budget,
        deadline=None if args.deadline_off else FuzzConfig.deadline, database=database,
        profile=PROFILES[args.profile], op=args.op)
    try:
        config.space(backend)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.laws:
        return _run_laws(backend, config, Path(args.out))
    return _run_cases(backend, config, Path(args.out))


def _header(backend, config, seed: int, what: str) -> str:
    space = config.space(backend)
    version = f" {backend.version}" if backend.version else ""
    budget = f", time budget {config.time_budget:g} s" if config.time_budget else ""
    return (f"convspec fuzz: backend {backend.name}{version}, op {config.op}, seed {seed}, {what}; dtypes "
            f"{', '.join(space.dtypes)}; ranks {', '.join(map(str, space.ranks))}; max size "
            f"{space.max_size}{budget}")


def _run_cases(backend, config, out: Path) -> int:
    from ..fuzz.engine import fuzz
    from ..fuzz.writer import write_vector_file
    from ..show import render

    config.seed = config.resolved_seed()
    mode = "invalid calls" if config.invalid else "valid calls"
    _say(_header(backend, config, config.seed, f"up to {config.examples} {mode}"))
    report = fuzz(backend, config, _progress)
    p = report.progress
    counts = ", ".join(f"{n} {o}" for o, n in sorted(p.counts.items())) or "none"
    if report.problem:
        _say(f"PROBLEM after {p.cases} cases: {report.problem}")
        return EXIT_FOUND
    if report.failure is None:
        why = "time budget spent" if report.stopped == "time budget" else "done"
        _say(f"no failure in {p.cases} cases ({counts}) in {report.seconds:.1f} s, "
             f"{p.rate:.0f} cases/s ({why}; seed {report.seed})")
        return EXIT_OK
    failure = report.failure
    _say(f"FAILURE after {p.cases} cases (seed {report.seed}); shrunk with {p.shrink_cases} more cases "
         f"in {report.seconds:.1f} s.")
    try:
        written = write_vector_file(failure.case, failure.result, backend, out, seed=report.seed,
                                    profile=config.profile)
    except Exception as exc:  # the reproducer could not be written: still show the case
        _say(render(failure.vector))
        _say(f"{failure.result.outcome.value}: {failure.result.reason}")
        _say(f"could not write the reproducer: {type(exc).__name__}: {exc}")
        return EXIT_FOUND
    _say("minimal case:")
    _say(render(written.vector))
    result = written.replay
    _say(f"\n{result.outcome.value}: {result.reason}"
         + (f"; {result.worst.describe()}" if result.worst is not None else ""))
    _say(f"catches: {', '.join(written.diagnosis.catches)} ({written.diagnosis.summary})")
    _say(f"wrote {written.path}")
    _say(f"replay: convspec run {written.path} --backend {backend.name}")
    return EXIT_FOUND


def _run_laws(backend, config, out: Path) -> int:
    from ..fuzz.cases import case_vector
    from ..fuzz.engine import fuzz_laws
    from ..fuzz.metamorphic import law_calls
    from ..fuzz.operators import fuzzed
    from ..fuzz.writer import write_vector_file
    from ..runner import run_vector

    config.seed = config.resolved_seed()
    space = config.space(backend)
    all_laws = fuzzed(config.op).laws
    laws = [law for law in all_laws if law.applies(backend, space)]
    skipped = [law.name for law in all_laws if law not in laws]
    _say(_header(backend, config, config.seed, f"metamorphic laws, up to {config.examples} cases each"))
    if skipped:
        _say(f"not checked (the backend's operators or the dtypes do not allow them): {', '.join(skipped)}")
    if not laws:
        _say("no law applies: the laws need float64, float32 or an integer dtype")
        return EXIT_OK
    report = fuzz_laws(backend, config, tuple(laws), _progress)
    p = report.progress
    if report.problem:
        _say(f"PROBLEM: {report.problem}")
        return EXIT_FOUND
    if report.law is None:
        for name in report.laws_checked:
            _say(f"holds   {name}")
        why = " (time budget spent)" if report.stopped == "time budget" else ""
        _say(f"{len(report.laws_checked)} laws hold on {p.cases} cases in {report.seconds:.1f} s{why} "
             f"(seed {report.seed})")
        return EXIT_OK
    for name in report.laws_checked[:-1]:
        _say(f"holds   {name}")
    law, case = report.law, report.law_case
    _say(f"BROKEN  {law.name}: {law.summary}")
    _say(f"  {report.law_message}")
    _say(f"minimal case (shrunk with {p.shrink_cases} more cases): {case.describe()}")
    _say(case.arrays_text())
    for recorded in law_calls(law, law.implementation(backend), case):
        result = run_vector(case_vector(recorded, seed=report.seed), backend, config.profile)
        if result.outcome.is_problem:
            written = write_vector_file(recorded, result, backend, out, seed=report.seed,
                                        profile=config.profile)
            _say(f"one of the law's calls fails against the reference: {result.reason}")
            _say(f"wrote {written.path}")
            _say(f"replay: convspec run {written.path} --backend {backend.name}")
            break
    else:
        _say("every call the law makes is within the accuracy rule against the reference: "
             "no vector reproduces it, only the law")
    return EXIT_FOUND
