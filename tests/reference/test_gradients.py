"""The references for conv's gradients: fast against exact, the adjoint identities with conv, db, the
input positions no window reads, the padding decision under IEEE specials, every argument error,
PyTorch's and JAX's autograd, and the memory budget."""

from __future__ import annotations

import importlib
import math
import tracemalloc
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convspec.reference import (
    ERROR_KINDS,
    ConvArgumentError,
    check_conv_grad_input_arguments,
    check_conv_grad_weight_arguments,
    conv,
    conv_grad_bias,
    conv_grad_input,
    conv_grad_weight,
    output_size,
)
from convspec.reference.exact import conv_grad_bias_exact, conv_grad_input_exact, conv_grad_weight_exact

grad = importlib.import_module("convspec.reference.conv_grad")


# --- cases --------------------------------------------------------------------------------------

@st.composite
def grad_cases(draw, max_rank: int = 3, max_size: int = 5, integer_values: bool = True):
    """x, w, dy and conv's keyword arguments, small; any rank, stride, padding, dilation, groups."""
    rank = draw(st.integers(1, max_rank))
    groups = draw(st.integers(1, 3))
    cin, cout = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    batch = draw(st.integers(1, 2))
    kernel, stride, dilation, padding, spatial = [], [], [], [], []
    for _ in range(rank):
        k, s, d = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
        p0, p1 = draw(st.integers(0, 2)), draw(st.integers(0, 2))
        span = d * (k - 1) + 1
        n = draw(st.integers(max(1, span - p0 - p1), max(max_size, span)))
        kernel.append(k), stride.append(s), dilation.append(d), padding.append((p0, p1)), spatial.append(n)
    values = st.integers(-4, 4) if integer_values else st.floats(-4, 4, width=64)

    def tensor(shape):
        count = math.prod(shape)
        return np.array(draw(st.lists(values, min_size=count, max_size=count)),
                        dtype=np.float64).reshape(shape)

    attrs = {"stride": tuple(stride), "padding": tuple(padding), "dilation": tuple(dilation),
             "groups": groups}
    out = tuple(output_size(n, k, s, p, d) for n, k, s, p, d in
                zip(spatial, kernel, stride, padding, dilation, strict=True))
    x = tensor((batch, cin, *spatial))
    w = tensor((cout, cin // groups, *kernel))
    dy = tensor((batch, cout, *out))
    return x, w, dy, attrs


def grads(x, w, dy, attrs):
    dx = conv_grad_input(dy, w, input_shape=x.shape, **attrs)
    dw = conv_grad_weight(x, dy, kernel_shape=w.shape[2:], **attrs)
    return dx, dw


def exact_grads(x, w, dy, attrs):
    dx = conv_grad_input_exact(dy, w, input_shape=x.shape, **attrs)
    dw = conv_grad_weight_exact(x, dy, kernel_shape=w.shape[2:], **attrs)
    return dx, dw


def _attrs(rank, stride=1, pad=0, dilation=1, groups=1):
    return {"stride": (stride,) * rank, "padding": ((pad, pad),) * rank, "dilation": (dilation,) * rank,
            "groups": groups}


# --- fast against exact ---------------------------------------------------------------------------

@settings(max_examples=100, deadline=None)
@given(grad_cases())
def test_fast_equals_exact_on_integers(case):
    x, w, dy, attrs = case
    dx, dw = grads(x, w, dy, attrs)
    (_, ex), (_, ew) = exact_grads(x, w, dy, attrs)
    assert dx.shape == x.shape and dw.shape == w.shape
    assert dx.dtype == dw.dtype == np.float64
    np.testing.assert_array_equal(dx, ex)
    np.testing.assert_array_equal(dw, ew)


@settings(max_examples=60, deadline=None)
@given(grad_cases(integer_values=False))
def test_fast_is_within_gamma_n_of_exact_on_floats(case):
    x, w, dy, attrs = case
    dx, dw = grads(x, w, dy, attrs)
    (_, ex), (_, ew) = exact_grads(x, w, dy, attrs)
    # Higham: |error| <= gamma_n * sum |a|*|b|, n the terms of an element (bounded by the adjoint's)
    bx, bw = grads(np.abs(x), np.abs(w), np.abs(dy), attrs)
    n = dy.size + w.size + x.size
    gamma = n * 2.0**-53 / (1 - n * 2.0**-53)
    assert np.all(np.abs(dx - ex) <= gamma * bx + 1e-300)
    assert np.all(np.abs(dw - ew) <= gamma * bw + 1e-300)


@settings(max_examples=60, deadline=None)
@given(grad_cases(max_size=7), st.sampled_from([1, 512, 4096]))
def test_blocks_of_any_size_give_the_same_result(case, budget):
    x, w, dy, attrs = case
    whole = conv_grad_weight(x, dy, kernel_shape=w.shape[2:], **attrs)
    saved = grad.MAX_BLOCK_BYTES, grad.MIN_BLOCK_BYTES
    grad.MAX_BLOCK_BYTES, grad.MIN_BLOCK_BYTES = budget, 1
    try:
        blocked = conv_grad_weight(x, dy, kernel_shape=w.shape[2:], **attrs)
    finally:
        grad.MAX_BLOCK_BYTES, grad.MIN_BLOCK_BYTES = saved
    np.testing.assert_array_equal(blocked, whole)  # integers: exact in any order


@settings(max_examples=30, deadline=None)
@given(grad_cases(max_rank=2), st.data())
def test_exact_where_computes_exactly_the_chosen_elements(case, data):
    x, w, dy, attrs = case
    (_, ex), (_, ew) = exact_grads(x, w, dy, attrs)
    wx = np.array(data.draw(st.lists(st.booleans(), min_size=x.size, max_size=x.size))).reshape(x.shape)
    ww = np.array(data.draw(st.lists(st.booleans(), min_size=w.size, max_size=w.size))).reshape(w.shape)
    _, px = conv_grad_input_exact(dy, w, input_shape=x.shape, where=wx, **attrs)
    _, pw = conv_grad_weight_exact(x, dy, kernel_shape=w.shape[2:], where=ww, **attrs)
    np.testing.assert_array_equal(px[wx], ex[wx])
    np.testing.assert_array_equal(pw[ww], ew[ww])


# --- the adjoint identities and db ----------------------------------------------------------------

def _dot(a, b) -> int:
    return int(np.sum(a.astype(np.int64) * b.astype(np.int64)))


@settings(max_examples=100, deadline=None)
@given(grad_cases())
def test_adjoint_identities_exactly_on_integers(case):
    x, w, dy, attrs = case
    y = conv(x.astype(np.int64), w.astype(np.int64), **attrs)  # exact int64
    dx, dw = grads(x, w, dy, attrs)
    assert _dot(y, dy) == _dot(x, dx) == _dot(w, dw)


@settings(max_examples=50, deadline=None)
@given(grad_cases())
def test_bias_gradient_is_the_sum_of_dy(case):
    _, w, dy, _ = case
    db = conv_grad_bias(dy)
    assert db.shape == (w.shape[0],) and db.dtype == np.float64
    want = [sum(int(v) for v in dy[:, o].ravel()) for o in range(dy.shape[1])]
    np.testing.assert_array_equal(db, want)


def test_bias_gradient_rejects_a_bad_rank():
    with pytest.raises(ConvArgumentError) as info:
        conv_grad_bias(np.zeros((2, 3)))
    assert info.value.kind == "rank"


# --- positions no window reads, and the padding decision ------------------------------------------

@pytest.mark.parametrize("stride", [2, 3])
def test_input_positions_no_window_reads_get_exactly_zero(stride):
    # in = 8, k = 2, s = 3: windows read 0-1, 3-4, 6-7 and the floor drops nothing; in = 9 drops 8;
    # with s = 2, in = 8, k = 1: the odd positions are never read
    size, k = (9, 2) if stride == 3 else (8, 1)
    attrs = _attrs(1, stride=stride)
    out = output_size(size, k, stride)
    dy = np.full((1, 1, out), np.inf)
    w = np.full((1, 1, k), np.inf)
    dx = conv_grad_input(dy, w, input_shape=(1, 1, size), **attrs)
    read = np.zeros(size, dtype=bool)
    for i in range(out):
        read[i * stride:i * stride + k] = True
    assert not read.all()
    assert np.all(dx[0, 0, ~read] == 0) and not np.any(np.signbit(dx[0, 0, ~read]))
    assert np.all(dx[0, 0, read] == np.inf)
    _, ex = conv_grad_input_exact(dy, w, input_shape=(1, 1, size), **attrs)
    np.testing.assert_array_equal(dx, ex)


def test_floor_remainder_in_two_dimensions_with_groups():
    rng = np.random.default_rng(3)
    x = rng.integers(-3, 4, (2, 4, 8, 7)).astype(float)
    w = rng.integers(-3, 4, (2, 2, 3, 2)).astype(float)
    attrs = {"stride": (2, 3), "padding": ((0, 0), (1, 0)), "dilation": (1, 1), "groups": 2}
    dy = rng.integers(-3, 4, conv(x, w, **attrs).shape).astype(float)
    dx = conv_grad_input(dy, w, input_shape=x.shape, **attrs)
    # axis 0: (8 - 3) % 2 = 1 row dropped; axis 1: (7 + 1 - 2) % 3 = 0, none
    assert np.all(dx[:, :, 7, :] == 0)
    np.testing.assert_array_equal(dx, conv_grad_input_exact(dy, w, input_shape=x.shape, **attrs)[1])


def test_padding_zeros_multiply_dy_in_dw():
    # padding 1 on each side: output 0's window reads the padding zero at tap 0
    x = np.ones((1, 1, 3))
    attrs = _attrs(1, pad=1)
    dy = np.array([[[np.inf, 1.0, 1.0]]])
    dw = conv_grad_weight(x, dy, kernel_shape=(3,), **attrs)
    # tap 0 reads padding at output 0 (0 * inf = NaN); tap 1 reads x everywhere (inf); tap 2 reads
    # x at output 0 (inf) and padding only at output 2 (0 * 1)
    assert np.isnan(dw[0, 0, 0]) and dw[0, 0, 1] == np.inf and dw[0, 0, 2] == np.inf
    _, ew = conv_grad_weight_exact(x, dy, kernel_shape=(3,), **attrs)
    np.testing.assert_array_equal(dw, ew)
    # without the inf over padding, the padding contributes nothing
    dy = np.array([[[1.0, np.inf, 1.0]]])
    dw = conv_grad_weight(x, dy, kernel_shape=(3,), **attrs)
    assert np.all(dw == np.inf)


def test_dilation_holes_and_dropped_positions_are_no_products_in_dw():
    # k = 2, d = 3, s = 4, in = 9: windows read 0, 3 and 4, 7; positions 1, 2, 5, 6, 8 are never read
    x = np.array([[[1.0, np.inf, np.nan, 1.0, 1.0, -np.inf, np.nan, 1.0, np.nan]]])
    attrs = _attrs(1, stride=4, dilation=3)
    dy = np.ones((1, 1, output_size(9, 2, 4, (0, 0), 3)))
    dw = conv_grad_weight(x, dy, kernel_shape=(2,), **attrs)
    np.testing.assert_array_equal(dw, [[[2.0, 2.0]]])
    np.testing.assert_array_equal(dw, conv_grad_weight_exact(x, dy, kernel_shape=(2,), **attrs)[1])


@settings(max_examples=80, deadline=None)
@given(grad_cases(max_rank=2), st.data())
def test_special_values_match_the_exact_reference(case, data):
    x, w, dy, attrs = case
    specials = st.sampled_from([np.inf, -np.inf, np.nan, 0.0, 1.0])
    for a in (x, w, dy):
        for _ in range(data.draw(st.integers(0, 2))):
            a[tuple(data.draw(st.integers(0, n - 1)) for n in a.shape)] = data.draw(specials)
    dx, dw = grads(x, w, dy, attrs)
    (_, ex), (_, ew) = exact_grads(x, w, dy, attrs)
    np.testing.assert_array_equal(dx, ex)
    np.testing.assert_array_equal(dw, ew)


def test_integer_and_float32_inputs_give_float64():
    rng = np.random.default_rng(1)
    x, w = rng.integers(-5, 6, (2, 3, 6)), rng.integers(-5, 6, (4, 3, 3))
    attrs = _attrs(1, stride=2, pad=1)
    dy = rng.integers(-5, 6, conv(x, w, **attrs).shape)
    for cast in (np.int32, np.float32, np.int64):
        dx, dw = grads(x.astype(cast), w.astype(cast), dy.astype(cast), attrs)
        assert dx.dtype == dw.dtype == conv_grad_bias(dy.astype(cast)).dtype == np.float64
        np.testing.assert_array_equal(dx, conv_grad_input_exact(dy, w, input_shape=x.shape, **attrs)[1])
        np.testing.assert_array_equal(dw, conv_grad_weight_exact(x, dy, kernel_shape=(3,), **attrs)[1])


def test_inputs_are_not_modified_and_views_work():
    rng = np.random.default_rng(2)
    big = rng.standard_normal((2, 4, 12, 10))
    x = big[:, ::2, ::2, 1:]  # strided, not contiguous
    w = rng.standard_normal((4, 2, 3, 3))
    attrs = _attrs(2, stride=1, pad=1)
    dy = rng.standard_normal(conv(x, w, **attrs).shape).transpose(0, 1, 3, 2).copy().transpose(0, 1, 3, 2)
    copies = [a.copy() for a in (big, w, dy)]
    dx, dw = grads(x, w, dy, attrs)
    dx2, dw2 = grads(np.ascontiguousarray(x), w, np.ascontiguousarray(dy), attrs)
    np.testing.assert_allclose(dx, dx2, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(dw, dw2, rtol=1e-13, atol=1e-13)
    for a, b in zip((big, w, dy), copies, strict=True):
        np.testing.assert_array_equal(a, b)


# --- argument errors ------------------------------------------------------------------------------

X, W = (2, 4, 6, 6), (6, 2, 3, 3)
GOOD = _attrs(2, stride=2, pad=1, groups=2)
DY = (2, 6, 3, 3)

# kind -> (x shape or input_shape, w shape, dy shape, attributes) of a grad_input call and a grad_weight call
INVALID = {
    "rank": [(X, W, (2, 6, 3), GOOD), (X, W, (2, 6, 3, 3, 1, 1), GOOD)],
    "attribute-length": [(X, W, DY, {**GOOD, "stride": (2,)}),
                         (X, W, DY, {**GOOD, "padding": ((1, 1, 1), (1, 1))})],
    "stride": [(X, W, DY, {**GOOD, "stride": (0, 2)})],
    "dilation": [(X, W, DY, {**GOOD, "dilation": (1, 0)})],
    "padding": [(X, W, DY, {**GOOD, "padding": ((1, -1), (1, 1))})],
    "groups": [(X, W, DY, {**GOOD, "groups": 0})],
    "groups-input-channels": [(X, W, DY, {**GOOD, "groups": 3})],
    "groups-output-channels": [((2, 4, 6, 6), (5, 2, 3, 3), (2, 5, 3, 3), GOOD)],
    "output-size": [((2, 4, 1, 6), (6, 2, 5, 3), (2, 6, 1, 3), GOOD)],
    "gradient-shape": [(X, W, (2, 6, 4, 3), GOOD), (X, W, (1, 6, 3, 3), GOOD), (X, W, (2, 6, 3, 2), GOOD)],
}


def _input_call(x_shape, w_shape, dy_shape, attrs):
    check_conv_grad_input_arguments(np.zeros(dy_shape), np.zeros(w_shape), input_shape=x_shape, **attrs)


def _weight_call(x_shape, w_shape, dy_shape, attrs):
    check_conv_grad_weight_arguments(np.zeros(x_shape), np.zeros(dy_shape), kernel_shape=w_shape[2:], **attrs)


def test_the_valid_call_is_valid():
    _input_call(X, W, DY, GOOD)
    _weight_call(X, W, DY, GOOD)


def test_every_kind_that_applies_has_examples():
    # weight-channels cannot occur in grad_weight (w is built from x) and output-padding is conv_transpose's
    assert set(INVALID) == set(ERROR_KINDS) - {"weight-channels", "bias-shape", "output-padding"}


@pytest.mark.parametrize("kind", sorted(INVALID))
def test_each_invalid_call_raises_its_kind(kind):
    for case in INVALID[kind]:
        for call in (_input_call, _weight_call):
            with pytest.raises(ConvArgumentError) as info:
                call(*case)
            assert info.value.kind == kind, (call.__name__, case, info.value)


def test_kind_specific_to_each_gradient():
    # grad_input: w's channels wrong for C/groups; input_shape of the wrong length or with a 0; dy's
    # channels not w's O (in grad_weight, O is dy's channels by definition)
    with pytest.raises(ConvArgumentError) as info:
        _input_call(X, W, (2, 4, 3, 3), GOOD)
    assert info.value.kind == "gradient-shape"
    with pytest.raises(ConvArgumentError) as info:
        _input_call(X, (6, 3, 3, 3), DY, GOOD)
    assert info.value.kind == "weight-channels"
    for shape in ((2, 4, 6), (2, 4, 6, 0)):
        with pytest.raises(ConvArgumentError) as info:
            _input_call(shape, W, DY, GOOD)
        assert info.value.kind == "gradient-shape"
    # rank: w's rank differs from dy's; dy's from x's
    with pytest.raises(ConvArgumentError) as info:
        _input_call(X, (6, 2, 3), DY, GOOD)
    assert info.value.kind == "rank"
    with pytest.raises(ConvArgumentError) as info:
        _input_call(X, W, (2, 6, 3, 3, 1), GOOD)
    assert info.value.kind == "rank"
    with pytest.raises(ConvArgumentError) as info:
        _weight_call(X, W, (2, 6, 3, 3, 1), GOOD)
    assert info.value.kind == "rank"
    # grad_weight: kernel_shape of the wrong length, or an entry below 1
    for kernel in ((3,), (3, 3, 3), (3, 0)):
        with pytest.raises(ConvArgumentError) as info:
            check_conv_grad_weight_arguments(np.zeros(X), np.zeros(DY), kernel_shape=kernel, **GOOD)
        assert info.value.kind == "gradient-shape"


def test_the_functions_check_their_arguments():
    with pytest.raises(ConvArgumentError) as info:
        conv_grad_input(np.zeros((2, 6, 4, 3)), np.zeros(W), input_shape=X, **GOOD)
    assert info.value.kind == "gradient-shape"
    with pytest.raises(ConvArgumentError) as info:
        conv_grad_weight(np.zeros(X), np.zeros((2, 6, 4, 3)), kernel_shape=(3, 3), **GOOD)
    assert info.value.kind == "gradient-shape"
    with pytest.raises(ConvArgumentError) as info:
        conv_grad_weight(np.zeros(X), np.zeros(DY), kernel_shape=(3, 3), **{**GOOD, "stride": (0, 2)})
    assert info.value.kind == "stride"


# --- PyTorch and JAX autograd ---------------------------------------------------------------------

def _random_case(rank, seed, symmetric):
    rng = np.random.default_rng(1000 * rank + seed)
    groups = int(rng.integers(1, 4))
    kernel = tuple(int(k) for k in rng.integers(1, 4, rank))
    stride = tuple(int(s) for s in rng.integers(1, 4, rank))
    dilation = tuple(int(d) for d in rng.integers(1, 3, rank))
    padding = tuple((p, p) if symmetric else (p, int(rng.integers(0, 3))) for p in rng.integers(0, 3, rank))
    spatial = tuple(int(d * (k - 1) + 1 + rng.integers(0, 6 if rank < 3 else 4))
                    for k, d in zip(kernel, dilation, strict=True))
    x = rng.standard_normal((2, groups * int(rng.integers(1, 3)), *spatial))
    w = rng.standard_normal((groups * int(rng.integers(1, 3)), x.shape[1] // groups, *kernel))
    attrs = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
    dy = rng.standard_normal(conv(x, w, **attrs).shape)
    return x, w, dy, attrs


@pytest.mark.parametrize("rank", [1, 2, 3])
@pytest.mark.parametrize("seed", range(6))
def test_agrees_with_torch_autograd_float64(rank, seed):
    torch = pytest.importorskip("torch")
    functional = torch.nn.functional
    x, w, dy, attrs = _random_case(rank, seed, symmetric=seed % 2 == 0)
    fn = (functional.conv1d, functional.conv2d, functional.conv3d)[rank - 1]
    # torch pads symmetrically: pad explicitly (F.pad takes the last axis first), then no padding
    flat = [v for pair in reversed(attrs["padding"]) for v in pair]
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    tb = torch.zeros(w.shape[0], dtype=torch.float64, requires_grad=True)
    y = fn(functional.pad(tx, flat), tw, tb, stride=attrs["stride"], dilation=attrs["dilation"],
           groups=attrs["groups"])
    y.backward(torch.tensor(dy))
    dx, dw = grads(x, w, dy, attrs)
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dw, tw.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(conv_grad_bias(dy), tb.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("rank", [1, 2, 3])
@pytest.mark.parametrize("seed", range(6))
def test_agrees_with_jax_vjp_float64(rank, seed):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    from jax import lax

    x, w, dy, attrs = _random_case(rank, seed, symmetric=False)
    letters = "DHW"[3 - rank:]
    numbers = lax.conv_dimension_numbers(x.shape, w.shape, (f"NC{letters}", f"OI{letters}", f"NC{letters}"))

    def forward(a, b):
        return lax.conv_general_dilated(a, b, window_strides=attrs["stride"], padding=attrs["padding"],
                                        rhs_dilation=attrs["dilation"], dimension_numbers=numbers,
                                        feature_group_count=attrs["groups"],
                                        precision=lax.Precision.HIGHEST)

    y, vjp = jax.vjp(forward, x, w)
    assert y.shape == dy.shape and y.dtype == np.float64
    jx, jw = vjp(dy)
    dx, dw = grads(x, w, dy, attrs)
    np.testing.assert_allclose(dx, np.asarray(jx), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dw, np.asarray(jw), rtol=1e-12, atol=1e-12)


# --- memory ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("x_shape", "w_shape", "stride", "pad", "groups"), [
    ((2, 32, 40, 40), (32, 32, 3, 3), 1, 1, 1),
    ((1, 64, 28, 28), (128, 64, 3, 3), 2, 1, 1),
    ((4, 16, 30, 30), (16, 1, 5, 5), 1, 2, 16),
    ((2, 64, 30, 30), (32, 64, 1, 1), 1, 0, 1),
    ((1, 8, 12, 16, 16), (8, 8, 3, 3, 3), 1, 1, 1),
    ((4, 32, 512), (32, 32, 7), 2, 3, 1),
])
def test_peak_memory_within_three_times_output_plus_inputs(x_shape, w_shape, stride, pad, groups):
    rng = np.random.default_rng(0)
    attrs = _attrs(len(x_shape) - 2, stride=stride, pad=pad, groups=groups)
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    dy = rng.standard_normal(conv(x, w, **attrs).shape)
    for name, call, inputs in (
            ("input", lambda: conv_grad_input(dy, w, input_shape=x.shape, **attrs), dy.nbytes + w.nbytes),
            ("weight", lambda: conv_grad_weight(x, dy, kernel_shape=w.shape[2:], **attrs),
             x.nbytes + dy.nbytes)):
        tracemalloc.start()
        try:
            out = call()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak <= 3 * (out.nbytes + inputs), (name, peak, out.nbytes + inputs)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 5), st.integers(0, 2**31))
def test_the_exact_bias_gradient_is_the_sum_rounded_once(n, o, width, seed):
    dy = np.random.default_rng(seed).normal(size=(n, o, width))
    fractions, rounded = conv_grad_bias_exact(dy)
    for channel in range(o):
        want = sum(Fraction(float(v)) for v in dy[:, channel].ravel())
        assert fractions[channel] == want and rounded[channel] == float(want)


def test_the_exact_bias_gradient_survives_a_partial_sum_that_overflows():
    dy = np.array([1e308, 1e308, -1e308, 2.0]).reshape(1, 1, 4)
    assert np.isinf(conv_grad_bias(dy)).all()  # float64 in this order overflows
    assert conv_grad_bias_exact(dy)[1].tolist() == [1e308 + 2.0]
    assert conv_grad_bias_exact(np.array([np.inf, -np.inf]).reshape(1, 1, 2))[1][0] != 0  # NaN
