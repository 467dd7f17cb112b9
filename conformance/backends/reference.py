"""The reference as a backend (useful to check vectors; it judges itself only in float64)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import numpy as np

from convspec import reference

from ..dtypes import dot_product_dtype
from . import Backend


def conv(x, w, b=None, *, stride, padding, dilation, groups):
    """The reference convolution, rounded once to the output dtype the spec gives."""
    out = reference.conv(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)
    with np.errstate(over="ignore"):  # a float16 result beyond 65504 correctly becomes inf
        return out.astype(dot_product_dtype(np.asarray(x).dtype))


def conv_transpose(x, w, b=None, *, stride, padding, output_padding, dilation, groups):
    """The reference transposed convolution, rounded once to the output dtype the spec gives."""
    out = reference.conv_transpose(x, w, b, stride=stride, padding=padding, output_padding=output_padding,
                                   dilation=dilation, groups=groups)
    with np.errstate(over="ignore"):  # a float16 result beyond 65504 correctly becomes inf
        return out.astype(dot_product_dtype(np.asarray(x).dtype))


def conv_grad_input(dy: np.ndarray, w: np.ndarray, *, input_shape: Sequence[int], stride: Sequence[int],
                    padding: Sequence[Sequence[int]], dilation: Sequence[int], groups: int) -> np.ndarray:
    """The reference dx, rounded once to dy's float dtype."""
    out = reference.conv_grad_input(dy, w, input_shape=input_shape, stride=stride, padding=padding,
                                    dilation=dilation, groups=groups)
    with np.errstate(over="ignore"):  # a float16 result beyond 65504 correctly becomes inf
        return out.astype(dot_product_dtype(np.asarray(dy).dtype))


def conv_grad_weight(x: np.ndarray, dy: np.ndarray, *, kernel_shape: Sequence[int], stride: Sequence[int],
                     padding: Sequence[Sequence[int]], dilation: Sequence[int], groups: int) -> np.ndarray:
    """The reference dw, rounded once to x's float dtype."""
    out = reference.conv_grad_weight(x, dy, kernel_shape=kernel_shape, stride=stride, padding=padding,
                                     dilation=dilation, groups=groups)
    with np.errstate(over="ignore"):
        return out.astype(dot_product_dtype(np.asarray(x).dtype))


def conv_grad_bias(dy: np.ndarray) -> np.ndarray:
    """The reference db, rounded once to dy's float dtype."""
    with np.errstate(over="ignore", invalid="ignore"):  # inf - inf in a sum is NaN, a result here
        return reference.conv_grad_bias(dy).astype(dot_product_dtype(np.asarray(dy).dtype))


def pad(x, padding):
    return reference.pad(x, padding)


# The version is that of what the reference is built on: NumPy alone (it does not import SciPy).
backend = Backend(name="reference", version=f"numpy {np.__version__}", implementation=sys.modules[__name__],
                  description="the reference: im2col + numpy.matmul (NumPy's BLAS) in float64, exactly in "
                              "int64 for integers; rounded once to the output dtype")
