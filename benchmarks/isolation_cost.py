"""What process isolation costs per vector, and what -j buys: the built-in corpus against the numpy
backend in this process, in one worker process, and in two, measured side by side in one run
(best of several interleaved runs, after the first run of each pool, which is printed too).

    python benchmarks/isolation_cost.py [REPEAT]
"""

from __future__ import annotations

import os
import statistics
import sys
import time

from convspec.conformance import load_vectors
from convspec.conformance.isolation import worker_threads
from convspec.conformance.session import Session


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> int:
    repeat = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    vectors = load_vectors()
    in_process = Session.open("numpy")
    start = time.perf_counter()
    pools = {1: Session.open("numpy", isolation="process").start()}
    started = {1: time.perf_counter() - start}
    start = time.perf_counter()
    pools[2] = Session.open("numpy", isolation="process", jobs=2).start()
    started[2] = time.perf_counter() - start
    runs = {"in": lambda: list(in_process.results(vectors)), 1: lambda: list(pools[1].results(vectors)),
            2: lambda: list(pools[2].results(vectors))}
    try:
        first = {k: timed(f) for k, f in runs.items()}
        times: dict = {k: [] for k in runs}
        for _ in range(repeat):
            for k, f in runs.items():
                times[k].append(timed(f))
    finally:
        for pool in pools.values():
            pool.close()
    best = {k: min(v) for k, v in times.items()}
    median = {k: statistics.median(v) for k, v in times.items()}
    n = len(vectors)
    threads = {j: worker_threads(j).get("OPENBLAS_NUM_THREADS", "user's") for j in (1, 2)}
    print(f"cores: {os.cpu_count()}, vectors: {n}, load average {os.getloadavg()[0]:.2f}; "
          f"best of {repeat} interleaved runs (median; first run)")
    print(f"in process:          {best['in']:7.3f} s  ({1e3 * best['in'] / n:5.2f} ms/vector; "
          f"median {median['in']:.3f} s; first {first['in']:.3f} s)")
    print(f"1 worker process:    {best[1]:7.3f} s  ({1e3 * best[1] / n:5.2f} ms/vector; isolation costs "
          f"{1e3 * (best[1] - best['in']) / n:+.2f} ms/vector; median {median[1]:.3f} s; first "
          f"{first[1]:.3f} s; worker start {started[1]:.2f} s; {threads[1]} BLAS threads)")
    print(f"2 worker processes:  {best[2]:7.3f} s  (speed-up over 1 worker: {best[1] / best[2]:.2f}x, "
          f"over in process {best['in'] / best[2]:.2f}x; median {median[2]:.3f} s; first {first[2]:.3f} s; "
          f"workers start {started[2]:.2f} s; {threads[2]} BLAS thread each)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
