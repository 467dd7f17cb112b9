"""Misbehaving backends: each gets its own outcome and the run goes on; results survive a kill."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from convspec.conformance.isolation import Limits, WorkerPool
from convspec.conformance.loading import load_vectors
from convspec.conformance.outcomes import Outcome

MISBEHAVING = Path(__file__).parents[1] / "misbehaving"
CONVSPEC = [sys.executable, "-m", "convspec.conformance"]
TARGET = "notes/convolution/minus-60"


def _env():
    return {**os.environ, "PYTHONPATH": str(MISBEHAVING)}


def convspec(*args, timeout=120):
    return subprocess.run([*CONVSPEC, *args], capture_output=True, text=True, env=_env(), timeout=timeout)


@pytest.fixture(scope="module")
def minus_60_file_vectors():
    return [v for v in load_vectors() if v.id.startswith(TARGET)]


@pytest.mark.parametrize(("backend", "outcome", "reason"), [
    ("raises", "error", "RuntimeError: no kernel for this shape"),
    ("wrong_shape", "fail", "output shape [1, 1, 2, 2], expected [1, 1, 1, 1]"),
    ("wrong_dtype", "fail", "output dtype float64, expected float32"),
    ("not_an_array", "fail", "output is not a numeric array (got dict)"),
    ("view_of_input", "fail", "the output is a view of the input x, not a new array"),
    ("nan_everywhere", "fail", "output is NaN everywhere (1 elements)"),
    ("mutates_input", "fail", "the backend modified its input x"),
    ("exits", "crash", "the backend ended its worker process (exit code 3)"),
    ("segfaults", "crash", "the backend killed its worker process (SIGSEGV)"),
    ("hangs", "timeout", "no result within 2 s; the worker was killed"),
])
def test_each_misbehaviour_gets_its_outcome_and_the_run_goes_on(backend, outcome, reason,
                                                                 minus_60_file_vectors, monkeypatch):
    monkeypatch.syspath_prepend(str(MISBEHAVING))
    with WorkerPool(f"misbehaving_backends:{backend}", "strict", 1, Limits(timeout=2)) as pool:
        first, *rest = pool.run(minus_60_file_vectors)
    assert (first.vector_id, first.outcome.value) == (TARGET, outcome)
    assert first.reason.startswith(reason)
    assert [r.outcome for r in rest] == [Outcome.PASS, Outcome.PASS]


def test_the_command_reports_a_crash_and_the_vectors_after_it():
    proc = convspec("run", "--backend", "misbehaving_backends:segfaults", "-k", TARGET)
    lines = proc.stdout.splitlines()
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert lines[0] == f"crash       {TARGET}  the backend killed its worker process (SIGSEGV)"
    assert lines[1].startswith("pass        notes/convolution/minus-60-float64")
    assert lines[-1].startswith("2 passed, 0 failed, 1 crash")


def test_prints_go_to_stderr_and_never_into_the_report():
    proc = convspec("run", "--backend", "misbehaving_backends:prints", "-k", TARGET)
    assert proc.returncode == 0
    assert "DEBUG" not in proc.stdout and "RAW WRITE" not in proc.stdout
    assert "DEBUG: entering conv" in proc.stderr and "RAW WRITE TO FD 1" in proc.stderr
    assert proc.stdout.splitlines()[-1].startswith("3 passed, 0 failed")


def test_prints_in_process_go_to_stderr_too(capsys, monkeypatch):
    from convspec.conformance.cli import main

    monkeypatch.syspath_prepend(str(MISBEHAVING))
    assert main(["run", "--backend", "misbehaving_backends:prints", "--isolation", "none", "-k", TARGET]) == 0
    out, err = capsys.readouterr()
    assert "DEBUG" not in out and "DEBUG: entering conv" in err


def test_a_leaking_worker_hits_its_memory_limit_and_is_replaced():
    proc = convspec("run", "--backend", "misbehaving_backends:leaks", "-k", "notes/",
                    "--memory-limit", "1500")
    errors = [line for line in proc.stdout.splitlines() if line.startswith("error")]
    assert errors and all("over the worker's 1500 MB memory limit; the worker was replaced" in e
                          for e in errors)
    assert " passed" in proc.stdout.splitlines()[-1]  # the run went on after each replacement


def test_worker_pool_keeps_order_with_two_jobs(minus_60_file_vectors, monkeypatch):
    monkeypatch.syspath_prepend(str(MISBEHAVING))
    with WorkerPool("misbehaving_backends:segfaults", "strict", jobs=2, limits=Limits(timeout=30)) as pool:
        results = list(pool.run(minus_60_file_vectors * 2))
    assert [r.vector_id for r in results] == [v.id for v in minus_60_file_vectors * 2]
    assert [r.outcome for r in results] == [Outcome.CRASH, Outcome.PASS, Outcome.PASS] * 2


def test_results_survive_sigkill_and_resume_finishes_the_run(tmp_path):
    jsonl = tmp_path / "run.jsonl"
    proc = subprocess.Popen([*CONVSPEC, "run", "--backend", "misbehaving_backends:hangs_late", "-k", TARGET,
                             "--jsonl", str(jsonl)], stdout=subprocess.PIPE, text=True, env=_env())
    deadline = time.time() + 60
    while time.time() < deadline and (not jsonl.exists() or len(jsonl.read_text().splitlines()) < 3):
        time.sleep(0.2)
    proc.kill()  # SIGKILL: no handler runs
    proc.wait()
    kept = jsonl.read_text().splitlines()
    assert json.loads(kept[0])["backend"]["name"] == "misbehaving_backends:hangs_late"
    assert [json.loads(line)["vector_id"] for line in kept[1:]] == [TARGET, f"{TARGET}-float64"]

    resumed = convspec("run", "--backend", "misbehaving_backends:hangs_late", "-k", TARGET,
                       "--resume", str(jsonl), "--timeout", "2")
    assert "resuming" in resumed.stdout and "2 vectors done, 1 to run" in resumed.stdout
    assert f"timeout     {TARGET}-float16" in resumed.stdout
    assert resumed.stdout.splitlines()[-1].startswith("2 passed, 0 failed, 1 timeout")
    assert len(jsonl.read_text().splitlines()) == 4


def test_resume_refuses_a_run_of_another_backend(tmp_path):
    jsonl = tmp_path / "run.jsonl"
    assert convspec("run", "-k", TARGET, "--jsonl", str(jsonl)).returncode == 0
    proc = convspec("run", "--backend", "reference", "-k", TARGET, "--resume", str(jsonl))
    assert proc.returncode == 2 and "is a run of backend 'numpy'" in proc.stderr


@pytest.mark.parametrize("isolation", ["none", "process"])
def test_ctrl_c_stops_cleanly_with_a_partial_summary(isolation, tmp_path):
    jsonl = tmp_path / "run.jsonl"
    proc = subprocess.Popen([*CONVSPEC, "run", "--backend", "misbehaving_backends:hangs_late", "-k", TARGET,
                             "--isolation", isolation, "--jsonl", str(jsonl)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
    deadline = time.time() + 60
    while time.time() < deadline and (not jsonl.exists() or len(jsonl.read_text().splitlines()) < 3):
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert out.splitlines()[-1].startswith("2 passed, 0 failed")
    assert f"interrupted after 2 vectors; finish with: convspec run --resume {jsonl}" in err
    assert "Traceback" not in err
