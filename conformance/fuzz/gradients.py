"""The space of calls of conv's gradients: conv_grad_input, conv_grad_weight and conv_grad_bias,
beside conv's builders in :mod:`.strategies` (whose choice sequence they leave untouched).

A gradient call is the gradient of a conv call: ``build_structure`` draws a conv call with conv's
own structure builder (rank, batch, channels, groups, kernel, stride, dilation, every padding
mode), then takes dy of its output's shape, and x, w or neither of the conv call as the
gradient's other input, with ``input_shape`` (the input's shape) or ``kernel_shape`` (the
kernel's) written as a vector writes them. The gradients are defined for float dtypes only, so
only those are drawn, with conv's value distributions and non-finite values anywhere: the spec
says where they land (dx forms only real products, dw multiplies padding's zeros by dy).

``build_invalid`` breaks a valid call in one of the ways the reference's argument checks reject:
conv's kinds (read with the gradient's tensors and attributes) and "gradient-shape", dy not the
output of that conv, or an input_shape or kernel_shape that names no conv.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from ..call import Call
from ..dtypes import FLOAT_DTYPES, overflow_threshold, unit_roundoff
from ..ops.conv_grad_bias import OPERATOR as GRAD_BIAS
from ..ops.conv_grad_input import OPERATOR as GRAD_INPUT
from ..ops.conv_grad_weight import OPERATOR as GRAD_WEIGHT
from ..ops.operator import Operator
from ..tolerance import PROFILES, gamma
from . import strategies
from .cases import Case
from .strategies import (
    POOL_SIZES,
    Chooser,
    Rejected,
    Space,
    choose_pools,
    flag,
    float_distribution,
    mark,
    pick,
    pool,
    small_tensor,
)

OPERATORS: dict[str, Operator] = {each.name: each for each in (GRAD_INPUT, GRAD_WEIGHT, GRAD_BIAS)}
DTYPES = tuple(FLOAT_DTYPES)
# which of conv's tensors each gradient takes beside dy, in the operator's argument order
OTHER = {"conv_grad_input": "w", "conv_grad_weight": "x", "conv_grad_bias": None}


def float_dtypes(space: Space) -> tuple[str, ...]:
    return tuple(d for d in space.dtypes if d in FLOAT_DTYPES)


@dataclass(frozen=True)
class Drawn:
    """A gradient call and the conv call it is the gradient of (x, w and dy's shapes)."""

    call: Call
    written: dict
    conv: Call


def gradient_call(op: str, dtype: str, conv: Call, conv_written: dict) -> tuple[Call, dict]:
    """The call of gradient ``op`` of the conv call ``conv``: dy of its output's shape."""
    return OPERATORS[op].of_conv(dtype, conv, conv_written)


def build_structure(c: Chooser, space: Space, dtype: str, op: str) -> Drawn:
    """conv's structure (the same choices as conv's cases), then the gradient call of it."""
    conv, conv_written = strategies.build_structure(c, space, dtype)
    call, written = gradient_call(op, dtype, conv, conv_written)
    return Drawn(call, written, conv)


def choose_value_pools(c: Chooser, dtype: str, space: Space, small: bool = False) -> dict:
    """conv's pools of x, w and b, then one of dy."""
    pools = choose_pools(c, dtype, space, small)
    kinds = ("small", "exact", "special") if space.special_values and not small else ("small", "exact")
    kinds = ("small",) if small else kinds
    pools["dy"] = pool(c, float_distribution(dtype, pick(c, kinds)), POOL_SIZES["x"])
    return pools


def overflow_depends_on_order(call: Call, arrays: dict[str, np.ndarray], profile: str) -> bool:
    """As :func:`.strategies.overflow_depends_on_order`, for a gradient's two (or one) tensors: such
    calls judge next to nothing, so they are not generated."""
    acc = PROFILES[profile].precision(FLOAT_DTYPES[call.dtype]).accumulate
    threshold = overflow_threshold(acc)
    finite = {k: np.where(np.isfinite(v), np.abs(v), 0.0) for k, v in arrays.items()}
    op = OPERATORS[call.op]
    ones = {k: np.ones(v.shape) for k, v in arrays.items()}
    terms = int(np.max(op.reference(call, ones), initial=0))
    room = 1 + gamma(max(terms, 1), unit_roundoff(acc))
    bound = terms * math.prod(float(v.max(initial=0)) for v in finite.values())
    if bound * room < threshold / 2:
        return False
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.any(op.reference(call, finite) * room >= threshold))


def build_valid(op: str):
    """The valid-case builder of gradient ``op`` (see the module docstring)."""

    def build(c: Chooser, space: Space) -> Case:
        dtypes = float_dtypes(space)
        if not dtypes:
            raise ValueError(f"{op} is defined for float dtypes only")
        dtype = pick(c, dtypes)
        drawn = build_structure(c, space, dtype, op)
        mark(c)
        pools = choose_value_pools(c, dtype, space)
        inputs = {name: pools[name].fill(spec.shape) for name, spec in drawn.call.tensors.items()}
        if overflow_depends_on_order(drawn.call, inputs, space.profile):
            raise Rejected
        return Case(drawn.call, inputs, drawn.written)

    return build


# --- invalid calls -----------------------------------------------------------------------------

BREAKERS = {
    "conv_grad_input": ("stride", "dilation", "padding", "groups", "groups-input-channels",
                        "groups-output-channels", "weight-channels", "output-size", "rank",
                        "attribute-length", "gradient-shape"),
    # w's second dimension is C/groups by construction: weight-channels cannot occur
    "conv_grad_weight": ("stride", "dilation", "padding", "groups", "groups-input-channels",
                         "groups-output-channels", "output-size", "rank", "attribute-length",
                         "gradient-shape"),
}


def build_invalid(op: str):
    """The invalid-case builder of gradient ``op``: a case the reference's argument checks reject,
    with the kind they name.

    A valid call (small-integer values) is broken in one way: a stride, dilation or groups below 1,
    a negative padding, channels that do not split into the groups, weights with the wrong channel
    count, a kernel larger than the padded input, tensors of different ranks, an attribute list
    with the wrong number of entries, or a gradient-shape mismatch (dy's batch or one of its
    spatial sizes off by one, an input_shape or kernel_shape of the wrong length). conv_grad_bias
    takes no attributes: it has no invalid calls to draw.
    """
    if op not in BREAKERS:
        def none(c: Chooser, space: Space) -> Case:
            raise ValueError(f"{op} takes no attributes: convspec fuzz draws no invalid {op} calls")
        return none
    operator = OPERATORS[op]
    grad_input = "input_shape" in operator.attribute_names  # else kernel_shape

    def build(c: Chooser, space: Space) -> Case:
        dtypes = float_dtypes(space)
        if not dtypes:
            raise ValueError(f"{op} is defined for float dtypes only")
        dtype = pick(c, dtypes)
        drawn = build_structure(c, space, dtype, op)
        mark(c)
        choose_value_pools(c, dtype, space, small=True)  # the same choices as valid cases
        conv = drawn.conv
        rank, resolved = conv.rank, conv.attributes
        x, w, dy = conv.shape("x"), conv.shape("w"), drawn.call.shape("dy")
        attrs = dict(drawn.written)
        pairs = [list(p) for p in resolved.padding]
        attrs["padding"] = pairs  # a breaker must not change what a named mode resolves to
        breaker = pick(c, BREAKERS[op])
        axis = c.integer(0, rank - 1)
        outputs, group_channels = w[0], w[1]
        group_outputs = outputs // resolved.groups
        kernel = list(w[2:])
        if breaker in ("stride", "dilation"):
            values = list(getattr(resolved, breaker))
            values[axis] = c.integer(-2, 0)
            attrs[breaker] = values
        elif breaker == "padding":
            pairs[axis][c.integer(0, 1)] = c.integer(-3, -1)
        elif breaker == "groups":
            attrs["groups"] = c.integer(-2, 0)
        elif breaker == "groups-input-channels":
            groups = c.integer(2, 3)
            attrs["groups"] = groups
            x = (x[0], groups * group_channels + c.integer(1, groups - 1), *x[2:])
            w = (groups * group_outputs, group_channels, *w[2:])
            dy = (dy[0], w[0], *dy[2:])
        elif breaker == "groups-output-channels":
            groups = c.integer(2, 3)
            attrs["groups"] = groups
            x = (x[0], groups * group_channels, *x[2:])
            w = (groups * group_outputs + c.integer(1, groups - 1), group_channels, *w[2:])
            dy = (dy[0], w[0], *dy[2:])
        elif breaker == "weight-channels":
            change = pick(c, (1, -1) if group_channels > 1 else (1,))
            w = (w[0], group_channels + change, *w[2:])
        elif breaker == "output-size":
            pairs[axis] = [0, 0]
            kernel[axis] = x[2 + axis] + 1 + c.integer(0, 1)
            w = (*w[:2], *kernel)
        elif breaker == "rank":
            longer = rank < 3 and (rank == 1 or flag(c))
            grow = (lambda s: (*s, c.integer(1, 2))) if longer else (lambda s: s[:-1])
            if grad_input:
                w = grow(w)
            else:
                dy = grow(dy)
        elif breaker == "attribute-length":
            name = pick(c, ("stride", "dilation", "padding"))
            length = pick(c, tuple(n for n in range(1, 5) if n != rank))
            if name == "padding":
                attrs["padding"] = [list(pairs[i % rank]) for i in range(length)]
            else:
                values = getattr(resolved, name)
                attrs[name] = [values[i % rank] for i in range(length)]
        else:  # gradient-shape
            how = pick(c, ("spatial", "batch", "length"))
            if how == "spatial":
                dy = (*dy[:2 + axis], dy[2 + axis] + 1, *dy[3 + axis:])
            elif how == "batch":
                dy = (dy[0] + 1, *dy[1:])
            elif grad_input:
                shape = list(x)
                attrs["input_shape"] = [*shape, 1] if rank < 3 else shape[:-1]
            else:
                attrs["kernel_shape"] = [*kernel, 1] if rank < 3 else kernel[:-1]
        if grad_input and breaker != "gradient-shape":
            attrs["input_shape"] = list(x)
        elif breaker not in ("gradient-shape", "rank"):
            attrs["kernel_shape"] = kernel
        if attrs.get("padding") == [[0, 0]] * rank:
            del attrs["padding"]
        shapes = {"dy": dy, "w": w} if grad_input else {"x": x, "dy": dy}
        inputs = {name: small_tensor(c, tuple(shape), dtype) for name, shape in shapes.items()}
        try:
            case = Case(operator.call(dtype, shapes, attrs), inputs, attrs)
            objection = operator.objection(case.call)
        except (ValueError, IndexError):  # attributes that name no call: not an error vector of any kind
            objection = None
        if objection is None:
            raise Rejected
        return replace(case, error=objection.kind)

    return build
