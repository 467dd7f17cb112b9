"""Expected-failures files: vectors a backend is known to fail, each with the reason."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from .errors import VectorFileError, VectorProblem
from .loading import read_yaml

# The deviations convspec records for its built-in adapters, one NAME.yaml per backend.
SHIPPED = Path(__file__).parent / "backends" / "expected_failures"


def shipped_for(backend: str) -> Path | None:
    """The expected-failures file convspec ships for a built-in backend, if it has one."""
    path = SHIPPED / f"{backend}.yaml"
    return path if path.exists() else None


@cache
def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags as Linux lists them (none elsewhere)."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return frozenset()
    for row in text.splitlines():
        if row.startswith("flags"):
            return frozenset(row.partition(":")[2].split())
    return frozenset()


def _applies(entry: dict) -> bool:
    """An entry with ``cpu_flags`` holds only on a CPU that has all of them: some kernels a framework
    picks, and their deviations, depend on the instructions the CPU offers."""
    return set(entry.get("cpu_flags", ())) <= cpu_flags()


def _well_formed(entry: object) -> bool:
    return (isinstance(entry, dict) and {"id", "reason"} <= set(entry) <= {"id", "reason", "cpu_flags"}
            and isinstance(entry["id"], str) and isinstance(entry["reason"], str)
            and (not isinstance(entry.get("cpu_flags", []), str)
                 and all(isinstance(f, str) for f in entry.get("cpu_flags", []))))


def load_expected_failures(path: Path | str) -> dict[str, str]:
    """Read ``{vector id: reason}`` from a YAML list of ``{id: ..., reason: ...}`` entries (an entry
    may add ``cpu_flags: [FLAG, ...]``: it then applies only on a CPU with those flags)."""
    path = Path(path)
    document = read_yaml(path)
    if not isinstance(document, list):
        raise VectorFileError([VectorProblem(
            path, "expected a YAML list of entries with 'id' and 'reason'")])
    found: dict[str, str] = {}
    problems = []
    for i, entry in enumerate(document):
        if not _well_formed(entry):
            problems.append(VectorProblem(path, "expected the keys 'id' and 'reason' (strings) and "
                                                "optionally 'cpu_flags' (a list of strings)", field=f"[{i}]"))
        elif entry["id"] in found:
            problems.append(VectorProblem(path, "listed twice", vector=entry["id"], field=f"[{i}]"))
        elif _applies(entry):
            found[entry["id"]] = entry["reason"]
    if problems:
        raise VectorFileError(problems)
    return found
