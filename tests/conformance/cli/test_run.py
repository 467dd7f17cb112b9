"""`convspec run`: outcomes and exit codes, reports, expected failures, selection and shards."""

import json

from convspec.conformance.cli import main


def test_run_default_backend_passes_everything(run_cli, corpus):
    code, out, _ = run_cli("run")
    lines = out.strip().splitlines()
    assert code == 0
    assert len(lines) == len(corpus) + 1
    assert all(line.startswith("pass ") for line in lines[:-1])
    assert lines[-1].startswith(f"{len(corpus)} passed, 0 failed") and "backend numpy" in lines[-1]


def test_run_with_user_backend_fails_minus_60_and_exits_1(run_cli, faulty_on_path):
    code, out, _ = run_cli("run", "--backend", "faulty_backends:kernel_flip",
                           "-k", "notes/convolution/minus-60")
    assert code == 1
    first = out.splitlines()[0]
    assert first.startswith("fail") and "notes/convolution/minus-60" in first
    assert "got 60, expected -60" in first and "allowed ±" in first


def test_report_json_has_every_result(run_cli, tmp_path, faulty_on_path):
    report = tmp_path / "run.json"
    code, _, _ = run_cli("run", "--backend", "faulty_backends:kernel_flip",
                         "-k", "minus-60", "--report", str(report))
    data = json.loads(report.read_text())
    assert code == 1
    assert data["backend"]["name"] == "faulty_backends:kernel_flip"
    assert data["summary"]["fail"] == 3 and len(data["results"]) == 3
    worst = data["results"][0]["worst"]
    assert worst["got"] == "60" and worst["expected"] == "-60" and worst["index"] == [0, 0, 0, 0]


def test_exitfirst_stops_at_first_problem(run_cli, faulty_on_path):
    code, out, _ = run_cli("run", "--backend", "faulty_backends:kernel_flip", "-x")
    lines = out.splitlines()
    assert code == 1
    # a conv backend has no gradient operators: their vectors report unsupported, and the run goes on
    before = lines[:-2]
    assert lines[-2].startswith("fail") and all(line.startswith(("pass", "unsupported")) for line in before)
    passed = sum(line.startswith("pass") for line in before)
    assert f"{passed} passed, 1 failed" in lines[-1]


def test_expected_failures_file(run_cli, tmp_path, faulty_on_path):
    xfail = tmp_path / "xfail.yaml"
    xfail.write_text("- {id: notes/convolution/minus-60, reason: flips kernels on purpose}\n")
    code, out, _ = run_cli("run", "--backend", "faulty_backends:kernel_flip",
                           "-k", "notes/convolution/minus-60", "--expected-failures", str(xfail))
    assert out.splitlines()[0].startswith("xfail")
    assert "1 xfail" in out and code == 1  # the float16 and float64 twins still fail


def test_unknown_backend_is_a_usage_error(run_cli):
    code, _, err = run_cli("run", "--backend", "no_such_module:conv")
    assert code == 2 and "cannot import 'no_such_module'" in err and "Traceback" not in err


def test_pattern_matching_nothing_is_a_usage_error(run_cli):
    code, _, err = run_cli("run", "-k", "no-such-vector")
    assert code == 2 and "no vector matches" in err


def test_bad_vector_file_exits_2_with_one_line_per_problem(run_cli, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: convspec-vectors/1\ntopic: t\ndescription: d\nvectors: []\n")
    code, _, err = run_cli("run", str(bad))
    assert code == 2
    assert err.strip().startswith(f"convspec: {bad}") and len(err.strip().splitlines()) == 1


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


def test_a_builtin_adapters_shipped_deviations_apply_by_default(capsys, monkeypatch, tmp_path):
    from convspec.conformance import expected_failures

    (tmp_path / "numpy.yaml").write_text("- {id: notes/convolution/minus-60, reason: pretend}\n")
    monkeypatch.setattr(expected_failures, "SHIPPED", tmp_path)
    assert main(["run", "-k", "notes/convolution/minus-60"]) == 1  # listed but passing: xpass
    out, err = capsys.readouterr()
    assert out.splitlines()[0].startswith("xpass") and "known deviations of numpy" in err
    assert main(["run", "-k", "notes/convolution/minus-60", "--expected-failures", "none"]) == 0

