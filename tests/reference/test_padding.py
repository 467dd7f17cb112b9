import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from convspec.reference import output_size, pad, resolve_padding, same_total


def test_pad_8x8_by_1_gives_10x10_with_zero_ring():
    x = np.arange(1, 65, dtype=float).reshape(1, 1, 8, 8)
    y = pad(x, [(1, 1), (1, 1)])
    assert y.shape == (1, 1, 10, 10)
    assert np.array_equal(y[0, 0, 1:-1, 1:-1], x[0, 0])
    assert y[0, 0, 0].sum() == y[0, 0, -1].sum() == y[0, 0, :, 0].sum() == y[0, 0, :, -1].sum() == 0


def test_pad_asymmetric_puts_each_side_where_asked():
    x = np.ones((1, 1, 2, 3))
    y = pad(x, [(1, 0), (0, 2)])
    assert y.shape == (1, 1, 3, 5)
    assert y[0, 0, 0].sum() == 0 and y[0, 0, 1:, :3].all() and not y[0, 0, :, 3:].any()


def test_pad_rejects_negative_and_wrong_rank():
    with pytest.raises(ValueError, match=">= 0"):
        pad(np.ones((1, 1, 3)), [(-1, 0)])
    with pytest.raises(ValueError, match="spatial axes"):
        pad(np.ones((1, 1, 3, 3)), [(1, 1)])


def test_same_upper_puts_odd_pixel_at_end_and_same_lower_at_start():
    # W=4, F=2, S=1: total padding 1.
    assert resolve_padding("same_upper", [4], [2], [1], [1]) == ((0, 1),)
    assert resolve_padding("same_lower", [4], [2], [1], [1]) == ((1, 0),)
    assert resolve_padding("valid", [4, 5], [2, 2], [1, 1], [1, 1]) == ((0, 0), (0, 0))
    assert resolve_padding(2, [4, 5], [2, 2], [1, 1], [1, 1]) == ((2, 2), (2, 2))
    assert resolve_padding([[1, 0], [0, 3]], [4, 5], [2, 2], [1, 1], [1, 1]) == ((1, 0), (0, 3))


def test_unknown_mode_and_wrong_pair_count_are_rejected():
    with pytest.raises(ValueError, match="padding mode"):
        resolve_padding("same", [4], [2], [1], [1])
    with pytest.raises(ValueError, match="2 pairs for 1"):
        resolve_padding([[0, 0], [0, 0]], [4], [2], [1], [1])


@given(w=st.integers(1, 40), f=st.integers(1, 7), s=st.integers(1, 4), d=st.integers(1, 3),
       mode=st.sampled_from(["same_upper", "same_lower"]))
def test_same_padding_gives_ceil_w_over_s(w, f, s, d, mode):
    (p0, p1), = resolve_padding(mode, [w], [f], [s], [d])
    assert p0 + p1 == same_total(w, f, s, d)
    assert abs(p0 - p1) <= 1
    assert (p1 >= p0) if mode == "same_upper" else (p0 >= p1)
    assert output_size(w, f, s, (p0, p1), d) == math.ceil(w / s)
