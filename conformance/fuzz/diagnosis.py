"""Which registered mistake a failing case shows: the `catches` of the vector the fuzzer writes.

Every mistake of the registry (:mod:`convspec.conformance.mistakes`) that can run the vector is
run on it, as a backend, and judged as the runner judges. A mistake is named when its
implementation fails the vector and its output reproduces the backend's (see :func:`reproduces`):
then an implementation making that mistake fails it, so the claim `catches: [mistake]` is true.
When none reproduces the output, the vector names the mistake 'found-by-fuzzing' if
spec/mistakes.yaml has it, else the failing mistake whose output is nearest (still a true claim;
for a backend that raised, output-size-off-by-one, which every valid conv vector catches), and its
title says so.

Only the mistakes of the vector's operator can run it (a conv mistake has no conv_transpose), and
an operator may have few or none registered: then the claims fall back as far as they must, a
failing mistake of the operator first, and when none fails the vector the title says the claim is
unverified (the format wants one name). An invalid call names its operator's accepts-invalid
mistake ('<prefix>-accepts-invalid', computed without raising), else conv's 'accepts-invalid'.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from convspec import spec

from ..dtypes import is_float
from ..expectation import Expectation
from ..judge import judge_expectation
from ..mistakes import registry
from ..tolerance import PROFILES, STRICT
from ..vector import Vector

FALLBACK = "found-by-fuzzing"
ALWAYS_CAUGHT = "output-size-off-by-one"  # conv's: every valid conv vector's output is one longer
ACCEPTS_INVALID = "accepts-invalid"


@dataclass(frozen=True)
class Diagnosis:
    catches: tuple[str, ...]
    exact: bool  # the mistakes of ``catches`` reproduce the backend's output
    summary: str  # what the title says about it


def tolerance(vector: Vector, expect: Expectation, output: np.ndarray) -> np.ndarray:
    """How far, element by element, an output may be from a mistake's ``output`` and still
    reproduce it: twice the accuracy rule's bound, under the strict profile, or under the first
    relaxed profile that accepts ``output``.

    Twice: two implementations making the same mistake in different summation orders each lie
    within the bound of the mistaken computation's exact value, so within twice the bound of each
    other. A relaxed profile: a mistake it accepts is arithmetic it admits (accumulate-half under
    half-accumulate, tf32-inputs under tf32), and a library making it in another order than the
    registry's implementation differs from it by up to that profile's bound and still makes it.
    Every other mistake is reproduced within the strict bound, so two are named together only
    when the rule cannot tell their outputs apart. The bound is the correct call's, not the
    mistaken one's, whose magnitude no implementation reports: close, as most mistakes move or
    drop terms rather than grow them. Integers must be equal (the bound is 0). A fixed relative
    slack (2^-7 once) is too loose for float64 and too tight for 16-bit accumulation. Not covered:
    a float64 call computed in float32 in another order than the registry's (no profile admits
    it); that falls back to the nearest mistake.
    """
    dtype = vector.output_dtype()
    profile = next((p for p in PROFILES.values()
                    if p is not STRICT and judge_expectation(output, expect, dtype, p).passed), STRICT)
    return 2 * np.asarray(expect.bounds(dtype, profile).allowed, dtype=np.float64)


def _matching(got: np.ndarray, model: np.ndarray, tol: np.ndarray) -> np.ndarray:
    """Elements of ``got`` within ``tol`` of ``model``: equal (infinities of one sign), both NaN,
    or finite and close. An output of another shape than the correct one (a mistake about the
    output size) has no element-wise bound: the largest bound stands for all."""
    if tol.shape != got.shape:
        tol = np.full(got.shape, tol.max() if tol.size else 0.0)
    if not is_float(got.dtype) and not is_float(model.dtype):
        return got.astype(np.int64) == model.astype(np.int64)  # exact beyond float64's 2^53
    g, m = got.astype(np.float64), model.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        # an infinite bound (a magnitude beyond float64) must not make inf and a finite value close
        close = np.isfinite(g) & np.isfinite(m) & (np.abs(g - m) <= tol)
        return (g == m) | (np.isnan(g) & np.isnan(m)) | close


def reproduces(got: np.ndarray, model: np.ndarray, tol: np.ndarray, output_dtype: np.dtype) -> bool:
    """Whether ``got`` is ``model``'s output up to ``tol`` (see :func:`tolerance`).

    The dtype counts only where the mistake is about it: a model returning another dtype than the
    vector's (dtype-promoted) is reproduced only in that dtype; otherwise values decide, so a
    backend that also returns the wrong dtype is still recognised by its values.
    """
    if got.shape != model.shape or (model.dtype != output_dtype and got.dtype != model.dtype):
        return False
    return bool(_matching(got, model, tol).all())


def _distance(got: np.ndarray | None, model: np.ndarray, tol: np.ndarray) -> float:
    """The fraction of elements where ``got`` does not reproduce ``model`` (inf: other shape)."""
    if got is None or got.shape != model.shape:
        return np.inf
    return float(1 - _matching(got, model, tol).mean()) if got.size else 0.0


def _as_array(got: object | None) -> np.ndarray | None:
    if got is None:
        return None
    try:
        array = np.asarray(got)
    except Exception:  # whatever the backend returned, it is no array
        return None
    return None if array.dtype == object else array


def failing_outputs(vector: Vector, expect: Expectation) -> dict[str, np.ndarray]:
    """Mistake id -> its output, for every registered mistake that fails ``vector`` (a valid
    one), judged as the runner judges it under the strict profile."""
    dtype = vector.output_dtype()
    outputs = {}
    for mistake, entry in registry().items():
        backend = entry.backend()
        if backend.unsupported(vector.call) is not None:  # a mistake of an operator the vector cannot run
            continue
        try:
            # each its own inputs: an implementation must not see another's changes
            with np.errstate(all="ignore"):
                out = backend.run(vector.call, vector.arrays())
        except Exception:  # raising on the call is an error, not a failure: it reproduces no output
            continue
        if not judge_expectation(out, expect, dtype).passed:
            outputs[mistake] = np.asarray(out)
    return outputs


def accepts_invalid(vector: Vector) -> str:
    """The mistake of accepting ``vector``'s invalid call: its operator's registered
    '...accepts-invalid' mistake if that computes the call (so fails the error vector), else conv's."""
    for mistake, entry in registry().items():
        if entry.operator == vector.op and mistake.endswith(ACCEPTS_INVALID) and mistake != ACCEPTS_INVALID:
            try:
                with np.errstate(all="ignore"):
                    entry.backend().run(vector.call, vector.arrays())
            except Exception:  # it rejects this call after all: no true claim
                continue
            return mistake
    return ACCEPTS_INVALID


def _unexplained(vector: Vector, got_array: np.ndarray | None, failing: dict[str, np.ndarray],
                 tol: dict[str, np.ndarray]) -> Diagnosis:
    """The claim for an output no registered mistake reproduces (see the module docstring)."""
    if FALLBACK in spec.mistakes():
        return Diagnosis((FALLBACK,), False, "no registered mistake reproduces the output")
    if failing and got_array is not None:
        nearest = min(failing, key=lambda m: _distance(got_array, failing[m], tol[m]))
        return Diagnosis((nearest,), False,
                         f"no registered mistake reproduces the output; nearest: {nearest}")
    if registry()[ALWAYS_CAUGHT].operator == vector.operator.name:
        # raising on a valid call (or returning no array) is no registered mistake; every valid
        # conv vector catches output-size-off-by-one (its output is smaller), so the claim holds
        return Diagnosis((ALWAYS_CAUGHT,), False, "no registered mistake is about this; catches names "
                         f"one the vector catches too: {ALWAYS_CAUGHT}")
    if failing:
        first = next(iter(failing))
        return Diagnosis((first,), False, f"no registered {vector.op} mistake is about this; catches names "
                         f"one the vector catches too: {first}")
    own = [m for m, entry in registry().items() if entry.operator == vector.op]
    named = own[0] if own else ALWAYS_CAUGHT
    return Diagnosis((named,), False, f"no registered {vector.op} mistake fails this vector; catches names "
                     f"{named} unverified, as a vector must name one")


def diagnose(vector: Vector, got: object | None) -> Diagnosis:
    """The mistakes ``got`` (the backend's output, None if it raised) shows on ``vector``."""
    if vector.expected_error is not None:
        return Diagnosis((accepts_invalid(vector),), True, "accepts an invalid call")
    expect = vector.expectation()
    dtype = vector.output_dtype()
    got_array = _as_array(got)
    failing = failing_outputs(vector, expect)
    tol = {m: tolerance(vector, expect, out) for m, out in failing.items()}
    # an output that passes shows no mistake, however near a barely failing one's it lies
    if got_array is not None and not judge_expectation(got_array, expect, dtype).passed:
        matches = tuple(m for m, out in failing.items() if reproduces(got_array, out, tol[m], dtype))
        if matches:
            return Diagnosis(matches, True, f"as if it made the mistake {', '.join(matches)}")
    return _unexplained(vector, got_array, failing, tol)
