"""`convspec show`: a vector in full, with its math worked term by term."""

from __future__ import annotations

import itertools

import numpy as np

from .expectation import expectation
from .validation import window_labels
from .vector import Vector

MAX_TERMS_SHOWN = 27


def format_array(values: np.ndarray) -> str:
    """An array as rows of numbers, dropping leading length-1 axes; integers without '.0'."""
    squeezed = values
    while squeezed.ndim > 2 and squeezed.shape[0] == 1:
        squeezed = squeezed[0]
    integral = np.all(np.isfinite(squeezed)) and np.all(squeezed == np.round(squeezed))
    formatter = {"float_kind": (lambda v: f"{v:.0f}") if integral else (lambda v: f"{v:.8g}")}
    return np.array2string(squeezed, separator=" ", formatter=formatter, max_line_width=100,
                           threshold=400)


def terms(vector: Vector, arrays: dict[str, np.ndarray], index: tuple[int, ...]
          ) -> list[tuple[float, float]]:
    """The (input, weight) pairs summed for output element ``index`` (padding reads as 0)."""
    n, o, *pos = index
    x, w = arrays["x"].astype(np.float64), arrays["w"].astype(np.float64)
    per_group = w.shape[0] // vector.groups
    first = (o // per_group) * w.shape[1]
    pairs = []
    for c in range(w.shape[1]):
        for tap in itertools.product(*(range(k) for k in vector.kernel_shape)):
            at = tuple(p * s + t * d - pad[0] for p, s, t, d, pad in zip(
                pos, vector.stride, tap, vector.dilation, vector.padding, strict=True))
            inside = all(0 <= i < size for i, size in zip(at, x.shape[2:], strict=True))
            pairs.append((float(x[(n, first + c, *at)]) if inside else 0.0,
                          float(w[(o, c, *tap)])))
    return pairs


def _num(v: float) -> str:
    text = f"{v:g}"
    return f"({text})" if v < 0 else text


def worked_example(vector: Vector, arrays: dict[str, np.ndarray], expected: np.ndarray) -> str:
    """The first output element written as its sum of products."""
    index = (0,) * expected.ndim
    pairs = terms(vector, arrays, index)
    lhs = f"S{list(index)}"
    if len(pairs) > MAX_TERMS_SHOWN:
        return f"{lhs} = a sum of {len(pairs)} products = {expected[index]:g}"
    body = " + ".join(f"{_num(xv)}·{_num(wv)}" for xv, wv in pairs)
    if "b" in arrays:
        body += f" + {_num(float(arrays['b'][0 if vector.op != 'conv' else index[1]]))}"
    return f"{lhs} = {body}\n{' ' * len(lhs)} = {expected[index]:g}"


def render(vector: Vector) -> str:
    """Everything about one vector, for a person to read."""
    arrays = vector.arrays()
    out = [f"{vector.id}: {vector.title}",
           f"  file     {vector.file}",
           f"  source   {vector.source}",
           f"  catches  {', '.join(vector.catches)}",
           f"  tags     {', '.join(vector.tags)}",
           f"  op {vector.op}, dtype {vector.dtype}"]
    if vector.op == "conv":
        out.append(f"  stride {list(vector.stride)}, padding {[list(p) for p in vector.padding]}, "
                   f"dilation {list(vector.dilation)}, groups {vector.groups}")
    else:
        out.append(f"  padding {[list(p) for p in vector.padding]}")
    if vector.notes:
        out.append("  notes    " + " ".join(vector.notes.split()))
    for name, values in arrays.items():
        out.append(f"\n{name} {list(values.shape)}:\n{format_array(values.astype(np.float64))}")
    if vector.expected_error is not None:
        out.append(f"\nan invalid call: every backend must reject it ({vector.expected_error})")
        return "\n".join(out)
    expect = expectation(vector, arrays)
    out.append(f"\nexpected output {list(expect.values.shape)}:\n{format_array(expect.values)}")
    if vector.op == "conv":
        out.append("\nS(i, j) = sum_m sum_n I(i*stride + m*dilation, j*stride + n*dilation) · K(m, n)"
                   "\n" + worked_example(vector, arrays, expect.values))
    for window in vector.windows:
        labels = window_labels(vector, tuple(window["at"]))
        row = vector.kernel_shape[-1]
        rows = [" ".join(labels[i:i + row]) for i in range(0, len(labels), row)]
        out.append(f"window at {window['at']} covers " + " / ".join(rows))
    return "\n".join(out)
