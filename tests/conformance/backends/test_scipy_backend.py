import ast
import inspect

import ml_dtypes
import numpy as np
import pytest

import convspec.conformance.backends.scipy as scipy_backend
from convspec.conformance import run_vector
from convspec.conformance.backends.scipy import _pieces, backend, conv, conv_transpose, pad
from convspec.conformance.outcomes import Outcome
from convspec.conformance.tolerance import PROFILES

PACKAGE = "convspec.conformance.backends"


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_passes_every_vector_of_the_corpus(corpus, profile):
    failing = [f"{r.vector_id}: {r.outcome.value} {r.reason}"
               for r in (run_vector(v, backend, PROFILES[profile]) for v in corpus)
               if r.outcome is not Outcome.PASS]
    assert not failing, "\n".join(failing)


def _imported_modules(source: str) -> set[str]:
    """Fully qualified names of what the module imports (relative imports resolved in PACKAGE)."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = PACKAGE.split(".")[:len(PACKAGE.split(".")) - (node.level - 1)]
                base = ".".join(parent + ([base] if base else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)  # `from . import numpy`
    return names


def test_is_built_on_scipy_signal_and_independent_of_the_reference_and_numpy_backend():
    imports = _imported_modules(inspect.getsource(scipy_backend))
    assert "scipy.signal" in imports
    forbidden = ("convspec.reference", f"{PACKAGE}.numpy", f"{PACKAGE}.reference")
    assert not [m for m in imports if m.startswith(forbidden)], imports


ATTRS_1D = {"stride": (2,), "padding": ((1, 3),), "dilation": (2,), "groups": 2}


def test_grouped_strided_dilated_asymmetric_call_equals_the_hand_computed_result():
    # channel 0 padded (1 before, 3 after): [0, 1, 2, 3, 4, 5, 0, 0, 0]; group 0's kernel [1, 3]
    # with dilation 2 reads xp[i] + 3*xp[i+2] at i = 0, 2, 4, 6 (stride 2): 6, 14, 4, 0 (+100).
    # channel 1 padded: [0, 10, 20, 30, 40, 50, 0, 0, 0]; kernel [2, 1]: 20, 80, 80, 0 (+0.5).
    x = np.array([[[1, 2, 3, 4, 5], [10, 20, 30, 40, 50]]], np.float64)
    w = np.array([[[1, 3]], [[2, 1]]], np.float64)
    out = conv(x, w, np.array([100, 0.5]), **ATTRS_1D)
    assert out.dtype == np.float64
    assert out.tolist() == [[[106, 114, 104, 100], [20.5, 80.5, 80.5, 0.5]]]


def test_dilation_holes_are_not_multiplied_but_padding_is():
    x = np.array([[[1.0, np.inf, 2.0]]])
    w = np.ones((1, 1, 2))
    # the inf sits in the hole between the two taps: 1 + 2, not 0 * inf
    assert conv(x, w, stride=(1,), padding=((0, 0),), dilation=(2,), groups=1).tolist() == [[[3.0]]]
    # an infinite weight over a padded zero: 0 * inf is NaN
    wi = np.array([[[np.inf, 1.0]]])
    out = conv(np.ones((1, 1, 1)), wi, stride=(1,), padding=((1, 0),), dilation=(1,), groups=1)
    assert np.isnan(out).all()


@pytest.mark.parametrize("dtype", [np.float16, ml_dtypes.bfloat16])
def test_16_bit_floats_are_accumulated_in_float32_and_rounded_once(dtype):
    # 256 + 1 + 1: in bfloat16 (and float16 at 2048) each +1 rounds away; in float32 it does not.
    big = 2048 if dtype is np.float16 else 256
    x = np.array([big, 1, 1], dtype).reshape(1, 3, 1)
    out = conv(x, np.ones((1, 3, 1), dtype), stride=(1,), padding=((0, 0),), dilation=(1,), groups=1)
    assert out.dtype == np.dtype(dtype) and float(out.item()) == big + 2


@pytest.mark.parametrize(("dtype", "result"),
                         [(np.int8, np.int32), (np.uint8, np.int32), (np.int32, np.int64)])
def test_integers_are_exact_and_widened(dtype, result):
    value = min(int(np.iinfo(dtype).max), 2**29)  # 16 * value**2 stays below 2**63 (the spec's limit)
    x = np.full((1, 4, 3, 3), value, dtype)
    out = conv(x, x[:, :, :2, :2], np.array([7], result), stride=(1, 1), padding=((0, 0), (0, 0)),
               dilation=(1, 1), groups=1)
    assert out.dtype == result and (out == 16 * value**2 + 7).all()


def test_pad_is_zero_padding_into_a_new_array():
    x = np.arange(1, 5, dtype=np.float32).reshape(1, 1, 2, 2)
    out = pad(x, ((0, 1), (2, 0)))
    assert out.dtype == np.float32 and not np.shares_memory(out, x)
    assert out.tolist() == [[[[0, 0, 1, 2], [0, 0, 3, 4], [0, 0, 0, 0]]]]


GOOD = {"stride": (1, 1), "padding": ((0, 0), (0, 0)), "dilation": (1, 1), "groups": 1}


@pytest.mark.parametrize(("x", "w", "b", "changes"), [
    ((1, 3, 4), (1, 3, 4, 4), None, {}),  # rank
    ((1, 2, 4, 4), (1, 2, 2, 2), None, {"stride": (1,)}),  # attribute-length
    ((1, 2, 4, 4), (1, 2, 2, 2), None, {"padding": ((0, 0, 0), (0, 0))}),  # attribute-length
    ((1, 2, 4, 4), (1, 2, 2, 2), None, {"stride": (1, 0)}),  # stride
    ((1, 2, 4, 4), (1, 2, 2, 2), None, {"dilation": (0, 1)}),  # dilation
    ((1, 2, 4, 4), (1, 2, 2, 2), None, {"padding": ((0, -1), (0, 0))}),  # padding
    ((1, 2, 4, 4), (1, 2, 2, 2), None, {"groups": 0}),  # groups
    ((1, 3, 4, 4), (2, 1, 2, 2), None, {"groups": 2}),  # groups-input-channels
    ((1, 2, 4, 4), (3, 1, 2, 2), None, {"groups": 2}),  # groups-output-channels
    ((1, 4, 4, 4), (2, 4, 2, 2), None, {"groups": 2}),  # weight-channels
    ((1, 2, 4, 4), (1, 2, 2, 2), (2,), {}),  # bias-shape
    ((1, 2, 4, 4), (1, 2, 5, 2), None, {}),  # output-size
])
def test_rejects_every_kind_of_invalid_call(x, w, b, changes):
    bias = None if b is None else np.zeros(b)
    with pytest.raises(ValueError):
        conv(np.ones(x), np.ones(w), bias, **{**GOOD, **changes})


def test_is_a_built_in_backend_run_in_process():
    from convspec.conformance.backends import resolve
    from convspec.conformance.session import Session

    assert resolve("scipy") is backend
    assert Session.open("scipy").isolation == "none"


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_passes_every_conv_transpose_vector_under_every_profile(corpus, profile):
    transposes = [v for v in corpus if v.call.op == "conv_transpose"]
    assert transposes, "the corpus has no conv_transpose vectors"
    failing = [f"{r.vector_id}: {r.outcome.value} {r.reason}"
               for r in (run_vector(v, backend, PROFILES[profile]) for v in transposes)
               if r.outcome is not Outcome.PASS]
    assert not failing, "\n".join(failing)


@pytest.mark.parametrize(("n", "k"), [(5, 3), (3, 5), (1, 4), (4, 1), (2, 2)])
def test_the_full_convolution_splits_into_valid_pieces_covering_each_output_once(n, k):
    covered = []
    for first, count, xs, ws in _pieces(n, k):
        x_len, w_len = len(range(n)[xs]), len(range(k)[ws])
        assert x_len >= w_len and x_len - w_len + 1 == count  # "valid" mode, x never padded
        covered += range(first, first + count)
    assert covered == list(range(n + k - 1))


def test_conv_transpose_by_hand():
    # stride 2, dilation 3 (phases: taps by k mod 2, inputs by i mod 3): x = [1, 2, 10], w = [1, 100]
    # 1 lands at 0 and 3, 2 at 2 and 5, 10 at 4 and 7 (times 1 and 100); output_padding 1, crop (1, 0)
    out = conv_transpose(np.array([[[1.0, 2, 10]]]), np.array([[[1.0, 100]]]), np.array([0.5]),
                         stride=(2,), padding=((1, 0),), output_padding=(1,), dilation=(3,), groups=1)
    assert out.tolist() == [[[0.5, 2.5, 100.5, 10.5, 200.5, 0.5, 1000.5, 0.5]]]


def test_conv_transpose_forms_only_real_products():
    # inf weights over the stride's holes and output_padding, and an inf input under dilation gaps
    out = conv_transpose(np.array([[[1.0, 2.0, 3.0]]]), np.array([[[np.inf, 1.0]]]), stride=(3,),
                         padding=((0, 0),), output_padding=(2,), dilation=(2,), groups=1)
    assert out.tolist() == [[[np.inf, 0, 1, np.inf, 0, 2, np.inf, 0, 3, 0, 0]]]
    out = conv_transpose(np.array([[[1.0, np.inf, 3.0]]]), np.array([[[2.0, 1.0]]]), stride=(1,),
                         padding=((0, 0),), output_padding=(1,), dilation=(3,), groups=1)
    assert out.tolist() == [[[2, np.inf, 6, 1, np.inf, 3, 0]]]


@pytest.mark.parametrize(("dtype", "result"),
                         [(np.int8, np.int32), (np.uint8, np.int32), (np.int32, np.int64),
                          (np.float16, np.float16), (ml_dtypes.bfloat16, ml_dtypes.bfloat16)])
def test_conv_transpose_types_are_conv_s(dtype, result):
    out = conv_transpose(np.ones((1, 2, 3), dtype), np.ones((2, 1, 2), dtype), np.ones(2, result),
                         stride=(2,), padding=((1, 0),), output_padding=(1,), dilation=(1,), groups=2)
    # full [1, 1, 1, 1, 1, 1, 0] per channel (the last the output_padding), cropped (1, 0), + 1
    assert out.dtype == result and out.tolist() == [[[2, 2, 2, 2, 2, 1]] * 2]


@pytest.mark.parametrize("changes", [
    {"stride": (0,)}, {"dilation": (0,)}, {"padding": ((0, -1),)}, {"padding": ((0, 0, 0),)},
    {"output_padding": (-1,)}, {"output_padding": (3,)}, {"output_padding": (2, 2)}, {"groups": 0},
    {"groups": 2}, {"padding": ((6, 6),)},
])
def test_conv_transpose_rejects_every_kind_of_invalid_call(changes):
    attrs = {"stride": (3,), "padding": ((0, 0),), "output_padding": (2,), "dilation": (2,), "groups": 1}
    with pytest.raises(ValueError):
        conv_transpose(np.ones((1, 3, 3)), np.ones((3, 1, 2)), **{**attrs, **changes})
