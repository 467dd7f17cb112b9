"""convspec's conformance runner: load vectors, call a backend, judge, report."""

from .backends import Backend, resolve
from .errors import VectorFileError, VectorProblem
from .loading import load_file, load_vectors
from .outcomes import Outcome, Result
from .runner import run, run_vector, select
from .tolerance import PROFILES, Profile
from .vector import Vector

__all__ = [
    "PROFILES",
    "Backend",
    "Outcome",
    "Profile",
    "Result",
    "Vector",
    "VectorFileError",
    "VectorProblem",
    "load_file",
    "load_vectors",
    "resolve",
    "run",
    "run_vector",
    "select",
]
