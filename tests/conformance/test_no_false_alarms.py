"""Correct implementations pass every vector: in every dtype and in any summation order."""

import pytest
from summation_orders import ORDERS  # tests/correct is on pytest's pythonpath

from convspec.conformance import Backend, run_vector
from convspec.conformance.outcomes import Outcome


@pytest.mark.parametrize("order", sorted(ORDERS))
def test_every_summation_order_passes_every_vector(order, corpus):
    backend = Backend(name=order, implementation=ORDERS[order])
    problems = [(v.id, r.outcome.value, r.reason, r.worst and r.worst.describe())
                for v in corpus if (r := run_vector(v, backend)).outcome is not Outcome.PASS]
    assert problems == []


def test_the_corpus_covers_every_dtype(corpus):
    every = {"float64", "float32", "float16", "bfloat16", "int8", "uint8", "int32"}
    assert {v.dtype for v in corpus} >= every
