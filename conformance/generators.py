"""Input generators: rules, defined in spec/vectors.md, that any language can reproduce exactly."""

from __future__ import annotations

import math

import numpy as np

# The 64-bit linear congruential generator of Knuth's MMIX; spec/vectors.md gives the same numbers.
LCG_MULTIPLIER = 6364136223846793005
LCG_INCREMENT = 1442695040888963407
MASK64 = (1 << 64) - 1


def lcg_uint32(seed: int, count: int) -> list[int]:
    """``count`` 32-bit draws: state <- a*state + c mod 2**64, draw = state >> 32 (after the step)."""
    state = seed & MASK64
    draws = []
    for _ in range(count):
        state = (LCG_MULTIPLIER * state + LCG_INCREMENT) & MASK64
        draws.append(state >> 32)
    return draws


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
        span = high - low + 1
        values = [low + ((u * span) >> 32) for u in lcg_uint32(spec["seed"], count)]
        return np.array(values, dtype=np.float64).reshape(shape)
    raise ValueError(f"unknown generator kind {kind!r}")
