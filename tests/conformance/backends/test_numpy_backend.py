import numpy as np
import pytest
from hypothesis import given, settings
from strategies import conv_cases, naive_conv, protocol_args

from convspec.conformance import run_vector
from convspec.conformance.backends.numpy import backend, conv
from convspec.conformance.outcomes import Outcome


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
