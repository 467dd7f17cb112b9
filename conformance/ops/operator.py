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
from ..expectation import Expectation, absolute

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

    def exact(self, call: Call, arrays: Mapping[str, np.ndarray], where: np.ndarray) -> np.ndarray:
        """The exact result rounded once to float64 at the elements ``where`` is true (rational
        arithmetic): for elements whose float64 reference sum overflowed."""
        raise NotImplementedError(f"{self.name} has no exact reference")

    def terms(self, call: Call, arrays: Mapping[str, np.ndarray]) -> int | np.ndarray:
        """How many terms each output element sums (products, and the bias): one count for all
        elements, or an array of the output's shape where they differ."""
        return self.most_terms(call) + ("b" in arrays)

    def expectation(self, call: Call, arrays: dict[str, np.ndarray], stored: np.ndarray | None, *,
                    consume: bool = False) -> Expectation:
        """Expected values (``stored``, the file's, when given: they are normative) and what the
        accuracy rule needs to bound each element: the magnitude (the operator on absolute values)
        and the term count. ``consume`` lets it overwrite ``arrays`` with their absolute values.

        For an operator that sums products: where the reference's float64 sum became inf or NaN and
        the sum of magnitudes overflows too, the reference's order may have overflowed a partial
        sum of an exact result that is finite (1e308 + 1e308 - 1e308), and a backend summing in
        another order would be failed for the right answer: the exact value stands there.
        Elsewhere a non-finite result comes from a non-finite input and stands."""
        values = self.reference(call, arrays) if stored is None else stored
        # Only float64 inputs can overflow the reference's float64 sums (float32 products stay below
        # 1e77); where they did, the inputs are needed once more, for the exact value.
        overflowed = stored is None and call.dtype == "float64" and not np.isfinite(values).all()
        inputs = {k: v.copy() for k, v in arrays.items()} if overflowed and consume else arrays
        magnitudes = {k: absolute(v, consume) for k, v in arrays.items()}
        magnitude = self.reference(call, magnitudes)
        if overflowed:
            suspect = ~np.isfinite(values) & np.isinf(magnitude)
            if suspect.any():
                values = np.where(suspect, self.exact(call, inputs, suspect), values)
        # max |factor| of each product's two factors (finite values), for profiles that round inputs
        scale = sum(float(np.max(a, where=np.isfinite(a), initial=0.0))
                    for name, a in magnitudes.items() if name != "b")
        return Expectation(values, magnitude, self.terms(call, arrays), scale)

    # --- the backend --------------------------------------------------------------------------
    def missing(self, backend: BackendLike) -> str | None:
        """Why ``backend`` cannot run this operator at all (it has no implementation), or None."""
        if backend.operator(self.name) is not None:
            return None
        return f"{backend.name} has no operator {self.name!r}"

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
