"""`convspec shape`: the output-size rule along one axis, with the numbers filled in."""

from __future__ import annotations

import argparse

from .usage import EXIT_OK


def add_parser(verbs: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = verbs.add_parser(
        "shape", help="output size along one axis, with the formula filled in",
        description="The output size of a convolution along one axis, with the numbers filled in and "
                    "what the floor drops. With --transpose, that of the transposed convolution "
                    "(conv_transpose): P then crops the output, and --output-padding adds positions "
                    "at its end.")
    p.add_argument("W", type=int, help="input size")
    p.add_argument("F", type=int, help="kernel size")
    p.add_argument("S", type=int, nargs="?", default=1, help="stride (default 1)")
    p.add_argument("P", nargs="?", default="0",
                   help="padding: P on both sides, or BEFORE,AFTER (default 0); with --transpose, the crop")
    p.add_argument("--dilation", type=int, default=1)
    p.add_argument("--padding", choices=["valid", "same_upper", "same_lower"],
                   help="a named padding mode instead of P (with --transpose: an output of W·S, split "
                        "as ONNX's auto_pad)")
    p.add_argument("--transpose", action="store_true",
                   help="the transposed convolution: out = (W - 1)·S - p0 - p1 + D·(F - 1) + OP + 1")
    p.add_argument("--output-padding", type=int, default=None, metavar="OP",
                   help="with --transpose: positions added at the end, 0 <= OP < max(S, D) (default 0)")
    p.set_defaults(func=cmd_shape)
    return p


def cmd_shape(args: argparse.Namespace) -> int:
    from ..output_size_text import explain, explain_transpose

    if args.transpose:
        print(explain_transpose(args.W, args.F, args.S, args.P, args.dilation, args.output_padding or 0,
                                args.padding))
    elif args.output_padding is not None:
        raise ValueError("--output-padding is an attribute of the transposed convolution: add --transpose")
    else:
        print(explain(args.W, args.F, args.S, args.P, args.dilation, args.padding))
    return EXIT_OK
