"""The expected values: where the reference's float64 sum overflowed only because of its summation
order, the exact value stands instead, so no correct order is failed for the right answer."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from summation_orders import ORDERS

from convspec.conformance import Backend, Outcome, Vector, run_vector
from convspec.conformance.backends.numpy import conv as tap_loop


def vector(x: list, w: list, b: list | None = None) -> Vector:
    inputs = {"x": {"shape": [1, 1, len(x)], "data": [[x]]}, "w": {"shape": [1, 1, len(w)], "data": [[w]]}}
    if b is not None:
        inputs["b"] = {"shape": [1], "data": b}
    return Vector.from_mapping({
        "id": "test/overflow", "title": "t", "source": "tests", "catches": ["kernel-flip"], "op": "conv",
        "dtype": "float64", "inputs": inputs, "expected": {"shape": [1, 1, len(x) - len(w) + 1]}})


BIG = 1e308
ORDER_DEPENDENT = vector([BIG, BIG, -BIG], [1, 1, 1])  # exact 1e308; left to right overflows


def test_the_exact_value_stands_where_only_the_order_overflowed():
    for consume in (False, True):
        expect = ORDER_DEPENDENT.expectation(ORDER_DEPENDENT.arrays(), consume=consume)
        assert expect.values.tolist() == [[[BIG]]]


@pytest.mark.parametrize("order", [tap_loop, *ORDERS.values()], ids=["tap-loop", *ORDERS])
def test_every_summation_order_passes(order):
    with np.errstate(over="ignore", invalid="ignore"):
        result = run_vector(ORDER_DEPENDENT, Backend(name="order", implementation=order))
    assert result.outcome is Outcome.PASS, result.reason


def test_an_overflow_the_exact_sum_makes_stays_infinite():
    expect = vector([BIG, BIG, BIG], [1, 1, 1]).expectation()
    assert expect.values.tolist() == [[[np.inf]]]


def test_a_non_finite_input_keeps_its_ieee_result():
    expect = vector([np.inf, 1.0, -1.0], [1, 1, 1]).expectation()
    assert expect.values.tolist() == [[[np.inf]]]
    with np.errstate(over="ignore", invalid="ignore"):
        wrong = run_vector(vector([np.inf, 1.0, -1.0], [1, 1, 1]),
                           Backend(name="finite",
                                   implementation=lambda x, w, b=None, **a: np.zeros((1, 1, 1))))
    assert wrong.outcome is Outcome.FAIL


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([BIG, -BIG, 0.75 * BIG, -0.5 * BIG, 1.0, -3.0]), min_size=2, max_size=6),
       st.booleans())
def test_no_summation_order_is_failed_on_huge_cancelling_terms(values, with_bias):
    case = vector(values, [1.0] * len(values), [-BIG] if with_bias else None)
    for order in (tap_loop, *ORDERS.values()):
        with np.errstate(over="ignore", invalid="ignore"):
            result = run_vector(case, Backend(name="order", implementation=order))
        assert result.outcome is Outcome.PASS, result.reason
