"""Expected-failures files: vectors a backend is known to fail, each with the reason."""

from __future__ import annotations

from pathlib import Path

from .errors import VectorFileError, VectorProblem
from .loading import read_yaml

# The deviations convspec records for its built-in adapters, one NAME.yaml per backend.
SHIPPED = Path(__file__).parent / "backends" / "expected_failures"


def shipped_for(backend: str) -> Path | None:
    """The expected-failures file convspec ships for a built-in backend, if it has one."""
    path = SHIPPED / f"{backend}.yaml"
    return path if path.exists() else None


def load_expected_failures(path: Path | str) -> dict[str, str]:
    """Read ``{vector id: reason}`` from a YAML list of ``{id: ..., reason: ...}`` entries."""
    path = Path(path)
    document = read_yaml(path)
    if not isinstance(document, list):
        raise VectorFileError([VectorProblem(
            path, "expected a YAML list of entries with 'id' and 'reason'")])
    found: dict[str, str] = {}
    problems = []
    for i, entry in enumerate(document):
        if not (isinstance(entry, dict) and set(entry) == {"id", "reason"}
                and isinstance(entry["id"], str) and isinstance(entry["reason"], str)):
            problems.append(VectorProblem(path, "expected exactly the keys 'id' and 'reason' (strings)",
                                          field=f"[{i}]"))
        elif entry["id"] in found:
            problems.append(VectorProblem(path, "listed twice", vector=entry["id"], field=f"[{i}]"))
        else:
            found[entry["id"]] = entry["reason"]
    if problems:
        raise VectorFileError(problems)
    return found
