"""The outcome of running one vector, and the evidence that goes with it."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from enum import StrEnum


class Outcome(StrEnum):
    PASS = "pass"
    FAIL = "fail"  # wrong values, shape or dtype
    ERROR = "error"  # the backend raised
    UNSUPPORTED = "unsupported"  # the backend declared it cannot run this vector
    CRASH = "crash"  # the backend killed its process
    TIMEOUT = "timeout"
    XFAIL = "xfail"  # did not pass, and is listed in the expected-failures file
    XPASS = "xpass"  # passed, though listed in the expected-failures file

    @property
    def is_problem(self) -> bool:
        """Whether this outcome makes a run exit non-zero."""
        return self in (Outcome.FAIL, Outcome.ERROR, Outcome.CRASH, Outcome.TIMEOUT, Outcome.XPASS)


@dataclass(frozen=True)
class Worst:
    """The output element furthest outside (or, on a pass, closest to) its allowed error."""

    index: tuple[int, ...]
    got: str
    expected: str
    allowed: float
    error: float
    ulps: float
    ratio: float  # error / allowed: above 1 fails; inf when nothing was allowed

    def describe(self) -> str:
        return (f"worst element at {list(self.index)}: got {self.got}, expected {self.expected}, "
                f"allowed ±{self.allowed:.3g}, error {self.error:.3g} ({self.ulps:.3g} ulp)")


@dataclass(frozen=True)
class Result:
    """What happened when one vector ran against one backend."""

    vector_id: str
    outcome: Outcome
    reason: str = ""
    worst: Worst | None = None
    seconds: float = 0.0
    profile: str = "strict"

    def to_json(self) -> dict:
        """A JSON-safe mapping (non-finite floats spelled as strings, as in vector files)."""
        data = asdict(self)
        data["outcome"] = self.outcome.value
        if self.worst is not None:
            data["worst"] = {k: _json_number(v) for k, v in data["worst"].items()}
            data["worst"]["index"] = list(self.worst.index)
        return data


def _json_number(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def result_from_json(data: dict) -> Result:
    """The inverse of :meth:`Result.to_json` (for resuming a run from its JSON Lines)."""
    worst = data.get("worst")
    if worst is not None:
        worst = Worst(**{**{k: float(v) if isinstance(v, str) else v for k, v in worst.items()
                            if k not in ("got", "expected", "index")},
                         "got": worst["got"], "expected": worst["expected"],
                         "index": tuple(worst["index"])})
    return Result(data["vector_id"], Outcome(data["outcome"]), data.get("reason", ""), worst,
                  data.get("seconds", 0.0), data.get("profile", "strict"))
