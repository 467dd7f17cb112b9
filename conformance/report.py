"""Reporting results: a line per vector on the console, a summary, and a JSON file."""

from __future__ import annotations

import importlib.metadata
import json
import platform
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TextIO

from .backends import Backend
from .outcomes import Outcome, Result


def convspec_version() -> str:
    try:
        return importlib.metadata.version("convspec")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def line(result: Result) -> str:
    """One console line: outcome, vector id and, unless it passed, why."""
    text = f"{result.outcome.value:<11} {result.vector_id}"
    details = [d for d in (result.reason,) if d]
    if result.worst is not None and result.outcome is not Outcome.PASS:
        details.append(result.worst.describe())
    return text + ("  " + "; ".join(details) if details else "")


def summary(results: Iterable[Result], backend: Backend, profile: str, seconds: float) -> str:
    counts = Counter(r.outcome for r in results)
    parts = [f"{counts[Outcome.PASS]} passed", f"{counts[Outcome.FAIL]} failed"]
    parts += [f"{counts[o]} {o.value}" for o in Outcome
              if o not in (Outcome.PASS, Outcome.FAIL) and counts[o]]
    version = f" {backend.version}" if backend.version else ""
    return (f"{', '.join(parts)} in {seconds:.2f}s "
            f"(backend {backend.name}{version}, profile {profile})")


def print_results(results: Iterable[Result], out: TextIO) -> Iterator[Result]:
    """Print each result as it arrives, and pass it on."""
    for result in results:
        print(line(result), file=out, flush=True)
        yield result


def write_json(path: Path | str, results: list[Result], backend: Backend, profile: str,
               seconds: float) -> None:
    """Write every result with the run's context (versions, platform) as one JSON document."""
    counts = Counter(r.outcome.value for r in results)
    document = {
        "convspec_version": convspec_version(),
        "backend": {"name": backend.name, "version": backend.version},
        "profile": profile,
        "platform": {"python": platform.python_version(), "machine": platform.machine(),
                     "system": platform.platform()},
        "seconds": seconds,
        "summary": {o.value: counts.get(o.value, 0) for o in Outcome},
        "results": [r.to_json() for r in results],
    }
    Path(path).write_text(json.dumps(document, indent=2, allow_nan=False, default=str) + "\n",
                          encoding="utf-8")
