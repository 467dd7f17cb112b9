"""conv_transpose: the transposed convolution, the adjoint of conv with respect to x.

x (N, C_in, *in), w (C_in, C_out/groups, *kernel) — the layout of PyTorch and ONNX, not conv's —
and b (C_out,). Every input element scatters its products into the full output of length
(in - 1)*s + d*(k - 1) + 1 + output_padding per axis; ``padding`` crops that:
out = (in - 1)*s - p0 - p1 + d*(k - 1) + output_padding + 1.

A vector may also write ONNX's ways of choosing the crop, which resolve to padding and
output_padding before a backend sees them: ``output_shape`` (the spatial size wanted) and the
padding modes ``same_upper`` / ``same_lower`` (an output of in * stride). The crop a target size
needs is total = natural - target, split as ONNX states it: same_upper puts the odd one at the
end, same_lower and a bare output_shape at the beginning. A target longer than the natural size
is reached by output_padding instead (it must then be < max(stride, dilation), as always).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from convspec import reference
from convspec.reference import (
    ConvArgumentError,
    check_conv_transpose_arguments,
    conv_transpose_output_size,
)
from convspec.reference.exact import conv_transpose_exact

from ..call import Call
from ..dtypes import dot_product_dtype, numpy_dtype
from .conv import per_axis, unsupported_by
from .operator import BackendLike, Operator


@dataclass(frozen=True)
class ConvTransposeAttributes:
    """conv_transpose's attributes as a backend receives them."""

    stride: tuple[int, ...]
    padding: tuple[tuple[int, int], ...]
    output_padding: tuple[int, ...]
    dilation: tuple[int, ...]
    groups: int


def kernel_shape(call: Call) -> tuple[int, ...]:
    return call.shape("w")[2:]


def _crop(total: int, mode: str) -> tuple[int, int]:
    """ONNX's split of a total crop: SAME_UPPER's odd one at the end, otherwise at the beginning."""
    small, large = total // 2, total - total // 2
    return (small, large) if mode == "same_upper" else (large, small)


class ConvTranspose(Operator):
    name = "conv_transpose"
    title = "transposed convolution"
    formula = ("Y(o) = sum of X(i) · W(k) over every input position i and tap k with "
               "i*stride + k*dilation - padding_before = o")
    required = ("x", "w")
    optional = ("b",)
    attribute_names = ("stride", "padding", "output_padding", "dilation", "groups", "output_shape")
    per_axis = ("stride", "dilation", "padding", "output_padding", "output_shape")
    has_error_vectors = True

    def resolve(self, written: Mapping[str, Any], shapes: Mapping[str, tuple[int, ...]]
                ) -> ConvTransposeAttributes:
        rank = len(shapes["x"]) - 2
        stride = per_axis(written.get("stride", 1), rank)
        dilation = per_axis(written.get("dilation", 1), rank)
        output_padding = per_axis(written.get("output_padding", 0), rank)
        groups = int(written.get("groups", 1))
        padding = written.get("padding", 0)
        target = written.get("output_shape")
        if target is not None and not (padding == 0 or padding in ("same_upper", "same_lower")):
            raise ValueError("output_shape decides the crop: write no padding with it, or same_upper / "
                             f"same_lower to choose how an odd crop splits, not {padding!r}")
        if isinstance(padding, list):
            pairs = tuple((int(p[0]), int(p[1])) for p in padding)
            return ConvTransposeAttributes(stride, pairs, output_padding, dilation, groups)
        if isinstance(padding, int) and target is None:
            return ConvTransposeAttributes(stride, ((padding, padding),) * rank, output_padding, dilation,
                                           groups)
        if padding not in (0, "valid", "same_upper", "same_lower"):
            raise ValueError(f"padding mode must be one of valid, same_upper, same_lower, got {padding!r}")
        if padding == "valid":
            return ConvTransposeAttributes(stride, ((0, 0),) * rank, output_padding, dilation, groups)
        kernel = tuple(shapes["w"][2:]) if "w" in shapes else (1,) * rank
        if target is None:  # SAME: the output is the input times the stride
            target = [n * s for n, s in zip(shapes["x"][2:], stride, strict=True)]
        if len(target) != rank:
            raise ValueError(f"output_shape has {len(target)} entries for {rank} spatial axes")
        pairs, extra = [], []
        for n, k, s, d, op, want in zip(shapes["x"][2:], kernel, stride, dilation, output_padding, target,
                                        strict=True):
            total = (n - 1) * s + d * (k - 1) + 1 + op - int(want)
            pairs.append(_crop(total, padding) if total >= 0 else (0, 0))
            extra.append(op if total >= 0 else op - total)
        return ConvTransposeAttributes(stride, tuple(pairs), tuple(extra), dilation, groups)

    def input_dtype(self, name: str, dtype: str) -> np.dtype:
        # an integer call's bias is given in the wider output type, as for conv
        return dot_product_dtype(dtype) if name == "b" else numpy_dtype(dtype)

    def output_shape(self, call: Call) -> tuple[int, ...]:
        a = call.attributes
        x_shape = call.shape("x")
        spatial = tuple(conv_transpose_output_size(n, k, s, p, op, d) for n, k, s, p, op, d in zip(
            x_shape[2:], kernel_shape(call), a.stride, a.padding, a.output_padding, a.dilation, strict=True))
        return (x_shape[0], call.shape("w")[1] * a.groups, *spatial)

    def output_dtype(self, call: Call) -> np.dtype:
        return dot_product_dtype(call.dtype)

    def objection(self, call: Call) -> ConvArgumentError | None:
        zeros = {name: np.broadcast_to(0.0, spec.shape) for name, spec in call.tensors.items()}
        try:
            check_conv_transpose_arguments(zeros["x"], zeros["w"], zeros.get("b"), **call.keywords())
        except ConvArgumentError as exc:
            return exc
        return None

    def most_terms(self, call: Call) -> int:
        # each output element gathers at most every tap of every input channel of its group
        return call.shape("w")[0] // max(call.attributes.groups, 1) * math.prod(kernel_shape(call))

    # --- the expectation ----------------------------------------------------------------------
    def reference(self, call: Call, arrays: Mapping[str, np.ndarray]) -> np.ndarray:
        return reference.conv_transpose(arrays["x"], arrays["w"], arrays.get("b"), **call.keywords())

    def exact(self, call: Call, arrays: Mapping[str, np.ndarray], where: np.ndarray) -> np.ndarray:
        return conv_transpose_exact(arrays["x"], arrays["w"], arrays.get("b"), **call.keywords(),
                                    where=where)[1]

    def terms(self, call: Call, arrays: Mapping[str, np.ndarray]) -> np.ndarray:
        """Each element sums only the products that land on it (a border receives fewer than the
        interior, an output_padding position none): the transposed convolution of ones."""
        ones = {name: np.ones(call.shape(name), dtype=np.int64) for name in ("x", "w")}
        return self.reference(call, ones).astype(np.int64) + ("b" in arrays)

    # --- the backend --------------------------------------------------------------------------
    def unsupported(self, backend: BackendLike, call: Call) -> str | None:
        return unsupported_by(self.name, backend, call)

    def invoke(self, backend: BackendLike, call: Call, arrays: Mapping[str, np.ndarray]) -> object:
        conv_transpose = backend.operator(self.name)
        return conv_transpose(arrays["x"], arrays["w"], arrays.get("b"), **call.keywords())

    # --- for people ---------------------------------------------------------------------------
    def describe(self, call: Call) -> str:
        a = call.attributes
        return (f"stride {list(a.stride)}, padding {[list(p) for p in a.padding]}, output_padding "
                f"{list(a.output_padding)}, dilation {list(a.dilation)}, groups {a.groups}")

    def term_pairs(self, call: Call, arrays: Mapping[str, np.ndarray],
                   index: tuple[int, ...]) -> list[tuple[float, float]]:
        """The (input, weight) pairs landing on output element ``index``: input position i and tap k
        with i*s + k*d - p0 = the output position, on every axis."""
        a = call.attributes
        n, o, *pos = index
        x, w = arrays["x"].astype(np.float64), arrays["w"].astype(np.float64)
        per_group_in, per_group_out = x.shape[1] // a.groups, w.shape[1]
        group, o_in_group = divmod(o, per_group_out)
        pairs = []
        for c in range(group * per_group_in, (group + 1) * per_group_in):
            for tap in np.ndindex(*kernel_shape(call)):
                at = []
                for p, k, s, d, pad, size in zip(pos, tap, a.stride, a.dilation, a.padding, x.shape[2:],
                                                  strict=True):
                    i, rest = divmod(p + pad[0] - k * d, s)
                    at.append(i if rest == 0 and 0 <= i < size else None)
                if None not in at:
                    pairs.append((float(x[(n, c, *at)]), float(w[(c, o_in_group, *tap)])))
        return pairs


OPERATOR = ConvTranspose()
