"""Laws of conv's gradients, checked on the backend's gradients against the backend's own conv, with
no reference.

A law's case is a conv call (x, w, b, drawn by conv's structure builder) with dy of its output's
shape; the gradient call is the one :func:`.gradients.gradient_call` makes of it. Values are small
integers, so that the adjoint and linearity laws hold exactly in any summation order, except for
the finite differences, which draw random floats:

- adjoint-input:  <conv(x, w), dy> = <x, conv_grad_input(dy, w)>
- adjoint-weight: <conv(x, w), dy> = <w, conv_grad_weight(x, dy)>
- adjoint-bias:   <conv(x, w, b), dy> - <conv(x, w), dy> = <b, conv_grad_bias(dy)>
  the inner products summed exactly; a flipped kernel, a crop on the wrong side, a wrong remainder
  row, a dw summed over too few positions or a db missing the batch each break one.
- linearity in dy: grad(a*dy1 + dy2) = a*grad(dy1) + grad(dy2), for each gradient.
- finite differences (float64): the central difference of f(t) = <conv(x + t*v, w), dy> (or w + t*v,
  b + t*v) with step h agrees with <v, grad>. f is linear in t, so the difference has no truncation
  error, only the rounding of the calls: see :func:`_check_fd`.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from convspec import reference

from ..call import Call
from ..tolerance import gamma
from . import gradients, strategies
from .metamorphic import Law, LawCase, _coefficient, _fill, _pools, _wide, compare
from .strategies import POOL_SIZES, Chooser, Space, float_distribution, mark, pick, pool
from .transposed_laws import inner

INPUT, WEIGHT, BIAS = "conv_grad_input", "conv_grad_weight", "conv_grad_bias"
WRT = {INPUT: "x", WEIGHT: "w", BIAS: "b"}  # what each gradient is with respect to
STEP = 2.0**-10  # h of the finite differences: x +- h*v is exact in float64 (see _draw_fd)


def _conv_output(conv_call: Call) -> tuple[int, ...]:
    from .. import ops

    return ops.CONV.output_shape(conv_call)


def conv(impl, case: LawCase, x, w, b=None) -> np.ndarray:
    """The backend's conv with the attributes of the drawn conv call, on copies."""
    return np.asarray(impl.conv(x.copy(), w.copy(), None if b is None else b.copy(), **case.extra["conv"]))


def grad(impl, case: LawCase, dy: np.ndarray) -> np.ndarray:
    """The backend's gradient of the case (its op) for ``dy``, on copies."""
    op, arrays = case.call.op, case.arrays
    function = getattr(impl, op)
    if op == INPUT:
        return np.asarray(function(dy.copy(), arrays["w"].copy(), **case.call.keywords()))
    if op == WEIGHT:
        return np.asarray(function(arrays["x"].copy(), dy.copy(), **case.call.keywords()))
    return np.asarray(function(dy.copy()))


def _drawer(op: str, *, bias: bool = False, extra: tuple[str, ...] = (), values: str = "small",
            coefficient: bool = False):
    """How a law of ``op`` draws: conv's call (conv's own structure choices) and dy of its output's
    shape, the gradient call of it, conv's keywords kept in ``extra['conv']``, then the extra
    tensors (dy2 like dy, v like the tensor the gradient is for) and the coefficient."""

    def draw(c: Chooser, space: Space) -> LawCase:
        dtype = pick(c, space.dtypes)
        conv_call, written = strategies.build_structure(c, space, dtype)
        mark(c)
        names = ("x", "w", "b", "dy", *extra)
        if values == "small":
            pools = _pools(c, dtype, names)
        else:  # 11 significand bits, |v| in [2**-12, 2**7): see fd_bound
            pools = {name: pool(c, float_distribution("float16", "exact"), POOL_SIZES["x"]) for name in names}
        a = conv_call.attributes
        shapes = {"x": conv_call.shape("x"), "w": conv_call.shape("w"), "dy": _conv_output(conv_call)}
        if bias:
            shapes["b"] = (shapes["w"][0],)
        like = {"dy2": "dy", "v": WRT[op]}
        shapes.update({name: shapes[like[name]] for name in extra})
        arrays = {name: _fill(pools[name], shape, dtype) for name, shape in shapes.items()}
        call, _ = gradients.gradient_call(op, dtype, conv_call, written)
        keywords = {"stride": a.stride, "padding": a.padding, "dilation": a.dilation, "groups": a.groups}
        more = {"conv": keywords}
        if coefficient:
            more["a"] = _coefficient(c, dtype)
        return LawCase(call, arrays, more)

    return draw


# --- the adjoint identities ----------------------------------------------------------------------

def _check_adjoint(impl, case: LawCase) -> str | None:
    op, arrays = case.call.op, case.arrays
    x, w, dy = arrays["x"], arrays["w"], arrays["dy"]
    y = conv(impl, case, x, w)
    if y.shape != dy.shape:
        return f"conv's output has shape {list(y.shape)}, dy {list(dy.shape)}"
    g = grad(impl, case, dy)
    if op == BIAS:
        b = arrays["b"]
        lhs = _difference(inner(conv(impl, case, x, w, b), dy), inner(y, dy))
        rhs, what = inner(b, g) if g.shape == b.shape else None, "<b, conv_grad_bias(dy)>"
        left = "<conv(x, w, b), dy> - <conv(x, w), dy>"
    else:
        other = x if op == INPUT else w
        if g.shape != other.shape:
            return f"{op}'s output has shape {list(g.shape)}, the spec's is {list(other.shape)}"
        lhs, rhs = inner(y, dy), inner(other, g)
        left, what = "<conv(x, w), dy>", f"<{WRT[op]}, {op}(dy)>"
    if lhs is None or rhs is None:
        return f"a non-finite output or a wrong shape from small-integer inputs ({what})"
    return None if lhs == rhs else f"{left} = {lhs} but {what} = {rhs}"


def _difference(a, b):
    return None if a is None or b is None else a - b


# --- linearity in dy --------------------------------------------------------------------------------

def _check_linear(impl, case: LawCase) -> str | None:
    a, dy, dy2 = case.extra["a"], case.arrays["dy"], case.arrays["dy2"]
    combined = (a * _wide(dy) + _wide(dy2)).astype(dy.dtype)
    lhs = grad(impl, case, combined)
    rhs = a * _wide(grad(impl, case, dy)) + _wide(grad(impl, case, dy2))
    op = case.call.op
    return compare(lhs, rhs, f"{op}({a}*dy1 + dy2) vs {a}*{op}(dy1) + {op}(dy2)")


# --- finite differences --------------------------------------------------------------------------

def fd_bound(case: LawCase, h: float = STEP) -> float:
    """The most |(f(h) - f(-h)) / 2h - <v, g>| may be for correct float64 calls.

    f(t) = <conv(x + t*v, w, b), dy> (v in the slot the gradient is for) is linear in t, so the
    central difference has no truncation error (the h**2 * f''' term is 0): only rounding. The
    perturbed inputs are exact (11-bit values and h = 2**-10: x +- h*v needs at most 11 + 18 + 10 +
    11 bits), and the inner products are summed exactly, so the roundings are those of the calls:
    each conv element within gamma_n * M of its exact value (Higham; n its terms, M the conv of the
    absolute values), hence the difference divided by 2h within
    gamma_n * <|dy|, M(+h) + M(-h)> / 2h; and each element of the backend's gradient within
    gamma_n times its magnitude, hence <v, g> within gamma_n * <|v|, |grad|(|dy|)> = gamma_n *
    <|dy|, M_v>, M_v the conv with |v| in the slot (adjointness). n is the largest count of the
    conv's and the gradient's terms, u = 2**-53; the bound's own float64 evaluation, over
    non-negative terms, is covered by a factor 1 + 2**-20.
    """
    arrays, op = case.arrays, case.call.op
    slot, v = WRT[op], case.arrays["v"]
    keywords = case.extra["conv"]
    absolute = {k: np.abs(arrays[k]).astype(np.float64) for k in ("x", "w", "b") if k in arrays}

    def magnitude(changes: dict) -> np.ndarray:
        t = {**absolute, **changes}
        return reference.conv(t["x"], t["w"], t.get("b"), **keywords)

    plus = magnitude({slot: np.abs(arrays[slot] + h * v)})
    minus = magnitude({slot: np.abs(arrays[slot] - h * v)})
    dy = np.abs(arrays["dy"]).astype(np.float64)
    if op == BIAS:  # M_v: |v| at every output position of its channel
        direction = np.broadcast_to(np.abs(v).reshape(-1, *(1,) * (dy.ndim - 2)), dy.shape)
    else:
        t = {"x": absolute["x"], "w": absolute["w"], slot: np.abs(v)}
        direction = reference.conv(t["x"], t["w"], None, **keywords)
    ones = {"dy": np.ones(dy.shape), **{k: np.ones(a.shape) for k, a in absolute.items()}}
    conv_terms = int(reference.conv(ones["x"], ones["w"], ones.get("b"), **keywords).max(initial=0))
    spatial = dy.shape[0] * int(np.prod(dy.shape[2:]))
    terms = max(conv_terms, spatial, int(np.prod(arrays["w"].shape[2:])) * dy.shape[1])
    g = gamma(terms, 2.0**-53)
    return (1 + 2.0**-20) * g * (float(np.sum(dy * (plus + minus))) / (2 * h) + float(np.sum(dy * direction)))


def _check_fd(impl, case: LawCase) -> str | None:
    """See :func:`fd_bound`."""
    arrays, op, h = case.arrays, case.call.op, STEP
    slot, v = WRT[op], arrays["v"]
    base = {k: arrays[k] for k in ("x", "w", "b") if k in arrays}
    plus = {**base, slot: arrays[slot] + h * v}
    minus = {**base, slot: arrays[slot] - h * v}
    dy = arrays["dy"]
    f_plus = inner(conv(impl, case, plus["x"], plus["w"], plus.get("b")), dy)
    f_minus = inner(conv(impl, case, minus["x"], minus["w"], minus.get("b")), dy)
    g = grad(impl, case, dy)
    if g.shape != v.shape:
        return f"{op}'s output has shape {list(g.shape)}, the spec's is {list(v.shape)}"
    directional = inner(v, g)
    if f_plus is None or f_minus is None or directional is None:
        return "a non-finite output from finite inputs"
    difference = (Fraction(f_plus) - Fraction(f_minus)) / Fraction(2 * h)
    error = abs(difference - Fraction(directional))
    bound = fd_bound(case, h)
    if error <= Fraction(bound):
        return None
    return (f"central difference (f(h) - f(-h)) / 2h = {float(difference):.17g} but <v, {op}(dy)> = "
            f"{float(directional):.17g}: off by {float(error):.3g}, more than the rounding bound {bound:.3g}")


# --- the laws ------------------------------------------------------------------------------------

def _laws(op: str, short: str) -> tuple[Law, ...]:
    uses = (op, "conv")
    wrt = WRT[op]
    adjoint = ("<conv(x, w, b), dy> - <conv(x, w), dy> = <b, conv_grad_bias(dy)>" if op == BIAS
               else f"<conv(x, w), dy> = <{wrt}, {op}(dy, ...)>")
    fd = _drawer(op, bias=op == BIAS, extra=("v",), values="fd")
    return (
        Law(f"adjoint-{short}", adjoint, _drawer(op, bias=op == BIAS), _check_adjoint, needs=("float",),
            op=op, uses=uses),
        Law(f"{short}-linearity-dy", f"{op}(a*dy1 + dy2) = a*{op}(dy1) + {op}(dy2)",
            _drawer(op, extra=("dy2",), coefficient=True), _check_linear, needs=("float",), op=op,
            uses=(op,)),
        Law(f"{short}-finite-differences", f"(f(h) - f(-h))/2h = <v, {op}(dy)> for f(t) = <conv(.., {wrt} + "
            "t*v, ..), dy>, within the calls' rounding", fd, _check_fd, needs=("float64",), op=op, uses=uses),
    )

LAWS = (*_laws(INPUT, "input"), *_laws(WEIGHT, "weight"), *_laws(BIAS, "bias"))
LAWS_BY_NAME = {law.name: law for law in LAWS}
LAWS_OF = {name: tuple(law for law in LAWS if law.op == name) for name in (INPUT, WEIGHT, BIAS)}

__all__ = ["LAWS", "LAWS_BY_NAME", "LAWS_OF", "fd_bound"]
