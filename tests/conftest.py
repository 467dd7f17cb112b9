"""Shared fixtures: the built-in corpus, and the folder of deliberately faulty backends."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from convspec.conformance import load_vectors

pytest_plugins = ["pytester"]

FAULTY = Path(__file__).parent / "faulty"


@pytest.fixture(scope="session")
def corpus():
    return load_vectors()


@pytest.fixture(scope="session")
def corpus_by_id(corpus):
    return {v.id: v for v in corpus}


@pytest.fixture
def faulty_on_path(monkeypatch):
    """Make tests/faulty importable, as a user's PYTHONPATH would."""
    monkeypatch.syspath_prepend(str(FAULTY))
    yield FAULTY
    for name in [m for m in sys.modules if m == "faulty_backends"]:
        del sys.modules[name]
