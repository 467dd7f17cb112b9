"""The accuracy rule: how far a result may lie from the exact one (spec/accuracy.md).

For one output element with n terms (products, plus the bias), magnitude M = |b| + sum |x|*|w| and
exact value r, a result whose products and sums are carried in precision u_acc, in any order, is
within gamma_n(u_acc) * M of r (Higham, Accuracy and Stability of Numerical Algorithms, 2nd ed.,
section 3.1). Rounding the inputs first (TF32) multiplies each product by up to (1 + u_in)^2;
rounding the result once more to a narrower type adds u_out * |computed|. The reference's own
float64 error and gradual underflow are added so the bound holds against the reference.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .dtypes import FLOAT_DTYPES, finfo, is_float, overflow_threshold, smallest_subnormal, unit_roundoff

FLOAT64_U = 2.0**-53
F32 = FLOAT_DTYPES["float32"]
F64 = FLOAT_DTYPES["float64"]


@dataclass(frozen=True)
class Precision:
    """How one profile lets a dtype be computed."""

    accumulate: np.dtype  # the type products and sums are carried in
    input_rounding: float = 0.0  # unit roundoff inputs may be rounded to first (TF32: 2**-11)


@dataclass(frozen=True)
class Profile:
    """A named choice of the precision an implementation must carry its arithmetic in."""

    name: str
    summary: str
    relaxed: dict  # dtype name -> Precision, where this profile departs from strict

    def precision(self, dtype: np.dtype) -> Precision:
        dtype = np.dtype(dtype)
        for name, precision in self.relaxed.items():
            if FLOAT_DTYPES[name] == dtype:
                return precision
        # strict: float64 and float32 in their own precision, 16-bit floats in float32
        return Precision(F32 if dtype.itemsize < 4 else dtype)


STRICT = Profile(
    "strict",
    "float64 and float32 computed in their own precision; float16 and bfloat16 with products and "
    "sums carried in at least float32 and the result rounded once; any summation order.",
    {},
)
TF32 = Profile(
    "tf32",
    "as strict, but float32 inputs may be rounded to TF32 (10 explicit mantissa bits) before "
    "multiplying, as GPU tensor cores do by default for convolutions; sums stay in float32.",
    {"float32": Precision(F32, input_rounding=2.0**-11)},
)
HALF_ACCUMULATE = Profile(
    "half-accumulate",
    "as strict, but float16 and bfloat16 products and sums may be carried in the 16-bit type itself.",
    {"float16": Precision(FLOAT_DTYPES["float16"]), "bfloat16": Precision(FLOAT_DTYPES["bfloat16"])},
)
PROFILES = {p.name: p for p in (STRICT, TF32, HALF_ACCUMULATE)}


def gamma(n: int, u: float) -> float:
    """Higham's gamma_n = n*u / (1 - n*u), the relative error bound of an n-term dot product."""
    if n * u >= 1:
        return np.inf
    return n * u / (1 - n * u)


@dataclass(frozen=True)
class Bounds:
    """What the rule allows, element by element."""

    allowed: np.ndarray  # largest allowed |got - expected| for a finite result
    may_overflow: np.ndarray  # the exact result may round to +-inf (of its sign)
    order_dependent: np.ndarray  # some summation order overflows a partial sum: inf or NaN allowed


class _Rule(NamedTuple):
    """The scalars of the rule for one precision, dtype and n (see :func:`bounds`)."""

    relative: float  # times the magnitude
    absolute: float  # plus this (gradual underflow, subnormal inputs)
    narrowing: tuple[float, float] | None  # (u, half a subnormal) of the output when it is narrower
    overflow: float  # the output dtype's overflow threshold
    growth: float  # 1 + gamma_n of the accumulation type
    overflow_acc: float  # the accumulation type's overflow threshold


@functools.lru_cache(maxsize=1024)
def _rule(precision: Precision, dtype: np.dtype, terms: int, input_scale: float) -> _Rule:
    # Cached: the dtype facts come from ml_dtypes.finfo, which costs more than a tiny output's
    # arithmetic, and a run asks for the same few combinations again and again.
    acc = precision.accumulate
    u_acc = unit_roundoff(acc)
    relative = gamma(terms, u_acc) + gamma(terms, FLOAT64_U)
    # gradual underflow: each product may lose half a subnormal spacing, in the implementation's
    # type and in the reference's float64 (summed before halving: 2**-1075 is not a float64)
    absolute = terms * (smallest_subnormal(acc) + smallest_subnormal(F64)) / 2
    if precision.input_rounding:
        g_in = gamma(2, precision.input_rounding)
        relative += g_in * (1 + gamma(terms, u_acc))
        # a subnormal input rounds with the spacing at the bottom of the normal range
        eta_in = float(finfo(acc).smallest_normal) * precision.input_rounding
        absolute += terms * eta_in * (input_scale + eta_in) * (1 + gamma(terms, u_acc))
    narrowing = None if acc == dtype else (unit_roundoff(dtype), smallest_subnormal(dtype) / 2)
    return _Rule(relative, absolute, narrowing, overflow_threshold(dtype), 1 + gamma(terms, u_acc),
                 overflow_threshold(acc))


def _rule_per_element(precision: Precision, dtype: np.dtype, terms: np.ndarray, input_scale: float) -> _Rule:
    """The rule with its n-dependent scalars (relative, absolute, growth) as arrays of ``terms``'
    shape: for an operator whose elements sum different numbers of terms (a transposed
    convolution's border receives fewer taps than its interior)."""
    unique, inverse = np.unique(terms, return_inverse=True)
    rules = [_rule(precision, dtype, int(n), input_scale) for n in unique]

    def spread(field: str) -> np.ndarray:
        return np.array([getattr(r, field) for r in rules])[inverse].reshape(np.shape(terms))

    return rules[0]._replace(relative=spread("relative"), absolute=spread("absolute"),
                             growth=spread("growth"))


def bounds(expected: np.ndarray, magnitude: np.ndarray, terms: int | np.ndarray, dtype: np.dtype,
           profile: Profile = STRICT, input_scale: float = 0.0) -> Bounds:
    """The rule's bounds for an output of ``dtype``; ``terms`` is n (0 for pure data movement),
    one for every element or an array of ``expected``'s shape.

    ``input_scale`` is max |x| + max |w|, needed only where the profile rounds inputs: below the
    normal range rounding is absolute, not relative. Elementwise: the bounds of a slice of
    ``expected`` and ``magnitude`` are that slice of the bounds.
    """
    dtype = np.dtype(dtype)
    if not is_float(dtype) or not np.any(terms):
        none = np.zeros(np.shape(expected), dtype=bool)
        return Bounds(np.zeros(np.shape(expected)), none, none)
    precision = profile.precision(dtype)
    scale = float(input_scale) if precision.input_rounding else 0.0
    rule = (_rule(precision, dtype, int(terms), scale) if np.ndim(terms) == 0
            else _rule_per_element(precision, dtype, np.asarray(terms), scale))
    with np.errstate(invalid="ignore", over="ignore"):
        size = np.abs(expected)
        e0 = rule.relative * magnitude + rule.absolute
        allowed = e0
        if rule.narrowing is not None:
            u_out, half_subnormal = rule.narrowing
            allowed = e0 + u_out * (size + e0) + half_subnormal
        allowed = np.where(magnitude == 0, 0.0, allowed)
        may_overflow = size + e0 >= rule.overflow
        order_dependent = magnitude * rule.growth >= rule.overflow_acc
    return Bounds(allowed, may_overflow, order_dependent)


def allowed_error(expected: np.ndarray, magnitude: np.ndarray, terms: int | np.ndarray, dtype: np.dtype,
                  profile: Profile = STRICT) -> np.ndarray:
    """Per-element allowed |got - expected| (see :func:`bounds`)."""
    return bounds(expected, magnitude, terms, dtype, profile).allowed
