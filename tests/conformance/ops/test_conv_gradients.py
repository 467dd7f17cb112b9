"""The gradient operators: how their attributes resolve, their shapes and term counts."""

from __future__ import annotations

import numpy as np
import pytest

from convspec.conformance.errors import VectorFileError
from convspec.conformance.loading import load_file
from convspec.conformance.ops import CONV_GRAD_BIAS, CONV_GRAD_INPUT, CONV_GRAD_WEIGHT
from convspec.conformance.vector import Vector


def _vector(op: str, inputs: dict[str, tuple[int, ...]], dtype: str = "float64", **attributes) -> Vector:
    rng = np.random.default_rng(2)
    data = {k: {"shape": list(s), "data": rng.integers(-3, 4, s).tolist()} for k, s in inputs.items()}
    return Vector.from_mapping({"id": "t/g", "title": "t", "source": "s", "catches": [], "op": op,
                                "dtype": dtype, "inputs": data, "expected": {"shape": [1]},
                                "attributes": attributes})


def test_grad_input_resolves_padding_modes_against_the_input_it_restores():
    v = _vector("conv_grad_input", {"dy": (1, 1, 3), "w": (1, 1, 3)}, input_shape=[1, 1, 6], stride=2,
                padding="same_upper")
    # same_upper for W = 6, F = 3, S = 2: total (3 - 1)*2 + 3 - 6 = 1, the odd one at the end
    assert v.call.attributes.padding == ((0, 1),)
    assert v.output_shape() == (1, 1, 6) and CONV_GRAD_INPUT.objection(v.call) is None


def test_input_rows_no_window_reads_have_no_term_and_a_zero_gradient():
    # W = 6, F = 2, S = 3: windows read 0-1 and 3-4; rows 2 and 5 are read by none
    v = _vector("conv_grad_input", {"dy": (1, 1, 2), "w": (1, 1, 2)}, input_shape=[1, 1, 6], stride=3)
    expect = v.expectation()
    assert expect.terms.tolist() == [[[1, 1, 0, 1, 1, 0]]]
    assert expect.values[0, 0, [2, 5]].tolist() == [0.0, 0.0]


def test_grad_weight_counts_only_the_pairs_that_read_a_real_input():
    # x (2, 1, 4), kernel 3, padding 1: 4 outputs per item; the first tap reads padding once per
    # item, the middle tap never, the last once
    v = _vector("conv_grad_weight", {"x": (2, 1, 4), "dy": (2, 1, 4)}, kernel_shape=[3], padding=1)
    assert v.output_shape() == (1, 1, 3)
    assert v.expectation().terms.tolist() == [[[6, 8, 6]]]


def test_grad_bias_sums_every_item_and_position():
    v = _vector("conv_grad_bias", {"dy": (3, 2, 4, 5)})
    assert v.output_shape() == (2,) and CONV_GRAD_BIAS.most_terms(v.call) == 60
    np.testing.assert_array_equal(v.expectation().values, v.arrays()["dy"].sum(axis=(0, 2, 3)))


def test_an_inconsistent_input_shape_is_the_gradient_shape_kind():
    v = _vector("conv_grad_input", {"dy": (1, 1, 3), "w": (1, 1, 3)}, input_shape=[1, 1, 9])
    assert CONV_GRAD_INPUT.objection(v.call).kind == "gradient-shape"
    w = _vector("conv_grad_weight", {"x": (1, 1, 5), "dy": (1, 1, 3)}, kernel_shape=[2])
    assert CONV_GRAD_WEIGHT.objection(w.call).kind == "gradient-shape"


def test_a_missing_shape_attribute_is_named():
    with pytest.raises(ValueError, match="needs the attribute input_shape"):
        _ = _vector("conv_grad_input", {"dy": (1, 1, 3), "w": (1, 1, 3)}).call
    with pytest.raises(ValueError, match="needs the attribute kernel_shape"):
        _ = _vector("conv_grad_weight", {"x": (1, 1, 3), "dy": (1, 1, 3)}).call


def test_an_integer_gradient_vector_is_refused_with_the_dtypes_it_takes(tmp_path):
    path = tmp_path / "g.yaml"
    path.write_text("format: convspec-vectors/1\ntopic: g\ndescription: d\nvectors:\n"
                    "- id: g/int\n  title: t\n  source: s\n  catches: [bias-dropped]\n  op: conv_grad_bias\n"
                    "  dtype: int8\n  inputs: {dy: {shape: [1, 1, 1], data: [[[1]]]}}\n"
                    "  expected: {shape: [1]}\n")
    with pytest.raises(VectorFileError) as raised:
        load_file(path)
    (problem,) = raised.value.problems
    assert problem.field == "dtype" and "float64, float32, float16, bfloat16 only" in problem.message
