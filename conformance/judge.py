"""Judging one backend output against the expected values under the accuracy rule."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .outcomes import Worst


@dataclass(frozen=True)
class Verdict:
    passed: bool
    reason: str = ""
    worst: Worst | None = None


def _show(value: float, dtype: np.dtype) -> str:
    """A value as its dtype prints it, integers without a trailing '.0'."""
    if np.isnan(value) or np.isinf(value):
        return str(float(value))
    if float(value).is_integer() and abs(value) < 2**53:
        return str(int(value))
    return str(dtype.type(value))


def _worst(got: np.ndarray, expected: np.ndarray, allowed: np.ndarray, bad: np.ndarray,
           dtype: np.dtype) -> Worst:
    error = np.abs(got - expected)
    error = np.where(np.isnan(error), np.inf, error)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(allowed > 0, error / allowed, np.where(error > 0, np.inf, 0.0))
    ratio = np.where(bad, np.inf, ratio)
    flat = int(np.argmax(ratio))
    index = tuple(int(i) for i in np.unravel_index(flat, got.shape))
    exp = expected[index]
    ulp = float(np.spacing(np.abs(dtype.type(exp)))) if np.isfinite(exp) else np.nan
    err = float(error[index])
    return Worst(index=index, got=_show(got[index], dtype), expected=_show(exp, np.dtype(float)),
                 allowed=float(allowed[index]), error=err,
                 ulps=err / ulp if ulp and np.isfinite(ulp) else np.inf, ratio=float(ratio[index]))


def judge(output: object, expected: np.ndarray, allowed: np.ndarray, dtype: np.dtype) -> Verdict:
    """Compare a backend's output with the expected values element by element.

    NaN must stand exactly where ``expected`` has NaN, infinities must match in sign, and every
    finite element must lie within ``allowed`` of the expected value; a result may overflow to
    infinity only where the expected value plus the allowed error does.
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

    g = got.astype(np.float64)
    ref_nan, ref_inf = np.isnan(expected), np.isinf(expected)
    may_overflow = np.abs(expected) + allowed > float(np.finfo(dtype).max)
    with np.errstate(invalid="ignore"):
        overflow_ok = may_overflow & np.isinf(g) & (np.sign(g) == np.sign(expected))
        bad = (ref_nan != np.isnan(g)) | (ref_inf & (g != expected))
        finite = ~ref_nan & ~ref_inf & ~overflow_ok
        bad |= finite & ~(np.abs(g - expected) <= allowed)
    if not bad.any():
        safe = np.where(bad | ~finite, 0.0, g)
        worst = _worst(safe, np.where(finite, expected, 0.0), allowed, bad, dtype)
        return Verdict(True, worst=worst)
    worst = _worst(g, expected, allowed, bad, dtype)
    count = int(bad.sum())
    reason = f"{count} of {bad.size} elements outside the allowed error"
    nan_where = ref_nan != np.isnan(g)
    if nan_where.any():
        reason += f" ({int(nan_where.sum())} NaN where the reference has none, or missing)"
    return Verdict(False, reason, worst)
