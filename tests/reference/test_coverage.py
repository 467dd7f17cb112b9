import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from convspec.reference import conv, coverage, output_size


def test_notes_picture_corner_once_centre_nine_times():
    counts = coverage((5, 5), (3, 3))
    assert counts[0, 0] == 1 and counts[0, 2] == 3 and counts[2, 2] == 9


def test_stride_2_leaves_some_pixels_read_once_and_none_unread():
    counts = coverage((5,), (3,), (2,))
    assert counts.tolist() == [1, 1, 2, 1, 1]


def test_unreached_rows_are_counted_zero():
    assert coverage((6,), (3,), (2,)).tolist() == [1, 1, 2, 1, 1, 0]


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 9), st.integers(1, 4), st.integers(1, 3), st.integers(0, 2), st.integers(1, 2))
def test_total_coverage_is_windows_times_taps_that_land_inside(w, k, s, p, d):
    if w + 2 * p < d * (k - 1) + 1:
        return
    counts = coverage((w,), (k,), (s,), ((p, p),), (d,))
    # the same count through the reference: the conv of an all-ones input with an all-ones kernel
    # counts, per window, the taps landing inside; summed over windows it is the total coverage
    ones = conv(np.ones((1, 1, w)), np.ones((1, 1, k)), stride=(s,), padding=((p, p),),
                dilation=(d,), groups=1)
    assert counts.sum() == ones.sum()
    assert ones.shape[-1] == output_size(w, k, s, (p, p), d)
