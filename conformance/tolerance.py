"""The accuracy rule: how far a float result may lie from the exact one (spec/accuracy.md).

For one output element with n terms (products, plus the bias), magnitude
M = |b| + sum |x|*|w| and exact value r, a result computed in precision u_acc
in any order is within gamma_n(u_acc) * M of r (Higham, Accuracy and Stability of Numerical
Algorithms, 2nd ed., section 3.1). When the output type is narrower than the accumulation, rounding
once more adds u_out * |computed|. The reference's own float64 error and gradual underflow are
added so that the bound holds against the reference, not only against exact arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .dtypes import smallest_subnormal, unit_roundoff

FLOAT64_U = 2.0**-53


@dataclass(frozen=True)
class Profile:
    """A named choice of the precision an implementation must carry its arithmetic in."""

    name: str
    summary: str

    def accumulation(self, dtype: np.dtype) -> np.dtype:
        """The precision products and sums must be carried in for an output of ``dtype``."""
        return np.dtype(np.float32) if dtype.itemsize < 4 else dtype


STRICT = Profile(
    "strict",
    "float64 and float32 computed in their own precision; 16-bit floats accumulated in at least "
    "float32 and rounded once to the 16-bit type; any summation order.",
)
PROFILES = {STRICT.name: STRICT}


def gamma(n: int, u: float) -> float:
    """Higham's gamma_n = n*u / (1 - n*u), the relative error bound of an n-term dot product."""
    if n * u >= 1:
        return np.inf
    return n * u / (1 - n * u)


def allowed_error(expected: np.ndarray, magnitude: np.ndarray, terms: int, dtype: np.dtype,
                  profile: Profile = STRICT) -> np.ndarray:
    """Per-element allowed |got - expected| for a float output of ``dtype``.

    ``terms`` is the number of terms summed per element (0 for pure data movement such as
    padding, which must be exact). An element whose magnitude is 0 must be exactly 0.
    """
    dtype = np.dtype(dtype)
    if terms == 0:
        return np.zeros_like(magnitude)
    acc = profile.accumulation(dtype)
    bound = (gamma(terms, unit_roundoff(acc)) + gamma(terms, FLOAT64_U)) * magnitude
    bound += terms * smallest_subnormal(acc) / 2
    if acc != dtype:
        u_out = unit_roundoff(dtype)
        bound += u_out * (np.abs(expected) + bound) + smallest_subnormal(dtype) / 2
    return np.where(magnitude == 0, 0.0, bound)
