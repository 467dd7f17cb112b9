"""The corpus keeps its `catches` claims, and each faulty backend makes exactly its one mistake.

The mistakes registry (convspec.conformance.mistakes) holds one deliberately wrong convolution per
mistake of spec/mistakes.yaml; tests/faulty/faulty_backends.py exposes them as backends. Every
vector that claims to catch a mistake must fail that backend; each faulty backend equals the
correct convolution on calls where its mistake cannot show, and differs from it on a call where
the mistake does show."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import conv_cases, protocol_args

from convspec import spec
from convspec.conformance import Backend, run_vector
from convspec.conformance.backends.numpy import conv as correct
from convspec.conformance.mistakes import registry
from convspec.conformance.outcomes import Outcome
from convspec.reference import ERROR_KINDS, ConvArgumentError, check_conv_arguments

MISTAKES = sorted(spec.mistakes())
# the tests below the corpus's run each faulty conv against the correct one: conv's mistakes only
CONV_MISTAKES = sorted(m for m, entry in registry().items() if entry.operator == "conv")
# output-padding is conv_transpose's kind, gradient-shape the gradients'
CONV_ERROR_KINDS = sorted(set(ERROR_KINDS) - {"output-padding", "gradient-shape"})

# Mistakes that no vector of the built-in corpus fails yet, marked strict xfail: a mistake listed
# here that a new vector catches turns the run red, so the entry is removed then. Empty: the
# corpus now fails every mistake at least once.
NOT_CAUGHT_YET: set[str] = set()

FUZZ = settings(max_examples=25, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


def faulty():
    return importlib.import_module("faulty_backends")


def function_name(mistake: str) -> str:
    return mistake.replace("-", "_")


def call(conv, case):
    x, w, b, attrs = case
    return conv(x.copy(), w.copy(), None if b is None else b.copy(), **attrs)


def same(got, expected) -> bool:
    got = np.asarray(got)
    return got.shape == expected.shape and got.dtype == expected.dtype and np.array_equal(got, expected)


# --- the registry and the module agree --------------------------------------------------------

def test_every_mistake_has_one_faulty_function_and_every_function_a_mistake(faulty_on_path):
    entries = registry()
    assert sorted(entries) == MISTAKES  # the registry refuses a mistake implemented twice
    module = faulty()
    assert sorted(module.ALL) == MISTAKES
    for mistake, entry in entries.items():
        function = entry.implementation
        assert function.__name__ == function_name(mistake)
        assert getattr(module, function_name(mistake)) is function is module.ALL[mistake]
        assert function.__doc__, f"{function.__name__} does not say what it gets wrong"
        assert entry.description == spec.mistakes()[mistake]


# --- the corpus catches every mistake, and every claim holds ------------------------------------

def _mistake_param(mistake: str):
    if mistake in NOT_CAUGHT_YET:
        return pytest.param(mistake, marks=pytest.mark.xfail(strict=True, reason="no vector catches it yet"))
    return mistake


@pytest.mark.parametrize("mistake", [_mistake_param(m) for m in MISTAKES])
def test_corpus_catches_the_mistake_in_every_vector_that_claims_it(mistake, corpus, faulty_on_path):
    backend = registry()[mistake].backend()  # a backend of the mistake's own operator
    claiming = [v for v in corpus if mistake in v.catches]
    assert claiming, f"no vector of the corpus claims to catch {mistake}"
    results = {v.id: run_vector(v, backend) for v in claiming}
    offenders = [f"{v.id}: {results[v.id].outcome} ({results[v.id].reason or 'no difference'})"
                 for v in claiming if results[v.id].outcome is not Outcome.FAIL]
    assert not offenders, (f"{len(offenders)} vector(s) claim to catch {mistake} but do not fail it:\n"
                           + "\n".join(offenders))


def test_kernel_flip_message_shows_got_60_expected_minus_60(corpus_by_id, faulty_on_path):
    result = run_vector(corpus_by_id["notes/convolution/minus-60"],
                        Backend(name="kernel-flip", implementation=faulty().kernel_flip))
    assert result.outcome is Outcome.FAIL
    assert "got 60, expected -60" in result.worst.describe()


# --- each faulty backend is otherwise correct ---------------------------------------------------
# A neutral version of a valid call is one on which the mistake cannot show: there the faulty
# backend must give exactly the correct result (same shape, dtype and values).

def _spatial(a):
    return tuple(range(2, a.ndim))


def _one_tap(x, w, b, a):
    return x, w[(slice(None), slice(None), *(slice(0, 1) for _ in _spatial(w)))], b, a


def _symmetric_kernel(x, w, b, a):
    return x, w + np.flip(w, axis=_spatial(w)), b, a


def _square_symmetric_kernel(x, w, b, a):
    if w.ndim >= 4:
        k = min(w.shape[-2:])
        w = w[..., :k, :k]
        w = w + np.swapaxes(w, -1, -2)
    return x, w, b, a


def _input_symmetric_under_reversed_axes(x, w, b, a):
    if x.ndim >= 4:
        size = max(x.shape[2], x.shape[-1])
        grow = [(0, 0)] * x.ndim
        grow[2], grow[-1] = (0, size - x.shape[2]), (0, size - x.shape[-1])
        x = np.pad(x, grow)
        x = x + np.transpose(x, (0, 1, *reversed(_spatial(x))))
    return x, w, b, a


def _one_channel_per_group(x, w, b, a):
    return x[:, ::w.shape[1]], w[:, :1], b, a


def _one_input_channel(x, w, b, a):
    return x[:, :1], w[:, :1], b, {**a, "groups": 1}


def _padding_moved_into_input(x, w, b, a):
    x = np.pad(x, [(0, 0), (0, 0), *a["padding"]])
    return x, w, b, {**a, "padding": ((0, 0),) * (x.ndim - 2)}


def _padding(rule):
    def neutral(x, w, b, a):
        return x, w, b, {**a, "padding": rule(a["padding"])}
    return neutral


def _zero_border(x, w, b, a):
    x = x.copy()
    for axis in _spatial(x):
        x[(slice(None),) * axis + (0,)] = 0
        x[(slice(None),) * axis + (-1,)] = 0
    return x, w, b, a


def _attribute(name, rule):
    def neutral(x, w, b, a):
        return x, w, b, {**a, name: rule(a[name])}
    return neutral


def _no_partial_window(x, w, b, a):
    pairs = []
    for axis, (p0, p1) in enumerate(a["padding"]):
        span = a["dilation"][axis] * (w.shape[2 + axis] - 1) + 1
        rest = (x.shape[2 + axis] + p0 + p1 - span) % a["stride"][axis]
        pairs.append((p0, p1 + (a["stride"][axis] - rest) % a["stride"][axis]))
    return x, w, b, {**a, "padding": tuple(pairs)}


def _one_output_channel_per_group(x, w, b, a):
    per_group = w.shape[0] // a["groups"]
    return x, w[::per_group], None if b is None else b[::per_group], a


def _first_group_only(x, w, b, a):
    return x[:, :w.shape[1]], w, b, {**a, "groups": 1}


def _no_bias(x, w, b, a):
    return x, w, None, a


def _batch_of_one(x, w, b, a):
    return x[:1], w, b, a


def _float64(x, w, b, a):
    return x.astype(np.float64), w.astype(np.float64), None if b is None else b.astype(np.float64), a


def _unchanged(x, w, b, a):
    return x, w, b, a


NEUTRAL = {
    "kernel-flip": _symmetric_kernel,
    "kernel-transposed": _square_symmetric_kernel,
    "axes-swapped": _input_symmetric_under_reversed_axes,
    "window-offset": _one_tap,
    "channels-not-summed": _one_channel_per_group,
    "padding-ignored": _padding_moved_into_input,
    "padding-one-side-only": _padding(lambda pairs: tuple((p0 + p1, 0) for p0, p1 in pairs)),
    "padding-wrong-side": _padding(lambda pairs: tuple((max(p), max(p)) for p in pairs)),
    "padding-axes-reversed": _padding(
        lambda pairs: ((max(p[0] for p in pairs), max(p[1] for p in pairs)),) * len(pairs)),
    "padding-nonzero": _zero_border,
    "stride-ignored": _attribute("stride", lambda s: (1,) * len(s)),
    "stride-axes-reversed": _attribute("stride", lambda s: (s[0],) * len(s)),
    "ceil-instead-of-floor": _no_partial_window,
    "output-size-off-by-one": _unchanged,  # always shows: compared with the last window dropped
    "dilation-ignored": _attribute("dilation", lambda d: (1,) * len(d)),
    "dilation-off-by-one": _one_tap,
    "dilation-on-input": _attribute("dilation", lambda d: (1,) * len(d)),
    "dilation-axes-reversed": _attribute("dilation", lambda d: (min(d),) * len(d)),
    "groups-interleaved": _one_output_channel_per_group,
    "groups-dense": _first_group_only,
    "bias-dropped": _no_bias,
    "bias-per-tap": _one_tap,
    "batch-first-only": _batch_of_one,
    "batch-channel-mixed": _batch_of_one,
    "layout-channels-last": _one_input_channel,
    "weight-io-swapped": _one_channel_per_group,
    "dtype-promoted": _float64,
    "accepts-invalid": _unchanged,
    # numeric mistakes cannot show on the small integers Hypothesis draws here
    "accumulate-half": _unchanged,
    "accumulate-float32-for-float64": _unchanged,
    "tf32-inputs": _unchanged,
    "int-accumulate-narrow": _unchanged,
    "zero-weights-skipped": _unchanged,
    "uint8-as-int8": _unchanged,
    "subnormals-flushed": _unchanged,
    "overflow-clamped": _unchanged,
    "bias-after-rounding": _unchanged,
}


def _expected(mistake, case):
    out = call(correct, case)
    if mistake == "output-size-off-by-one":
        out = out[(slice(None), slice(None), *(slice(0, n - 1) for n in out.shape[2:]))]
    return out


def test_every_mistake_has_a_neutral_call():
    assert sorted(NEUTRAL) == CONV_MISTAKES


@pytest.mark.parametrize("mistake", CONV_MISTAKES)
@FUZZ
@given(case=conv_cases(), dtype=st.sampled_from([np.float64, np.float32]))
def test_faulty_backend_is_correct_where_its_mistake_cannot_show(mistake, case, dtype, faulty_on_path):
    x, w, b, attrs = protocol_args(case)
    case = NEUTRAL[mistake](x.astype(dtype), w.astype(dtype), None if b is None else b.astype(dtype),
                            attrs)
    check_conv_arguments(*case[:3], **case[3])  # the neutral call is still a valid call
    assert same(call(faulty().ALL[mistake], case), _expected(mistake, case))


TWO_AXIS_MISTAKES = ["kernel-transposed", "axes-swapped", "padding-axes-reversed", "stride-axes-reversed",
                     "dilation-axes-reversed"]


@pytest.mark.parametrize("mistake", TWO_AXIS_MISTAKES)
@FUZZ
@given(case=conv_cases(max_rank=1))
def test_mistakes_between_spatial_axes_are_the_correct_conv_in_1d(mistake, case, faulty_on_path):
    case = protocol_args(case)
    assert same(call(faulty().ALL[mistake], case), call(correct, case))


@pytest.mark.parametrize("mistake", [m for m in CONV_MISTAKES if m != "accepts-invalid"])
@pytest.mark.parametrize("kind", CONV_ERROR_KINDS)
def test_faulty_backend_rejects_invalid_calls_as_the_correct_one_does(mistake, kind, faulty_on_path):
    for case in INVALID[kind]:
        with pytest.raises(ValueError):
            call(faulty().ALL[mistake], case)


# --- and each makes its mistake -----------------------------------------------------------------
# Designed calls on which every mistake shows: several batch items, channels and groups,
# a bias, a non-square kernel and input, per-axis strides, dilations and paddings that differ
# between the axes and between the two sides, a partial last window, float32.

def _showing_call(rank: int):
    rng = np.random.default_rng(rank)
    spatial = {1: (9,), 2: (8, 6), 3: (8, 6, 5)}[rank]
    kernel = {1: (3,), 2: (3, 2), 3: (3, 2, 2)}[rank]
    attrs = {"stride": (2, 1, 1)[:rank], "dilation": {1: (2,), 2: (1, 2), 3: (1, 2, 3)}[rank],
             "padding": ((2, 1),) if rank == 1 else ((2, 0), (1, 3), (0, 1))[:rank], "groups": 2}

    def values(*shape):
        return rng.integers(-4, 5, size=shape).astype(np.float32)

    return values(2, 4, *spatial), values(4, 2, *kernel), values(4) + 10, attrs


def _numeric(x, w, dtype, b=None):
    x = np.array(x).astype(dtype).reshape(1, 1, -1)
    w = np.array(w).astype(dtype).reshape(1, 1, -1)
    attrs = {"stride": (1,), "padding": ((0, 0),), "dilation": (1,), "groups": 1}
    return x, w, b, attrs


# A 1-D call per numeric mistake on which it shows, and what the correct result is.
NUMERIC_SHOWING = {
    "accumulate-half": _numeric([2048, 1, 1], [1, 1, 1], np.float16),  # 2050, not 2048
    "accumulate-float32-for-float64": _numeric([1 + 2.0**-40], [1], np.float64),
    "tf32-inputs": _numeric([1 + 2.0**-20], [1], np.float32),
    "int-accumulate-narrow": _numeric([-128] * 4, [-128] * 4, np.int8),  # 65536 wraps to 0 in int16
    "zero-weights-skipped": _numeric([np.nan, 1], [0, 1], np.float32),
    "uint8-as-int8": _numeric([200], [1], np.uint8),
    "subnormals-flushed": _numeric([1e-40], [1], np.float32),
    # -1 + 0.01564 rounds to -0.984375 in float16, so adding the bias 1 gives 0.015625, not 0.01564
    "bias-after-rounding": _numeric([-1, 1], [1, 0.0156402587890625], np.float16, b=np.ones(1, np.float16)),
    "overflow-clamped": _numeric([3e38, 3e38], [1, 1], np.float32),
}


def test_every_numeric_mistake_has_a_showing_call():
    assert set(NUMERIC_SHOWING) <= set(CONV_MISTAKES)
    assert set(NUMERIC_SHOWING) == {m for m in CONV_MISTAKES if NEUTRAL[m] is _unchanged} - {
        "output-size-off-by-one", "accepts-invalid"}


@pytest.mark.parametrize("mistake", sorted(NUMERIC_SHOWING))
def test_numeric_mistake_differs_from_the_correct_conv(mistake, faulty_on_path):
    case = NUMERIC_SHOWING[mistake]
    expected = call(correct, case)
    got = np.asarray(call(faulty().ALL[mistake], case))
    assert got.dtype == expected.dtype
    assert not np.array_equal(got, expected, equal_nan=True)


@pytest.mark.parametrize("rank", [1, 2, 3])
@pytest.mark.parametrize("mistake", [m for m in CONV_MISTAKES
                                     if m != "accepts-invalid" and m not in NUMERIC_SHOWING])
def test_faulty_backend_differs_from_the_correct_conv_where_its_mistake_shows(mistake, rank,
                                                                            faulty_on_path):
    case = _showing_call(rank)
    check_conv_arguments(*case[:3], **case[3])
    expected = call(correct, case)
    got = call(faulty().ALL[mistake], case)
    if rank == 1 and mistake in TWO_AXIS_MISTAKES:
        assert same(got, expected)  # nothing to exchange in 1-D
    else:
        assert not same(got, expected)


# --- accepts-invalid computes every kind of invalid call, and valid ones exactly ---------------

def _base(**change):
    x = np.arange(50, dtype=np.float32).reshape(1, 2, 5, 5)
    w = np.ones((2, 2, 3, 3), dtype=np.float32)
    b = np.array([1, 2], dtype=np.float32)
    attrs = {"stride": (1, 1), "padding": ((1, 1), (1, 1)), "dilation": (1, 1), "groups": 1}
    arrays = {"x": x, "w": w, "b": b}
    for name, value in change.items():
        if name in arrays:
            arrays[name] = value
        else:
            attrs[name] = value
    return arrays["x"], arrays["w"], arrays["b"], attrs


def _ones(*shape):
    return np.ones(shape, dtype=np.float32)


INVALID = {
    "rank": [_base(w=_ones(2, 2, 3)), _base(w=_ones(2, 2, 3, 3, 3)), _base(x=_ones(1, 2)),
             _base(x=_ones(1, 2, 3, 3, 3, 3), w=_ones(2, 2, 3, 3, 3, 3))],
    "attribute-length": [_base(stride=(1, 1, 1)), _base(dilation=(1,)), _base(padding=((1, 1),)),
                         _base(padding=((1, 1, 1), (1, 1)))],
    "stride": [_base(stride=(0, 1)), _base(stride=(1, -2))],
    "dilation": [_base(dilation=(0, 1)), _base(dilation=(-1, 2))],
    "padding": [_base(padding=((-1, 1), (1, 1))), _base(padding=((0, -9), (0, 0)))],
    "groups": [_base(groups=0), _base(groups=-2)],
    "groups-input-channels": [_base(x=_ones(1, 3, 5, 5), w=_ones(2, 1, 3, 3), groups=2)],
    "groups-output-channels": [_base(w=_ones(3, 1, 3, 3), b=_ones(3), groups=2),
                               _base(w=_ones(1, 1, 3, 3), b=_ones(1), groups=2)],
    "weight-channels": [_base(w=_ones(2, 1, 3, 3)), _base(w=_ones(2, 3, 3, 3))],
    "bias-shape": [_base(b=_ones(3)), _base(b=_ones(2, 1))],
    "output-size": [_base(x=_ones(1, 2, 2, 2), padding=((0, 0), (0, 0))),
                    _base(dilation=(3, 1), padding=((0, 0), (0, 0)))],
}


def test_every_kind_of_invalid_call_has_examples():
    assert sorted(INVALID) == CONV_ERROR_KINDS


@pytest.mark.parametrize("kind", sorted(INVALID))
def test_accepts_invalid_computes_every_kind_of_invalid_call(kind, faulty_on_path):
    for case in INVALID[kind]:
        with pytest.raises(ConvArgumentError) as rejected:
            check_conv_arguments(*case[:3], **case[3])
        assert rejected.value.kind == kind
        with pytest.raises(ValueError):
            call(correct, case)
        out = np.asarray(call(faulty().accepts_invalid, case))
        assert out.dtype.kind == "f" and out.ndim >= 3


BREAKERS = {
    "stride": lambda x, w, b, a, v: (x, w, b, {**a, "stride": (v, *a["stride"][1:])}),
    "dilation": lambda x, w, b, a, v: (x, w, b, {**a, "dilation": (*a["dilation"][:-1], v)}),
    "padding": lambda x, w, b, a, v: (x, w, b, {**a, "padding": ((a["padding"][0][0], v),
                                                               *a["padding"][1:])}),
    "groups": lambda x, w, b, a, v: (x, w, b, {**a, "groups": v + 1}),
    "input-channels": lambda x, w, b, a, v: (np.concatenate([x, x[:, :1]], axis=1), w, b, a),
    "weight-channels": lambda x, w, b, a, v: (x, np.concatenate([w, w[:, :1]], axis=1), b, a),
    "output-channels": lambda x, w, b, a, v: (x, w[:-1] if w.shape[0] > 1 else np.tile(w, (2, 1, 1, 1)),
                                              None, a),
    "bias": lambda x, w, b, a, v: (x, w, np.zeros(w.shape[0] + 1), a),
    "rank": lambda x, w, b, a, v: (x, w[..., 0] if w.ndim > 3 else w[..., None], b, a),
    "attribute-length": lambda x, w, b, a, v: (x, w, b, {**a, "stride": (*a["stride"], 1)}),
    "output-size": lambda x, w, b, a, v: (x[..., :1], np.concatenate([w] * 3, axis=-1), b,
                                          {**a, "padding": ((0, 0),) * (x.ndim - 2)}),
}


@FUZZ
@given(case=conv_cases(), breakers=st.lists(st.sampled_from(sorted(BREAKERS)), min_size=1, max_size=3,
                                            unique=True), value=st.integers(-3, 0))
def test_accepts_invalid_computes_broken_calls_and_valid_ones_exactly(case, breakers, value,
                                                                     faulty_on_path):
    accepts_invalid = faulty().accepts_invalid
    case = protocol_args(case)
    assert same(call(accepts_invalid, case), call(correct, case))
    x, w, b, attrs = case
    for name in breakers:
        x, w, b, attrs = BREAKERS[name](x, w, b, attrs, value)
    try:
        check_conv_arguments(x, w, b, **attrs)
    except ConvArgumentError:
        pass
    else:  # two breakers can cancel out (rank, then rank back): then the call must be correct
        assert same(call(accepts_invalid, (x, w, b, attrs)), call(correct, (x, w, b, attrs)))
        return
    assert np.asarray(call(accepts_invalid, (x, w, b, attrs))).ndim >= 3
