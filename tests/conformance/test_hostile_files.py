"""Hostile vector files: each gets one clear line (file, vector, field, what was expected), exit 2,
no traceback, and nothing huge is allocated."""

import subprocess
import sys
from pathlib import Path

import pytest

from convspec.conformance.cli import main

BAD = Path(__file__).parents[1] / "fixtures" / "bad_vectors"


@pytest.mark.parametrize(("name", "lines"), [
    ("alias_bomb.yaml", ["alias_bomb.yaml: YAML aliases expand to more than 5000000 nodes (an alias bomb?)"]),
    ("binary.yaml", ["binary.yaml: binary file, expected YAML text"]),
    ("duplicate_key.yaml", ["duplicate_key.yaml:3:1: invalid YAML: duplicate key 'topic'"]),
    ("empty.yaml", ["empty.yaml: empty file, expected a convspec vector file"]),
    ("not_yaml.yaml", ["not_yaml.yaml:3:1: invalid YAML: while parsing a flow sequence"]),
    ("python_tag.yaml", ["python_tag.yaml:3:14: invalid YAML: could not determine a constructor for the tag "
                         "'tag:yaml.org,2002:python/object/apply:os.system'"]),
    ("huge_shape.yaml", [
        "huge_shape.yaml: vector 'huge/shape': field inputs.x.shape: declares 1000000000000 elements, "
        "over the limit of 100000000 (--max-elements)",
        "huge_shape.yaml: vector 'huge/shape': field expected.shape: declares 1000000000 elements"]),
    ("many_problems.yaml", [
        "many_problems.yaml: vector 'problems/zero-dim': field inputs.x.shape[1]: "
        "0 is less than the minimum of 1",
        "many_problems.yaml: vector 'problems/unknown-field': Additional properties are not allowed "
        "('colour' was unexpected)",
        "many_problems.yaml: vector 'problems/short-data': field inputs.x: has 3 values but shape "
        "[1, 1, 2, 2] needs 4"]),
])
def test_validate_gives_one_clear_line_per_problem(name, lines, capsys, monkeypatch):
    monkeypatch.chdir(BAD)
    code = main(["validate", name])
    out, err = capsys.readouterr()
    got = err.strip().splitlines()
    assert code == 2 and out == ""
    assert len(got) == len(lines)
    for text, start in zip(got, lines, strict=True):
        assert text.startswith("convspec: " + start)


def test_python_tags_never_run(tmp_path, monkeypatch):
    monkeypatch.chdir(BAD)
    main(["validate", "python_tag.yaml"])
    assert not Path("/tmp/convspec-pwned").exists()


def test_all_problems_in_all_files_at_once(capsys, monkeypatch):
    monkeypatch.chdir(BAD)
    main(["validate", "."])
    err = capsys.readouterr().err
    for name in ("alias_bomb", "binary", "duplicate_key", "empty", "huge_shape", "many_problems",
                 "not_yaml", "python_tag"):
        assert f"convspec: {name}.yaml" in err


def test_size_limits_are_configurable(capsys, monkeypatch):
    monkeypatch.chdir(BAD)
    assert main(["validate", "--max-file-bytes", "10", "many_problems.yaml"]) == 2
    assert "over the limit of 10 (--max-file-bytes)" in capsys.readouterr().err
    spec_file = Path(__file__).parents[2] / "spec" / "vectors" / "notes-convolution.yaml"
    assert main(["validate", "--max-elements", "4", str(spec_file)]) == 2
    assert "declares 9 elements, over the limit of 4" in capsys.readouterr().err


def test_a_huge_declared_shape_allocates_nothing():
    # in a subprocess with 200 MB of address space: allocating the tensor would die, not report
    code = ("import resource, sys; resource.setrlimit(resource.RLIMIT_DATA, (400 << 20, 400 << 20));"
            "from convspec.conformance.cli import main; sys.exit(main(['validate', 'huge_shape.yaml']))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=BAD, capture_output=True, text=True)
    assert proc.returncode == 2 and "declares 1000000000000 elements" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_duplicate_ids_across_files_name_both(tmp_path, capsys):
    source = (Path(__file__).parents[2] / "spec" / "vectors" / "notes-convolution.yaml").read_text()
    (tmp_path / "a.yaml").write_text(source)
    (tmp_path / "b.yaml").write_text(source)
    assert main(["validate", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'b.yaml'}: vector 'notes/convolution/minus-60': field id: duplicate id, first " \
           f"defined in {tmp_path / 'a.yaml'}" in err
