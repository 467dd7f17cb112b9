"""Each deliberately faulty backend fails the vectors written to catch its mistake."""

import importlib

import pytest

from convspec.conformance import Backend, run_vector
from convspec.conformance.outcomes import Outcome

CAUGHT_BY = {
    "flipped_kernel": ["notes/convolution/minus-60", "notes/kernels/vertical-edge",
                       "notes/stride/letters-stride-1-sums", "notes/receptive-field/one-7x7"],
    "padding_one_side": ["notes/padding/8x8-pad-1-conv-3x3-keeps-8x8",
                         "notes/padding/border-coverage-padded"],
    "stride_ignored": ["notes/stride/letters-stride-2-windows", "notes/output-size/5x5-f3-s2-p0"],
    "ceil_output_size": ["notes/output-size/6x6-f3-s2-floor"],
}


@pytest.mark.parametrize("name", sorted(CAUGHT_BY))
def test_faulty_backend_fails_the_vectors_meant_to_catch_it(name, corpus, faulty_on_path):
    module = importlib.import_module("faulty_backends")
    backend = Backend(name=name, conv=getattr(module, name))
    failed = {v.id for v in corpus if run_vector(v, backend).outcome is Outcome.FAIL}
    assert set(CAUGHT_BY[name]) <= failed


def test_flipped_kernel_message_shows_got_60_expected_minus_60(corpus_by_id, faulty_on_path):
    module = importlib.import_module("faulty_backends")
    result = run_vector(corpus_by_id["notes/convolution/minus-60"],
                        Backend(name="flipped", conv=module.flipped_kernel))
    assert result.outcome is Outcome.FAIL
    assert "got 60, expected -60" in result.worst.describe()
