"""Deliberately wrong convolutions, one per mistake of spec/mistakes.yaml, as backends to run.

The implementations live in the product's mistakes registry (convspec.conformance.mistakes); this
module only exposes each under its id with '-' -> '_', so that with tests/faulty on PYTHONPATH
``convspec run --backend faulty_backends:kernel_flip`` runs one. ``ALL`` maps every mistake id to
its function.
"""

from __future__ import annotations

from convspec.conformance.mistakes import registry

ALL = {mistake: entry.implementation for mistake, entry in registry().items()}

# module attributes generated from the registry, so a new mistake needs no edit here
globals().update({mistake.replace("-", "_"): implementation for mistake, implementation in ALL.items()})
