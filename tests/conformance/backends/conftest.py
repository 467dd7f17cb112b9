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


def pytest_generate_tests(metafunc):
    """A test that takes ``translation_case`` (``transpose_case``) runs once per case."""
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


def _vector(dtype: str, x_shape, w_shape, op: str = "conv", **attributes) -> Vector:
    """A vector of ones (in range for every dtype) with these shapes and attributes."""
    inputs = {"x": {"shape": list(x_shape), "data": [1] * math.prod(x_shape)},
              "w": {"shape": list(w_shape), "data": [1] * math.prod(w_shape)}}
    return Vector.from_mapping({
        "id": f"test/{op}-{dtype}-{len(x_shape) - 2}d", "title": "adapter capability check",
        "source": "tests", "catches": ["none"], "op": op, "dtype": dtype, "inputs": inputs,
        "expected": {"shape": [1]}, "attributes": attributes})


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
def make_vector():
    return _vector


@pytest.fixture
def check_refusal():
    return _check_refusal
