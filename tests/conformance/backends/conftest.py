"""Checks every framework adapter shares: the corpus, direct translation cases, honest refusals.

Each helper is a fixture, and ``translation_case`` a parametrized argument, so that the
per-framework test files use them without importing this file (``conftest`` on the import path is
tests/conftest.py).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from convspec import reference
from convspec.conformance import Backend, Outcome, Vector, run, run_vector
from convspec.conformance.expected_failures import SHIPPED, load_expected_failures
from convspec.conformance.report import line

# Small calls whose every axis differs: asymmetric padding (each side its own amount), per-axis
# stride and dilation, groups and bias, in 1, 2 and 3 dimensions.
TRANSLATION_CASES = {
    "1d-asymmetric-stride-2-dilation-2-groups-2": dict(
        x=(2, 4, 11), w=(6, 2, 3), stride=(2,), dilation=(2,), padding=((3, 0),), groups=2, bias=True),
    "2d-asymmetric-stride-3x1": dict(
        x=(1, 3, 7, 8), w=(4, 3, 3, 2), stride=(3, 1), dilation=(1, 1), padding=((0, 2), (3, 1)),
        groups=1, bias=True),
    "2d-asymmetric-dilation-1x3-groups-2": dict(
        x=(1, 2, 7, 8), w=(2, 1, 2, 3), stride=(1, 1), dilation=(1, 3), padding=((2, 1), (0, 3)),
        groups=2, bias=False),
    "2d-asymmetric-stride-2x1-dilation-1x2": dict(
        x=(2, 3, 9, 8), w=(2, 3, 3, 2), stride=(2, 1), dilation=(1, 2), padding=((1, 0), (0, 2)),
        groups=1, bias=True),
    "3d-asymmetric-stride-1x2x3": dict(
        x=(1, 2, 5, 6, 7), w=(3, 2, 2, 3, 2), stride=(1, 2, 3), dilation=(1, 1, 1),
        padding=((1, 0), (0, 2), (2, 1)), groups=1, bias=True),
    "3d-asymmetric-dilation-2x1x3": dict(
        x=(1, 2, 6, 5, 7), w=(2, 2, 2, 2, 3), stride=(1, 1, 1), dilation=(2, 1, 3),
        padding=((0, 1), (2, 0), (1, 2)), groups=1, bias=False),
}


for _case in TRANSLATION_CASES.values():
    _case["strided_and_dilated"] = max(_case["stride"]) > 1 and max(_case["dilation"]) > 1

# The same for conv_transpose, w of shape (C_in, C_out/groups, *kernel): asymmetric crops (which
# frameworks with symmetric padding must finish themselves), output_padding, per-axis stride and
# dilation, groups and bias. The last case has an output_padding that reaches the stride, valid
# because it stays below the dilation.
TRANSPOSE_CASES = {
    "1d-asymmetric-stride-2-dilation-2-output-padding-1-groups-2": dict(
        x=(2, 4, 5), w=(4, 3, 3), stride=(2,), dilation=(2,), padding=((3, 0),), output_padding=(1,),
        groups=2, bias=True),
    "2d-asymmetric-stride-3x1-output-padding-2x0": dict(
        x=(1, 3, 4, 5), w=(3, 2, 3, 2), stride=(3, 1), dilation=(1, 1), padding=((0, 2), (3, 1)),
        output_padding=(2, 0), groups=1, bias=True),
    "2d-asymmetric-stride-2x1-dilation-1x3-groups-2": dict(
        x=(1, 2, 4, 5), w=(2, 1, 2, 3), stride=(2, 1), dilation=(1, 3), padding=((2, 1), (0, 3)),
        output_padding=(1, 0), groups=2, bias=False),
    "3d-asymmetric-stride-1x2x3-output-padding-0x1x2": dict(
        x=(1, 2, 3, 4, 3), w=(2, 3, 2, 3, 2), stride=(1, 2, 3), dilation=(1, 1, 1),
        padding=((1, 0), (0, 2), (2, 1)), output_padding=(0, 1, 2), groups=1, bias=True),
    "3d-asymmetric-stride-2x1x1-dilation-2x1x3-groups-2": dict(
        x=(1, 4, 3, 3, 4), w=(4, 1, 2, 2, 3), stride=(2, 1, 1), dilation=(2, 1, 3),
        padding=((0, 1), (2, 0), (1, 2)), output_padding=(1, 0, 0), groups=2, bias=True),
    "1d-output-padding-2-stride-1-dilation-3": dict(
        x=(1, 2, 4), w=(2, 2, 2), stride=(1,), dilation=(3,), padding=((1, 0),), output_padding=(2,),
        groups=1, bias=True),
}

for _case in TRANSPOSE_CASES.values():
    _case["output_padding_reaches_stride"] = any(
        e >= s for e, s in zip(_case["output_padding"], _case["stride"], strict=True))
    _case["dilated"] = max(_case["dilation"]) > 1


# conv's gradients: x (N, C, *in), w (O, C/groups, *kernel), for dx, dw and db of y = conv(x, w).
# Each has an input position or a padded edge that matters: strides that leave the last rows unread
# (input sizes a stride does not divide), asymmetric padding, dilation, groups and a batch.
GRADIENT_CASES = {
    "1d-stride-3-unread-asymmetric-padding-batch-2": dict(
        x=(2, 2, 10), w=(3, 2, 2), stride=(3,), dilation=(1,), padding=((1, 0),), groups=1),
    "1d-dilation-2-groups-2": dict(
        x=(1, 4, 9), w=(4, 2, 3), stride=(1,), dilation=(2,), padding=((0, 3),), groups=2),
    "2d-stride-2x3-unread-rows-and-columns": dict(
        x=(1, 3, 8, 9), w=(2, 3, 3, 2), stride=(2, 3), dilation=(1, 1), padding=((0, 1), (2, 0)),
        groups=1),
    "2d-dilation-1x2-groups-3-batch-2": dict(
        x=(2, 3, 6, 8), w=(6, 1, 2, 3), stride=(1, 1), dilation=(1, 2), padding=((2, 1), (1, 0)),
        groups=3),
    "2d-stride-2-dilation-2-depthwise": dict(
        x=(1, 2, 9, 8), w=(2, 1, 2, 2), stride=(2, 1), dilation=(2, 2), padding=((1, 2), (0, 0)),
        groups=2),
    "3d-stride-1x2x3-unread-asymmetric-padding": dict(
        x=(2, 2, 5, 6, 8), w=(3, 2, 2, 3, 2), stride=(1, 2, 3), dilation=(1, 1, 1),
        padding=((1, 0), (0, 2), (2, 1)), groups=1),
    "3d-dilation-2x1x3": dict(
        x=(1, 2, 6, 5, 7), w=(2, 2, 2, 2, 3), stride=(1, 1, 1), dilation=(2, 1, 3),
        padding=((0, 1), (2, 0), (1, 2)), groups=1),
}

for _case in GRADIENT_CASES.values():
    _case["strided_and_dilated"] = max(_case["stride"]) > 1 and max(_case["dilation"]) > 1


def pytest_generate_tests(metafunc):
    """A test that takes ``translation_case`` (``transpose_case``, ``gradient_case``) runs once per case."""
    if "gradient_case" in metafunc.fixturenames:
        metafunc.parametrize("gradient_case", list(GRADIENT_CASES.values()), ids=list(GRADIENT_CASES))
    if "translation_case" in metafunc.fixturenames:
        metafunc.parametrize("translation_case", list(TRANSLATION_CASES.values()),
                             ids=list(TRANSLATION_CASES))
    if "transpose_case" in metafunc.fixturenames:
        metafunc.parametrize("transpose_case", list(TRANSPOSE_CASES.values()), ids=list(TRANSPOSE_CASES))


def _corpus_problems(backend: Backend, corpus: list[Vector]) -> list[str]:
    """Console lines of every result that makes a run fail, under the backend's expected failures."""
    xfails = load_expected_failures(SHIPPED / f"{backend.name}.yaml")
    return [line(r) for r in run(corpus, backend, expected_failures=xfails) if r.outcome.is_problem]


def _check_translation(backend: Backend, case: dict, dtype=np.float32) -> None:
    """The backend's result equals the reference's exactly (small integers: exact in any order)."""
    rng = np.random.default_rng(sum(map(ord, repr(case))))
    x = rng.integers(-4, 5, case["x"]).astype(dtype)
    w = rng.integers(-3, 4, case["w"]).astype(dtype)
    b = rng.integers(-5, 6, case["w"][0]).astype(dtype) if case["bias"] else None
    attrs = {k: case[k] for k in ("stride", "padding", "dilation", "groups")}
    got = np.asarray(backend.operator("conv")(x, w, b, **attrs))
    expected = reference.conv(x, w, b, **attrs)
    assert got.dtype == np.dtype(dtype)
    assert got.shape == expected.shape
    np.testing.assert_array_equal(got.astype(np.float64), expected)


def _check_transpose_translation(backend: Backend, case: dict, dtype=np.float32) -> None:
    """The backend's conv_transpose equals the reference's exactly (small integers: exact in any order)."""
    rng = np.random.default_rng(sum(map(ord, repr(case))))
    x = rng.integers(-4, 5, case["x"]).astype(dtype)
    w = rng.integers(-3, 4, case["w"]).astype(dtype)
    b = rng.integers(-5, 6, case["w"][1] * case["groups"]).astype(dtype) if case["bias"] else None
    attrs = {k: case[k] for k in ("stride", "padding", "output_padding", "dilation", "groups")}
    got = np.asarray(backend.operator("conv_transpose")(x, w, b, **attrs))
    expected = reference.conv_transpose(x, w, b, **attrs)
    assert got.dtype == np.dtype(dtype)
    assert got.shape == expected.shape
    np.testing.assert_array_equal(got.astype(np.float64), expected)


def _check_gradient_translation(backend: Backend, case: dict, dtype=np.float32) -> None:
    """The backend's dx, dw and db equal the reference's exactly (small integers: exact in any order),
    in the call's dtype and shape."""
    rng = np.random.default_rng(sum(map(ord, repr(case))))
    x = rng.integers(-4, 5, case["x"]).astype(dtype)
    w = rng.integers(-3, 4, case["w"]).astype(dtype)
    attrs = {k: case[k] for k in ("stride", "padding", "dilation", "groups")}
    dy = rng.integers(-3, 4, reference.conv(x, w, **attrs).shape).astype(dtype)
    kernel = case["w"][2:]
    results = {
        "conv_grad_input": (backend.operator("conv_grad_input")(dy, w, input_shape=x.shape, **attrs),
                            reference.conv_grad_input(dy, w, input_shape=x.shape, **attrs)),
        "conv_grad_weight": (backend.operator("conv_grad_weight")(x, dy, kernel_shape=kernel, **attrs),
                             reference.conv_grad_weight(x, dy, kernel_shape=kernel, **attrs)),
        "conv_grad_bias": (backend.operator("conv_grad_bias")(dy), reference.conv_grad_bias(dy)),
    }
    for name, (got, expected) in results.items():
        got = np.asarray(got)
        assert got.dtype == np.dtype(dtype), name
        assert got.shape == expected.shape, name
        np.testing.assert_array_equal(got.astype(np.float64), expected, err_msg=name)


def _vector(dtype: str, x_shape, w_shape, op: str = "conv", **attributes) -> Vector:
    """A vector of ones (in range for every dtype) with these shapes and attributes."""
    inputs = {"x": {"shape": list(x_shape), "data": [1] * math.prod(x_shape)},
              "w": {"shape": list(w_shape), "data": [1] * math.prod(w_shape)}}
    return Vector.from_mapping({
        "id": f"test/{op}-{dtype}-{len(x_shape) - 2}d", "title": "adapter capability check",
        "source": "tests", "catches": ["none"], "op": op, "dtype": dtype, "inputs": inputs,
        "expected": {"shape": [1]}, "attributes": attributes})


def _gradient_vector(op: str, dtype: str, x_shape, w_shape, **attributes) -> Vector:
    """A vector of ones of conv's gradient ``op`` ("conv_grad_input" or "conv_grad_weight") for
    the conv of x_shape with w_shape under these attributes (all per axis, padding as pairs)."""
    rank = len(x_shape) - 2
    attrs = {"stride": (1,) * rank, "dilation": (1,) * rank, "padding": ((0, 0),) * rank, "groups": 1,
             **attributes}
    attrs["stride"], attrs["dilation"] = tuple(attrs["stride"]), tuple(attrs["dilation"])
    out = [reference.output_size(n, k, s, tuple(p), d) for n, k, s, p, d in
           zip(x_shape[2:], w_shape[2:], attrs["stride"], attrs["padding"], attrs["dilation"], strict=True)]
    dy = (x_shape[0], w_shape[0], *out)
    ones = {name: {"shape": list(shape), "data": [1] * math.prod(shape)}
            for name, shape in (("x", x_shape), ("w", w_shape), ("dy", dy))}
    written = {**{k: list(v) if isinstance(v, tuple) else v for k, v in attrs.items()},
               "padding": [list(p) for p in attrs["padding"]]}
    if op == "conv_grad_input":
        inputs, written["input_shape"] = {"dy": ones["dy"], "w": ones["w"]}, list(x_shape)
    else:
        inputs, written["kernel_shape"] = {"x": ones["x"], "dy": ones["dy"]}, list(w_shape[2:])
    return Vector.from_mapping({
        "id": f"test/{op}-{dtype}-{rank}d", "title": "adapter capability check", "source": "tests",
        "catches": ["none"], "op": op, "dtype": dtype, "inputs": inputs, "expected": {"shape": [1]},
        "attributes": written})


def _check_refusal(backend: Backend, vector: Vector) -> str:
    """The backend declares ``vector`` unsupported, and the framework really refuses it."""
    why = backend.unsupported(vector.call)
    assert why is not None
    assert run_vector(vector, backend).outcome is Outcome.UNSUPPORTED
    with pytest.raises(Exception):  # noqa: B017  (each framework raises its own exception type)
        backend.run(vector.call, vector.arrays())
    return why


@pytest.fixture
def corpus_problems():
    return _corpus_problems


@pytest.fixture
def check_translation():
    return _check_translation


@pytest.fixture
def check_transpose_translation():
    return _check_transpose_translation


@pytest.fixture
def check_gradient_translation():
    return _check_gradient_translation


@pytest.fixture
def make_vector():
    return _vector


@pytest.fixture
def make_gradient_vector():
    return _gradient_vector


@pytest.fixture
def check_refusal():
    return _check_refusal
