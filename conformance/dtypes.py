"""The dtypes a vector may name, and the facts about them the accuracy rule needs."""

from __future__ import annotations

import numpy as np

FLOAT_DTYPES = {"float64": np.float64, "float32": np.float32, "float16": np.float16}


def numpy_dtype(name: str) -> np.dtype:
    """The NumPy dtype of a vector's ``dtype`` name."""
    try:
        return np.dtype(FLOAT_DTYPES[name])
    except KeyError:
        raise ValueError(f"unknown dtype {name!r}; expected one of {', '.join(FLOAT_DTYPES)}") from None


def unit_roundoff(dtype: np.dtype) -> float:
    """u = 2**-p for a binary float with p significand bits (half the machine epsilon)."""
    return float(np.finfo(dtype).eps) / 2


def smallest_subnormal(dtype: np.dtype) -> float:
    """The spacing of the dtype's numbers near zero."""
    return float(np.finfo(dtype).smallest_subnormal)
