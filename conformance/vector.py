"""A test vector: what the spec says one call must compute, with its provenance."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from convspec.reference import output_size, resolve_padding

from .dtypes import numpy_dtype, output_dtype
from .generators import generate

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


def per_axis(value: int | list[int], rank: int) -> tuple[int, ...]:
    """Broadcast one int to every spatial axis; keep a list as it is."""
    return (int(value),) * rank if isinstance(value, int) else tuple(int(v) for v in value)


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

    # --- attributes, resolved as the backend protocol passes them -----------------------------
    @property
    def rank(self) -> int:
        return len(self.inputs["x"]["shape"]) - 2

    @property
    def stride(self) -> tuple[int, ...]:
        return per_axis(self.attributes.get("stride", 1), self.rank)

    @property
    def dilation(self) -> tuple[int, ...]:
        return per_axis(self.attributes.get("dilation", 1), self.rank)

    @property
    def groups(self) -> int:
        return int(self.attributes.get("groups", 1))

    @property
    def kernel_shape(self) -> tuple[int, ...]:
        return tuple(self.inputs["w"]["shape"][2:]) if "w" in self.inputs else (1,) * self.rank

    @property
    def padding(self) -> tuple[tuple[int, int], ...]:
        """One (before, after) pair per spatial axis, with named modes resolved.

        Explicit pairs pass through as written, even a wrong number of them: an error vector
        may be about exactly that, and it is the backend's to reject.
        """
        padding = self.attributes.get("padding", 0)
        if isinstance(padding, list):
            return tuple((int(p[0]), int(p[1])) for p in padding)
        return resolve_padding(self.attributes.get("padding", 0), self.inputs["x"]["shape"][2:],
                               self.kernel_shape, self.stride, self.dilation)

    def output_shape(self) -> tuple[int, ...]:
        """The output shape the spec's output-size rule gives for this vector's inputs."""
        x_shape = self.inputs["x"]["shape"]
        if self.op == "pad":
            return (*x_shape[:2], *(n + p0 + p1 for n, (p0, p1) in zip(x_shape[2:], self.padding,
                                                                      strict=True)))
        spatial = tuple(output_size(n, k, s, p, d) for n, k, s, p, d in zip(
            x_shape[2:], self.kernel_shape, self.stride, self.padding, self.dilation, strict=True))
        return (x_shape[0], self.inputs["w"]["shape"][0], *spatial)

    # --- values -------------------------------------------------------------------------------
    def input_dtype(self, name: str) -> np.dtype:
        """The dtype of input ``name``: the vector's dtype; for integer vectors the bias is in the
        wider output type."""
        return output_dtype(self.dtype) if name == "b" else numpy_dtype(self.dtype)

    def arrays(self) -> dict[str, np.ndarray]:
        """The inputs as arrays of their dtypes (the values a backend receives)."""
        # tensor_values makes a new array on every call: no copy is needed when the dtype matches
        return {name: tensor_values(spec).astype(self.input_dtype(name), copy=False)
                for name, spec in self.inputs.items()}

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
