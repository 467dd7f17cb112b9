"""The `convspec` command line: run, list, show, validate, shape, backends."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from .errors import VectorFileError

EXIT_OK, EXIT_NOT_PASSED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A problem with what the user asked for: exit 2 with a one-line message."""


def _load(args: argparse.Namespace):
    from .loading import load_vectors
    from .runner import select

    vectors = load_vectors(args.paths or None)
    chosen = select(vectors, args.k, args.tag)
    if not chosen:
        raise UsageError(f"no vector matches (of {len(vectors)} loaded)")
    return chosen


def cmd_run(args: argparse.Namespace) -> int:
    from .backends import BackendNotFound, resolve
    from .expected_failures import load_expected_failures
    from .report import print_results, summary, write_json
    from .runner import run
    from .tolerance import PROFILES

    vectors = _load(args)
    try:
        backend = resolve(args.backend)
    except BackendNotFound as exc:
        raise UsageError(str(exc)) from None
    profile = PROFILES[args.profile]
    xfails = load_expected_failures(args.expected_failures) if args.expected_failures else {}
    start = time.perf_counter()
    results = []
    for result in print_results(run(vectors, backend, profile, xfails), sys.stdout):
        results.append(result)
        if args.exitfirst and result.outcome.is_problem:
            break
    seconds = time.perf_counter() - start
    print(summary(results, backend, profile.name, seconds))
    if args.report:
        write_json(args.report, results, backend, profile.name, seconds)
    return EXIT_NOT_PASSED if any(r.outcome.is_problem for r in results) else EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    for v in _load(args):
        shapes = " ".join(f"{k}{tuple(s['shape'])}" for k, s in v.inputs.items())
        result = f"error:{v.expected_error}" if v.expected_error else str(tuple(v.expected["shape"]))
        print(f"{v.id}  {v.op} {v.dtype} {shapes} -> {result}  [{', '.join(v.tags)}]  {v.title}")
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    from .loading import load_vectors
    from .show import render

    vectors = {v.id: v for v in load_vectors(args.paths or None)}
    for vid in args.ids:
        if vid not in vectors:
            near = [v for v in vectors if vid in v]
            hint = f"; did you mean {', '.join(near[:5])}?" if near else ""
            raise UsageError(f"no vector with id {vid!r}{hint}")
        print(render(vectors[vid]))
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    from .loading import expand_paths, load_vectors

    vectors = load_vectors(args.paths or None)
    files = len(expand_paths(args.paths)) if args.paths else len({v.file for v in vectors})
    print(f"{len(vectors)} vectors in {files} files: valid")
    return EXIT_OK


def cmd_shape(args: argparse.Namespace) -> int:
    from .output_size_text import explain

    print(explain(args.W, args.F, args.S, args.P, args.dilation, args.padding))
    return EXIT_OK


def cmd_coverage(args: argparse.Namespace) -> int:
    from convspec.reference import coverage

    from .output_size_text import parse_padding

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


def cmd_backends(args: argparse.Namespace) -> int:
    from .backends import BackendNotFound, installed, resolve

    for name, target in installed().items():
        try:
            b = resolve(name)
            print(f"{name:<12} {b.version or '-':<12} {b.description or target}")
        except (BackendNotFound, Exception) as exc:  # a broken plug-in must not hide the others
            print(f"{name:<12} {'unavailable':<12} {exc}")
    return EXIT_OK


def _selection(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", help="vector files or folders (default: the built-in corpus)")
    p.add_argument("-k", metavar="PATTERN", help="only ids containing PATTERN (or matching a glob)")
    p.add_argument("--tag", action="append", default=[], help="only vectors with this tag (repeatable)")


def parser() -> argparse.ArgumentParser:
    from .tolerance import PROFILES

    top = argparse.ArgumentParser(prog="convspec", description=(
        "Check a convolution implementation against the convspec test vectors."))
    verbs = top.add_subparsers(dest="verb", metavar="VERB")
    verbs.required = True

    p = verbs.add_parser("run", help="run vectors against a backend and judge each output")
    _selection(p)
    p.add_argument("--backend", default="numpy",
                   help="built-in or installed name, or package.module:callable (default: numpy)")
    p.add_argument("--profile", default="strict", choices=sorted(PROFILES),
                   help="accuracy profile (default: strict)")
    p.add_argument("--report", metavar="FILE", help="write every result as JSON to FILE")
    p.add_argument("--expected-failures", metavar="FILE",
                   help="YAML list of {id, reason}: those vectors report xfail/xpass")
    p.add_argument("-x", "--exitfirst", action="store_true", help="stop at the first problem")
    p.set_defaults(func=cmd_run)

    p = verbs.add_parser("list", help="list vectors, one a line")
    _selection(p)
    p.set_defaults(func=cmd_list)

    p = verbs.add_parser("show", help="print a vector, its math and its expected output")
    p.add_argument("ids", nargs="+", metavar="ID")
    p.add_argument("--file", dest="paths", action="append", default=[],
                   help="look in this vector file or folder instead of the built-in corpus")
    p.set_defaults(func=cmd_show)

    p = verbs.add_parser("validate", help="check vector files; report every problem")
    p.add_argument("paths", nargs="*", help="vector files or folders (default: the built-in corpus)")
    p.set_defaults(func=cmd_validate)

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

    p = verbs.add_parser("coverage", help="how many windows read each input pixel (border coverage)")
    p.add_argument("H", type=int, help="input height")
    p.add_argument("W", type=int, help="input width")
    p.add_argument("F", type=int, help="kernel size (F x F)")
    p.add_argument("--stride", type=int, default=1)
    p.add_argument("--padding", default="0", help="P on both sides, or BEFORE,AFTER (default 0)")
    p.add_argument("--dilation", type=int, default=1)
    p.set_defaults(func=cmd_coverage)

    p = verbs.add_parser("backends", help="list the backends convspec can find, with versions")
    p.set_defaults(func=cmd_backends)
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


if __name__ == "__main__":
    sys.exit(main())
