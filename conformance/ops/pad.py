"""pad: zero padding of the spatial axes, y = pad(x, padding).

x (N, C, *spatial); output (N, C, *(W + p0 + p1)). Pure data movement: every value must arrive
exactly. A backend without a ``pad`` of its own pads through its ``conv``: a 1x1 unit kernel per
channel (groups = C) reproduces the zero-padded input exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from convspec import reference
from convspec.reference import resolve_padding

from ..call import Call, TensorSpec
from ..expectation import Expectation
from .conv import OPERATOR as CONV
from .conv import ConvAttributes
from .operator import BackendLike, Operator


@dataclass(frozen=True)
class PadAttributes:
    """pad's attributes as a backend receives them."""

    padding: tuple[tuple[int, int], ...]


class Pad(Operator):
    name = "pad"
    title = "padding"
    required = ("x",)
    attribute_names = ("padding",)
    per_axis = ("padding",)

    def resolve(self, written: Mapping[str, Any], shapes: Mapping[str, tuple[int, ...]]) -> PadAttributes:
        padding = written.get("padding", 0)
        if isinstance(padding, list):
            return PadAttributes(tuple((int(p[0]), int(p[1])) for p in padding))
        rank = len(shapes["x"]) - 2
        ones = (1,) * rank
        return PadAttributes(resolve_padding(padding, shapes["x"][2:], ones, ones, ones))

    def output_shape(self, call: Call) -> tuple[int, ...]:
        x_shape = call.shape("x")
        return (*x_shape[:2], *(n + p0 + p1 for n, (p0, p1) in zip(
            x_shape[2:], call.attributes.padding, strict=True)))

    def output_dtype(self, call: Call) -> np.dtype:
        return call.tensors["x"].dtype  # padding only moves values

    def reference(self, call: Call, arrays: Mapping[str, np.ndarray]) -> np.ndarray:
        return reference.pad(arrays["x"].astype(np.float64), call.attributes.padding)

    def expectation(self, call: Call, arrays: dict[str, np.ndarray], stored: np.ndarray | None, *,
                    consume: bool = False) -> Expectation:
        values = self.reference(call, arrays) if stored is None else stored
        return Expectation(values, np.abs(values), terms=0)

    def through_conv(self, call: Call) -> Call:
        """The conv call that pads as ``call`` does: a 1x1 unit kernel per channel."""
        x = call.tensors["x"]
        channels, rank = x.shape[1], call.rank
        unit = TensorSpec((channels, 1) + (1,) * rank, x.dtype)
        return Call(CONV.name, call.dtype, {"x": x, "w": unit},
                    ConvAttributes((1,) * rank, call.attributes.padding, (1,) * rank, channels))

    def missing(self, backend: BackendLike) -> str | None:
        if backend.operator(self.name) is None and backend.operator(CONV.name) is None:
            return f"{backend.name} has neither a {self.name!r} nor a {CONV.name!r} operator"
        return None

    def unsupported(self, backend: BackendLike, call: Call) -> str | None:
        if backend.operator(self.name) is not None:
            limit = backend.limits.get(self.name)
            return limit(call) if limit is not None else None
        if not backend.groups and call.shape("x")[1] > 1:
            return f"pad needs groups to run through {backend.name}'s conv"
        return CONV.unsupported(backend, self.through_conv(call))

    def invoke(self, backend: BackendLike, call: Call, arrays: Mapping[str, np.ndarray]) -> object:
        pad = backend.operator(self.name)
        x = arrays["x"]
        if pad is not None:
            return pad(x, call.attributes.padding)
        conv_call = self.through_conv(call)
        unit = np.ones(conv_call.shape("w"), dtype=x.dtype)
        return backend.operator(CONV.name)(x, unit, None, **conv_call.keywords())

    def describe(self, call: Call) -> str:
        return f"padding {[list(p) for p in call.attributes.padding]}"


OPERATOR = Pad()
