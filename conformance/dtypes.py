"""The dtypes a vector may name, and the facts about them the accuracy rule needs.

Float vectors return their own dtype. Integer vectors accumulate exactly and return the wider
accumulator type, as ONNX ConvInteger and TOSA CONV2D do: int8 and uint8 give int32 (a 3x3x256
int8 dot product needs 25 bits), int32 gives int64. An integer vector's bias, if any, is given in
that output type.
"""

from __future__ import annotations

import ml_dtypes
import numpy as np

FLOAT_DTYPES = {
    "float64": np.dtype(np.float64),
    "float32": np.dtype(np.float32),
    "float16": np.dtype(np.float16),
    "bfloat16": np.dtype(ml_dtypes.bfloat16),
}
INT_DTYPES = {"int8": np.dtype(np.int8), "uint8": np.dtype(np.uint8), "int32": np.dtype(np.int32)}
INT_OUTPUT = {"int8": np.dtype(np.int32), "uint8": np.dtype(np.int32), "int32": np.dtype(np.int64)}
DTYPES = {**FLOAT_DTYPES, **INT_DTYPES}
_NAMES = {v: k for k, v in DTYPES.items()}


def numpy_dtype(name: str) -> np.dtype:
    """The NumPy dtype of a vector's ``dtype`` name."""
    try:
        return DTYPES[name]
    except KeyError:
        raise ValueError(f"unknown dtype {name!r}; expected one of {', '.join(DTYPES)}") from None


def dot_product_dtype(dtype: str | np.dtype) -> np.dtype:
    """The dtype a sum of products of ``dtype`` values is returned in: a float dtype itself, the wider
    accumulator type for an integer one (int8/uint8 -> int32, int32 -> int64). ``dtype`` is a
    vector's dtype name or a NumPy dtype."""
    if not isinstance(dtype, str):
        dtype = _NAMES[np.dtype(dtype)]
    return INT_OUTPUT.get(dtype) or numpy_dtype(dtype)


def is_float(dtype: np.dtype) -> bool:
    """Whether ``dtype`` is a binary floating-point type (NumPy's or ml_dtypes')."""
    return np.dtype(dtype) in FLOAT_DTYPES.values()


def finfo(dtype: np.dtype) -> ml_dtypes.finfo:
    """Machine limits of a float dtype, bfloat16 included."""
    return ml_dtypes.finfo(np.dtype(dtype))


def unit_roundoff(dtype: np.dtype) -> float:
    """u = 2**-p for a binary float with p significand bits (half the machine epsilon)."""
    return float(finfo(dtype).eps) / 2


def smallest_subnormal(dtype: np.dtype) -> float:
    """The spacing of the dtype's numbers near zero."""
    return float(finfo(dtype).smallest_subnormal)


def overflow_threshold(dtype: np.dtype) -> float:
    """The magnitude from which round-to-nearest gives infinity: max + half an ulp of max."""
    info = finfo(dtype)
    largest = float(info.max)
    _, exponent = np.frexp(largest)  # largest = f * 2**exponent with 0.5 <= f < 1
    half_ulp = float(info.eps) * 2.0 ** (int(exponent) - 1) / 2
    return largest + half_ulp  # inf for float64, whose threshold no float64 can hold
