"""Errors in vector files: one line each, naming the file, the vector, the field and what was expected."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class VectorProblem:
    """One thing wrong with a vector file."""

    file: Path | str
    message: str
    vector: str | None = None
    field: str | None = None
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = str(self.file)
        if self.line is not None:
            where += f":{self.line}" + (f":{self.column}" if self.column is not None else "")
        parts = [where]
        if self.vector is not None:
            parts.append(f"vector {self.vector!r}")
        if self.field:
            parts.append(f"field {self.field}")
        return ": ".join(parts) + ": " + " ".join(self.message.split())


class VectorFileError(Exception):
    """One or more problems found in vector files; ``problems`` lists them all."""

    def __init__(self, problems: list[VectorProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def field_path(parts: list[str | int]) -> str:
    """``['inputs', 'x', 'shape', 1]`` -> ``inputs.x.shape[1]``."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
