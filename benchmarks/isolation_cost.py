"""What process isolation costs per vector, and what -j buys: the built-in corpus against the numpy
backend in this process, in one worker process, and in two, measured side by side in one run.

    python benchmarks/isolation_cost.py
"""

from __future__ import annotations

import os
import sys
import time

from convspec.conformance import load_vectors, resolve, run
from convspec.conformance.isolation import Limits, WorkerPool


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> int:
    vectors = load_vectors()
    backend = resolve("numpy")
    in_process = timed(lambda: list(run(vectors, backend)))

    def pooled(jobs: int) -> tuple[float, float]:
        start = time.perf_counter()
        with WorkerPool("numpy", "strict", jobs, Limits()) as pool:
            started = time.perf_counter() - start
            ran = timed(lambda: list(pool.run(vectors)))
        return started, ran

    start_1, one = pooled(1)
    start_2, two = pooled(2)
    n = len(vectors)
    print(f"cores: {os.cpu_count()}, vectors: {n}")
    print(f"in process:          {in_process:7.2f} s  ({1e3 * in_process / n:6.2f} ms/vector)")
    print(f"1 worker process:    {one:7.2f} s  ({1e3 * one / n:6.2f} ms/vector; "
          f"isolation costs {1e3 * (one - in_process) / n:+.2f} ms/vector; worker start {start_1:.2f} s)")
    print(f"2 worker processes:  {two:7.2f} s  (speed-up over 1 worker: {one / two:.2f}x; "
          f"workers start {start_2:.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
