"""`convspec coverage`: how many windows read each input pixel."""

from __future__ import annotations

import argparse

from .usage import EXIT_OK


def add_parser(verbs: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = verbs.add_parser("coverage", help="how many windows read each input pixel (border coverage)")
    p.add_argument("H", type=int, help="input height")
    p.add_argument("W", type=int, help="input width")
    p.add_argument("F", type=int, help="kernel size (F x F)")
    p.add_argument("--stride", type=int, default=1)
    p.add_argument("--padding", default="0", help="P on both sides, or BEFORE,AFTER (default 0)")
    p.add_argument("--dilation", type=int, default=1)
    p.set_defaults(func=cmd_coverage)
    return p


def cmd_coverage(args: argparse.Namespace) -> int:
    from convspec.reference import coverage

    from ..output_size_text import parse_padding

    pads = parse_padding(args.padding)
    counts = coverage((args.H, args.W), (args.F, args.F), (args.stride,) * 2, (pads, pads),
                      (args.dilation,) * 2)
    width = len(str(counts.max()))
    print(f"windows of a {args.F}x{args.F} kernel (stride {args.stride}, padding {list(pads)}, "
          f"dilation {args.dilation}) reading each pixel of a {args.H}x{args.W} input:")
    for row in counts:
        print(" ".join(f"{c:>{width}}" for c in row))
    print(f"min {counts.min()} (corner {counts[0, 0]}), max {counts.max()}")
    return EXIT_OK
