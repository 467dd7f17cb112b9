"""`convspec matrix`: the corpus against every installed backend, as Markdown and JSON tables."""

from __future__ import annotations

import argparse

from .selection import add_selection, selected_vectors
from .usage import EXIT_NOT_PASSED, EXIT_OK, PROFILE_NAMES


def add_parser(verbs: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = verbs.add_parser("matrix", help="run the corpus against every installed backend; tabulate")
    add_selection(p)
    p.add_argument("--backend", action="append", default=[],
                   help="only this backend (repeatable; default: every installed one)")
    p.add_argument("--profile", default="strict", choices=PROFILE_NAMES)
    p.add_argument("--out", default=".", help="folder for convspec-matrix.md and .json (default: .)")
    p.set_defaults(func=cmd_matrix)
    return p


def cmd_matrix(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .. import matrix

    vectors = selected_vectors(args)
    table = matrix.build(vectors, args.backend or None, args.profile)
    md, js = matrix.write(table, Path(args.out))
    print(matrix.markdown(table), end="")
    print(f"written: {md} and {js}")
    problems = [d for b in table["backends"] if b["available"] for d in b["not_passed"]
                if d["outcome"] in ("fail", "error", "crash", "timeout", "xpass")]
    return EXIT_NOT_PASSED if problems else EXIT_OK
