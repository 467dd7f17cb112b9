"""`convspec fuzz` finds deliberately faulty convolutions, shrinks each to a minimal vector, and the
vector file it writes validates and replays through `convspec run` with the same failure.

Fixed seeds: the search depends on the seed alone and shrinking is seeded too, so these cannot flake.
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from convspec.conformance import Backend, load_file, run_vector
from convspec.conformance.backends.numpy import conv as correct
from convspec.conformance.cli import main
from convspec.conformance.fuzz.engine import FuzzConfig, fuzz
from convspec.conformance.fuzz.strategies import RandomChooser, Space, build_valid
from convspec.conformance.fuzz.writer import write_vector_file
from convspec.conformance.outcomes import Outcome


def faulty(name: str):
    return getattr(importlib.import_module("faulty_backends"), name)


# mistake (function) -> seed, invalid mode, the minimal shapes and attributes it must shrink to
MINIMAL = {
    # a flip shows with two taps (and one channel, rank 1, batch 1)
    "kernel_flip": (3, False, {"x": [1, 1, 2], "w": [1, 1, 2]}, {}),
    # one element and one padded position after it
    "padding_wrong_side": (2, False, {"x": [1, 1, 1], "w": [1, 1, 1]}, {"padding": [[0, 1]]}),
    # two input positions, stride 2: one output, where stride 1 gives two
    "stride_ignored": (2, False, {"x": [1, 1, 2], "w": [1, 1, 1]}, {"stride": [2]}),
    # two groups with two outputs each: the first place o % g and o // (O/g) differ
    "groups_interleaved": (2, False, {"x": [1, 2, 1], "w": [4, 1, 1]}, {"groups": 2}),
    # one element and a bias
    "bias_dropped": (2, False, {"x": [1, 1, 1], "w": [1, 1, 1], "b": [1]}, {}),
    # two taps dilated by 2 over three inputs
    "dilation_ignored": (2, False, {"x": [1, 1, 3], "w": [1, 1, 2]}, {"dilation": [2]}),
    # two batch items of one element
    "batch_first_only": (2, False, {"x": [2, 1, 1], "w": [1, 1, 1]}, {}),
    # the simplest invalid call: stride 0
    "accepts_invalid": (1, True, {"x": [1, 1, 1], "w": [1, 1, 1]}, {"stride": [0]}),
}


@pytest.mark.parametrize("name", sorted(MINIMAL))
def test_fuzz_shrinks_the_mistake_to_a_minimal_vector_that_replays(name, faulty_on_path, tmp_path, capsys):
    seed, invalid, shapes, attributes = MINIMAL[name]
    backend = Backend(name=f"faulty_backends:{name}", implementation=faulty(name))
    report = fuzz(backend, FuzzConfig(examples=500, seed=seed, invalid=invalid))

    # found, and shrunk to no more than the mistake needs
    assert report.failure is not None, f"no failure found in {report.progress.cases} cases"
    case = report.failure.case
    assert case.call.dtype == "float64"
    assert {k: list(v.shape) for k, v in case.arrays.items()} == shapes
    assert case.written == attributes
    assert (case.error == "stride") if invalid else case.error is None
    assert report.failure.result.outcome is Outcome.FAIL
    assert report.progress.shrink_cases > 0

    # written as a vector file that validates (schema and every check of `convspec validate`)
    written = write_vector_file(case, report.failure.result, backend, tmp_path, seed=report.seed)
    assert written.path.parent == tmp_path and written.path.name.startswith("fuzz-")
    (vector,) = load_file(written.path)
    assert vector.id == report.failure.vector.id and vector.id.startswith("fuzz/")
    assert vector.source == f"convspec fuzz, seed {report.seed}" and vector.topic == "fuzz"
    assert name.replace("_", "-") in vector.catches
    assert written.replay.outcome is Outcome.FAIL

    # `convspec run FILE --backend B` replays the same failure of the same vector
    code = main(["run", str(written.path), "--backend", f"faulty_backends:{name}"])
    out = capsys.readouterr().out
    assert code == 1
    assert out.splitlines()[0].split()[:2] == ["fail", vector.id]
    assert "0 passed, 1 failed" in out

    # the correct backend passes it, and every mistake it claims to catch fails it
    assert run_vector(vector, Backend(name="numpy", implementation=correct)).outcome is Outcome.PASS
    module = importlib.import_module("faulty_backends")
    for mistake in vector.catches:
        result = run_vector(vector, Backend(name=mistake, implementation=module.ALL[mistake]))
        assert result.outcome is Outcome.FAIL, f"claims to catch {mistake}, which passes it"


def test_the_correct_backend_passes_a_fixed_seed_run():
    report = fuzz(Backend(name="numpy", implementation=correct), FuzzConfig(examples=600, seed=20240607))
    assert report.failure is None and not report.problem
    assert report.progress.cases == 600 and report.progress.counts["pass"] == 600


def test_the_correct_backend_rejects_every_generated_invalid_call():
    report = fuzz(Backend(name="numpy", implementation=correct),
                  FuzzConfig(examples=300, seed=7, invalid=True))
    assert report.failure is None and report.progress.counts["pass"] == 300


def test_the_search_depends_on_the_seed_alone():
    backend = Backend(name="numpy", implementation=correct)
    first, second = (fuzz(backend, FuzzConfig(examples=1, seed=11)) for _ in range(2))
    assert first.progress.counts == second.progress.counts
    cases = [build_valid(RandomChooser(np.random.default_rng(11)), Space()) for _ in range(2)]
    assert cases[0].describe() == cases[1].describe() and cases[0].call == cases[1].call
    for name, values in cases[0].arrays.items():
        assert np.array_equal(values, cases[1].arrays[name], equal_nan=True)
