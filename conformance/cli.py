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

    limits = {k: v for k, v in (("max_bytes", getattr(args, "max_file_bytes", None)),
                                ("max_elements", getattr(args, "max_elements", None))) if v}
    vectors = load_vectors(args.paths or None, **limits)
    chosen = select(vectors, args.k, args.tag)
    shard = getattr(args, "shard", None)
    if shard:
        k, n = _parse_shard(shard)
        chosen = chosen[k - 1::n]
    if not chosen:
        raise UsageError(f"no vector matches (of {len(vectors)} loaded)")
    return chosen


def _parse_shard(text: str) -> tuple[int, int]:
    try:
        k, n = (int(part) for part in text.split("/"))
    except ValueError:
        raise UsageError(f"--shard expects K/N with whole numbers, got {text!r}") from None
    if not 1 <= k <= n:
        raise UsageError(f"--shard expects K/N with 1 <= K <= N, got {text!r}")
    return k, n


# The backends convspec ships as plain NumPy/SciPy code run in the runner's own process by default;
# any other backend runs in worker processes, where a crash or a hang costs one vector, not the run.
IN_PROCESS_BY_DEFAULT = {"numpy", "reference"}


def _results(args, vectors, backend, profile, xfails):
    """The result stream, in this process or in workers, and the pool to close afterwards."""
    from .isolation import Limits, WorkerPool
    from .runner import apply_expected_failures, run

    isolation = args.isolation or ("none" if args.backend in IN_PROCESS_BY_DEFAULT and args.jobs == 1
                                   else "process")
    if isolation == "none":
        if args.jobs != 1:
            raise UsageError("-j needs --isolation process")
        return run(vectors, backend, profile, xfails), None
    pool = WorkerPool(args.backend, profile.name, args.jobs,
                      Limits(timeout=args.timeout, memory_mb=args.memory_limit or None))
    return (apply_expected_failures(r, xfails) for r in pool.run(vectors)), pool


def _expected_failures(args: argparse.Namespace, load) -> dict[str, str]:
    """The file named by --expected-failures; for a built-in adapter, the deviations convspec ships
    for it (conformance/backends/expected_failures/NAME.yaml) unless told 'none'."""
    from .expected_failures import shipped_for

    if args.expected_failures == "none":
        return {}
    if args.expected_failures:
        return load(args.expected_failures)
    shipped = shipped_for(args.backend)
    if shipped:
        print(f"known deviations of {args.backend}: {shipped} (--expected-failures none to ignore)",
              file=sys.stderr)
        return load(shipped)
    return {}


def cmd_run(args: argparse.Namespace) -> int:
    from .backends import BackendNotFound, resolve
    from .expected_failures import load_expected_failures
    from .isolation import WorkerStartError
    from .report import JsonLines, line, read_json_lines, run_header, summary, write_json, write_junit
    from .tolerance import PROFILES

    vectors = _load(args)
    try:
        backend = resolve(args.backend)
    except BackendNotFound as exc:
        raise UsageError(str(exc)) from None
    profile = PROFILES[args.profile]
    xfails = _expected_failures(args, load_expected_failures)
    header = run_header(backend, profile.name)
    results, jsonl_path, append = [], args.jsonl, False
    if args.resume:
        previous, results = read_json_lines(args.resume)
        if (previous.get("backend", {}).get("name"), previous.get("profile")) != (backend.name, profile.name):
            raise UsageError(f"{args.resume} is a run of backend {previous.get('backend', {}).get('name')!r}"
                             f" under profile {previous.get('profile')!r}, not {backend.name!r} "
                             f"under {profile.name!r}")
        finished = {r.vector_id for r in results}
        vectors = [v for v in vectors if v.id not in finished]
        jsonl_path, append = args.resume, True
        print(f"resuming {args.resume}: {len(finished)} vectors done, {len(vectors)} to run")
    jsonl = JsonLines(jsonl_path, header, append) if jsonl_path else None
    start, interrupted, pool = time.perf_counter(), False, None
    try:
        stream, pool = _results(args, vectors, backend, profile, xfails)
        for result in stream:
            print(line(result), flush=True)
            results.append(result)
            if jsonl:
                jsonl.write(result)
            if args.exitfirst and result.outcome.is_problem:
                break
    except KeyboardInterrupt:
        interrupted = True
    except WorkerStartError as exc:
        raise UsageError(str(exc)) from None
    finally:
        if pool is not None:
            pool.close()
        if jsonl:
            jsonl.close()
    seconds = time.perf_counter() - start
    print(summary(results, backend, profile.name, seconds))
    if args.report:
        write_json(args.report, results, backend, profile.name, seconds)
    if args.junit:
        write_junit(args.junit, results, backend, profile.name, seconds)
    if interrupted:
        resume = f"; finish with: convspec run --resume {jsonl_path}" if jsonl_path else ""
        print(f"interrupted after {len(results)} vectors{resume}", file=sys.stderr)
        return 130
    return EXIT_NOT_PASSED if any(r.outcome.is_problem for r in results) else EXIT_OK


def cmd_matrix(args: argparse.Namespace) -> int:
    from pathlib import Path

    from . import matrix

    vectors = _load(args)
    table = matrix.build(vectors, args.backend or None, args.profile)
    md, js = matrix.write(table, Path(args.out))
    print(matrix.markdown(table), end="")
    print(f"written: {md} and {js}")
    problems = [d for b in table["backends"] if b["available"] for d in b["not_passed"]
                if d["outcome"] in ("fail", "error", "crash", "timeout", "xpass")]
    return EXIT_NOT_PASSED if problems else EXIT_OK


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

    limits = {k: v for k, v in (("max_bytes", args.max_file_bytes), ("max_elements", args.max_elements)) if v}
    vectors = load_vectors(args.paths or None, **limits)
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


def _file_limits(p: argparse.ArgumentParser) -> None:
    p.add_argument("--max-file-bytes", type=int, metavar="N", help="refuse vector files larger than N bytes")
    p.add_argument("--max-elements", type=int, metavar="N",
                   help="refuse tensors declaring more than N elements (checked before allocating)")


def _selection(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", help="vector files or folders (default: the built-in corpus)")
    p.add_argument("-k", metavar="PATTERN", help="only ids containing PATTERN (or matching a glob)")
    p.add_argument("--tag", action="append", default=[], help="only vectors with this tag (repeatable)")


# The profiles of conformance/tolerance.py, named here so that building the parser imports no NumPy;
# a test keeps the two lists equal.
PROFILE_NAMES = ("half-accumulate", "strict", "tf32")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="convspec", description="Check a convolution implementation against the convspec test vectors.",
        epilog="environment: CONVSPEC_CACHE_DIR=DIR keeps the cache of vector files that passed every "
               "check in DIR (default: $XDG_CACHE_HOME/convspec or ~/.cache/convspec); "
               "CONVSPEC_CACHE_DIR=off turns it off.")
    verbs = top.add_subparsers(dest="verb", metavar="VERB")
    verbs.required = True

    p = verbs.add_parser("run", help="run vectors against a backend and judge each output")
    _selection(p)
    p.add_argument("--backend", default="numpy",
                   help="built-in or installed name, or package.module:callable (default: numpy)")
    p.add_argument("--profile", default="strict", choices=PROFILE_NAMES,
                   help="accuracy profile (default: strict)")
    p.add_argument("--report", metavar="FILE", help="write every result as JSON to FILE")
    p.add_argument("--expected-failures", metavar="FILE",
                   help="YAML list of {id, reason}: those vectors report xfail/xpass (default: the "
                        "deviations convspec ships for a built-in framework adapter; 'none': no list)")
    p.add_argument("-x", "--exitfirst", action="store_true", help="stop at the first problem")
    p.add_argument("--junit", metavar="FILE", help="write a JUnit XML report to FILE (for CI systems)")
    p.add_argument("--shard", metavar="K/N", help="run only the K-th of N interleaved slices of the vectors")
    p.add_argument("--jsonl", metavar="FILE", help="append every result to FILE as it comes (JSON Lines)")
    p.add_argument("--resume", metavar="FILE", help="finish the run recorded in the JSON Lines FILE")
    p.add_argument("--isolation", choices=["none", "process"],
                   help="run the backend in this process or in worker processes that survive crashes "
                        "and hangs (default: none for numpy and reference, process otherwise)")
    p.add_argument("-j", "--jobs", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--timeout", type=float, default=60.0,
                   help="seconds a vector may take in a worker before it is killed (default 60)")
    p.add_argument("--memory-limit", type=int, default=8192, metavar="MB",
                   help="data memory a worker may use (default 8192; 0: no limit)")
    _file_limits(p)
    p.set_defaults(func=cmd_run)

    p = verbs.add_parser("matrix", help="run the corpus against every installed backend; tabulate")
    _selection(p)
    p.add_argument("--backend", action="append", default=[],
                   help="only this backend (repeatable; default: every installed one)")
    p.add_argument("--profile", default="strict", choices=PROFILE_NAMES)
    p.add_argument("--out", default=".", help="folder for convspec-matrix.md and .json (default: .)")
    p.set_defaults(func=cmd_matrix)

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
    _file_limits(p)
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

    from .fuzz.command import add_parser as add_fuzz_parser  # `convspec fuzz` (issue 7)

    add_fuzz_parser(verbs)
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
