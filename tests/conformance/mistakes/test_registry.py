"""The mistakes registry models each mistake once, and its two uses agree.

Each registered implementation fails every corpus vector that claims to catch its mistake (as a
faulty backend), and diagnosing its own output on those vectors names it (as the model
``convspec fuzz`` replays); a correct backend's output is never taken for a mistake's.
"""

from __future__ import annotations

import numpy as np
import pytest

from convspec import spec
from convspec.conformance import run_vector
from convspec.conformance.backends.numpy import backend as numpy_backend
from convspec.conformance.backends.reference import backend as reference_backend
from convspec.conformance.fuzz.diagnosis import diagnose, failing_outputs, reproduces, tolerance
from convspec.conformance.judge import judge_expectation
from convspec.conformance.mistakes import MODULES, registry
from convspec.conformance.ops import OPERATORS
from convspec.conformance.outcomes import Outcome
from convspec.conformance.tolerance import PROFILES
from convspec.conformance.vector import Vector

MISTAKES = sorted(spec.mistakes())


def test_every_mistake_is_implemented_once_and_every_implementation_is_a_mistake():
    implemented = [mistake for module in MODULES for mistake in module.IMPLEMENTATIONS]
    assert sorted(implemented) == MISTAKES
    for mistake, entry in registry().items():
        assert entry.id == mistake and entry.description == spec.mistakes()[mistake]
        assert entry.operator in OPERATORS
        assert entry.implementation.__name__ == mistake.replace("-", "_")
        assert entry.implementation.__doc__, f"{mistake} does not say what it gets wrong"


@pytest.mark.parametrize("mistake", MISTAKES)
def test_the_mistake_fails_every_vector_claiming_it_and_diagnosis_names_it(mistake, corpus):
    backend = registry()[mistake].backend()
    claiming = [v for v in corpus if mistake in v.catches]
    assert claiming
    problems = []
    for vector in claiming:
        result = run_vector(vector, backend)
        if result.outcome is not Outcome.FAIL:
            problems.append(f"{vector.id}: {result.outcome.value} ({result.reason or 'no difference'})")
            continue
        try:
            output = backend.run(vector.call, vector.arrays())
        except ValueError:
            output = None  # an error vector: the mistake is rejecting nothing, it did not raise here
        diagnosis = diagnose(vector, output)
        # several mistakes may give the same output on a vector: the one run must be among them
        if mistake not in diagnosis.catches or not diagnosis.exact:
            problems.append(f"{vector.id}: diagnosed as {diagnosis.catches} ({diagnosis.summary})")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("backend", [numpy_backend, reference_backend], ids=lambda b: b.name)
def test_a_correct_output_is_never_diagnosed_as_a_mistake(backend, corpus):
    wrong = []
    for vector in corpus:
        if vector.expected_error is not None:
            continue
        output = backend.run(vector.call, vector.arrays())
        diagnosis = diagnose(vector, output)
        if diagnosis.exact:
            wrong.append(f"{vector.id}: {diagnosis.catches}")
    assert not wrong, "\n".join(wrong)


def test_a_correct_output_is_outside_every_strictly_judged_mistakes_tolerance(corpus):
    # diagnose refuses a passing output outright; a mistake reproduced within the strict bound
    # must not need that refusal (relaxed ones may: tf32-inputs is within 2^-11 of the correct
    # float32 output, and the tf32 profile allows that much)
    checked = 0
    for vector in corpus:
        if vector.expected_error is not None:
            continue
        expect, dtype = vector.expectation(), vector.output_dtype()
        correct = np.asarray(numpy_backend.run(vector.call, vector.arrays()))
        for mistake, output in failing_outputs(vector, expect).items():
            if any(judge_expectation(output, expect, dtype, p).passed for p in PROFILES.values()):
                continue  # a relaxed profile accepts it: reproduced within that profile's bound
            assert not reproduces(correct, output, tolerance(vector, expect, output), dtype), (
                f"{vector.id}: the correct output reproduces {mistake}")
            checked += 1
    assert checked > 500


def _vector(dtype: str, x: list, w: list, b: list | None = None) -> Vector:
    inputs = {"x": {"shape": [1, len(x), 1], "data": x}, "w": {"shape": [1, len(w), 1], "data": w}}
    if b is not None:
        inputs["b"] = {"shape": [len(b)], "data": b}
    return Vector.from_mapping({"id": "test/case", "title": "a case", "source": "test", "catches": [],
                                "op": "conv", "dtype": dtype, "inputs": inputs, "expected": {}})


def test_half_accumulation_in_another_order_is_still_accumulate_half():
    # 64 positive terms from 1.5/16 to 1.5*256, summed in float16: the order decides what is lost
    rng = np.random.default_rng(2)
    x = (1.5 * np.exp2(rng.integers(-4, 9, 64))).astype(np.float16)
    w = np.ones(64, np.float16)
    vector = _vector("float16", x.astype(float).tolist(), w.astype(float).tolist())
    registry_order = failing_outputs(vector, vector.expectation())["accumulate-half"]
    reversed_order = np.float16(0)
    for c in reversed(range(64)):  # last channel first: a library's order, not the registry's
        reversed_order = np.float16(reversed_order + x[c] * w[c])
    got = np.array([[[reversed_order]]], dtype=np.float16)
    assert got[0, 0, 0] != registry_order[0, 0, 0]
    diagnosis = diagnose(vector, got)
    assert diagnosis.catches == ("accumulate-half",) and diagnosis.exact


def test_a_backend_that_raises_is_diagnosed_with_the_mistake_every_valid_vector_catches():
    vector = _vector("float64", [0.0, 1.0], [0.0, 1.0])
    assert diagnose(vector, None).catches == ("output-size-off-by-one",)
    assert diagnose(vector, None).exact is False


def test_a_mistake_runs_as_a_backend_of_its_operator_alone():
    # a conv mistake has no pad of its own: pad vectors run through its conv, as their catches assume
    entry = registry()["padding-wrong-side"]
    backend = entry.backend()
    assert backend.operator("conv") is entry.implementation and backend.operator("pad") is None
