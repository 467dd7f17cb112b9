"""The space of convolution calls, as builders over a stream of integer choices, and as Hypothesis
strategies.

``build_valid`` makes only valid cases (a :class:`~convspec.conformance.call.Call` with its
values, see :class:`.cases.Case`): rank 1-3, batch, channels, groups, kernel, stride, dilation,
every padding mode (none, explicit asymmetric pairs, one int, valid, same_upper,
same_lower), an optional bias, every dtype, and per tensor one value distribution: small
integers, random floats exact in the dtype, special values (NaN, infinities, signed zeros,
subnormals, the largest finite value) for floats, full-range integers with their extremes for
integer dtypes. ``build_invalid`` breaks a valid call in one of the ways the reference rejects,
and records the reference's ConvArgumentError kind.

A builder takes every decision through ``chooser.integer(lo, hi)``, so the same code runs two ways:

- ``RandomChooser``: draws from a NumPy generator and records the choices. The fuzz loop searches
  with it, at the speed of judging (a Hypothesis draw costs far more than judging a small case).
- ``HypothesisChooser``: each choice is ``draw(st.integers(lo, hi))``; ``valid_cases`` and
  ``invalid_cases`` are the Hypothesis strategies. A failure found by the search is handed to
  Hypothesis as the recorded choice sequence, and Hypothesis shrinks it.

Choices are ordered so that shrinking works: the dtype, then the shape and attributes (always the
same number of choices, whatever the rank or padding mode), then the values (a pool of choices per
tensor, looked up by element index, so the values stay in place while the shape shrinks). Every
choice shrinks towards the simplest call: float64, rank 1, one group, one channel, batch 1,
kernel 1, stride 1, dilation 1, no padding, no bias, small integers near zero.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np
from hypothesis import reject
from hypothesis import strategies as st

from .. import ops
from ..backends import Backend
from ..call import Call
from ..dtypes import FLOAT_DTYPES, INT_DTYPES, INT_OUTPUT, finfo, overflow_threshold, unit_roundoff
from ..tolerance import PROFILES, gamma
from .cases import Case

DTYPES = (*FLOAT_DTYPES, *INT_DTYPES)  # float64 first: the shrinker's simplest dtype
PADDING_MODES = ("none", "pairs", "int", "valid", "same_upper", "same_lower")

# Largest |value| of the random exact floats: products stay finite, sums rarely overflow.
FLOAT_RANGE = {"float64": 2.0**30, "float32": 2.0**20, "float16": 2.0**7, "bfloat16": 2.0**20}
# Largest |b| + sum |x|*|w| an integer call may reach: its output type's range (int64 kept a
# factor 2 inside, so the reference's exact int64 magnitude cannot wrap).
INT_LIMIT = {"int8": 2**31 - 1, "uint8": 2**31 - 1, "int32": 2**62 - 1}


class Rejected(Exception):
    """The choices describe no case of the kind wanted (rare): draw another one."""


# --- choosers ---------------------------------------------------------------------------------

class Chooser(Protocol):
    def integer(self, lo: int, hi: int) -> int: ...

    def integers(self, lo: int, hi: int, count: int) -> list[int]: ...


@functools.lru_cache(maxsize=4096)
def _ints(lo: int, hi: int) -> st.SearchStrategy[int]:
    return st.integers(lo, hi)


class HypothesisChooser:
    """Choices drawn by Hypothesis (which then can shrink them), one draw per choice.

    Each position gets its own span label: the choices mean different things, and with one label
    for all, Hypothesis's shrinker spends most of its time trying to reorder them.
    """

    def __init__(self, draw: Callable):
        self.draw = draw
        self.position = 0

    def integer(self, lo: int, hi: int) -> int:
        self.position += 1
        return self.draw(_ints(lo, hi), label=(0x9E3779B97F4A7C15 * self.position) & (2**64 - 1))

    def integers(self, lo: int, hi: int, count: int) -> list[int]:
        return [self.integer(lo, hi) for _ in range(count)]


class RandomChooser:
    """Choices drawn from a NumPy generator, recorded so Hypothesis can replay and shrink them.

    Like Hypothesis, it favours the ends of a range (and 0) a little.
    """

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.choices: list[int] = []
        self.marks: list[int] = []

    def integers(self, lo: int, hi: int, count: int) -> list[int]:
        values = self.rng.integers(lo, hi, size=count, endpoint=True, dtype=np.int64)
        r = self.rng.random(count)
        values = np.where(r < 0.04, lo, np.where(r < 0.07, hi, values))
        if lo <= 0 <= hi:
            values = np.where((r >= 0.07) & (r < 0.09), 0, values)
        chosen = values.tolist()
        self.choices.extend(chosen)
        return chosen

    def integer(self, lo: int, hi: int) -> int:
        return self.integers(lo, hi, 1)[0]


class ReplayChooser:
    """Choices replayed from a list (clamped into each range; the lowest once the list runs out),
    recording the choices actually made: for trying variants of a recorded case."""

    def __init__(self, choices: Sequence[int]):
        self.source = list(choices)
        self.choices: list[int] = []
        self.marks: list[int] = []

    def integers(self, lo: int, hi: int, count: int) -> list[int]:
        return [self.integer(lo, hi) for _ in range(count)]

    def integer(self, lo: int, hi: int) -> int:
        position = len(self.choices)
        value = self.source[position] if position < len(self.source) else lo
        value = min(max(value, lo), hi)
        self.choices.append(value)
        return value


def mark(c: Chooser) -> None:
    """Note where the shape's choices end (the engine shrinks those first)."""
    if isinstance(c, RandomChooser | ReplayChooser):
        c.marks.append(len(c.choices))


def pick(c: Chooser, options: Sequence):
    return options[c.integer(0, len(options) - 1)]


def flag(c: Chooser) -> bool:
    return c.integer(0, 1) == 1


def strategy(build: Callable[[Chooser], object]) -> st.SearchStrategy:
    """The Hypothesis strategy of a builder."""

    @st.composite
    def drawn(draw):
        try:
            return build(HypothesisChooser(draw))
        except Rejected:
            reject()

    return drawn()


# --- the space ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Space:
    """Which calls to build: the dtypes and ranks, and how large each attribute may get."""

    dtypes: tuple[str, ...] = DTYPES
    ranks: tuple[int, ...] = (1, 2, 3)
    max_size: int = 6  # largest spatial extent of the input (a larger kernel may force more)
    max_batch: int = 2
    max_groups: int = 3
    max_group_channels: int = 2
    max_kernel: int = 3
    max_stride: int = 3
    max_dilation: int = 3
    max_padding: int = 2
    max_elements: int = 192  # largest input tensor, elements (rank-3 inputs stay small)
    groups: bool = True  # groups > 1 may be drawn
    dilation: bool = True  # dilation > 1 may be drawn
    special_values: bool = True  # NaN, infinities and subnormals in float tensors
    profile: str = "strict"  # the accuracy profile the cases are judged with

    @classmethod
    def for_backend(cls, backend: Backend, dtypes: tuple[str, ...] | None = None, **limits) -> Space:
        """The space a backend declares it supports, narrowed to ``dtypes`` when given."""
        chosen = tuple(d for d in (dtypes or DTYPES) if backend.dtypes is None or d in backend.dtypes)
        ranks = tuple(r for r in (1, 2, 3) if backend.ranks is None or r in backend.ranks)
        if not chosen:
            raise ValueError(f"backend {backend.name} supports none of the dtypes "
                             f"{', '.join(dtypes or DTYPES)}")
        if not ranks:
            raise ValueError(f"backend {backend.name} declares no rank from 1 to 3")
        return cls(dtypes=chosen, ranks=ranks, groups=backend.groups, dilation=backend.dilation,
                   **limits)


# --- values -------------------------------------------------------------------------------------
# A tensor's values come from a pool of choices (see Pool), each mapped to a value of the tensor's
# distribution so that choice 0 is the simplest value (0, or 1.0 for random floats) and small
# choices are simple ones: Hypothesis shrinks them towards those.

SIMPLE = [0.0, 1.0, -1.0, 2.0, -2.0, 3.0, -3.0, 4.0, -4.0]


def _float_specials(dtype: str, nonfinite: bool) -> list[float]:
    info = finfo(FLOAT_DTYPES[dtype])
    tiny, normal, big = float(info.smallest_subnormal), float(info.smallest_normal), float(info.max)
    values = [-0.0, tiny, -tiny, normal - tiny, normal, big, -big]
    return [*SIMPLE, *values, *([math.nan, math.inf, -math.inf] if nonfinite else [])]


@dataclass(frozen=True, eq=False)
class Distribution:
    """How one choice in [0, top] becomes an element value (vectorised)."""

    name: str
    top: int
    decode: Callable[[np.ndarray], np.ndarray]  # int64 choices -> float64 or int64 values
    integer: bool = False


def _exponents(dtype: str) -> np.ndarray:
    """Exponents of the random exact floats, simplest (2**0) first: 0, 1, -1, 2, -2, ..."""
    top = int(math.log2(FLOAT_RANGE[dtype])) - 1
    return np.array(sorted(range(-12, top + 1), key=lambda e: (abs(e), -e)))


def _exact_floats(dtype: str) -> Distribution:
    """Random floats with the dtype's significand bits, |v| in [2**-12, FLOAT_RANGE): exact in it.

    Choice k: sign k % 2, then exponent index (k // 2) % E, then significand k // (2E); so 0 is
    1.0, and small choices are small powers of two.
    """
    exponents = _exponents(dtype)
    bits = int(finfo(FLOAT_DTYPES[dtype]).nmant)
    count = len(exponents)

    def decode(k: np.ndarray) -> np.ndarray:
        sign = np.where(k % 2 == 1, -1.0, 1.0)
        exponent = exponents[(k // 2) % count]
        significand = (k // (2 * count)).astype(np.float64)
        return sign * (1.0 + significand / 2.0**bits) * np.exp2(exponent)

    return Distribution("exact", 2 * count * 2**bits - 1, decode)


@functools.cache
def float_distribution(dtype: str, kind: str, nonfinite: bool = True) -> Distribution:
    """'small' integers, random 'exact' floats, or 'special' values (with NaN/Inf if ``nonfinite``)."""
    table = np.array(SIMPLE if kind == "small" else _float_specials(dtype, nonfinite))
    if kind == "exact":
        return _exact_floats(dtype)
    return Distribution(kind, len(table) - 1, lambda k: table[k])


@functools.lru_cache(maxsize=4096)
def int_distribution(dtype: str, kind: str, bound: int | None = None) -> Distribution:
    """'small' or 'wide' (full range; the chooser favours the extremes) integers of ``dtype``,
    within |v| <= bound. ``dtype`` may also be 'int64', for the bias of an int32 call.

    Choice k counts outwards from 0 (0, 1, -1, 2, -2, ...) within the range.
    """
    info = np.iinfo(INT_DTYPES.get(dtype, np.dtype(np.int64)))
    lo, hi = int(info.min), int(info.max)
    if dtype not in INT_DTYPES:
        bound = min(bound or INT_LIMIT["int32"], INT_LIMIT["int32"])  # int64 choices stay in range
    if bound is not None:
        lo, hi = max(lo, -bound), min(hi, bound)
    if kind == "small":
        lo, hi = max(lo, 0 if lo == 0 else -4), min(hi, 8 if lo == 0 else 4)
    if lo == 0:
        return Distribution(kind, hi, lambda k: k, integer=True)
    both = min(hi, -lo)  # values -both..both alternate, the rest of the longer side follows

    def decode(k: np.ndarray) -> np.ndarray:
        alternating = np.where(k % 2 == 1, (k + 1) // 2, -(k // 2))
        rest = k - 2 * both  # beyond the alternating part: the longer side, outwards
        longer = np.where(hi > -lo, both + rest, -both - rest)
        return np.where(k <= 2 * both, alternating, longer)

    return Distribution(kind, hi - lo, decode, integer=True)


POOL_SIZES = {"x": 17, "w": 17, "b": 5}
# Where an element takes its value from: (last spatial index + an offset for each other index)
# mod the pool size, the offsets fixed pseudo-random numbers with offset 0 at index 0. An element's
# value depends on its own index only, not on the shape: when Hypothesis makes an axis shorter or
# drops an axis, the remaining elements keep their values.
_OFFSETS = np.random.default_rng(20240607).integers(1, 1 << 16, size=(5, 256))
_OFFSETS[:, 0] = 0


@dataclass(frozen=True, eq=False)
class Pool:
    """A tensor's values: a distribution, and a few choices the elements take their values from.

    The choices come after the shape's (a fixed number of them), so they stay in place while
    Hypothesis shrinks the shape, and every value is one of them, which Hypothesis shrinks towards
    the simplest value. (Values drawn from a seed would vanish with the elements they fill.) Along
    the last spatial axis (the only axis of a bias) consecutive elements take consecutive choices.
    """

    dist: Distribution
    raw: np.ndarray  # int64 choices

    def fill(self, shape: tuple[int, ...]) -> np.ndarray:
        index = np.indices(shape, sparse=True)
        last = len(shape) - 1
        # offset tables: 0 for the batch (or output channel) axis, 1 for the channel axis, 2 and 3
        # for the spatial axes before the last, counted from it (so a call of lower rank, which
        # keeps the last spatial axes, gives its elements the same values)
        tables = [0, 1][:last] + [1 + last - a for a in range(2, last)]
        where = index[last] + sum(_OFFSETS[t][i % 256] for t, i in zip(tables, index[:last], strict=True))
        values = self.dist.decode(self.raw[np.asarray(where) % len(self.raw)])
        return np.broadcast_to(np.asarray(values, dtype=np.int64 if self.dist.integer else np.float64),
                               shape).copy()


def pool(c: Chooser, dist: Distribution, size: int) -> Pool:
    return Pool(dist, np.array(c.integers(0, dist.top, size), dtype=np.int64))


def tensor(c: Chooser, shape: tuple[int, ...], dist: Distribution) -> np.ndarray:
    """A tensor of ``shape`` whose values are chosen after its shape (see :class:`Pool`)."""
    return pool(c, dist, min(math.prod(shape), max(POOL_SIZES.values()))).fill(shape)


def _max_abs(a: np.ndarray) -> int:
    return int(np.max(np.abs(a))) if a.size else 0


def choose_pools(c: Chooser, dtype: str, space: Space, small: bool = False) -> dict[str, Pool]:
    """The value pools of x, w and b: a distribution for each, then its choices."""
    if dtype in INT_DTYPES:
        kinds = ("small",) if small else ("small", "wide")
        bias_type = "int32" if INT_OUTPUT[dtype] == np.int32 else "int64"
        types = {"x": dtype, "w": dtype, "b": bias_type}
        return {name: pool(c, int_distribution(types[name], pick(c, kinds)), size)
                for name, size in POOL_SIZES.items()}
    kinds = ("small", "exact", "special") if space.special_values else ("small", "exact")
    kinds = ("small",) if small else kinds
    return {name: pool(c, float_distribution(dtype, pick(c, kinds)), size)
            for name, size in POOL_SIZES.items()}


def fill_values(pools: dict[str, Pool], call: Call, *, nonfinite_x: bool = True,
                nonfinite_w: bool = True) -> dict[str, np.ndarray]:
    """The input tensors of ``call`` from their pools. Integer weights and bias are clipped so that
    the exact result fits the output type; float NaN and infinities are zeroed where not allowed."""
    dtype = call.dtype
    arrays = {name: pools[name].fill(spec.shape) for name, spec in call.tensors.items()}
    if dtype in INT_DTYPES:
        terms = ops.operator(call.op).most_terms(call)
        limit = INT_LIMIT[dtype]
        bound_w = limit // (max(terms, 1) * max(_max_abs(arrays["x"]), 1))
        arrays["w"] = np.clip(arrays["w"], -bound_w, bound_w)
        if "b" in arrays:
            room = limit - terms * _max_abs(arrays["x"]) * _max_abs(arrays["w"])
            arrays["b"] = np.clip(arrays["b"], -room, room)
        return arrays
    for name, allowed in (("x", nonfinite_x), ("w", nonfinite_w)):
        if not allowed:
            arrays[name] = np.where(np.isfinite(arrays[name]), arrays[name], 0.0)
    return arrays


def small_tensor(c: Chooser, shape: tuple[int, ...], dtype: str) -> np.ndarray:
    dist = int_distribution(dtype, "small") if dtype in INT_DTYPES else float_distribution(dtype, "small")
    return tensor(c, shape, dist)


def overflow_depends_on_order(call: Call, arrays: dict[str, np.ndarray], profile: str) -> bool:
    """Whether some output element's finite products can overflow a partial sum in one summation
    order and not in another. There the accuracy rule accepts inf or NaN, and a finite result
    within a bound as large as the overflowing sum of |x|*|w|: such an element judges next to
    nothing, so such calls are not generated."""
    if call.dtype in INT_DTYPES:
        return False
    acc = PROFILES[profile].precision(FLOAT_DTYPES[call.dtype]).accumulate
    threshold = overflow_threshold(acc)
    finite = {k: np.where(np.isfinite(v), np.abs(v), 0.0) for k, v in arrays.items()}
    terms = ops.operator(call.op).most_terms(call) + ("b" in arrays)
    room = 1 + gamma(terms, unit_roundoff(acc))
    bound = (terms * float(finite["x"].max(initial=0)) * float(finite["w"].max(initial=0))
             + float(finite["b"].max(initial=0) if "b" in finite else 0))
    if bound * room < threshold / 2:
        return False
    with np.errstate(over="ignore", invalid="ignore"):
        magnitude = ops.operator(call.op).reference(call, finite)
        return bool(np.any(magnitude * room >= threshold))


# --- attributes --------------------------------------------------------------------------------

def _per_axis(values: Sequence[int], default: int = 1):
    """The attribute as a vector writes it: absent at the default, else one entry per axis."""
    return None if all(v == default for v in values) else list(values)


def _padding_attribute(mode: str, pairs: list[tuple[int, int]], single: int):
    if mode == "none":
        return None
    if mode == "pairs":
        return [list(p) for p in pairs]
    if mode == "int":
        return single
    return mode


MAX_RANK = 3


def build_structure(c: Chooser, space: Space, dtype: str) -> tuple[Call, dict]:
    """The call's shapes and attributes, before its values: the call, and its attributes as a
    vector writes them. Always the same number of choices (every per-axis choice is made for three
    axes, every padding choice whatever the mode), so that the value choices after them stay in
    place while Hypothesis shrinks the rank or the padding mode."""
    rank = pick(c, space.ranks)
    groups = c.integer(1, space.max_groups) if space.groups else 1
    group_channels = c.integer(1, space.max_group_channels)
    group_outputs = c.integer(1, space.max_group_channels)
    batch = c.integer(1, space.max_batch)
    unused = MAX_RANK - rank  # a call of rank r uses the last r of the three axes' choices
    kernel = tuple(c.integer(1, space.max_kernel) for _ in range(MAX_RANK))[unused:]
    stride = tuple(c.integer(1, space.max_stride) for _ in range(MAX_RANK))[unused:]
    most = space.max_dilation if space.dilation else 1
    dilation = tuple(c.integer(1, most) for _ in range(MAX_RANK))[unused:]
    mode = pick(c, PADDING_MODES)
    pad = space.max_padding
    drawn_pairs = [(c.integer(0, pad), c.integer(0, pad)) for _ in range(MAX_RANK)]
    single = c.integer(0, space.max_padding)
    pairs = {"pairs": drawn_pairs[unused:], "int": [(single, single)] * rank}.get(mode, [(0, 0)] * rank)
    # Spatial sizes: at least what the (dilated) kernel needs, at most max_size, and the whole
    # input within max_elements.
    budget = max(space.max_elements // (batch * groups * group_channels), 1)
    lows = [1 if mode.startswith("same") else max(1, d * (k - 1) + 1 - p0 - p1)
            for k, d, (p0, p1) in zip(kernel, dilation, pairs, strict=True)]
    spatial = []
    for _ in range(unused):
        c.integer(1, space.max_size)  # unused: keeps the number of choices fixed
    for axis in range(rank):
        low = lows[axis]
        high = max(low, min(space.max_size, budget // max(math.prod(lows[axis + 1:]), 1)))
        size = c.integer(low, high)
        spatial.append(size)
        budget = max(budget // size, 1)
    padding = _padding_attribute(mode, pairs, single)
    bias = flag(c)
    outputs = groups * group_outputs
    shapes = {"x": (batch, groups * group_channels, *spatial), "w": (outputs, group_channels, *kernel)}
    if bias:
        shapes["b"] = (outputs,)
    written = {"stride": _per_axis(stride), "dilation": _per_axis(dilation), "padding": padding,
               "groups": groups if groups != 1 else None}
    written = {k: v for k, v in written.items() if v is not None}
    return ops.CONV.call(dtype, shapes, written), written


def build_valid(c: Chooser, space: Space) -> Case:
    """A valid convolution case from ``space`` (see the module docstring)."""
    dtype = pick(c, space.dtypes)
    call, written = build_structure(c, space, dtype)
    mark(c)
    pools = choose_pools(c, dtype, space)
    # NaN and infinities stay out of two places where the references have disagreed: an input
    # value that only a dilated kernel's gap meets (the SciPy reference of commit 3683600
    # multiplies it by the gap's 0), and a weight over padding (the fast reference multiplies it by
    # the padded 0, giving NaN; the exact reference skips the product).
    resolved = call.attributes
    inputs = fill_values(pools, call, nonfinite_x=all(d == 1 for d in resolved.dilation),
                         nonfinite_w=all(p == (0, 0) for p in resolved.padding))
    if overflow_depends_on_order(call, inputs, space.profile):
        raise Rejected
    return Case(call, inputs, written)


# --- invalid calls -----------------------------------------------------------------------------

BREAKERS = ("stride", "dilation", "padding", "groups", "groups-input-channels", "groups-output-channels",
            "weight-channels", "bias-shape", "output-size", "rank", "attribute-length")


def build_invalid(c: Chooser, space: Space) -> Case:
    """A case the reference rejects, with the kind of ConvArgumentError it raises.

    A valid call (small-integer values) is broken in one way: a stride, dilation or groups below
    1, a negative padding, channels that do not split into the groups, weights with the wrong
    channel count, a bias of the wrong shape, a kernel larger than the padded input, weights of
    another rank than the input, or an attribute list with the wrong number of entries.
    """
    dtype = pick(c, space.dtypes)
    call, written = build_structure(c, space, dtype)
    mark(c)
    pools = choose_pools(c, dtype, space, small=True)
    rank = call.rank
    resolved = call.attributes
    inputs = fill_values(pools, call)
    attrs = dict(written)
    pairs = [list(p) for p in resolved.padding]
    breaker = pick(c, BREAKERS)
    axis = c.integer(0, rank - 1)
    x, w = inputs["x"], inputs["w"]
    outputs, group_channels = w.shape[0], w.shape[1]
    group_outputs = outputs // resolved.groups
    if breaker in ("stride", "dilation"):
        attrs["padding"] = pairs  # a named mode cannot be resolved with a stride or dilation below 1
        values = list(getattr(resolved, breaker))
        values[axis] = c.integer(-2, 0)
        attrs[breaker] = values
    elif breaker == "padding":
        pairs[axis][c.integer(0, 1)] = c.integer(-3, -1)
        attrs["padding"] = pairs
    elif breaker == "groups":
        attrs["groups"] = c.integer(-2, 0)
    elif breaker == "groups-input-channels":
        groups = c.integer(2, 3)
        attrs["groups"] = groups
        extra = c.integer(1, groups - 1)
        inputs["x"] = small_tensor(c, (x.shape[0], groups * group_channels + extra, *x.shape[2:]), dtype)
        inputs["w"] = small_tensor(c, (groups * group_outputs, group_channels, *w.shape[2:]), dtype)
        inputs.pop("b", None)
    elif breaker == "groups-output-channels":
        groups = c.integer(2, 3)
        attrs["groups"] = groups
        inputs["x"] = small_tensor(c, (x.shape[0], groups * group_channels, *x.shape[2:]), dtype)
        inputs["w"] = small_tensor(c, (groups * group_outputs + c.integer(1, groups - 1),
                                       group_channels, *w.shape[2:]), dtype)
        inputs.pop("b", None)
    elif breaker == "weight-channels":
        change = pick(c, (1, -1) if group_channels > 1 else (1,))
        inputs["w"] = small_tensor(c, (outputs, group_channels + change, *w.shape[2:]), dtype)
    elif breaker == "bias-shape":
        bias_shape = pick(c, ((outputs + 1,), (outputs, 1)) + (((outputs - 1,),) if outputs > 1 else ()))
        inputs["b"] = small_tensor(c, bias_shape, "int32" if dtype in INT_DTYPES else dtype)
    elif breaker == "output-size":
        pairs[axis] = [0, 0]
        attrs["padding"] = pairs
        kernel = list(w.shape[2:])
        kernel[axis] = x.shape[2 + axis] + 1 + c.integer(0, 1)
        inputs["w"] = small_tensor(c, (outputs, group_channels, *kernel), dtype)
    elif breaker == "rank":
        attrs["padding"] = pairs  # a named mode cannot be resolved for weights of another rank
        if rank < 3 and (rank == 1 or flag(c)):
            inputs["w"] = small_tensor(c, (*w.shape, c.integer(1, 2)), dtype)
        else:
            inputs["w"] = np.ascontiguousarray(w[..., 0])
    else:  # attribute-length
        name = pick(c, ("stride", "dilation", "padding"))
        length = pick(c, tuple(n for n in range(1, 5) if n != rank))
        attrs["padding"] = pairs
        if name == "padding":
            attrs["padding"] = [list(pairs[i % rank]) for i in range(length)]
        else:
            values = getattr(resolved, name)
            attrs[name] = [values[i % rank] for i in range(length)]
    if attrs.get("padding") == [[0, 0]] * rank:
        del attrs["padding"]
    try:
        case = Case.of(dtype, inputs, attrs)
        objection = ops.operator(case.call.op).objection(case.call)
    except ValueError:  # attributes that name no call: not an error vector of any kind
        objection = None
    if objection is None:
        raise Rejected
    return replace(case, error=objection.kind)


def valid_cases(space: Space | None = None) -> st.SearchStrategy[Case]:
    """Hypothesis strategy: valid cases of ``space`` (see :func:`build_valid`)."""
    space = space or Space()
    return strategy(lambda c: build_valid(c, space))


def invalid_cases(space: Space | None = None) -> st.SearchStrategy[Case]:
    """Hypothesis strategy: invalid cases, with the reference's error kind (see :func:`build_invalid`)."""
    space = replace(space or Space(), special_values=False)
    return strategy(lambda c: build_invalid(c, space))
