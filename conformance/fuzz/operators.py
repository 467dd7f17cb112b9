"""The operators `convspec fuzz` generates calls of: each one's builders and laws, in one place.

conv's builders live in :mod:`.strategies` and its laws in :mod:`.metamorphic`; conv_transpose's
beside them in :mod:`.transposed` and :mod:`.transposed_laws`; conv's gradients' (conv_grad_input,
conv_grad_weight, conv_grad_bias, float dtypes only) in :mod:`.gradients` and
:mod:`.gradient_laws`. Each operator's choice sequence is its own (a seed gives the same conv
cases however many operators join). The command line names these operators without importing
NumPy (``convspec.conformance.cli.fuzz.OPERATOR_NAMES``); a test keeps the two lists equal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import gradient_laws, gradients, metamorphic, strategies, transposed, transposed_laws
from .cases import Case
from .metamorphic import Law
from .strategies import Chooser, Space


@dataclass(frozen=True)
class Fuzzed:
    """What fuzzing one operator takes: valid and invalid case builders, and its laws."""

    build_valid: Callable[[Chooser, Space], Case]
    build_invalid: Callable[[Chooser, Space], Case]
    laws: tuple[Law, ...]
    # how the operator's saved failures are keyed in the example database: conv's keys are those
    # from before other operators joined, so databases saved then still replay
    database_prefix: str
    # the dtypes the operator is defined for (None: every dtype)
    dtypes: tuple[str, ...] | None = None


FUZZED: dict[str, Fuzzed] = {
    "conv": Fuzzed(strategies.build_valid, strategies.build_invalid, metamorphic.LAWS, ""),
    "conv_transpose": Fuzzed(transposed.build_valid, transposed.build_invalid, transposed_laws.LAWS,
                             "conv_transpose-"),
    **{op: Fuzzed(gradients.build_valid(op), gradients.build_invalid(op), gradient_laws.LAWS_OF[op], f"{op}-",
                  gradients.DTYPES) for op in gradients.OPERATORS},
}
ALL_LAWS: dict[str, Law] = {law.name: law for fuzzed in FUZZED.values() for law in fuzzed.laws}


def fuzzed(op: str) -> Fuzzed:
    """The builders and laws of operator ``op``."""
    try:
        return FUZZED[op]
    except KeyError:
        raise ValueError(f"convspec fuzz generates no {op!r} calls; expected one of "
                         f"{', '.join(FUZZED)}") from None
