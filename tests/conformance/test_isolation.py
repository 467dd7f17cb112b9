"""Misbehaving backends: each gets its own outcome and the run goes on; results survive a kill."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from convspec.conformance import isolation
from convspec.conformance.backends import resolve
from convspec.conformance.isolation import Limits, WorkerPool, batch_size
from convspec.conformance.loading import load_vectors
from convspec.conformance.outcomes import Outcome
from convspec.conformance.runner import run

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


# --- batches: vectors go to a worker several at a time, results come back one by one ---------------

@pytest.fixture(scope="module")
def corpus():
    return load_vectors()


@pytest.fixture(scope="module")
def others(corpus):
    """Vectors the misbehaving backends get right (none of them is the -60 vector's shape): conv's
    and pad's, the operators a bare callable runs."""
    return [v for v in corpus if not v.id.startswith(TARGET) and v.op in ("conv", "pad")]


@pytest.fixture(scope="module")
def target(minus_60_file_vectors):
    return next(v for v in minus_60_file_vectors if v.id == TARGET)


def expected_outcomes(vectors):
    return [r.outcome for r in run(vectors, resolve("numpy"))]


def test_batches_shrink_as_the_queue_empties_and_stay_capped():
    assert batch_size(10_000, 1) == isolation.MAX_BATCH
    assert batch_size(254, 2) == 32 and batch_size(80, 2) == 10 and batch_size(9, 2) == 2
    assert batch_size(3, 2) == batch_size(1, 8) == 1


@pytest.mark.parametrize(("backend", "outcome", "reason"), [
    ("segfaults", Outcome.CRASH, "the backend killed its worker process (SIGSEGV)"),
    ("exits", Outcome.CRASH, "the backend ended its worker process (exit code 3)"),
    ("hangs", Outcome.TIMEOUT, "no result within 2 s; the worker was killed"),
])
def test_a_vector_that_kills_its_worker_mid_batch_costs_that_vector_only(backend, outcome, reason, others,
                                                                        target, monkeypatch):
    monkeypatch.syspath_prepend(str(MISBEHAVING))
    vectors = [others[0], target, *others[1:11]]
    assert batch_size(len(vectors), 1) >= 3  # the first batch holds the target and vectors after it
    with WorkerPool(f"misbehaving_backends:{backend}", "strict", 1, Limits(timeout=2)) as pool:
        results = list(pool.run(vectors))
    assert [r.vector_id for r in results] == [v.id for v in vectors]
    assert results[1].outcome is outcome and results[1].reason == reason
    rest = [results[0], *results[2:]]
    assert [r.outcome for r in rest] == expected_outcomes([others[0], *others[1:11]])


def test_the_timeout_clock_restarts_at_each_result(tmp_path, others, monkeypatch):
    """Each vector takes 0.4 s: a batch of them takes longer than the 1 s timeout, no vector does."""
    (tmp_path / "slow_backends.py").write_text(
        "import time\n"
        "from convspec.conformance.backends.numpy import conv as correct\n\n\n"
        "def slow(x, w, b=None, **kw):\n"
        "    time.sleep(0.4)\n"
        "    return correct(x, w, b, **kw)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    vectors = others[:12]
    assert batch_size(len(vectors), 1) * 0.4 > 1
    with WorkerPool("slow_backends:slow", "strict", 1, Limits(timeout=1)) as pool:
        results = list(pool.run(vectors))
    assert [r.outcome for r in results] == expected_outcomes(vectors)


def test_two_workers_keep_the_order_of_many_vectors_through_crashes(others, target, monkeypatch):
    monkeypatch.syspath_prepend(str(MISBEHAVING))
    vectors = others[:150]
    crashing = (3, 40, 41, 97, 154)
    for i in crashing:
        vectors.insert(i, target)
    with WorkerPool("misbehaving_backends:segfaults", "strict", jobs=2, limits=Limits(timeout=30)) as pool:
        results = list(pool.run(vectors))
    assert [r.vector_id for r in results] == [v.id for v in vectors]
    expected = expected_outcomes(vectors)
    for i in crashing:
        expected[i] = Outcome.CRASH
    assert [r.outcome for r in results] == expected


# --- BLAS and OpenMP threads: the workers share the cores ----------------------------------------

THREAD_PROBE = '''
import ctypes
import json
import os

THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def openblas_threads():
    """The thread count of the OpenBLAS loaded in this process (numpy's), or None."""
    with open("/proc/self/maps", encoding="utf-8") as maps:
        libs = sorted({line.split()[-1] for line in maps if "openblas" in line.lower() and "/" in line})
    for path in libs:
        lib = ctypes.CDLL(path)
        for prefix in ("scipy_openblas", "openblas"):
            for suffix in ("64_", ""):
                fn = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
                if fn is not None:
                    return fn()
    return None


def report(x, w, b=None, **kw):
    seen = {name: os.environ.get(name) for name in THREAD_VARIABLES}
    raise RuntimeError(json.dumps({"env": seen, "openblas": openblas_threads()}))
'''


def threads_in_worker(tmp_path, monkeypatch, vector, jobs):
    """What a worker of a pool of ``jobs`` sees: its thread variables and OpenBLAS's thread count."""
    (tmp_path / "thread_probe.py").write_text(THREAD_PROBE)
    monkeypatch.syspath_prepend(str(tmp_path))
    before = dict(os.environ)
    with WorkerPool("thread_probe:report", "strict", jobs, Limits(timeout=30)) as pool:
        assert dict(os.environ) == before  # the parent's environment is as it was
        (result,) = pool.run([vector])
    assert result.outcome is Outcome.ERROR and result.reason.startswith("RuntimeError: ")
    return json.loads(result.reason.removeprefix("RuntimeError: "))


@pytest.fixture
def no_thread_variables(monkeypatch):
    for name in isolation.THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(isolation, "usable_cores", lambda: 2)


def test_workers_share_the_cores_as_blas_threads(tmp_path, monkeypatch, target, no_thread_variables):
    seen = threads_in_worker(tmp_path, monkeypatch, target, jobs=2)  # 2 cores, 2 workers
    assert seen["env"] == dict.fromkeys(isolation.THREAD_VARIABLES, "1")
    assert seen["openblas"] in (1, None)  # set before numpy loaded; None: numpy is not on OpenBLAS
    assert isolation.worker_threads(3, cores=8) == dict.fromkeys(isolation.THREAD_VARIABLES, "2")
    assert isolation.worker_threads(3, cores=2) == dict.fromkeys(isolation.THREAD_VARIABLES, "1")


def test_thread_variables_the_user_set_are_left_alone(tmp_path, monkeypatch, target, no_thread_variables):
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    seen = threads_in_worker(tmp_path, monkeypatch, target, jobs=2)  # convspec's choice would be 1
    assert seen["env"] == {"OPENBLAS_NUM_THREADS": "2", "OMP_NUM_THREADS": None, "MKL_NUM_THREADS": None}
    # OpenBLAS takes no more threads than the machine has cores; None: numpy is not built on it
    assert seen["openblas"] in (min(2, os.cpu_count()), None)
    assert isolation.worker_threads(2) == {}
