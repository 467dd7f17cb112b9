import json

from convspec.conformance import expected_failures, matrix
from convspec.conformance.cli import main


def test_matrix_tabulates_each_backend_by_topic_and_dtype(corpus, tmp_path, capsys):
    code = main(["matrix", "--backend", "numpy", "--backend", "no_such_module:conv", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    data = json.loads((tmp_path / "convspec-matrix.json").read_text())
    assert code == 0
    numpy_row, missing = data["backends"]
    assert numpy_row["totals"] == {"pass": len(corpus)}
    assert sum(c["pass"] for c in numpy_row["cells"]) == len(corpus)
    assert {(c["topic"], c["dtype"]) for c in numpy_row["cells"]} == {(v.topic, v.dtype) for v in corpus}
    assert not missing["available"] and "cannot import" in missing["reason"]
    assert f"| numpy | {numpy_row['version']} | {len(corpus)} | 0 |" in out
    assert (tmp_path / "convspec-matrix.md").read_text() == matrix.markdown(data)


def test_matrix_lists_deviations_with_evidence_and_exits_1(tmp_path, capsys, faulty_on_path):
    code = main(["matrix", "--backend", "faulty_backends:kernel_flip", "-k", "notes/convolution",
                 "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 1
    assert "- `notes/convolution/minus-60` — fail:" in out and "got 60, expected -60" in out


def test_expected_failures_files_are_read_per_backend(monkeypatch, tmp_path, corpus):
    (tmp_path / "numpy.yaml").write_text("- {id: notes/convolution/minus-60, reason: pretend}\n")
    monkeypatch.setattr(expected_failures, "SHIPPED", tmp_path)
    data = matrix.build([v for v in corpus if v.id == "notes/convolution/minus-60"], ["numpy"])
    assert data["backends"][0]["totals"] == {"xpass": 1}
