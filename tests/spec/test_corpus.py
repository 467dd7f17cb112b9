"""The built-in vectors are right: the reference re-derives every stored value."""

import itertools
import math

import numpy as np
import pytest

from convspec import spec
from convspec.conformance import load_vectors
from convspec.conformance.validation import window_labels
from convspec.reference import ConvArgumentError, coverage
from convspec.reference.exact import conv_exact

VECTORS = load_vectors()


def test_schema_is_published_beside_the_vectors():
    assert spec.schema()["properties"]["format"]["const"] == "convspec-vectors/1"
    assert len(spec.vector_files()) >= 6


@pytest.mark.parametrize("vector", [v for v in VECTORS if v.expected_error is None], ids=lambda v: v.id)
def test_reference_reproduces_the_stored_expected_output(vector):
    arrays = vector.arrays()
    ref = vector.operator.reference(vector.call, arrays)
    assert list(ref.shape) == vector.expected["shape"]
    stored = vector.expected_values()
    if stored is not None:
        assert np.array_equal(ref, stored, equal_nan=True)  # vectors may write nan (vectors.md)


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v.id)
def test_every_vector_cites_the_notes_or_another_source_and_names_a_mistake(vector):
    assert vector.source.strip() and vector.catches


def test_minus_60_is_written_inline_as_in_the_notes():
    v = {v.id: v for v in VECTORS}["notes/convolution/minus-60"]
    assert v.inputs["x"]["data"] == [[10, 20, 30], [15, 25, 35], [20, 30, 40]]
    assert v.inputs["w"]["data"] == [[1, 0, -1]] * 3
    assert v.expected == {"shape": [1, 1, 1, 1], "data": [-60]}


@pytest.mark.parametrize("vid", ["notes/stride/letters-stride-1-windows",
                                 "notes/stride/letters-stride-2-windows"])
def test_letter_windows_are_spelled_out_by_the_expected_output(vid):
    v = {v.id: v for v in VECTORS}[vid]
    expected = v.expected_values()
    assert v.windows
    for window in v.windows:
        at = tuple(window["at"])
        spelled = [v.label(expected[(0, k, *at)]) for k in range(9)]
        assert spelled == window["covers"] == window_labels(v, at)


def test_notes_windows_first_second_and_stride_2():
    by_id = {v.id: v for v in VECTORS}
    s1, s2 = by_id["notes/stride/letters-stride-1-windows"], by_id["notes/stride/letters-stride-2-windows"]
    assert "".join(window_labels(s1, (0, 0))) == "ABCFGHKLM"
    assert "".join(window_labels(s1, (0, 1))) == "BCDGHILMN"
    assert "".join(window_labels(s2, (0, 1))) == "CDEHIJMNO"
    assert s1.expected["shape"][2:] == [3, 3] and s2.expected["shape"][2:] == [2, 2]


def test_stacked_kernels_chain_and_compose():
    by_id = {v.id: v for v in VECTORS}
    chain = [by_id[f"notes/receptive-field/stacked-{i}"] for i in (1, 2, 3)]
    one = by_id["notes/receptive-field/one-7x7"]
    for before, after in itertools.pairwise(chain):
        assert np.array_equal(before.expected_values(), after.arrays()["x"])
    assert np.array_equal(chain[-1].expected_values(), one.expected_values())
    assert np.array_equal(chain[0].arrays()["x"], one.arrays()["x"])
    kernels = [v.arrays()["w"][0, 0].astype(float) for v in chain]
    full = kernels[0]
    for k in kernels[1:]:
        grown = np.zeros((full.shape[0] + 2, full.shape[1] + 2))
        for i, j in np.ndindex(*full.shape):
            grown[i:i + 3, j:j + 3] += full[i, j] * k
        full = grown
    assert np.array_equal(full, one.arrays()["w"][0, 0])
    assert sum(math.prod(v.inputs["w"]["shape"]) for v in chain) == 27
    assert math.prod(one.inputs["w"]["shape"]) == 49


@pytest.mark.parametrize(("vid", "padding"), [("notes/padding/border-coverage-unpadded", 0),
                                              ("notes/padding/border-coverage-padded", 1)])
def test_border_coverage_vectors_match_counting_windows(vid, padding):
    cover = {v.id: v for v in VECTORS}[vid].expected_values()[0, 0]
    assert np.array_equal(cover, coverage((5, 5), (3, 3), padding=((padding, padding),) * 2))
    assert cover[0, 0] == (1 if padding == 0 else 4) and cover[2, 2] == 9


@pytest.mark.parametrize("vector", [v for v in VECTORS if v.expected_error is not None],
                         ids=lambda v: v.id)
def test_reference_rejects_every_error_vector_with_its_kind(vector):
    arrays = vector.arrays()
    with pytest.raises(ConvArgumentError) as exc:
        vector.operator.reference(vector.call, arrays)
    assert exc.value.kind == vector.expected_error


def test_every_catches_entry_is_a_known_mistake():
    known = spec.mistakes()
    assert all(set(v.catches) <= set(known) for v in VECTORS)


def _conv_vectors():
    return [v for v in VECTORS if v.op == "conv" and v.expected_error is None]


@pytest.mark.parametrize("vector", _conv_vectors(), ids=lambda v: v.id)
def test_the_exact_reference_agrees_with_the_fast_reference(vector):
    arrays = vector.arrays()
    fast = vector.operator.reference(vector.call, arrays)
    fractions, exact = conv_exact(arrays["x"], arrays["w"], arrays.get("b"), **vector.call.keywords())
    if np.issubdtype(fast.dtype, np.integer):
        assert [int(v) for v in fractions.ravel()] == [int(v) for v in fast.ravel()]
        return
    expect = vector.expectation(arrays)
    n = expect.terms
    slack = n * 2.0**-53 / (1 - n * 2.0**-53) * expect.magnitude + n * 2.0**-1074
    assert np.array_equal(np.isnan(fast), np.isnan(exact))
    finite = np.isfinite(exact)
    assert np.array_equal(fast[~finite & ~np.isnan(exact)], exact[~finite & ~np.isnan(exact)])
    assert np.all(np.abs(fast[finite] - exact[finite]) <= slack[finite])


def test_the_schema_names_exactly_the_error_kinds_the_reference_raises():
    from convspec import spec
    from convspec.reference import ERROR_KINDS

    kinds = [node["properties"]["error"]["enum"] for node in _walk(spec.schema())
             if "enum" in node.get("properties", {}).get("error", {})]
    assert kinds and all(sorted(k) == sorted(ERROR_KINDS) for k in kinds)


def _walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)
