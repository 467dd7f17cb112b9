"""Judging one backend output against the expected values under the accuracy rule."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .dtypes import is_float
from .outcomes import Worst
from .tolerance import Bounds


@dataclass(frozen=True)
class Verdict:
    passed: bool
    reason: str = ""
    worst: Worst | None = None


def _show(value: float, dtype: np.dtype) -> str:
    """A value as its dtype prints it, integers without a trailing '.0'."""
    if isinstance(value, np.integer | int):
        return str(int(value))
    if np.isnan(value) or np.isinf(value):
        return str(float(value))
    if float(value).is_integer() and abs(value) < 2**53:
        return str(int(value))
    return str(dtype.type(value)) if is_float(dtype) else repr(float(value))


def _ulp(value: float, dtype: np.dtype) -> float:
    if not is_float(dtype):
        return 1.0
    if not np.isfinite(value):
        return np.nan
    with np.errstate(over="ignore"):
        rounded = np.asarray(abs(value)).astype(dtype)
        if not np.isfinite(rounded.astype(np.float64)):
            return np.nan
        return float(np.spacing(rounded).astype(np.float64))


def _worst(got: np.ndarray, expected: np.ndarray, allowed: np.ndarray, bad: np.ndarray,
           dtype: np.dtype) -> Worst:
    with np.errstate(invalid="ignore", over="ignore"):
        error = np.abs(got.astype(np.float64) - expected.astype(np.float64))
        error = np.where(np.isnan(error), np.inf, error)
        ratio = np.where(allowed > 0, error / np.where(allowed > 0, allowed, 1.0),
                         np.where(error > 0, np.inf, 0.0))
    # the failing element furthest outside its bound (ties broken by the larger error)
    candidates = bad if bad.any() else np.ones_like(bad)
    flat = int(np.lexsort((error.ravel(), np.where(candidates, ratio, -1.0).ravel()))[-1])
    index = tuple(int(i) for i in np.unravel_index(flat, got.shape))
    exp = expected[index]
    ulp = _ulp(float(exp), dtype)
    err = float(error[index])
    return Worst(index=index, got=_show(got[index], dtype), expected=_show(exp, np.dtype(float)),
                 allowed=float(allowed[index]), error=err,
                 ulps=err / ulp if ulp and np.isfinite(ulp) else np.inf, ratio=float(ratio[index]))


def _integer_verdict(got: np.ndarray, expected: np.ndarray) -> Verdict:
    bad = got.astype(np.int64) != expected.astype(np.int64)
    zero = np.zeros(expected.shape)
    worst = _worst(got.astype(np.int64), expected.astype(np.int64), zero, bad, got.dtype)
    if not bad.any():
        return Verdict(True, worst=worst)
    return Verdict(False, f"{int(bad.sum())} of {bad.size} elements differ (integer results must be exact)",
                   worst)


def judge(output: object, expected: np.ndarray, bounds: Bounds, dtype: np.dtype) -> Verdict:
    """Compare a backend's output with the expected values element by element.

    Integers must be exact. For floats, NaN must stand exactly where ``expected`` has NaN,
    infinities must match in sign, and every finite element must lie within the allowed error;
    a result may overflow to infinity only where the exact result may, and may be inf or NaN only
    where some summation order overflows a partial sum.
    """
    dtype = np.dtype(dtype)
    try:
        got = np.asarray(output)
    except Exception as exc:  # the backend returned something NumPy cannot read
        return Verdict(False, f"output is not an array: {type(exc).__name__}: {exc}")
    if got.dtype == object:
        return Verdict(False, f"output is not a numeric array (got {type(output).__name__})")
    if got.shape != expected.shape:
        return Verdict(False, f"output shape {list(got.shape)}, expected {list(expected.shape)}")
    if got.dtype != dtype:
        return Verdict(False, f"output dtype {got.dtype}, expected {dtype}")
    if not is_float(dtype):
        return _integer_verdict(got, expected)

    allowed = bounds.allowed
    g = got.astype(np.float64)
    ref_nan, ref_inf = np.isnan(expected), np.isinf(expected)
    with np.errstate(invalid="ignore"):
        overflow_ok = bounds.may_overflow & np.isinf(g) & (np.sign(g) == np.sign(expected))
        free = bounds.order_dependent & ~np.isfinite(g)
        nan_mismatch = (ref_nan != np.isnan(g)) & ~free
        bad = nan_mismatch | (ref_inf & (g != expected) & ~free)
        finite = ~ref_nan & ~ref_inf & ~overflow_ok & ~free
        bad |= finite & ~(np.abs(g - expected) <= allowed)
    if not bad.any():
        safe = np.where(finite, g, 0.0)
        return Verdict(True, worst=_worst(safe, np.where(finite, expected, 0.0), allowed, bad, dtype))
    worst = _worst(g, expected, allowed, bad, dtype)
    if np.isnan(g).all() and not ref_nan.all():
        return Verdict(False, f"output is NaN everywhere ({g.size} elements)", worst)
    reason = f"{int(bad.sum())} of {bad.size} elements outside the allowed error"
    if nan_mismatch.any():
        reason += f" ({int(nan_mismatch.sum())} with NaN where the reference has none, or missing)"
    return Verdict(False, reason, worst)
