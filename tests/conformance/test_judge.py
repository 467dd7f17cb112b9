import math
from dataclasses import astuple

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from convspec.conformance import judge as judge_module
from convspec.conformance import resolve
from convspec.conformance.judge import judge, judge_expectation
from convspec.conformance.tolerance import Bounds

F32 = np.dtype(np.float32)


def _bounds(allowed, overflow=False, order_dependent=False):
    allowed = np.asarray(allowed, float)
    return Bounds(allowed, np.full(allowed.shape, overflow), np.full(allowed.shape, order_dependent))


def _judge(got, expected, allowed=0.0, **flags):
    expected = np.asarray(expected, float)
    return judge(got, expected, _bounds(np.full(expected.shape, allowed), **flags), F32)


def test_exact_match_passes_and_reports_the_closest_call():
    verdict = _judge(np.array([1.0, 2.0], np.float32), [1.0, 2.0], 0.5)
    assert verdict.passed and verdict.worst.ratio == 0


def test_worst_element_names_index_got_expected_allowed():
    got = np.array([[60.0, 1.0]], np.float32)
    verdict = _judge(got, [[-60.0, 1.0]], 1e-4)
    assert not verdict.passed
    text = verdict.worst.describe()
    assert "[0, 0]" in text and "got 60," in text and "expected -60," in text
    assert "allowed ±0.0001" in text


def test_worst_is_the_largest_error_relative_to_its_bound():
    expected = np.array([100.0, 1.0])
    allowed = np.array([10.0, 0.1])
    verdict = judge(np.array([105.0, 1.5], np.float32), expected, _bounds(allowed), F32)
    assert verdict.worst.index == (1,)


def test_shape_and_dtype_must_match():
    assert "shape [3]" in _judge(np.zeros(3, np.float32), [0.0, 0.0]).reason
    assert "dtype float64" in _judge(np.zeros(2), [0.0, 0.0]).reason


def test_non_array_output_fails_with_reason():
    verdict = _judge({"not": "an array"}, [0.0])
    assert not verdict.passed and "not a numeric array" in verdict.reason


def test_nan_must_be_where_the_reference_has_nan_and_nowhere_else():
    assert _judge(np.array([np.nan], np.float32), [np.nan]).passed
    missing = _judge(np.array([0.0], np.float32), [np.nan])
    extra = _judge(np.array([np.nan], np.float32), [0.0], 1.0)
    assert not missing.passed and not extra.passed and "NaN" in extra.reason


def test_infinities_must_match_in_sign():
    assert _judge(np.array([np.inf], np.float32), [np.inf]).passed
    assert not _judge(np.array([-np.inf], np.float32), [np.inf]).passed


def test_overflow_to_inf_only_where_the_exact_result_may_overflow():
    big = float(np.finfo(np.float32).max)
    assert _judge(np.array([np.inf], np.float32), [big], big * 1e-6, overflow=True).passed
    assert not _judge(np.array([-np.inf], np.float32), [big], big * 1e-6, overflow=True).passed
    assert not _judge(np.array([np.inf], np.float32), [1.0], 0.5).passed


def test_order_dependent_overflow_allows_inf_or_nan_but_not_wrong_finite_values():
    assert _judge(np.array([np.nan], np.float32), [1.0], 0.5, order_dependent=True).passed
    assert _judge(np.array([-np.inf], np.float32), [1.0], 0.5, order_dependent=True).passed
    assert not _judge(np.array([3.0], np.float32), [1.0], 0.5, order_dependent=True).passed


def test_integers_must_be_exact_and_report_the_largest_difference():
    expected = np.array([5, -7, 9])
    zero = _bounds(np.zeros(3))
    assert judge(np.array([5, -7, 9], np.int32), expected, zero, np.dtype(np.int32)).passed
    verdict = judge(np.array([5, -6, 19], np.int32), expected, zero, np.dtype(np.int32))
    assert not verdict.passed and "2 of 3 elements differ" in verdict.reason
    assert verdict.worst.index == (2,) and verdict.worst.got == "19" and verdict.worst.expected == "9"


def test_among_equal_ratios_the_larger_error_and_then_the_last_index_is_the_worst():
    # ratios 2, 2, 2 with errors 2, 1, 2: the larger error, the later of the two
    verdict = judge(np.array([3.0, 2.0, 3.0], np.float32), np.ones(3), _bounds([1.0, 0.5, 1.0]), F32)
    assert verdict.worst.index == (2,) and verdict.worst.ratio == 2
    # a pass reports the closest call; all exact: the last element
    assert _judge(np.ones((2, 3), np.float32), np.ones((2, 3)), 0.5).worst.index == (1, 2)


def test_a_nan_ratio_inf_over_inf_ranks_above_an_infinite_one():
    # NaN where nothing is expected (error inf) under an infinite bound, beside 1 off with nothing allowed
    verdict = judge(np.array([np.nan, 2.0], np.float32), np.ones(2), _bounds([np.inf, 0.0]), F32)
    assert verdict.worst.index == (0,) and math.isnan(verdict.worst.ratio)


def _same(a, b) -> bool:
    """Equal verdicts, NaN equal to NaN in the worst element."""
    if (a.passed, a.reason, a.worst is None) != (b.passed, b.reason, b.worst is None):
        return False
    return a.worst is None or all(u == v or (isinstance(u, float) and math.isnan(u) and math.isnan(v))
                                  for u, v in zip(astuple(a.worst), astuple(b.worst), strict=True))


def _judged_in_blocks(block, function, *args):
    saved = judge_module.BLOCK_ELEMENTS
    judge_module.BLOCK_ELEMENTS = block
    try:
        return function(*args)
    finally:
        judge_module.BLOCK_ELEMENTS = saved


# few distinct values, so that ratios and errors tie; the special values the rule treats apart
VALUES = st.sampled_from([0.0, -0.0, 1.0, -1.0, 2.0, 3.0, 0.5, 1e-45, 3.4e38, -3.4e38, 1e308, np.nan,
                          np.inf, -np.inf])
ALLOWED = st.sampled_from([0.0, 0.5, 1.0, 2.0, 1e30, np.inf, np.nan])


@settings(max_examples=400, deadline=None)
@given(st.tuples(st.integers(1, 3), st.integers(1, 6)).flatmap(lambda shape: st.tuples(*(
           st.lists(strategy, min_size=shape[0] * shape[1], max_size=shape[0] * shape[1]).map(
               lambda v, shape=shape: np.array(v).reshape(shape))
           for strategy in (VALUES, VALUES, ALLOWED, st.booleans(), st.booleans())))),
       st.sampled_from(["float16", "float32", "float64", "int32"]), st.integers(1, 5), st.booleans())
def test_judging_in_blocks_gives_the_verdict_of_one_block(arrays, dtype, block, fortran):
    got, expected, allowed, may_overflow, order_dependent = arrays
    dtype = np.dtype(dtype)
    if dtype.kind == "i":  # integers: exact or not, the same machinery with nothing allowed
        got = np.where(np.isfinite(got) & (np.abs(got) < 1e9), got, 7).astype(dtype)
        expected = np.where(np.isfinite(expected) & (np.abs(expected) < 1e9), expected, 7.0)
    else:
        with np.errstate(over="ignore"):
            got = got.astype(dtype)
    if fortran:  # not C-contiguous: blocks are cut from the flattened (C) order all the same
        got, allowed = np.asfortranarray(got), np.asfortranarray(allowed)
    bounds = Bounds(allowed, may_overflow, order_dependent)
    whole = _judged_in_blocks(got.size, judge, got, expected, bounds, dtype)
    assert _same(_judged_in_blocks(block, judge, got, expected, bounds, dtype), whole)


def test_nan_everywhere_is_told_only_when_every_block_is_nan():
    bounds = _bounds(np.full(3, 0.5))
    for block in (1, 2, 3):
        got = np.array([5.0, np.nan, np.nan], np.float32)
        some = _judged_in_blocks(block, judge, got, np.ones(3), bounds, F32)
        assert some.reason == "3 of 3 elements outside the allowed error (2 with NaN where the reference " \
                              "has none, or missing)"
        every = _judged_in_blocks(block, judge, np.full(3, np.nan, np.float32), np.ones(3), bounds, F32)
        assert every.reason == "output is NaN everywhere (3 elements)"


def test_judge_expectation_judges_as_judge_with_the_whole_bounds(corpus):
    backend = resolve("numpy")
    for vector in corpus[::3]:
        if vector.expected_error is not None:
            continue
        output = np.asarray(backend.run(vector.call, vector.arrays()))
        expect, dtype = vector.expectation(), vector.output_dtype()
        for got in (output, output + np.ones(1, output.dtype)):  # as it is (it passes), and one off
            assert _same(_judged_in_blocks(3, judge_expectation, got, expect, dtype),
                         judge(got, expect.values, expect.bounds(dtype), dtype)), vector.id
