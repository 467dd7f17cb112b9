"""`convspec validate`: check vector files, reporting every problem in every file at once."""

from __future__ import annotations

import argparse

from .selection import add_file_limits
from .usage import EXIT_OK


def add_parser(verbs: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = verbs.add_parser("validate", help="check vector files; report every problem")
    p.add_argument("paths", nargs="*", help="vector files or folders (default: the built-in corpus)")
    add_file_limits(p)
    p.set_defaults(func=cmd_validate)
    return p


def cmd_validate(args: argparse.Namespace) -> int:
    from ..loading import expand_paths, load_vectors

    limits = {k: v for k, v in (("max_bytes", args.max_file_bytes), ("max_elements", args.max_elements)) if v}
    vectors = load_vectors(args.paths or None, **limits)
    files = len(expand_paths(args.paths)) if args.paths else len({v.file for v in vectors})
    print(f"{len(vectors)} vectors in {files} files: valid")
    return EXIT_OK
