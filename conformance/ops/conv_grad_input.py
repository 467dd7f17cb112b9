"""conv_grad_input: the gradient of conv with respect to its input, dx = d<dy, conv(x, w)>/dx.

dy (N, O, *out), w (O, C/groups, *kernel); dx has ``input_shape`` (N, C, *in), which the call
must give: several input sizes give one output size when the stride is above 1. dx is the
transposed convolution of dy with w, with the output_padding that restores the input size; an
input position no window reads (the floor's remainder) receives exactly 0. Float dtypes only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from convspec import reference
from convspec.reference import ConvArgumentError, check_conv_grad_input_arguments
from convspec.reference.exact import conv_grad_input_exact

from ..call import Call
from ..dtypes import FLOAT_DTYPES
from .conv import OPERATOR as CONV
from .conv import resolve_conv, unsupported_by
from .operator import BackendLike, Operator


@dataclass(frozen=True)
class ConvGradInputAttributes:
    """conv_grad_input's attributes as a backend receives them."""

    input_shape: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[tuple[int, int], ...]
    dilation: tuple[int, ...]
    groups: int


class ConvGradInput(Operator):
    name = "conv_grad_input"
    title = "gradient of a convolution with respect to its input"
    formula = ("dX(i) = sum of dY(o) · W(k) over every output position o and tap k whose window "
               "reads i: o*stride + k*dilation - padding_before = i")
    required = ("dy", "w")
    attribute_names = ("input_shape", "stride", "padding", "dilation", "groups")
    per_axis = ("stride", "dilation", "padding")
    has_error_vectors = True
    dtypes = tuple(FLOAT_DTYPES)

    def resolve(self, written: Mapping[str, Any], shapes: Mapping[str, tuple[int, ...]]
                ) -> ConvGradInputAttributes:
        if "input_shape" not in written:
            raise ValueError("conv_grad_input needs the attribute input_shape (N, C, *spatial)")
        input_shape = tuple(int(n) for n in written["input_shape"])
        kernel = tuple(shapes["w"][2:]) if "w" in shapes else None
        a = resolve_conv(written, input_shape[2:], kernel)
        return ConvGradInputAttributes(input_shape, a.stride, a.padding, a.dilation, a.groups)

    def of_conv(self, dtype: str, conv: Call, written: Mapping[str, Any]) -> tuple[Call, dict]:
        """The gradient call of the conv call ``conv`` (written as ``written``): dy of its output's
        shape, and the input_shape it restores."""
        written = {**written, "input_shape": list(conv.shape("x"))}
        return self.call(dtype, {"dy": CONV.output_shape(conv), "w": conv.shape("w")}, written), written

    def output_shape(self, call: Call) -> tuple[int, ...]:
        return call.attributes.input_shape

    def output_dtype(self, call: Call) -> np.dtype:
        return FLOAT_DTYPES[call.dtype]

    def objection(self, call: Call) -> ConvArgumentError | None:
        zeros = {name: np.broadcast_to(0.0, spec.shape) for name, spec in call.tensors.items()}
        try:
            check_conv_grad_input_arguments(zeros["dy"], zeros["w"], **call.keywords())
        except ConvArgumentError as exc:
            return exc
        return None

    def most_terms(self, call: Call) -> int:
        # an input position is read by at most every tap of every output channel of its group
        return call.shape("w")[0] // max(call.attributes.groups, 1) * math.prod(call.shape("w")[2:])

    def reference(self, call: Call, arrays: Mapping[str, np.ndarray]) -> np.ndarray:
        return reference.conv_grad_input(arrays["dy"], arrays["w"], **call.keywords())

    def exact(self, call: Call, arrays: Mapping[str, np.ndarray], where: np.ndarray) -> np.ndarray:
        return conv_grad_input_exact(arrays["dy"], arrays["w"], **call.keywords(), where=where)[1]

    def terms(self, call: Call, arrays: Mapping[str, np.ndarray]) -> np.ndarray:
        """Each dx element sums the taps of the windows that read it: fewer at the borders, none where
        no window reads."""
        ones = {name: np.ones(call.shape(name)) for name in ("dy", "w")}
        return self.reference(call, ones).astype(np.int64)

    def unsupported(self, backend: BackendLike, call: Call) -> str | None:
        return unsupported_by(self.name, backend, call)

    def invoke(self, backend: BackendLike, call: Call, arrays: Mapping[str, np.ndarray]) -> object:
        return backend.operator(self.name)(arrays["dy"], arrays["w"], **call.keywords())

    def describe(self, call: Call) -> str:
        a = call.attributes
        return (f"input_shape {list(a.input_shape)}, stride {list(a.stride)}, padding "
                f"{[list(p) for p in a.padding]}, dilation {list(a.dilation)}, groups {a.groups}")


OPERATOR = ConvGradInput()
