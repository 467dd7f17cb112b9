"""The transposed-convolution references: the fast one (matmul per block, strided scatter) against the
exact rational one, the adjoint identity with reference.conv, the output-size rule, every argument
error, IEEE special values, ONNX's ConvTranspose node cases and PyTorch."""

from __future__ import annotations

import importlib
import itertools
import math
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convspec.reference import (
    ERROR_KINDS,
    ConvArgumentError,
    check_conv_transpose_arguments,
    conv,
    conv_transpose,
    conv_transpose_output_size,
    output_size,
)
from convspec.reference.exact import conv_transpose_exact

# ``convspec.reference.conv_transpose`` is the function; this is the module it lives in.
fast = importlib.import_module("convspec.reference.conv_transpose")


# --- cases --------------------------------------------------------------------------------------

@st.composite
def transpose_cases(draw, max_rank: int = 3, max_size: int = 4, integer_values: bool = True,
                    adjoint: bool = False):
    """x, w, b (or None) and the keyword arguments of a valid conv_transpose call, small.

    ``adjoint``: output_padding below the stride, so that conv maps the output's shape back to x's.
    """
    rank = draw(st.integers(1, max_rank))
    groups = draw(st.integers(1, 3))
    cin, cout = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    batch = draw(st.integers(1, 2))
    kernel, stride, dilation, extra, padding, spatial = [], [], [], [], [], []
    for _ in range(rank):
        k, s, d = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
        e = draw(st.integers(0, (s if adjoint else max(s, d)) - 1))
        n = draw(st.integers(1, max_size))
        full = (n - 1) * s + d * (k - 1) + 1 + e
        p0 = draw(st.integers(0, min(2, full - 1)))
        p1 = draw(st.integers(0, min(2, full - 1 - p0)))
        kernel.append(k), stride.append(s), dilation.append(d), extra.append(e), spatial.append(n)
        padding.append((p0, p1))
    values = st.integers(-4, 4) if integer_values else st.floats(-4, 4, width=64)

    def tensor(shape):
        count = math.prod(shape)
        return np.array(draw(st.lists(values, min_size=count, max_size=count)),
                        dtype=np.float64).reshape(shape)

    x = tensor((batch, cin, *spatial))
    w = tensor((cin, cout // groups, *kernel))
    b = tensor((cout,)) if draw(st.booleans()) else None
    attrs = {"stride": tuple(stride), "padding": tuple(padding), "output_padding": tuple(extra),
             "dilation": tuple(dilation), "groups": groups}
    return x, w, b, attrs


def naive_conv_transpose(x, w, b, *, stride, padding, output_padding, dilation, groups):
    """The definition: every product scattered into y_full, one at a time, then cropped."""
    rank = x.ndim - 2
    per_group, out_per_group = x.shape[1] // groups, w.shape[1]
    full = [(x.shape[2 + a] - 1) * stride[a] + dilation[a] * (w.shape[2 + a] - 1) + 1 + output_padding[a]
            for a in range(rank)]
    y = np.zeros((x.shape[0], out_per_group * groups, *full))
    for n, c in itertools.product(range(x.shape[0]), range(x.shape[1])):
        g = c // per_group
        for i in itertools.product(*map(range, x.shape[2:])):
            for o, k in itertools.product(range(out_per_group), itertools.product(*map(range, w.shape[2:]))):
                j = tuple(i[a] * stride[a] + k[a] * dilation[a] for a in range(rank))
                y[(n, g * out_per_group + o, *j)] += x[(n, c, *i)] * w[(c, o, *k)]
    y = y[(slice(None), slice(None), *(slice(p0, f - p1) for (p0, p1), f in zip(padding, full, strict=True)))]
    return y if b is None else y + b.reshape((1, -1) + (1,) * rank)


def _gamma_bound(x, w, b, attrs):
    magnitude = conv_transpose(np.abs(x), np.abs(w), None if b is None else np.abs(b), **attrs)
    n = x.shape[1] // attrs["groups"] * math.prod(w.shape[2:]) + (b is not None)
    return n * 2.0**-53 / (1 - n * 2.0**-53) * magnitude + n * 2.0**-1074


def _attrs(rank, stride=1, pad=0, extra=0, dilation=1, groups=1):
    return {"stride": (stride,) * rank, "padding": ((pad, pad),) * rank, "output_padding": (extra,) * rank,
            "dilation": (dilation,) * rank, "groups": groups}


# --- (a) the fast reference against the exact one and the definition ------------------------

@settings(max_examples=100, deadline=None)
@given(transpose_cases())
def test_fast_equals_exact_on_integers(case):
    x, w, b, attrs = case
    fractions, rounded = conv_transpose_exact(x, w, b, **attrs)
    got = conv_transpose(x, w, b, **attrs)
    assert all(v.denominator == 1 for v in fractions.ravel())
    assert np.array_equal(got, rounded)
    assert np.array_equal(got, naive_conv_transpose(x, w, b, **attrs))


@settings(max_examples=80, deadline=None)
@given(transpose_cases(integer_values=False))
def test_fast_is_within_gamma_n_of_exact_on_floats(case):
    x, w, b, attrs = case
    _, exact = conv_transpose_exact(x, w, b, **attrs)
    assert np.all(np.abs(conv_transpose(x, w, b, **attrs) - exact) <= _gamma_bound(x, w, b, attrs))


@settings(max_examples=60, deadline=None)
@given(transpose_cases(max_size=6), st.sampled_from([1, 64, 300, 10**6]))
def test_blocks_of_any_size_give_the_same_result(case, budget):
    x, w, b, attrs = case
    mp = pytest.MonkeyPatch()
    try:
        mp.setattr(fast, "MIN_BLOCK_BYTES", budget)
        mp.setattr(fast, "MAX_BLOCK_BYTES", budget)
        got = conv_transpose(x, w, b, **attrs)
    finally:
        mp.undo()
    assert np.array_equal(got, naive_conv_transpose(x, w, b, **attrs))


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int32])
@pytest.mark.parametrize("int64_matmul", [False, True])
def test_integer_inputs_are_exact_int64(monkeypatch, dtype, int64_matmul):
    info = np.iinfo(dtype)
    rng = np.random.default_rng(3)
    x = rng.integers(info.min, info.max, size=(2, 4, 3, 4), dtype=dtype, endpoint=True)
    w = rng.integers(info.min, info.max, size=(4, 3, 3, 2), dtype=dtype, endpoint=True)
    b = rng.integers(-1000, 1000, size=(6,)).astype(dtype if dtype != np.uint8 else np.int32)
    attrs = {"stride": (2, 3), "padding": ((1, 0), (0, 2)), "output_padding": (1, 2), "dilation": (1, 2),
             "groups": 2}
    if int64_matmul:
        monkeypatch.setattr(fast, "FLOAT64_EXACT", 0)
        monkeypatch.setattr(fast, "MIN_BLOCK_BYTES", 1)
        monkeypatch.setattr(fast, "MAX_BLOCK_BYTES", 1)
    got = conv_transpose(x, w, b, **attrs)
    fractions, _ = conv_transpose_exact(x, w, b, **attrs)
    assert got.dtype == np.int64
    assert [int(v) for v in got.ravel()] == [int(v) for v in fractions.ravel()]


def test_integer_sums_beyond_2_53_run_in_int64():
    # 2 channels x 2 taps of (2**30 - 1)**2 ~ 2**60 each: float64 would round, int64 is exact
    x = np.full((1, 2, 2), 2**30 - 1, dtype=np.int64)
    w = np.full((2, 1, 2), 2**30 - 1, dtype=np.int64)
    w[1, 0, 1] = -(2**30) + 7
    assert fast._integer_bound(x, w, None, 1) >= fast.FLOAT64_EXACT
    got = conv_transpose(x, w, **_attrs(1))
    fractions, _ = conv_transpose_exact(x, w, **_attrs(1))
    assert [int(v) for v in got.ravel()] == [int(v) for v in fractions.ravel()]


def test_float32_and_mixed_inputs_give_float64():
    x, w = np.ones((1, 1, 3), np.float32), np.ones((1, 1, 2), np.int32)
    assert conv_transpose(x, w, **_attrs(1)).dtype == np.float64


def test_by_hand_1d_stride_dilation_crop_and_bias():
    x = np.array([[[1.0, 2.0, 3.0]]])
    w = np.array([[[1.0, 10.0]]])
    # stride 2, dilation 3: x[i] lands at 2i (w 1) and 2i + 3 (w 10): y_full (length 9 with output
    # padding 1) = [1, 0, 2, 10, 3, 20, 0, 30, 0]; padding (1, 2) keeps [0, 2, 10, 3, 20, 0]; bias 0.5
    y = conv_transpose(x, w, np.array([0.5]), stride=(2,), padding=((1, 2),), output_padding=(1,),
                       dilation=(3,), groups=1)
    assert y.tolist() == [[[0.5, 2.5, 10.5, 3.5, 20.5, 0.5]]]


@settings(max_examples=30, deadline=None)
@given(case=transpose_cases(), data=st.data())
def test_exact_where_computes_exactly_the_chosen_elements(case, data):
    x, w, b, attrs = case
    _, whole = conv_transpose_exact(x, w, b, **attrs)
    chosen = np.array(data.draw(st.lists(st.booleans(), min_size=whole.size, max_size=whole.size)),
                      dtype=bool).reshape(whole.shape)
    _, part = conv_transpose_exact(x, w, b, **attrs, where=chosen)
    np.testing.assert_array_equal(part[chosen], whole[chosen])


# --- (b) the adjoint of conv ----------------------------------------------------------------

@settings(max_examples=100, deadline=None)
@given(case=transpose_cases(adjoint=True), seed=st.integers(0, 2**32 - 1))
def test_adjoint_identity_with_conv(case, seed):
    # <conv(u, w), v> = <u, conv_transpose(v, w)>. The very same array w serves both: conv_transpose's
    # (C_in, C_out/groups, *k) is conv's (O, C/groups, *k) for the conv from C_out channels to C_in.
    v, w, _, attrs = case
    v, w = v.astype(np.int64), w.astype(np.int64)
    y = conv_transpose(v, w, **attrs)
    u = np.random.default_rng(seed).integers(-4, 5, size=y.shape)
    conv_attrs = {k: attrs[k] for k in ("stride", "padding", "dilation", "groups")}
    z = conv(u, w, **conv_attrs)
    assert z.shape == v.shape
    assert int(np.sum(z * v)) == int(np.sum(u * y))


# --- (c) the output-size rule ---------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(transpose_cases())
def test_output_size_rule_gives_the_output_shape(case):
    x, w, b, attrs = case
    y = conv_transpose(x, w, b, **attrs)
    expected = tuple(conv_transpose_output_size(n, k, s, p, e, d) for n, k, s, p, e, d in zip(
        x.shape[2:], w.shape[2:], attrs["stride"], attrs["padding"], attrs["output_padding"],
        attrs["dilation"], strict=True))
    assert y.shape == (x.shape[0], w.shape[1] * attrs["groups"], *expected)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 20), st.integers(1, 5), st.integers(1, 4), st.integers(1, 3),
       st.integers(0, 3), st.integers(0, 3), st.data())
def test_output_size_inverts_conv_output_size(size, kernel, stride, dilation, p0, p1, data):
    extra = data.draw(st.integers(0, stride - 1))
    try:
        out = conv_transpose_output_size(size, kernel, stride, (p0, p1), extra, dilation)
    except ValueError:
        assert (size - 1) * stride + dilation * (kernel - 1) + 1 + extra - p0 - p1 < 1
        return
    assert out == (size - 1) * stride - p0 - p1 + dilation * (kernel - 1) + extra + 1
    assert output_size(out, kernel, stride, (p0, p1), dilation) == size


@pytest.mark.parametrize("args", [
    (3, 3, 0), (3, 3, 1, (0, 0), 0, 0), (3, 0), (3, 3, 1, (-1, 0)), (3, 3, 2, (0, 0), 2),
    (3, 3, 2, (0, 0), -1), (1, 1, 1, (1, 0)), (2, 2, 1, (2, 1)),
])
def test_output_size_rejects_invalid_arguments(args):
    with pytest.raises(ValueError):
        conv_transpose_output_size(*args)


def test_output_size_examples():
    assert conv_transpose_output_size(28, 4, 2, (1, 1)) == 56  # the decoder's doubling
    assert conv_transpose_output_size(14, 3, 2, (1, 1), 1) == 28
    assert conv_transpose_output_size(3, 3, 1, (0, 0), 1, 2) == 8  # output_padding < dilation


# --- (d) every error kind -------------------------------------------------------------------

def _call(x_shape=(1, 4, 5, 5), w_shape=(4, 3, 3, 3), b_shape=None, **change):
    attrs = {**_attrs(2, stride=2, pad=1, groups=2), **change}
    b = None if b_shape is None else np.ones(b_shape)
    return np.ones(x_shape), np.ones(w_shape), b, attrs


INVALID = {
    "rank": [_call(x_shape=(4, 5)), _call(x_shape=(1, 4, 2, 2, 2, 2)), _call(w_shape=(4, 3, 3))],
    "attribute-length": [_call(stride=(1,)), _call(dilation=(1, 1, 1)), _call(padding=((1, 1),)),
                         _call(output_padding=(0,)), _call(padding=((1, 1), (1,)))],
    "stride": [_call(stride=(0, 1)), _call(stride=(1, -2))],
    "dilation": [_call(dilation=(0, 1))],
    "padding": [_call(padding=((0, -1), (0, 0)))],
    "output-padding": [_call(output_padding=(-1, 0)), _call(output_padding=(2, 0)),  # stride 2
                       _call(stride=(1, 1), dilation=(1, 3), output_padding=(0, 3))],
    "groups": [_call(groups=0), _call(groups=-1)],
    "groups-input-channels": [_call(groups=3)],
    "weight-channels": [_call(w_shape=(2, 3, 3, 3)), _call(w_shape=(3, 4, 3, 3))],
    "bias-shape": [_call(b_shape=(3,)), _call(b_shape=(6, 1))],
    "output-size": [_call(x_shape=(1, 4, 1, 5), w_shape=(4, 3, 1, 3), padding=((1, 0), (0, 0)))],
}


def test_every_kind_that_applies_has_examples():
    # O = w.shape[1] * groups is always divisible by groups: that kind cannot occur here
    assert set(INVALID) == set(ERROR_KINDS) - {"groups-output-channels", "gradient-shape"}
    assert "output-padding" in ERROR_KINDS


@pytest.mark.parametrize("kind", sorted(INVALID))
def test_each_invalid_call_raises_its_kind(kind):
    for x, w, b, attrs in INVALID[kind]:
        with pytest.raises(ConvArgumentError) as checked:
            check_conv_transpose_arguments(x, w, b, **attrs)
        assert checked.value.kind == kind
        with pytest.raises(ConvArgumentError) as computed:
            conv_transpose(x, w, b, **attrs)
        assert computed.value.kind == kind


def test_weight_channel_error_names_the_layout():
    x, w, b, attrs = INVALID["weight-channels"][0]
    with pytest.raises(ConvArgumentError, match=r"\(C_in, C_out/groups, \*kernel\)"):
        conv_transpose(x, w, b, **attrs)


def test_checks_come_in_conv_order():
    # a call wrong in several ways reports the first check: output-padding after padding, before groups
    x, w, b, attrs = _call(padding=((-1, 0), (0, 0)), output_padding=(5, 0), groups=0)
    with pytest.raises(ConvArgumentError) as first:
        conv_transpose(x, w, b, **attrs)
    assert first.value.kind == "padding"
    x, w, b, attrs = _call(output_padding=(5, 0), groups=0)
    with pytest.raises(ConvArgumentError) as second:
        conv_transpose(x, w, b, **attrs)
    assert second.value.kind == "output-padding"


def test_output_padding_below_dilation_is_valid():
    y = conv_transpose(np.ones((1, 1, 3)), np.ones((1, 1, 3)), **_attrs(1, extra=1, dilation=2))
    assert y.shape == (1, 1, 8) and y[0, 0, -1] == 0  # the appended position receives nothing


# --- (e) NaN and infinity ---------------------------------------------------------------------

def test_inf_under_a_zero_weight_is_nan_where_it_lands_and_nowhere_else():
    x = np.ones((1, 2, 4, 3))
    x[0, 1, 2, 1] = np.inf
    w = np.ones((2, 1, 2, 3))
    w[1, 0, 1, 2] = 0.0  # inf * 0 = NaN lands at (2*2 + 1, 1*2 + 2) = (5, 4), less padding (1, 0)
    attrs = {"stride": (2, 2), "padding": ((1, 0), (0, 1)), "output_padding": (1, 0), "dilation": (1, 1),
             "groups": 1}
    y = conv_transpose(x, w, **attrs)
    _, exact = conv_transpose_exact(x, w, **attrs)
    nan = np.zeros(y.shape, dtype=bool)
    nan[0, 0, 4, 4] = True
    assert np.array_equal(np.isnan(y), nan)
    assert np.array_equal(np.isnan(exact), nan)
    # the other taps of the inf carry it as +inf; everything else is finite
    inf = np.isinf(y)
    assert np.array_equal(inf, np.isinf(exact)) and inf.sum() == 5 and (y[inf] > 0).all()


@pytest.mark.parametrize("stride", [2, 3])
def test_infinite_weights_leave_unreached_positions_exactly_zero(stride):
    # Zero insertion would multiply the inserted zeros by inf; here only real pairs are multiplied.
    x = np.ones((1, 1, 4))
    w = np.array([[[np.inf]]])
    b = np.array([0.25])
    y = conv_transpose(x, w, b, **_attrs(1, stride=stride, extra=stride - 1))
    want = np.full(3 * stride + stride, 0.25)
    want[::stride] = np.inf
    assert y[0, 0].tolist() == want.tolist()
    _, exact = conv_transpose_exact(x, w, b, **_attrs(1, stride=stride, extra=stride - 1))
    assert exact[0, 0].tolist() == want.tolist()


def test_products_cropped_away_do_not_reach_the_output():
    x = np.array([[[np.nan, 1.0, 2.0, -np.inf]]])
    w = np.ones((1, 1, 1))
    y = conv_transpose(x, w, **{**_attrs(1), "padding": ((1, 1),)})
    assert y.tolist() == [[[1.0, 2.0]]]


def test_dilation_holes_receive_nothing():
    x = np.array([[[np.inf]]])
    w = np.array([[[0.0, 1.0]]])
    y = conv_transpose(x, w, **_attrs(1, dilation=3))
    assert np.isnan(y[0, 0, 0]) and y[0, 0, 1:3].tolist() == [0.0, 0.0] and y[0, 0, 3] == np.inf


@st.composite
def cases_with_specials(draw):
    x, w, b, attrs = draw(transpose_cases(integer_values=False))
    for array, count in ((x, 3), (w, 2)):
        flat = array.reshape(-1)
        for i in draw(st.lists(st.integers(0, flat.size - 1), max_size=count)):
            flat[i] = draw(st.sampled_from([np.nan, np.inf, -np.inf, 0.0]))
    return x, w, b, attrs


@settings(max_examples=100, deadline=None)
@given(cases_with_specials(), st.sampled_from([1, 200, 10**6]))
def test_special_values_match_the_exact_reference(case, budget):
    x, w, b, attrs = case
    mp = pytest.MonkeyPatch()
    try:
        mp.setattr(fast, "MIN_BLOCK_BYTES", budget)
        mp.setattr(fast, "MAX_BLOCK_BYTES", budget)
        got = conv_transpose(x, w, b, **attrs)
    finally:
        mp.undo()
    _, exact = conv_transpose_exact(x, w, b, **attrs)
    assert np.array_equal(np.isnan(got), np.isnan(exact))
    inf = np.isinf(exact)
    assert np.array_equal(np.isinf(got), inf) and np.array_equal(got[inf], exact[inf])
    finite = np.isfinite(exact)
    with np.errstate(invalid="ignore"):
        bound = _gamma_bound(np.where(np.isfinite(x), x, 0), np.where(np.isfinite(w), w, 0), b, attrs)
    assert np.all(np.abs(got[finite] - exact[finite]) <= bound[finite])


# --- inputs, outputs and memory ---------------------------------------------------------------

def test_inputs_are_not_modified():
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((2, 4, 5, 5)), rng.standard_normal((4, 3, 3, 3)), np.ones(6)
    before = [a.copy() for a in (x, w, b)]
    y = conv_transpose(x, w, b, **_attrs(2, stride=2, groups=2))
    assert not np.shares_memory(y, x)
    assert all(np.array_equal(a, c) for a, c in zip((x, w, b), before, strict=True))


def test_non_contiguous_inputs():
    rng = np.random.default_rng(2)
    x = rng.integers(-3, 4, size=(2, 3, 8, 10)).astype(float)[:, :, ::2, 1::2]
    w = rng.integers(-3, 4, size=(3, 2, 3, 2)).astype(float).transpose(0, 1, 3, 2)
    attrs = _attrs(2, stride=2, pad=1, extra=1)
    assert np.array_equal(conv_transpose(x, w, **attrs), naive_conv_transpose(x, w, None, **attrs))


@pytest.mark.parametrize(("x_shape", "w_shape", "stride", "pad", "extra", "groups"), [
    ((2, 64, 28, 28), (64, 32, 4, 4), 2, 1, 0, 1),
    ((1, 128, 14, 14), (128, 64, 3, 3), 2, 1, 1, 1),
    ((1, 16, 6, 6, 6), (16, 8, 4, 4, 4), 2, 1, 0, 1),
    ((1, 8, 60, 60), (8, 1, 3, 3), 1, 1, 0, 8),
    ((2, 8, 2000), (8, 8, 9), 1, 0, 0, 1),
])
def test_peak_memory_within_three_times_output_plus_inputs(x_shape, w_shape, stride, pad, extra, groups):
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    tracemalloc.start()
    try:
        y = conv_transpose(x, w, **_attrs(len(x_shape) - 2, stride, pad, extra, groups=groups))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak <= 3 * (y.nbytes + x.nbytes + w.nbytes)


# --- (g) PyTorch ------------------------------------------------------------------------------

@pytest.mark.parametrize("rank", [1, 2, 3])
@pytest.mark.parametrize("seed", range(8))
def test_agrees_with_torch_float64(rank, seed):
    torch = pytest.importorskip("torch")
    functional = torch.nn.functional
    rng = np.random.default_rng(100 * rank + seed)
    groups = int(rng.integers(1, 4))
    kernel = tuple(int(k) for k in rng.integers(1, 5, rank))
    stride = tuple(int(s) for s in rng.integers(1, 4, rank))
    dilation = tuple(int(d) for d in rng.integers(1, 3, rank))
    extra = tuple(int(rng.integers(0, max(s, d))) for s, d in zip(stride, dilation, strict=True))
    spatial = tuple(int(n) for n in rng.integers(1, 7 if rank < 3 else 5, rank))
    x = rng.standard_normal((2, groups * int(rng.integers(1, 4)), *spatial))
    w = rng.standard_normal((x.shape[1], int(rng.integers(1, 4)), *kernel))
    b = rng.standard_normal(w.shape[1] * groups)
    fn = (functional.conv_transpose1d, functional.conv_transpose2d, functional.conv_transpose3d)[rank - 1]
    full = fn(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b), stride=stride,
              output_padding=extra, dilation=dilation, groups=groups).numpy()
    # torch pads symmetrically: asymmetric crops are taken from its uncropped output
    padding = tuple((int(rng.integers(0, 3)), int(rng.integers(0, 3))) for _ in range(rank))
    padding = tuple((min(p0, f - 1), min(p1, f - 1 - min(p0, f - 1)))
                    for (p0, p1), f in zip(padding, full.shape[2:], strict=True))
    want = full[(slice(None), slice(None), *(slice(p0, f - p1) for (p0, p1), f in
                                             zip(padding, full.shape[2:], strict=True)))]
    attrs = {"stride": stride, "padding": padding, "output_padding": extra, "dilation": dilation,
             "groups": groups}
    got = conv_transpose(x, w, b, **attrs)
    assert got.shape == want.shape
    _, exact = conv_transpose_exact(x, w, b, **attrs)
    bound = _gamma_bound(x, w, b, attrs)
    assert np.all(np.abs(got - exact) <= bound) and np.all(np.abs(want - exact) <= 2 * bound)
    symmetric = tuple(min(p0, p1) for p0, p1 in padding)
    sym = fn(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b), stride=stride, padding=symmetric,
             output_padding=extra, dilation=dilation, groups=groups).numpy()
    got = conv_transpose(x, w, b, **{**attrs, "padding": tuple((p, p) for p in symmetric)})
    assert got.shape == sym.shape and np.allclose(got, sym, rtol=1e-12, atol=1e-12)
