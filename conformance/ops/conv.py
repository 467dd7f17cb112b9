"""conv: the forward convolution (cross-correlation), y = conv(x, w, b).

x (N, C, *spatial), w (O, C/groups, *kernel), b (O,); output (N, O, *out) with
out = floor((W + p0 + p1 - D*(F - 1) - 1) / S) + 1 per spatial axis. Integer inputs accumulate
exactly and return the wider type (int8/uint8 -> int32, int32 -> int64); the bias of an integer
call is given in that type.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from convspec import reference
from convspec.reference import ConvArgumentError, check_conv_arguments, output_size, resolve_padding
from convspec.reference.exact import conv_exact

from ..call import Call
from ..dtypes import dot_product_dtype, numpy_dtype
from .operator import BackendLike, Operator


@dataclass(frozen=True)
class ConvAttributes:
    """conv's attributes as a backend receives them."""

    stride: tuple[int, ...]
    padding: tuple[tuple[int, int], ...]
    dilation: tuple[int, ...]
    groups: int


def per_axis(value: int | list[int], rank: int) -> tuple[int, ...]:
    """Broadcast one int to every spatial axis; keep a list as it is."""
    return (int(value),) * rank if isinstance(value, int) else tuple(int(v) for v in value)


def resolve_conv(written: Mapping[str, Any], spatial: tuple[int, ...], kernel: tuple[int, ...] | None
                 ) -> ConvAttributes:
    """conv's attributes as written, resolved for an input of ``spatial`` size and a kernel of
    ``kernel`` size (None: unknown, as in an error vector without w): per-axis lists broadcast,
    named padding modes turned into pairs. The gradients of conv resolve theirs the same way."""
    rank = len(spatial)
    stride = per_axis(written.get("stride", 1), rank)
    dilation = per_axis(written.get("dilation", 1), rank)
    padding = written.get("padding", 0)
    if isinstance(padding, list):
        pairs = tuple((int(p[0]), int(p[1])) for p in padding)
    else:
        pairs = resolve_padding(padding, spatial, kernel or (1,) * rank, stride, dilation)
    return ConvAttributes(stride, pairs, dilation, int(written.get("groups", 1)))


def unsupported_by(name: str, backend: BackendLike, call: Call) -> str | None:
    """Why ``backend``, which has the conv-like operator ``name`` (conv, its transpose, its
    gradients), cannot run ``call``: groups or dilation it declares it lacks, or its limits."""
    a = call.attributes
    if not backend.groups and a.groups != 1:
        return f"groups={a.groups} not supported by {backend.name}"
    if not backend.dilation and set(a.dilation) != {1}:
        return f"dilation {list(a.dilation)} not supported by {backend.name}"
    limit = backend.limits.get(name)
    return limit(call) if limit is not None else None


def kernel_shape(call: Call) -> tuple[int, ...]:
    return call.shape("w")[2:]


class Conv(Operator):
    name = "conv"
    title = "convolution"
    formula = "S(i, j) = sum_m sum_n I(i*stride + m*dilation, j*stride + n*dilation) · K(m, n)"
    required = ("x", "w")
    optional = ("b",)
    attribute_names = ("stride", "padding", "dilation", "groups")
    per_axis = ("stride", "dilation", "padding")
    has_error_vectors = True

    def resolve(self, written: Mapping[str, Any], shapes: Mapping[str, tuple[int, ...]]) -> ConvAttributes:
        kernel = tuple(shapes["w"][2:]) if "w" in shapes else None
        return resolve_conv(written, shapes["x"][2:], kernel)

    def input_dtype(self, name: str, dtype: str) -> np.dtype:
        # an integer call's bias is given in the wider output type
        return dot_product_dtype(dtype) if name == "b" else numpy_dtype(dtype)

    def output_shape(self, call: Call) -> tuple[int, ...]:
        a = call.attributes
        x_shape = call.shape("x")
        spatial = tuple(output_size(n, k, s, p, d) for n, k, s, p, d in zip(
            x_shape[2:], kernel_shape(call), a.stride, a.padding, a.dilation, strict=True))
        return (x_shape[0], call.shape("w")[0], *spatial)

    def output_dtype(self, call: Call) -> np.dtype:
        return dot_product_dtype(call.dtype)

    def objection(self, call: Call) -> ConvArgumentError | None:
        zeros = {name: np.broadcast_to(0.0, spec.shape) for name, spec in call.tensors.items()}
        try:
            check_conv_arguments(zeros["x"], zeros["w"], zeros.get("b"), **call.keywords())
        except ConvArgumentError as exc:
            return exc
        return None

    def most_terms(self, call: Call) -> int:
        return call.shape("w")[1] * math.prod(kernel_shape(call))

    # --- the expectation ----------------------------------------------------------------------
    def reference(self, call: Call, arrays: Mapping[str, np.ndarray]) -> np.ndarray:
        return reference.conv(arrays["x"], arrays["w"], arrays.get("b"), **call.keywords())

    def exact(self, call: Call, arrays: Mapping[str, np.ndarray], where: np.ndarray) -> np.ndarray:
        return conv_exact(arrays["x"], arrays["w"], arrays.get("b"), **call.keywords(), where=where)[1]

    # --- the backend --------------------------------------------------------------------------
    def unsupported(self, backend: BackendLike, call: Call) -> str | None:
        return unsupported_by(self.name, backend, call)

    def invoke(self, backend: BackendLike, call: Call, arrays: Mapping[str, np.ndarray]) -> object:
        conv = backend.operator(self.name)
        return conv(arrays["x"], arrays["w"], arrays.get("b"), **call.keywords())

    # --- for people ---------------------------------------------------------------------------
    def describe(self, call: Call) -> str:
        a = call.attributes
        return (f"stride {list(a.stride)}, padding {[list(p) for p in a.padding]}, "
                f"dilation {list(a.dilation)}, groups {a.groups}")

    def term_pairs(self, call: Call, arrays: Mapping[str, np.ndarray],
                   index: tuple[int, ...]) -> list[tuple[float, float]]:
        """The (input, weight) pairs summed for output element ``index`` (padding reads as 0)."""
        a = call.attributes
        n, o, *pos = index
        x, w = arrays["x"].astype(np.float64), arrays["w"].astype(np.float64)
        per_group = w.shape[0] // a.groups
        first = (o // per_group) * w.shape[1]
        pairs = []
        for c in range(w.shape[1]):
            for tap in itertools.product(*(range(k) for k in kernel_shape(call))):
                at = tuple(p * s + t * d - pad[0] for p, s, t, d, pad in zip(
                    pos, a.stride, tap, a.dilation, a.padding, strict=True))
                inside = all(0 <= i < size for i, size in zip(at, x.shape[2:], strict=True))
                pairs.append((float(x[(n, first + c, *at)]) if inside else 0.0, float(w[(o, c, *tap)])))
        return pairs

    def window_labels(self, call: Call, x: np.ndarray, label, at: tuple[int, ...]) -> list[str]:
        """Window position along an axis: input index = at*stride + tap*dilation - pad_before; an
        index outside the input is padding and shows as '0'. ``x`` is one (spatial) plane."""
        a = call.attributes
        labels = []
        for tap in itertools.product(*(range(k) for k in kernel_shape(call))):
            index = tuple(p * s + t * d - pad[0] for p, s, t, d, pad in zip(
                at, a.stride, tap, a.dilation, a.padding, strict=True))
            inside = all(0 <= i < n for i, n in zip(index, x.shape, strict=True))
            labels.append(label(x[index]) if inside else "0")
        return labels


OPERATOR = Conv()
