import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from convspec.conformance.cli import main

FAULTY = Path(__file__).parents[1] / "faulty"


def run_cli(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_run_default_backend_passes_everything(capsys, corpus):
    code, out, _ = run_cli(capsys, "run")
    lines = out.strip().splitlines()
    assert code == 0
    assert len(lines) == len(corpus) + 1
    assert all(line.startswith("pass ") for line in lines[:-1])
    assert lines[-1].startswith(f"{len(corpus)} passed, 0 failed") and "backend numpy" in lines[-1]


def test_run_with_user_backend_fails_minus_60_and_exits_1(capsys, faulty_on_path):
    code, out, _ = run_cli(capsys, "run", "--backend", "faulty_backends:kernel_flip",
                           "-k", "notes/convolution/minus-60")
    assert code == 1
    first = out.splitlines()[0]
    assert first.startswith("fail") and "notes/convolution/minus-60" in first
    assert "got 60, expected -60" in first and "allowed ±" in first


def test_report_json_has_every_result(capsys, tmp_path, faulty_on_path):
    report = tmp_path / "run.json"
    code, _, _ = run_cli(capsys, "run", "--backend", "faulty_backends:kernel_flip",
                         "-k", "minus-60", "--report", str(report))
    data = json.loads(report.read_text())
    assert code == 1
    assert data["backend"]["name"] == "faulty_backends:kernel_flip"
    assert data["summary"]["fail"] == 3 and len(data["results"]) == 3
    worst = data["results"][0]["worst"]
    assert worst["got"] == "60" and worst["expected"] == "-60" and worst["index"] == [0, 0, 0, 0]


def test_exitfirst_stops_at_first_problem(capsys, faulty_on_path):
    code, out, _ = run_cli(capsys, "run", "--backend", "faulty_backends:kernel_flip", "-x")
    lines = out.splitlines()
    assert code == 1
    assert lines[-2].startswith("fail") and all(line.startswith("pass") for line in lines[:-2])
    assert f"{len(lines) - 2} passed, 1 failed" in lines[-1]


def test_expected_failures_file(capsys, tmp_path, faulty_on_path):
    xfail = tmp_path / "xfail.yaml"
    xfail.write_text("- {id: notes/convolution/minus-60, reason: flips kernels on purpose}\n")
    code, out, _ = run_cli(capsys, "run", "--backend", "faulty_backends:kernel_flip",
                           "-k", "notes/convolution/minus-60", "--expected-failures", str(xfail))
    assert out.splitlines()[0].startswith("xfail")
    assert "1 xfail" in out and code == 1  # the float16 and float64 twins still fail


def test_unknown_backend_is_a_usage_error(capsys):
    code, _, err = run_cli(capsys, "run", "--backend", "no_such_module:conv")
    assert code == 2 and "cannot import 'no_such_module'" in err and "Traceback" not in err


def test_pattern_matching_nothing_is_a_usage_error(capsys):
    code, _, err = run_cli(capsys, "run", "-k", "no-such-vector")
    assert code == 2 and "no vector matches" in err


def test_bad_vector_file_exits_2_with_one_line_per_problem(capsys, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: convspec-vectors/1\ntopic: t\ndescription: d\nvectors: []\n")
    code, _, err = run_cli(capsys, "run", str(bad))
    assert code == 2
    assert err.strip().startswith(f"convspec: {bad}") and len(err.strip().splitlines()) == 1


def test_list_prints_one_vector_a_line_and_filters_by_tag(capsys, corpus):
    code, out, _ = run_cli(capsys, "list")
    assert code == 0 and len(out.strip().splitlines()) == len(corpus)
    code, out, _ = run_cli(capsys, "list", "--tag", "stride")
    ids = [line.split()[0] for line in out.strip().splitlines()]
    assert ids == [v.id for v in corpus if "stride" in v.tags]


def test_show_works_the_minus_60_example_term_by_term(capsys):
    code, out, _ = run_cli(capsys, "show", "notes/convolution/minus-60")
    assert code == 0
    assert "10·1 + 20·0 + 30·(-1) + 15·1 + 25·0 + 35·(-1) + 20·1 + 30·0 + 40·(-1)" in out
    assert "= -60" in out and "course notes" in out


def test_show_letter_windows(capsys):
    _, out, _ = run_cli(capsys, "show", "notes/stride/letters-stride-2-windows")
    assert "window at [0, 1] covers C D E / H I J / M N O" in out


def test_show_unknown_id_suggests_near_ids(capsys):
    code, _, err = run_cli(capsys, "show", "minus-60")
    assert code == 2 and "did you mean notes/convolution/minus-60" in err


def test_validate_reports_counts(capsys, corpus):
    code, out, _ = run_cli(capsys, "validate")
    assert code == 0 and out.startswith(f"{len(corpus)} vectors in")


def test_shape_fills_in_the_formula_and_explains_the_floor(capsys):
    _, out, _ = run_cli(capsys, "shape", "5", "3", "1", "0")
    assert "floor(2 / 1) + 1 = 3" in out
    _, out, _ = run_cli(capsys, "shape", "6", "3", "2")
    assert "= 2" in out and "5..5 are never reached" in out
    _, out, _ = run_cli(capsys, "shape", "5", "2", "1", "--padding", "same_lower")
    assert "same_lower pads (1, 0)" in out


def test_shape_rejects_kernel_larger_than_input(capsys):
    code, _, err = run_cli(capsys, "shape", "2", "3")
    assert code == 2 and "output size < 1" in err


def test_backends_lists_the_builtins(capsys):
    _, out, _ = run_cli(capsys, "backends")
    names = [line.split()[0] for line in out.splitlines()]
    assert names[:2] == ["numpy", "reference"]


def test_console_script_entry_point_runs_a_user_file_on_pythonpath(tmp_path):
    user = tmp_path / "my_conv.py"
    user.write_text(textwrap.dedent("""
        from convspec.conformance.backends.numpy import conv as correct
        def conv(x, w, b=None, **kw):
            return correct(x, w[..., ::-1].copy(), b, **kw)
    """))
    script = Path(sys.executable).parent / "convspec"
    proc = subprocess.run([str(script), "run", "--backend", "my_conv:conv", "-k", "minus-60"],
                          capture_output=True, text=True, cwd=Path.home(),
                          env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 1, proc.stderr
    assert "got 60, expected -60" in proc.stdout


@pytest.mark.parametrize("args", [["run", "--profile", "nonsense"], ["frobnicate"], []])
def test_usage_errors_exit_2(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 2


def test_coverage_view_prints_the_count_map(capsys):
    code, out, _ = run_cli(capsys, "coverage", "5", "5", "3")
    lines = out.splitlines()
    assert code == 0 and lines[1] == "1 2 3 2 1" and lines[3] == "3 6 9 6 3"
    _, out, _ = run_cli(capsys, "coverage", "5", "5", "3", "--padding", "1")
    assert out.splitlines()[1] == "4 6 6 6 4"


def test_shards_split_the_corpus_without_overlap(capsys, corpus):
    seen = []
    for k in (1, 2, 3):
        assert main(["run", "--shard", f"{k}/3"]) == 0
        seen += [line.split()[1] for line in capsys.readouterr().out.splitlines()[:-1]]
    assert sorted(seen) == sorted(v.id for v in corpus)


def test_bad_shard_is_a_usage_error(capsys):
    assert main(["run", "--shard", "0/3"]) == 2
    assert "1 <= K <= N" in capsys.readouterr().err


def test_junit_report_has_a_testcase_per_vector(tmp_path, capsys, faulty_on_path):
    from xml.etree import ElementTree as ET

    path = tmp_path / "run.xml"
    main(["run", "--backend", "faulty_backends:kernel_flip", "-k", "notes/convolution", "--junit", str(path)])
    suite = ET.parse(path).getroot()
    assert suite.get("tests") == "3" and suite.get("failures") == "3"
    case = suite.find("testcase[@name='minus-60']")
    assert case.get("classname") == "notes.convolution"
    assert "got 60, expected -60" in case.find("failure").text


def test_the_parser_names_every_profile():
    from convspec.conformance.cli import PROFILE_NAMES
    from convspec.conformance.tolerance import PROFILES

    assert PROFILE_NAMES == tuple(sorted(PROFILES))


def test_help_imports_neither_numpy_nor_any_framework():
    code = ("import sys\nfrom convspec.conformance.cli import main\ntry:\n    main(['--help'])\n"
            "except SystemExit:\n    pass\nprint(sorted({m.split('.')[0] for m in sys.modules}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    loaded = out.strip().splitlines()[-1]
    for heavy in ("numpy", "scipy", "jsonschema", "yaml", "torch", "jax", "tensorflow", "onnxruntime"):
        assert f"'{heavy}'" not in loaded


def test_a_builtin_adapters_shipped_deviations_apply_by_default(capsys, monkeypatch, tmp_path):
    from convspec.conformance import expected_failures

    (tmp_path / "numpy.yaml").write_text("- {id: notes/convolution/minus-60, reason: pretend}\n")
    monkeypatch.setattr(expected_failures, "SHIPPED", tmp_path)
    assert main(["run", "-k", "notes/convolution/minus-60"]) == 1  # listed but passing: xpass
    out, err = capsys.readouterr()
    assert out.splitlines()[0].startswith("xpass") and "known deviations of numpy" in err
    assert main(["run", "-k", "notes/convolution/minus-60", "--expected-failures", "none"]) == 0
