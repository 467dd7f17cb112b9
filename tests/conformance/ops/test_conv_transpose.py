"""The conv_transpose operator: how written attributes resolve, its expectation, its worked sums."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convspec import reference
from convspec.conformance.ops import CONV_TRANSPOSE
from convspec.conformance.vector import Vector


def _vector(x_shape, w_shape, dtype="float64", bias=False, **attributes) -> Vector:
    rng = np.random.default_rng(1)
    inputs = {"x": {"shape": list(x_shape), "data": rng.integers(-3, 4, x_shape).tolist()},
              "w": {"shape": list(w_shape), "data": rng.integers(-3, 4, w_shape).tolist()}}
    if bias:
        inputs["b"] = {"shape": [w_shape[1] * attributes.get("groups", 1)], "data": [1] * (
            w_shape[1] * attributes.get("groups", 1))}
    return Vector.from_mapping({"id": "t/v", "title": "t", "source": "s", "catches": [],
                                "op": "conv_transpose",
                                "dtype": dtype, "inputs": inputs, "expected": {"shape": [1]},
                                "attributes": attributes})


def _pairs(v: Vector):
    return v.call.attributes.padding, v.call.attributes.output_padding


def test_output_shape_resolves_by_onnx_rule_the_odd_crop_at_the_beginning():
    # natural length (5 - 1)*2 + (3 - 1) + 1 = 11; output_shape 8 crops 3: (2, 1) as ONNX states
    v = _vector((1, 1, 5), (1, 1, 3), stride=2, output_shape=[8])
    assert _pairs(v) == (((2, 1),), (0,))
    assert v.output_shape() == (1, 1, 8)


@pytest.mark.parametrize(("mode", "pair"), [("same_upper", (1, 2)), ("same_lower", (2, 1))])
def test_output_shape_with_a_same_mode_chooses_the_split(mode, pair):
    v = _vector((1, 1, 5), (1, 1, 3), stride=2, output_shape=[8], padding=mode)
    assert _pairs(v) == ((pair,), (0,))


def test_same_modes_make_the_output_the_input_times_the_stride():
    # natural 11, target 5*2 = 10: a crop of 1
    upper, lower = (_vector((1, 1, 5), (1, 1, 3), stride=2, padding=m) for m in ("same_upper", "same_lower"))
    assert _pairs(upper) == (((0, 1),), (0,)) and _pairs(lower) == (((1, 0),), (0,))
    assert upper.output_shape() == lower.output_shape() == (1, 1, 10)


def test_a_target_longer_than_the_natural_size_is_reached_by_output_padding():
    # natural (4 - 1)*2 + 2 = 8, target 9: one more position, which no product reaches
    v = _vector((1, 1, 4), (1, 1, 2), stride=2, output_shape=[9])
    assert _pairs(v) == (((0, 0),), (1,))
    assert v.output_shape() == (1, 1, 9)


def test_output_shape_with_an_explicit_padding_is_refused_with_the_reason():
    v = _vector((1, 1, 4), (1, 1, 2), stride=2, output_shape=[8], padding=1)
    with pytest.raises(ValueError, match="output_shape decides the crop"):
        _ = v.call


def test_the_objection_names_the_output_padding_kind():
    v = _vector((1, 1, 4), (1, 1, 2), stride=2, output_padding=2)
    assert CONV_TRANSPOSE.objection(v.call).kind == "output-padding"
    assert CONV_TRANSPOSE.objection(_vector((1, 1, 4), (1, 1, 2), stride=2, output_padding=1).call) is None


def test_each_element_is_bounded_by_the_taps_that_land_on_it():
    # stride 2, kernel 3: even positions receive two taps where windows overlap, odd ones one;
    # the output_padding position receives none, and the bias is one more term everywhere
    v = _vector((1, 1, 3), (1, 1, 3), bias=True, stride=2, output_padding=1)
    terms = v.expectation().terms
    assert terms.tolist() == [[[2, 2, 3, 2, 3, 2, 2, 1]]]


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 2), st.integers(0, 1), st.integers(0, 1),
       st.integers(0, 1), st.booleans())
def test_the_worked_sum_of_an_element_is_its_reference_value(n_in, k, s, p0, p1, op, bias):
    op = min(op, max(s, 1) - 1)
    v = _vector((1, 2, n_in + 2), (2, 2, k), bias=bias, stride=s, padding=[[p0, p1]], output_padding=op)
    if CONV_TRANSPOSE.objection(v.call) is not None:
        return
    arrays = v.arrays()
    values = reference.conv_transpose(arrays["x"], arrays["w"], arrays.get("b"), **v.call.keywords())
    for index in np.ndindex(values.shape):
        pairs = CONV_TRANSPOSE.term_pairs(v.call, arrays, index)
        total = sum(a * b for a, b in pairs) + (1.0 if bias else 0.0)
        assert total == values[index]
        assert len(pairs) + bias == v.expectation(arrays).terms[index]
