"""convspec's reference implementation: the normative semantics, computed in float64 on SciPy."""

from .arguments import ConvArgumentError, check_conv_arguments
from .conv import conv
from .output_size import dropped, output_size
from .padding import pad, resolve_padding, same_total

__all__ = [
    "ConvArgumentError",
    "check_conv_arguments",
    "conv",
    "dropped",
    "output_size",
    "pad",
    "resolve_padding",
    "same_total",
]
