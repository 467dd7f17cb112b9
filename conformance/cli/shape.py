"""`convspec shape`: the output-size rule along one axis, with the numbers filled in."""

from __future__ import annotations

import argparse

from .usage import EXIT_OK


def add_parser(verbs: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = verbs.add_parser("shape", help="output size along one axis, with the formula filled in")
    p.add_argument("W", type=int, help="input size")
    p.add_argument("F", type=int, help="kernel size")
    p.add_argument("S", type=int, nargs="?", default=1, help="stride (default 1)")
    p.add_argument("P", nargs="?", default="0",
                   help="padding: P on both sides, or BEFORE,AFTER (default 0)")
    p.add_argument("--dilation", type=int, default=1)
    p.add_argument("--padding", choices=["valid", "same_upper", "same_lower"],
                   help="a named padding mode instead of P")
    p.set_defaults(func=cmd_shape)
    return p


def cmd_shape(args: argparse.Namespace) -> int:
    from ..output_size_text import explain

    print(explain(args.W, args.F, args.S, args.P, args.dilation, args.padding))
    return EXIT_OK
