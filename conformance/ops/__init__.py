"""The operators of the spec, one module each.

Adding an operator is adding a module here (an :class:`~.operator.Operator`), its reference
function, its vectors, the adapters' methods and a docs page: the runner, the judge, loading and
the reports dispatch through :func:`operator` and need no edit.
"""

from __future__ import annotations

from .conv import OPERATOR as CONV
from .conv_grad_bias import OPERATOR as CONV_GRAD_BIAS
from .conv_grad_input import OPERATOR as CONV_GRAD_INPUT
from .conv_grad_weight import OPERATOR as CONV_GRAD_WEIGHT
from .conv_transpose import OPERATOR as CONV_TRANSPOSE
from .operator import Operator
from .pad import OPERATOR as PAD

OPERATORS: dict[str, Operator] = {op.name: op for op in (CONV, PAD, CONV_TRANSPOSE, CONV_GRAD_INPUT,
                                                         CONV_GRAD_WEIGHT, CONV_GRAD_BIAS)}


def operator(name: str) -> Operator:
    """The operator ``name`` (as a vector's ``op`` writes it)."""
    try:
        return OPERATORS[name]
    except KeyError:
        raise ValueError(f"unknown operator {name!r}; expected one of {', '.join(OPERATORS)}") from None


__all__ = ["OPERATORS", "Operator", "operator"]
