"""Correct implementations pass every vector: in every dtype and in any summation order."""

from types import SimpleNamespace

import pytest
from gradient_variants import VARIANTS as GRADIENT_VARIANTS
from summation_orders import ORDERS  # tests/correct is on pytest's pythonpath
from transpose_variants import VARIANTS

from convspec.conformance import Backend, run_vector
from convspec.conformance.outcomes import Outcome
from convspec.conformance.tolerance import PROFILES


@pytest.mark.parametrize("order", sorted(ORDERS))
def test_every_summation_order_passes_every_vector(order, corpus):
    # the orders are convolutions: they run conv's and pad's vectors (the others': below)
    backend = Backend(name=order, implementation=ORDERS[order])
    problems = [(v.id, r.outcome.value, r.reason, r.worst and r.worst.describe())
                for v in corpus if v.op in ("conv", "pad")
                and (r := run_vector(v, backend)).outcome is not Outcome.PASS]
    assert problems == []


@pytest.mark.parametrize("profile", sorted(PROFILES))
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_transposed_convolution_variant_passes_every_conv_transpose_vector(variant, profile, corpus):
    backend = Backend(name=variant, implementation=SimpleNamespace(conv_transpose=VARIANTS[variant]))
    vectors = [v for v in corpus if v.op == "conv_transpose"]
    assert len(vectors) >= 80
    problems = [(v.id, r.outcome.value, r.reason, r.worst and r.worst.describe())
                for v in vectors
                if (r := run_vector(v, backend, PROFILES[profile])).outcome is not Outcome.PASS]
    assert problems == []


def test_the_corpus_covers_every_dtype(corpus):
    every = {"float64", "float32", "float16", "bfloat16", "int8", "uint8", "int32"}
    assert {v.dtype for v in corpus} >= every


GRADIENT_OPS = ("conv_grad_input", "conv_grad_weight", "conv_grad_bias")


@pytest.mark.parametrize("profile", sorted(PROFILES))
@pytest.mark.parametrize("variant", sorted(GRADIENT_VARIANTS))
def test_every_gradient_variant_passes_every_gradient_vector(variant, profile, corpus):
    backend = Backend(name=variant, implementation=GRADIENT_VARIANTS[variant])
    vectors = [v for v in corpus if v.op in GRADIENT_OPS]
    assert len(vectors) >= 80
    problems = [(v.id, r.outcome.value, r.reason, r.worst and r.worst.describe())
                for v in vectors
                if (r := run_vector(v, backend, PROFILES[profile])).outcome is not Outcome.PASS]
    assert problems == []
