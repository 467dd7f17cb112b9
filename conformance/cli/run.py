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


def cmd_run(args: argparse.Namespace) -> int:
    from ..isolation import Limits, WorkerStartError
    from ..report import JsonLines, line, read_json_lines, run_header, summary, write_json, write_junit
    from ..session import Session, SessionError

    vectors = selected_vectors(args)
    try:
        session = Session.open(args.backend, profile=args.profile, expected_failures=args.expected_failures,
                               isolation=args.isolation, jobs=args.jobs,
                               limits=Limits(timeout=args.timeout, memory_mb=args.memory_limit or None))
    except SessionError as exc:
        raise UsageError(str(exc)) from None
    backend, profile = session.backend, session.profile
    if session.expected_failures_file is not None and not args.expected_failures:
        print(f"known deviations of {args.backend}: {session.expected_failures_file} "
              "(--expected-failures none to ignore)", file=sys.stderr)
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
    start, interrupted = time.perf_counter(), False
    try:
        for result in session.results(vectors):
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
        session.close()
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
