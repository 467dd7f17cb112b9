"""The reference as a backend (useful to check vectors; it judges itself only in float64)."""

from __future__ import annotations

import numpy as np

from convspec import reference

from ..dtypes import result_dtype
from . import Backend


def conv(x, w, b=None, *, stride, padding, dilation, groups):
    """The reference convolution, rounded once to the output dtype the spec gives."""
    out = reference.conv(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)
    with np.errstate(over="ignore"):  # a float16 result beyond 65504 correctly becomes inf
        return out.astype(result_dtype(np.asarray(x).dtype))


def pad(x, padding):
    return reference.pad(x, padding)


backend = Backend(name="reference", version=np.__version__, conv=conv, pad=pad,
                  description="the reference (im2col + BLAS in float64), rounded to the output dtype")
