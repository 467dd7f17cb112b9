"""Hypothesis strategies for valid convolution calls, shared by the property tests."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import strategies as st

from convspec.conformance.call import Call, tensor_specs
from convspec.conformance.ops.conv import ConvAttributes


@st.composite
def conv_cases(draw, max_rank: int = 3, max_size: int = 7, integer_values: bool = True
               ) -> tuple[Call, dict[str, np.ndarray]]:
    """A valid conv call and its arrays (x, w and maybe b), with small shapes and small-integer
    float64 values (any floats in [-4, 4] unless ``integer_values``)."""
    rank = draw(st.integers(1, max_rank))
    groups = draw(st.integers(1, 3))
    cin = groups * draw(st.integers(1, 2))
    cout = groups * draw(st.integers(1, 2))
    batch = draw(st.integers(1, 2))
    kernel = [draw(st.integers(1, 3)) for _ in range(rank)]
    dilation = [draw(st.integers(1, 2)) for _ in range(rank)]
    stride = [draw(st.integers(1, 3)) for _ in range(rank)]
    padding = [(draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in range(rank)]
    spatial = []
    for k, d, (p0, p1) in zip(kernel, dilation, padding, strict=True):
        span = d * (k - 1) + 1
        spatial.append(draw(st.integers(max(1, span - p0 - p1), max(max_size, span))))
    values = st.integers(-4, 4) if integer_values else st.floats(-4, 4, width=64)

    def tensor(shape):
        count = int(np.prod(shape))
        return np.array(draw(st.lists(values, min_size=count, max_size=count)),
                        dtype=np.float64).reshape(shape)

    arrays = {"x": tensor([batch, cin, *spatial]), "w": tensor([cout, cin // groups, *kernel])}
    if draw(st.booleans()):
        arrays["b"] = tensor([cout])
    attributes = ConvAttributes(tuple(stride), tuple(padding), tuple(dilation), groups)
    return Call("conv", "float64", tensor_specs(arrays), attributes), arrays


def protocol_args(case: tuple[Call, dict[str, np.ndarray]]
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, dict]:
    """x, w, b (or None) and the keyword arguments of the backend protocol, for calling a conv."""
    call, arrays = case
    return arrays["x"], arrays["w"], arrays.get("b"), call.keywords()


def naive_conv(x, w, b, *, stride, padding, dilation, groups):
    """The definition, one output element and one product at a time (Python loops only)."""
    batch, _cin = x.shape[:2]
    cout, cg = w.shape[:2]
    rank = x.ndim - 2
    out_sizes = [
        (x.shape[2 + a] + padding[a][0] + padding[a][1] - dilation[a] * (w.shape[2 + a] - 1) - 1)
        // stride[a] + 1 for a in range(rank)]
    out = np.zeros((batch, cout, *out_sizes))
    per_group = cout // groups
    for n, o in itertools.product(range(batch), range(cout)):
        first = (o // per_group) * cg
        for pos in itertools.product(*(range(s) for s in out_sizes)):
            total = 0.0 if b is None else float(b[o])
            for c in range(cg):
                for tap in itertools.product(*(range(k) for k in w.shape[2:])):
                    idx = [pos[a] * stride[a] + tap[a] * dilation[a] - padding[a][0]
                           for a in range(rank)]
                    if all(0 <= i < x.shape[2 + a] for a, i in enumerate(idx)):
                        total += x[(n, first + c, *idx)] * w[(o, c, *tap)]
            out[(n, o, *pos)] = total
    return out
