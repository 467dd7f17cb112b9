"""conv_grad_weight: the gradient of conv with respect to its weights, dw = d<dy, conv(x, w)>/dw.

x (N, C, *in), dy (N, O, *out); dw has shape (O, C/groups, *kernel_shape), the kernel's spatial
size given by the call. dw[o, c, k] correlates x with dy: the sum over the batch and every output
position of dy times the input value tap k reads there, a sum of N * prod(out) terms, the
longest a convolution layer computes. Float dtypes only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from convspec import reference
from convspec.reference import ConvArgumentError, check_conv_grad_weight_arguments
from convspec.reference.exact import conv_grad_weight_exact

from ..call import Call
from ..dtypes import FLOAT_DTYPES
from .conv import OPERATOR as CONV
from .conv import resolve_conv, unsupported_by
from .operator import BackendLike, Operator


@dataclass(frozen=True)
class ConvGradWeightAttributes:
    """conv_grad_weight's attributes as a backend receives them."""

    kernel_shape: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[tuple[int, int], ...]
    dilation: tuple[int, ...]
    groups: int


class ConvGradWeight(Operator):
    name = "conv_grad_weight"
    title = "gradient of a convolution with respect to its weights"
    formula = ("dW(k) = sum over the batch and every output position o of dY(o) · X(o*stride + "
               "k*dilation - padding_before)")
    required = ("x", "dy")
    attribute_names = ("kernel_shape", "stride", "padding", "dilation", "groups")
    per_axis = ("stride", "dilation", "padding", "kernel_shape")
    has_error_vectors = True
    dtypes = tuple(FLOAT_DTYPES)

    def resolve(self, written: Mapping[str, Any], shapes: Mapping[str, tuple[int, ...]]
                ) -> ConvGradWeightAttributes:
        if "kernel_shape" not in written:
            raise ValueError("conv_grad_weight needs the attribute kernel_shape (one size per spatial axis)")
        kernel = tuple(int(n) for n in written["kernel_shape"])
        a = resolve_conv(written, tuple(shapes["x"][2:]), kernel)
        return ConvGradWeightAttributes(kernel, a.stride, a.padding, a.dilation, a.groups)

    def of_conv(self, dtype: str, conv: Call, written: Mapping[str, Any]) -> tuple[Call, dict]:
        """The gradient call of the conv call ``conv`` (written as ``written``): dy of its output's
        shape, and its kernel's spatial shape."""
        written = {**written, "kernel_shape": list(conv.shape("w")[2:])}
        return self.call(dtype, {"x": conv.shape("x"), "dy": CONV.output_shape(conv)}, written), written

    def output_shape(self, call: Call) -> tuple[int, ...]:
        a = call.attributes
        return (call.shape("dy")[1], call.shape("x")[1] // a.groups, *a.kernel_shape)

    def output_dtype(self, call: Call) -> np.dtype:
        return FLOAT_DTYPES[call.dtype]

    def objection(self, call: Call) -> ConvArgumentError | None:
        zeros = {name: np.broadcast_to(0.0, spec.shape) for name, spec in call.tensors.items()}
        try:
            check_conv_grad_weight_arguments(zeros["x"], zeros["dy"], **call.keywords())
        except ConvArgumentError as exc:
            return exc
        return None

    def most_terms(self, call: Call) -> int:
        # one product per batch item and output position
        dy = call.shape("dy")
        return dy[0] * math.prod(dy[2:])

    def reference(self, call: Call, arrays: Mapping[str, np.ndarray]) -> np.ndarray:
        return reference.conv_grad_weight(arrays["x"], arrays["dy"], **call.keywords())

    def exact(self, call: Call, arrays: Mapping[str, np.ndarray], where: np.ndarray) -> np.ndarray:
        return conv_grad_weight_exact(arrays["x"], arrays["dy"], **call.keywords(), where=where)[1]

    def terms(self, call: Call, arrays: Mapping[str, np.ndarray]) -> np.ndarray:
        """Each dw element sums one product per batch item and output position whose tap reads a
        real input value (a tap over padding reads none)."""
        ones = {name: np.ones(call.shape(name)) for name in ("x", "dy")}
        return self.reference(call, ones).astype(np.int64)

    def unsupported(self, backend: BackendLike, call: Call) -> str | None:
        return unsupported_by(self.name, backend, call)

    def invoke(self, backend: BackendLike, call: Call, arrays: Mapping[str, np.ndarray]) -> object:
        return backend.operator(self.name)(arrays["x"], arrays["dy"], **call.keywords())

    def describe(self, call: Call) -> str:
        a = call.attributes
        return (f"kernel_shape {list(a.kernel_shape)}, stride {list(a.stride)}, padding "
                f"{[list(p) for p in a.padding]}, dilation {list(a.dilation)}, groups {a.groups}")


OPERATOR = ConvGradWeight()
