import math
from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import conv_cases, naive_conv, protocol_args

from convspec.reference import conv
from convspec.reference.exact import conv_exact

ATTRS_1D = {"stride": (1,), "padding": ((0, 0),), "dilation": (1,), "groups": 1}


def test_sums_that_float_arithmetic_rounds_away_are_exact():
    x = np.array([[[2.0**60, 1.0, -(2.0**60)]]])
    w = np.ones((1, 1, 3))
    exact, rounded = conv_exact(x, w, **ATTRS_1D)
    assert exact[0, 0, 0] == 1 and rounded[0, 0, 0] == 1.0
    assert conv(x, w, **ATTRS_1D)[0, 0, 0] in (0.0, 1.0)  # float64 may lose the 1


def test_decimal_looking_inputs_are_their_exact_binary_values():
    x = np.array([[[0.1, 0.2]]])
    w = np.array([[[1.0, -0.5]]])
    exact, _ = conv_exact(x, w, **ATTRS_1D)
    assert exact[0, 0, 0] == Fraction(0.1) - Fraction(0.2) / 2


def test_ieee_special_values():
    x = np.array([[[1.0, math.nan, 2.0, math.inf, 3.0, -math.inf]]])
    w = np.array([[[0.0, 1.0]]])
    _, rounded = conv_exact(x, w, **ATTRS_1D)
    # [1*0 + nan*1, nan*0 + 2, 2*0 + inf, inf*0 + 3, 3*0 - inf]
    got = rounded[0, 0]
    assert math.isnan(got[0]) and math.isnan(got[1]) and got[2] == math.inf
    assert math.isnan(got[3]) and got[4] == -math.inf


def test_overflowing_exact_sum_rounds_to_infinity():
    x = np.array([[[1.7e308, 1.7e308]]])
    _, rounded = conv_exact(x, np.ones((1, 1, 2)), **ATTRS_1D)
    assert rounded[0, 0, 0] == math.inf


def test_integer_inputs_stay_exact_beyond_float64():
    x = np.array([[[2**31 - 1, 2**31 - 1]]], dtype=np.int64)
    w = np.array([[[2**31 - 1, 2**31 - 1]]], dtype=np.int64)
    exact, _ = conv_exact(x, w, **ATTRS_1D)
    assert exact[0, 0, 0] == 2 * (2**31 - 1) ** 2


@settings(max_examples=80, deadline=None)
@given(conv_cases(max_size=5))
def test_agrees_with_the_definition_on_integers(case):
    x, w, b, attrs = protocol_args(case)
    _exact, rounded = conv_exact(x, w, b, **attrs)
    assert np.array_equal(rounded, naive_conv(x, w, b, **attrs))


@settings(max_examples=80, deadline=None)
@given(conv_cases(max_size=5, integer_values=False))
def test_scipy_reference_is_within_its_own_error_term_of_the_exact_result(case):
    x, w, b, attrs = protocol_args(case)
    _, exact = conv_exact(x, w, b, **attrs)
    fast = conv(x, w, b, **attrs)
    magnitude = conv(np.abs(x), np.abs(w), None if b is None else np.abs(b), **attrs)
    n = w.shape[1] * math.prod(w.shape[2:]) + (b is not None)
    gamma = n * 2.0**-53 / (1 - n * 2.0**-53)
    assert np.all(np.abs(fast - exact) <= gamma * magnitude + n * 2.0**-1074)


@settings(max_examples=40, deadline=None)
@given(case=conv_cases(), data=st.data())
def test_where_computes_exactly_the_chosen_elements(case, data):
    x, w, b, attrs = protocol_args(case)
    _, whole = conv_exact(x, w, b, **attrs)
    chosen = np.array(data.draw(st.lists(st.booleans(), min_size=whole.size, max_size=whole.size)),
                      dtype=bool).reshape(whole.shape)
    _, part = conv_exact(x, w, b, **attrs, where=chosen)
    np.testing.assert_array_equal(part[chosen], whole[chosen])
