"""Metamorphic laws of conv_transpose, checked on the backend's conv_transpose (and its conv where a
law relates the two), with no reference.

As for conv's laws (:mod:`.metamorphic`), the inputs are small integers (integers up to a bound for
integer dtypes), so every law holds exactly in any summation order:

- adjoint: <conv(x', w), y> = <x', conv_transpose(y, w)>, the inner products summed exactly. conv
  runs with the same stride, padding, dilation and groups on an x' of the transposed output's
  shape (C_out channels) and gives y's C_in channels, so it reads the very array w as conv's
  (O, C/groups, *k) = (C_in, C_out/groups, *k): the adjoint of x -> conv(x, w) is
  y -> conv_transpose(y, w) with the same tensor, as a framework's gradient uses it. (Swapping the
  first two axes per group gives the kernel of the forward direction instead, that of
  transposed-as-conv.) conv's output is cut to y's shape: an output_padding >= stride, allowed
  when the dilation is larger, gives conv positions past the input that no product of y reaches.
  A crop on the wrong side, a flipped or mis-laid kernel, a wrong output_padding or a scatter with
  the wrong stride each break it.
- transposed-linearity-x: conv_transpose(a*x1 + x2, w) = a*conv_transpose(x1, w) + conv_transpose(x2, w)
- transposed-as-conv: at stride 1, conv_transpose = conv with the kernel flipped on every spatial
  axis and in/out swapped, padded "fully": d*(k - 1) - p0 before, d*(k - 1) - p1 + output_padding
  after (the draw keeps p0 <= d*(k - 1) and p1 <= d*(k - 1) + output_padding: conv takes no
  negative padding).
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import numpy as np

from ..call import Call, tensor_specs
from ..ops.conv import ConvAttributes
from ..ops.conv_transpose import OPERATOR as CONV_TRANSPOSE
from . import transposed
from .metamorphic import Law, LawCase, _coefficient, _fill, _pools, _wide, compare, run
from .strategies import Chooser, Pool, Space, mark, pick

OP = transposed.OP


def conv_layout(w: np.ndarray, groups: int) -> np.ndarray:
    """conv_transpose's w (C_in, C_out/g, *k) in conv's layout (C_out, C_in/g, *k): per group the
    first two axes swapped."""
    c_in, per_group_out, *kernel = w.shape
    grouped = w.reshape(groups, c_in // groups, per_group_out, *kernel)
    return np.ascontiguousarray(np.swapaxes(grouped, 1, 2).reshape(groups * per_group_out, c_in // groups,
                                                                    *kernel))


def _case(c: Chooser, space: Space, *, summand_x: bool = False, bias: bool = True,
          extra: tuple[str, ...] = ()) -> tuple[LawCase, dict[str, Pool]]:
    """A transposed call (its shape choices those of the reference cases), then its value pools."""
    dtype = pick(c, space.dtypes)
    call, _ = transposed.build_structure(c, space, dtype)
    mark(c)
    pools = _pools(c, dtype, ("x", "w", "b", *extra))
    shapes = {name: spec.shape for name, spec in call.tensors.items()}
    arrays = {"x": _fill(pools["x"], shapes["x"], dtype, summand_x),
              "w": _fill(pools["w"], shapes["w"], dtype)}
    if bias and "b" in shapes:
        arrays["b"] = _fill(pools["b"], shapes["b"], dtype, name="b")
    return LawCase(Call(OP, dtype, tensor_specs(arrays), call.attributes), arrays), pools


def _conv_call(dtype: str, arrays: dict[str, np.ndarray], attributes: ConvAttributes) -> Call:
    return Call("conv", dtype, tensor_specs(arrays), attributes)


# --- adjoint -----------------------------------------------------------------------------------

def _draw_adjoint(c: Chooser, space: Space) -> LawCase:
    case, pools = _case(c, space, bias=False, extra=("x2",))
    dual = _fill(pools["x2"], CONV_TRANSPOSE.output_shape(case.call), case.call.dtype)
    return replace(case, extra={"x2": dual})


def _exact_values(a: np.ndarray) -> np.ndarray | None:
    """The values as Python ints (or Fractions for non-integral floats), for sums no order rounds;
    None if any is NaN or infinite."""
    a = _wide(a)
    if a.dtype.kind == "f":
        if not np.isfinite(a).all():
            return None
        if (a == np.round(a)).all() and np.abs(a).max(initial=0) < 2.0**62:
            return a.astype(np.int64).astype(object)
        return np.array([Fraction(v) for v in a.ravel().tolist()], dtype=object).reshape(a.shape)
    return a.astype(object)


def inner(a: np.ndarray, b: np.ndarray) -> int | Fraction | None:
    """<a, b> summed exactly; None when a value is not finite."""
    ea, eb = _exact_values(a), _exact_values(b)
    if ea is None or eb is None:
        return None
    return sum((ea.ravel() * eb.ravel()).tolist(), 0)


def _check_adjoint(impl, case: LawCase) -> str | None:
    y, w = case.arrays["x"], case.arrays["w"]
    a, dual = case.call.attributes, case.extra["x2"]
    forward_arrays = {"x": dual, "w": w}
    forward = np.asarray(run(impl.conv, _conv_call(case.call.dtype, forward_arrays, ConvAttributes(
        a.stride, a.padding, a.dilation, a.groups)), forward_arrays))
    backward = np.asarray(run(impl.conv_transpose, case.call, case.arrays))
    if backward.shape != dual.shape:
        return f"conv_transpose's output has shape {list(backward.shape)}, the spec's is {list(dual.shape)}"
    if forward.ndim != y.ndim or any(f < n for f, n in zip(forward.shape, y.shape, strict=True)):
        return f"conv's output {list(forward.shape)} does not cover y {list(y.shape)}"
    forward = forward[tuple(slice(0, n) for n in y.shape)]
    lhs, rhs = inner(forward, y), inner(dual, backward)
    if lhs is None or rhs is None:
        return "a non-finite output from small-integer inputs"
    if lhs == rhs:
        return None
    return f"<conv(x', w), y> = {lhs} but <x', conv_transpose(y, w)> = {rhs}"


# --- linearity ---------------------------------------------------------------------------------

def _draw_linear_x(c: Chooser, space: Space) -> LawCase:
    case, pools = _case(c, space, summand_x=True, bias=False, extra=("x2",))
    dtype = case.call.dtype
    return replace(case, extra={"x2": _fill(pools["x2"], case.call.shape("x"), dtype, True),
                                "a": _coefficient(c, dtype)})


def _check_linear_x(impl, case: LawCase) -> str | None:
    a, x2, x = case.extra["a"], case.extra["x2"], case.arrays["x"]
    combined = (a * _wide(x) + _wide(x2)).astype(x.dtype)
    ct = impl.conv_transpose
    lhs = run(ct, *case.varied(x=combined))
    rhs = a * _wide(run(ct, case.call, case.arrays)) + _wide(run(ct, *case.varied(x=x2)))
    return compare(lhs, rhs, f"conv_transpose({a}*x1 + x2, w) vs {a}*conv_transpose(x1, w) + "
                             "conv_transpose(x2, w)")


# --- stride 1 as a convolution ------------------------------------------------------------------

def _draw_as_conv(c: Chooser, space: Space) -> LawCase:
    case, _ = _case(c, replace(space, max_stride=1))
    a = case.call.attributes
    spans = [d * (k - 1) for d, k in zip(a.dilation, case.call.shape("w")[2:], strict=True)]
    padding = tuple((min(p0, s), min(p1, s + e))
                    for (p0, p1), s, e in zip(a.padding, spans, a.output_padding, strict=True))
    return replace(case, call=replace(case.call, attributes=replace(a, padding=padding)))


def flipped_conv_kernel(w: np.ndarray, groups: int) -> np.ndarray:
    """The conv kernel whose stride-1 convolution is the transposed one: in conv's layout, flipped
    on every spatial axis."""
    kernel = conv_layout(w, groups)
    return np.ascontiguousarray(np.flip(kernel, axis=tuple(range(2, kernel.ndim))))


def _check_as_conv(impl, case: LawCase) -> str | None:
    a, w = case.call.attributes, case.arrays["w"]
    full = tuple((d * (k - 1) - p0, d * (k - 1) - p1 + e) for (p0, p1), d, k, e in zip(
        a.padding, a.dilation, w.shape[2:], a.output_padding, strict=True))
    arrays = {**case.arrays, "w": flipped_conv_kernel(w, a.groups)}
    rhs = run(impl.conv, _conv_call(case.call.dtype, arrays, ConvAttributes(
        a.stride, full, a.dilation, a.groups)), arrays)
    lhs = run(impl.conv_transpose, case.call, case.arrays)
    return compare(lhs, rhs, f"conv_transpose at stride 1 vs conv with the flipped, in/out-swapped kernel "
                             f"and padding {[list(p) for p in full]}")


BOTH = ("conv_transpose", "conv")
LAWS = (
    Law("adjoint", "<conv(x', w), y> = <x', conv_transpose(y, w)> (conv with the same attributes)",
        _draw_adjoint, _check_adjoint, op=OP, uses=BOTH),
    Law("transposed-linearity-x", "conv_transpose(a*x1 + x2, w) = a*conv_transpose(x1, w) + "
        "conv_transpose(x2, w)", _draw_linear_x, _check_linear_x, op=OP, uses=("conv_transpose",)),
    Law("transposed-as-conv", "stride 1: conv_transpose = conv with the flipped, in/out-swapped kernel "
        "and padding d*(k-1) - p", _draw_as_conv, _check_as_conv, op=OP, uses=BOTH),
)
LAWS_BY_NAME = {law.name: law for law in LAWS}

__all__ = ["LAWS", "LAWS_BY_NAME", "conv_layout", "flipped_conv_kernel", "inner"]
