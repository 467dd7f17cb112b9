import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from convspec.reference import dropped, output_size


def test_notes_example_5x5_kernel_3_gives_3():
    assert output_size(5, 3, 1, (0, 0)) == 3


def test_floor_drops_unreached_rows():
    assert output_size(6, 3, 2) == 2
    assert dropped(6, 3, 2) == 1
    assert dropped(5, 3, 2) == 0


@pytest.mark.parametrize(("args", "message"), [
    ((5, 3, 0), "stride"), ((5, 3, 1, (0, 0), 0), "dilation"), ((5, 3, 1, (-1, 0)), "padding"),
    ((2, 3), "output size < 1"), ((5, 3, 1, (0, 0), 3), "output size < 1"),
])
def test_invalid_arguments_are_rejected(args, message):
    with pytest.raises(ValueError, match=message):
        output_size(*args)


@given(w=st.integers(1, 60), f=st.integers(1, 9), s=st.integers(1, 5), p0=st.integers(0, 4),
       p1=st.integers(0, 4), d=st.integers(1, 4))
def test_matches_counting_window_positions(w, f, s, p0, p1, d):
    """The formula equals the number of start positions whose dilated window fits."""
    span = d * (f - 1) + 1
    starts = [i for i in range(0, w + p0 + p1, s) if i + span <= w + p0 + p1]
    if not starts:
        with pytest.raises(ValueError):
            output_size(w, f, s, (p0, p1), d)
        return
    assert output_size(w, f, s, (p0, p1), d) == len(starts)
    assert dropped(w, f, s, (p0, p1), d) == w + p0 + p1 - (starts[-1] + span)


@given(w=st.integers(1, 60), f=st.integers(1, 9), s=st.integers(1, 5), p=st.integers(0, 4))
def test_agrees_with_the_notes_formula_floored(w, f, s, p):
    if w + 2 * p < f:
        return
    assert output_size(w, f, s, (p, p)) == math.floor((w - f + 2 * p) / s) + 1
