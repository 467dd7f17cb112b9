"""Generated cases are vectors: valid by the schema and every check of `convspec validate`, with the
values the fuzz loop judged and the call the vector resolves to; and the search's recorded choices
replay in Hypothesis as the same case.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis.internal.conjecture.data import ConjectureData

from convspec.conformance import load_file
from convspec.conformance.fuzz.cases import Case, case_id, case_mapping, case_vector
from convspec.conformance.fuzz.diagnosis import diagnose
from convspec.conformance.fuzz.strategies import (
    RandomChooser,
    Rejected,
    ReplayChooser,
    Space,
    build_invalid,
    build_valid,
    invalid_cases,
    valid_cases,
)
from convspec.conformance.fuzz.writer import file_text
from convspec.conformance.ops import CONV
from convspec.reference import ERROR_KINDS

SPACE = Space()


def _cases(seed: int, count: int, invalid: bool = False) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = []
    while len(cases) < count:
        try:
            cases.append((build_invalid if invalid else build_valid)(RandomChooser(rng), SPACE))
        except Rejected:  # draw another
            continue
    return cases


def _objection(case: Case) -> str | None:
    objection = CONV.objection(case.call)
    return None if objection is None else objection.kind


def _write_and_load(tmp_path, cases: list[Case]):
    """All distinct cases in one vector file, loaded back through the full loader."""
    mappings = {case_id(c): case_mapping(c, seed=1, title="t", catches=("kernel-flip",)) for c in cases}
    path = tmp_path / "generated.yaml"
    path.write_text(file_text(list(mappings.values()), "generated cases"), encoding="utf-8")
    return {v.id: v for v in load_file(path)}


def test_generated_valid_cases_are_vectors_with_the_values_judged(tmp_path):
    cases = _cases(1, 120)
    loaded = _write_and_load(tmp_path, cases)
    for case in cases:
        fast = case_vector(case)
        vector = loaded[fast.id]
        assert vector.expected == fast.expected and vector.attributes == fast.attributes
        assert vector.call == case.call  # the case's call is the one its vector makes
        assert vector.output_shape() == fast.output_shape()
        a, b = vector.arrays(), fast.arrays()
        assert a.keys() == b.keys()
        for name in a:
            assert a[name].dtype == b[name].dtype
            assert np.array_equal(a[name], b[name], equal_nan=True)
            assert np.array_equal(np.signbit(a[name]), np.signbit(b[name]))  # -0.0 stays -0.0


def test_generated_cases_cover_the_attribute_space():
    cases = _cases(2, 600)
    assert {c.call.dtype for c in cases} == set(SPACE.dtypes)
    assert {c.call.rank for c in cases} == {1, 2, 3}
    paddings = {type(c.written.get("padding")).__name__ if not isinstance(c.written.get("padding"), str)
                else c.written["padding"] for c in cases}
    assert {"NoneType", "list", "int", "valid", "same_upper", "same_lower"} <= paddings
    assert any(c.call.attributes.groups > 1 for c in cases)
    assert any(max(c.call.attributes.dilation) > 1 for c in cases)
    assert any(max(c.call.attributes.stride) > 1 for c in cases)
    assert any("b" in c.arrays for c in cases) and any("b" not in c.arrays for c in cases)
    floats = np.concatenate([c.arrays[k].ravel() for c in cases
                             if c.call.dtype.startswith(("float", "bfloat")) for k in c.arrays])
    assert np.isnan(floats).any() and np.isinf(floats).any()
    assert ((floats != 0) & (np.abs(floats) < 2.0**-126)).any()  # subnormals
    assert (floats != np.round(floats))[np.isfinite(floats)].any()  # non-integer floats


def test_generated_invalid_cases_are_error_vectors_of_every_kind(tmp_path):
    cases = _cases(3, 300, invalid=True)
    # output-padding is conv_transpose's alone, gradient-shape the gradients'
    assert {c.error for c in cases} == set(ERROR_KINDS) - {"output-padding", "gradient-shape"}
    assert all(_objection(c) == c.error for c in cases)
    loaded = _write_and_load(tmp_path, cases[:80])
    for case in cases[:80]:
        assert loaded[case_id(case)].expected_error == case.error


def test_a_case_keeps_the_attributes_as_written_beside_the_resolved_call():
    x, w = np.zeros((1, 1, 5)), np.zeros((1, 1, 2))
    case = Case.of("float64", {"x": x, "w": w}, {"padding": "same_upper"})
    assert case.call.attributes.padding == ((0, 1),)
    assert case_mapping(case)["attributes"] == {"padding": "same_upper"}


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(case=valid_cases(SPACE))
def test_the_hypothesis_strategy_draws_valid_cases(case):
    assert _objection(case) is None
    vector = case_vector(case)
    assert vector.output_shape() == tuple(vector.expected["shape"])


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(case=invalid_cases(SPACE))
def test_the_hypothesis_strategy_draws_invalid_cases(case):
    assert case.error is not None and _objection(case) == case.error


def test_recorded_choices_replay_as_the_same_case_in_hypothesis_and_on_the_fast_path():
    rng = np.random.default_rng(5)
    for _ in range(30):
        chooser = RandomChooser(rng)
        try:
            case = build_valid(chooser, SPACE)
        except Rejected:
            continue
        replayed = build_valid(ReplayChooser(chooser.choices), SPACE)
        data = ConjectureData.for_choices(chooser.choices)
        drawn = data.draw(valid_cases(SPACE))
        for other in (replayed, drawn):
            assert other.describe() == case.describe() and case_id(other) == case_id(case)
            assert other.call == case.call


def test_diagnosis_names_the_mistake_a_wrong_output_shows():
    case = Case.of("float64", {"x": np.array([[[0.0, 1.0]]]), "w": np.array([[[0.0, 1.0]]])})
    vector = case_vector(case)
    assert diagnose(vector, np.array([[[0.0]]])).catches == ("kernel-flip", "window-offset")
    assert diagnose(vector, np.array([[[1.0]]])).exact is False  # the right answer is no mistake
    invalid = Case.of("float64", case.arrays, {"stride": [0]}, error="stride")
    assert diagnose(case_vector(invalid), np.zeros((1, 1, 1))).catches == ("accepts-invalid",)


def test_diagnosis_names_a_bias_added_after_rounding():
    # the case convspec fuzz shrank on TensorFlow: -1 + 0.01564 rounds to -0.984375 before the bias
    half = np.float16
    case = Case.of("float16", {"x": np.array([[[-1.0], [1.0]]], half),
                               "w": np.array([[[1.0], [0.0156402587890625]]], half),
                               "b": np.array([1.0], half)})
    vector = case_vector(case)
    # accumulating in float16 rounds the same partial sum, so it reproduces the output too
    assert diagnose(vector, np.array([[[0.015625]]], half)).catches == ("bias-after-rounding",
                                                                        "accumulate-half")
