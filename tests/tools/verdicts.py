"""Every verdict of the corpus, recorded to compare two versions of convspec.

    python tests/tools/verdicts.py record OUT.json     # this checkout's verdicts
    python tests/tools/verdicts.py compare A.json B.json

Records, for every profile, the outcome, reason and worst element of every vector for numpy,
reference, scipy, torch and onnxruntime (those installed; their shipped expected failures
applied) and for the faulty backend of every registered mistake. A redesign that changes no
verdict compares equal.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import warnings

from convspec.conformance import load_vectors
from convspec.conformance.mistakes import registry
from convspec.conformance.session import Session
from convspec.conformance.tolerance import PROFILES

NAMED = ("numpy", "reference", "scipy", "torch", "onnxruntime")


def record(path: str) -> int:
    vectors = load_vectors()
    installed = [name for name in NAMED
                 if name in ("numpy", "reference", "scipy") or importlib.util.find_spec(name)]
    sessions = {name: lambda p, n=name: Session.open(n, profile=p, isolation="none") for name in installed}
    for mistake in registry().values():
        sessions[f"faulty:{mistake.id}"] = lambda p, m=mistake: Session.open(m.backend(), profile=p)
    verdicts = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the faulty backends overflow on purpose
        for profile in PROFILES:
            for name, open_session in sessions.items():
                with open_session(profile) as session:
                    for vector, r in zip(vectors, session.results(vectors), strict=True):
                        verdicts[f"{profile}|{name}|{vector.id}"] = [
                            r.outcome.value, r.reason, r.worst.describe() if r.worst else None]
    with open(path, "w", encoding="utf-8") as out:
        json.dump(verdicts, out, indent=0, sort_keys=True)
    print(f"{len(verdicts)} verdicts ({len(PROFILES)} profiles, {len(sessions)} backends, "
          f"{len(vectors)} vectors) written to {path}")
    return 0


def compare(a_path: str, b_path: str) -> int:
    with open(a_path, encoding="utf-8") as a_file, open(b_path, encoding="utf-8") as b_file:
        a, b = json.load(a_file), json.load(b_file)
    common = set(a) & set(b)
    differ = sorted(k for k in common if a[k] != b[k])
    print(f"{len(a)} in {a_path}, {len(b)} in {b_path}, {len(common)} in both, {len(differ)} differ")
    for key in sorted(set(a) - set(b))[:20]:
        print(f"only in {a_path}: {key}")
    for key in sorted(set(b) - set(a))[:20]:
        print(f"only in {b_path}: {key}")
    for key in differ:
        print(f"{key}\n  {a_path}: {a[key]}\n  {b_path}: {b[key]}")
    return 1 if differ else 0


if __name__ == "__main__":
    verb, *paths = sys.argv[1:]
    sys.exit(record(*paths) if verb == "record" else compare(*paths))
