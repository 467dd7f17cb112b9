"""The conv mistakes: one deliberately wrong convolution per mistake of spec/mistakes.yaml.

Each has the backend protocol signature and is otherwise correct: all but accepts-invalid reject
exactly the calls the correct backend rejects (the argument check runs first, as in a real
library), and most then transform their arguments or result around the correct numpy backend.
The ones whose mistake lives inside the accumulation loop run a small loop of their own that
accumulates as the numpy backend does. Each runs in the inputs' own precision, as a library
making the mistake would: that is what makes them usable both as faulty backends and as models
of what such a library returns.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable

import numpy as np

from convspec.reference import check_conv_arguments

from ..backends.numpy import _accumulator
from ..backends.numpy import conv as correct
from ..dtypes import dot_product_dtype, finfo, is_float

OPERATOR = "conv"
# mistake id -> its faulty conv, in the order they are defined (diagnosis names them in this order)
IMPLEMENTATIONS: dict[str, Callable[..., np.ndarray]] = {}


def _faulty(mistake: str, *, validated: bool = True) -> Callable[[Callable], Callable]:
    """Register the decorated function as the implementation of ``mistake``; with ``validated``,
    it first rejects invalid calls exactly as the correct backend does."""

    def register(faulty: Callable) -> Callable:
        implementation = faulty
        if validated:
            @functools.wraps(faulty)
            def implementation(x, w, b=None, *, stride, padding, dilation, groups):
                x, w = np.asarray(x), np.asarray(w)
                b = None if b is None else np.asarray(b)
                check_conv_arguments(x, w, b, stride=stride, padding=padding, dilation=dilation,
                                     groups=groups)
                return faulty(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)

        if mistake in IMPLEMENTATIONS:
            raise ValueError(f"{mistake} is implemented twice")
        IMPLEMENTATIONS[mistake] = implementation
        return implementation

    return register


def _spatial(a: np.ndarray) -> tuple[int, ...]:
    return tuple(range(2, a.ndim))


def _pad_or_crop(x: np.ndarray, pairs) -> np.ndarray:
    """Zero-pad each spatial axis by its (before, after) pair; a negative amount crops instead."""
    x = np.pad(x, [(0, 0), (0, 0), *[(max(int(p0), 0), max(int(p1), 0)) for p0, p1 in pairs]])
    crop = []
    for axis, (p0, p1) in enumerate(pairs):
        stop = max(x.shape[2 + axis] - max(-int(p1), 0), 0)
        crop.append(slice(min(max(-int(p0), 0), stop), stop))
    return x[(slice(None), slice(None), *crop)]


def _loop_start(x, w, stride, padding, dilation):
    """For the direct loops that run on their own: the zero-padded input, the output size, the
    numpy backend's accumulation type and a zeroed output in it."""
    xp = np.pad(x, [(0, 0), (0, 0), *[(int(p0), int(p1)) for p0, p1 in padding]])
    out_size = [(xp.shape[2 + a] - dilation[a] * (w.shape[2 + a] - 1) - 1) // stride[a] + 1
                for a in range(x.ndim - 2)]
    acc = _accumulator(x.dtype)
    return xp, out_size, acc, np.zeros((x.shape[0], w.shape[0], *out_size), dtype=acc)


def _output_channels(w, groups):
    """Each output channel with the first input channel of its group."""
    per_group_out, group_channels = w.shape[0] // groups, w.shape[1]
    return [(o, (o // per_group_out) * group_channels) for o in range(w.shape[0])]


def _result_dtype(x: np.ndarray) -> np.dtype:
    """The dtype the correct backend returns: the input's, wider for integers (int8 -> int32)."""
    return dot_product_dtype(x.dtype)


def _window(tap, dilation, out_size, stride) -> tuple[slice, ...]:
    """The input positions kernel tap ``tap`` meets, one per output position."""
    return tuple(slice(t * d, t * d + (n - 1) * s + 1, s)
                 for t, d, n, s in zip(tap, dilation, out_size, stride, strict=True))


# --- kernel orientation and window placement -------------------------------------------------

@_faulty("kernel-flip")
def kernel_flip(x, w, b=None, *, stride, padding, dilation, groups):
    """Textbook convolution: the kernel is flipped on every spatial axis."""
    flipped = np.flip(w, axis=_spatial(w)).copy()
    return correct(x, flipped, b, stride=stride, padding=padding, dilation=dilation, groups=groups)


@_faulty("kernel-transposed")
def kernel_transposed(x, w, b=None, *, stride, padding, dilation, groups):
    """Indexes the kernel as w[..., n, m] for w[..., m, n]: its last two spatial axes exchanged.

    A 1-D kernel has only one spatial axis, so in 1-D this is the correct convolution.
    """
    if w.ndim >= 4:
        w = np.swapaxes(w, -1, -2).copy()
    return correct(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)


@_faulty("axes-swapped")
def axes_swapped(x, w, b=None, *, stride, padding, dilation, groups):
    """Reads the input's spatial axes in reverse order (H as W), with kernel and attributes as given.

    The result comes back in the order the function computed it (W before H); in 1-D there is
    nothing to reverse and this is the correct convolution.
    """
    swapped = np.transpose(x, (0, 1, *reversed(_spatial(x)))).copy()
    return correct(swapped, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)


@_faulty("window-offset")
def window_offset(x, w, b=None, *, stride, padding, dilation, groups):
    """Centres each window on its output position: output i reads from i*S - p0 - (F//2)*D on.

    The output keeps its correct size: the shift moves (F//2)*D of the end padding to the front
    (cropping the input's end where there is not that much end padding).
    """
    shifted = []
    for axis, (p0, p1) in enumerate(padding):
        centre = (w.shape[2 + axis] // 2) * dilation[axis]
        shifted.append((p0 + centre, p1 - centre))
    moved = _pad_or_crop(x, shifted)
    return correct(moved, w, b, stride=stride, padding=((0, 0),) * len(padding), dilation=dilation,
                   groups=groups)


# --- channels ---------------------------------------------------------------------------------

@_faulty("channels-not-summed")
def channels_not_summed(x, w, b=None, *, stride, padding, dilation, groups):
    """A direct loop that forgets to sum over input channels: only each group's first one counts."""
    xp, out_size, acc, out = _loop_start(x, w, stride, padding, dilation)
    out_channels = w.shape[0]
    for o, first in _output_channels(w, groups):
        for tap in itertools.product(*(range(k) for k in w.shape[2:])):
            patch = xp[(slice(None), first, *_window(tap, dilation, out_size, stride))].astype(acc)
            out[:, o] += patch * w[(o, 0, *tap)].astype(acc)  # the mistake: channel 0 only, no sum
    if b is not None:
        out += b.astype(acc).reshape((1, out_channels) + (1,) * len(out_size))
    return out.astype(_result_dtype(x))


# --- padding ----------------------------------------------------------------------------------

@_faulty("padding-ignored")
def padding_ignored(x, w, b=None, *, stride, padding, dilation, groups):
    """Treats the padding as zero."""
    return correct(x, w, b, stride=stride, padding=((0, 0),) * len(padding), dilation=dilation,
                   groups=groups)


@_faulty("padding-one-side-only")
def padding_one_side_only(x, w, b=None, *, stride, padding, dilation, groups):
    """Puts all of each axis's padding before the input, none after."""
    moved = [(p0 + p1, 0) for p0, p1 in padding]
    return correct(x, w, b, stride=stride, padding=moved, dilation=dilation, groups=groups)


@_faulty("padding-wrong-side")
def padding_wrong_side(x, w, b=None, *, stride, padding, dilation, groups):
    """Exchanges each axis's before and after padding."""
    exchanged = [(p1, p0) for p0, p1 in padding]
    return correct(x, w, b, stride=stride, padding=exchanged, dilation=dilation, groups=groups)


@_faulty("padding-axes-reversed")
def padding_axes_reversed(x, w, b=None, *, stride, padding, dilation, groups):
    """Applies the padding pairs last axis first, as torch.nn.functional.pad orders them."""
    return correct(x, w, b, stride=stride, padding=tuple(reversed(padding)), dilation=dilation,
                   groups=groups)


@_faulty("padding-nonzero")
def padding_nonzero(x, w, b=None, *, stride, padding, dilation, groups):
    """Pads by replicating the input's edge values (np.pad mode='edge') instead of with zeros."""
    pairs = [(int(p0), int(p1)) for p0, p1 in padding]
    edged = np.pad(x, [(0, 0), (0, 0), *pairs], mode="edge")
    return correct(edged, w, b, stride=stride, padding=((0, 0),) * len(padding), dilation=dilation,
                   groups=groups)


# --- stride and output size -------------------------------------------------------------------

@_faulty("stride-ignored")
def stride_ignored(x, w, b=None, *, stride, padding, dilation, groups):
    """Always stride 1."""
    return correct(x, w, b, stride=(1,) * len(stride), padding=padding, dilation=dilation,
                   groups=groups)


@_faulty("stride-axes-reversed")
def stride_axes_reversed(x, w, b=None, *, stride, padding, dilation, groups):
    """Applies the per-axis strides last axis first."""
    return correct(x, w, b, stride=tuple(reversed(stride)), padding=padding, dilation=dilation,
                   groups=groups)


@_faulty("ceil-instead-of-floor")
def ceil_instead_of_floor(x, w, b=None, *, stride, padding, dilation, groups):
    """Rounds the output size up: pads the end so a partial last window still produces output."""
    extra = []
    for axis, (p0, p1) in enumerate(padding):
        span = dilation[axis] * (w.shape[2 + axis] - 1) + 1
        rest = (x.shape[2 + axis] + p0 + p1 - span) % stride[axis]
        extra.append((p0, p1 + (stride[axis] - rest if rest else 0)))
    return correct(x, w, b, stride=stride, padding=extra, dilation=dilation, groups=groups)


@_faulty("output-size-off-by-one")
def output_size_off_by_one(x, w, b=None, *, stride, padding, dilation, groups):
    """Sizes the output floor((W + p0 + p1 - D*(F-1) - 1) / S), without the +1: the last window
    on every axis is never computed (a one-window axis comes back empty)."""
    out = correct(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)
    return out[(slice(None), slice(None), *(slice(0, n - 1) for n in out.shape[2:]))]


# --- dilation ---------------------------------------------------------------------------------

@_faulty("dilation-ignored")
def dilation_ignored(x, w, b=None, *, stride, padding, dilation, groups):
    """Always dilation 1."""
    return correct(x, w, b, stride=stride, padding=padding, dilation=(1,) * len(dilation),
                   groups=groups)


@_faulty("dilation-off-by-one")
def dilation_off_by_one(x, w, b=None, *, stride, padding, dilation, groups):
    """Reads dilation D as D holes between taps: the taps are D + 1 apart (2 apart at D = 1)."""
    spread = tuple(d + 1 for d in dilation)
    return correct(x, w, b, stride=stride, padding=padding, dilation=spread, groups=groups)


@_faulty("dilation-on-input")
def dilation_on_input(x, w, b=None, *, stride, padding, dilation, groups):
    """Dilates the input (D - 1 zeros between its elements) and runs the undilated kernel over it:
    lax.conv_general_dilated's lhs_dilation where rhs_dilation was meant."""
    spatial = x.shape[2:]
    dilated = np.zeros((*x.shape[:2], *((n - 1) * d + 1 for n, d in zip(spatial, dilation, strict=True))),
                       dtype=x.dtype)
    dilated[(slice(None), slice(None), *(slice(None, None, d) for d in dilation))] = x
    return correct(dilated, w, b, stride=stride, padding=padding, dilation=(1,) * len(dilation),
                   groups=groups)


@_faulty("dilation-axes-reversed")
def dilation_axes_reversed(x, w, b=None, *, stride, padding, dilation, groups):
    """Applies the per-axis dilations last axis first."""
    return correct(x, w, b, stride=stride, padding=padding, dilation=tuple(reversed(dilation)),
                   groups=groups)


# --- groups -----------------------------------------------------------------------------------

@_faulty("groups-interleaved")
def groups_interleaved(x, w, b=None, *, stride, padding, dilation, groups):
    """A direct loop per output channel that picks the input group as o % groups (round robin)
    instead of o // (O / groups) (consecutive blocks)."""
    xp, out_size, acc, out = _loop_start(x, w, stride, padding, dilation)
    out_channels, group_channels = w.shape[:2]
    for o in range(out_channels):
        group = o % groups  # the mistake: should be o // (out_channels // groups)
        xs = xp[:, group * group_channels:(group + 1) * group_channels].astype(acc)
        for tap in itertools.product(*(range(k) for k in w.shape[2:])):
            patch = xs[(slice(None), slice(None), *_window(tap, dilation, out_size, stride))]
            out[:, o] += np.einsum("nc...,c->n...", patch, w[(o, slice(None), *tap)].astype(acc))
    if b is not None:
        out += b.astype(acc).reshape((1, out_channels) + (1,) * len(out_size))
    return out.astype(_result_dtype(x))


@_faulty("groups-dense")
def groups_dense(x, w, b=None, *, stride, padding, dilation, groups):
    """Ignores the grouping: tiles each output channel's weights over all input channels and
    computes one dense convolution."""
    tiled = np.tile(w, (1, groups) + (1,) * (w.ndim - 2))
    return correct(x, tiled, b, stride=stride, padding=padding, dilation=dilation, groups=1)


# --- bias ---------------------------------------------------------------------------------------

@_faulty("bias-dropped")
def bias_dropped(x, w, b=None, *, stride, padding, dilation, groups):
    """Ignores the bias."""
    return correct(x, w, None, stride=stride, padding=padding, dilation=dilation, groups=groups)


@_faulty("bias-per-tap")
def bias_per_tap(x, w, b=None, *, stride, padding, dilation, groups):
    """A direct loop that adds the bias inside the loop over kernel taps, once per tap."""
    xp, out_size, acc, out = _loop_start(x, w, stride, padding, dilation)
    group_channels = w.shape[1]
    for o, first in _output_channels(w, groups):
        xs = xp[:, first:first + group_channels].astype(acc)
        for tap in itertools.product(*(range(k) for k in w.shape[2:])):
            patch = xs[(slice(None), slice(None), *_window(tap, dilation, out_size, stride))]
            out[:, o] += np.einsum("nc...,c->n...", patch, w[(o, slice(None), *tap)].astype(acc))
            if b is not None:
                out[:, o] += b[o].astype(acc)  # the mistake: belongs after the loop, once
    return out.astype(_result_dtype(x))


# --- batch and memory layout ----------------------------------------------------------------------

@_faulty("bias-after-rounding")
def bias_after_rounding(x, w, b=None, *, stride, padding, dilation, groups):
    """Rounds a float16/bfloat16 sum to its type first, then adds the bias and rounds again (a
    convolution followed by a separate bias-add layer)."""
    if b is None or x.dtype.itemsize != 2 or not is_float(x.dtype):
        return correct(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)
    out = correct(x, w, None, stride=stride, padding=padding, dilation=dilation, groups=groups)
    shape = (1, -1) + (1,) * (out.ndim - 2)
    return (out.astype(np.float32) + b.astype(np.float32).reshape(shape)).astype(out.dtype)


@_faulty("batch-first-only")
def batch_first_only(x, w, b=None, *, stride, padding, dilation, groups):
    """Computes batch item 0 and returns it for every batch item."""
    first = correct(x[:1], w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)
    return np.repeat(first, x.shape[0], axis=0)


@_faulty("batch-channel-mixed")
def batch_channel_mixed(x, w, b=None, *, stride, padding, dilation, groups):
    """Wants the input channels-major (C, N, ...) and gets it by reshape instead of transpose."""
    n, c = x.shape[:2]
    channels_major = x.reshape(c, n, *x.shape[2:])  # the mistake: x.transpose(1, 0, ...) was needed
    return correct(np.swapaxes(channels_major, 0, 1).copy(), w, b, stride=stride, padding=padding,
                   dilation=dilation, groups=groups)


@_faulty("layout-channels-last")
def layout_channels_last(x, w, b=None, *, stride, padding, dilation, groups):
    """Takes the input's memory for channels-last (N, *spatial, C) and converts it to channels-first."""
    n, c = x.shape[:2]
    as_if_nhwc = x.reshape(n, *x.shape[2:], c)  # the mistake: the memory already is (N, C, ...)
    return correct(np.moveaxis(as_if_nhwc, -1, 1).copy(), w, b, stride=stride, padding=padding,
                   dilation=dilation, groups=groups)


@_faulty("weight-io-swapped")
def weight_io_swapped(x, w, b=None, *, stride, padding, dilation, groups):
    """Takes the weights' memory for (C/groups, O, *kernel), as conv_transpose stores them."""
    out_channels, group_channels = w.shape[:2]
    as_if_transposed = w.reshape(group_channels, out_channels, *w.shape[2:])
    return correct(x, np.swapaxes(as_if_transposed, 0, 1).copy(), b, stride=stride, padding=padding,
                   dilation=dilation, groups=groups)


# --- dtype ----------------------------------------------------------------------------------------

@_faulty("dtype-promoted")
def dtype_promoted(x, w, b=None, *, stride, padding, dilation, groups):
    """Computes narrower floats in float64 and forgets to cast the result back."""
    if is_float(x.dtype) and x.dtype != np.float64:
        x, w = x.astype(np.float64), w.astype(np.float64)
        b = None if b is None else b.astype(np.float64)
    return correct(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)


# --- argument checking ----------------------------------------------------------------------------

def one_per_axis(values, rank: int, default) -> list:
    """One entry per spatial axis: extra entries dropped, missing ones defaulted."""
    values = list(values) if isinstance(values, list | tuple | np.ndarray) else [values]
    return (values + [default] * rank)[:rank]


def as_pair(p) -> tuple[int, int]:
    """A (before, after) pair from whatever a padding entry holds."""
    p = [int(v) for v in np.atleast_1d(p)]
    return (0, 0) if not p else (p[0], p[0]) if len(p) == 1 else (p[0], p[1])


@_faulty("accepts-invalid", validated=False)
def accepts_invalid(x, w, b=None, *, stride, padding, dilation, groups):
    """Checks nothing: every invalid call is bent into some convolution and computed.

    Missing spatial axes are added and extra ones folded; the weights are reshaped to the input's
    rank; attribute lists are cut or extended to one entry per axis; strides, dilations and
    groups below 1 count as 1; negative padding crops; input channels that do not split into the
    groups are cut or repeated, and output channels likewise; a bias of the wrong shape is
    ignored; an input too small for the kernel is padded at the end. A valid call goes through
    unchanged, so it is computed exactly as the correct backend computes it.
    """
    x, w = np.asarray(x), np.asarray(w)
    while x.ndim < 3:
        x = x[..., np.newaxis]
    if x.ndim > 5:
        x = x.reshape(*x.shape[:4], -1)
    if w.ndim < x.ndim:
        w = w.reshape(*w.shape, *(1,) * (x.ndim - w.ndim))
    elif w.ndim > x.ndim:
        w = w.reshape(*w.shape[:x.ndim - 1], -1)
    rank = x.ndim - 2
    stride = tuple(max(int(s), 1) for s in one_per_axis(stride, rank, 1))
    dilation = tuple(max(int(d), 1) for d in one_per_axis(dilation, rank, 1))
    pairs = [as_pair(p) for p in one_per_axis(padding, rank, (0, 0))]
    groups = max(int(groups), 1)

    x = _pad_or_crop(x, [(min(p0, 0), min(p1, 0)) for p0, p1 in pairs])  # crops only
    pairs = [(max(p0, 0), max(p1, 0)) for p0, p1 in pairs]
    out_channels, group_channels = w.shape[:2]
    if out_channels % groups:
        w = np.take(w, np.arange(max(out_channels // groups, 1) * groups) % out_channels, axis=0)
    if x.shape[1] != groups * group_channels and x.shape[1] > 0:
        x = np.take(x, np.arange(groups * group_channels) % x.shape[1], axis=1)
    if b is not None and np.shape(b) != (w.shape[0],):
        b = None
    short = []
    for axis in range(rank):
        span = dilation[axis] * (w.shape[2 + axis] - 1) + 1
        short.append((0, max(span - (x.shape[2 + axis] + sum(pairs[axis])), 0)))
    x = _pad_or_crop(x, short)
    return correct(x, w, b, stride=stride, padding=pairs, dilation=dilation, groups=groups)


# --- numeric mistakes -------------------------------------------------------------------------


def _tap_loop(x, w, b, stride, padding, dilation, groups, acc, skip_zero_weights=False):
    """out[n, o] = sum over channels and taps, one product at a time, in the type ``acc``."""
    xp = np.pad(x, [(0, 0), (0, 0), *[tuple(map(int, p)) for p in padding]]).astype(acc)
    wa = w.astype(acc)
    rank = x.ndim - 2
    kernel = w.shape[2:]
    out = [(xp.shape[2 + a] - dilation[a] * (kernel[a] - 1) - 1) // stride[a] + 1 for a in range(rank)]
    result = np.zeros((x.shape[0], w.shape[0], *out), dtype=acc)
    per_group, cg = w.shape[0] // groups, w.shape[1]
    with np.errstate(invalid="ignore", over="ignore"):
        for o, c in itertools.product(range(w.shape[0]), range(cg)):
            first = (o // per_group) * cg
            for tap in itertools.product(*map(range, kernel)):
                weight = wa[(o, c, *tap)]
                if skip_zero_weights and weight == 0:
                    continue
                window = tuple(slice(t * d, t * d + (n - 1) * s + 1, s)
                               for t, d, n, s in zip(tap, dilation, out, stride, strict=True))
                result[:, o] = result[:, o] + xp[(slice(None), first + c, *window)] * weight
        if b is not None:
            result = result + np.asarray(b).astype(acc).reshape((1, -1) + (1,) * rank)
    return result


@_faulty("accumulate-half")
def accumulate_half(x, w, b=None, *, stride, padding, dilation, groups):
    """Carries float16/bfloat16 products and sums in the 16-bit type, one rounding per step."""
    if x.dtype.itemsize != 2 or not is_float(x.dtype):
        return correct(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)
    return _tap_loop(x, w, b, stride, padding, dilation, groups, x.dtype)


@_faulty("accumulate-float32-for-float64")
def accumulate_float32_for_float64(x, w, b=None, *, stride, padding, dilation, groups):
    """Computes float64 inputs in float32."""
    if x.dtype != np.float64:
        return correct(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)
    with np.errstate(over="ignore"):  # float64 values beyond float32's range become inf, the mistake
        low = [None if a is None else a.astype(np.float32) for a in (x, w, b)]
    out = correct(*low, stride=stride, padding=padding, dilation=dilation, groups=groups)
    return out.astype(np.float64)


def _round_to_tf32(a: np.ndarray) -> np.ndarray:
    """Round float32 to 10 explicit mantissa bits, to nearest, ties to even (NaN and Inf kept)."""
    bits = a.astype(np.float32).view(np.uint32).astype(np.uint64)
    rounded = (bits + 0xFFF + ((bits >> 13) & 1)) & 0xFFFFE000
    out = rounded.astype(np.uint32).view(np.float32)
    return np.where(np.isfinite(a), out, a).astype(np.float32)


@_faulty("tf32-inputs")
def tf32_inputs(x, w, b=None, *, stride, padding, dilation, groups):
    """Rounds float32 inputs to TF32 (10 explicit mantissa bits) before multiplying."""
    if x.dtype != np.float32:
        return correct(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)
    return correct(_round_to_tf32(x), _round_to_tf32(w), b, stride=stride, padding=padding,
                   dilation=dilation, groups=groups)


@_faulty("int-accumulate-narrow")
def int_accumulate_narrow(x, w, b=None, *, stride, padding, dilation, groups):
    """Wraps integer sums in int16 (8-bit inputs) or int32 (int32 inputs)."""
    out = correct(x, w, None, stride=stride, padding=padding, dilation=dilation, groups=groups)
    if is_float(x.dtype):
        return out if b is None else correct(x, w, b, stride=stride, padding=padding,
                                             dilation=dilation, groups=groups)
    narrow = np.int16 if x.dtype.itemsize == 1 else np.int32
    wrapped = out.astype(narrow).astype(out.dtype)  # modular: wrapping every partial sum
    return wrapped if b is None else (wrapped + b.reshape((1, -1) + (1,) * (x.ndim - 2))).astype(out.dtype)


@_faulty("zero-weights-skipped")
def zero_weights_skipped(x, w, b=None, *, stride, padding, dilation, groups):
    """Skips products whose weight is 0, so NaN * 0 and Inf * 0 never reach the sum."""
    if not is_float(x.dtype):
        return correct(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)
    out = _tap_loop(x, w, b, stride, padding, dilation, groups, _accumulator(x.dtype), skip_zero_weights=True)
    with np.errstate(over="ignore"):
        return out.astype(x.dtype)


@_faulty("uint8-as-int8")
def uint8_as_int8(x, w, b=None, *, stride, padding, dilation, groups):
    """Reads uint8 inputs as int8."""
    if x.dtype == np.uint8:
        x, w = x.view(np.int8), w.view(np.int8)
    return correct(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)


def _flush(a: np.ndarray) -> np.ndarray:
    if not is_float(a.dtype):
        return a
    tiny = float(finfo(a.dtype).smallest_normal)
    return np.where(np.abs(a.astype(np.float64)) < tiny, 0, a).astype(a.dtype)


@_faulty("subnormals-flushed")
def subnormals_flushed(x, w, b=None, *, stride, padding, dilation, groups):
    """Flushes subnormal inputs and results to zero (FTZ/DAZ)."""
    out = correct(_flush(x), _flush(w), None if b is None else _flush(b), stride=stride,
                  padding=padding, dilation=dilation, groups=groups)
    return _flush(out)


@_faulty("overflow-clamped")
def overflow_clamped(x, w, b=None, *, stride, padding, dilation, groups):
    """Clamps results beyond the largest finite value instead of returning infinity."""
    out = correct(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)
    if not is_float(out.dtype):
        return out
    largest = float(finfo(out.dtype).max)
    wide = out.astype(np.float64)
    return np.where(np.isinf(wide), np.sign(wide) * largest, wide).astype(out.dtype)
