"""conv_grad_bias: the gradient of conv with respect to its bias, db[o] = sum of dy[:, o].

dy (N, O, *out); db has shape (O,): each output channel's gradient summed over the batch and
every output position. Float dtypes only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from convspec import reference
from convspec.reference.exact import conv_grad_bias_exact

from ..call import Call
from ..dtypes import FLOAT_DTYPES
from .conv import OPERATOR as CONV
from .operator import BackendLike, Operator


@dataclass(frozen=True)
class ConvGradBiasAttributes:
    """conv_grad_bias takes no attributes."""


class ConvGradBias(Operator):
    name = "conv_grad_bias"
    title = "gradient of a convolution with respect to its bias"
    formula = "dB(o) = sum over the batch and every output position of dY(o)"
    required = ("dy",)
    dtypes = tuple(FLOAT_DTYPES)

    def resolve(self, written: Mapping[str, Any], shapes: Mapping[str, tuple[int, ...]]
                ) -> ConvGradBiasAttributes:
        return ConvGradBiasAttributes()

    def of_conv(self, dtype: str, conv: Call, written: Mapping[str, Any]) -> tuple[Call, dict]:
        """The gradient call of the conv call ``conv``: dy of its output's shape, no attributes."""
        return self.call(dtype, {"dy": CONV.output_shape(conv)}, {}), {}

    def output_shape(self, call: Call) -> tuple[int, ...]:
        return (call.shape("dy")[1],)

    def output_dtype(self, call: Call) -> np.dtype:
        return FLOAT_DTYPES[call.dtype]

    def most_terms(self, call: Call) -> int:
        dy = call.shape("dy")
        return dy[0] * math.prod(dy[2:])

    def reference(self, call: Call, arrays: Mapping[str, np.ndarray]) -> np.ndarray:
        return reference.conv_grad_bias(arrays["dy"])

    def exact(self, call: Call, arrays: Mapping[str, np.ndarray], where: np.ndarray) -> np.ndarray:
        return conv_grad_bias_exact(arrays["dy"], where=where)[1]

    def unsupported(self, backend: BackendLike, call: Call) -> str | None:
        limit = backend.limits.get(self.name)
        return limit(call) if limit is not None else None

    def invoke(self, backend: BackendLike, call: Call, arrays: Mapping[str, np.ndarray]) -> object:
        return backend.operator(self.name)(arrays["dy"])

    def describe(self, call: Call) -> str:
        return f"summed over {self.most_terms(call)} values per channel"


OPERATOR = ConvGradBias()
