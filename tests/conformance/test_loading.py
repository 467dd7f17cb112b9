"""Reading vector files: the built-in corpus, safe YAML, file-level refusals, ids, many files."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from convspec import spec
from convspec.conformance.errors import VectorFileError
from convspec.conformance.loading import expand_paths, load_file, load_vectors


def minimal_vector(vid: str = "tiny/one") -> dict:
    """A valid 2-D conv: 3x3 input 1..9, 2x2 kernel [[1, 0], [0, 1]] -> 2x2 output."""
    return {
        "id": vid,
        "title": "A tiny valid convolution",
        "source": "written for the loader's tests",
        "catches": ["kernel-flip"],
        "op": "conv",
        "dtype": "float32",
        "inputs": {
            "x": {"shape": [1, 1, 3, 3], "data": [[1, 2, 3], [4, 5, 6], [7, 8, 9]]},
            "w": {"shape": [1, 1, 2, 2], "data": [[1, 0], [0, 1]]},
        },
        "expected": {"shape": [1, 1, 2, 2], "data": [[6, 8], [12, 14]]},
    }


def minimal_file(*vectors: dict) -> dict:
    return {
        "format": "convspec-vectors/1",
        "topic": "tiny",
        "description": "Vectors written by a test.",
        "vectors": [copy.deepcopy(v) for v in vectors] or [minimal_vector()],
    }


def write(path: Path, document: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


def dumped_lines(document: dict | None = None) -> list[str]:
    return yaml.safe_dump(document or minimal_file()).splitlines(keepends=True)


def problems_of(path: Path, **kwargs) -> list:
    with pytest.raises(VectorFileError) as info:
        load_file(path, **kwargs)
    return info.value.problems


def only_problem(path: Path, **kwargs):
    problems = problems_of(path, **kwargs)
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


# --- the built-in corpus ----------------------------------------------------------------------

def test_corpus_loads_without_arguments():
    vectors = load_vectors()
    assert len(vectors) > 0


def test_corpus_ids_are_unique():
    ids = [v.id for v in load_vectors()]
    assert len(ids) == len(set(ids))


def test_corpus_vectors_all_have_source_and_catches():
    for vector in load_vectors():
        assert vector.source.strip(), vector.id
        assert len(vector.catches) >= 1, vector.id
        assert all(c.strip() for c in vector.catches), vector.id


def test_corpus_comes_from_every_yaml_file_in_the_spec_folder():
    files = {v.file for v in load_vectors()}
    assert files == set(spec.VECTORS.glob("*.yaml"))
    assert len(files) >= 6


# --- a valid file -----------------------------------------------------------------------------

def test_minimal_file_loads_with_its_fields(tmp_path):
    path = write(tmp_path / "tiny.yaml", minimal_file())
    [vector] = load_file(path)
    assert vector.id == "tiny/one"
    assert vector.file == path
    assert vector.topic == "tiny"
    assert "tiny" in vector.tags
    assert vector.catches == ("kernel-flip",)


def test_load_file_accepts_a_string_path(tmp_path):
    path = write(tmp_path / "tiny.yaml", minimal_file())
    assert [v.id for v in load_file(str(path))] == ["tiny/one"]


# --- YAML that must be refused ------------------------------------------------------------------

def test_invalid_yaml_reports_file_line_and_column(tmp_path):
    lines = dumped_lines()
    row = lines.index("topic: tiny\n")
    lines[row] = "topic: tiny: more\n"  # a second ':' on the line: column 12
    path = tmp_path / "broken.yaml"
    path.write_text("".join(lines), encoding="utf-8")
    problem = only_problem(path)
    assert (problem.line, problem.column) == (row + 1, 12)
    assert str(problem).startswith(f"{path}:{row + 1}:12: invalid YAML")


def test_python_object_apply_tag_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "executed"
    lines = dumped_lines()
    row = next(i for i, line in enumerate(lines) if line.startswith("description:"))
    lines[row] = f"description: !!python/object/apply:os.system ['touch {marker}']\n"
    path = tmp_path / "tagged.yaml"
    path.write_text("".join(lines), encoding="utf-8")
    problem = only_problem(path)
    assert not marker.exists()
    assert "python/object/apply:os.system" in problem.message
    assert problem.line == row + 1
    assert str(problem).startswith(f"{path}:{row + 1}:")


def test_python_object_tag_is_refused(tmp_path):
    lines = dumped_lines()
    row = next(i for i, line in enumerate(lines) if line.startswith("description:"))
    lines[row] = "description: !!python/object:collections.OrderedDict {}\n"
    path = tmp_path / "tagged.yaml"
    path.write_text("".join(lines), encoding="utf-8")
    problem = only_problem(path)
    assert "invalid YAML" in problem.message
    assert "python/object:collections.OrderedDict" in problem.message


def test_duplicate_top_level_key_is_refused(tmp_path):
    lines = dumped_lines()
    row = lines.index("topic: tiny\n")
    lines.insert(row + 1, "topic: other\n")
    path = tmp_path / "dup.yaml"
    path.write_text("".join(lines), encoding="utf-8")
    problem = only_problem(path)
    assert "duplicate key 'topic'" in problem.message
    assert problem.line == row + 2
    assert str(problem).startswith(f"{path}:{row + 2}:")


def test_duplicate_key_inside_a_vector_is_refused(tmp_path):
    lines = dumped_lines()
    row = lines.index("  dtype: float32\n")
    lines.insert(row + 1, "  dtype: float64\n")
    path = tmp_path / "dup.yaml"
    path.write_text("".join(lines), encoding="utf-8")
    problem = only_problem(path)
    assert "duplicate key 'dtype'" in problem.message
    assert problem.line == row + 2


def test_empty_file_is_refused(tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_bytes(b"")
    problem = only_problem(path)
    assert str(problem).startswith(f"{path}: ")
    assert problem.message == "empty file, expected a convspec vector file"


def test_binary_file_with_nul_bytes_is_refused(tmp_path):
    path = tmp_path / "binary.yaml"
    path.write_bytes(yaml.safe_dump(minimal_file()).encode() + b"\0\1\2")
    problem = only_problem(path)
    assert str(problem) == f"{path}: binary file, expected YAML text"


def test_non_utf8_file_is_refused(tmp_path):
    document = minimal_file()
    document["description"] = "Vectors for a caf\u00e9."
    path = tmp_path / "latin1.yaml"
    path.write_bytes(yaml.safe_dump(document, allow_unicode=True).encode("latin-1"))
    problem = only_problem(path)
    assert str(problem).startswith(f"{path}: not UTF-8 text")


def test_file_over_max_bytes_is_refused_with_its_size_and_the_limit(tmp_path):
    path = write(tmp_path / "big.yaml", minimal_file())
    size = path.stat().st_size
    problem = only_problem(path, max_bytes=size - 1)
    assert str(problem).startswith(f"{path}: ")
    assert f"file is {size} bytes" in problem.message
    assert f"limit of {size - 1}" in problem.message


def test_file_of_exactly_max_bytes_is_accepted(tmp_path):
    path = write(tmp_path / "big.yaml", minimal_file())
    assert len(load_file(path, max_bytes=path.stat().st_size)) == 1


def test_load_vectors_passes_max_bytes_on(tmp_path):
    path = write(tmp_path / "big.yaml", minimal_file())
    with pytest.raises(VectorFileError, match="over the limit"):
        load_vectors([path], max_bytes=path.stat().st_size - 1)


def test_missing_file_is_reported_not_raised_as_oserror(tmp_path):
    path = tmp_path / "absent.yaml"
    problem = only_problem(path)
    assert str(problem).startswith(f"{path}: cannot read")


# --- ids across files, and problems from every file ---------------------------------------------

def test_duplicate_id_across_two_files_names_both_files(tmp_path):
    first = write(tmp_path / "a.yaml", minimal_file(minimal_vector("shared/id")))
    second = write(tmp_path / "b.yaml", minimal_file(minimal_vector("shared/id")))
    with pytest.raises(VectorFileError) as info:
        load_vectors([first, second])
    [problem] = info.value.problems
    text = str(problem)
    assert text.startswith(f"{second}: vector 'shared/id': field id: ")
    assert f"first defined in {first}" in text


def test_duplicate_id_within_one_file_is_reported(tmp_path):
    path = write(tmp_path / "a.yaml", minimal_file(minimal_vector("same"), minimal_vector("same")))
    with pytest.raises(VectorFileError, match="duplicate id") as info:
        load_vectors([path])
    assert len(info.value.problems) == 1


def test_distinct_ids_across_files_load_together(tmp_path):
    first = write(tmp_path / "a.yaml", minimal_file(minimal_vector("one")))
    second = write(tmp_path / "b.yaml", minimal_file(minimal_vector("two")))
    assert [v.id for v in load_vectors([first, second])] == ["one", "two"]


def test_load_vectors_reports_problems_from_every_bad_file(tmp_path):
    bad_schema = minimal_file()
    bad_schema["vectors"][0]["dtype"] = "int4"
    first = write(tmp_path / "a.yaml", bad_schema)
    bad_semantics = minimal_file()
    bad_semantics["vectors"][0]["expected"]["shape"] = [1, 1, 3, 3]
    second = write(tmp_path / "b.yaml", bad_semantics)
    good = write(tmp_path / "c.yaml", minimal_file(minimal_vector("fine")))
    with pytest.raises(VectorFileError) as info:
        load_vectors([first, second, good])
    files = [Path(p.file) for p in info.value.problems]
    assert files == [first, second]
    assert "field dtype" in str(info.value.problems[0])
    assert "field expected.shape" in str(info.value.problems[1])


def test_load_vectors_error_text_lists_every_problem_on_its_own_line(tmp_path):
    first = tmp_path / "a.yaml"
    first.write_bytes(b"\0")
    second = tmp_path / "b.yaml"
    second.write_bytes(b"\xff\xfe")
    with pytest.raises(VectorFileError) as info:
        load_vectors([first, second])
    lines = str(info.value).splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{first}: binary file")
    assert lines[1].startswith(f"{second}: not UTF-8")


# --- expand_paths -----------------------------------------------------------------------------

def test_expand_paths_finds_yaml_and_yml_recursively(tmp_path):
    top = write(tmp_path / "a.yaml", minimal_file())
    nested = write(tmp_path / "sub" / "b.yml", minimal_file())
    deeper = write(tmp_path / "sub" / "deeper" / "c.yaml", minimal_file())
    (tmp_path / "notes.txt").write_text("not a vector file")
    (tmp_path / "sub" / "data.json").write_text("{}")
    found = expand_paths([tmp_path])
    assert sorted(found) == sorted([top, nested, deeper])


def test_expand_paths_keeps_explicit_files_in_the_order_given(tmp_path):
    second = write(tmp_path / "z.yaml", minimal_file())
    first = tmp_path / "a.txt"
    first.write_text("anything")
    assert expand_paths([second, str(first)]) == [second, first]


def test_load_vectors_on_a_directory_loads_nested_yml_files(tmp_path):
    write(tmp_path / "a.yaml", minimal_file(minimal_vector("top")))
    write(tmp_path / "sub" / "b.yml", minimal_file(minimal_vector("nested")))
    assert sorted(v.id for v in load_vectors([tmp_path])) == ["nested", "top"]


# --- regressions: inputs that once escaped as a bare TypeError / IsADirectoryError ---------------

def test_unhashable_mapping_key_is_reported_as_a_vector_file_error(tmp_path):
    path = tmp_path / "unhashable.yaml"
    path.write_text("format: convspec-vectors/1\n? [a, b]\n: 1\n", encoding="utf-8")
    problem = only_problem(path)
    assert "invalid YAML" in problem.message
    assert problem.line == 2


def test_directory_named_like_a_yaml_file_is_skipped(tmp_path):
    write(tmp_path / "a.yaml", minimal_file())
    (tmp_path / "folder.yaml").mkdir()
    assert [v.id for v in load_vectors([tmp_path])] == ["tiny/one"]


def test_a_directory_given_as_a_file_is_a_one_line_error(tmp_path):
    folder = tmp_path / "looks.yaml"
    folder.mkdir()
    with pytest.raises(VectorFileError) as exc:
        load_file(folder)
    assert str(exc.value.problems[0]).startswith(f"{folder}: cannot read")
