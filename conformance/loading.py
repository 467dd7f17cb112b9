"""Reading vector files: safe YAML, schema validation, then the checks a schema cannot express."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from convspec import spec

from . import vector_cache
from .errors import VectorFileError, VectorProblem, field_path
from .validation import check_vector
from .vector import Vector

MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_ELEMENTS = 10**8  # per declared tensor, checked before anything is allocated
MAX_EXPANDED_NODES = 5_000_000  # YAML aliases may repeat a node, not multiply a file into gigabytes


# libyaml's parser when PyYAML was built with it (several times faster); the constructor stays
# PyYAML's safe one either way, so no tag can build a Python object.
_SafeBase = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_SafeBase):
    """A safe loader (no Python object tags) that refuses duplicate mapping keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                hash(key)
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    None, None, "a mapping key must be a plain value, not a list or mapping",
                    key_node.start_mark) from None
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


def _expanded_size(document: Any, limit: int) -> int:
    """Nodes the document has once every alias is expanded, counted without expanding (memoized);
    stops counting past ``limit``."""
    sizes: dict[int, int] = {}

    def size(node: Any) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        total = 1
        for child in children:
            total += size(child)
            if total > limit:
                break
        sizes[key] = total
        return total

    return size(document)


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise VectorFileError([VectorProblem(path, f"cannot read: {exc.strerror}")]) from None
    if size > max_bytes:
        raise VectorFileError([VectorProblem(
            path, f"file is {size} bytes, over the limit of {max_bytes} (--max-file-bytes)")])
    try:
        return path.read_bytes()
    except OSError as exc:
        raise VectorFileError([VectorProblem(path, f"cannot read: {exc.strerror}")]) from None


def read_yaml(path: Path, max_bytes: int = MAX_FILE_BYTES) -> Any:
    """Parse one YAML file safely; raise VectorFileError with line and column on bad input."""
    return _parse_yaml(path, _read_bytes(path, max_bytes))


def _parse_yaml(path: Path, raw: bytes) -> Any:
    if b"\0" in raw:
        raise VectorFileError([VectorProblem(path, "binary file, expected YAML text")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise VectorFileError([VectorProblem(path, f"not UTF-8 text ({exc.reason})")]) from None
    try:
        document = yaml.load(text, Loader=_UniqueKeyLoader)  # safe: the constructor is SafeConstructor
    except RecursionError:
        raise VectorFileError([VectorProblem(path, "invalid YAML: nested too deeply")]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(filter(None, [exc.context, exc.problem])) or str(exc)
        raise VectorFileError([VectorProblem(
            path, f"invalid YAML: {problem}",
            line=mark.line + 1 if mark else None, column=mark.column + 1 if mark else None)]
        ) from None
    except yaml.YAMLError as exc:
        raise VectorFileError([VectorProblem(path, f"invalid YAML: {exc}")]) from None
    try:
        expanded = _expanded_size(document, MAX_EXPANDED_NODES)
    except RecursionError:
        raise VectorFileError([VectorProblem(path, "invalid YAML: nested too deeply (or a "
                                                   "self-referencing alias)")]) from None
    if expanded > MAX_EXPANDED_NODES:
        raise VectorFileError([VectorProblem(
            path, f"YAML aliases expand to more than {MAX_EXPANDED_NODES} nodes (an alias bomb?)")])
    return document


def _vector_id(document: Any, path: list) -> str | None:
    if len(path) >= 2 and path[0] == "vectors" and isinstance(document, dict):
        try:
            vid = document["vectors"][path[1]].get("id")
        except (IndexError, AttributeError, TypeError):
            return None
        return vid if isinstance(vid, str) else f"#{path[1]}"
    return None


def _is_strict_integer(checker: Any, instance: Any) -> bool:
    # JSON Schema counts 2.0 as an integer; a shape or a stride written 2.0 is a mistake here.
    return isinstance(instance, int) and not isinstance(instance, bool)


_Validator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_strict_integer),
)

# Errors that only say "this alternative of a oneOf is not the one the author meant".
_WRONG_BRANCH = {"type": 0, "enum": 0, "const": 1, "required": 0}


def _cause(error: jsonschema.ValidationError) -> jsonschema.ValidationError:
    """The error inside a oneOf that explains it: the one in the alternative the author meant.

    An alternative whose type, enum or discriminating const does not match was not meant; among
    those left, the deepest error is the most specific.
    """
    while error.context:
        branches: dict[Any, list] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        meant = [errs for errs in branches.values()
                 if not any(len(e.relative_path) <= _WRONG_BRANCH.get(e.validator, -1) for e in errs)]
        if len(meant) != 1:
            return jsonschema.exceptions.best_match(error.context) or error
        error = max(meant[0], key=lambda e: len(e.relative_path))
    return error


def _schema_problems(path: Path, document: Any) -> tuple[list[VectorProblem], set[int] | None]:
    """(problems, indices of the vectors they are in); None instead of the indices when a problem
    lies outside any single vector, so no vector of the file can be trusted."""
    validator = _Validator(spec.schema())
    problems, bad_vectors = [], set()
    whole_file = False
    for error in sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.path))):
        cause = _cause(error)
        where = list(cause.absolute_path)
        vid = _vector_id(document, where)
        inner = where[2:] if vid is not None else where
        problems.append(VectorProblem(path, cause.message, vector=vid, field=field_path(inner) or None))
        if vid is None:
            whole_file = True
        else:
            bad_vectors.add(where[1])
    return problems, None if whole_file else bad_vectors


def load_file(path: Path | str, *, max_bytes: int = MAX_FILE_BYTES,
              max_elements: int = MAX_ELEMENTS) -> list[Vector]:
    """Load and check every vector of one file; raise VectorFileError listing all problems."""
    path = Path(path)
    content = _read_bytes(path, max_bytes)
    checked = vector_cache.lookup(content, (max_elements,))
    if checked is not None:  # these bytes passed every check below, under the same code and limits
        return [Vector.from_mapping(v, file=path, topic=checked["topic"]) for v in checked["vectors"]]
    document = _parse_yaml(path, content)
    if document is None:
        raise VectorFileError([VectorProblem(path, "empty file, expected a convspec vector file")])
    problems, bad_vectors = _schema_problems(path, document)
    if bad_vectors is None:
        raise VectorFileError(problems)
    vectors = []
    for index, raw in enumerate(document["vectors"]):
        if index in bad_vectors:
            continue  # its schema problems are reported; the others' deeper checks still run
        vector = Vector.from_mapping(raw, file=path, topic=document["topic"])
        problems += [VectorProblem(path, msg, vector=vector.id, field=fld)
                     for fld, msg in check_vector(vector, max_elements)]
        vectors.append(vector)
    if problems:
        raise VectorFileError(problems)
    vector_cache.store(content, (max_elements,), document)
    return vectors


def expand_paths(paths: Iterable[Path | str]) -> list[Path]:
    """Files as given, and the ``*.yaml``/``*.yml`` files below directories, sorted."""
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files += sorted(f for f in p.rglob("*") if f.suffix in (".yaml", ".yml") and f.is_file())
        else:
            files.append(p)
    return files


def load_vectors(paths: Iterable[Path | str] | None = None, *,
                 max_bytes: int = MAX_FILE_BYTES, max_elements: int = MAX_ELEMENTS) -> list[Vector]:
    """Load vector files (the built-in corpus when ``paths`` is None), checking ids are unique.

    Raises VectorFileError listing every problem in every file, not just the first.
    """
    files = spec.vector_files() if paths is None else expand_paths(paths)
    vectors: list[Vector] = []
    problems: list[VectorProblem] = []
    for path in files:
        try:
            vectors += load_file(path, max_bytes=max_bytes, max_elements=max_elements)
        except VectorFileError as exc:
            problems += exc.problems
    first_seen: dict[str, Vector] = {}
    for vector in vectors:
        if vector.id in first_seen:
            problems.append(VectorProblem(
                vector.file or "?", f"duplicate id, first defined in {first_seen[vector.id].file}",
                vector=vector.id, field="id"))
        else:
            first_seen[vector.id] = vector
    if problems:
        raise VectorFileError(problems)
    return vectors
