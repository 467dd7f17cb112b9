"""Shared fixtures: the built-in corpus, and the folder of deliberately faulty backends."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from convspec.conformance import load_vectors

pytest_plugins = ["pytester"]

# Tests (and the convspec processes they start) keep the cache of checked vector files out of the
# user's home; each pytest process gets its own.
os.environ["CONVSPEC_CACHE_DIR"] = tempfile.mkdtemp(prefix="convspec-test-cache-")
atexit.register(shutil.rmtree, os.environ["CONVSPEC_CACHE_DIR"], ignore_errors=True)

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
