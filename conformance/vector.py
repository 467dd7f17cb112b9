"""A test vector: what the spec says one call must compute, with its provenance."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from .call import Call
from .expectation import Expectation
from .generators import generate
from .ops import Operator, operator

SPECIAL_VALUES = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def flatten(data: Any) -> list[float | int]:
    """Row-major values of possibly nested lists, with 'nan'/'inf'/'-inf' spelled as strings."""
    if isinstance(data, list):
        return [v for item in data for v in flatten(item)]
    if isinstance(data, str):
        return [SPECIAL_VALUES[data]]
    return [data]


def tensor_values(spec: dict) -> np.ndarray:
    """The values of a tensor spec (inline ``data`` or a ``generate`` rule).

    float64, or int64 when every value is written as an integer beyond float64's exact range
    (an int64 output's expected values).
    """
    shape = tuple(spec["shape"])
    if "generate" in spec:
        return generate(spec["generate"], shape)
    fast = _plain_numbers(spec["data"])
    if fast is not None and fast.size == math.prod(shape):
        return fast.reshape(shape)
    values = flatten(spec["data"])
    if len(values) != math.prod(shape):
        raise ValueError(f"has {len(values)} values but shape {list(shape)} needs {math.prod(shape)}")
    if all(isinstance(v, int) for v in values) and any(abs(v) > 2**53 for v in values):
        return np.array(values, dtype=np.int64).reshape(shape)
    return np.array(values, dtype=np.float64).reshape(shape)


def _plain_numbers(data: Any) -> np.ndarray | None:
    """The common case of inline data, converted by NumPy in one call: a regular nesting of Python
    numbers within float64's exact integer range. None for anything else (special values spelled
    as strings, ragged nesting, huge integers), which :func:`flatten` handles."""
    try:
        array = np.array(data)
    except (ValueError, OverflowError):
        return None
    if array.dtype == np.float64:
        return array.ravel()
    if array.dtype == np.int64 and (array.size == 0 or (-(2**53) <= array.min() and array.max() <= 2**53)):
        return array.astype(np.float64).ravel()
    return None


@dataclass(frozen=True)
class Vector:
    """One vector of a vector file, as written (see spec/vector-file.schema.json)."""

    id: str
    title: str
    source: str
    catches: tuple[str, ...]
    op: str
    dtype: str
    inputs: dict[str, dict]
    expected: dict
    attributes: dict = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    notes: str = ""
    legend: dict | None = None
    windows: tuple[dict, ...] = ()
    file: Path | None = None
    topic: str = ""

    @classmethod
    def from_mapping(cls, raw: dict, *, file: Path | None = None, topic: str = "") -> Vector:
        """Build from a schema-valid mapping; the file's topic becomes a tag."""
        tags = tuple(dict.fromkeys([topic, *raw.get("tags", [])])) if topic else tuple(
            raw.get("tags", []))
        return cls(
            id=raw["id"], title=raw["title"], source=raw["source"], catches=tuple(raw["catches"]),
            op=raw["op"], dtype=raw["dtype"], inputs=raw["inputs"], expected=raw["expected"],
            attributes=raw.get("attributes", {}), tags=tags, notes=raw.get("notes", ""),
            legend=raw.get("legend"), windows=tuple(raw.get("windows", [])), file=file,
            topic=topic,
        )

    @property
    def expected_error(self) -> str | None:
        """For a vector of an invalid call: the kind of error every backend must raise."""
        return self.expected.get("error")

    # --- the call, resolved as the backend protocol passes it --------------------------------
    @property
    def operator(self) -> Operator:
        return operator(self.op)

    @cached_property
    def call(self) -> Call:
        """The call this vector makes (attributes resolved). Raises ValueError for attributes that
        name no call at all, which validation reports."""
        shapes = {name: tuple(spec["shape"]) for name, spec in self.inputs.items()}
        return self.operator.call(self.dtype, shapes, self.attributes)

    @property
    def rank(self) -> int:
        """Spatial axes of the operator's first input."""
        return len(self.inputs[self.operator.required[0]]["shape"]) - 2

    def output_shape(self) -> tuple[int, ...]:
        """The output shape the operator's output-size rule gives for this vector's inputs."""
        return self.operator.output_shape(self.call)

    def output_dtype(self) -> np.dtype:
        """The dtype a backend's output must have."""
        return self.operator.output_dtype(self.call)

    # --- values -------------------------------------------------------------------------------
    def arrays(self) -> dict[str, np.ndarray]:
        """The inputs as arrays of their dtypes (the values a backend receives)."""
        op = self.operator
        # tensor_values makes a new array on every call: no copy is needed when the dtype matches
        return {name: tensor_values(spec).astype(op.input_dtype(name, self.dtype), copy=False)
                for name, spec in self.inputs.items()}

    def expectation(self, arrays: dict[str, np.ndarray] | None = None, *, consume: bool = False
                    ) -> Expectation:
        """Expected values (inline ones take precedence: they are normative) and their error bounds.

        ``consume=True`` lets it overwrite ``arrays`` with their absolute values (for the magnitude)
        instead of copying them: for a caller that has no further use for the inputs.
        """
        if arrays is None:
            arrays, consume = self.arrays(), True
        return self.operator.expectation(self.call, arrays, self.expected_values(), consume=consume)

    def expected_values(self) -> np.ndarray | None:
        """The exact expected output written in the file, or None when the reference supplies it."""
        if "data" not in self.expected:
            return None
        return tensor_values(self.expected)

    def label(self, value: float) -> str:
        """A value as the legend names it (a letter), or as a number."""
        if self.legend is not None and float(value).is_integer():
            offset = int(value) - self.legend["letters_from"]
            if 0 <= offset < 26:
                return chr(ord("A") + offset)
        return f"{value:g}"
