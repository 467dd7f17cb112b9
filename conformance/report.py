"""Reporting results: a line per vector on the console, a summary, and a JSON file."""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from .backends import Backend
from .outcomes import Outcome, Result, result_from_json


def convspec_version() -> str:
    try:
        return importlib.metadata.version("convspec")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def line(result: Result) -> str:
    """One console line: outcome, vector id and, unless it passed, why."""
    text = f"{result.outcome.value:<11} {result.vector_id}"
    details = [d for d in (result.reason,) if d]
    if result.worst is not None and result.outcome is not Outcome.PASS:
        details.append(result.worst.describe())
    return text + ("  " + "; ".join(details) if details else "")


def summary(results: Iterable[Result], backend: Backend, profile: str, seconds: float) -> str:
    counts = Counter(r.outcome for r in results)
    parts = [f"{counts[Outcome.PASS]} passed", f"{counts[Outcome.FAIL]} failed"]
    parts += [f"{counts[o]} {o.value}" for o in Outcome
              if o not in (Outcome.PASS, Outcome.FAIL) and counts[o]]
    version = f" {backend.version}" if backend.version else ""
    return (f"{', '.join(parts)} in {seconds:.2f}s "
            f"(backend {backend.name}{version}, profile {profile})")


def write_json(path: Path | str, results: list[Result], backend: Backend, profile: str,
               seconds: float) -> None:
    """Write every result with the run's context (versions, platform) as one JSON document."""
    counts = Counter(r.outcome.value for r in results)
    document = {
        "convspec_version": convspec_version(),
        "backend": {"name": backend.name, "version": backend.version},
        "profile": profile,
        "platform": {"python": platform.python_version(), "machine": platform.machine(),
                     "system": platform.platform()},
        "seconds": seconds,
        "summary": {o.value: counts.get(o.value, 0) for o in Outcome},
        "results": [r.to_json() for r in results],
    }
    Path(path).write_text(json.dumps(document, indent=2, allow_nan=False, default=str) + "\n",
                          encoding="utf-8")


class JsonLines:
    """Results appended one JSON line at a time, flushed at once, so a killed run keeps them.

    The first line is a header naming the run (backend, profile, versions); ``--resume`` checks it.
    """

    def __init__(self, path: Path | str, header: dict, append: bool = False):
        self.path = Path(path)
        self.file = self.path.open("a" if append else "w", encoding="utf-8")
        if not append:
            self._write({"convspec_run": 1, **header})

    def _write(self, data: dict) -> None:
        self.file.write(json.dumps(data, allow_nan=False, default=str) + "\n")
        self.file.flush()
        os.fsync(self.file.fileno())

    def write(self, result: Result) -> None:
        self._write(result.to_json())

    def close(self) -> None:
        self.file.close()


def read_json_lines(path: Path | str) -> tuple[dict, list[Result]]:
    """(header, results) of a JSON Lines run file; a last line cut off by a kill is dropped."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    if not lines:
        raise ValueError(f"{path}: empty, not a convspec run file")
    try:
        header = json.loads(lines[0])
    except json.JSONDecodeError:
        raise ValueError(f"{path}: line 1 is not JSON, not a convspec run file") from None
    if not isinstance(header, dict) or header.get("convspec_run") != 1:
        raise ValueError(f"{path}: line 1 is not a convspec run header")
    results = []
    for number, text in enumerate(lines[1:], start=2):
        try:
            results.append(result_from_json(json.loads(text)))
        except (json.JSONDecodeError, KeyError, TypeError, ValueError):
            if number == len(lines):
                break  # the write the kill interrupted
            raise ValueError(f"{path}: line {number} is not a result") from None
    return header, results


def run_header(backend: Backend, profile: str) -> dict:
    return {"convspec_version": convspec_version(),
            "backend": {"name": backend.name, "version": backend.version}, "profile": profile}


def write_junit(path: Path | str, results: list[Result], backend: Backend, profile: str,
                seconds: float) -> None:
    """JUnit XML for CI systems: one testcase per vector, classname = its topic folder."""
    from xml.etree import ElementTree as ET

    counts = Counter(r.outcome for r in results)
    failures = sum(counts[o] for o in (Outcome.FAIL, Outcome.XPASS))
    errors = sum(counts[o] for o in (Outcome.ERROR, Outcome.CRASH, Outcome.TIMEOUT))
    skipped = sum(counts[o] for o in (Outcome.UNSUPPORTED, Outcome.XFAIL))
    suite = ET.Element("testsuite", name=f"convspec[{backend.name}]", tests=str(len(results)),
                       failures=str(failures), errors=str(errors), skipped=str(skipped),
                       time=f"{seconds:.3f}")
    props = ET.SubElement(suite, "properties")
    for name, value in (("backend", backend.name), ("backend_version", backend.version),
                        ("profile", profile), ("convspec_version", convspec_version())):
        ET.SubElement(props, "property", name=name, value=value)
    for result in results:
        classname, _, name = result.vector_id.rpartition("/")
        case = ET.SubElement(suite, "testcase", classname=classname.replace("/", ".") or "convspec",
                             name=name, time=f"{result.seconds:.4f}")
        text = line(result)
        if result.outcome in (Outcome.FAIL, Outcome.XPASS):
            ET.SubElement(case, "failure", message=result.reason or result.outcome.value).text = text
        elif result.outcome in (Outcome.ERROR, Outcome.CRASH, Outcome.TIMEOUT):
            ET.SubElement(case, "error", message=f"{result.outcome.value}: {result.reason}").text = text
        elif result.outcome in (Outcome.UNSUPPORTED, Outcome.XFAIL):
            ET.SubElement(case, "skipped", message=f"{result.outcome.value}: {result.reason}")
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)
