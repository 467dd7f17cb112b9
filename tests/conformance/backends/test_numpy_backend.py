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
