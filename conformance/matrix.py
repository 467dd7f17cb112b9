"""`convspec matrix`: the corpus against every installed backend, tabulated.

One row per backend, topic and dtype with the count of each outcome; every vector that did not
pass is listed with its reason, so a deviation is shown with its evidence. A backend's known
deviations live in conformance/backends/expected_failures/<name>.yaml and report as xfail.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

from .backends import installed
from .outcomes import Outcome
from .session import Session, SessionError
from .vector import Vector

COLUMNS = [Outcome.PASS, Outcome.FAIL, Outcome.ERROR, Outcome.CRASH, Outcome.TIMEOUT,
           Outcome.UNSUPPORTED, Outcome.XFAIL, Outcome.XPASS]


def build(vectors: list[Vector], names: list[str] | None = None, profile: str = "strict") -> dict:
    """Run every backend and return the matrix as a JSON-ready mapping."""
    by_id = {v.id: v for v in vectors}
    matrix: dict = {"profile": profile, "backends": []}
    for name in names or list(installed()):
        try:
            session = Session.open(name, profile=profile)
        except SessionError as exc:
            matrix["backends"].append({"name": name, "available": False, "reason": str(exc)})
            continue
        with session:
            results = list(session.results(vectors))
        backend = session.backend
        cells: dict[tuple[str, str], Counter] = defaultdict(Counter)
        for result in results:
            vector = by_id[result.vector_id]
            cells[(vector.topic, vector.dtype)][result.outcome.value] += 1
        matrix["backends"].append({
            "name": name, "available": True, "version": backend.version,
            "cells": [{"topic": t, "dtype": d, **counts} for (t, d), counts in sorted(cells.items())],
            "totals": dict(Counter(r.outcome.value for r in results)),
            "not_passed": [{"id": r.vector_id, "outcome": r.outcome.value, "reason": r.reason,
                            "worst": r.worst.describe() if r.worst else None}
                           for r in results if r.outcome not in (Outcome.PASS,)],
        })
    return matrix


def markdown(matrix: dict) -> str:
    """The matrix as Markdown: a summary table, then per backend its cells and its deviations."""
    head = "| " + " | ".join(o.value for o in COLUMNS) + " |"
    rule = "|" + "---|" * len(COLUMNS)
    out = [f"# Conformance matrix (profile {matrix['profile']})", "",
           "| backend | version | " + head[2:], "|---|---|" + rule[1:]]
    for b in matrix["backends"]:
        if not b["available"]:
            out.append(f"| {b['name']} | unavailable: {b['reason']} |" + " |" * len(COLUMNS))
            continue
        counts = " | ".join(str(b["totals"].get(o.value, 0)) for o in COLUMNS)
        out.append(f"| {b['name']} | {b['version']} | {counts} |")
    for b in matrix["backends"]:
        if not b["available"]:
            continue
        out += ["", f"## {b['name']} {b['version']}", "", "| topic | dtype | " + head[2:],
                "|---|---|" + rule[1:]]
        for cell in b["cells"]:
            counts = " | ".join(str(cell.get(o.value, 0)) for o in COLUMNS)
            out.append(f"| {cell['topic']} | {cell['dtype']} | {counts} |")
        shown = [d for d in b["not_passed"] if d["outcome"] != "unsupported"]
        if shown:
            out += ["", "Vectors that did not pass:", ""]
            out += [f"- `{d['id']}` — {d['outcome']}: {d['reason']}"
                    + (f"; {d['worst']}" if d["worst"] and d["outcome"] != "pass" else "") for d in shown]
    return "\n".join(out) + "\n"


def write(matrix: dict, out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    md, js = out_dir / "convspec-matrix.md", out_dir / "convspec-matrix.json"
    md.write_text(markdown(matrix), encoding="utf-8")
    js.write_text(json.dumps(matrix, indent=2) + "\n", encoding="utf-8")
    return md, js
