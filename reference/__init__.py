"""convspec's reference implementation: the normative semantics, computed with NumPy alone (im2col and
``numpy.matmul`` in float64, exactly in int64 for integers); it does not use SciPy."""

from .arguments import ERROR_KINDS, ConvArgumentError, check_conv_arguments
from .conv import conv
from .coverage import coverage
from .output_size import dropped, output_size
from .padding import pad, resolve_padding, same_total

__all__ = [
    "ERROR_KINDS",
    "ConvArgumentError",
    "check_conv_arguments",
    "conv",
    "coverage",
    "dropped",
    "output_size",
    "pad",
    "resolve_padding",
    "same_total",
]
