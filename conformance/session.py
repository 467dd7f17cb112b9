"""A run session: everything that decides how a backend is run, decided once, for every front end.

``convspec run``, ``convspec matrix``, the pytest plugin, the docs' matrix page and the benchmarks
all open a :class:`Session` and ask it for results; none of them resolves a backend, picks
isolation or applies expected failures on its own. So one backend gives one outcome per vector,
whichever front end asked.

Decided here: the backend (a name, resolved once here and by name again in each worker), the
accuracy profile, the expected failures (the user's file; else, for a built-in adapter, the
deviations convspec ships for it; ``"none"`` for no list), isolation (in this process for the
plain NumPy/SciPy backends convspec ships, in worker processes that survive crashes and hangs for
any other), ``jobs`` and the per-vector limits of a worker.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .backends import Backend, resolve
from .expected_failures import load_expected_failures, shipped_for
from .isolation import Limits, WorkerPool
from .outcomes import Result
from .runner import apply_expected_failures, run_vector
from .tolerance import PROFILES, Profile
from .vector import Vector

# The backends convspec ships as plain NumPy/SciPy code run in the runner's own process by default;
# any other backend runs in worker processes, where a crash or a hang costs one vector, not the run.
IN_PROCESS_BY_DEFAULT = frozenset({"numpy", "reference", "scipy"})
ISOLATIONS = ("none", "process")


class SessionError(ValueError):
    """A session that cannot be opened as asked (an unknown backend, -j without workers, ...)."""


@dataclass
class Session:
    """How one backend is run. Open it with :meth:`open`; close it (or use ``with``) to stop its
    workers."""

    backend: Backend
    profile: Profile
    expected_failures: dict[str, str] = field(default_factory=dict)
    expected_failures_file: Path | None = None  # where they came from, to tell the user
    isolation: str = "none"
    jobs: int = 1
    limits: Limits = field(default_factory=Limits)
    backend_name: str = ""  # the name workers resolve
    _pool: WorkerPool | None = field(default=None, repr=False)

    @classmethod
    def open(cls, backend: str | Backend, *, profile: str | Profile = "strict",
             expected_failures: str | Path | None = None, isolation: str | None = None, jobs: int = 1,
             limits: Limits | None = None) -> Session:
        """A session for ``backend`` (a name as the command line takes it, or a Backend, which
        runs in this process). ``expected_failures``: a file, ``"none"``, or None for the shipped
        list of a built-in adapter."""
        from .backends import BackendNotFound

        if isinstance(profile, str):
            if profile not in PROFILES:
                raise SessionError(f"unknown profile {profile!r}; expected one of {', '.join(PROFILES)}")
            profile = PROFILES[profile]
        if isinstance(backend, Backend):
            resolved, name = backend, ""
        else:
            try:
                resolved, name = resolve(backend), backend
            except BackendNotFound as exc:
                raise SessionError(str(exc)) from None
        if isolation is None:
            isolation = "none" if (not name or name in IN_PROCESS_BY_DEFAULT) and jobs == 1 else "process"
        if isolation not in ISOLATIONS:
            raise SessionError(f"unknown isolation {isolation!r}; expected one of {', '.join(ISOLATIONS)}")
        if isolation == "none" and jobs != 1:
            raise SessionError("-j needs --isolation process")
        if isolation == "process" and not name:
            raise SessionError("a backend given as an object runs in this process only (isolation none)")
        source = None
        if expected_failures == "none":
            xfails = {}
        elif expected_failures is not None:
            source = Path(expected_failures)
            xfails = load_expected_failures(source)
        else:
            source = shipped_for(name) if name else None
            xfails = load_expected_failures(source) if source else {}
        return cls(resolved, profile, xfails, source, isolation, jobs, limits or Limits(), name)

    def start(self) -> Session:
        """Start the worker processes now rather than at the first vector (nothing to start when
        the backend runs in this process). Raises WorkerStartError when a worker cannot start."""
        if self.isolation == "process" and self._pool is None:
            self._pool = WorkerPool(self.backend_name, self.profile.name, self.jobs, self.limits)
        return self

    def results(self, vectors: Iterable[Vector]) -> Iterator[Result]:
        """Each vector's result, expected failures applied, in order, as soon as it is known."""
        if self.isolation == "none":
            for vector in vectors:
                yield self._expected(run_vector(vector, self.backend, self.profile))
            return
        self.start()
        assert self._pool is not None
        for result in self._pool.run(list(vectors)):
            yield self._expected(result)

    def result(self, vector: Vector) -> Result:
        """One vector's result (the pytest plugin asks one at a time; workers stay up between)."""
        return next(self.results([vector]))

    def _expected(self, result: Result) -> Result:
        return apply_expected_failures(result, self.expected_failures)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
