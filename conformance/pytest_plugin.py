"""A pytest plugin: ``pytest --convspec-backend=mod:fn`` runs every vector as its own test.

Installed with convspec (entry point ``pytest11``), it does nothing unless a backend is named on
the command line or as the ini option ``convspec_backend``, so a library's own suite can include
the conformance run with one line of configuration. Test ids are the vector ids.
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("convspec", "convolution conformance (convspec)")
    group.addoption("--convspec-backend", metavar="BACKEND",
                    help="run the convspec vectors against BACKEND (a name or package.module:callable)")
    group.addoption("--convspec-profile", metavar="NAME", help="accuracy profile (default: strict)")
    group.addoption("--convspec-vectors", metavar="PATH", action="append", default=[],
                    help="vector files or folders instead of the built-in corpus (repeatable)")
    group.addoption("--convspec-expected-failures", metavar="FILE",
                    help="YAML list of {id, reason}: those vectors are expected to fail (default: the "
                         "deviations convspec ships for a built-in framework adapter; 'none': no list)")
    parser.addini("convspec_backend", "backend for the convspec vectors (as --convspec-backend)")
    parser.addini("convspec_profile", "accuracy profile for the convspec vectors", default="strict")


def _option(config: pytest.Config, name: str) -> str | None:
    return config.getoption(f"--convspec-{name}") or config.getini(f"convspec_{name}") or None


class VectorItem(pytest.Item):
    """One vector as one test, its outcome the one ``convspec run`` reports: pass passes, xfail is
    an expected failure, unsupported is skipped, anything else (xpass included) fails."""

    def __init__(self, *, vector, run_session, **kwargs):
        super().__init__(**kwargs)
        self.vector, self.run_session = vector, run_session

    def runtest(self) -> None:
        from .outcomes import Outcome
        from .report import line

        result = self.run_session.result(self.vector)
        if result.outcome is Outcome.UNSUPPORTED:
            pytest.skip(f"unsupported: {result.reason}")
        if result.outcome is Outcome.XFAIL:
            pytest.xfail(result.reason)
        if result.outcome is not Outcome.PASS:
            raise VectorFailed(line(result))

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, VectorFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.vector.file or "convspec", None, f"convspec vector {self.vector.id}"


class VectorFailed(Exception):
    """A vector did not pass; the message is the runner's line for it."""


_SESSION = pytest.StashKey()


class VectorCollector(pytest.Collector):
    """The vectors, collected under one node named after the backend."""

    def collect(self):
        from .loading import load_vectors
        from .session import Session, SessionError

        config = self.config
        try:
            run_session = Session.open(_option(config, "backend"),
                                       profile=_option(config, "profile") or "strict",
                                       expected_failures=config.getoption("--convspec-expected-failures"))
        except SessionError as exc:
            raise pytest.UsageError(f"convspec: {exc}") from None
        config.stash[_SESSION] = run_session
        for vector in load_vectors(config.getoption("--convspec-vectors") or None):
            yield VectorItem.from_parent(self, name=vector.id, vector=vector, run_session=run_session)


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    if not _option(config, "backend"):
        return
    collector = VectorCollector.from_parent(session, name=f"convspec[{_option(config, 'backend')}]")
    report = collector.ihook.pytest_make_collect_report(collector=collector)
    if report.failed:
        raise pytest.UsageError(f"convspec: {report.longrepr}")
    items.extend(report.result)


def pytest_unconfigure(config: pytest.Config) -> None:
    run_session = config.stash.get(_SESSION, None)
    if run_session is not None:  # its worker processes, if any
        run_session.close()
