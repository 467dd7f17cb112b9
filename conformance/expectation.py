"""What an output must be: the expected values and what the accuracy rule needs to bound each
element's error. Each operator (conformance/ops/) computes its own."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .dtypes import is_float
from .tolerance import STRICT, Bounds, Profile, bounds


@dataclass(frozen=True)
class Expectation:
    values: np.ndarray  # the file's exact values, or the reference's (float64; int64 for integers)
    magnitude: np.ndarray  # |b| + sum |x|*|w| per element (the operator on absolute values)
    # terms summed per element (0: pure data movement, must be exact): one for all elements, or an
    # array of the output's shape where elements sum different numbers of terms
    terms: int | np.ndarray
    input_scale: float = 0.0  # max |x| + max |w| (finite values)

    def bounds(self, dtype: np.dtype, profile: Profile = STRICT) -> Bounds:
        return bounds(self.values, self.magnitude, self.terms, dtype, profile, self.input_scale)


def absolute(a: np.ndarray, consume: bool) -> np.ndarray:
    """|a|, exactly: floats in their own dtype (exact, and the reference widens them exactly to
    float64), integers in int64 (np.abs(int8(-128)) wraps). With ``consume``, a float input is
    overwritten in place (if the backend left it writeable): no copy of a large input beside it."""
    if not is_float(a.dtype):
        a = a.astype(np.int64)
        return np.abs(a, out=a)
    return np.abs(a, out=a) if consume and a.flags.writeable else np.abs(a)
