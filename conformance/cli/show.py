"""`convspec show`: a vector's values, its expected output and its first element worked out."""

from __future__ import annotations

import argparse

from .usage import EXIT_OK, UsageError


def add_parser(verbs: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = verbs.add_parser("show", help="print a vector, its math and its expected output")
    p.add_argument("ids", nargs="+", metavar="ID")
    p.add_argument("--file", dest="paths", action="append", default=[],
                   help="look in this vector file or folder instead of the built-in corpus")
    p.set_defaults(func=cmd_show)
    return p


def cmd_show(args: argparse.Namespace) -> int:
    from ..loading import load_vectors
    from ..show import render

    vectors = {v.id: v for v in load_vectors(args.paths or None)}
    for vid in args.ids:
        if vid not in vectors:
            near = [v for v in vectors if vid in v]
            hint = f"; did you mean {', '.join(near[:5])}?" if near else ""
            raise UsageError(f"no vector with id {vid!r}{hint}")
        print(render(vectors[vid]))
    return EXIT_OK
