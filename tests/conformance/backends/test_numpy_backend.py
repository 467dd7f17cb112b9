import numpy as np
import pytest
from hypothesis import given, settings
from strategies import conv_cases, naive_conv, protocol_args

from convspec import reference
from convspec.conformance import resolve, run_vector
from convspec.conformance.backends.numpy import backend, conv, conv_transpose
from convspec.conformance.outcomes import Outcome
from convspec.conformance.tolerance import PROFILES


@settings(max_examples=150, deadline=None)
@given(conv_cases())
def test_agrees_with_the_definition_computed_by_loops(case):
    x, w, b, attrs = protocol_args(case)
    assert np.array_equal(conv(x, w, b, **attrs), naive_conv(x, w, b, **attrs))


def test_passes_every_vector_of_the_corpus(corpus):
    results = [run_vector(v, backend) for v in corpus]
    assert [r for r in results if r.outcome is not Outcome.PASS] == []


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_returns_the_input_dtype(dtype):
    x = np.ones((1, 1, 3, 3), dtype)
    out = conv(x, x, stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1), groups=1)
    assert out.dtype == dtype


def test_float16_is_accumulated_in_float32_and_rounded_once():
    # 2048 + 1 + 1 in float16 steps: 2048+1 rounds back to 2048 (spacing 2 there), twice -> 2048;
    # accumulated in float32 the sum is 2050, which float16 represents exactly.
    x = np.array([2048, 1, 1], np.float16).reshape(1, 3, 1)
    w = np.ones((1, 3, 1), np.float16)
    out = conv(x, w, stride=(1,), padding=((0, 0),), dilation=(1,), groups=1)
    assert out.item() == 2050


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"stride": (0, 1)}, ">= 1"), ({"groups": 2}, "groups"), ({"padding": ((0, -1), (0, 0))}, ">= 0"),
])
def test_rejects_invalid_calls(kwargs, message):
    attrs = {"stride": (1, 1), "padding": ((0, 0), (0, 0)), "dilation": (1, 1), "groups": 1}
    with pytest.raises(ValueError, match=message):
        conv(np.ones((1, 3, 4, 4)), np.ones((1, 3, 2, 2)), **{**attrs, **kwargs})


@pytest.mark.parametrize("name", ["numpy", "reference"])
@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_passes_every_conv_transpose_vector_under_every_profile(corpus, name, profile):
    transposes = [v for v in corpus if v.call.op == "conv_transpose"]
    assert transposes, "the corpus has no conv_transpose vectors"
    failing = [f"{r.vector_id}: {r.outcome.value} {r.reason}"
               for r in (run_vector(v, resolve(name), PROFILES[profile]) for v in transposes)
               if r.outcome is not Outcome.PASS]
    assert not failing, "\n".join(failing)


def test_conv_transpose_equals_the_reference_on_random_calls():
    rng = np.random.default_rng(7)
    for _ in range(60):
        rank = int(rng.integers(1, 4))
        groups = int(rng.integers(1, 3))
        stride, dilation = (tuple(int(v) for v in rng.integers(1, 4, rank)) for _ in range(2))
        output_padding = tuple(int(rng.integers(0, max(s, d))) for s, d in zip(stride, dilation, strict=True))
        x = rng.integers(-4, 5, (2, 2 * groups, *rng.integers(1, 5, rank))).astype(np.float64)
        w = rng.integers(-3, 4, (2 * groups, 2, *rng.integers(1, 4, rank))).astype(np.float64)
        full = [(n - 1) * s + d * (k - 1) + 1 + e for n, k, s, d, e in
                zip(x.shape[2:], w.shape[2:], stride, dilation, output_padding, strict=True)]
        padding = tuple((int(p0), int(rng.integers(0, n - p0))) for n, p0 in
                        ((n, rng.integers(0, n)) for n in full))
        attrs = {"stride": stride, "padding": padding, "output_padding": output_padding,
                 "dilation": dilation, "groups": groups}
        b = rng.integers(-5, 6, 2 * groups).astype(np.float64)
        assert np.array_equal(conv_transpose(x, w, b, **attrs), reference.conv_transpose(x, w, b, **attrs))


TRANSPOSE_1D = {"stride": (3,), "padding": ((0, 0),), "output_padding": (2,), "dilation": (2,), "groups": 1}


def test_conv_transpose_never_multiplies_the_stride_holes():
    # an infinite weight lands on positions 0, 3, 6 only; the holes and output_padding stay 0
    out = conv_transpose(np.array([[[1.0, 2.0, 3.0]]]), np.array([[[np.inf, 1.0]]]), **TRANSPOSE_1D)
    assert out.tolist() == [[[np.inf, 0, 1, np.inf, 0, 2, np.inf, 0, 3, 0, 0]]]


@pytest.mark.parametrize(("dtype", "result"), [
    (np.int8, np.int32), (np.uint8, np.int32), (np.int32, np.int64), (np.float16, np.float16)])
def test_conv_transpose_returns_conv_s_output_types(dtype, result):
    out = conv_transpose(np.ones((1, 1, 3), dtype), np.ones((1, 1, 2), dtype), **TRANSPOSE_1D)
    assert out.dtype == result


@pytest.mark.parametrize("changes", [
    {"stride": (0,)}, {"dilation": (0,)}, {"padding": ((0, -1),)}, {"padding": ((0, 0, 0),)},
    {"output_padding": (-1,)}, {"output_padding": (3,)}, {"output_padding": (2, 2)}, {"groups": 0},
    {"groups": 2}, {"padding": ((6, 6),)},
])
def test_conv_transpose_rejects_invalid_calls(changes):
    with pytest.raises(ValueError):
        conv_transpose(np.ones((1, 3, 3)), np.ones((3, 1, 2)), **{**TRANSPOSE_1D, **changes})


GRADIENTS = ("conv_grad_input", "conv_grad_weight", "conv_grad_bias")


@pytest.mark.parametrize("name", ["numpy", "reference", "scipy"])
@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_passes_every_gradient_vector_under_every_profile(corpus, name, profile):
    gradients = [v for v in corpus if v.call.op in GRADIENTS]
    assert {v.call.op for v in gradients} == set(GRADIENTS), "the corpus lacks gradient vectors"
    failing = [f"{r.vector_id}: {r.outcome.value} {r.reason}"
               for r in (run_vector(v, resolve(name), PROFILES[profile]) for v in gradients)
               if r.outcome is not Outcome.PASS]
    assert not failing, "\n".join(failing)


@pytest.mark.parametrize("name", ["numpy", "reference", "scipy"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gradients_equal_the_reference_on_small_integer_cases(check_gradient_translation, gradient_case,
                                                              name, dtype):
    check_gradient_translation(resolve(name), gradient_case, dtype)


def test_gradients_equal_the_reference_on_random_calls():
    # numpy and scipy compute dx, dw and db each its own way: exact against the reference on integers
    rng = np.random.default_rng(11)
    backends = [resolve("numpy").implementation, resolve("scipy").implementation]
    for _ in range(60):
        rank, groups = int(rng.integers(1, 4)), int(rng.integers(1, 3))
        stride, dilation, kernel = (tuple(int(v) for v in rng.integers(1, 4, rank)) for _ in range(3))
        padding = tuple((int(p0), int(p1)) for p0, p1 in rng.integers(0, 3, (rank, 2)))
        spatial = [max(d * (k - 1) + 1 - p0 - p1, 1) + int(rng.integers(0, 4))
                   for k, d, (p0, p1) in zip(kernel, dilation, padding, strict=True)]
        x = rng.integers(-4, 5, (int(rng.integers(1, 3)), 2 * groups, *spatial)).astype(np.float64)
        w = rng.integers(-3, 4, (groups * int(rng.integers(1, 3)), 2, *kernel)).astype(np.float64)
        attrs = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
        dy = rng.integers(-3, 4, reference.conv(x, w, **attrs).shape).astype(np.float64)
        for impl in backends:
            assert np.array_equal(impl.conv_grad_input(dy, w, input_shape=x.shape, **attrs),
                                  reference.conv_grad_input(dy, w, input_shape=x.shape, **attrs))
            assert np.array_equal(impl.conv_grad_weight(x, dy, kernel_shape=kernel, **attrs),
                                  reference.conv_grad_weight(x, dy, kernel_shape=kernel, **attrs))
            assert np.array_equal(impl.conv_grad_bias(dy), reference.conv_grad_bias(dy))


GRAD_1D = {"stride": (3,), "padding": ((1, 0),), "dilation": (1,), "groups": 1}


@pytest.mark.parametrize("name", ["numpy", "scipy"])
def test_unread_input_positions_get_exactly_zero_and_padding_is_multiplied(name):
    impl = resolve(name).implementation
    # input 6 padded (1, 0), kernel 2, stride 3: windows read padded 0-1 and 3-4, so input 2 and 5
    # are unread; an infinite weight must not make them NaN
    dx = impl.conv_grad_input(np.array([[[1.0, 2.0]]]), np.array([[[np.inf, 1.0]]]), input_shape=(1, 1, 6),
                              **GRAD_1D)
    assert dx.tolist() == [[[1.0, 0.0, np.inf, 2.0, 0.0, 0.0]]]
    # dw's first tap reads the padding's zero in the first window: 0 * inf is NaN, as conv's 0 * w
    dw = impl.conv_grad_weight(np.ones((1, 1, 6)), np.array([[[np.inf, 1.0]]]), kernel_shape=(2,), **GRAD_1D)
    assert np.isnan(dw[0, 0, 0]) and dw[0, 0, 1] == np.inf


@pytest.mark.parametrize("name", ["numpy", "scipy"])
@pytest.mark.parametrize("dtype", [np.float16, "bfloat16"])
def test_16_bit_gradients_are_accumulated_in_float32_and_rounded_once(name, dtype):
    import ml_dtypes

    dtype = np.dtype(ml_dtypes.bfloat16 if dtype == "bfloat16" else dtype)
    big = 2048 if dtype == np.float16 else 256  # each +1 rounds away in the 16-bit type
    impl = resolve(name).implementation
    dy = np.array([big, 1, 1], dtype).reshape(1, 1, 3)
    assert float(impl.conv_grad_bias(dy).item()) == big + 2
    dw = impl.conv_grad_weight(np.ones((1, 1, 3), dtype), dy, kernel_shape=(1,), stride=(1,),
                               padding=((0, 0),), dilation=(1,), groups=1)
    assert dw.dtype == dtype and float(dw.item()) == big + 2


@pytest.mark.parametrize("name", ["numpy", "scipy"])
@pytest.mark.parametrize(("op", "kwargs"), [
    ("conv_grad_input", {"input_shape": (1, 1, 7)}),  # conv of 7 gives 6 positions, dy has 5
    ("conv_grad_input", {"input_shape": (1, 1)}),
    ("conv_grad_input", {"input_shape": (1, 2, 6), "groups": 2}),  # w has 1 channel, O=1 not split
    ("conv_grad_weight", {"kernel_shape": (3,)}),  # conv of 6 with 3 taps gives 4 positions
    ("conv_grad_weight", {"kernel_shape": (2, 2)}),
    ("conv_grad_weight", {"kernel_shape": (0,)}),
    ("conv_grad_weight", {"kernel_shape": (2,), "stride": (0,)}),
    ("conv_grad_bias", {}),
])
def test_gradients_reject_invalid_calls(name, op, kwargs):
    impl = resolve(name).implementation
    attrs = {"stride": (1,), "padding": ((0, 0),), "dilation": (1,), "groups": 1}
    dy = np.ones((1, 1, 5))
    with pytest.raises(ValueError):
        if op == "conv_grad_input":
            impl.conv_grad_input(dy, np.ones((1, 1, 2)), **{**attrs, **kwargs})
        elif op == "conv_grad_weight":
            impl.conv_grad_weight(np.ones((1, 1, 6)), dy, **{**attrs, **kwargs})
        else:
            impl.conv_grad_bias(np.ones((1, 5)))


@pytest.mark.parametrize("name", ["numpy", "scipy"])
def test_gradients_are_float_only(name):
    impl = resolve(name).implementation
    with pytest.raises(ValueError, match="float"):
        impl.conv_grad_bias(np.ones((1, 1, 3), np.int8))
