"""Inline tensor data: NumPy's one-call conversion gives exactly what the spec's row-major reading
of nested lists gives."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from convspec.conformance.vector import SPECIAL_VALUES, tensor_values


def spec_reading(data, shape):
    """The rule of spec/vectors.md, element by element, independent of the module."""
    flat = []

    def walk(item):
        if isinstance(item, list):
            for child in item:
                walk(child)
        else:
            flat.append(SPECIAL_VALUES[item] if isinstance(item, str) else item)

    walk(data)
    big = all(isinstance(v, int) for v in flat) and any(abs(v) > 2**53 for v in flat)
    return np.array(flat, dtype=np.int64 if big else np.float64).reshape(shape)


numbers = st.one_of(
    st.integers(-(2**53), 2**53),
    st.integers(-(2**63) + 1, 2**63 - 1),
    st.floats(allow_nan=False),
    st.sampled_from(["nan", "inf", "-inf"]),
)


@given(st.data(), st.lists(st.integers(1, 4), min_size=1, max_size=3), st.booleans())
def test_inline_data_reads_as_the_spec_says(data, shape, nest):
    count = math.prod(shape)
    flat = data.draw(st.lists(numbers, min_size=count, max_size=count))
    nested = np.array(flat, dtype=object).reshape(shape).tolist() if nest else flat
    got = tensor_values({"shape": shape, "data": nested})
    want = spec_reading(nested, tuple(shape))
    assert got.dtype == want.dtype
    assert got.shape == want.shape
    np.testing.assert_array_equal(got, want)


def test_int64_beyond_float64s_exact_range_stays_int64():
    got = tensor_values({"shape": [2], "data": [2**53 + 1, -(2**63)]})
    assert got.dtype == np.int64
    assert got.tolist() == [2**53 + 1, -(2**63)]


@pytest.mark.parametrize("data", [[1, 2, 3], [[1, 2], [3]], [[1.5, "nan"], [3, 4]]])
def test_a_count_that_does_not_match_the_shape_is_refused(data):
    with pytest.raises(ValueError, match="values but shape"):
        tensor_values({"shape": [2, 1], "data": data})
