"""Checks on a vector that the JSON Schema cannot express: shapes, ranks, values, consistency."""

from __future__ import annotations

import math

import numpy as np

from convspec import spec

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
    op = vector.operator
    problems += [(f"inputs.{name}", f"op {op.name!r} needs an input {name}")
                 for name in op.required if name not in vector.inputs]
    problems += [(f"inputs.{name}", f"op {op.name!r} takes only {', '.join(op.required + op.optional)}")
                 for name in vector.inputs if name not in op.required + op.optional]
    problems += [(f"attributes.{name}", f"op {op.name!r} takes only the attributes "
                                        f"{', '.join(op.attribute_names)}")
                 for name in vector.attributes if name not in op.attribute_names]
    if op.dtypes is not None and vector.dtype not in op.dtypes:
        problems.append(("dtype", f"op {op.name!r} is defined for {', '.join(op.dtypes)} only"))
        return problems
    for name, tensor in vector.inputs.items():
        dtype = op.input_dtype(name, vector.dtype)
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
    first = op.required[0]  # the input whose shape has the spatial axes
    if first in vector.inputs:
        rank = len(vector.inputs[first]["shape"])
        if not 3 <= rank <= 5:
            problems.append((f"inputs.{first}.shape",
                             f"expected 3 to 5 dims (N, C, 1-3 spatial), got {rank}"))
    return problems


def _check_catches(vector: Vector) -> list[Problem]:
    known = spec.mistakes()
    return [(f"catches[{i}]", f"unknown mistake {name!r}; expected one of spec/mistakes.yaml")
            for i, name in enumerate(vector.catches) if name not in known]


def _check_error_vector(vector: Vector) -> list[Problem]:
    if not vector.operator.has_error_vectors:
        return [("expected.error", f"op {vector.op!r} has no error vectors")]
    try:
        objection = vector.operator.objection(vector.call)
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
    for name in vector.operator.per_axis:
        value = vector.attributes.get(name)
        if isinstance(value, list) and len(value) != rank:
            problems.append((f"attributes.{name}",
                             f"has {len(value)} entries, expected one per spatial axis ({rank})"))
    if problems:
        return problems
    objection = vector.operator.objection(vector.call)
    if objection is not None:
        problems.append(("attributes", "inputs and attributes describe no valid "
                                       f"{vector.operator.title}: {objection}"
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


def window_labels(vector: Vector, at: tuple[int, ...]) -> list[str] | None:
    """Labels of the input values the window at output position ``at`` covers, row-major ('0' for
    padding); None when the vector's operator has no windows."""
    x = tensor_values(vector.inputs["x"])[0, 0]
    return vector.operator.window_labels(vector.call, x, vector.label, at)


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
        if covered is None:
            problems.append(("windows", f"op {vector.op!r} has no windows"))
            break
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
    return (_check_expected(vector) + _check_windows(vector)
            + vector.operator.value_problems(vector.call, vector.arrays))
