"""Judging one backend output against the expected values under the accuracy rule.

The output is judged in blocks of at most ``BLOCK_ELEMENTS`` elements in flattened (C) order: per
block its bounds, its failing elements and its worst candidate; counts and the worst element are
combined across blocks. Whatever the output's size, judging then holds a few block-sized
temporaries beside the output and the expectation, and the verdict is that of one whole block.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .dtypes import is_float
from .expectation import Expectation
from .outcomes import Worst
from .tolerance import STRICT, Bounds, Profile, bounds

# 2**18 float64 elements are 2 MiB per temporary: small beside a large output, large enough that
# the per-block Python overhead is negligible.
BLOCK_ELEMENTS = 1 << 18


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


@dataclass(frozen=True)
class _Candidate:
    """One element that may be the worst: what Worst reports, and its flat index."""

    ratio: float
    error: float
    flat: int
    got: object  # the value shown (a NumPy scalar)
    expected: object
    allowed: float
    failing: bool

    def outranks(self, other: _Candidate | None) -> bool:
        """Whether this (later) candidate replaces ``other``: failing elements outrank passing ones;
        then the larger ratio (NaN, from inf/inf, ranks above inf as in a sort), then the larger
        error; on a tie the later index wins, as the last entry of a stable lexsort."""
        if other is None:
            return True
        if self.failing != other.failing:
            return self.failing

        def key(c: _Candidate) -> tuple:
            nan = math.isnan(c.ratio)
            return nan, 0.0 if nan else c.ratio, c.error

        return key(self) >= key(other)


@dataclass
class _Tally:
    """What the blocks judged so far add up to."""

    bad: int = 0
    nan_mismatch: int = 0
    got_all_nan: bool = True
    ref_all_nan: bool = True
    worst: _Candidate | None = None

    def offer(self, candidate: _Candidate) -> None:
        if candidate.outranks(self.worst):
            self.worst = candidate


def _last_max(primary: np.ndarray, secondary: np.ndarray) -> int:
    """Index of the largest (primary, secondary) pair, the last among equals: the last entry of
    ``np.lexsort((secondary, primary))`` (NaN in primary sorts above inf; secondary has no NaN)."""
    top = primary.max()
    tie = np.isnan(primary) if np.isnan(top) else primary == top
    ranked = np.where(tie, secondary, -np.inf)
    return ranked.size - 1 - int(np.argmax(ranked[::-1]))


def _ratio(error: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """error / allowed; where nothing is allowed (allowed <= 0 or NaN), inf for any error, else 0."""
    positive = allowed > 0
    return np.where(positive, error / np.where(positive, allowed, 1.0), np.where(error > 0, np.inf, 0.0))


def _offer(tally: _Tally, start: int, k: int, error: np.ndarray, ratio: np.ndarray, got: np.ndarray,
           expected: np.ndarray, allowed: np.ndarray | float, failing: bool) -> None:
    """Offer the block's element ``k`` as the worst."""
    tally.offer(_Candidate(float(ratio[k]), float(error[k]), start + k, got[k], expected[k],
                           float(allowed[k] if np.ndim(allowed) else allowed), failing))


def _float_block(tally: _Tally, start: int, got: np.ndarray, expected: np.ndarray, b: Bounds) -> None:
    """Judge one block of a float output (the caller ignores floating-point warnings)."""
    g = got.astype(np.float64, copy=False)
    e = expected.astype(np.float64, copy=False)
    allowed = b.allowed
    diff = np.abs(g - e)
    if math.isfinite(np.add.reduce(diff)):
        # Every element is finite in both (the common case): only the bound decides, and the
        # elements the rule treats specially (NaN, inf, overflow) cannot occur.
        within = diff <= allowed
        count = diff.size - int(np.count_nonzero(within))
        tally.got_all_nan = tally.ref_all_nan = False
        if count:
            ratio = _ratio(diff, allowed)
            _offer(tally, start, _last_max(np.where(within, -1.0, ratio), diff), diff, ratio, g, expected,
                   allowed, True)
        elif tally.bad == 0:
            # no element fails, so 0 <= diff <= allowed: diff / allowed is the ratio, except
            # 0 / 0 (nothing allowed and no error), a NaN that fmax turns into the ratio 0
            ratio = np.fmax(diff / allowed, 0.0)
            _offer(tally, start, _last_max(ratio, diff), diff, ratio, g, e, allowed, False)
        tally.bad += count
        return
    ref_nan, ref_inf = np.isnan(e), np.isinf(e)
    got_nan, got_inf = np.isnan(g), np.isinf(g)
    overflow_ok = b.may_overflow & got_inf & (np.sign(g) == np.sign(e))
    free = b.order_dependent & (got_nan | got_inf)
    nan_mismatch = (ref_nan != got_nan) & ~free
    bad = nan_mismatch | (ref_inf & (g != e) & ~free)
    finite = ~(ref_nan | ref_inf | overflow_ok | free)
    bad |= finite & ~(diff <= allowed)
    count = int(np.count_nonzero(bad))
    tally.nan_mismatch += int(np.count_nonzero(nan_mismatch))
    tally.got_all_nan &= bool(got_nan.all())
    tally.ref_all_nan &= bool(ref_nan.all())
    if count:
        error = np.where(np.isnan(diff), np.inf, diff)
        ratio = _ratio(error, allowed)
        _offer(tally, start, _last_max(np.where(bad, ratio, -1.0), error), error, ratio, g, expected,
               allowed, True)
    elif tally.bad == 0:
        # a pass reports the closest call among the elements judged by their bound; the others
        # (NaN, infinities, allowed overflow) count as exact zeros
        g, e = np.where(finite, g, 0.0), np.where(finite, e, 0.0)
        error = np.abs(g - e)
        ratio = _ratio(error, allowed)
        _offer(tally, start, _last_max(ratio, error), error, ratio, g, e, allowed, False)
    tally.bad += count


def _integer_block(tally: _Tally, start: int, got: np.ndarray, expected: np.ndarray) -> None:
    g, e = got.astype(np.int64, copy=False), expected.astype(np.int64, copy=False)
    bad = g != e
    count = int(np.count_nonzero(bad))
    if count or tally.bad == 0:
        error = np.abs(g.astype(np.float64) - e.astype(np.float64))
        ratio = np.where(error > 0, np.inf, 0.0)  # nothing is allowed
        _offer(tally, start, _last_max(np.where(bad, ratio, -1.0) if count else ratio, error), error, ratio,
               g, e, 0.0, count > 0)
    tally.bad += count


def _flat(a: np.ndarray) -> np.ndarray | np.flatiter:
    """``a`` in flattened C order, sliceable: a view when contiguous, else NumPy's flat iterator
    (whose slices copy only the block, never the whole array)."""
    return a.reshape(-1) if a.flags.c_contiguous else a.flat


def _judge(output: object, expected: np.ndarray, dtype: np.dtype,
           block_bounds: Callable[[slice], Bounds]) -> Verdict:
    """The verdict, ``block_bounds`` giving the bounds of a slice of the flattened output."""
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
    if got.size == 0:
        return Verdict(True)
    floating = is_float(dtype)
    flat_got, flat_expected = _flat(got), _flat(np.asarray(expected))
    tally = _Tally()
    # IEEE overflow, inf - inf and x / 0 are results to judge here, not accidents to warn about
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for start in range(0, got.size, BLOCK_ELEMENTS):
            block = slice(start, min(start + BLOCK_ELEMENTS, got.size))
            if floating:
                _float_block(tally, start, flat_got[block], flat_expected[block], block_bounds(block))
            else:
                _integer_block(tally, start, flat_got[block], flat_expected[block])
    best = tally.worst
    assert best is not None  # the first block always offers one
    ulp = _ulp(float(best.expected), dtype)
    worst = Worst(index=tuple(int(i) for i in np.unravel_index(best.flat, got.shape)),
                  got=_show(best.got, dtype), expected=_show(best.expected, np.dtype(float)),
                  allowed=best.allowed, error=best.error,
                  ulps=best.error / ulp if ulp and np.isfinite(ulp) else np.inf, ratio=best.ratio)
    if not tally.bad:
        return Verdict(True, worst=worst)
    if not floating:
        return Verdict(False, f"{tally.bad} of {got.size} elements differ (integer results must be exact)",
                       worst)
    if tally.got_all_nan and not tally.ref_all_nan:
        return Verdict(False, f"output is NaN everywhere ({got.size} elements)", worst)
    reason = f"{tally.bad} of {got.size} elements outside the allowed error"
    if tally.nan_mismatch:
        reason += f" ({tally.nan_mismatch} with NaN where the reference has none, or missing)"
    return Verdict(False, reason, worst)


def judge(output: object, expected: np.ndarray, bounds: Bounds, dtype: np.dtype) -> Verdict:
    """Compare a backend's output with the expected values element by element.

    Integers must be exact. For floats, NaN must stand exactly where ``expected`` has NaN,
    infinities must match in sign, and every finite element must lie within the allowed error;
    a result may overflow to infinity only where the exact result may, and may be inf or NaN only
    where some summation order overflows a partial sum. ``bounds`` are given whole (computed once
    to judge several outputs); :func:`judge_expectation` computes them block by block instead.
    """
    parts = [_flat(np.asarray(a)) for a in (bounds.allowed, bounds.may_overflow, bounds.order_dependent)]
    return _judge(output, expected, dtype, lambda block: Bounds(*(p[block] for p in parts)))


def judge_expectation(output: object, expect: Expectation, dtype: np.dtype,
                      profile: Profile = STRICT) -> Verdict:
    """:func:`judge` against ``expect`` under ``profile``, the bounds computed one block at a time
    (never whole arrays of them: see the module docstring)."""
    values, magnitude = _flat(expect.values), _flat(expect.magnitude)
    terms = _flat(np.asarray(expect.terms)) if np.ndim(expect.terms) else expect.terms
    return _judge(output, expect.values, dtype, lambda block: bounds(
        values[block], magnitude[block], terms[block] if np.ndim(expect.terms) else terms, dtype, profile,
        expect.input_scale))
