"""Input generators: arange, eye and uniform_int follow the rules the spec defines."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from convspec.conformance.generators import DOUBLING_FROM, generate, lcg_uint32


def hand_lcg_draws(seed: int, count: int) -> list[int]:
    """The spec's recurrence written out here, independently of the module's constants."""
    state = seed
    draws = []
    for _ in range(count):
        state = (6364136223846793005 * state + 1442695040888963407) % 2**64
        draws.append(state >> 32)
    return draws


# --- arange -----------------------------------------------------------------------------------

def test_arange_defaults_count_from_zero_in_row_major_order():
    values = generate({"kind": "arange"}, (2, 3))
    assert values.shape == (2, 3)
    assert values.tolist() == [[0, 1, 2], [3, 4, 5]]


def test_arange_uses_start_and_step():
    values = generate({"kind": "arange", "start": 1, "step": 0.5}, (2, 2))
    assert values.tolist() == [[1.0, 1.5], [2.0, 2.5]]


def test_arange_with_start_only_numbers_the_letter_grid_row_by_row():
    grid = generate({"kind": "arange", "start": 1}, (1, 1, 5, 5))[0, 0]
    assert grid[0].tolist() == [1, 2, 3, 4, 5]
    assert grid[1, 0] == 6
    assert grid[4, 4] == 25


def test_arange_with_negative_step_counts_down():
    assert generate({"kind": "arange", "start": 3, "step": -2}, (3,)).tolist() == [3, 1, -1]


def test_generators_return_float64():
    assert generate({"kind": "arange"}, (2,)).dtype == np.float64
    assert generate({"kind": "eye"}, (2, 2)).dtype == np.float64
    spec = {"kind": "uniform_int", "seed": 1, "low": 0, "high": 9}
    assert generate(spec, (2,)).dtype == np.float64


# --- eye --------------------------------------------------------------------------------------

def test_eye_of_a_square_shape_is_the_identity():
    assert generate({"kind": "eye"}, (3, 3)).tolist() == np.eye(3).tolist()


def test_eye_as_weights_gives_each_output_channel_one_tap():
    w = generate({"kind": "eye"}, (9, 1, 3, 3))
    assert w.shape == (9, 1, 3, 3)
    # channel k has its single 1 at the k-th kernel position, row-major
    assert w[0, 0].tolist() == [[1, 0, 0], [0, 0, 0], [0, 0, 0]]
    assert w[5, 0].tolist() == [[0, 0, 0], [0, 0, 1], [0, 0, 0]]
    assert np.array_equal(w.reshape(9, 9), np.eye(9))


@pytest.mark.parametrize("shape", [(2, 3), (3, 2), (1, 1, 3, 3), (2, 1, 3, 3)])
def test_eye_refuses_shape0_different_from_product_of_the_rest(shape):
    with pytest.raises(ValueError, match=r"'eye' needs shape\[0\] == product of the other dims"):
        generate({"kind": "eye"}, shape)


# --- lcg_uint32 and uniform_int -----------------------------------------------------------------

def test_hand_lcg_first_draw_from_seed_0_is_the_increment_high_word():
    # From state 0 the first step leaves just the increment; its high 32 bits are the draw.
    assert hand_lcg_draws(0, 1) == [1442695040888963407 >> 32]


def test_lcg_uint32_matches_the_recurrence_for_seed_0():
    assert lcg_uint32(0, 3) == hand_lcg_draws(0, 3)


def test_lcg_uint32_matches_the_recurrence_for_another_seed():
    assert lcg_uint32(12345, 3) == hand_lcg_draws(12345, 3)


def test_uniform_int_over_the_full_uint32_range_returns_the_raw_draws():
    spec = {"kind": "uniform_int", "seed": 0, "low": 0, "high": 2**32 - 1}
    assert generate(spec, (3,)).tolist() == hand_lcg_draws(0, 3)


def test_uniform_int_maps_draws_to_low_plus_draw_times_span_over_2_32():
    low, high = -3, 3
    spec = {"kind": "uniform_int", "seed": 0, "low": low, "high": high}
    span = high - low + 1
    want = [low + (u * span) // 2**32 for u in hand_lcg_draws(0, 3)]
    assert generate(spec, (3,)).tolist() == want


def test_uniform_int_fills_in_row_major_order():
    spec = {"kind": "uniform_int", "seed": 7, "low": 0, "high": 1000}
    flat = generate(spec, (6,))
    assert generate(spec, (2, 3)).tolist() == flat.reshape(2, 3).tolist()


def test_uniform_int_stays_within_low_and_high():
    values = generate({"kind": "uniform_int", "seed": 3, "low": -2, "high": 2}, (200,))
    assert values.min() >= -2
    assert values.max() <= 2
    assert set(values.tolist()) == {-2, -1, 0, 1, 2}  # 200 draws reach every value


def test_uniform_int_is_deterministic_for_a_seed():
    spec = {"kind": "uniform_int", "seed": 42, "low": 0, "high": 100}
    assert generate(spec, (4, 4)).tolist() == generate(dict(spec), (4, 4)).tolist()


def test_uniform_int_differs_between_seeds():
    a = generate({"kind": "uniform_int", "seed": 0, "low": 0, "high": 10**6}, (8,))
    b = generate({"kind": "uniform_int", "seed": 1, "low": 0, "high": 10**6}, (8,))
    assert a.tolist() != b.tolist()


def test_uniform_int_with_low_equal_high_is_constant():
    values = generate({"kind": "uniform_int", "seed": 5, "low": 4, "high": 4}, (5,))
    assert values.tolist() == [4] * 5


def test_uniform_int_refuses_high_below_low():
    with pytest.raises(ValueError, match="low <= high"):
        generate({"kind": "uniform_int", "seed": 0, "low": 2, "high": 1}, (1,))


def test_unknown_generator_kind_is_refused():
    with pytest.raises(ValueError, match="unknown generator kind 'normal'"):
        generate({"kind": "normal"}, (1,))


@given(
    seed=st.integers(min_value=0, max_value=2**64 - 1),
    low=st.integers(min_value=-(2**31), max_value=2**31),
    span=st.integers(min_value=0, max_value=2**31),
    count=st.integers(min_value=1, max_value=64),
)
def test_uniform_int_values_are_always_integers_within_bounds(seed, low, span, count):
    high = low + span
    values = generate({"kind": "uniform_int", "seed": seed, "low": low, "high": high}, (count,))
    assert values.shape == (count,)
    assert all(v.is_integer() and low <= v <= high for v in values.tolist())


# --- the vectorised generators agree with the spec's formulas written out here --------------------

def hand_uniform_int(seed: int, low: int, high: int, count: int) -> list[int]:
    span = high - low + 1
    return [low + (u * span) // 2**32 for u in hand_lcg_draws(seed, count)]


def hand_random_float(seed: int, p: int, lo: int, hi: int, signed: bool, count: int) -> list[float]:
    draws = hand_lcg_draws(seed, 3 * count)
    values = []
    for i in range(count):
        u1, u2, u3 = draws[3 * i:3 * i + 3]
        exponent = lo + (u2 * (hi - lo + 1)) // 2**32
        significand = 2 ** (p - 1) + (u3 * 2 ** (p - 1)) // 2**32
        value = math.ldexp(significand, exponent - p + 1)
        values.append(-value if signed and u1 % 2 else value)
    return values


@given(seed=st.integers(0, 2**64 - 1), low=st.integers(-(2**31), 2**31), data=st.data(),
       count=st.integers(0, 40))
def test_uniform_int_matches_the_formula_over_the_whole_allowed_range(seed, low, data, count):
    high = data.draw(st.integers(low, 2**31))
    values = generate({"kind": "uniform_int", "seed": seed, "low": low, "high": high}, (count,))
    assert values.tolist() == hand_uniform_int(seed, low, high, count)


def test_uniform_int_over_the_widest_span_matches_the_formula():
    spec = {"kind": "uniform_int", "seed": 9, "low": -(2**31), "high": 2**31}
    assert generate(spec, (50,)).tolist() == hand_uniform_int(9, -(2**31), 2**31, 50)


@given(seed=st.integers(0, 2**64 - 1), p=st.integers(1, 53), lo=st.integers(-1074, 1023), data=st.data(),
       signed=st.booleans(), count=st.integers(0, 30))
def test_random_float_matches_the_formula(seed, p, lo, data, signed, count):
    hi = data.draw(st.integers(lo, 1023))
    spec = {"kind": "random_float", "seed": seed, "precision": p, "exp_min": lo, "exp_max": hi,
            "signed": signed}
    got = generate(spec, (count,))
    assert got.dtype == np.float64
    assert got.tolist() == hand_random_float(seed, p, lo, hi, signed, count)


def test_random_float_is_signed_by_default():
    spec = {"kind": "random_float", "seed": 4, "precision": 11, "exp_min": -3, "exp_max": 3}
    assert generate(spec, (40,)).tolist() == hand_random_float(4, 11, -3, 3, True, 40)


@pytest.mark.parametrize("count", [DOUBLING_FROM - 1, DOUBLING_FROM, DOUBLING_FROM + 1,
                                   3 * DOUBLING_FROM + 5])
@pytest.mark.parametrize("seed", [0, 1, 2**64 - 1])
def test_long_runs_of_draws_follow_the_recurrence(count, seed):
    assert lcg_uint32(seed, count) == hand_lcg_draws(seed, count)
