"""Input generators: rules, defined in spec/vectors.md, that any language can reproduce exactly."""

from __future__ import annotations

import math

import numpy as np

# The 64-bit linear congruential generator of Knuth's MMIX; spec/vectors.md gives the same numbers.
LCG_MULTIPLIER = 6364136223846793005
LCG_INCREMENT = 1442695040888963407
MASK64 = (1 << 64) - 1
DOUBLING_FROM = 2048  # draws from which the doubling method beats cumprod/cumsum


def lcg_uint32(seed: int, count: int) -> list[int]:
    """``count`` 32-bit draws: state <- a*state + c mod 2**64, draw = state >> 32 (after the step).

    Computed in closed form, state_k = a**k * seed + c * (1 + a + ... + a**(k-1)) mod 2**64, with
    NumPy's uint64 arithmetic, which wraps modulo 2**64 exactly as the recurrence does.
    """
    return _draws(seed, count).tolist()


def _draws(seed: int, count: int) -> np.ndarray:
    """:func:`lcg_uint32` as a uint64 array."""
    if count < DOUBLING_FROM:
        if count == 0:
            return np.zeros(0, dtype=np.uint64)
        a = np.full(count, LCG_MULTIPLIER, dtype=np.uint64)
        powers = np.cumprod(a, dtype=np.uint64)  # a**1 .. a**count
        series = np.cumsum(np.concatenate([[np.uint64(1)], powers[:-1]]), dtype=np.uint64)
        states = powers * np.uint64(seed & MASK64) + np.uint64(LCG_INCREMENT) * series
        return states >> np.uint64(32)
    # Long runs by doubling: with the states of the first n steps known, the next n follow from
    # them by one affine map, s -> a_n*s + c_n, itself the n-fold composition of the step (vectorised
    # where cumprod and cumsum are sequential).
    states = np.empty(count, dtype=np.uint64)
    states[0] = (LCG_MULTIPLIER * seed + LCG_INCREMENT) & MASK64
    a, c, n = LCG_MULTIPLIER, LCG_INCREMENT, 1
    while n < count:
        m = min(n, count - n)
        states[n:n + m] = states[:m] * np.uint64(a) + np.uint64(c)
        a, c = (a * a) & MASK64, (a * c + c) & MASK64
        n += m
    return states >> np.uint64(32)


def generate(spec: dict, shape: tuple[int, ...]) -> np.ndarray:
    """Fill a float64 array of ``shape`` in row-major order by the generator ``spec``."""
    count = math.prod(shape)
    kind = spec["kind"]
    if kind == "arange":
        start, step = spec.get("start", 0), spec.get("step", 1)
        return (start + step * np.arange(count, dtype=np.float64)).reshape(shape)
    if kind == "eye":
        rows = shape[0]
        cols = count // rows
        if rows != cols:
            raise ValueError(f"'eye' needs shape[0] == product of the other dims, got {list(shape)}")
        return np.eye(rows).reshape(shape)
    if kind == "uniform_int":
        low, high = spec["low"], spec["high"]
        if high < low:
            raise ValueError(f"'uniform_int' needs low <= high, got low={low}, high={high}")
        return _uniform_int(spec["seed"], low, high, count).reshape(shape)
    if kind == "random_float":
        return _random_float(spec, count).reshape(shape)
    raise ValueError(f"unknown generator kind {kind!r}")


def _uniform_int(seed: int, low: int, high: int, count: int) -> np.ndarray:
    """low + ((u * span) >> 32) per draw u, span = high - low + 1."""
    span = high - low + 1
    if span > 2**32:  # u * span may pass 2**64: Python's unbounded ints (only low=-2**31, high=2**31)
        values = [low + ((u * span) >> 32) for u in lcg_uint32(seed, count)]
        return np.array(values, dtype=np.float64)
    # u < 2**32 and span <= 2**32, so u * span < 2**64 and uint64 holds it exactly
    offsets = (_draws(seed, count) * np.uint64(span)) >> np.uint64(32)
    return (offsets.astype(np.int64) + low).astype(np.float64)


def _random_float(spec: dict, count: int) -> np.ndarray:
    """Floats with exactly ``precision`` significand bits and exponents in [exp_min, exp_max].

    Three draws per value: sign s = u1 & 1 (unless unsigned), exponent
    e = exp_min + ((u2 * (exp_max - exp_min + 1)) >> 32), significand
    m = 2**(p-1) + ((u3 * 2**(p-1)) >> 32); value = (-1)**s * m * 2**(e - p + 1), so
    2**e <= |value| < 2**(e+1). Every value is exact in float64 and in any type with at least p
    significand bits whose range holds 2**e.
    """
    p, lo, hi = spec["precision"], spec["exp_min"], spec["exp_max"]
    if hi < lo:
        raise ValueError(f"'random_float' needs exp_min <= exp_max, got {lo} > {hi}")
    signed = spec.get("signed", True)
    u1, u2, u3 = _draws(spec["seed"], 3 * count).reshape(count, 3).T
    # the schema bounds the exponent span by 2098 and p by 53: every product below fits in uint64
    exponent = lo + ((u2 * np.uint64(hi - lo + 1)) >> np.uint64(32)).astype(np.int64)
    shift = p - 1 - 32  # (u3 << (p-1)) >> 32 without passing 2**64
    fraction = u3 << np.uint64(shift) if shift >= 0 else u3 >> np.uint64(-shift)
    significand = (fraction + np.uint64(1 << (p - 1))).astype(np.float64)  # < 2**53: exact
    value = np.ldexp(significand, exponent - (p - 1))  # C's ldexp, as math.ldexp: one rounding
    return np.where((u1 & np.uint64(1)).astype(bool), -value, value) if signed else value
