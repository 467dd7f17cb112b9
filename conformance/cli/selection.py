"""Which vectors a verb works on: the arguments that choose them, and loading and choosing them."""

from __future__ import annotations

import argparse

from .usage import UsageError


def add_selection(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", help="vector files or folders (default: the built-in corpus)")
    p.add_argument("-k", metavar="PATTERN", help="only ids containing PATTERN (or matching a glob)")
    p.add_argument("--tag", action="append", default=[], help="only vectors with this tag (repeatable)")


def add_file_limits(p: argparse.ArgumentParser) -> None:
    p.add_argument("--max-file-bytes", type=int, metavar="N", help="refuse vector files larger than N bytes")
    p.add_argument("--max-elements", type=int, metavar="N",
                   help="refuse tensors declaring more than N elements (checked before allocating)")


def selected_vectors(args: argparse.Namespace):
    """The vectors the paths, -k, --tag and --shard arguments choose; none is a usage error."""
    from ..loading import load_vectors
    from ..runner import select

    limits = {k: v for k, v in (("max_bytes", getattr(args, "max_file_bytes", None)),
                                ("max_elements", getattr(args, "max_elements", None))) if v}
    vectors = load_vectors(args.paths or None, **limits)
    chosen = select(vectors, args.k, args.tag)
    shard = getattr(args, "shard", None)
    if shard:
        k, n = parse_shard(shard)
        chosen = chosen[k - 1::n]
    if not chosen:
        raise UsageError(f"no vector matches (of {len(vectors)} loaded)")
    return chosen


def parse_shard(text: str) -> tuple[int, int]:
    try:
        k, n = (int(part) for part in text.split("/"))
    except ValueError:
        raise UsageError(f"--shard expects K/N with whole numbers, got {text!r}") from None
    if not 1 <= k <= n:
        raise UsageError(f"--shard expects K/N with 1 <= K <= N, got {text!r}")
    return k, n
