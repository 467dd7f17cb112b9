"""Running vectors in worker processes, so a backend that crashes, hangs or leaks cannot take the
run down: its vector gets `crash` or `timeout`, the worker is replaced, and the run goes on.

Each worker resolves the backend by name and runs whole vectors (backend, reference, judge), so
``-j N`` workers also run the corpus in parallel. Workers start with ``spawn``: a fresh
interpreter, never a fork of a parent that may hold framework threads.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection, wait

from .outcomes import Outcome, Result
from .vector import Vector


@dataclass(frozen=True)
class Limits:
    """What one vector may take in a worker."""

    timeout: float = 60.0  # seconds per vector
    memory_mb: int | None = 8192  # address-space-backed data of a worker (RLIMIT_DATA), None: no limit


def _worker(conn: Connection, backend_name: str, profile_name: str, sys_path: list[str],
            memory_mb: int | None) -> None:
    """Worker loop: receive a Vector, send back its Result, until told to stop (None)."""
    import resource

    sys.path[:] = sys_path
    if memory_mb is not None:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    os.dup2(2, 1)  # the backend's prints go to stderr, never into the parent's report
    from .backends import resolve
    from .runner import run_vector
    from .tolerance import PROFILES

    backend = resolve(backend_name)
    profile = PROFILES[profile_name]
    conn.send("ready")
    while True:
        vector = conn.recv()
        if vector is None:
            return
        try:
            result = run_vector(vector, backend, profile)
        except MemoryError:  # the reference or judge could not allocate after the backend's leak
            result = Result(vector.id, Outcome.ERROR, "MemoryError", profile=profile_name)
        exhausted = result.outcome is Outcome.ERROR and result.reason.startswith("MemoryError")
        if exhausted:
            # what leaked stays leaked in this process: report, then let a fresh worker take over
            result = replace(result, reason=f"{result.reason} (over the worker's {memory_mb} MB memory "
                                            "limit; the worker was replaced)")
        conn.send((result, exhausted))


def _death(process: multiprocessing.Process) -> str:
    process.join(timeout=5)
    code = process.exitcode
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"the backend killed its worker process ({name})"
    return f"the backend ended its worker process (exit code {code})"


class _Worker:
    def __init__(self, backend_name: str, profile_name: str, limits: Limits):
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(
            target=_worker, args=(child, backend_name, profile_name, list(sys.path), limits.memory_mb),
            daemon=True)
        self.process.start()
        child.close()
        self.vector: Vector | None = None
        self.position = -1  # where its vector stands in the run
        self.started = 0.0

    def send(self, position: int, vector: Vector) -> None:
        self.vector, self.position, self.started = vector, position, time.perf_counter()
        self.conn.send(vector)

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()


class WorkerStartError(RuntimeError):
    """A worker could not start the backend at all (it is not a per-vector failure)."""


class WorkerPool:
    """``jobs`` worker processes running vectors against one backend, replaced when they die."""

    def __init__(self, backend_name: str, profile_name: str, jobs: int = 1, limits: Limits | None = None):
        self.backend_name, self.profile_name = backend_name, profile_name
        self.limits = limits or Limits()
        self.workers = [self._start() for _ in range(max(1, jobs))]

    def _start(self) -> _Worker:
        worker = _Worker(self.backend_name, self.profile_name, self.limits)
        if not worker.conn.poll(120):
            worker.kill()
            raise WorkerStartError(f"backend {self.backend_name!r}: worker did not start in 120 s")
        try:
            worker.conn.recv()
        except EOFError:
            raise WorkerStartError(
                f"backend {self.backend_name!r}: worker died while starting ({_death(worker.process)})"
            ) from None
        return worker

    def close(self) -> None:
        for worker in self.workers:
            try:
                worker.conn.send(None)
            except (BrokenPipeError, OSError):
                pass
            worker.kill()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _replace(self, worker: _Worker) -> _Worker:
        worker.kill()
        successor = self._start()
        self.workers[self.workers.index(worker)] = successor
        return successor

    def run(self, vectors: Iterable[Vector]) -> Iterator[Result]:
        """Results in the order of ``vectors``, each as soon as it and all before it are known."""
        queue = iter(enumerate(vectors))
        done: dict[int, Result] = {}
        next_to_yield = 0
        busy: list[_Worker] = []

        def feed(worker: _Worker) -> None:
            item = next(queue, None)
            if item is not None:
                worker.send(*item)
                busy.append(worker)

        for worker in list(self.workers):
            feed(worker)
        while busy:
            now = time.perf_counter()
            deadline = min(w.started + self.limits.timeout for w in busy)
            ready = wait([w.conn for w in busy], timeout=max(0.0, deadline - now))
            finished: list[tuple[_Worker, Result, bool]] = []
            for worker in list(busy):
                vector = worker.vector
                assert vector is not None
                if worker.conn in ready:
                    try:
                        result, exhausted = worker.conn.recv()
                        finished.append((worker, result, exhausted))
                    except (EOFError, OSError):
                        finished.append((worker, Result(vector.id, Outcome.CRASH, _death(worker.process),
                                                        profile=self.profile_name), True))
                elif time.perf_counter() - worker.started >= self.limits.timeout:
                    finished.append((worker, Result(
                        vector.id, Outcome.TIMEOUT,
                        f"no result within {self.limits.timeout:g} s; the worker was killed",
                        seconds=self.limits.timeout, profile=self.profile_name), True))
            for worker, result, dead in finished:
                busy.remove(worker)
                done[worker.position] = result
                feed(self._replace(worker) if dead else worker)
            while next_to_yield in done:
                yield done.pop(next_to_yield)
                next_to_yield += 1
