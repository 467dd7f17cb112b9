"""Relaxed profiles accept exactly the departures they name, and strict does not."""

import importlib

import pytest

from convspec.conformance import PROFILES, Backend, run_vector
from convspec.conformance.mistakes import registry
from convspec.conformance.outcomes import Outcome


@pytest.mark.parametrize(("mistake", "profile"), [("accumulate-half", "half-accumulate"),
                                                   ("tf32-inputs", "tf32"),
                                                   ("transpose-accumulate-half", "half-accumulate")])
def test_a_relaxed_profile_accepts_its_departure_on_every_vector(mistake, profile, corpus):
    backend = registry()[mistake].backend()
    # every vector the mistake's operator runs (a conv backend pads through its conv, too)
    ran = [v for v in corpus if backend.unsupported(v.call) is None]
    assert len(ran) >= 80
    results = [run_vector(v, backend, PROFILES[profile]) for v in ran]
    assert [(r.vector_id, r.reason) for r in results if r.outcome is not Outcome.PASS] == []
    assert {r.profile for r in results} == {profile}
    strict = [v.id for v in ran if run_vector(v, backend).outcome is Outcome.FAIL]
    assert strict, "strict must fail what the profile relaxes"


def test_relaxed_profiles_do_not_excuse_other_mistakes(corpus_by_id, faulty_on_path):
    module = importlib.import_module("faulty_backends")
    flipped = Backend(name="flip", implementation=module.kernel_flip)
    vector = corpus_by_id["notes/convolution/minus-60"]
    assert all(run_vector(vector, flipped, p).outcome is Outcome.FAIL for p in PROFILES.values())


def test_profiles_are_documented():
    assert set(PROFILES) == {"strict", "tf32", "half-accumulate"}
    assert all(p.summary for p in PROFILES.values())
