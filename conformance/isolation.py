"""Running vectors in worker processes, so a backend that crashes, hangs or leaks cannot take the
run down: its vector gets `crash` or `timeout`, the worker is replaced, and the run goes on.

Each worker resolves the backend by name and runs whole vectors (backend, reference, judge), so
``-j N`` workers also run the corpus in parallel. Workers start with ``spawn``: a fresh
interpreter, never a fork of a parent that may hold framework threads.

Vectors go to a worker in batches (one message each way per vector would cost more than a small
vector's run), and the worker sends back one result per vector as each finishes: the parent
always knows which vector of the batch a worker is on (the first without a result), so a crash
or a timeout is still charged to that vector alone, and the rest of the batch goes back to the
front of the queue for the replacement worker. Batches shrink as the queue empties, so the
workers finish together. With N workers on C cores, each worker's BLAS and OpenMP pools get
max(1, C // N) threads (unless the user set the thread variables), so N workers do not fight
over the cores.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection, wait

from .outcomes import Outcome, Result
from .vector import Vector


@dataclass(frozen=True)
class Limits:
    """What one vector may take in a worker."""

    timeout: float = 60.0  # seconds per vector
    memory_mb: int | None = 8192  # address-space-backed data of a worker (RLIMIT_DATA), None: no limit


MAX_BATCH = 32  # vectors sent to a worker at once, at most
# The thread-pool sizes a worker's BLAS and OpenMP read when they load (OpenBLAS, OpenMP, MKL).
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def usable_cores() -> int:
    """The cores this process may run on (its affinity mask, where the system has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def worker_threads(jobs: int, cores: int | None = None) -> dict[str, str]:
    """The thread variables each of ``jobs`` workers gets: max(1, cores // jobs) threads, so the
    workers together use the cores once. Nothing when the user set any of them: theirs stand."""
    if any(name in os.environ for name in THREAD_VARIABLES):
        return {}
    threads = max(1, (cores or usable_cores()) // max(1, jobs))
    return dict.fromkeys(THREAD_VARIABLES, str(threads))


def batch_size(remaining: int, jobs: int) -> int:
    """About a quarter of each worker's share of what is left (capped): large batches while the
    queue is long, single vectors at the end, so no worker is left with a long tail."""
    return max(1, min(MAX_BATCH, -(-remaining // (4 * max(1, jobs)))))


_environ_lock = threading.Lock()


@contextmanager
def _environment(variables: dict[str, str]) -> Iterator[None]:
    """``variables`` set in os.environ while a child process starts (a spawned child inherits
    the environment at start, before it imports anything), then restored."""
    if not variables:
        yield
        return
    with _environ_lock:
        saved = {name: os.environ.get(name) for name in variables}
        os.environ.update(variables)
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def _worker(conn: Connection, backend_name: str, profile_name: str, sys_path: list[str],
            memory_mb: int | None) -> None:
    """Worker loop: receive a batch of Vectors and send back each one's Result as soon as it is
    known, until told to stop (None)."""
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
        batch = conn.recv()
        if batch is None:
            return
        for vector in batch:
            try:
                result = run_vector(vector, backend, profile)
            except MemoryError:  # the reference or judge could not allocate after the backend's leak
                result = Result(vector.id, Outcome.ERROR, "MemoryError", profile=profile_name)
            exhausted = result.outcome is Outcome.ERROR and result.reason.startswith("MemoryError")
            if exhausted:
                # what leaked stays leaked in this process: report, then let a fresh worker take over
                # (the parent replaces this one and gives the rest of the batch to its successor)
                result = replace(result, reason=f"{result.reason} (over the worker's {memory_mb} MB "
                                                "memory limit; the worker was replaced)")
            conn.send((result, exhausted))
            if exhausted:
                return  # the parent replaces this worker and gives what it had left to another


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
    def __init__(self, backend_name: str, profile_name: str, limits: Limits, threads: dict[str, str]):
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(
            target=_worker, args=(child, backend_name, profile_name, list(sys.path), limits.memory_mb),
            daemon=True)
        with _environment(threads):
            self.process.start()
        child.close()
        self.batch: list[tuple[int, Vector]] = []  # sent, in order: (where it stands in the run, vector)
        self.received = 0  # results received: batch[received] is the vector the worker is on
        self.started = 0.0  # when that vector started, as far as the parent knows

    @property
    def waiting(self) -> int:
        """Vectors sent and not answered yet (the one it is on included)."""
        return len(self.batch) - self.received

    def send(self, batch: list[tuple[int, Vector]]) -> None:
        """Send a batch; if the worker still has vectors, it starts this one after them."""
        if not self.waiting:
            self.started = time.perf_counter()
        del self.batch[:self.received]
        self.received = 0
        self.conn.send([vector for _, vector in batch])
        self.batch += batch

    @property
    def current(self) -> tuple[int, Vector]:
        return self.batch[self.received]

    @property
    def rest(self) -> list[tuple[int, Vector]]:
        """The vectors sent after the current one (not started)."""
        return self.batch[self.received + 1:]

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
        self.jobs = max(1, jobs)
        self.threads = worker_threads(self.jobs)
        # all spawned at once, so N workers start in about the time of one
        self.workers = [self._spawn() for _ in range(self.jobs)]
        try:
            for worker in self.workers:
                self._wait_ready(worker)
        except BaseException:
            self.close()
            raise

    def _spawn(self) -> _Worker:
        return _Worker(self.backend_name, self.profile_name, self.limits, self.threads)

    def _wait_ready(self, worker: _Worker) -> None:
        if not worker.conn.poll(120):
            worker.kill()
            raise WorkerStartError(f"backend {self.backend_name!r}: worker did not start in 120 s")
        try:
            worker.conn.recv()
        except EOFError:
            raise WorkerStartError(
                f"backend {self.backend_name!r}: worker died while starting ({_death(worker.process)})"
            ) from None

    def _start(self) -> _Worker:
        worker = self._spawn()
        self._wait_ready(worker)
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
        queue: deque[tuple[int, Vector]] = deque(enumerate(vectors))
        done: dict[int, Result] = {}
        next_to_yield = 0
        busy: list[_Worker] = []
        timeout = self.limits.timeout

        def feed(worker: _Worker) -> None:
            if not queue:
                return
            batch = [queue.popleft() for _ in range(batch_size(len(queue), len(self.workers)))]
            idle = not worker.waiting
            try:
                worker.send(batch)
            except (BrokenPipeError, OSError):  # it died between batches: no vector of ours killed it
                if not idle:
                    queue.extendleft(reversed(batch))
                    return  # receiving from it reports the vector it was on
                worker = self._replace(worker)
                worker.send(batch)
            if idle:
                busy.append(worker)

        def retire(worker: _Worker, result: Result) -> None:
            """``result`` for the vector the worker is on; fresh workers take the rest of what it had."""
            done[worker.current[0]] = result
            queue.extendleft(reversed(worker.rest))
            busy.remove(worker)
            self._replace(worker)

        def receive(worker: _Worker) -> None:
            """Every result the worker has sent so far; retire it if it died."""
            while True:
                try:
                    result, exhausted = worker.conn.recv()
                except (EOFError, OSError):
                    retire(worker, Result(worker.current[1].id, Outcome.CRASH, _death(worker.process),
                                          profile=self.profile_name))
                    return
                if exhausted:
                    retire(worker, result)
                    return
                done[worker.current[0]] = result
                worker.received += 1
                worker.started = time.perf_counter()  # the next vector's clock starts now
                if not worker.waiting:
                    busy.remove(worker)
                    return
                if worker.waiting == 1 and len(queue) >= 4 * len(self.workers):
                    # its next batch waits in the pipe while it runs its last vector (not near the end
                    # of the run, where a vector in one worker's pipe could leave another idle)
                    feed(worker)
                if not worker.conn.poll():
                    return

        for worker in self.workers:
            feed(worker)
        while busy:
            deadline = min(w.started for w in busy) + timeout
            ready = wait([w.conn for w in busy], timeout=max(0.0, deadline - time.perf_counter()))
            for worker in list(busy):
                if worker.conn in ready:
                    receive(worker)
                elif time.perf_counter() - worker.started >= timeout:
                    retire(worker, Result(worker.current[1].id, Outcome.TIMEOUT,
                                          f"no result within {timeout:g} s; the worker was killed",
                                          seconds=timeout, profile=self.profile_name))
            for worker in self.workers:
                if worker not in busy:
                    feed(worker)
            while next_to_yield in done:
                yield done.pop(next_to_yield)
                next_to_yield += 1
