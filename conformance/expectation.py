"""What a vector's output must be: the expected values and, per element, the allowed error."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from convspec import reference
from convspec.reference.exact import conv_exact

from .dtypes import is_float
from .dtypes import output_dtype as _output_dtype
from .tolerance import STRICT, Bounds, Profile, bounds
from .vector import Vector


@dataclass(frozen=True)
class Expectation:
    values: np.ndarray  # the file's exact values, or the reference's (float64; int64 for integers)
    magnitude: np.ndarray  # |b| + sum |x|*|w| per element (the conv of absolute values)
    terms: int  # terms summed per element (0: pure data movement, must be exact)
    input_scale: float = 0.0  # max |x| + max |w| (finite values)

    def bounds(self, dtype: np.dtype, profile: Profile = STRICT) -> Bounds:
        return bounds(self.values, self.magnitude, self.terms, dtype, profile, self.input_scale)


def reference_output(vector: Vector, arrays: dict[str, np.ndarray]) -> np.ndarray:
    """The reference's float64 result for the vector's inputs (already rounded to its dtype)."""
    if vector.op == "pad":
        return reference.pad(arrays["x"].astype(np.float64), vector.padding)
    return reference.conv(arrays["x"], arrays["w"], arrays.get("b"), stride=vector.stride,
                          padding=vector.padding, dilation=vector.dilation, groups=vector.groups)


def _absolute(a: np.ndarray, consume: bool) -> np.ndarray:
    """|a|, exactly: floats in their own dtype (exact, and the reference widens them exactly to
    float64), integers in int64 (np.abs(int8(-128)) wraps). With ``consume``, a float input is
    overwritten in place (if the backend left it writeable): no copy of a large input beside it."""
    if not is_float(a.dtype):
        a = a.astype(np.int64)
        return np.abs(a, out=a)
    return np.abs(a, out=a) if consume and a.flags.writeable else np.abs(a)


def _exact_where_overflowed(vector: Vector, arrays: dict[str, np.ndarray], values: np.ndarray,
                            magnitude: np.ndarray) -> np.ndarray:
    """``values`` with the exact result, rounded once, where the reference's float64 sum became inf
    or NaN and the sum of |x|*|w| overflows too: there the reference's order may have overflowed a
    partial sum of an exact result that is finite (1e308 + 1e308 - 1e308), and a backend summing
    in another order would be failed for the right answer. Elsewhere a non-finite result comes from
    a non-finite input and stands."""
    suspect = ~np.isfinite(values) & np.isinf(magnitude)
    if not suspect.any():
        return values
    _, exact = conv_exact(arrays["x"], arrays["w"], arrays.get("b"), stride=vector.stride,
                          padding=vector.padding, dilation=vector.dilation, groups=vector.groups,
                          where=suspect)
    return np.where(suspect, exact, values)


def expectation(vector: Vector, arrays: dict[str, np.ndarray] | None = None, *,
                consume: bool = False) -> Expectation:
    """Expected values (inline ones take precedence: they are normative) and their error bounds.

    ``consume=True`` lets it overwrite ``arrays`` with their absolute values (for the magnitude)
    instead of copying them: for a caller that has no further use for the inputs.
    """
    if arrays is None:
        arrays, consume = vector.arrays(), True
    stored = vector.expected_values()
    values = reference_output(vector, arrays) if stored is None else stored
    if vector.op == "pad":
        return Expectation(values, np.abs(values), terms=0)
    # Only float64 inputs can overflow the reference's float64 sums (float32 products stay below
    # 1e77); where they did, the inputs are needed once more, for the exact value.
    overflowed = stored is None and vector.dtype == "float64" and not np.isfinite(values).all()
    inputs = {k: v.copy() for k, v in arrays.items()} if overflowed and consume else arrays
    absolute = {k: _absolute(v, consume) for k, v in arrays.items()}
    magnitude = reference_output(vector, absolute)
    if overflowed:
        values = _exact_where_overflowed(vector, inputs, values, magnitude)
    terms = vector.inputs["w"]["shape"][1] * math.prod(vector.kernel_shape) + ("b" in arrays)
    scale = sum(float(np.max(a, where=np.isfinite(a), initial=0.0)) for a in (absolute["x"], absolute["w"]))
    return Expectation(values, magnitude, terms, scale)


def output_dtype(vector: Vector) -> np.dtype:
    """The dtype a backend's output must have: the inputs' for floats and for padding (which only
    moves values); int32/int64 for integer convolutions."""
    return vector.input_dtype("x") if vector.op == "pad" else _output_dtype(vector.dtype)
