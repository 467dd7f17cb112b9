"""Checks on a vector that the JSON Schema cannot express: shapes, ranks, values, consistency."""

from __future__ import annotations

import itertools
import math

import numpy as np

from convspec import spec
from convspec.reference import ConvArgumentError, check_conv_arguments

from .dtypes import is_float, numpy_dtype, output_dtype
from .vector import Vector, tensor_values

Problem = tuple[str, str]  # (field, message)


def _check_sizes(vector: Vector, max_elements: int) -> list[Problem]:
    """Declared shapes too large to allocate, found before anything is allocated."""
    declared = [(f"inputs.{name}.shape", t["shape"]) for name, t in vector.inputs.items()]
    declared += [("expected.shape", vector.expected["shape"])] if "shape" in vector.expected else []
    return [(where, f"declares {math.prod(shape)} elements, over the limit of {max_elements} "
                    "(--max-elements)")
            for where, shape in declared if math.prod(shape) > max_elements]


def _check_inputs(vector: Vector) -> list[Problem]:
    problems: list[Problem] = []
    if vector.op == "conv" and "w" not in vector.inputs:
        problems.append(("inputs.w", "op 'conv' needs a weight tensor w"))
    if vector.op == "pad":
        problems += [(f"inputs.{name}", "op 'pad' takes only x")
                     for name in ("w", "b") if name in vector.inputs]
        problems += [(f"attributes.{name}", "op 'pad' takes only the padding attribute")
                     for name in vector.attributes if name != "padding"]
    for name, tensor in vector.inputs.items():
        dtype = vector.input_dtype(name)
        try:
            values = tensor_values(tensor)
        except ValueError as exc:
            problems.append((f"inputs.{name}", str(exc)))
            continue
        with np.errstate(over="ignore", invalid="ignore"):
            cast = values.astype(dtype).astype(np.float64)
        inexact = ~((cast == values) | (np.isnan(cast) & np.isnan(values)))
        if inexact.any():
            index = tuple(int(i) for i in np.argwhere(inexact)[0])
            problems.append((f"inputs.{name}.data", (
                f"value {float(values[index])!r} at index {list(index)} is not representable in "
                f"{dtype} (it would become {float(cast[index])!r}); write the {dtype} value")))
    x_rank = len(vector.inputs["x"]["shape"])
    if not 3 <= x_rank <= 5:
        problems.append(("inputs.x.shape", f"expected 3 to 5 dims (N, C, 1-3 spatial), got {x_rank}"))
    return problems


def _check_catches(vector: Vector) -> list[Problem]:
    known = spec.mistakes()
    return [(f"catches[{i}]", f"unknown mistake {name!r}; expected one of spec/mistakes.yaml")
            for i, name in enumerate(vector.catches) if name not in known]


def _reference_verdict(vector: Vector) -> ConvArgumentError | None:
    """The reference's objection to the vector's call, or None when the call is valid."""
    x = np.broadcast_to(0.0, vector.inputs["x"]["shape"])
    w = np.broadcast_to(0.0, vector.inputs["w"]["shape"])
    b = np.broadcast_to(0.0, vector.inputs["b"]["shape"]) if "b" in vector.inputs else None
    try:
        check_conv_arguments(x, w, b, stride=vector.stride, padding=vector.padding,
                             dilation=vector.dilation, groups=vector.groups)
    except ConvArgumentError as exc:
        return exc
    return None


def _check_error_vector(vector: Vector) -> list[Problem]:
    if vector.op != "conv":
        return [("expected.error", "only op 'conv' has error vectors")]
    try:
        objection = _reference_verdict(vector)
    except ValueError as exc:  # e.g. a padding list that resolves to no pairs
        return [("attributes", str(exc))]
    if objection is None:
        return [("expected.error", f"the call is valid, but the vector expects a {vector.expected_error!r} "
                                   "error")]
    if objection.kind != vector.expected_error:
        return [("expected.error", f"the reference rejects the call as {objection.kind!r} ({objection}), "
                                   f"not {vector.expected_error!r}")]
    return []


def _check_attributes(vector: Vector) -> list[Problem]:
    problems: list[Problem] = []
    rank = vector.rank
    for name in ("stride", "dilation", "padding"):
        value = vector.attributes.get(name)
        if isinstance(value, list) and len(value) != rank:
            problems.append((f"attributes.{name}",
                             f"has {len(value)} entries, expected one per spatial axis ({rank})"))
    if problems or vector.op != "conv" or "w" not in vector.inputs:
        return problems
    objection = _reference_verdict(vector)
    if objection is not None:
        problems.append(("attributes", f"inputs and attributes describe no valid convolution: {objection}"
                                       " (an invalid call needs expected: {error: KIND})"))
    return problems


def _check_expected(vector: Vector) -> list[Problem]:
    want = tuple(vector.output_shape())
    shape = tuple(vector.expected["shape"])
    if shape != want:
        return [("expected.shape", f"is {list(shape)} but the output-size rule gives {list(want)}")]
    if "data" in vector.expected:
        try:
            tensor_values(vector.expected)
        except ValueError as exc:
            return [("expected.data", str(exc))]
    return []


def _check_integer_range(vector: Vector) -> list[Problem]:
    """An integer vector's exact result must fit its output type (and the reference's int64)."""
    from .expectation import reference_output

    if is_float(numpy_dtype(vector.dtype)) or vector.op != "conv":
        return []
    arrays = vector.arrays()
    magnitude = reference_output(vector, {k: np.abs(v.astype(np.float64)) for k, v in arrays.items()})
    if magnitude.max() >= 2.0**63:
        return [("inputs", f"|b| + sum |x|*|w| reaches {magnitude.max():.3g}, beyond the exact int64 range")]
    exact = reference_output(vector, arrays)
    info = np.iinfo(output_dtype(vector.dtype))
    outside = (exact < info.min) | (exact > info.max)
    if outside.any():
        index = [int(i) for i in np.argwhere(outside)[0]]
        return [("inputs", f"the exact result {int(exact[tuple(index)])} at {index} does not fit the "
                           f"output type {output_dtype(vector.dtype)}")]
    return []


def window_labels(vector: Vector, at: tuple[int, ...]) -> list[str]:
    """Labels of the input values the window at output position ``at`` covers, row-major.

    Window position along an axis: input index = at*stride + tap*dilation - pad_before; an index
    outside the input is padding and shows as '0'.
    """
    x = tensor_values(vector.inputs["x"])[0, 0]
    taps = itertools.product(*(range(k) for k in vector.kernel_shape))
    labels = []
    for tap in taps:
        index = tuple(a * s + t * d - p[0] for a, s, t, d, p in zip(
            at, vector.stride, tap, vector.dilation, vector.padding, strict=True))
        inside = all(0 <= i < n for i, n in zip(index, x.shape, strict=True))
        labels.append(vector.label(x[index]) if inside else "0")
    return labels


def _check_windows(vector: Vector) -> list[Problem]:
    problems: list[Problem] = []
    if vector.windows and vector.legend is None:
        problems.append(("windows", "needs a legend to name the input values"))
        return problems
    out_spatial = vector.output_shape()[2:]
    for i, window in enumerate(vector.windows):
        at = tuple(window["at"])
        if len(at) != vector.rank or any(a >= n for a, n in zip(at, out_spatial, strict=False)):
            problems.append((f"windows[{i}].at",
                             f"{list(at)} is not an output position of shape {list(out_spatial)}"))
            continue
        covered = window_labels(vector, at)
        if covered != list(window["covers"]):
            problems.append((f"windows[{i}].covers", (
                f"the window at {list(at)} covers {' '.join(covered)} by the indexing rule, "
                f"not {' '.join(window['covers'])}")))
    return problems


def check_vector(vector: Vector, max_elements: int = 10**8) -> list[Problem]:
    """Every problem with one schema-valid vector, as (field, message) pairs."""
    problems = _check_sizes(vector, max_elements)
    if problems:
        return problems
    problems = _check_catches(vector) + _check_inputs(vector)
    if problems:
        return problems
    if vector.expected_error is not None:
        return _check_error_vector(vector)
    problems = _check_attributes(vector)
    if problems:
        return problems
    return _check_expected(vector) + _check_windows(vector) + _check_integer_range(vector)
