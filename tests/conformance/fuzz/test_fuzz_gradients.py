"""`convspec fuzz --op conv_grad_input|conv_grad_weight|conv_grad_bias`: the generated gradient calls
are vectors of the gradient of a conv call (valid and invalid, float dtypes only), the correct
backend survives them and every law, and faulty gradients are found, shrunk and written as
reproducers that `convspec run` replays.

Fixed seeds: the search depends on the seed alone and shrinking is seeded too, so these cannot flake.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import numpy as np
import pytest

from convspec import reference
from convspec.conformance import Backend, load_file, run_vector
from convspec.conformance.cli import main
from convspec.conformance.fuzz import gradients
from convspec.conformance.fuzz.cases import Case, case_id, case_mapping, case_vector
from convspec.conformance.fuzz.engine import FuzzConfig, fuzz, fuzz_laws
from convspec.conformance.fuzz.gradient_laws import LAWS, LAWS_BY_NAME, fd_bound
from convspec.conformance.fuzz.metamorphic import law_calls
from convspec.conformance.fuzz.operators import FUZZED
from convspec.conformance.fuzz.strategies import RandomChooser, Rejected, ReplayChooser, Space
from convspec.conformance.fuzz.writer import file_text, write_vector_file
from convspec.conformance.ops import operator
from convspec.conformance.outcomes import Outcome

SPACE = Space()
OPS = ("conv_grad_input", "conv_grad_weight", "conv_grad_bias")
FAULTS = Path(__file__).parent


@pytest.fixture
def faults():
    """tests/conformance/fuzz on the path, as a user's PYTHONPATH would put a backend module."""
    sys.path.insert(0, str(FAULTS))
    try:
        yield importlib.import_module("gradient_faults")
    finally:
        sys.path.remove(str(FAULTS))


def _backend(faults, name: str) -> Backend:
    return Backend(name=f"gradient_faults:{name}", implementation=getattr(faults, name))


def _cases(op: str, seed: int, count: int, invalid: bool = False) -> list[Case]:
    rng = np.random.default_rng(seed)
    build = (gradients.build_invalid if invalid else gradients.build_valid)(op)
    space = Space(special_values=False) if invalid else SPACE
    cases = []
    while len(cases) < count:
        try:
            cases.append(build(RandomChooser(rng), space))
        except Rejected:
            continue
    return cases


def _objection(case: Case) -> str | None:
    objection = operator(case.call.op).objection(case.call)
    return None if objection is None else objection.kind


# --- the generated space ---------------------------------------------------------------------

@pytest.mark.parametrize("op", OPS)
def test_generated_cases_are_gradient_vectors_of_float_dtypes(op, tmp_path):
    cases = _cases(op, 1, 150)
    assert {c.call.dtype for c in cases} == set(gradients.DTYPES)
    assert {c.call.rank for c in cases} == {1, 2, 3}
    mappings = {case_id(c): case_mapping(c, seed=1, title="t", catches=("bias-dropped",)) for c in cases}
    path = tmp_path / "generated.yaml"
    path.write_text(file_text(list(mappings.values()), "generated cases"), encoding="utf-8")
    loaded = {v.id: v for v in load_file(path)}
    for case in cases:
        assert case.call.op == op and _objection(case) is None
        vector = loaded[case_id(case)]
        assert vector.op == op and vector.call == case.call
    if op != "conv_grad_bias":  # dy is what conv of the case's shapes gives
        attrs = [c.call.attributes for c in cases]
        assert any(max(a.stride) > 1 for a in attrs) and any(a.groups > 1 for a in attrs)
        assert any(isinstance(c.written.get("padding"), str) for c in cases)


def test_conv_cases_are_unchanged_by_the_gradients():
    """conv's and conv_transpose's choice sequences are theirs: a seed gives the cases it gave."""
    assert FUZZED["conv"].dtypes is None and FUZZED["conv_transpose"].dtypes is None
    config = FuzzConfig(op="conv")
    assert set(config.space(Backend(name="numpy", implementation=reference)).dtypes) > set(gradients.DTYPES)


@pytest.mark.parametrize("op", ["conv_grad_input", "conv_grad_weight"])
def test_generated_invalid_cases_break_every_rule_of_the_reference(op):
    cases = _cases(op, 3, 400, invalid=True)
    kinds = set(gradients.BREAKERS[op])
    assert {c.error for c in cases} == kinds
    assert all(_objection(c) == c.error for c in cases)


def test_recorded_choices_replay_as_the_same_case():
    rng = np.random.default_rng(5)
    for op in OPS:
        build = gradients.build_valid(op)
        for _ in range(10):
            chooser = RandomChooser(rng)
            try:
                case = build(chooser, SPACE)
            except Rejected:
                continue
            assert case_id(build(ReplayChooser(chooser.choices), SPACE)) == case_id(case)


def test_integer_dtypes_are_refused():
    config = FuzzConfig(op="conv_grad_weight", dtypes=("int8",))
    with pytest.raises(ValueError, match="float"):
        config.space(Backend(name="numpy", implementation=reference))
    assert main(["fuzz", "--op", "conv_grad_bias", "--invalid"]) == 2


# --- the correct backend ---------------------------------------------------------------------

@pytest.mark.parametrize("op", OPS)
def test_the_correct_backend_survives_gradient_cases(op, faults):
    backend = _backend(faults, "correct")
    report = fuzz(backend, FuzzConfig(examples=300, seed=20240607, op=op))
    assert report.failure is None and not report.problem
    assert report.progress.counts["pass"] == 300
    if op != "conv_grad_bias":
        report = fuzz(backend, FuzzConfig(examples=200, seed=7, op=op, invalid=True))
        assert report.failure is None and report.progress.counts["pass"] == 200


@pytest.mark.parametrize("law", [law.name for law in LAWS])
def test_the_law_holds_for_the_correct_backend(law, faults):
    chosen = LAWS_BY_NAME[law]
    report = fuzz_laws(_backend(faults, "correct"), FuzzConfig(examples=150, seed=3, op=chosen.op),
                       laws=(chosen,))
    assert report.law is None and not report.problem, report.law_message
    assert report.laws_checked == [law] and report.progress.counts["holds"] == 150


def test_the_finite_difference_bound_is_rounding_sized():
    law = LAWS_BY_NAME["weight-finite-differences"]
    rng = np.random.default_rng(0)
    case = None
    while case is None:
        try:
            case = law.build(RandomChooser(rng), law.narrowed(SPACE))
        except Rejected:
            continue
    a = case.arrays
    scale = float(np.abs(a["dy"]).sum() * np.abs(a["x"]).max() * np.abs(a["w"]).max())
    assert 0 < fd_bound(case) < 1e-9 * max(scale, 1.0) / 2.0**-10


# law -> the faulty backend that breaks it
LAW_BREAKERS = {
    "adjoint-input": "kernel_flipped",
    "input-linearity-dy": None,  # no plain fault is non-linear: checked on the correct backend only
    "input-finite-differences": "kernel_flipped",
    "adjoint-weight": "weight_batch_dropped",
    "weight-linearity-dy": None,
    "weight-finite-differences": "weight_batch_dropped",
    "adjoint-bias": "bias_batch_dropped",
    "bias-linearity-dy": None,
    "bias-finite-differences": "bias_batch_dropped",
}


def test_every_gradient_law_is_listed():
    assert sorted(LAW_BREAKERS) == sorted(law.name for law in LAWS)


@pytest.mark.parametrize("law", sorted(k for k, v in LAW_BREAKERS.items() if v))
def test_the_law_is_broken_by_a_faulty_gradient(law, faults):
    backend = _backend(faults, LAW_BREAKERS[law])
    chosen = LAWS_BY_NAME[law]
    report = fuzz_laws(backend, FuzzConfig(examples=300, seed=1, op=chosen.op), laws=(chosen,))
    assert report.law is not None and report.law.name == law
    assert not report.law_message.startswith("the backend raised")
    case = report.law_case
    assert case.call.op == chosen.op and case.call.rank == 1
    calls = law_calls(report.law, report.law.implementation(backend), case)
    assert chosen.op in {c.call.op for c in calls}
    failing = [c for c in calls if c.call.op == chosen.op
               and run_vector(case_vector(c), backend).outcome is Outcome.FAIL]
    assert failing  # the law's call of the gradient is a reproducer against the reference


def test_the_adjoint_identities_hold_exactly_for_the_reference():
    rng = np.random.default_rng(0)
    x, w = rng.integers(-3, 4, (2, 4, 5, 4)).astype(float), rng.integers(-3, 4, (6, 2, 2, 3)).astype(float)
    attrs = {"stride": (2, 3), "padding": ((1, 0), (0, 2)), "dilation": (2, 1), "groups": 2}
    y = reference.conv(x, w, **attrs)
    dy = rng.integers(-3, 4, y.shape).astype(float)
    dx = reference.conv_grad_input(dy, w, input_shape=x.shape, **attrs)
    dw = reference.conv_grad_weight(x, dy, kernel_shape=w.shape[2:], **attrs)
    assert np.sum(y * dy) == np.sum(x * dx) == np.sum(w * dw)
    assert dx[:, :, -1].tolist() == np.zeros_like(dx[:, :, -1]).tolist()  # the row no window reads


# --- finding and shrinking -------------------------------------------------------------------

# faulty backend -> op, invalid mode, the minimal shapes and attributes it must shrink to
MINIMAL = {
    "kernel_flipped": ("conv_grad_input", False, {"dy": [1, 1, 1], "w": [1, 1, 2]},
                       {"input_shape": [1, 1, 2]}),
    # one input position past the only window: stride 2 over two inputs
    "remainder_not_zero": ("conv_grad_input", False, {"dy": [1, 1, 1], "w": [1, 1, 1]},
                           {"stride": [2], "input_shape": [1, 1, 2]}),
    "weight_batch_dropped": ("conv_grad_weight", False, {"x": [2, 1, 1], "dy": [2, 1, 1]},
                             {"kernel_shape": [1]}),
    "bias_batch_dropped": ("conv_grad_bias", False, {"dy": [2, 1, 1]}, {}),
    "wrong_shape_accepted": ("conv_grad_input", True, {"dy": [1, 1, 2], "w": [1, 1, 1]},
                             {"input_shape": [1, 1, 1]}),
}


@pytest.mark.parametrize("name", sorted(MINIMAL))
def test_a_faulty_gradient_shrinks_to_a_minimal_vector_that_replays(name, faults, tmp_path, capsys):
    op, invalid, shapes, attributes = MINIMAL[name]
    backend = _backend(faults, name)
    report = fuzz(backend, FuzzConfig(examples=500, seed=1, invalid=invalid, op=op))
    assert report.failure is not None, f"no failure in {report.progress.cases} cases"
    case = report.failure.case
    assert case.call.op == op and case.call.dtype == "float64"
    assert {k: list(v.shape) for k, v in case.arrays.items()} == shapes
    assert case.written == attributes
    assert case.error == ("gradient-shape" if invalid else None)

    written = write_vector_file(case, report.failure.result, backend, tmp_path, seed=report.seed)
    text = written.path.read_text()
    assert f"op: {op}" in text
    (vector,) = load_file(written.path)
    assert vector.op == op and vector.call == case.call

    code = main(["run", str(written.path), "--backend", f"gradient_faults:{name}"])
    out = capsys.readouterr().out
    assert code == 1 and out.splitlines()[0].split()[:2] == ["fail", vector.id]
    assert run_vector(vector, _backend(faults, "correct")).outcome is Outcome.PASS
