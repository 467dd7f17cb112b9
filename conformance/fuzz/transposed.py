"""The space of transposed-convolution calls: conv_transpose's builders, beside conv's in
:mod:`.strategies` (whose choice sequence they leave untouched, so conv's seeds and shrinks stay).

``build_valid`` makes valid conv_transpose cases: rank 1-3, batch, channels, groups, kernel, stride,
dilation, output_padding below max(stride, dilation), and the crop as a vector may write it (none,
explicit pairs, one int, valid, same_upper, same_lower, or an ``output_shape``, bare or with a
same mode that splits its odd crop), always within the full output; an optional bias; every
dtype; the value distributions of conv. Non-finite values go anywhere: the spec scatters only the
products that exist (no zero is inserted between inputs), and the reference computes exactly that,
so where an implementation inserting zeros makes inf * 0 = NaN, it deviates from the spec.
``build_invalid`` breaks a valid call in one of the ways ``check_conv_transpose_arguments``
rejects, recording its error kind.

The order of choices follows conv's for the same reasons (see :mod:`.strategies`): dtype, a fixed
number of shape and attribute choices (every per-axis choice for three axes, every crop choice
whatever the mode), the mark, then the value pools. Every choice shrinks towards the simplest call.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from ..call import Call
from ..dtypes import INT_DTYPES
from ..ops.conv_transpose import OPERATOR as CONV_TRANSPOSE
from .cases import Case
from .strategies import (
    MAX_RANK,
    Chooser,
    Rejected,
    Space,
    _per_axis,
    choose_pools,
    fill_values,
    flag,
    mark,
    overflow_depends_on_order,
    pick,
    small_tensor,
)

OP = "conv_transpose"
PADDING_MODES = ("none", "pairs", "int", "valid", "same_upper", "same_lower", "output_shape")
# what output_shape is written with: nothing (ONNX then puts an odd crop first), or a same mode
OUTPUT_SHAPE_WITH = (None, "same_upper", "same_lower")


def full_size(size: int, kernel: int, stride: int, dilation: int, extra: int) -> int:
    """The length of the full scatter plus output_padding, before the crop."""
    return (size - 1) * stride + dilation * (kernel - 1) + 1 + extra


def build_structure(c: Chooser, space: Space, dtype: str) -> tuple[Call, dict]:
    """The call's shapes and attributes, before its values, and its attributes as a vector writes
    them; always the same number of choices (see the module docstring)."""
    rank = pick(c, space.ranks)
    groups = c.integer(1, space.max_groups) if space.groups else 1
    group_channels = c.integer(1, space.max_group_channels)  # C_in / groups
    group_outputs = c.integer(1, space.max_group_channels)  # C_out / groups
    batch = c.integer(1, space.max_batch)
    unused = MAX_RANK - rank  # a call of rank r uses the last r of the three axes' choices
    kernel = tuple(c.integer(1, space.max_kernel) for _ in range(MAX_RANK))
    stride = tuple(c.integer(1, space.max_stride) for _ in range(MAX_RANK))
    most = space.max_dilation if space.dilation else 1
    dilation = tuple(c.integer(1, most) for _ in range(MAX_RANK))
    # below max(stride, dilation), the only output_padding the spec allows on the axis
    extra = tuple(c.integer(0, max(s, d) - 1) for s, d in zip(stride, dilation, strict=True))
    kernel, stride, dilation, extra = (t[unused:] for t in (kernel, stride, dilation, extra))
    mode = pick(c, PADDING_MODES)
    pad = space.max_padding
    drawn_pairs = [(c.integer(0, pad), c.integer(0, pad)) for _ in range(MAX_RANK)]
    single = c.integer(0, pad)
    # output_shape: the crop from the full size, negative to grow it by output_padding up to the
    # axis's limit (clamped below, once the input size is known)
    crops = [c.integer(-(max(space.max_stride, most) - 1), 2 * pad) for _ in range(MAX_RANK)][unused:]
    shape_with = pick(c, OUTPUT_SHAPE_WITH)
    pairs = {"pairs": drawn_pairs[unused:], "int": [(single, single)] * rank}.get(mode, [(0, 0)] * rank)
    # Input sizes: at least what keeps the cropped output non-empty, at most max_size, and the whole
    # input within max_elements.
    budget = max(space.max_elements // (batch * groups * group_channels), 1)
    lows = [max(1, 1 + math.ceil((p0 + p1 - d * (k - 1) - e) / s))
            for k, s, d, e, (p0, p1) in zip(kernel, stride, dilation, extra, pairs, strict=True)]
    spatial = []
    for _ in range(unused):
        c.integer(1, space.max_size)  # unused: keeps the number of choices fixed
    for axis in range(rank):
        low = lows[axis]
        high = max(low, min(space.max_size, budget // max(math.prod(lows[axis + 1:]), 1)))
        size = c.integer(low, high)
        spatial.append(size)
        budget = max(budget // size, 1)
    bias = flag(c)
    outputs = groups * group_outputs
    shapes = {"x": (batch, groups * group_channels, *spatial),
              "w": (groups * group_channels, group_outputs, *kernel)}
    if bias:
        shapes["b"] = (outputs,)
    written = {"stride": _per_axis(stride), "dilation": _per_axis(dilation),
               "output_padding": _per_axis(extra, 0), "groups": groups if groups != 1 else None}
    if mode == "output_shape":
        target = []
        for n, k, s, d, e, crop in zip(spatial, kernel, stride, dilation, extra, crops, strict=True):
            full = full_size(n, k, s, d, e)
            target.append(full - min(max(crop, e + 1 - max(s, d)), full - 1))
        written["output_shape"] = target
        written["padding"] = shape_with
    elif mode == "pairs":
        written["padding"] = [list(p) for p in pairs]
    elif mode == "int":
        written["padding"] = single
    elif mode != "none":
        written["padding"] = mode
    written = {k: v for k, v in written.items() if v is not None}
    return CONV_TRANSPOSE.call(dtype, shapes, written), written


def build_valid(c: Chooser, space: Space) -> Case:
    """A valid transposed-convolution case from ``space`` (see the module docstring)."""
    dtype = pick(c, space.dtypes)
    call, written = build_structure(c, space, dtype)
    mark(c)
    pools = choose_pools(c, dtype, space)
    inputs = fill_values(pools, call)
    if overflow_depends_on_order(call, inputs, space.profile):
        raise Rejected
    return Case(call, inputs, written)


# --- invalid calls -----------------------------------------------------------------------------

# conv's kinds but groups-output-channels (C_out = w.shape[1] * groups always splits), and
# output-padding
BREAKERS = ("stride", "dilation", "padding", "output-padding", "groups", "groups-input-channels",
            "weight-channels", "bias-shape", "output-size", "rank", "attribute-length")


def build_invalid(c: Chooser, space: Space) -> Case:
    """A case ``check_conv_transpose_arguments`` rejects, with the kind of ConvArgumentError it raises.

    A valid call (small-integer values) is broken in one way: a stride, dilation or groups below
    1, a negative padding, an output_padding below 0 or at least max(stride, dilation), input
    channels that do not split into the groups, weights whose first axis is not C_in (conv's
    layout), a bias of the wrong shape, a crop that leaves no output, weights of another rank than
    the input, or an attribute list with the wrong number of entries. A breaker that changes what a
    padding mode or output_shape would resolve to writes the resolved padding and output_padding.
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
    channels, group_outputs = w.shape[0], w.shape[1]
    group_channels = channels // resolved.groups
    outputs = group_outputs * resolved.groups

    def explicit() -> None:
        """Write the crop as it resolved: what the breaker changes must not re-resolve it."""
        attrs.pop("output_shape", None)
        attrs["padding"] = pairs
        attrs["output_padding"] = list(resolved.output_padding)

    if breaker in ("stride", "dilation"):
        explicit()
        values = list(getattr(resolved, breaker))
        values[axis] = c.integer(-2, 0)
        attrs[breaker] = values
    elif breaker == "padding":
        explicit()
        pairs[axis][c.integer(0, 1)] = c.integer(-3, -1)
    elif breaker == "output-padding":
        explicit()
        limit = max(resolved.stride[axis], resolved.dilation[axis])
        attrs["output_padding"][axis] = limit + c.integer(0, 1) if flag(c) else c.integer(-2, -1)
    elif breaker == "groups":
        attrs["groups"] = c.integer(-2, 0)
    elif breaker == "groups-input-channels":
        groups = c.integer(2, 3)
        attrs["groups"] = groups
        channels = groups * group_channels + c.integer(1, groups - 1)
        inputs["x"] = small_tensor(c, (x.shape[0], channels, *x.shape[2:]), dtype)
        inputs["w"] = small_tensor(c, (channels, group_outputs, *w.shape[2:]), dtype)
        inputs.pop("b", None)
    elif breaker == "weight-channels":
        change = pick(c, (1, -1) if channels > 1 else (1,))
        inputs["w"] = small_tensor(c, (channels + change, group_outputs, *w.shape[2:]), dtype)
    elif breaker == "bias-shape":
        bias_shape = pick(c, ((outputs + 1,), (outputs, 1)) + (((outputs - 1,),) if outputs > 1 else ()))
        inputs["b"] = small_tensor(c, bias_shape, "int32" if dtype in INT_DTYPES else dtype)
    elif breaker == "output-size":
        explicit()
        full = full_size(x.shape[2 + axis], w.shape[2 + axis], resolved.stride[axis],
                         resolved.dilation[axis], resolved.output_padding[axis])
        total = full + c.integer(0, 1)
        before = c.integer(0, total)
        pairs[axis] = [before, total - before]
    elif breaker == "rank":
        explicit()  # a named mode cannot be resolved for weights of another rank
        if rank < 3 and (rank == 1 or flag(c)):
            inputs["w"] = small_tensor(c, (*w.shape, c.integer(1, 2)), dtype)
        else:
            inputs["w"] = np.ascontiguousarray(w[..., 0])
    else:  # attribute-length
        explicit()
        name = pick(c, ("stride", "dilation", "padding", "output_padding"))
        length = pick(c, tuple(n for n in range(1, 5) if n != rank))
        if name == "padding":
            attrs["padding"] = [list(pairs[i % rank]) for i in range(length)]
        else:
            values = getattr(resolved, name)
            attrs[name] = [values[i % rank] for i in range(length)]
    if attrs.get("padding") == [[0, 0]] * rank:
        del attrs["padding"]
    if attrs.get("output_padding") == [0] * rank:
        del attrs["output_padding"]
    try:
        case = Case(CONV_TRANSPOSE.call(dtype, {k: v.shape for k, v in inputs.items()}, attrs), inputs, attrs)
        objection = CONV_TRANSPOSE.objection(case.call)
    except ValueError:  # attributes that name no call: not an error vector of any kind
        objection = None
    if objection is None:
        raise Rejected
    return replace(case, error=objection.kind)
