"""The mistakes registry: every mistake of spec/mistakes.yaml, each modelled once, as code.

An entry is a deliberately faulty implementation of one operator that makes exactly that mistake
and is otherwise correct. The one implementation serves twice: as a faulty backend, which must
fail every vector whose ``catches`` names the mistake (tests/faulty/ exposes them to ``convspec
run``), and as the model ``convspec fuzz`` replays to name the mistake a failing case shows
(:mod:`convspec.conformance.fuzz.diagnosis`).

One module per operator (``conv.py``, ``conv_transpose.py``) defines its implementations,
registering each under its mistake id, and names the operator in ``OPERATOR``; a module holding
several operators' mistakes (``conv_gradients.py``) names each entry's in ``OPERATORS`` (mistake
id -> operator) instead. Adding an operator's mistakes is adding its module to ``MODULES``. The
registry keys mistakes by id alone, so an id belongs to one operator: conv_transpose's are
prefixed ``transpose-``, the gradients' ``grad-``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType, SimpleNamespace

import numpy as np

from convspec import spec

from ..backends import Backend
from . import conv, conv_gradients, conv_transpose

MODULES: tuple[ModuleType, ...] = (conv, conv_transpose, conv_gradients)


@dataclass(frozen=True)
class Mistake:
    """One mistake: its id and description (spec/mistakes.yaml), the operator it is a mistake of,
    and the implementation making it, with that operator's backend protocol signature."""

    id: str
    description: str
    operator: str
    implementation: Callable[..., np.ndarray]

    def backend(self) -> Backend:
        """The implementation as a backend whose one operator is ``operator``: it runs what that
        operator's vectors run (a conv's also pad vectors, padding through the conv)."""
        # an object with one attribute, not the bare callable: a bare callable counts as a conv
        return Backend(name=self.id, implementation=SimpleNamespace(**{self.operator: self.implementation}),
                       description=self.description)


def _operator(module: ModuleType, mistake: str) -> str:
    """The operator ``module``'s implementation of ``mistake`` belongs to."""
    operators = getattr(module, "OPERATORS", None)
    return operators[mistake] if operators is not None else module.OPERATOR


@functools.cache
def registry() -> dict[str, Mistake]:
    """Mistake id -> its entry, operator module by module in definition order.

    Raises ValueError for an implementation of a mistake spec/mistakes.yaml does not list, or of
    one implemented twice.
    """
    described = spec.mistakes()
    entries: dict[str, Mistake] = {}
    for module in MODULES:
        for mistake, implementation in module.IMPLEMENTATIONS.items():
            if mistake not in described:
                raise ValueError(f"{module.__name__} implements {mistake!r}, which spec/mistakes.yaml "
                                 "does not list")
            if mistake in entries:
                raise ValueError(f"{mistake!r} is implemented for both {entries[mistake].operator} "
                                 f"and {_operator(module, mistake)}")
            operator = _operator(module, mistake)
            entries[mistake] = Mistake(mistake, described[mistake], operator, implementation)
    return entries


__all__ = ["MODULES", "Mistake", "registry"]
