"""The operators `convspec fuzz` generates calls of: each one's builders and laws, in one place.

conv's builders live in :mod:`.strategies` and its laws in :mod:`.metamorphic`; conv_transpose's
beside them in :mod:`.transposed` and :mod:`.transposed_laws`, so that each operator's choice
sequence is its own (a seed gives the same conv cases however many operators join). The command
line names these operators without importing NumPy (``convspec.conformance.cli.fuzz.OPERATOR_NAMES``);
a test keeps the two lists equal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import metamorphic, strategies, transposed, transposed_laws
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


FUZZED: dict[str, Fuzzed] = {
    "conv": Fuzzed(strategies.build_valid, strategies.build_invalid, metamorphic.LAWS, ""),
    "conv_transpose": Fuzzed(transposed.build_valid, transposed.build_invalid, transposed_laws.LAWS,
                             "conv_transpose-"),
}
ALL_LAWS: dict[str, Law] = {law.name: law for fuzzed in FUZZED.values() for law in fuzzed.laws}


def fuzzed(op: str) -> Fuzzed:
    """The builders and laws of operator ``op``."""
    try:
        return FUZZED[op]
    except KeyError:
        raise ValueError(f"convspec fuzz generates no {op!r} calls; expected one of "
                         f"{', '.join(FUZZED)}") from None
