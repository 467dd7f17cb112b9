"""`convspec show`: a vector in full, with its math worked term by term."""

from __future__ import annotations

import numpy as np

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


def _num(v: float) -> str:
    text = f"{v:g}"
    return f"({text})" if v < 0 else text


def sum_of_products(vector: Vector, arrays: dict[str, np.ndarray], expected: np.ndarray) -> str | None:
    """The first output element written as its sum of products; None for an operator that sums
    no products."""
    index = (0,) * expected.ndim
    pairs = vector.operator.term_pairs(vector.call, arrays, index)
    if pairs is None:
        return None
    lhs = f"S{list(index)}"
    if len(pairs) > MAX_TERMS_SHOWN:
        return f"{lhs} = a sum of {len(pairs)} products = {expected[index]:g}"
    body = " + ".join(f"{_num(xv)}·{_num(wv)}" for xv, wv in pairs)
    if "b" in arrays:
        body += f" + {_num(float(arrays['b'][index[1]]))}"
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
    out.append(f"  {vector.operator.describe(vector.call)}")
    if vector.notes:
        out.append("  notes    " + " ".join(vector.notes.split()))
    for name, values in arrays.items():
        out.append(f"\n{name} {list(values.shape)}:\n{format_array(values.astype(np.float64))}")
    if vector.expected_error is not None:
        out.append(f"\nan invalid call: every backend must reject it ({vector.expected_error})")
        return "\n".join(out)
    expect = vector.expectation(arrays)
    out.append(f"\nexpected output {list(expect.values.shape)}:\n{format_array(expect.values)}")
    worked = sum_of_products(vector, arrays, expect.values)
    if worked is not None:
        out.append(f"\n{vector.operator.formula}\n{worked}")
    for window in vector.windows:
        labels = window_labels(vector, tuple(window["at"]))
        row = vector.inputs["w"]["shape"][-1]
        rows = [" ".join(labels[i:i + row]) for i in range(0, len(labels), row)]
        out.append(f"window at {window['at']} covers " + " / ".join(rows))
    return "\n".join(out)
