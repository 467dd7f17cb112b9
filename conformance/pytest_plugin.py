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
                    help="YAML list of {id, reason}: those vectors are expected to fail")
    parser.addini("convspec_backend", "backend for the convspec vectors (as --convspec-backend)")
    parser.addini("convspec_profile", "accuracy profile for the convspec vectors", default="strict")


def _option(config: pytest.Config, name: str) -> str | None:
    return config.getoption(f"--convspec-{name}") or config.getini(f"convspec_{name}") or None


class VectorItem(pytest.Item):
    """One vector as one test."""

    def __init__(self, *, vector, backend, profile, reason, **kwargs):
        super().__init__(**kwargs)
        self.vector, self.backend, self.profile = vector, backend, profile
        if reason is not None:
            self.add_marker(pytest.mark.xfail(reason=reason, strict=True))

    def runtest(self) -> None:
        from .outcomes import Outcome
        from .report import line
        from .runner import run_vector

        result = run_vector(self.vector, self.backend, self.profile)
        if result.outcome is Outcome.UNSUPPORTED:
            pytest.skip(f"unsupported: {result.reason}")
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


class VectorCollector(pytest.Collector):
    """The vectors, collected under one node named after the backend."""

    def collect(self):
        from .backends import resolve
        from .expected_failures import load_expected_failures
        from .loading import load_vectors
        from .tolerance import PROFILES

        config = self.config
        backend = resolve(_option(config, "backend"))
        profile = PROFILES[_option(config, "profile") or "strict"]
        xfails_file = config.getoption("--convspec-expected-failures")
        xfails = load_expected_failures(xfails_file) if xfails_file else {}
        for vector in load_vectors(config.getoption("--convspec-vectors") or None):
            yield VectorItem.from_parent(self, name=vector.id, vector=vector, backend=backend,
                                         profile=profile, reason=xfails.get(vector.id))


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    if not _option(config, "backend"):
        return
    collector = VectorCollector.from_parent(session, name=f"convspec[{_option(config, 'backend')}]")
    report = collector.ihook.pytest_make_collect_report(collector=collector)
    if report.failed:
        raise pytest.UsageError(f"convspec: {report.longrepr}")
    items.extend(report.result)
