"""Expected-failures files: entries, their checks, and entries that hold only on some CPUs."""

from __future__ import annotations

import pytest

from convspec.conformance import expected_failures
from convspec.conformance.errors import VectorFileError
from convspec.conformance.expected_failures import load_expected_failures


@pytest.fixture
def avx512_only(monkeypatch):
    monkeypatch.setattr(expected_failures, "cpu_flags", lambda: frozenset({"avx512f"}))


def test_an_entry_for_cpu_flags_applies_only_where_the_cpu_has_them(tmp_path, avx512_only):
    path = tmp_path / "x.yaml"
    path.write_text("- {id: a, reason: everywhere}\n"
                    "- {id: b, reason: with AVX-512, cpu_flags: [avx512f]}\n"
                    "- {id: c, reason: with AMX, cpu_flags: [avx512f, amx_bf16]}\n")
    assert load_expected_failures(path) == {"a": "everywhere", "b": "with AVX-512"}


@pytest.mark.parametrize("entry", ["{id: a, reason: r, cpu_flags: avx512f}", "{id: a, reason: r, cpu: [x]}",
                                   "{id: a}", "{id: a, reason: r, cpu_flags: [1]}"])
def test_a_malformed_entry_is_reported_with_its_index(tmp_path, entry):
    path = tmp_path / "x.yaml"
    path.write_text(f"- {{id: ok, reason: fine}}\n- {entry}\n")
    with pytest.raises(VectorFileError) as raised:
        load_expected_failures(path)
    (problem,) = raised.value.problems
    assert problem.field == "[1]" and "cpu_flags" in problem.message


def test_cpu_flags_are_read_from_the_system():
    flags = expected_failures.cpu_flags()
    assert isinstance(flags, frozenset) and all(isinstance(f, str) and f for f in flags)
