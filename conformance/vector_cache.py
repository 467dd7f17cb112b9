"""A cache of vector files that passed every check, so an unchanged file is not parsed and
validated again on each run (YAML parsing and JSON Schema validation are most of a run's time on
small vectors).

An entry is keyed by the file's bytes, the limits it was checked under and a digest of the
code and spec that checked it (every module of ``convspec.conformance`` and ``convspec.reference``,
the schema and the mistakes registry), so editing any of them invalidates it. Only files that
loaded without a problem are stored: a bad file is read and reported in full every time. The cache
is an optimisation only: an unreadable, corrupt or unwritable cache is ignored.

Location: ``$CONVSPEC_CACHE_DIR``, else ``$XDG_CACHE_HOME/convspec``, else ``~/.cache/convspec``.
``CONVSPEC_CACHE_DIR=off`` turns it off.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from convspec import reference, spec

ENVIRONMENT = "CONVSPEC_CACHE_DIR"
FORMAT = b"convspec-vector-cache-1\n"
MAX_ENTRIES = 512  # older entries are removed beyond this many


def directory() -> Path | None:
    """Where entries live, or None when caching is turned off."""
    configured = os.environ.get(ENVIRONMENT)
    if configured is not None:
        return None if configured.strip().lower() in ("", "off", "0", "no", "false") else Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "convspec" / "vectors"


@cache
def checking_code_digest() -> bytes:
    """A digest of everything that decides whether a file passes its checks (the operators own
    most of the checks, so conformance/ops/ counts too)."""
    digest = hashlib.blake2b(digest_size=16)
    package = Path(__file__).parent
    sources = [*sorted(package.glob("*.py")), *sorted((package / "ops").glob("*.py")),
               *sorted(Path(reference.__file__).parent.glob("*.py")),
               spec.SCHEMA, spec.MISTAKES]
    for source in sources:
        digest.update(source.name.encode() + b"\0" + source.read_bytes() + b"\0")
    return digest.digest()


def _entry(directory: Path, raw: bytes, limits: tuple[int, ...]) -> Path:
    digest = hashlib.blake2b(checking_code_digest(), digest_size=20)
    digest.update(repr(limits).encode() + b"\0" + raw)
    return directory / f"{digest.hexdigest()}.marshal"


def lookup(raw: bytes, limits: tuple[int, ...]) -> Any | None:
    """The checked document of a file with these bytes, or None when it is not cached."""
    where = directory()
    if where is None:
        return None
    entry = _entry(where, raw, limits)
    try:
        stored = entry.read_bytes()
        os.utime(entry)  # pruning removes the least recently used
    except OSError:
        return None
    if not stored.startswith(FORMAT):
        return None
    try:
        return marshal.loads(stored[len(FORMAT):])
    except (EOFError, ValueError, TypeError):
        return None  # a truncated or foreign file: parse the YAML instead, and store it again


def store(raw: bytes, limits: tuple[int, ...], document: Any) -> None:
    """Remember that a file with these bytes passed every check and parsed to ``document``."""
    where = directory()
    if where is None:
        return
    try:
        payload = FORMAT + marshal.dumps(document)
    except ValueError:
        return  # not plain data (cannot happen for safe YAML); nothing to cache
    entry = _entry(where, raw, limits)
    try:
        where.mkdir(parents=True, exist_ok=True)
        # written whole, then renamed: a concurrent reader sees the old entry or the new, never half
        handle, temporary = tempfile.mkstemp(dir=where, suffix=".partial")
    except OSError:
        return
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(payload)
        os.replace(temporary, entry)
    except OSError:
        Path(temporary).unlink(missing_ok=True)
        return
    _prune(where)


def _prune(where: Path) -> None:
    entries = list(where.glob("*.marshal"))
    if len(entries) <= MAX_ENTRIES:
        return

    def age(path: Path) -> float:
        try:
            return path.stat().st_mtime
        except OSError:
            return 0.0
    for old in sorted(entries, key=age)[:len(entries) - MAX_ENTRIES]:
        try:
            old.unlink(missing_ok=True)
        except OSError:
            return
