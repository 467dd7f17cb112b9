"""What every operator module provides: the one interface the runner, judge, loading, reports and
docs dispatch through.

An operator owns everything about itself: which inputs and attributes a vector of it may have,
how the written attributes resolve into the ones a backend receives, the output's shape and
dtype, the reference's result and what the accuracy rule needs to bound it, how a backend is
called, when a backend cannot run it, and how ``convspec show`` writes it out.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import numpy as np

from ..call import Call, TensorSpec
from ..dtypes import is_float, numpy_dtype
from ..expectation import Expectation

Problem = tuple[str, str]  # (field, message), as vector validation reports it


class BackendLike(Protocol):
    """What an operator asks of a backend (conformance.backends.Backend is one): its name, what it
    declares, and its implementation of an operator. Stated here so that operators depend on no
    backend module: backends dispatch to operators, never the other way round."""

    name: str
    groups: bool
    dilation: bool
    limits: Mapping[str, Callable[[Call], str | None]]

    def operator(self, name: str) -> Callable | None: ...


class Operator(ABC):
    """One operator of the spec (see the module docstring)."""

    name: str
    title: str  # what a call of it is, in words ("convolution")
    formula: str = ""  # one output element in plain text, above a worked sum of products
    required: tuple[str, ...]  # input tensors a call must have, the one with the spatial axes first
    optional: tuple[str, ...] = ()  # input tensors a call may have
    attribute_names: tuple[str, ...] = ()  # attributes a vector may write
    # per-axis attributes: written as one int (broadcast) or a list with one entry per spatial axis
    per_axis: tuple[str, ...] = ()
    has_error_vectors: bool = False
    dtypes: tuple[str, ...] | None = None  # the vector dtypes it is defined for (None: all)

    # --- the call ---------------------------------------------------------------------------
    @abstractmethod
    def resolve(self, written: Mapping[str, Any], shapes: Mapping[str, tuple[int, ...]]) -> Any:
        """The attribute record a backend receives for attributes as a vector writes them.

        Explicit lists pass through as written, even of the wrong length: an error vector may be
        about exactly that, and it is the backend's to reject. Raises ValueError only where the
        written attributes name no call at all (a padding mode that does not exist, ...).
        """

    def call(self, dtype: str, shapes: Mapping[str, tuple[int, ...]], written: Mapping[str, Any]) -> Call:
        """The call a vector of this operator makes."""
        # in the operator's own order, so that the first input is the one with the spatial axes
        ordered = [name for name in (*self.required, *self.optional) if name in shapes]
        tensors = {name: TensorSpec(tuple(shapes[name]), self.input_dtype(name, dtype)) for name in ordered}
        return Call(self.name, dtype, tensors, self.resolve(written, shapes))

    def input_dtype(self, name: str, dtype: str) -> np.dtype:
        """The dtype of input ``name`` in a call of the vector dtype ``dtype``."""
        return numpy_dtype(dtype)

    @abstractmethod
    def output_shape(self, call: Call) -> tuple[int, ...]:
        """The output shape of a valid call."""

    @abstractmethod
    def output_dtype(self, call: Call) -> np.dtype:
        """The dtype a backend's output must have."""

    def objection(self, call: Call) -> Exception | None:
        """The reference's objection to the call (an exception with a ``kind``), or None if valid."""
        return None

    def most_terms(self, call: Call) -> int:
        """The most products one output element sums (0 for an operator that sums none): what bounds
        integer inputs so that the exact result fits its type."""
        return 0

    def value_problems(self, call: Call, arrays: Callable[[], Mapping[str, np.ndarray]]) -> list[Problem]:
        """Problems with the inputs' values for this call (beyond what each value's dtype allows):
        an integer call's exact result must fit its output type (and the reference's int64).
        ``arrays`` makes the inputs, only when a check needs them."""
        if is_float(numpy_dtype(call.dtype)) or not self.most_terms(call):
            return []
        arrays = arrays()
        # Most integer vectors are small: the largest possible |b| + sum |x|*|w| already fits, and
        # the reference need not run at load time to prove it.
        largest = {k: float(np.abs(v.astype(np.float64)).max(initial=0.0)) for k, v in arrays.items()}
        info = np.iinfo(self.output_dtype(call))
        bound = largest.get("b", 0.0) + self.most_terms(call) * largest["x"] * largest["w"]
        if bound <= min(info.max, -float(info.min) - 1):
            return []
        magnitude = self.reference(call, {k: np.abs(v.astype(np.float64)) for k, v in arrays.items()})
        if magnitude.max() >= 2.0**63:
            return [("inputs", f"|b| + sum |x|*|w| reaches {magnitude.max():.3g}, beyond the exact int64 "
                               "range")]
        exact = self.reference(call, arrays)
        outside = (exact < info.min) | (exact > info.max)
        if outside.any():
            index = [int(i) for i in np.argwhere(outside)[0]]
            return [("inputs", f"the exact result {int(exact[tuple(index)])} at {index} does not fit the "
                               f"output type {self.output_dtype(call)}")]
        return []

    # --- the expectation ----------------------------------------------------------------------
    @abstractmethod
    def reference(self, call: Call, arrays: Mapping[str, np.ndarray]) -> np.ndarray:
        """The reference's result: float64 (already rounded to the dtype), int64 for integers."""

    @abstractmethod
    def expectation(self, call: Call, arrays: dict[str, np.ndarray], stored: np.ndarray | None, *,
                    consume: bool = False) -> Expectation:
        """Expected values (``stored``, the file's, when given: they are normative) and what the
        accuracy rule needs to bound each element. ``consume`` lets it overwrite ``arrays``."""

    # --- the backend --------------------------------------------------------------------------
    @abstractmethod
    def unsupported(self, backend: BackendLike, call: Call) -> str | None:
        """Why ``backend`` cannot run ``call`` beyond its dtypes and ranks, or None."""

    @abstractmethod
    def invoke(self, backend: BackendLike, call: Call, arrays: Mapping[str, np.ndarray]) -> object:
        """Call ``backend`` on ``arrays`` by the backend protocol; returns what it returns."""

    # --- for people ---------------------------------------------------------------------------
    @abstractmethod
    def describe(self, call: Call) -> str:
        """The resolved attributes in one line."""

    def term_pairs(self, call: Call, arrays: Mapping[str, np.ndarray],
                   index: tuple[int, ...]) -> list[tuple[float, float]] | None:
        """The (input, weight) pairs summed for output element ``index``; None for an operator
        that sums no products."""
        return None

    def window_labels(self, call: Call, x: np.ndarray, label, at: tuple[int, ...]) -> list[str] | None:
        """Labels of the input values the window at output position ``at`` covers, row-major, or
        None for an operator without windows."""
        return None
