"""One call of an operator, as the backend protocol makes it.

The record every part of convspec shares: a vector resolves to one, the runner calls a backend
with one, fuzzing generates them, laws transform them, diagnosis replays them. It holds what the
call *is* (operator, dtype, the shapes and dtypes of its tensors, its attributes resolved to the
form a backend receives), not the values: those travel beside it as arrays.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np


@dataclass(frozen=True)
class TensorSpec:
    """The shape and dtype of one input tensor."""

    shape: tuple[int, ...]
    dtype: np.dtype


@dataclass(frozen=True)
class Call:
    """An operator call: ``op`` names a module of :mod:`convspec.conformance.ops`; ``dtype`` is the
    vector's dtype name; ``attributes`` is that operator's attribute record, resolved (named padding
    modes already turned into pairs, one entry per spatial axis)."""

    op: str
    dtype: str
    tensors: Mapping[str, TensorSpec]
    attributes: Any

    @property
    def rank(self) -> int:
        """Spatial axes of the first input (its operator lists the one that has them first)."""
        return len(next(iter(self.tensors.values())).shape) - 2

    def keywords(self) -> dict[str, Any]:
        """The attributes as the keyword arguments of the backend protocol."""
        return {f.name: getattr(self.attributes, f.name) for f in fields(self.attributes)}

    def shape(self, name: str) -> tuple[int, ...]:
        return self.tensors[name].shape


def tensor_specs(arrays: Mapping[str, np.ndarray]) -> dict[str, TensorSpec]:
    """The specs of actual arrays."""
    return {name: TensorSpec(tuple(a.shape), np.dtype(a.dtype)) for name, a in arrays.items()}
