"""convspec's reference implementation: the normative semantics, computed with NumPy alone (im2col and
``numpy.matmul`` in float64, exactly in int64 for integers); it does not use SciPy."""

from .arguments import ERROR_KINDS, ConvArgumentError, check_conv_arguments, check_conv_transpose_arguments
from .conv import conv
from .conv_grad import (
    check_conv_grad_input_arguments,
    check_conv_grad_weight_arguments,
    conv_grad_bias,
    conv_grad_input,
    conv_grad_weight,
)
from .conv_transpose import conv_transpose
from .coverage import coverage
from .output_size import conv_transpose_output_size, dropped, output_size
from .padding import pad, resolve_padding, same_total

__all__ = [
    "ERROR_KINDS",
    "ConvArgumentError",
    "check_conv_arguments",
    "check_conv_grad_input_arguments",
    "check_conv_grad_weight_arguments",
    "check_conv_transpose_arguments",
    "conv",
    "conv_grad_bias",
    "conv_grad_input",
    "conv_grad_weight",
    "conv_transpose",
    "conv_transpose_output_size",
    "coverage",
    "dropped",
    "output_size",
    "pad",
    "resolve_padding",
    "same_total",
]
