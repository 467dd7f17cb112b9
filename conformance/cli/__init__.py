"""The `convspec` command line: one module per verb, each adding its parser and its handler.

Verb modules import their heavy dependencies inside the handler, so `convspec --help` loads no NumPy.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ..errors import VectorFileError
from . import backends, coverage, fuzz, listing, matrix, run, shape, show, validate
from .usage import EXIT_NOT_PASSED, EXIT_USAGE, UsageError


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="convspec", description="Check a convolution implementation against the convspec test vectors.",
        epilog="environment: CONVSPEC_CACHE_DIR=DIR keeps the cache of vector files that passed every "
               "check in DIR (default: $XDG_CACHE_HOME/convspec or ~/.cache/convspec); "
               "CONVSPEC_CACHE_DIR=off turns it off.")
    verbs = top.add_subparsers(dest="verb", metavar="VERB")
    verbs.required = True
    for verb in (run, matrix, listing, show, validate, shape, coverage, backends, fuzz):  # --help's order
        verb.add_parser(verbs)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `convspec` command; returns the exit code."""
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except VectorFileError as exc:
        for problem in exc.problems:
            print(f"convspec: {problem}", file=sys.stderr)
        return EXIT_USAGE
    except (UsageError, ValueError) as exc:
        print(f"convspec: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # output piped into `head` and closed: stop quietly
        sys.stderr.close()
        return EXIT_NOT_PASSED
