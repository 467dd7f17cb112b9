import numpy as np

from convspec.conformance.judge import judge
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
