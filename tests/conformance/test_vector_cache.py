"""The cache of checked vector files: a hit gives exactly what a full load gives, and anything
that could change the outcome of the checks misses."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from convspec import spec
from convspec.conformance import VectorFileError, load_file, load_vectors, loading, vector_cache

GOOD = spec.VECTORS / "notes-convolution.yaml"


@pytest.fixture
def cache_dir(tmp_path, monkeypatch) -> Path:
    where = tmp_path / "cache"
    monkeypatch.setenv(vector_cache.ENVIRONMENT, str(where))
    return where


@pytest.fixture
def parses(monkeypatch) -> list[Path]:
    """The files the YAML parser was called on."""
    seen: list[Path] = []
    real = loading._parse_yaml

    def counting(path, raw):
        seen.append(path)
        return real(path, raw)

    monkeypatch.setattr(loading, "_parse_yaml", counting)
    return seen


def copy_of(source: Path, tmp_path: Path) -> Path:
    target = tmp_path / source.name
    target.write_bytes(source.read_bytes())
    return target


def test_a_second_load_is_a_hit_and_gives_equal_vectors(cache_dir, parses, tmp_path):
    path = copy_of(GOOD, tmp_path)
    first = load_file(path)
    assert parses == [path]
    assert len(list(cache_dir.glob("*.marshal"))) == 1
    second = load_file(path)
    assert parses == [path]  # not parsed again
    assert second == first
    assert [v.arrays().keys() for v in second] == [v.arrays().keys() for v in first]


def test_the_whole_corpus_loads_equal_from_the_cache(cache_dir, parses):
    first = load_vectors()
    parsed = len(parses)
    assert parsed == len(spec.vector_files())
    assert load_vectors() == first
    assert len(parses) == parsed


def test_a_changed_file_misses(cache_dir, parses, tmp_path):
    path = copy_of(GOOD, tmp_path)
    load_file(path)
    document = yaml.safe_load(path.read_text())
    document["vectors"][0]["title"] = "a new title"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    (vector, *_) = load_file(path)
    assert vector.title == "a new title"
    assert parses == [path, path]


def test_other_limits_miss(cache_dir, parses, tmp_path):
    path = copy_of(GOOD, tmp_path)
    load_file(path)
    with pytest.raises(VectorFileError, match="over the limit of 4"):
        load_file(path, max_elements=4)
    assert parses == [path, path]


def test_a_change_of_the_checking_code_misses(cache_dir, parses, tmp_path, monkeypatch):
    path = copy_of(GOOD, tmp_path)
    load_file(path)
    monkeypatch.setattr(vector_cache, "checking_code_digest", lambda: b"other code")
    load_file(path)
    assert parses == [path, path]


def test_the_digest_covers_the_schema_the_mistakes_and_the_checking_modules():
    vector_cache.checking_code_digest.cache_clear()
    try:
        covered = set()
        real_read = Path.read_bytes

        def recording(self):
            covered.add(self.name)
            return real_read(self)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(Path, "read_bytes", recording)
            vector_cache.checking_code_digest()
    finally:
        vector_cache.checking_code_digest.cache_clear()
    assert {spec.SCHEMA.name, spec.MISTAKES.name, "loading.py", "validation.py", "vector.py",
            "vector_cache.py", "output_size.py", "padding.py", "conv.py", "operator.py"} <= covered


def test_a_bad_file_is_never_stored_and_reports_the_same_every_time(cache_dir, tmp_path):
    path = tmp_path / "bad.yaml"
    document = yaml.safe_load(GOOD.read_text())
    document["vectors"][0]["inputs"]["x"]["shape"] = [1, 1, 0]
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    with pytest.raises(VectorFileError) as first:
        load_file(path)
    with pytest.raises(VectorFileError) as second:
        load_file(path)
    assert str(first.value) == str(second.value)
    assert not list(cache_dir.glob("*.marshal"))


def test_a_corrupt_entry_is_ignored_and_replaced(cache_dir, parses, tmp_path):
    path = copy_of(GOOD, tmp_path)
    expected = load_file(path)
    (entry,) = cache_dir.glob("*.marshal")
    for garbage in (b"", b"not a cache entry", vector_cache.FORMAT + b"\xff\x00\x13"):
        entry.write_bytes(garbage)
        assert load_file(path) == expected
        assert entry.read_bytes().startswith(vector_cache.FORMAT)
    assert len(parses) == 4


def test_turned_off_nothing_is_written(tmp_path, monkeypatch, parses):
    monkeypatch.setenv(vector_cache.ENVIRONMENT, "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    path = copy_of(GOOD, tmp_path)
    assert vector_cache.directory() is None
    load_file(path)
    load_file(path)
    assert len(parses) == 2
    assert not (tmp_path / "xdg").exists()


def test_an_unusable_cache_directory_is_ignored(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv(vector_cache.ENVIRONMENT, str(blocker / "cache"))
    path = copy_of(GOOD, tmp_path)
    assert load_file(path) == load_file(path)


def test_the_default_location_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv(vector_cache.ENVIRONMENT, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert vector_cache.directory() == tmp_path / "convspec" / "vectors"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert vector_cache.directory() == tmp_path / "home" / ".cache" / "convspec" / "vectors"


def test_old_entries_are_pruned_beyond_the_limit(cache_dir, monkeypatch):
    monkeypatch.setattr(vector_cache, "MAX_ENTRIES", 2)
    for n in range(4):
        vector_cache.store(f"file {n}".encode(), (1,), {"n": n})
        os.utime(vector_cache._entry(cache_dir, f"file {n}".encode(), (1,)), (n, n))  # distinct ages
    assert len(list(cache_dir.glob("*.marshal"))) == 2
    assert vector_cache.lookup(b"file 3", (1,)) == {"n": 3}
    assert vector_cache.lookup(b"file 0", (1,)) is None


def test_convspec_help_names_the_cache_variable():
    from convspec.conformance.cli import parser

    assert f"{vector_cache.ENVIRONMENT}=off" in " ".join(parser().format_help().split())
