"""Metamorphic laws: identities a convolution must satisfy, checked on the backend alone.

No reference is involved: each law calls the backend two or more ways and compares the results.
The inputs are small integers (and, for integer dtypes, integers up to half the range), so every
product and partial sum is exact in the dtype and each law must hold exactly, in any summation
order; a difference is a broken law, not rounding. 16-bit floats are left out: with 8 or 11
significand bits, sums of useful size are not exact.

The laws:

- linearity-x: conv(a·x1 + x2, w) = a·conv(x1, w) + conv(x2, w)
- linearity-w: conv(x, a·w1 + w2) = a·conv(x, w1) + conv(x, w2)
- padding: conv with padding P = conv of the input zero-padded by P, with no padding
- stride: conv with stride S = conv with stride 1, every S-th output kept
- groups: conv with g groups = the g convolutions of each group's channels, concatenated
- dilation: conv with dilation D = conv with the kernel spread by D - 1 zeros between taps
- stacked-3x3: three stacked 3x3 convolutions = one 7x7 convolution whose kernel is the full
  convolution of the three (the notes' receptive-field claim: 27 weights covering a 7x7 field)
- translation: shifting the input by k strides shifts the output by k, away from the borders
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from types import SimpleNamespace

import numpy as np
from hypothesis import strategies as st
from scipy import signal

from .. import ops
from ..backends import Backend
from ..call import Call, tensor_specs
from ..dtypes import INT_DTYPES, dot_product_dtype, numpy_dtype
from ..ops.conv import ConvAttributes
from .cases import Case
from .strategies import (
    POOL_SIZES,
    Chooser,
    Pool,
    Space,
    build_structure,
    float_distribution,
    int_distribution,
    mark,
    pick,
    pool,
    strategy,
)

LAW_DTYPES = ("float64", "float32", "int8", "uint8", "int32")
FLOAT_LAW_DTYPES = ("float64", "float32")
# |value| bound for integer inputs: half the range where two inputs are summed, and int32 kept
# small enough for int64 results to stay exact.
INT_BOUND = {"int8": 63, "uint8": 127, "int32": 2**15}

Conv = Callable[..., object]


@dataclass(frozen=True)
class LawCase:
    """One case of a law: the base call, its input arrays (in their dtypes) and what the law adds
    (a second input, a coefficient, a shift, more kernels)."""

    call: Call
    arrays: dict[str, np.ndarray]
    extra: dict = field(default_factory=dict)

    @classmethod
    def of(cls, dtype: str, arrays: dict[str, np.ndarray], attributes: ConvAttributes,
           extra: dict | None = None) -> LawCase:
        """The case calling conv on ``arrays`` with ``attributes``."""
        return cls(Call("conv", dtype, tensor_specs(arrays), attributes), arrays, extra or {})

    def varied(self, **change) -> tuple[Call, dict[str, np.ndarray]]:
        """The call and arrays with some inputs (x, w, b; None drops one) or attributes changed."""
        inputs = {k: v for k, v in change.items() if k in INPUTS}
        arrays = {k: v for k, v in {**self.arrays, **inputs}.items() if v is not None}
        attributes = replace(self.call.attributes, **{k: v for k, v in change.items() if k not in INPUTS})
        return replace(self.call, tensors=tensor_specs(arrays), attributes=attributes), arrays

    def describe(self) -> str:
        call = self.call
        parts = [call.dtype, *(f"{k} {list(spec.shape)}" for k, spec in call.tensors.items()),
                 ops.operator(call.op).describe(call)]
        parts += [f"{k} {list(v.shape) if isinstance(v, np.ndarray) else v}" for k, v in self.extra.items()]
        return ", ".join(parts)

    def arrays_text(self) -> str:
        """Every array of the case, for a person to read."""
        named = {**self.arrays, **{k: v for k, v in self.extra.items() if isinstance(v, np.ndarray)}}
        return "\n".join(f"{k} {list(v.shape)}: {np.array2string(v, separator=' ', threshold=200)}"
                         for k, v in named.items())


INPUTS = ("x", "w", "b")


def run(conv: Conv, call: Call, arrays: dict[str, np.ndarray]) -> np.ndarray:
    """The backend's output for ``call`` on copies of ``arrays`` (a backend may write to its inputs)."""
    return np.asarray(conv(arrays["x"].copy(), arrays["w"].copy(),
                           arrays["b"].copy() if "b" in arrays else None, **call.keywords()))


def _base(conv: Conv, case: LawCase, **change) -> np.ndarray:
    return run(conv, *case.varied(**change))


def _wide(a: np.ndarray) -> np.ndarray:
    """Exact values for comparing and combining: int64 for integers, float64 for floats."""
    a = np.asarray(a)
    return a.astype(np.int64) if a.dtype.kind in "iub" else a.astype(np.float64)


def compare(lhs: np.ndarray, rhs: np.ndarray, what: str) -> str | None:
    """None when equal (NaN equal to NaN), else where and how they differ."""
    lhs, rhs = _wide(lhs), _wide(rhs)
    if lhs.shape != rhs.shape:
        return f"{what}: shapes {list(lhs.shape)} and {list(rhs.shape)} differ"
    differ = ~((lhs == rhs) | (np.isnan(lhs.astype(np.float64)) & np.isnan(rhs.astype(np.float64))))
    if not differ.any():
        return None
    index = tuple(int(i) for i in np.argwhere(differ)[0])
    return (f"{what}: {int(differ.sum())} of {differ.size} elements differ, first at {list(index)}: "
            f"{lhs[index]} vs {rhs[index]}")


@dataclass(frozen=True)
class Law:
    """A named identity, how to draw its cases, and how to check one on a backend.

    ``op`` is the operator whose calls the law draws; ``uses`` the backend operators it calls. A
    law of conv alone is checked on the backend's conv callable (as the recorded calls of
    :func:`law_calls` replace it); a law calling other operators, on an object with each of
    ``uses`` as an attribute (see :meth:`implementation`).
    """

    name: str
    summary: str
    build: Callable[[Chooser, Space], LawCase]
    check_case: Callable[[Conv, LawCase], str | None]
    needs: tuple[str, ...] = ()  # "groups", "dilation", "float", "float64"
    op: str = "conv"
    uses: tuple[str, ...] = ("conv",)

    def implementation(self, backend: Backend) -> object:
        """What :meth:`check` is given: the backend's conv, or its operators ``uses`` as attributes."""
        if self.uses == ("conv",):
            return backend.operator("conv")
        return SimpleNamespace(**{name: backend.operator(name) for name in self.uses})

    def dtypes(self, space: Space) -> tuple[str, ...]:
        allowed = (("float64",) if "float64" in self.needs else FLOAT_LAW_DTYPES if "float" in self.needs
                   else LAW_DTYPES)
        return tuple(d for d in space.dtypes if d in allowed)

    def applies(self, backend: Backend, space: Space) -> bool:
        """Whether the backend supports what the law needs: every operator it calls, groups or
        dilation where the law is about them, and a dtype the law can use."""
        if any(backend.operator(name) is None for name in self.uses):
            return False
        if "groups" in self.needs and not space.groups:
            return False
        if "dilation" in self.needs and not space.dilation:
            return False
        return bool(self.dtypes(space))

    def narrowed(self, space: Space) -> Space:
        return replace(space, dtypes=self.dtypes(space), special_values=False)

    def strategy(self, space: Space) -> st.SearchStrategy[LawCase]:
        """Hypothesis strategy of the law's cases."""
        narrowed = self.narrowed(space)
        return strategy(lambda c: self.build(c, narrowed))

    def check(self, conv: Conv, case: LawCase) -> str | None:
        """None when the law holds on ``case``; otherwise what differs (or what the backend raised)."""
        try:
            return self.check_case(conv, case)
        except Exception as exc:  # the backend raised on a valid call: the law cannot hold
            return f"the backend raised {type(exc).__name__}: {exc}"


# --- drawing ---------------------------------------------------------------------------------
# As for the reference cases (strategies.build_valid): dtype, shape (a fixed number of choices),
# then the value pools, so that shrinking the shape keeps the values in place.

def _pools(c: Chooser, dtype: str, names: tuple[str, ...]) -> dict[str, Pool]:
    """Small integers for floats; for integer dtypes small or wide values (a small-integer bias)."""
    pools = {}
    for name in names:
        if dtype not in INT_DTYPES:
            dist = float_distribution(dtype, "small")
        elif name == "b":
            dist = int_distribution("int32", "small")
        else:
            dist = int_distribution(dtype, pick(c, ("small", "wide")))
        pools[name] = pool(c, dist, POOL_SIZES.get(name, POOL_SIZES["x"]))
    return pools


def _fill(p: Pool, shape, dtype: str, summand: bool = False, name: str = "x") -> np.ndarray:
    """Values of ``shape`` in their dtype; integers up to INT_BOUND where two inputs are summed."""
    values = p.fill(shape)
    if dtype in INT_DTYPES and name != "b" and (summand or dtype == "int32"):
        bound = INT_BOUND[dtype]
        values = np.clip(values, -bound, bound)
    return values.astype(dot_product_dtype(dtype) if name == "b" else numpy_dtype(dtype))


def _case(c: Chooser, space: Space, *, summand_x: bool = False, summand_w: bool = False, bias: bool = True,
          min_groups: int = 1, extra: tuple[str, ...] = ()) -> tuple[LawCase, dict[str, Pool]]:
    dtype = pick(c, space.dtypes)
    call, _ = build_structure(c, space, dtype)
    mark(c)
    pools = _pools(c, dtype, ("x", "w", "b", *extra))
    attributes = call.attributes
    shapes = {name: spec.shape for name, spec in call.tensors.items()}
    if min_groups > 1 and attributes.groups < min_groups:
        # as many channels and outputs per group as drawn, in more groups
        groups = c.integer(min_groups, max(space.max_groups, min_groups))
        x, w = shapes["x"], shapes["w"]
        outputs = groups * (w[0] // attributes.groups)
        shapes = {"x": (x[0], groups * w[1], *x[2:]), "w": (outputs, *w[1:]),
                  **({"b": (outputs,)} if "b" in shapes else {})}
        attributes = replace(attributes, groups=groups)
    arrays = {"x": _fill(pools["x"], shapes["x"], dtype, summand_x),
              "w": _fill(pools["w"], shapes["w"], dtype, summand_w)}
    if bias and "b" in shapes:
        arrays["b"] = _fill(pools["b"], shapes["b"], dtype, name="b")
    return LawCase.of(dtype, arrays, attributes), pools


def _coefficient(c: Chooser, dtype: str) -> int:
    return 1 if dtype in INT_DTYPES else pick(c, (1, 2, -1, 3))


def _draw_linear_x(c: Chooser, space: Space) -> LawCase:
    case, pools = _case(c, space, summand_x=True, bias=False, extra=("x2",))
    dtype = case.call.dtype
    return replace(case, extra={"x2": _fill(pools["x2"], case.call.shape("x"), dtype, True),
                                "a": _coefficient(c, dtype)})


def _draw_linear_w(c: Chooser, space: Space) -> LawCase:
    case, pools = _case(c, space, summand_w=True, bias=False, extra=("w2",))
    dtype = case.call.dtype
    return replace(case, extra={"w2": _fill(pools["w2"], case.call.shape("w"), dtype, True),
                                "a": _coefficient(c, dtype)})


def _draw_plain(c: Chooser, space: Space) -> LawCase:
    return _case(c, space)[0]


def _draw_groups(c: Chooser, space: Space) -> LawCase:
    return _case(c, replace(space, max_groups=max(space.max_groups, 2)), min_groups=2)[0]


def _draw_translation(c: Chooser, space: Space) -> LawCase:
    case, pools = _case(c, space)
    a, x_shape = case.call.attributes, case.call.shape("x")
    shift = tuple(c.integer(0, 2) for _ in a.stride)
    if not any(shift):
        shift = (1, *shift[1:])
    # grow the input so that the shifted one still holds a whole window
    sizes = [max(n, k * s + d * (f - 1) + 1) for n, k, s, d, f in zip(
        x_shape[2:], shift, a.stride, a.dilation, case.call.shape("w")[2:], strict=True)]
    x = _fill(pools["x"], (*x_shape[:2], *sizes), case.call.dtype)
    call, arrays = case.varied(x=x)
    return LawCase(call, arrays, {"shift": shift})


def _draw_stacked(c: Chooser, space: Space) -> LawCase:
    dtype = pick(c, space.dtypes)
    rank = pick(c, space.ranks)
    channels, m1, m2, o = (c.integer(1, 2) for _ in range(4))
    batch = c.integer(1, space.max_batch)
    sizes = tuple(c.integer(7, 8) for _ in range(3))[3 - rank:]  # always 3 choices: values stay in place
    sizes = sizes if rank < 3 else (7, 7, 7)
    mark(c)
    pools = _pools(c, dtype, ("x", "k1", "k2", "k3"))

    def values(name, shape):
        return np.clip(pools[name].fill(shape), -2, 2).astype(numpy_dtype(dtype))

    x = values("x", (batch, channels, *sizes))
    k1, k2, k3 = (values("k1", (m1, channels, *(3,) * rank)), values("k2", (m2, m1, *(3,) * rank)),
                  values("k3", (o, m2, *(3,) * rank)))
    ones = (1,) * rank
    return LawCase.of(dtype, {"x": x, "w": k1}, ConvAttributes(ones, ((0, 0),) * rank, ones, 1),
                      {"k2": k2, "k3": k3})


# --- checking ----------------------------------------------------------------------------------

def _check_linear_x(conv: Conv, case: LawCase) -> str | None:
    a, x2, x = case.extra["a"], case.extra["x2"], case.arrays["x"]
    combined = (a * _wide(x) + _wide(x2)).astype(x.dtype)
    lhs = _base(conv, case, x=combined)
    rhs = a * _wide(_base(conv, case)) + _wide(_base(conv, case, x=x2))
    return compare(lhs, rhs, f"conv({a}*x1 + x2, w) vs {a}*conv(x1, w) + conv(x2, w)")


def _check_linear_w(conv: Conv, case: LawCase) -> str | None:
    a, w2, w = case.extra["a"], case.extra["w2"], case.arrays["w"]
    combined = (a * _wide(w) + _wide(w2)).astype(w.dtype)
    lhs = _base(conv, case, w=combined)
    rhs = a * _wide(_base(conv, case)) + _wide(_base(conv, case, w=w2))
    return compare(lhs, rhs, f"conv(x, {a}*w1 + w2) vs {a}*conv(x, w1) + conv(x, w2)")


def _check_padding(conv: Conv, case: LawCase) -> str | None:
    padding = case.call.attributes.padding
    padded = np.pad(case.arrays["x"], [(0, 0), (0, 0), *padding])
    lhs = _base(conv, case)
    rhs = _base(conv, case, x=padded, padding=((0, 0),) * len(padding))
    return compare(lhs, rhs, f"padding {[list(p) for p in padding]} vs the zero-padded input")


def _check_stride(conv: Conv, case: LawCase) -> str | None:
    stride = case.call.attributes.stride
    lhs = _base(conv, case)
    full = _base(conv, case, stride=(1,) * len(stride))
    rhs = full[(slice(None), slice(None), *(slice(None, None, s) for s in stride))]
    return compare(lhs, rhs, f"stride {list(stride)} vs stride 1, every stride-th output")


def _check_groups(conv: Conv, case: LawCase) -> str | None:
    g = case.call.attributes.groups
    x, w, b = case.arrays["x"], case.arrays["w"], case.arrays.get("b")
    cg, og = x.shape[1] // g, w.shape[0] // g
    parts = []
    for i in range(g):
        part_b = None if b is None else b[i * og:(i + 1) * og]
        parts.append(_wide(_base(conv, case, x=x[:, i * cg:(i + 1) * cg], w=w[i * og:(i + 1) * og],
                                 b=part_b, groups=1)))
    return compare(_base(conv, case), np.concatenate(parts, axis=1),
                   f"groups {g} vs {g} separate convolutions concatenated")


def spread(w: np.ndarray, dilation) -> np.ndarray:
    """The kernel with D - 1 zeros between its taps on every spatial axis."""
    shape = (*w.shape[:2], *(d * (k - 1) + 1 for k, d in zip(w.shape[2:], dilation, strict=True)))
    out = np.zeros(shape, dtype=w.dtype)
    out[(slice(None), slice(None), *(slice(None, None, d) for d in dilation))] = w
    return out


def _check_dilation(conv: Conv, case: LawCase) -> str | None:
    dilation = case.call.attributes.dilation
    rhs = _base(conv, case, w=spread(case.arrays["w"], dilation), dilation=(1,) * len(dilation))
    return compare(_base(conv, case), rhs, f"dilation {list(dilation)} vs the kernel spread with zeros")


def combined_kernel(*kernels: np.ndarray) -> np.ndarray:
    """The one kernel equal to cross-correlating with each of ``kernels`` in turn (no bias, stride 1):
    per pair of channels, the full convolution of the kernels along the chain of channels."""
    total = kernels[0].astype(np.float64)
    for k in kernels[1:]:
        k = k.astype(np.float64)
        out = np.zeros((k.shape[0], total.shape[1],
                        *(a + b - 1 for a, b in zip(total.shape[2:], k.shape[2:], strict=True))))
        for o, c, m in itertools.product(range(k.shape[0]), range(total.shape[1]), range(k.shape[1])):
            out[o, c] += signal.convolve(total[m, c], k[o, m], mode="full", method="direct")
        total = out
    return total


def _check_stacked(conv: Conv, case: LawCase) -> str | None:
    k2, k3 = case.extra["k2"], case.extra["k3"]
    x, k1 = case.arrays["x"], case.arrays["w"]
    y = x
    for k in (k1, k2, k3):  # the case's call is stride 1, no padding, no bias: each step makes the same
        y = _base(conv, case, x=np.asarray(y), w=k)
    kernel = combined_kernel(k1, k2, k3).astype(k1.dtype)
    rhs = _base(conv, case, w=kernel)
    three, seven = ("x".join([n] * case.call.rank) for n in "37")
    return compare(y, rhs, f"three stacked {three} convolutions vs one {seven} convolution")


def interior(size: int, out: int, stride: int, dilation: int, kernel: int, pad: int) -> np.ndarray:
    """Output positions whose window lies wholly inside an input of ``size`` (no padding read)."""
    i = np.arange(out)
    start = i * stride - pad
    return (start >= 0) & (start + dilation * (kernel - 1) <= size - 1)


def _check_translation(conv: Conv, case: LawCase) -> str | None:
    shift, x, attrs = case.extra["shift"], case.arrays["x"], case.call.attributes
    cropped = x[(slice(None), slice(None), *(slice(k * s, None) for k, s in zip(
        shift, attrs.stride, strict=True)))]
    y, y2 = _wide(_base(conv, case)), _wide(_base(conv, case, x=cropped))
    rank = len(shift)
    keep = []
    for a in range(rank):
        if y2.ndim != rank + 2:
            break
        mask = interior(cropped.shape[2 + a], y2.shape[2 + a], attrs.stride[a], attrs.dilation[a],
                        case.call.shape("w")[2 + a], attrs.padding[a][0])
        keep.append(np.flatnonzero(mask))
    if y2.ndim != rank + 2 or y.ndim != rank + 2:
        return f"translation: outputs of {y.ndim} and {y2.ndim} dims"
    if any(len(k) == 0 for k in keep):
        return None  # no output position away from the borders
    if any(k[-1] + s >= n for k, s, n in zip(keep, shift, y.shape[2:], strict=True)):
        return (f"translation by {list(shift)} strides: the shifted input gives interior outputs the "
                f"input does not have (outputs {list(y2.shape)} and {list(y.shape)})")
    lhs = y2[np.ix_(range(y2.shape[0]), range(y2.shape[1]), *keep)]
    rhs = y[np.ix_(range(y.shape[0]), range(y.shape[1]), *(k + s for k, s in zip(keep, shift, strict=True)))]
    return compare(lhs, rhs, f"input shifted by {list(shift)} strides vs output shifted by {list(shift)}, "
                             "away from the borders")


LAWS = (
    Law("linearity-x", "conv(a*x1 + x2, w) = a*conv(x1, w) + conv(x2, w)", _draw_linear_x, _check_linear_x),
    Law("linearity-w", "conv(x, a*w1 + w2) = a*conv(x, w1) + conv(x, w2)", _draw_linear_w, _check_linear_w),
    Law("padding", "padding P = the explicitly zero-padded input with no padding", _draw_plain,
        _check_padding),
    Law("stride", "stride S = stride 1 with every S-th output kept", _draw_plain, _check_stride),
    Law("groups", "g groups = g separate convolutions concatenated", _draw_groups, _check_groups,
        needs=("groups",)),
    Law("dilation", "dilation D = the kernel spread with D-1 zeros between taps", _draw_plain,
        _check_dilation, needs=("dilation",)),
    Law("stacked-3x3", "three stacked 3x3 = one 7x7 (kernel: the full convolution of the three)",
        _draw_stacked, _check_stacked, needs=("float",)),
    Law("translation", "shifting the input by k strides shifts the output by k, away from borders",
        _draw_translation, _check_translation),
)
LAWS_BY_NAME = {law.name: law for law in LAWS}


def law_calls(law: Law, implementation: object, case: LawCase) -> list[Case]:
    """Every call the law makes on ``case`` (of each operator it uses), as vectors can state them,
    in order. ``implementation`` is what :meth:`Law.implementation` gives."""
    recorded: list[Case] = []

    def recorder(op: str, function: Callable) -> Callable:
        names = (*ops.operator(op).required, *ops.operator(op).optional)

        def recording(*args, **keywords):
            inputs = {name: _exact(a) for name, a in zip(names, args, strict=False) if a is not None}
            attrs = {k: _written(k, v) for k, v in keywords.items()}
            rank = len(keywords.get("stride", ()))
            defaults = {"padding": [[0, 0]] * rank, "groups": 1, "output_padding": [0] * rank,
                        "stride": [1] * rank, "dilation": [1] * rank}
            attrs = {k: v for k, v in attrs.items() if k not in defaults or v != defaults[k]}
            recorded.append(Case.of(case.call.dtype, inputs, attrs, op=op))
            return function(*args, **keywords)
        return recording

    if law.uses == ("conv",):
        law.check(recorder("conv", implementation), case)
    else:
        law.check(SimpleNamespace(**{name: recorder(name, getattr(implementation, name))
                                     for name in law.uses}), case)
    return recorded


def _written(name: str, value: object) -> object:
    """An attribute as a vector writes it: padding as pairs, groups as an int, others as lists."""
    if name == "padding":
        return [list(p) for p in value]
    return value if name == "groups" else list(value)


def _exact(a) -> np.ndarray:
    a = np.asarray(a)
    return a.astype(np.int64) if a.dtype.kind in "iub" else a.astype(np.float64)
