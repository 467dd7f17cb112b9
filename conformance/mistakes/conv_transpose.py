"""The conv_transpose mistakes: one deliberately wrong transposed convolution per mistake.

Each has the backend protocol signature of ``conv_transpose`` and is otherwise correct: all but
transpose-accepts-invalid first reject exactly the calls the reference rejects, then change their
arguments or result around one correct computation, a scatter loop over kernel taps that
accumulates as the numpy backend does (16-bit floats in float32, integers in int64) and rounds
once. The mistakes that live inside the accumulation run that loop with the mistake in it.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable

import numpy as np

from convspec.reference import check_conv_transpose_arguments

from ..backends.numpy import _accumulator
from ..backends.numpy import conv as numpy_conv
from ..dtypes import dot_product_dtype, finfo, is_float
from .conv import as_pair, one_per_axis

OPERATOR = "conv_transpose"
# mistake id -> its faulty conv_transpose, in definition order (diagnosis names them in this order)
IMPLEMENTATIONS: dict[str, Callable[..., np.ndarray]] = {}


def _faulty(mistake: str, *, validated: bool = True) -> Callable[[Callable], Callable]:
    """Register the decorated function as the implementation of ``mistake``; with ``validated``,
    it first rejects invalid calls exactly as the reference does."""

    def register(faulty: Callable) -> Callable:
        implementation = faulty
        if validated:
            @functools.wraps(faulty)
            def implementation(x, w, b=None, *, stride, padding, output_padding, dilation, groups):
                x, w = np.asarray(x), np.asarray(w)
                b = None if b is None else np.asarray(b)
                check_conv_transpose_arguments(x, w, b, stride=stride, padding=padding,
                                               output_padding=output_padding, dilation=dilation,
                                               groups=groups)
                return faulty(x, w, b, stride=tuple(int(s) for s in stride),
                              padding=tuple((int(p0), int(p1)) for p0, p1 in padding),
                              output_padding=tuple(int(e) for e in output_padding),
                              dilation=tuple(int(d) for d in dilation), groups=int(groups))

        if mistake in IMPLEMENTATIONS:
            raise ValueError(f"{mistake} is implemented twice")
        IMPLEMENTATIONS[mistake] = implementation
        return implementation

    return register


# --- the correct computation the mistakes are made around ------------------------------------------

def _full_length(size: int, kernel: int, stride: int, dilation: int, extra: int) -> int:
    return (size - 1) * stride + dilation * (kernel - 1) + 1 + extra


def _scatter(x, w, stride, dilation, lengths, groups, acc, *, one_at_a_time=False, skip_zero_weights=False):
    """The full scatter, unbiased and uncropped, into outputs of ``lengths`` per axis, in ``acc``.

    Input position i under tap k lands on i*s + k*d. By default each tap adds all channels of a
    group at once (an einsum in ``acc``); ``one_at_a_time`` adds one product per step instead,
    rounding every partial sum to ``acc``; ``skip_zero_weights`` leaves out taps whose weight is 0.
    """
    n_batch, channels = x.shape[:2]
    per_group_in, per_group_out = channels // groups, w.shape[1]
    out = np.zeros((n_batch, per_group_out * groups, *lengths), dtype=acc)
    xa, wa = x.astype(acc), w.astype(acc)
    with np.errstate(over="ignore", invalid="ignore"):
        for tap in itertools.product(*(range(k) for k in w.shape[2:])):
            landing = tuple(slice(t * d, t * d + (n - 1) * s + 1, s)
                            for t, d, n, s in zip(tap, dilation, x.shape[2:], stride, strict=True))
            for g in range(groups):
                ins = slice(g * per_group_in, (g + 1) * per_group_in)
                outs = slice(g * per_group_out, (g + 1) * per_group_out)
                if not (one_at_a_time or skip_zero_weights):
                    out[(slice(None), outs, *landing)] += np.einsum(
                        "nc...,co->no...", xa[:, ins], wa[(ins, slice(None), *tap)])
                    continue
                for c, o in itertools.product(range(per_group_in), range(per_group_out)):
                    weight = wa[(g * per_group_in + c, o, *tap)]
                    if skip_zero_weights and weight == 0:
                        continue
                    target = (slice(None), g * per_group_out + o, *landing)
                    out[target] = out[target] + xa[:, g * per_group_in + c] * weight
    return out


def _finish(full, b, padding, x_dtype, acc):
    """Crop each axis by its (before, after) pair, add the bias, round once to the output type."""
    crop = tuple(slice(p0, n - p1) for (p0, p1), n in zip(padding, full.shape[2:], strict=True))
    out = full[(slice(None), slice(None), *crop)]
    with np.errstate(over="ignore", invalid="ignore"):
        if b is not None:
            out = out + np.asarray(b).astype(acc).reshape((1, -1) + (1,) * (out.ndim - 2))
        return out.astype(dot_product_dtype(x_dtype))


def correct(x, w, b=None, *, stride, padding, output_padding, dilation, groups):
    """The correct transposed convolution (no argument check: the callers made it)."""
    acc = _accumulator(x.dtype)
    lengths = [_full_length(n, k, s, d, e) for n, k, s, d, e in
               zip(x.shape[2:], w.shape[2:], stride, dilation, output_padding, strict=True)]
    full = _scatter(x, w, stride, dilation, lengths, groups, acc)
    return _finish(full, b, padding, x.dtype, acc)


def _spatial(a: np.ndarray) -> tuple[int, ...]:
    return tuple(range(2, a.ndim))


# --- the crop (padding) -------------------------------------------------------------------------

@_faulty("transpose-padding-ignored")
def transpose_padding_ignored(x, w, b=None, *, stride, padding, output_padding, dilation, groups):
    """Never crops: the padding (and so an auto_pad or output_shape crop) is treated as zero."""
    return correct(x, w, b, stride=stride, padding=((0, 0),) * len(padding), output_padding=output_padding,
                   dilation=dilation, groups=groups)


@_faulty("transpose-padding-on-input")
def transpose_padding_on_input(x, w, b=None, *, stride, padding, output_padding, dilation, groups):
    """Zero-pads the input by the padding pairs, as conv would, and crops nothing."""
    padded = np.pad(x, [(0, 0), (0, 0), *padding])
    return correct(padded, w, b, stride=stride, padding=((0, 0),) * len(padding),
                   output_padding=output_padding, dilation=dilation, groups=groups)


@_faulty("transpose-padding-wrong-side")
def transpose_padding_wrong_side(x, w, b=None, *, stride, padding, output_padding, dilation, groups):
    """Crops each axis's 'before' amount from the end and its 'after' amount from the beginning."""
    return correct(x, w, b, stride=stride, padding=tuple((p1, p0) for p0, p1 in padding),
                   output_padding=output_padding, dilation=dilation, groups=groups)


@_faulty("transpose-crop-split-evenly")
def transpose_crop_split_evenly(x, w, b=None, *, stride, padding, output_padding, dilation, groups):
    """Crops the total p0 + p1 - output_padding half from each side (the odd one at the end) from
    the scatter without output_padding, instead of p0 from the beginning."""
    acc = _accumulator(x.dtype)
    lengths = [_full_length(n, k, s, d, 0) for n, k, s, d in
               zip(x.shape[2:], w.shape[2:], stride, dilation, strict=True)]
    full = _scatter(x, w, stride, dilation, lengths, groups, acc)
    pairs, grow = [], []
    for (p0, p1), extra in zip(padding, output_padding, strict=True):
        total = p0 + p1 - extra
        pairs.append((max(total, 0) // 2, max(total, 0) - max(total, 0) // 2))
        grow.append((0, max(-total, 0)))
    full = np.pad(full, [(0, 0), (0, 0), *grow])
    return _finish(full, b, pairs, x.dtype, acc)


# --- output_padding -----------------------------------------------------------------------------

@_faulty("transpose-output-padding-ignored")
def transpose_output_padding_ignored(x, w, b=None, *, stride, padding, output_padding, dilation, groups):
    """Treats output_padding as zero: the output is output_padding shorter on each axis."""
    return correct(x, w, b, stride=stride, padding=padding, output_padding=(0,) * len(output_padding),
                   dilation=dilation, groups=groups)


@_faulty("transpose-output-padding-at-start")
def transpose_output_padding_at_start(x, w, b=None, *, stride, padding, output_padding, dilation, groups):
    """Puts the output_padding positions before the scatter instead of after it, then crops."""
    acc = _accumulator(x.dtype)
    lengths = [_full_length(n, k, s, d, 0) for n, k, s, d in
               zip(x.shape[2:], w.shape[2:], stride, dilation, strict=True)]
    full = _scatter(x, w, stride, dilation, lengths, groups, acc)
    full = np.pad(full, [(0, 0), (0, 0), *[(e, 0) for e in output_padding]])
    return _finish(full, b, padding, x.dtype, acc)


@_faulty("transpose-output-padding-zeros")
def transpose_output_padding_zeros(x, w, b=None, *, stride, padding, output_padding, dilation, groups):
    """Crops the scatter first and appends the output_padding positions after, holding the bias
    alone, where they should hold the scatter's values that the end crop would have removed."""
    acc = _accumulator(x.dtype)
    lengths = [_full_length(n, k, s, d, 0) for n, k, s, d in
               zip(x.shape[2:], w.shape[2:], stride, dilation, strict=True)]
    full = _scatter(x, w, stride, dilation, lengths, groups, acc)
    crop = tuple(slice(p0, n - p1) for (p0, p1), n in zip(padding, full.shape[2:], strict=True))
    cropped = np.pad(full[(slice(None), slice(None), *crop)],
                     [(0, 0), (0, 0), *[(0, e) for e in output_padding]])
    return _finish(cropped, b, ((0, 0),) * len(padding), x.dtype, acc)


@_faulty("transpose-output-padding-on-input")
def transpose_output_padding_on_input(x, w, b=None, *, stride, padding, output_padding, dilation, groups):
    """Zero-pads the input's end by output_padding and runs without it: each padded input position
    adds stride output positions, so the output is output_padding*(stride - 1) too long."""
    padded = np.pad(x, [(0, 0), (0, 0), *[(0, e) for e in output_padding]])
    return correct(padded, w, b, stride=stride, padding=padding, output_padding=(0,) * len(output_padding),
                   dilation=dilation, groups=groups)


# --- stride, dilation, kernel ------------------------------------------------------------------------

@_faulty("transpose-stride-ignored")
def transpose_stride_ignored(x, w, b=None, *, stride, padding, output_padding, dilation, groups):
    """Scatters with stride 1: the input is not spread out (output_padding kept, as written)."""
    return _clamped(x, w, b, (1,) * len(stride), padding, output_padding, dilation, groups)


@_faulty("transpose-stride-dilation-swapped")
def transpose_stride_dilation_swapped(x, w, b=None, *, stride, padding, output_padding, dilation, groups):
    """Takes the stride for the dilation and the dilation for the stride."""
    return _clamped(x, w, b, dilation, padding, output_padding, stride, groups)


@_faulty("transpose-dilation-ignored")
def transpose_dilation_ignored(x, w, b=None, *, stride, padding, output_padding, dilation, groups):
    """Scatters with dilation 1: the kernel taps are not spread out."""
    return _clamped(x, w, b, stride, padding, output_padding, (1,) * len(dilation), groups)


def _clamped(x, w, b, stride, padding, output_padding, dilation, groups):
    """The correct computation with changed attributes; where the crop then leaves nothing, an
    output of one position (the mistake's output, not an error: the call itself was valid)."""
    acc = _accumulator(x.dtype)
    lengths = [_full_length(n, k, s, d, e) for n, k, s, d, e in
               zip(x.shape[2:], w.shape[2:], stride, dilation, output_padding, strict=True)]
    full = _scatter(x, w, stride, dilation, lengths, groups, acc)
    pairs = []
    for (p0, p1), n in zip(padding, lengths, strict=True):
        p0 = min(p0, n - 1)
        pairs.append((p0, min(p1, n - 1 - p0)))
    return _finish(full, b, pairs, x.dtype, acc)


@_faulty("transpose-kernel-flipped")
def transpose_kernel_flipped(x, w, b=None, *, stride, padding, output_padding, dilation, groups):
    """Scatters with the kernel flipped on every spatial axis (a zero-insertion convolution that
    forgot to flip it, or flipped it twice)."""
    flipped = np.flip(w, axis=_spatial(w)).copy()
    return correct(x, flipped, b, stride=stride, padding=padding, output_padding=output_padding,
                   dilation=dilation, groups=groups)


# --- channels, groups, bias, batch ---------------------------------------------------------------------

@_faulty("transpose-weight-conv-layout")
def transpose_weight_conv_layout(x, w, b=None, *, stride, padding, output_padding, dilation, groups):
    """Takes the weights' memory for conv's layout (C_out, C_in/groups, *kernel) and converts it."""
    per_group_in, per_group_out = x.shape[1] // groups, w.shape[1]
    # the mistake: w is (C_in, C_out/groups, ...), not (C_out, C_in/groups, ...)
    as_conv = w.reshape(groups * per_group_out, per_group_in, *w.shape[2:])
    converted = np.concatenate([np.swapaxes(as_conv[g * per_group_out:(g + 1) * per_group_out], 0, 1)
                                for g in range(groups)], axis=0)
    return correct(x, converted, b, stride=stride, padding=padding, output_padding=output_padding,
                   dilation=dilation, groups=groups)


@_faulty("transpose-groups-first-weight-slice")
def transpose_groups_first_weight_slice(x, w, b=None, *, stride, padding, output_padding, dilation, groups):
    """Indexes the weights by the channel's place within its group: every group uses the first
    group's weights, w[0 : C_in/groups]."""
    per_group_in = x.shape[1] // groups
    shared = np.concatenate([w[:per_group_in]] * groups, axis=0)
    return correct(x, shared, b, stride=stride, padding=padding, output_padding=output_padding,
                   dilation=dilation, groups=groups)


@_faulty("transpose-bias-dropped")
def transpose_bias_dropped(x, w, b=None, *, stride, padding, output_padding, dilation, groups):
    """Ignores the bias."""
    return correct(x, w, None, stride=stride, padding=padding, output_padding=output_padding,
                   dilation=dilation, groups=groups)


@_faulty("transpose-batch-first-only")
def transpose_batch_first_only(x, w, b=None, *, stride, padding, output_padding, dilation, groups):
    """Computes batch item 0 and returns it for every batch item."""
    first = correct(x[:1], w, b, stride=stride, padding=padding, output_padding=output_padding,
                    dilation=dilation, groups=groups)
    return np.repeat(first, x.shape[0], axis=0)


# --- argument checking --------------------------------------------------------------------------------

@_faulty("transpose-accepts-invalid", validated=False)
def transpose_accepts_invalid(x, w, b=None, *, stride, padding, output_padding, dilation, groups):
    """Checks nothing: every invalid call is bent into some transposed convolution and computed.

    Ranks are made to agree, attribute lists cut or extended to one entry per axis, strides,
    dilations and groups below 1 count as 1, negative amounts as 0, an output_padding too large
    is kept (the scatter simply grows), channels that do not fit are cut or repeated, a bias of
    the wrong shape is ignored and a crop larger than the output leaves one position. A valid call
    goes through unchanged.
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
    pairs = [tuple(max(v, 0) for v in as_pair(p)) for p in one_per_axis(padding, rank, (0, 0))]
    extra = tuple(max(int(e), 0) for e in one_per_axis(output_padding, rank, 0))
    groups = max(int(groups), 1)
    if x.shape[1] % groups:
        x = np.take(x, np.arange(max(x.shape[1] // groups, 1) * groups) % x.shape[1], axis=1)
    if w.shape[0] != x.shape[1]:
        w = np.take(w, np.arange(x.shape[1]) % w.shape[0], axis=0)
    if b is not None and np.shape(b) != (w.shape[1] * groups,):
        b = None
    return _clamped(x, w, None if b is None else np.asarray(b), stride, pairs, extra, dilation, groups)


# --- numeric mistakes -----------------------------------------------------------------------------------

@_faulty("transpose-accumulate-half")
def transpose_accumulate_half(x, w, b=None, *, stride, padding, output_padding, dilation, groups):
    """Carries float16/bfloat16 products and sums in the 16-bit type, one rounding per product."""
    if x.dtype.itemsize != 2 or not is_float(x.dtype):
        return correct(x, w, b, stride=stride, padding=padding, output_padding=output_padding,
                       dilation=dilation, groups=groups)
    lengths = [_full_length(n, k, s, d, e) for n, k, s, d, e in
               zip(x.shape[2:], w.shape[2:], stride, dilation, output_padding, strict=True)]
    full = _scatter(x, w, stride, dilation, lengths, groups, x.dtype, one_at_a_time=True)
    return _finish(full, b, padding, x.dtype, x.dtype)


@_faulty("transpose-accumulate-float32-for-float64")
def transpose_accumulate_float32_for_float64(x, w, b=None, *, stride, padding, output_padding, dilation,
                                             groups):
    """Computes float64 inputs in float32."""
    if x.dtype != np.float64:
        return correct(x, w, b, stride=stride, padding=padding, output_padding=output_padding,
                       dilation=dilation, groups=groups)
    with np.errstate(over="ignore"):
        low = [None if a is None else a.astype(np.float32) for a in (x, w, b)]
    out = correct(*low, stride=stride, padding=padding, output_padding=output_padding, dilation=dilation,
                  groups=groups)
    return out.astype(np.float64)


@_faulty("transpose-zero-weights-skipped")
def transpose_zero_weights_skipped(x, w, b=None, *, stride, padding, output_padding, dilation, groups):
    """Skips products whose weight is 0, so a NaN or infinite input under a zero weight never
    reaches the positions its products land on."""
    if not is_float(x.dtype):
        return correct(x, w, b, stride=stride, padding=padding, output_padding=output_padding,
                       dilation=dilation, groups=groups)
    acc = _accumulator(x.dtype)
    lengths = [_full_length(n, k, s, d, e) for n, k, s, d, e in
               zip(x.shape[2:], w.shape[2:], stride, dilation, output_padding, strict=True)]
    full = _scatter(x, w, stride, dilation, lengths, groups, acc, skip_zero_weights=True)
    return _finish(full, b, padding, x.dtype, acc)


@_faulty("transpose-zero-insertion-unmasked")
def transpose_zero_insertion_unmasked(x, w, b=None, *, stride, padding, output_padding, dilation, groups):
    """Computes the zero-insertion formulation literally: stride - 1 zeros between the inputs, a
    border of d*(k - 1) zeros, a convolution with the flipped kernel. Its inserted and border zeros
    are multiplied too, so an infinite or NaN weight gives NaN where none of its products land."""
    rank, per_group_in, acc = x.ndim - 2, x.shape[1] // groups, _accumulator(x.dtype)
    spread = np.zeros((*x.shape[:2], *((n - 1) * s + 1 for n, s in zip(x.shape[2:], stride, strict=True))),
                      dtype=acc)
    spread[(slice(None), slice(None), *(slice(None, None, s) for s in stride))] = x
    border = [(d * (k - 1), d * (k - 1) + e)
              for k, d, e in zip(w.shape[2:], dilation, output_padding, strict=True)]
    kernel = np.flip(w.astype(acc), axis=_spatial(w))
    as_conv = np.concatenate([np.swapaxes(kernel[g * per_group_in:(g + 1) * per_group_in], 0, 1)
                              for g in range(groups)], axis=0)  # (C_out, C_in/groups, *kernel)
    with np.errstate(over="ignore", invalid="ignore"):
        full = numpy_conv(spread, np.ascontiguousarray(as_conv), None, stride=(1,) * rank, padding=border,
                          dilation=dilation, groups=groups)
    return _finish(full, b, padding, x.dtype, acc)


def _flush(a: np.ndarray) -> np.ndarray:
    if not is_float(a.dtype):
        return a
    tiny = float(finfo(a.dtype).smallest_normal)
    return np.where(np.abs(a.astype(np.float64)) < tiny, 0, a).astype(a.dtype)


@_faulty("transpose-subnormals-flushed")
def transpose_subnormals_flushed(x, w, b=None, *, stride, padding, output_padding, dilation, groups):
    """Flushes subnormal inputs and results to zero (FTZ/DAZ)."""
    out = correct(_flush(x), _flush(w), None if b is None else _flush(b), stride=stride, padding=padding,
                  output_padding=output_padding, dilation=dilation, groups=groups)
    return _flush(out)
