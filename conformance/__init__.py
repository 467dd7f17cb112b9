"""convspec's conformance runner: load vectors, call a backend, judge, report.

Names are imported on first use, so `convspec --help` starts without NumPy, jsonschema or any
framework.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

_EXPORTS = {
    "PROFILES": ".tolerance", "Profile": ".tolerance",
    "Backend": ".backends", "resolve": ".backends",
    "VectorFileError": ".errors", "VectorProblem": ".errors",
    "load_file": ".loading", "load_vectors": ".loading",
    "Outcome": ".outcomes", "Result": ".outcomes",
    "run": ".runner", "run_vector": ".runner", "select": ".runner",
    "Vector": ".vector",
}
__all__ = [  # noqa: RUF022 - kept in the order of _EXPORTS
    "PROFILES", "Profile", "Backend", "resolve", "VectorFileError", "VectorProblem", "load_file",
    "load_vectors", "Outcome", "Result", "run", "run_vector", "select", "Vector",
]

if TYPE_CHECKING:
    from .backends import Backend, resolve
    from .errors import VectorFileError, VectorProblem
    from .loading import load_file, load_vectors
    from .outcomes import Outcome, Result
    from .runner import run, run_vector, select
    from .tolerance import PROFILES, Profile
    from .vector import Vector


def __getattr__(name: str) -> object:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    globals()[name] = value
    return value
