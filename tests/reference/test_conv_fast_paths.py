"""The fast reference's own code paths: blocking, groups, the integer paths and IEEE special values.

The reference computes by im2col + matmul in blocks, and runs integers through float64 only while
that is exact. Each path is forced here with small
blocks or patched thresholds and compared with the definition (Python loops) or with the exact
rational reference. No test here is timed; benchmarks/ measures speed.
"""

import importlib
import math
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import conv_cases, naive_conv, protocol_args

from convspec.reference import conv as reference_conv
from convspec.reference.exact import conv_exact

# ``convspec.reference.conv`` is the function; this is the module it lives in.
fast = importlib.import_module("convspec.reference.conv")


@pytest.fixture
def tiny_blocks(monkeypatch):
    """Blocks of one output position at a time: every block boundary is exercised."""
    monkeypatch.setattr(fast, "MIN_BLOCK_BYTES", 1)
    monkeypatch.setattr(fast, "MAX_BLOCK_BYTES", 1)


def _attrs(rank, stride=1, pad=0, dilation=1, groups=1):
    return {"stride": (stride,) * rank, "padding": ((pad, pad),) * rank, "dilation": (dilation,) * rank,
            "groups": groups}


def _small_ints(rng, shape, low=-4, high=4):
    return rng.integers(low, high + 1, size=shape).astype(np.float64)


# --- blocks -----------------------------------------------------------------------------------

@pytest.mark.parametrize("batch", [1, 2, 5])
@pytest.mark.parametrize("spatial", [(1,), (7,), (3, 4), (2, 3, 5)])
@pytest.mark.parametrize("budget", [1, 10, 25, 70, 130, 1000])
def test_blocks_cover_every_output_position_once(batch, spatial, budget):
    per_position = 5
    seen = np.zeros((batch, 1, *spatial), dtype=int)
    for block in fast._blocks(batch, spatial, per_position, budget):
        part = seen[block]
        assert part.size > 0
        if part.shape[0] > 1:  # several images only when whole
            assert part.shape[2:] == spatial
        assert part.size * per_position <= max(budget, per_position)  # one position is the least
        part += 1
    assert (seen == 1).all()


@settings(max_examples=150, deadline=None)
@given(conv_cases(max_size=9), st.sampled_from([1, 64, 200, 1000]))
def test_blocked_result_equals_the_definition(case, budget):
    x, w, b, attrs = protocol_args(case)
    mp = pytest.MonkeyPatch()
    try:
        mp.setattr(fast, "MIN_BLOCK_BYTES", budget)
        mp.setattr(fast, "MAX_BLOCK_BYTES", budget)
        got = reference_conv(x, w, b, **attrs)
    finally:
        mp.undo()
    assert np.array_equal(got, naive_conv(x, w, b, **attrs))


@pytest.mark.parametrize("rank", [1, 2, 3])
@pytest.mark.parametrize("batch", [1, 3])
def test_one_position_per_block_in_every_rank(tiny_blocks, rank, batch):
    rng = np.random.default_rng(rank * 10 + batch)
    x = _small_ints(rng, (batch, 4, *(7,) * rank))
    w = _small_ints(rng, (6, 2, *(3,) * rank))
    b = _small_ints(rng, (6,))
    attrs = _attrs(rank, stride=2, pad=1, dilation=1, groups=2)
    assert np.array_equal(reference_conv(x, w, b, **attrs), naive_conv(x, w, b, **attrs))


def test_several_images_per_block_land_in_their_own_images(monkeypatch):
    rng = np.random.default_rng(7)
    x = _small_ints(rng, (5, 3, 6, 6))
    w = _small_ints(rng, (4, 3, 3, 3))
    attrs = _attrs(2, pad=1)
    per_position = 3 * 9 * 8  # one output position's im2col column in bytes
    per_image = per_position * 36
    monkeypatch.setattr(fast, "MIN_BLOCK_BYTES", 2 * per_image)  # two images, then two, then one
    monkeypatch.setattr(fast, "MAX_BLOCK_BYTES", 2 * per_image)
    blocks = list(fast._blocks(5, (6, 6), per_position, 2 * per_image))
    assert [(b[0].start, b[0].stop) for b in blocks] == [(0, 2), (2, 4), (4, 5)]
    assert np.array_equal(reference_conv(x, w, **attrs), naive_conv(x, w, None, **attrs))


# --- groups -------------------------------------------------------------------------------------

def _per_group(x, w, b, groups, **attrs):
    """The grouped conv as separate ungrouped convs, one per group, concatenated."""
    cin, cout = x.shape[1] // groups, w.shape[0] // groups
    parts = [naive_conv(x[:, g * cin:(g + 1) * cin], w[g * cout:(g + 1) * cout],
                        None if b is None else b[g * cout:(g + 1) * cout], groups=1, **attrs)
             for g in range(groups)]
    return np.concatenate(parts, axis=1)


@pytest.mark.parametrize(("channels", "out_channels", "groups"), [
    (8, 8, 4),  # two inputs per group: a stacked matmul over groups
    (6, 6, 6),  # depthwise: (1 x K) @ (K x positions) per group
    (4, 12, 4),  # depthwise with 3 outputs per group (channel multiplier)
    (3, 30, 3),  # one input, 10 outputs per group
])
def test_groups_with_blocks(tiny_blocks, channels, out_channels, groups):
    rng = np.random.default_rng(channels * out_channels)
    x = _small_ints(rng, (2, channels, 9, 8))
    w = _small_ints(rng, (out_channels, channels // groups, 3, 2))
    b = _small_ints(rng, (out_channels,))
    attrs = {"stride": (2, 1), "padding": ((1, 2), (0, 1)), "dilation": (1, 2)}
    got = reference_conv(x, w, b, groups=groups, **attrs)
    assert np.array_equal(got, _per_group(x, w, b, groups, **attrs))


@pytest.mark.parametrize("budget", [1, 4 * 8 * 20, 10**6])  # one position, two rows, all images
@pytest.mark.parametrize("layout", ["contiguous", "strided", "padded", "stride-2"])
def test_pointwise_kernels_read_the_input_in_place_or_copy_it(monkeypatch, budget, layout):
    # A 1x1 kernel at stride 1 multiplies one image's input as it lies (no im2col copy) when its
    # positions are adjacent in memory; every other layout and block goes through the copy.
    monkeypatch.setattr(fast, "MIN_BLOCK_BYTES", budget)
    monkeypatch.setattr(fast, "MAX_BLOCK_BYTES", budget)
    rng = np.random.default_rng(4)
    x = _small_ints(rng, (3, 4, 6, 10))
    if layout == "strided":
        x = x[:, :, :, ::2]
    w = _small_ints(rng, (6, 2, 1, 1))
    b = _small_ints(rng, (6,))
    attrs = _attrs(2, stride=2 if layout == "stride-2" else 1, pad=1 if layout == "padded" else 0,
                   groups=2)
    assert np.array_equal(reference_conv(x, w, b, **attrs), naive_conv(x, w, b, **attrs))


# --- integers -----------------------------------------------------------------------------------

def _exact_ints(x, w, b, **attrs):
    fractions, _ = conv_exact(x, w, b, **attrs)
    return [int(v) for v in fractions.ravel()]


def _as_python_ints(a):
    return [int(v) for v in np.asarray(a).ravel()]


@pytest.mark.parametrize(("channels", "groups"), [(2, 1), (6, 3), (4, 4)])
def test_integer_sums_near_2_62_are_exact(tiny_blocks, channels, groups):
    # (2**29 + k) * (2**30 - j) ~ 2**59 per term, 8 terms (4 in the depthwise case) per output:
    # sums near 2**62, far beyond float64's exact integers, so these run in int64.
    x = (2**29 + np.arange(channels * 6, dtype=np.int64)).reshape(1, channels, 6)
    per_group = channels // groups
    w = (2**30 - 1 - np.arange(channels * per_group * 4, dtype=np.int64)).reshape(channels, per_group, 4)
    w[0, 0, 1] *= -1
    b = np.full(channels, 2**40 + 3, dtype=np.int64)
    attrs = _attrs(1, groups=groups)
    bound = fast._integer_bound(x, w, b)
    assert 2**61 <= bound < 2**63 and bound >= fast.FLOAT64_EXACT
    got = reference_conv(x, w, b, **attrs)
    assert got.dtype == np.int64
    assert _as_python_ints(got) == _exact_ints(x, w, b, **attrs)


def test_integer_sum_just_below_2_63_is_exact():
    # one 2-term dot product: (2**31 - 1) * (2**31 - 1) * 2 + bias = 2**63 - 1
    x = np.full((1, 2, 1), 2**31 - 1, dtype=np.int64)
    w = np.full((1, 2, 1), 2**31 - 1, dtype=np.int64)
    b = np.array([2**63 - 1 - 2 * (2**31 - 1) ** 2], dtype=np.int64)
    got = reference_conv(x, w, b, **_attrs(1))
    assert int(got[0, 0, 0]) == 2**63 - 1


@pytest.mark.parametrize(("values", "float64_path"), [
    ([2**52 - 1, 2**52 - 1], True),  # bound 2**53 - 2: float64 BLAS, exact
    ([2**52, 2**52 - 1], False),  # bound 2**53: int64; the sum 2**53 - 1 is still exact
    ([2**52 + 1, 2**52], False),  # sum 2**53 + 1: float64 would round it
])
def test_integers_go_through_float64_only_below_2_53(values, float64_path):
    x = np.array([[values]], dtype=np.int64).reshape(1, 2, 1)
    w = np.ones((3, 2, 1), dtype=np.int64)
    assert (fast._integer_bound(x, w, None) < fast.FLOAT64_EXACT) == float64_path
    got = reference_conv(x, w, **_attrs(1))
    assert _as_python_ints(got) == [sum(values)] * 3


@pytest.mark.parametrize("depthwise", [False, True])
def test_integer_paths_agree_with_the_exact_reference(monkeypatch, depthwise):
    rng = np.random.default_rng(11)
    groups = 3 if depthwise else 1
    x = rng.integers(-2**20, 2**20, size=(2, 3, 8, 9), dtype=np.int64)
    w = rng.integers(-2**20, 2**20, size=(6, 3 // groups, 3, 3), dtype=np.int64)
    b = rng.integers(-2**40, 2**40, size=(6,), dtype=np.int64)
    attrs = _attrs(2, stride=2, pad=1, groups=groups)
    exact = _exact_ints(x, w, b, **attrs)
    assert _as_python_ints(reference_conv(x, w, b, **attrs)) == exact  # float64 BLAS: exact here
    monkeypatch.setattr(fast, "FLOAT64_EXACT", 0)  # force the int64 matmul
    monkeypatch.setattr(fast, "MIN_BLOCK_BYTES", 1)
    monkeypatch.setattr(fast, "MAX_BLOCK_BYTES", 1)
    assert _as_python_ints(reference_conv(x, w, b, **attrs)) == exact


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int16, np.int32])  # int64: see 2**62 above
def test_narrow_integer_inputs_give_exact_int64(dtype):
    info = np.iinfo(dtype)
    rng = np.random.default_rng(5)
    x = rng.integers(info.min, info.max, size=(2, 4, 6), dtype=dtype, endpoint=True)
    w = rng.integers(info.min, info.max, size=(3, 4, 2), dtype=dtype, endpoint=True)
    got = reference_conv(x, w, **_attrs(1, pad=1))
    assert got.dtype == np.int64
    assert _as_python_ints(got) == _exact_ints(x, w, None, **_attrs(1, pad=1))


def test_float_inputs_and_mixed_inputs_give_float64():
    x = np.ones((1, 1, 4), dtype=np.int32)
    w = np.ones((1, 1, 2), dtype=np.float32)
    assert reference_conv(x, w, **_attrs(1)).dtype == np.float64
    assert reference_conv(x.astype(bool), x[..., :2], **_attrs(1)).dtype == np.float64


# --- special values -----------------------------------------------------------------------------

def _same_specials(got, expected):
    assert np.array_equal(np.isnan(got), np.isnan(expected))
    inf = np.isinf(expected)
    assert np.array_equal(np.isinf(got), inf)
    assert np.array_equal(got[inf], expected[inf])


@pytest.mark.parametrize("groups", [1, 2, 4])
def test_nan_times_zero_is_nan_through_the_matmul(tiny_blocks, groups):
    x = np.zeros((2, 4, 6, 5))
    x[0, 1, 2, 3] = np.nan
    x[1, 2, 0, 0] = np.inf
    x[1, 3, 5, 4] = -np.inf
    w = np.zeros((4, 4 // groups, 3, 3))  # every weight 0: NaN * 0 and Inf * 0 must give NaN
    got = reference_conv(x, w, **_attrs(2, pad=1, groups=groups))
    _, exact = conv_exact(x, w, **_attrs(2, pad=1, groups=groups))
    assert np.isnan(got).sum() > 0
    _same_specials(got, exact)
    assert np.array_equal(got[~np.isnan(got)], exact[~np.isnan(exact)])


@pytest.mark.parametrize(("out_channels", "length", "kernel"), [
    (1, 1, 1),  # a 1x1 matrix product: BLAS may take its dot-product path
    (1, 6, 3),  # one output row: matrix-vector
    (4, 1, 3),  # one output position: matrix-vector the other way
    (5, 9, 2),
])
@pytest.mark.parametrize("where", ["x", "w"])
def test_no_blas_path_skips_a_zero_operand(out_channels, length, kernel, where):
    # Some BLAS matrix-vector kernels skip a zero element of the vector, losing NaN * 0; every
    # degenerate shape of the product must still give NaN.
    x = np.zeros((1, 2, length + kernel - 1))
    w = np.zeros((out_channels, 2, kernel))
    if where == "x":
        x[0, 1, kernel - 1] = np.nan  # the last tap of the first output position, times 0
    else:
        w[:, 1, 0] = np.inf  # times x's zeros
    got = reference_conv(x, w, **_attrs(1))
    _, exact = conv_exact(x, w, **_attrs(1))
    assert np.isnan(got[0, :, 0]).all()
    _same_specials(got, exact)


@pytest.mark.parametrize("groups", [1, 3])
def test_infinities_add_and_cancel_as_ieee_says(groups):
    # x = [1, inf, 1, -inf, 1] under [1, 1]: inf, inf, -inf?  inf + 1 = inf; 1 + -inf = -inf;
    # with w = [1, 1] over inf, -inf in one window: NaN.
    row = np.array([1.0, np.inf, 1.0, -np.inf, 1.0])
    x = np.stack([row] * 3)[None]  # (1, 3, 5)
    w = np.ones((3, 3 // groups, 2))
    attrs = _attrs(1, groups=groups)
    got = reference_conv(x, w, **attrs)
    _, exact = conv_exact(x, w, **attrs)
    _same_specials(got, exact)
    assert got[0, 0].tolist()[:2] == [np.inf, np.inf]
    wide = reference_conv(x, np.ones((3, 3 // groups, 3)), **attrs)
    assert np.isnan(wide[0, 0, 1])  # inf + 1 + -inf


@pytest.mark.parametrize("depthwise", [False, True])
def test_infinite_weights_and_bias(depthwise):
    groups = 2 if depthwise else 1
    x = np.array([[[1.0, 0.0, 2.0, -3.0], [0.0, 1.0, 1.0, 1.0]]])
    w = np.array([[[np.inf, 1.0]], [[-np.inf, 0.0]]]) if depthwise else \
        np.array([[[np.inf, 1.0], [1.0, 1.0]], [[1.0, 1.0], [-np.inf, 0.0]]])
    b = np.array([1.0, -np.inf])
    attrs = _attrs(1, groups=groups)
    got = reference_conv(x, w, b, **attrs)
    _, exact = conv_exact(x, w, b, **attrs)
    _same_specials(got, exact)
    finite = np.isfinite(exact)
    assert np.array_equal(got[finite], exact[finite])


def test_dilation_holes_are_not_taps():
    # An infinity between two dilated taps is never multiplied (the old reference multiplied the
    # dilated kernel's zeros and made it NaN).
    x = np.array([[[1.0, np.inf, 2.0, np.nan, 3.0]]])
    w = np.array([[[1.0, 1.0]]])
    got = reference_conv(x, w, stride=(2,), padding=((0, 0),), dilation=(2,), groups=1)
    assert got.tolist() == [[[3.0, 5.0]]]


def test_an_infinite_weight_over_padding_gives_nan():
    # Padding is real zeros, and 0 * inf is NaN, as in frameworks that pad explicitly (and as the
    # NumPy backend and the previous reference compute).
    x = np.ones((1, 1, 3))
    w = np.array([[[np.inf, 1.0, 1.0]]])
    got = reference_conv(x, w, **_attrs(1, pad=1))
    assert np.isnan(got[0, 0, 0]) and got[0, 0, 1:].tolist() == [np.inf, np.inf]


@st.composite
def cases_with_specials(draw):
    x, w, b, attrs = protocol_args(draw(conv_cases(max_size=6, integer_values=False)))
    x = x.copy()
    flat = x.reshape(-1)
    for i in draw(st.lists(st.integers(0, flat.size - 1), max_size=3)):
        flat[i] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    if all(p == (0, 0) for p in attrs["padding"]):  # padding's zeros and inf weights: see above
        w = w.copy()
        flat = w.reshape(-1)
        for i in draw(st.lists(st.integers(0, flat.size - 1), max_size=2)):
            flat[i] = draw(st.sampled_from([np.inf, -np.inf]))
    return x, w, b, attrs


@settings(max_examples=120, deadline=None)
@given(cases_with_specials(), st.sampled_from([1, 96, 10**6]))
def test_special_values_match_the_exact_reference(case, budget):
    x, w, b, attrs = case
    mp = pytest.MonkeyPatch()
    try:
        mp.setattr(fast, "MIN_BLOCK_BYTES", budget)
        mp.setattr(fast, "MAX_BLOCK_BYTES", budget)
        got = reference_conv(x, w, b, **attrs)
    finally:
        mp.undo()
    _, exact = conv_exact(x, w, b, **attrs)
    _same_specials(got, exact)
    finite = np.isfinite(exact)
    magnitude = reference_conv(np.abs(x), np.abs(w), None if b is None else np.abs(b), **attrs)
    n = w.shape[1] * math.prod(w.shape[2:]) + (b is not None)
    gamma = n * 2.0**-53 / (1 - n * 2.0**-53)
    assert np.all(np.abs(got[finite] - exact[finite]) <= gamma * magnitude[finite] + n * 2.0**-1074)


# --- inputs, outputs and memory -----------------------------------------------------------------

def test_inputs_are_not_modified_and_the_output_is_a_new_array():
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((1, 2, 5, 5)), rng.standard_normal((2, 2, 1, 1)), np.ones(2)
    before = [a.copy() for a in (x, w, b)]
    y = reference_conv(x, w, b, **_attrs(2))  # no padding, float64: x is read in place
    assert not np.shares_memory(y, x)
    y[...] = 0
    assert all(np.array_equal(a, c) for a, c in zip((x, w, b), before, strict=True))


def test_non_contiguous_inputs():
    rng = np.random.default_rng(2)
    x = _small_ints(rng, (2, 3, 10, 12))[:, :, ::2, 1::2]
    w = _small_ints(rng, (4, 3, 3, 3)).transpose(0, 1, 3, 2)
    attrs = _attrs(2, pad=1)
    assert np.array_equal(reference_conv(x, w, **attrs), naive_conv(x, w, None, **attrs))


@pytest.mark.parametrize(("x_shape", "w_shape", "groups", "pad"), [
    ((1, 16, 40, 40), (16, 16, 3, 3), 1, 1),
    ((1, 8, 60, 60), (8, 1, 3, 3), 8, 1),
    ((2, 8, 700), (8, 8, 5), 1, 0),
    ((1, 8, 1, 6000), (8, 8, 1, 9), 1, 0),  # one output row: blocks split the row itself
    ((1, 4, 1, 50, 60), (6, 4, 1, 3, 3), 1, 0),  # one output plane in 3-D
])
def test_peak_memory_within_three_times_output_plus_inputs(x_shape, w_shape, groups, pad):
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    rank = len(x_shape) - 2
    tracemalloc.start()
    try:
        y = reference_conv(x, w, **_attrs(rank, pad=pad, groups=groups))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak <= 3 * (y.nbytes + x.nbytes + w.nbytes)
