"""Writing a shrunk failing case as a vector file that `convspec run FILE --backend B` replays.

The file is format convspec-vectors/1, topic fuzz, one vector with id fuzz/<hash>, its source the
fuzz run's seed, its catches from the diagnosis, and inline data (the expected output left to the
reference, as for any vector without `expected.data`). It is loaded back through the full loader
(schema and every check of `convspec validate`) before the path is returned: an invalid file is
removed and reported, never left behind silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from ..backends import Backend
from ..errors import VectorFileError
from ..loading import load_file
from ..outcomes import Result
from ..runner import run_vector
from ..tolerance import STRICT, Profile
from ..vector import Vector
from .cases import TOPIC, Case, case_mapping, case_vector
from .diagnosis import Diagnosis, diagnose


class _Dumper(yaml.SafeDumper):
    """Block style for mappings, flow style for lists of values (tensor data, nested or not)."""


def _represent_list(dumper: yaml.SafeDumper, data: list) -> yaml.Node:
    flow = not any(isinstance(v, dict) for v in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(list, _represent_list)


@dataclass(frozen=True)
class Written:
    """A reproducer on disk, and what replaying it gave."""

    path: Path
    vector: Vector  # as loaded back from the file
    replay: Result  # run_vector on the loaded vector: the same failure
    diagnosis: Diagnosis


def _backend_output(vector: Vector, backend: Backend) -> object | None:
    try:
        return backend.run(vector.call, {k: v.copy() for k, v in vector.arrays().items()})
    except Exception:  # the backend raised: there is no output to diagnose
        return None


def _title(case: Case, result: Result, diagnosis: Diagnosis) -> str:
    if case.error:
        return (f"An invalid call ({case.error}) must be rejected; the backend computed it "
                f"[{case.describe()}]")
    text = f"{result.outcome.value}: {result.reason}"
    if result.worst is not None:
        text += f"; {result.worst.describe()}"
    return f"{text} ({diagnosis.summary}) [{case.describe()}]"


def file_text(mappings: list[dict], description: str) -> str:
    """A vector file (topic fuzz) holding the vector ``mappings``, as YAML."""
    document = {"format": "convspec-vectors/1", "topic": TOPIC, "description": description,
                "vectors": mappings}
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def write_vector_file(case: Case, result: Result, backend: Backend, out_dir: Path | str = ".", *,
                      seed: int | None = None, profile: Profile = STRICT) -> Written:
    """Write the failing ``case`` as ``<out_dir>/fuzz-<hash>.yaml``, check it loads and that
    ``run_vector`` on the loaded vector gives ``result``'s outcome again; return where it is.

    Raises VectorFileError (the file removed) if the file does not load, and RuntimeError if the
    replay does not fail the same way (a backend that is not deterministic).
    """
    fast = case_vector(case, seed=seed)
    diagnosis = diagnose(fast, _backend_output(fast, backend))
    notes = (f"Found and shrunk by `convspec fuzz --backend {backend.name}` (seed {seed}). "
             "Expected values come from the reference. The backend gave: "
             f"{result.outcome.value}: {result.reason}"
             + (f"; {result.worst.describe()}" if result.worst is not None else "") + ".")
    mapping = case_mapping(case, seed=seed, title=_title(case, result, diagnosis),
                           catches=diagnosis.catches, notes=notes)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{mapping['id'].replace('/', '-')}.yaml"
    description = (f"A case convspec fuzz found failing on backend {backend.name}, shrunk to a minimal "
                   "vector. Replay it with `convspec run " + path.name + f" --backend {backend.name}`.")
    path.write_text(file_text([mapping], description), encoding="utf-8")
    try:
        (loaded,) = load_file(path)
    except VectorFileError:
        path.unlink()
        raise
    _same_arrays(loaded, fast)
    replay = run_vector(loaded, backend, profile)
    if replay.outcome is not result.outcome:
        raise RuntimeError(f"{path}: the written vector gives {replay.outcome.value} ({replay.reason}), "
                           f"not {result.outcome.value}: the backend is not deterministic")
    return Written(path, loaded, replay, diagnosis)


def _same_arrays(loaded: Vector, fast: Vector) -> None:
    """The file states exactly the values the fuzz loop judged (a writer bug otherwise)."""
    a, b = loaded.arrays(), fast.arrays()
    for name in a.keys() | b.keys():
        if name not in a or name not in b or a[name].dtype != b[name].dtype or \
                not np.array_equal(a[name], b[name], equal_nan=True):
            raise AssertionError(f"{loaded.file}: input {name} differs from the case that failed")
