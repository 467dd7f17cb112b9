import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convspec.conformance.dtypes import FLOAT_DTYPES
from convspec.conformance.tolerance import FLOAT64_U, PROFILES, allowed_error, bounds, gamma


def test_gamma_is_higham_n_u_over_one_minus_n_u():
    assert gamma(3, 2.0**-24) == pytest.approx(3 * 2.0**-24 / (1 - 3 * 2.0**-24), rel=1e-15)
    assert gamma(2**24, 2.0**-24) == np.inf


def test_zero_magnitude_must_be_exact():
    allowed = allowed_error(np.array([0.0, 5.0]), np.array([0.0, 5.0]), 9, np.float32)
    assert allowed[0] == 0 and allowed[1] > 0


def test_pure_data_movement_must_be_exact():
    assert not allowed_error(np.array([3.0]), np.array([3.0]), 0, np.float32).any()


def test_float32_bound_is_gamma_n_of_float32_plus_the_references_own_error():
    n, mag = 27, 1000.0
    allowed = allowed_error(np.array([1.0]), np.array([mag]), n, np.float32)[0]
    expected = (gamma(n, 2.0**-24) + gamma(n, FLOAT64_U)) * mag + n * 2.0**-150
    assert allowed == pytest.approx(expected, rel=1e-12)


def test_float16_bound_adds_one_rounding_to_float16():
    n, mag, ref = 9, 100.0, 60.0
    allowed = allowed_error(np.array([ref]), np.array([mag]), n, np.float16)[0]
    inner = (gamma(n, 2.0**-24) + gamma(n, FLOAT64_U)) * mag + n * 2.0**-150
    assert allowed == pytest.approx(inner + 2.0**-11 * (ref + inner) + 2.0**-25, rel=1e-12)
    # one float16 rounding dominates: the float16 bound is far above the float32 one
    assert allowed > 100 * allowed_error(np.array([ref]), np.array([mag]), n, np.float32)[0]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3, width=32), min_size=1, max_size=64),
       st.lists(st.floats(-1e3, 1e3, width=32), min_size=64, max_size=64),
       st.sampled_from(["forward", "reversed", "pairwise"]))
def test_a_correct_float32_sum_in_any_order_is_within_the_bound(xs, ws, order):
    x = np.array(xs, np.float32)
    w = np.array(ws[:len(xs)], np.float32)
    products = [np.float32(a) * np.float32(b) for a, b in zip(x, w, strict=True)]
    if order == "reversed":
        products.reverse()
    if order == "pairwise":
        while len(products) > 1:
            products = [products[i] + products[i + 1] if i + 1 < len(products) else products[i]
                        for i in range(0, len(products), 2)]
    total = np.float32(0)
    for p in products:
        total = np.float32(total + p)
    exact = float(np.dot(x.astype(np.float64), w.astype(np.float64)))
    mag = float(np.dot(np.abs(x).astype(np.float64), np.abs(w).astype(np.float64)))
    bound = allowed_error(np.array([exact]), np.array([mag]), len(xs), np.float32)[0]
    assert abs(float(total) - exact) <= bound


@pytest.mark.parametrize("profile", PROFILES.values(), ids=PROFILES)
@pytest.mark.parametrize("dtype", ["float64", "float32", "float16", "bfloat16", "int32"])
def test_bounds_are_elementwise_so_a_block_gets_its_slice_of_them(profile, dtype):
    # what judging block by block relies on; the overflow and special cases included
    expected = np.array([0.0, 1.0, -60.0, 6e4, 3e38, 1e308, np.inf, np.nan, 2.0**-140])
    magnitude = np.array([0.0, 3.0, 100.0, 7e4, 4e38, np.inf, np.inf, np.nan, 2.0**-139])
    whole = bounds(expected, magnitude, 9, np.dtype(dtype), profile, input_scale=5.0)
    for block in (slice(0, 4), slice(4, 9), slice(7, 8)):
        part = bounds(expected[block], magnitude[block], 9, np.dtype(dtype), profile, input_scale=5.0)
        for field in ("allowed", "may_overflow", "order_dependent"):
            np.testing.assert_array_equal(getattr(part, field), getattr(whole, field)[block])


def test_the_input_scale_counts_where_the_profile_rounds_inputs():
    tf32 = PROFILES["tf32"]
    tiny = np.array([2.0**-130]), np.array([2.0**-130])
    assert bounds(*tiny, 9, np.float32, tf32, 1.0).allowed < bounds(*tiny, 9, np.float32, tf32, 1e6).allowed


@pytest.mark.parametrize("profile", sorted(PROFILES))
@pytest.mark.parametrize("dtype", ["float64", "float32", "float16", "bfloat16"])
def test_terms_per_element_give_each_element_the_bound_of_its_own_count(profile, dtype):
    rng = np.random.default_rng(7)
    expected = rng.normal(size=(2, 3, 5)) * 100
    magnitude = np.abs(expected) + rng.uniform(0, 50, size=expected.shape)
    terms = rng.integers(1, 40, size=expected.shape)
    whole = bounds(expected, magnitude, terms, FLOAT_DTYPES[dtype], PROFILES[profile], input_scale=3.0)
    for index in np.ndindex(expected.shape):
        one = bounds(expected[index], magnitude[index], int(terms[index]), FLOAT_DTYPES[dtype],
                     PROFILES[profile], input_scale=3.0)
        assert whole.allowed[index] == one.allowed
        assert whole.may_overflow[index] == one.may_overflow
        assert whole.order_dependent[index] == one.order_dependent


def test_an_element_no_term_reaches_must_be_exact():
    expected, magnitude = np.array([0.0, 3.0]), np.array([0.0, 3.0])
    allowed = bounds(expected, magnitude, np.array([0, 2]), np.dtype(np.float16)).allowed
    assert allowed[0] == 0.0 and allowed[1] > 0.0
