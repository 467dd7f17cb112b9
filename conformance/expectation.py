"""What a vector's output must be: the expected values and, per element, the allowed error."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from convspec import reference

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
    absolute = {k: _absolute(v, consume) for k, v in arrays.items()}
    magnitude = reference_output(vector, absolute)
    terms = vector.inputs["w"]["shape"][1] * math.prod(vector.kernel_shape) + ("b" in arrays)
    scale = sum(float(np.max(a, where=np.isfinite(a), initial=0.0)) for a in (absolute["x"], absolute["w"]))
    return Expectation(values, magnitude, terms, scale)


def output_dtype(vector: Vector) -> np.dtype:
    """The dtype a backend's output must have: the inputs' for floats and for padding (which only
    moves values); int32/int64 for integer convolutions."""
    return vector.input_dtype("x") if vector.op == "pad" else _output_dtype(vector.dtype)
