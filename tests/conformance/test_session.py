"""One run session behind every front end: the same backend gives the same outcome per vector
through `convspec run`, the pytest plugin and `convspec matrix`."""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
from pathlib import Path

import pytest

from convspec.conformance.backends import Backend
from convspec.conformance.backends.numpy import conv as numpy_conv
from convspec.conformance.cli import main
from convspec.conformance.outcomes import Outcome
from convspec.conformance.session import Session, SessionError

FAULTY = Path(__file__).parents[1] / "faulty"
# numpy: every vector passes, in this process; a faulty backend: failures, in worker processes;
# torch: a framework whose shipped expected failures report xfail.
BACKENDS = ["numpy", "faulty_backends:kernel_flip", "torch"]


@pytest.fixture
def adapters_loaded():
    """The framework adapters imported before pytester snapshots sys.modules: it unloads at its
    teardown what was imported after, and a framework such as torch cannot be imported twice."""
    for backend in BACKENDS:
        if ":" not in backend and importlib.util.find_spec(backend) is not None:
            importlib.import_module(f"convspec.conformance.backends.{backend}")


@pytest.fixture
def faulty_importable(monkeypatch):
    monkeypatch.syspath_prepend(str(FAULTY))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(FAULTY), os.environ.get("PYTHONPATH", "")]))


def _through_run(backend: str, tmp_path: Path) -> dict[str, str]:
    report = tmp_path / "run.json"
    main(["run", "--backend", backend, "--report", str(report)])
    return {r["vector_id"]: r["outcome"] for r in json.loads(report.read_text())["results"]}


def _through_matrix(backend: str, tmp_path: Path, corpus) -> dict[str, str]:
    main(["matrix", "--backend", backend, "--out", str(tmp_path)])
    (table,) = json.loads((tmp_path / "convspec-matrix.json").read_text())["backends"]
    outcomes = dict.fromkeys((v.id for v in corpus), "pass")
    outcomes.update({d["id"]: d["outcome"] for d in table["not_passed"]})
    return outcomes


# Records each vector test's outcome by the vector's id, read from the item itself (node ids and
# JUnit names are pytest's to format): passed, skipped (unsupported) and xfailed map one to one; a
# failure's message is the runner's line, which starts with the outcome (fail, error, xpass, ...).
RECORDER = """
import json
import pytest

OUTCOMES = {}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    vector = getattr(item, "vector", None)
    if vector is not None and (report.when == "call" or report.skipped):
        if hasattr(report, "wasxfail"):
            OUTCOMES[vector.id] = "xfail"
        elif report.skipped:
            OUTCOMES[vector.id] = "unsupported"
        elif report.failed:
            OUTCOMES[vector.id] = str(report.longrepr).split()[0]
        else:
            OUTCOMES[vector.id] = "pass"
    return report


def pytest_sessionfinish(session):
    with open("outcomes.json", "w") as out:
        json.dump(OUTCOMES, out)
"""


def _through_pytest(backend: str, pytester) -> dict[str, str]:
    """In a subprocess: an in-process run would unload the frameworks it imported."""
    pytester.makeconftest(RECORDER)
    pytester.runpytest_subprocess("-p", "no:cacheprovider", "--convspec-backend", backend)
    return json.loads((pytester.path / "outcomes.json").read_text())


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_front_end_gives_the_same_outcome_per_vector(backend, adapters_loaded, tmp_path, pytester,
                                                           corpus, faulty_importable, capsys):
    if backend == "torch":
        pytest.importorskip("torch")
    by_run = _through_run(backend, tmp_path)
    by_matrix = _through_matrix(backend, tmp_path, corpus)
    by_pytest = _through_pytest(backend, pytester)
    capsys.readouterr()
    assert set(by_run) == {v.id for v in corpus}
    assert by_matrix == by_run
    assert by_pytest == by_run
    kinds = set(by_run.values())
    if backend == "numpy":
        assert kinds == {"pass"}
    if backend.startswith("faulty"):
        assert "fail" in kinds
    if backend == "torch":
        assert "xfail" in kinds


def test_a_built_in_adapter_brings_its_shipped_expected_failures_unless_told_none():
    pytest.importorskip("torch")
    shipped = Session.open("torch")
    assert shipped.expected_failures and shipped.expected_failures_file.name == "torch.yaml"
    assert shipped.isolation == "process"
    assert Session.open("torch", expected_failures="none").expected_failures == {}


def test_isolation_defaults_and_refusals():
    assert Session.open("numpy").isolation == "none"
    assert Session.open("numpy", jobs=2).isolation == "process"
    in_process = Session.open(Backend(name="mine", implementation=numpy_conv))
    assert in_process.isolation == "none" and in_process.backend.name == "mine"
    with pytest.raises(SessionError, match="-j needs --isolation process"):
        Session.open("numpy", isolation="none", jobs=2)
    with pytest.raises(SessionError, match="in this process only"):
        Session.open(Backend(name="mine", implementation=numpy_conv), isolation="process")
    with pytest.raises(SessionError, match="unknown profile"):
        Session.open("numpy", profile="lenient")
    with pytest.raises(SessionError, match="nunpy"):
        Session.open("nunpy")


def test_results_come_in_order_with_expected_failures_applied(corpus, tmp_path, faulty_importable):
    xfails = tmp_path / "xfails.yaml"
    xfails.write_text("- {id: notes/convolution/minus-60, reason: flips on purpose}\n")
    vectors = [v for v in corpus if "minus-60" in v.id]
    with Session.open("faulty_backends:kernel_flip", expected_failures=xfails) as session:
        results = list(session.results(vectors))
        again = session.result(vectors[0])
    assert [r.vector_id for r in results] == [v.id for v in vectors]
    assert {r.vector_id: r.outcome for r in results}["notes/convolution/minus-60"] is Outcome.XFAIL
    assert again.outcome is results[0].outcome
