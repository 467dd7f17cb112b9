import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import conv_cases, naive_conv, protocol_args

from convspec.reference import ConvArgumentError, conv

ATTRS_2D = {"stride": (1, 1), "padding": ((0, 0), (0, 0)), "dilation": (1, 1), "groups": 1}


def test_minus_60_window():
    x = np.array([[10, 20, 30], [15, 25, 35], [20, 30, 40]], float).reshape(1, 1, 3, 3)
    w = np.array([[1, 0, -1]] * 3, float).reshape(1, 1, 3, 3)
    assert conv(x, w, **ATTRS_2D).tolist() == [[[[-60.0]]]]


def test_1d_stride_dilation_bias_by_hand():
    x = np.arange(1, 8, dtype=float).reshape(1, 1, 7)  # 1..7
    w = np.array([1.0, -2.0]).reshape(1, 1, 2)
    # dilation 2: taps at i and i+2; stride 2: i = 0, 2, 4 -> 1-2·3, 3-2·5, 5-2·7, plus bias 10
    y = conv(x, w, np.array([10.0]), stride=(2,), padding=((0, 0),), dilation=(2,), groups=1)
    assert y.tolist() == [[[5.0, 3.0, 1.0]]]


def test_groups_wire_output_channel_to_its_input_group():
    x = np.stack([np.full((1, 2), v) for v in (1.0, 10.0, 100.0, 1000.0)])[None]  # C=4
    w = np.ones((2, 2, 1, 1))  # groups=2: out 0 sums channels 0,1; out 1 sums channels 2,3
    y = conv(x, w, stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1), groups=2)
    assert y[0, :, 0, 0].tolist() == [11.0, 1100.0]


def test_result_is_float64_even_for_float32_inputs():
    x = np.ones((1, 1, 3, 3), np.float32)
    assert conv(x, x, **ATTRS_2D).dtype == np.float64


@pytest.mark.parametrize(("change", "message"), [
    ({"stride": (0, 1)}, "stride"),
    ({"dilation": (1, -1)}, "dilation"),
    ({"padding": ((0, -1), (0, 0))}, "padding"),
    ({"groups": 2}, "not divisible by groups"),
    ({"stride": (1,)}, "stride has 1 entries"),
])
def test_invalid_calls_raise_conv_argument_error(change, message):
    x, w = np.ones((1, 3, 4, 4)), np.ones((2, 3, 2, 2))
    with pytest.raises(ConvArgumentError, match=message):
        conv(x, w, **{**ATTRS_2D, **change})


def test_shape_mismatches_are_rejected():
    attrs = ATTRS_2D
    with pytest.raises(ConvArgumentError, match="C/groups"):
        conv(np.ones((1, 4, 4, 4)), np.ones((2, 3, 2, 2)), **attrs)
    with pytest.raises(ConvArgumentError, match="bias"):
        conv(np.ones((1, 1, 4, 4)), np.ones((2, 1, 2, 2)), np.ones(3), **attrs)
    with pytest.raises(ConvArgumentError, match="output size < 1"):
        conv(np.ones((1, 1, 2, 2)), np.ones((1, 1, 3, 3)), **attrs)
    with pytest.raises(ConvArgumentError, match="ranks must match"):
        conv(np.ones((1, 1, 4, 4)), np.ones((1, 1, 2)), **attrs)


@settings(max_examples=150, deadline=None)
@given(conv_cases())
def test_agrees_with_the_definition_computed_by_loops(case):
    x, w, b, attrs = protocol_args(case)
    assert np.array_equal(conv(x, w, b, **attrs), naive_conv(x, w, b, **attrs))


@settings(max_examples=60, deadline=None)
@given(conv_cases(), st.integers(-3, 3), st.integers(-3, 3))
def test_linear_in_x(case, alpha, beta):
    x, w, _, attrs = protocol_args(case)
    x2 = np.roll(x, 1)
    left = conv(alpha * x + beta * x2, w, **attrs)
    assert np.array_equal(left, alpha * conv(x, w, **attrs) + beta * conv(x2, w, **attrs))


@settings(max_examples=60, deadline=None)
@given(conv_cases(), st.integers(-3, 3))
def test_linear_in_w(case, alpha):
    x, w, _, attrs = protocol_args(case)
    w2 = np.roll(w, 1)
    assert np.array_equal(conv(x, alpha * w + w2, **attrs),
                          alpha * conv(x, w, **attrs) + conv(x, w2, **attrs))


@settings(max_examples=60, deadline=None)
@given(conv_cases())
def test_stride_is_stride_one_subsampled(case):
    x, w, b, attrs = protocol_args(case)
    dense = conv(x, w, b, **{**attrs, "stride": (1,) * (x.ndim - 2)})
    sub = dense[(slice(None), slice(None), *(slice(None, None, s) for s in attrs["stride"]))]
    assert np.array_equal(conv(x, w, b, **attrs), sub)


def _full_conv_2d(a, b):
    out = np.zeros((a.shape[0] + b.shape[0] - 1, a.shape[1] + b.shape[1] - 1))
    for i, j in np.ndindex(*a.shape):
        out[i:i + b.shape[0], j:j + b.shape[1]] += a[i, j] * b
    return out


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(-3, 3), min_size=27, max_size=27),
       st.lists(st.integers(-3, 3), min_size=81, max_size=81))
def test_three_stacked_3x3_equal_one_7x7(kernels, image):
    k1, k2, k3 = (np.array(kernels[i:i + 9], float).reshape(3, 3) for i in (0, 9, 18))
    x = np.array(image, float).reshape(1, 1, 9, 9)

    def c(a, k):
        return conv(a, k.reshape(1, 1, *k.shape), **ATTRS_2D)

    combined = _full_conv_2d(_full_conv_2d(k1, k2), k3)
    assert combined.shape == (7, 7)
    assert np.array_equal(c(c(c(x, k1), k2), k3), c(x, combined))
