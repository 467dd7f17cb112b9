import math

import numpy as np
import pytest

from convspec.conformance import Backend, Vector, run, run_vector, select
from convspec.conformance.backends.numpy import conv as numpy_conv
from convspec.conformance.dtypes import is_float
from convspec.conformance.outcomes import Outcome
from convspec.conformance.runner import SNAPSHOT_BYTES, apply_expected_failures


def _vector(corpus_by_id, vid="notes/convolution/minus-60"):
    return corpus_by_id[vid]


def test_select_by_substring_glob_and_tag(corpus):
    assert {v.id for v in select(corpus, "minus-60")} == {
        "notes/convolution/minus-60", "notes/convolution/minus-60-float64",
        "notes/convolution/minus-60-float16"}
    assert [v.id for v in select(corpus, "notes/*/minus-60")] == ["notes/convolution/minus-60"]
    padded = select(corpus, tags=["padding"])
    assert padded and all("padding" in v.tags for v in padded)
    assert select(corpus, "minus-60", tags=["padding"]) == []


def test_a_raising_backend_is_an_error_with_type_and_message(corpus_by_id):
    def boom(*args, **kwargs):
        raise RuntimeError("no kernel for this shape")

    result = run_vector(_vector(corpus_by_id), Backend(name="boom", implementation=boom))
    assert result.outcome is Outcome.ERROR
    assert result.reason == "RuntimeError: no kernel for this shape"


def test_declared_capabilities_make_vectors_unsupported(corpus_by_id):
    backend = Backend(name="f32only", implementation=numpy_conv, dtypes=frozenset({"float32"}))
    assert run_vector(_vector(corpus_by_id), backend).outcome is Outcome.PASS
    result = run_vector(_vector(corpus_by_id, "notes/convolution/minus-60-float16"), backend)
    assert result.outcome is Outcome.UNSUPPORTED and "float16" in result.reason


def test_pad_vectors_run_through_conv_when_the_backend_has_no_pad(corpus_by_id):
    calls = []

    def conv(x, w, b=None, **kw):
        calls.append(kw)
        return numpy_conv(x, w, b, **kw)

    result = run_vector(_vector(corpus_by_id, "notes/padding/8x8-to-10x10"),
                        Backend(name="conv-only", implementation=conv))
    assert result.outcome is Outcome.PASS
    assert calls == [{"stride": (1, 1), "padding": ((1, 1), (1, 1)), "dilation": (1, 1),
                      "groups": 1}]


def test_a_backend_mutating_its_inputs_fails_and_cannot_change_the_expected_values(corpus_by_id):
    def clobber(x, w, b=None, **kw):
        out = numpy_conv(x, w, b, **kw)
        w[...] = 0
        return out

    vector = _vector(corpus_by_id, "notes/output-size/5x5-f3-s1-p0")  # expected from the reference
    result = run_vector(vector, Backend(name="clobber", implementation=clobber))
    assert result.outcome is Outcome.FAIL and result.reason == "the backend modified its input w"


def _above_snapshot_size() -> Vector:
    """A vector whose x is too large to be kept as a copy: the runner keeps only its digest."""
    side = math.isqrt(SNAPSHOT_BYTES // 8) + 1
    return Vector.from_mapping({
        "id": "test/large-x", "title": "x above the snapshot size", "source": "tests", "catches": [],
        "op": "conv", "dtype": "float64",
        "inputs": {"x": {"shape": [1, 1, side, side], "generate": {"kind": "arange", "start": -50.0}},
                   "w": {"shape": [1, 1, 1, 1], "generate": {"kind": "arange", "start": -2.0}}},
        "expected": {"shape": [1, 1, side, side]}})


def _touch_one(x, w, b=None, **kw):
    out = numpy_conv(x, w, b, **kw)
    x[0, 0, -1, -1] += 1  # one element of a large input, after computing
    return out


def _reshape_in_place(x, w, b=None, **kw):
    out = numpy_conv(x, w, b, **kw)
    x.shape = (1, 1, x.size)  # the same bytes, seen as a 1-D input
    return out


@pytest.mark.parametrize("conv", [_touch_one, _reshape_in_place])
def test_a_backend_changing_a_large_input_fails_though_no_copy_of_it_was_kept(conv):
    vector = _above_snapshot_size()
    assert sum(a.nbytes for a in vector.arrays().values()) > SNAPSHOT_BYTES
    assert run_vector(vector, Backend(name="ok", implementation=numpy_conv)).outcome is Outcome.PASS
    result = run_vector(vector, Backend(name=conv.__name__, implementation=conv))
    assert (result.outcome, result.reason) == (Outcome.FAIL, "the backend modified its input x")


def test_an_output_that_reads_the_inputs_when_judged_sees_them_unchanged(corpus_by_id):
    class Deferred:  # computes when NumPy converts it: after the runner has taken what it needs
        def __init__(self, args, kwargs):
            self.args, self.kwargs = args, kwargs

        def __array__(self, dtype=None, copy=None):
            return numpy_conv(*self.args, **self.kwargs)

    vector = _vector(corpus_by_id)  # the -60: negative weights, so |w| for w would change the result
    result = run_vector(vector, Backend(name="deferred", implementation=lambda *a, **kw: Deferred(a, kw)))
    assert result.outcome is Outcome.PASS


def test_an_expectation_that_consumes_its_inputs_is_the_same_bit_for_bit(corpus):
    for vector in corpus:
        if vector.expected_error is not None:
            continue
        kept, consumed = vector.arrays(), vector.arrays()
        a, b = vector.expectation(kept), vector.expectation(consumed, consume=True)
        assert np.array_equal(a.terms, b.terms) and a.input_scale == b.input_scale, vector.id
        for mine, theirs in ((a.values, b.values), (a.magnitude, b.magnitude)):
            assert mine.dtype == theirs.dtype and mine.tobytes() == theirs.tobytes(), vector.id
        for name, array in consumed.items():  # floats became their absolute values, in place
            sums = vector.operator.most_terms(vector.call) > 0  # pad moves values, sums none
            wanted = np.abs(kept[name]) if sums and is_float(array.dtype) else kept[name]
            assert array.tobytes() == wanted.tobytes(), (vector.id, name)


def test_expected_failures_turn_fail_into_xfail_and_pass_into_xpass(corpus_by_id):
    def wrong(x, w, b=None, **kw):
        return numpy_conv(x, w, b, **kw) + np.float32(1)

    vector = _vector(corpus_by_id)
    xfails = {vector.id: "known off-by-one"}
    failed = next(run([vector], Backend(name="wrong", implementation=wrong), expected_failures=xfails))
    assert failed.outcome is Outcome.XFAIL and "known off-by-one" in failed.reason
    passed = next(run([vector], Backend(name="ok", implementation=numpy_conv), expected_failures=xfails))
    assert passed.outcome is Outcome.XPASS and passed.outcome.is_problem


def test_unlisted_results_are_unchanged(corpus_by_id):
    result = run_vector(_vector(corpus_by_id), Backend(name="ok", implementation=numpy_conv))
    assert apply_expected_failures(result, {"other": "x"}) is result


STRIDE_ZERO = {
    "id": "errors/stride-0", "title": "stride 0 must be rejected", "source": "convspec spec, semantics.md",
    "catches": ["accepts-invalid"], "op": "conv", "dtype": "float32",
    "attributes": {"stride": [0, 1]},
    "inputs": {"x": {"shape": [1, 1, 4, 4], "generate": {"kind": "arange"}},
               "w": {"shape": [1, 1, 2, 2], "generate": {"kind": "arange"}}},
    "expected": {"error": "stride"},
}


def _error_vector(tmp_path, raw=STRIDE_ZERO):
    import yaml

    from convspec.conformance import load_file

    path = tmp_path / "errors.yaml"
    path.write_text(yaml.safe_dump({"format": "convspec-vectors/1", "topic": "errors",
                                    "description": "d", "vectors": [raw]}))
    (vector,) = load_file(path)
    return vector


def test_error_vector_passes_when_the_backend_rejects_the_call(tmp_path):
    result = run_vector(_error_vector(tmp_path), Backend(name="numpy", implementation=numpy_conv))
    assert result.outcome is Outcome.PASS and result.reason.startswith("rejected: ValueError")


def test_error_vector_fails_a_backend_that_accepts_the_call(tmp_path):
    def lenient(x, w, b=None, *, stride, **kw):
        return numpy_conv(x, w, b, stride=[max(s, 1) for s in stride], **kw)

    result = run_vector(_error_vector(tmp_path), Backend(name="lenient", implementation=lenient))
    assert result.outcome is Outcome.FAIL
    assert result.reason.startswith("accepted an invalid call (stride: stride 0 must be rejected)")
    assert "shape [1, 1, 3, 3]" in result.reason


def test_error_vector_of_a_valid_call_is_a_bad_vector(tmp_path):
    import pytest

    from convspec.conformance import VectorFileError

    raw = {**STRIDE_ZERO, "attributes": {"stride": 1}}
    with pytest.raises(VectorFileError, match="the call is valid, but the vector expects a 'stride' error"):
        _error_vector(tmp_path, raw)
    raw = {**STRIDE_ZERO, "expected": {"error": "padding"}}
    with pytest.raises(VectorFileError, match="rejects the call as 'stride'"):
        _error_vector(tmp_path, raw)
