"""`convspec fuzz` on the command line: exit codes, the reproducer and its replay command, progress,
the Hypothesis settings it exposes, and usage errors."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from convspec.conformance.fuzz import engine


def test_a_failure_writes_a_reproducer_into_the_current_directory_and_exits_1(run_cli, tmp_path, monkeypatch,
                                                                             faulty_on_path):
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli("fuzz", "--backend", "faulty_backends:kernel_flip", "--seed", "3",
                           "--examples", "300")
    assert code == 1
    assert "FAILURE after" in out and "minimal case:" in out
    assert "x [1, 1, 2]:" in out and "w [1, 1, 2]:" in out
    assert "catches: kernel-flip" in out
    (path,) = tmp_path.glob("fuzz-*.yaml")
    assert f"wrote {path.name}" in out
    replay = re.search(r"^replay: (convspec run .*)$", out, re.M).group(1)
    assert replay == f"convspec run {path.name} --backend faulty_backends:kernel_flip"

    code, out, _ = run_cli(*replay.split()[1:])
    assert code == 1 and out.startswith("fail ") and "0 passed, 1 failed" in out


def test_invalid_mode_writes_an_error_vector_into_out(run_cli, tmp_path, faulty_on_path):
    out_dir = tmp_path / "found"
    code, out, _ = run_cli("fuzz", "--backend", "faulty_backends:accepts_invalid", "--invalid",
                           "--seed", "1", "--examples", "200", "--out", str(out_dir))
    assert code == 1 and "catches: accepts-invalid" in out
    (path,) = out_dir.glob("fuzz-*.yaml")
    text = path.read_text()
    assert "expected:\n    error: stride" in text and "catches: [accepts-invalid]" in text
    code, out, _ = run_cli("run", str(path), "--backend", "faulty_backends:accepts_invalid")
    assert code == 1 and "accepted an invalid call" in out
    assert run_cli("run", str(path), "--backend", "numpy")[0] == 0


def test_the_correct_backend_exits_0_with_derandomize(run_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli("fuzz", "--derandomize", "--examples", "300")
    assert code == 0
    assert "seed 0" in out.splitlines()[0]
    assert re.search(r"no failure in 300 cases \(300 pass\) in [\d.]+ s, \d+ cases/s", out)
    assert not list(tmp_path.iterdir())  # nothing written, no Hypothesis database


def test_laws_hold_for_the_correct_backend(run_cli):
    code, out, _ = run_cli("fuzz", "--laws", "--examples", "40", "--seed", "2")
    assert code == 0
    assert [line.split()[1] for line in out.splitlines() if line.startswith("holds")] == [
        "linearity-x", "linearity-w", "padding", "stride", "groups", "dilation", "stacked-3x3", "translation"]
    assert "8 laws hold on 320 cases" in out


def test_a_broken_law_exits_1_with_its_minimal_case_and_a_reproducer(run_cli, tmp_path, faulty_on_path):
    code, out, _ = run_cli("fuzz", "--laws", "--backend", "faulty_backends:padding_nonzero",
                           "--seed", "1", "--examples", "200", "--out", str(tmp_path))
    assert code == 1
    assert "BROKEN  padding:" in out and "minimal case" in out
    (path,) = tmp_path.glob("fuzz-*.yaml")
    assert f"replay: convspec run {path} --backend faulty_backends:padding_nonzero" in out


def test_progress_lines_go_to_stderr(run_cli, monkeypatch):
    monkeypatch.setattr(engine, "PROGRESS_SECONDS", 0.0)
    code, _, err = run_cli("fuzz", "--examples", "5", "--seed", "1")
    assert code == 0
    assert re.search(r"^  \d+ cases \(\d+ pass\) in [\d.]+ s, \d+ cases/s$", err, re.M)


def test_time_budget_stops_the_search(run_cli):
    code, out, _ = run_cli("fuzz", "--examples", "100000000", "--time-budget", "0.5", "--seed", "1")
    assert code == 0 and "time budget spent" in out


def test_a_saved_failure_replays_first_from_the_database(run_cli, tmp_path, faulty_on_path):
    database = tmp_path / "db"
    args = ["fuzz", "--backend", "faulty_backends:bias_dropped", "--examples", "300",
            "--database", str(database), "--out", str(tmp_path)]
    first = run_cli(*args, "--seed", "2")[1]
    assert any(database.iterdir())
    code, second, _ = run_cli(*args, "--seed", "99")
    assert code == 1 and "FAILURE after 1 cases" in second
    assert re.search(r"wrote (\S+)", first).group(1) == re.search(r"wrote (\S+)", second).group(1)


def test_usage_errors_exit_2(run_cli):
    code, _, err = run_cli("fuzz", "--invalid", "--laws")
    assert code == 2 and "two different modes" in err
    code, _, err = run_cli("fuzz", "--backend", "no_such_module:conv")
    assert code == 2 and "cannot import" in err
    code, _, err = run_cli("fuzz", "--examples", "0")
    assert code == 2


def test_laws_need_a_dtype_they_can_use(run_cli):
    code, out, _ = run_cli("fuzz", "--laws", "--dtype", "float16")
    assert code == 0 and "no law applies" in out


def test_fuzz_help_imports_neither_numpy_nor_hypothesis():
    code = ("import sys\nfrom convspec.conformance.cli import main\ntry:\n    main(['fuzz', '--help'])\n"
            "except SystemExit:\n    pass\nprint(sorted({m.split('.')[0] for m in sys.modules}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    assert "--time-budget" in out
    loaded = out.strip().splitlines()[-1]
    for heavy in ("numpy", "scipy", "hypothesis", "yaml"):
        assert f"'{heavy}'" not in loaded


def test_the_parser_names_every_fuzzed_operator():
    from convspec.conformance.cli.fuzz import OPERATOR_NAMES
    from convspec.conformance.fuzz.operators import FUZZED
    from convspec.conformance.ops import OPERATORS

    assert OPERATOR_NAMES == tuple(FUZZED)
    assert set(OPERATOR_NAMES) <= set(OPERATORS)


TRANSPOSED_FAULTS = Path(__file__).parents[1] / "fuzz"


@pytest.fixture
def transposed_faults(monkeypatch):
    """tests/conformance/fuzz/transposed_faults.py importable, as a user's PYTHONPATH would make it."""
    monkeypatch.syspath_prepend(str(TRANSPOSED_FAULTS))
    yield
    sys.modules.pop("transposed_faults", None)


def test_op_conv_transpose_passes_the_correct_backend(run_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli("fuzz", "--op", "conv_transpose", "--derandomize", "--examples", "200")
    assert code == 0 and "op conv_transpose" in out.splitlines()[0]
    assert re.search(r"no failure in 200 cases \(200 pass\)", out)
    code, out, _ = run_cli("fuzz", "--op", "conv_transpose", "--invalid", "--seed", "3", "--examples", "100")
    assert code == 0 and "(100 pass)" in out


def test_op_conv_transpose_writes_a_reproducer_that_replays(run_cli, tmp_path, transposed_faults):
    backend = "transposed_faults:output_padding_ignored"
    code, out, _ = run_cli("fuzz", "--op", "conv_transpose", "--backend", backend, "--seed", "1",
                           "--examples", "300", "--out", str(tmp_path))
    assert code == 1 and "FAILURE after" in out
    (path,) = tmp_path.glob("fuzz-*.yaml")
    text = path.read_text()
    assert "op: conv_transpose" in text and "output_padding: [1]" in text and "dilation: [2]" in text
    replay = re.search(r"^replay: (convspec run .*)$", out, re.M).group(1)
    assert replay == f"convspec run {path} --backend {backend}"
    code, out, _ = run_cli(*replay.split()[1:])
    assert code == 1 and out.startswith("fail ") and "0 passed, 1 failed" in out
    assert run_cli("run", str(path), "--backend", "numpy")[0] == 0


def test_op_conv_transpose_invalid_finds_output_padding_accepted(run_cli, tmp_path, transposed_faults):
    backend = "transposed_faults:large_output_padding_accepted"
    code, out, _ = run_cli("fuzz", "--op", "conv_transpose", "--invalid", "--backend", backend,
                           "--seed", "1", "--examples", "300", "--out", str(tmp_path))
    assert code == 1
    (path,) = tmp_path.glob("fuzz-*.yaml")
    text = path.read_text()
    assert "expected:\n    error: output-padding" in text and "output_padding: [1]" in text
    code, out, _ = run_cli("run", str(path), "--backend", backend)
    assert code == 1 and "accepted an invalid call" in out
    assert run_cli("run", str(path), "--backend", "numpy")[0] == 0


def test_laws_of_conv_transpose(run_cli, tmp_path, transposed_faults):
    code, out, _ = run_cli("fuzz", "--laws", "--op", "conv_transpose", "--examples", "40", "--seed", "2")
    assert code == 0
    assert [line.split()[1] for line in out.splitlines() if line.startswith("holds")] == [
        "adjoint", "transposed-linearity-x", "transposed-as-conv"]
    assert "3 laws hold on 120 cases" in out
    code, out, _ = run_cli("fuzz", "--laws", "--op", "conv_transpose", "--backend",
                           "transposed_faults:crop_wrong_side", "--seed", "1", "--examples", "200",
                           "--out", str(tmp_path))
    assert code == 1 and "BROKEN  adjoint:" in out
    (path,) = tmp_path.glob("fuzz-*.yaml")
    assert "op: conv_transpose" in path.read_text()


def test_op_needs_the_backend_to_have_the_operator(run_cli, faulty_on_path):
    code, _, err = run_cli("fuzz", "--op", "conv_transpose", "--backend", "faulty_backends:kernel_flip")
    assert code == 2 and "no operator 'conv_transpose'" in err
    with pytest.raises(SystemExit):
        run_cli("fuzz", "--op", "pad")  # not a fuzzed operator: argparse rejects it
