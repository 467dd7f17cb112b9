"""The SciPy reference as a backend (useful to check vectors; it judges itself only in float64)."""

from __future__ import annotations

import numpy as np
import scipy

from convspec import reference

from . import Backend


def conv(x, w, b=None, *, stride, padding, dilation, groups):
    """The reference convolution, rounded to the inputs' dtype as the protocol expects."""
    out = reference.conv(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)
    return out.astype(np.asarray(x).dtype)


def pad(x, padding):
    return reference.pad(x, padding)


backend = Backend(name="reference", version=scipy.__version__, conv=conv, pad=pad,
                  description="the SciPy reference in float64, rounded to the vector's dtype")
