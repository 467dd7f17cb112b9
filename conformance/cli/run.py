"""`convspec run`: run vectors against a backend, judge each output, report."""

from __future__ import annotations

import argparse
import sys
import time

from .selection import add_file_limits, add_selection, selected_vectors
from .usage import EXIT_NOT_PASSED, EXIT_OK, PROFILE_NAMES, UsageError


def add_parser(verbs: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = verbs.add_parser("run", help="run vectors against a backend and judge each output")
    add_selection(p)
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
    add_file_limits(p)
    p.set_defaults(func=cmd_run)
    return p


# The backends convspec ships as plain NumPy/SciPy code run in the runner's own process by default;
# any other backend runs in worker processes, where a crash or a hang costs one vector, not the run.
IN_PROCESS_BY_DEFAULT = {"numpy", "reference"}


def _results(args, vectors, backend, profile, xfails):
    """The result stream, in this process or in workers, and the pool to close afterwards."""
    from ..isolation import Limits, WorkerPool
    from ..runner import apply_expected_failures, run

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
    from ..expected_failures import shipped_for

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
    from ..backends import BackendNotFound, resolve
    from ..expected_failures import load_expected_failures
    from ..isolation import WorkerStartError
    from ..report import JsonLines, line, read_json_lines, run_header, summary, write_json, write_junit
    from ..tolerance import PROFILES

    vectors = selected_vectors(args)
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
