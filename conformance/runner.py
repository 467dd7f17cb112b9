"""Running vectors against a backend: vector -> backend -> judge -> result."""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import sys
import time
from collections.abc import Iterable, Iterator

import numpy as np

from .backends import Backend
from .judge import judge_expectation
from .outcomes import Outcome, Result
from .tolerance import STRICT, Profile
from .vector import Vector


def select(vectors: Iterable[Vector], pattern: str | None = None,
           tags: Iterable[str] = ()) -> list[Vector]:
    """Vectors whose id matches ``pattern`` (a substring, or a glob if it has * ? [) and that carry
    every tag in ``tags``."""
    wanted = set(tags)
    chosen = []
    for v in vectors:
        if pattern and not (fnmatch.fnmatchcase(v.id, pattern) if any(c in pattern for c in "*?[")
                            else pattern in v.id):
            continue
        if not wanted <= set(v.tags):
            continue
        chosen.append(v)
    return chosen


# Inputs up to this size are kept as bytes to compare after the backend call (cheaper than a
# digest for the tiny vectors that make up the corpus); larger ones only as a digest (no copy).
SNAPSHOT_BYTES = 1 << 20


def snapshot(array: np.ndarray) -> tuple:
    """What a backend must not change in one of its inputs: the array's layout and its bytes (kept
    when small, else their SHA-1 digest: a check against accidents, not attacks, and with the CPU's
    SHA instructions three times faster than BLAKE2b). Bitwise: rewriting a NaN's payload is a
    change too."""
    content = (array.tobytes() if array.nbytes <= SNAPSHOT_BYTES
               else hashlib.sha1(np.ascontiguousarray(array), usedforsecurity=False).digest())
    return array.shape, array.strides, array.dtype, content


def _misbehaviour(output: object, arrays: dict[str, np.ndarray], before: dict[str, tuple]) -> str | None:
    """What the backend did wrong besides its values: changed its inputs, or returned one of them."""
    for name, array in arrays.items():
        if snapshot(array) != before[name]:
            return f"the backend modified its input {name}"
    if isinstance(output, np.ndarray):
        for name, array in arrays.items():
            if np.shares_memory(output, array):
                return f"the output is a view of the input {name}, not a new array"
    return None


def run_vector(vector: Vector, backend: Backend, profile: Profile = STRICT) -> Result:
    """Run one vector and judge its output; never raises for a misbehaving backend."""
    start = time.perf_counter()

    def result(outcome: Outcome, reason: str = "", worst=None) -> Result:
        return Result(vector.id, outcome, reason, worst, time.perf_counter() - start, profile.name)

    call = vector.call
    why = backend.unsupported(call)
    if why is not None:
        return result(Outcome.UNSUPPORTED, why)
    arrays = vector.arrays()
    # the backend gets the inputs themselves; a snapshot, not a copy, tells whether it changed them
    before = {name: snapshot(array) for name, array in arrays.items()}
    try:
        # a backend that prints must not interleave with the report on stdout
        with contextlib.redirect_stdout(sys.stderr):
            output = backend.run(call, arrays)
    except Exception as exc:  # the backend under test raised: that is its outcome, not ours
        # one line, whatever the backend put in its message: the report has a line per vector
        message = f"{type(exc).__name__}: {' '.join(str(exc).split())}"
        if vector.expected_error is not None:
            return result(Outcome.PASS, f"rejected: {message}")
        return result(Outcome.ERROR, message)
    if vector.expected_error is not None:
        shape = getattr(output, "shape", None)
        got = f"an array of shape {list(shape)}" if shape is not None else type(output).__name__
        return result(Outcome.FAIL, f"accepted an invalid call ({vector.expected_error}: "
                                    f"{vector.title}) and returned {got}")
    problem = _misbehaviour(output, arrays, before)
    if problem is not None:
        return result(Outcome.FAIL, problem)
    # The inputs are no longer needed: the expectation may overwrite them with their absolute
    # values. Not when the output is no ndarray: it may still read them (a tensor sharing x's memory).
    expect = vector.expectation(arrays, consume=isinstance(output, np.ndarray))
    del arrays  # judging holds the output and the expectation, not the inputs
    verdict = judge_expectation(output, expect, vector.output_dtype(), profile)
    if verdict.passed:
        return result(Outcome.PASS, "", verdict.worst)
    return result(Outcome.FAIL, verdict.reason, verdict.worst)


def apply_expected_failures(res: Result, expected_failures: dict[str, str]) -> Result:
    """Turn a listed vector's outcome into xfail (it still fails) or xpass (it now passes)."""
    reason = expected_failures.get(res.vector_id)
    if reason is None:
        return res
    if res.outcome in (Outcome.FAIL, Outcome.ERROR, Outcome.CRASH, Outcome.TIMEOUT):
        return Result(res.vector_id, Outcome.XFAIL, f"{res.reason} [expected: {reason}]",
                      res.worst, res.seconds, res.profile)
    if res.outcome is Outcome.PASS:
        return Result(res.vector_id, Outcome.XPASS,
                      f"passed but is listed as an expected failure ({reason}); remove the entry",
                      res.worst, res.seconds, res.profile)
    return res


def run(vectors: Iterable[Vector], backend: Backend, profile: Profile = STRICT,
        expected_failures: dict[str, str] | None = None) -> Iterator[Result]:
    """Run every vector in order, yielding each result as soon as it is known."""
    for vector in vectors:
        yield apply_expected_failures(run_vector(vector, backend, profile), expected_failures or {})
