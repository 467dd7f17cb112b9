"""The normative part of convspec: vector files, their JSON Schema and the rules' text.

Shipped as package data so an installed convspec finds its corpus without the repository.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

ROOT = Path(__file__).parent
VECTORS = ROOT / "vectors"
SCHEMA = ROOT / "vector-file.schema.json"


def vector_files() -> list[Path]:
    """The built-in vector files, sorted by name."""
    return sorted(VECTORS.glob("*.yaml"))


@cache
def schema() -> dict:
    """The JSON Schema every vector file must satisfy."""
    return json.loads(SCHEMA.read_text(encoding="utf-8"))


MISTAKES = ROOT / "mistakes.yaml"


@cache
def mistakes() -> dict[str, str]:
    """The mistake categories a vector's ``catches`` may name, with what each one is."""
    import yaml

    return yaml.safe_load(MISTAKES.read_text(encoding="utf-8"))
