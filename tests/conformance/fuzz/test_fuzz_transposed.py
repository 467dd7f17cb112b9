"""`convspec fuzz --op conv_transpose`: the generated transposed calls are vectors covering the space
(valid and invalid), the correct backend survives them and every law, faulty transposed
convolutions are found, shrunk and written as reproducers that `convspec run` replays, and a
failure is diagnosed whatever the registry holds of conv_transpose's mistakes.

Fixed seeds: the search depends on the seed alone and shrinking is seeded too, so these cannot flake.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis.internal.conjecture.data import ConjectureData

from convspec import reference
from convspec.conformance import Backend, load_file, run_vector
from convspec.conformance.cli import main
from convspec.conformance.fuzz import diagnosis, transposed
from convspec.conformance.fuzz.cases import Case, case_id, case_mapping, case_vector
from convspec.conformance.fuzz.engine import FuzzConfig, fuzz, fuzz_laws
from convspec.conformance.fuzz.metamorphic import law_calls
from convspec.conformance.fuzz.operators import FUZZED
from convspec.conformance.fuzz.strategies import RandomChooser, Rejected, ReplayChooser, Space, strategy
from convspec.conformance.fuzz.transposed_laws import LAWS, LAWS_BY_NAME, conv_layout, inner
from convspec.conformance.fuzz.writer import file_text, write_vector_file
from convspec.conformance.ops import operator
from convspec.conformance.outcomes import Outcome
from convspec.reference import ERROR_KINDS

SPACE = Space()
OP = "conv_transpose"
FAULTS = Path(__file__).parent


@pytest.fixture
def faults():
    """tests/conformance/fuzz on the path, as a user's PYTHONPATH would put a backend module."""
    sys.path.insert(0, str(FAULTS))
    try:
        yield importlib.import_module("transposed_faults")
    finally:
        sys.path.remove(str(FAULTS))


def _backend(faults, name: str) -> Backend:
    return Backend(name=f"transposed_faults:{name}", implementation=getattr(faults, name))


def _cases(seed: int, count: int, invalid: bool = False) -> list[Case]:
    rng = np.random.default_rng(seed)
    build = transposed.build_invalid if invalid else transposed.build_valid
    space = Space(special_values=False) if invalid else SPACE
    cases = []
    while len(cases) < count:
        try:
            cases.append(build(RandomChooser(rng), space))
        except Rejected:
            continue
    return cases


def _objection(case: Case) -> str | None:
    objection = operator(OP).objection(case.call)
    return None if objection is None else objection.kind


# --- the generated space ---------------------------------------------------------------------

def test_generated_cases_are_conv_transpose_vectors_with_the_values_judged(tmp_path):
    cases = _cases(1, 100)
    mappings = {case_id(c): case_mapping(c, seed=1, title="t", catches=("bias-dropped",))
                for c in cases}
    path = tmp_path / "generated.yaml"
    path.write_text(file_text(list(mappings.values()), "generated cases"), encoding="utf-8")
    loaded = {v.id: v for v in load_file(path)}
    for case in cases:
        assert case.call.op == OP and _objection(case) is None
        vector = loaded[case_id(case)]
        assert vector.op == OP and vector.call == case.call  # output_shape and modes resolve alike
        a, b = vector.arrays(), case_vector(case).arrays()
        for name in a.keys() | b.keys():
            assert a[name].dtype == b[name].dtype and np.array_equal(a[name], b[name], equal_nan=True)


def test_generated_cases_cover_the_transposed_attribute_space():
    cases = _cases(2, 700)
    assert {c.call.dtype for c in cases} == set(SPACE.dtypes)
    assert {c.call.rank for c in cases} == {1, 2, 3}
    written = [c.written for c in cases]
    paddings = {type(w.get("padding")).__name__ if not isinstance(w.get("padding"), str) else w["padding"]
                for w in written if "output_shape" not in w}
    assert {"NoneType", "list", "int", "valid", "same_upper", "same_lower"} <= paddings
    with_shape = {w.get("padding") for w in written if "output_shape" in w}
    assert with_shape == {None, "same_upper", "same_lower"}
    attrs = [c.call.attributes for c in cases]
    assert any(a.groups > 1 for a in attrs) and any(max(a.stride) > 1 for a in attrs)
    assert any(max(a.dilation) > 1 for a in attrs)
    assert any(e >= s for a in attrs for e, s in zip(a.output_padding, a.stride, strict=True) if e)  # d > s
    assert any(max(a.output_padding) > 0 for c, a in zip(cases, attrs, strict=True)
               if "output_shape" not in c.written)
    # crops up to the whole full output but one position
    assert any(min(operator(OP).output_shape(c.call)[2:]) == 1 and max(map(max, c.call.attributes.padding))
               for c in cases)
    assert any("b" in c.arrays for c in cases) and any("b" not in c.arrays for c in cases)
    floats = np.concatenate([c.arrays[k].ravel() for c in cases
                             if c.call.dtype.startswith(("float", "bfloat")) for k in c.arrays])
    assert np.isnan(floats).any() and np.isinf(floats).any()


def test_generated_invalid_cases_break_every_rule_of_the_reference(tmp_path):
    cases = _cases(3, 400, invalid=True)
    # groups-output-channels cannot happen: C_out = w.shape[1] * groups
    assert {c.error for c in cases} == set(ERROR_KINDS) - {"groups-output-channels", "gradient-shape"}
    assert all(_objection(c) == c.error for c in cases)
    mappings = [case_mapping(c, seed=1, title="t", catches=("accepts-invalid",)) for c in cases[:60]]
    path = tmp_path / "invalid.yaml"
    path.write_text(file_text(list({m["id"]: m for m in mappings}.values()), "invalid"), encoding="utf-8")
    loaded = {v.id: v for v in load_file(path)}
    for case in cases[:60]:
        assert loaded[case_id(case)].expected_error == case.error


def test_recorded_choices_replay_as_the_same_case_in_hypothesis():
    rng = np.random.default_rng(5)
    for _ in range(30):
        chooser = RandomChooser(rng)
        try:
            case = transposed.build_valid(chooser, SPACE)
        except Rejected:
            continue
        replayed = transposed.build_valid(ReplayChooser(chooser.choices), SPACE)
        drawn = ConjectureData.for_choices(chooser.choices).draw(
            strategy(lambda c: transposed.build_valid(c, SPACE)))
        for other in (replayed, drawn):
            assert case_id(other) == case_id(case) and other.call == case.call


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(case=strategy(lambda c: transposed.build_valid(c, SPACE)))
def test_the_hypothesis_strategy_draws_valid_transposed_cases(case):
    assert _objection(case) is None
    assert case_vector(case).output_shape() == operator(OP).output_shape(case.call)


# --- the correct backend ---------------------------------------------------------------------

def test_the_correct_backend_survives_transposed_cases(faults):
    backend = _backend(faults, "correct")
    report = fuzz(backend, FuzzConfig(examples=400, seed=20240607, op=OP))
    assert report.failure is None and not report.problem
    assert report.progress.counts["pass"] == 400
    report = fuzz(backend, FuzzConfig(examples=300, seed=7, op=OP, invalid=True))
    assert report.failure is None and report.progress.counts["pass"] == 300


@pytest.mark.parametrize("law", [law.name for law in LAWS])
def test_the_law_holds_for_the_correct_backend(law, faults):
    report = fuzz_laws(_backend(faults, "correct"), FuzzConfig(examples=150, seed=3, op=OP),
                       laws=(LAWS_BY_NAME[law],))
    assert report.law is None and not report.problem, report.law_message
    assert report.laws_checked == [law] and report.progress.counts["holds"] == 150


def test_the_operators_laws_are_the_default_of_fuzz_laws(faults):
    report = fuzz_laws(_backend(faults, "correct"), FuzzConfig(examples=5, seed=1, op=OP))
    assert report.laws_checked == [law.name for law in FUZZED[OP].laws]


# law -> the faulty backend that breaks it, the dtypes to search, and what its minimal case is
LAW_BREAKERS = {
    "adjoint": ("crop_wrong_side", None),
    "transposed-linearity-x": ("uint8_read_as_int8", ("uint8",)),  # x1 + x2 >= 128 reads negative
    "transposed-as-conv": ("kernel_flipped", None),
}


def test_every_transposed_law_has_a_breaker():
    assert sorted(LAW_BREAKERS) == sorted(law.name for law in LAWS)


@pytest.mark.parametrize("law", sorted(LAW_BREAKERS))
def test_the_law_is_broken_by_a_faulty_conv_transpose(law, faults):
    name, dtypes = LAW_BREAKERS[law]
    backend = _backend(faults, name)
    report = fuzz_laws(backend, FuzzConfig(examples=300, seed=1, dtypes=dtypes, op=OP),
                       laws=(LAWS_BY_NAME[law],))
    assert report.law is not None and report.law.name == law
    assert not report.law_message.startswith("the backend raised")
    case = report.law_case
    assert case.call.op == OP and case.call.rank == 1 and case.call.shape("x")[0] == 1
    calls = law_calls(report.law, report.law.implementation(backend), case)
    assert OP in {c.call.op for c in calls}


def test_the_adjoint_reads_w_as_conv_does_and_sums_exactly():
    rng = np.random.default_rng(0)
    y, w = rng.integers(-3, 4, (2, 4, 3, 2)).astype(float), rng.integers(-3, 4, (4, 3, 2, 3)).astype(float)
    attrs = {"stride": (2, 3), "padding": ((1, 0), (0, 2)), "dilation": (3, 1), "groups": 2}
    out = reference.conv_transpose(y, w, stride=attrs["stride"], padding=attrs["padding"],
                                   output_padding=(2, 1), dilation=attrs["dilation"], groups=2)
    x2 = rng.integers(-3, 4, out.shape).astype(float)
    forward = reference.conv(x2, w, **attrs)[:, :, :3, :2]  # output_padding 2 >= stride 2 adds a row
    assert inner(forward, y) == inner(x2, out)
    assert conv_layout(w, 2).shape == (6, 2, 2, 3)
    assert inner(np.array([0.5, 2.0]), np.array([3.0, 1.0])) == 3.5


# --- finding and shrinking -------------------------------------------------------------------

# faulty backend -> seed, invalid mode, the minimal shapes and attributes it must shrink to
MINIMAL = {
    # one element and one output_padding position: dilation 2 is the simplest way to allow it
    "output_padding_ignored": (1, False, {"x": [1, 1, 1], "w": [1, 1, 1]},
                               {"dilation": [2], "output_padding": [1]}),
    # two inputs scatter to two positions; a crop of one at the end
    "crop_wrong_side": (3, False, {"x": [1, 1, 2], "w": [1, 1, 1]}, {"padding": [[0, 1]]}),
    # two taps
    "kernel_flipped": (1, False, {"x": [1, 1, 1], "w": [1, 1, 2]}, {}),
    # output_padding 1 at stride 1, dilation 1: the simplest call it must reject
    "large_output_padding_accepted": (1, True, {"x": [1, 1, 1], "w": [1, 1, 1]}, {"output_padding": [1]}),
}


@pytest.mark.parametrize("name", sorted(MINIMAL))
def test_a_faulty_conv_transpose_shrinks_to_a_minimal_vector_that_replays(name, faults, tmp_path, capsys):
    seed, invalid, shapes, attributes = MINIMAL[name]
    backend = _backend(faults, name)
    report = fuzz(backend, FuzzConfig(examples=500, seed=seed, invalid=invalid, op=OP))
    assert report.failure is not None, f"no failure in {report.progress.cases} cases"
    case = report.failure.case
    assert case.call.op == OP and case.call.dtype == "float64"
    assert {k: list(v.shape) for k, v in case.arrays.items()} == shapes
    assert case.written == attributes
    assert case.error == ("output-padding" if invalid else None)

    written = write_vector_file(case, report.failure.result, backend, tmp_path, seed=report.seed)
    text = written.path.read_text()
    assert "op: conv_transpose" in text
    for key in attributes:
        assert f"{key}: " in text
    if invalid:
        assert "expected:\n    error: output-padding" in text
    (vector,) = load_file(written.path)
    assert vector.op == OP and vector.call == case.call

    code = main(["run", str(written.path), "--backend", f"transposed_faults:{name}"])
    out = capsys.readouterr().out
    assert code == 1 and out.splitlines()[0].split()[:2] == ["fail", vector.id]
    assert run_vector(vector, _backend(faults, "correct")).outcome is Outcome.PASS


# --- diagnosis -------------------------------------------------------------------------------

def _failing_vector(faults):
    """A transposed vector the output_padding-ignoring backend fails, and that backend's output."""
    x, w = np.array([[[1.0]]]), np.array([[[2.0]]])
    case = Case.of("float64", {"x": x, "w": w}, {"dilation": [2], "output_padding": [1]}, op=OP)
    vector = case_vector(case)
    got = faults.ignores_output_padding(x, w, **case.call.keywords())
    return vector, got


def test_a_transposed_failure_is_diagnosed_with_conv_transpose_mistakes_only(faults):
    vector, got = _failing_vector(faults)
    found = diagnosis.diagnose(vector, got)
    known = diagnosis.registry()
    assert found.catches and all(known[m].operator == OP for m in found.catches if m in known)


@pytest.mark.parametrize("kept", [0, 1])
def test_diagnosis_falls_back_when_the_registry_has_few_transposed_mistakes(kept, faults, monkeypatch):
    full = diagnosis.registry()
    own = [m for m, e in full.items() if e.operator == OP][:kept]
    monkeypatch.setattr(diagnosis, "registry", lambda: {m: e for m, e in full.items()
                                                        if e.operator != OP or m in own})
    vector, got = _failing_vector(faults)
    for output in (got, None, "not an array"):
        found = diagnosis.diagnose(vector, output)
        assert len(found.catches) == 1 and found.summary
        assert found.exact is False or found.catches[0] in own
    invalid = case_vector(Case.of("float64", {"x": np.zeros((1, 1, 1)), "w": np.zeros((1, 1, 1))},
                                  {"output_padding": [1]}, op=OP, error="output-padding"))
    assert diagnosis.diagnose(invalid, np.zeros((1, 1, 2))).catches[0].endswith("accepts-invalid")
