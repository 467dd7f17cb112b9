"""Generated cases are vectors: valid by the schema and every check of `convspec validate`, with the
values the fuzz loop judged; and the search's recorded choices replay in Hypothesis as the same call.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis.internal.conjecture.data import ConjectureData

from convspec.conformance import load_file
from convspec.conformance.fuzz.cases import Call, call_mapping, call_vector, case_id, reference_objection
from convspec.conformance.fuzz.diagnosis import diagnose
from convspec.conformance.fuzz.strategies import (
    RandomChooser,
    Rejected,
    ReplayChooser,
    Space,
    build_invalid,
    build_valid,
    invalid_calls,
    valid_calls,
)
from convspec.conformance.fuzz.writer import file_text
from convspec.reference import ERROR_KINDS

SPACE = Space()


def _calls(seed: int, count: int, invalid: bool = False) -> list[Call]:
    rng = np.random.default_rng(seed)
    calls = []
    while len(calls) < count:
        try:
            calls.append((build_invalid if invalid else build_valid)(RandomChooser(rng), SPACE))
        except Rejected:  # draw another
            continue
    return calls


def _write_and_load(tmp_path, calls: list[Call]):
    """All distinct calls in one vector file, loaded back through the full loader."""
    mappings = {case_id(c): call_mapping(c, seed=1, title="t", catches=("kernel-flip",)) for c in calls}
    path = tmp_path / "generated.yaml"
    path.write_text(file_text(list(mappings.values()), "generated cases"), encoding="utf-8")
    return {v.id: v for v in load_file(path)}


def test_generated_valid_cases_are_vectors_with_the_values_judged(tmp_path):
    calls = _calls(1, 120)
    loaded = _write_and_load(tmp_path, calls)
    for call in calls:
        fast = call_vector(call)
        vector = loaded[fast.id]
        assert vector.expected == fast.expected and vector.attributes == fast.attributes
        assert vector.output_shape() == fast.output_shape()
        a, b = vector.arrays(), fast.arrays()
        assert a.keys() == b.keys()
        for name in a:
            assert a[name].dtype == b[name].dtype
            assert np.array_equal(a[name], b[name], equal_nan=True)
            assert np.array_equal(np.signbit(a[name]), np.signbit(b[name]))  # -0.0 stays -0.0


def test_generated_cases_cover_the_attribute_space():
    calls = _calls(2, 600)
    assert {c.dtype for c in calls} == set(SPACE.dtypes)
    assert {c.rank for c in calls} == {1, 2, 3}
    paddings = {type(c.attributes.get("padding")).__name__ if not isinstance(c.attributes.get("padding"), str)
                else c.attributes["padding"] for c in calls}
    assert {"NoneType", "list", "int", "valid", "same_upper", "same_lower"} <= paddings
    assert any(c.attributes.get("groups", 1) > 1 for c in calls)
    assert any(max(c.attributes.get("dilation", [1])) > 1 for c in calls)
    assert any(max(c.attributes.get("stride", [1])) > 1 for c in calls)
    assert any("b" in c.inputs for c in calls) and any("b" not in c.inputs for c in calls)
    floats = np.concatenate([c.inputs[k].ravel() for c in calls if c.dtype.startswith(("float", "bfloat"))
                             for k in c.inputs])
    assert np.isnan(floats).any() and np.isinf(floats).any()
    assert ((floats != 0) & (np.abs(floats) < 2.0**-126)).any()  # subnormals
    assert (floats != np.round(floats))[np.isfinite(floats)].any()  # non-integer floats


def test_generated_invalid_cases_are_error_vectors_of_every_kind(tmp_path):
    calls = _calls(3, 300, invalid=True)
    assert {c.error for c in calls} == set(ERROR_KINDS)
    assert all(reference_objection(c) == c.error for c in calls)
    loaded = _write_and_load(tmp_path, calls[:80])
    for call in calls[:80]:
        assert loaded[case_id(call)].expected_error == call.error


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(call=valid_calls(SPACE))
def test_the_hypothesis_strategy_draws_valid_calls(call):
    assert reference_objection(call) is None
    vector = call_vector(call)
    assert vector.output_shape() == tuple(vector.expected["shape"])


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(call=invalid_calls(SPACE))
def test_the_hypothesis_strategy_draws_invalid_calls(call):
    assert call.error is not None and reference_objection(call) == call.error


def test_recorded_choices_replay_as_the_same_call_in_hypothesis_and_on_the_fast_path():
    rng = np.random.default_rng(5)
    for _ in range(30):
        chooser = RandomChooser(rng)
        try:
            call = build_valid(chooser, SPACE)
        except Rejected:
            continue
        replayed = build_valid(ReplayChooser(chooser.choices), SPACE)
        data = ConjectureData.for_choices(chooser.choices)
        drawn = data.draw(valid_calls(SPACE))
        for other in (replayed, drawn):
            assert other.describe() == call.describe() and case_id(other) == case_id(call)


def test_diagnosis_names_the_mistake_a_wrong_output_shows():
    call = Call("float64", {"x": np.array([[[0.0, 1.0]]]), "w": np.array([[[0.0, 1.0]]])})
    vector = call_vector(call)
    assert diagnose(vector, np.array([[[0.0]]])).catches == ("kernel-flip", "window-offset")
    assert diagnose(vector, np.array([[[1.0]]])).exact is False  # the right answer is no mistake
    invalid = Call("float64", call.inputs, {"stride": [0]}, error="stride")
    assert diagnose(call_vector(invalid), np.zeros((1, 1, 1))).catches == ("accepts-invalid",)


def test_diagnosis_names_a_bias_added_after_rounding():
    # the case convspec fuzz shrank on TensorFlow: -1 + 0.01564 rounds to -0.984375 before the bias
    half = np.float16
    call = Call("float16", {"x": np.array([[[-1.0], [1.0]]], half),
                            "w": np.array([[[1.0], [0.0156402587890625]]], half), "b": np.array([1.0], half)})
    vector = call_vector(call)
    # accumulating in float16 rounds the same partial sum, so it reproduces the output too
    assert diagnose(vector, np.array([[[0.015625]]], half)).catches == ("bias-after-rounding",
                                                                        "accumulate-half")
