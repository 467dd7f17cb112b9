"""`convspec list`: the chosen vectors, one a line.

Not named list.py: a submodule becomes an attribute of its package, and `list` would shadow the
builtin inside the package's own namespace.
"""

from __future__ import annotations

import argparse

from .selection import add_selection, selected_vectors
from .usage import EXIT_OK


def add_parser(verbs: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = verbs.add_parser("list", help="list vectors, one a line")
    add_selection(p)
    p.set_defaults(func=cmd_list)
    return p


def cmd_list(args: argparse.Namespace) -> int:
    for v in selected_vectors(args):
        shapes = " ".join(f"{k}{tuple(s['shape'])}" for k, s in v.inputs.items())
        result = f"error:{v.expected_error}" if v.expected_error else str(tuple(v.expected["shape"]))
        print(f"{v.id}  {v.op} {v.dtype} {shapes} -> {result}  [{', '.join(v.tags)}]  {v.title}")
    return EXIT_OK
