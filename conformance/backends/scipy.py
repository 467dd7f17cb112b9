"""A backend built on ``scipy.signal.correlate``: a third implementation, sharing no code with the
reference (im2col + BLAS) or the numpy backend (one einsum per kernel tap).

Each output channel is one N-d ``correlate(x_group, w[o], mode="valid")`` over (batch, channels,
*spatial): the channel axis has the kernel's full extent, so "valid" sums over it. Padding is real
zeros (0 * inf under a padded tap is NaN, as the spec says); stride subsamples the stride-1 result;
dilation correlates each phase ``x[r::d]`` with the undilated kernel, so the holes between taps are
never multiplied (a kernel with zeros inserted would turn an inf there into NaN).
"""

from __future__ import annotations

import itertools
import operator
import sys
from collections.abc import Sequence

import ml_dtypes
import numpy as np
import scipy
import scipy.signal

from . import Backend

# (accumulation type, output type) per input dtype. 16-bit floats are summed in float32 and rounded
# once at the end (the strict profile); integers are summed exactly in int64 and returned widened,
# as ONNX ConvInteger does (the spec keeps the exact result inside the output type).
TYPES = {
    np.dtype(np.float64): (np.dtype(np.float64), np.dtype(np.float64)),
    np.dtype(np.float32): (np.dtype(np.float32), np.dtype(np.float32)),
    np.dtype(np.float16): (np.dtype(np.float32), np.dtype(np.float16)),
    np.dtype(ml_dtypes.bfloat16): (np.dtype(np.float32), np.dtype(ml_dtypes.bfloat16)),
    np.dtype(np.int8): (np.dtype(np.int64), np.dtype(np.int32)),
    np.dtype(np.uint8): (np.dtype(np.int64), np.dtype(np.int32)),
    np.dtype(np.int32): (np.dtype(np.int64), np.dtype(np.int64)),
}


def _ints(name: str, values: Sequence[int], rank: int, least: int) -> tuple[int, ...]:
    """``values`` as one integer >= ``least`` per spatial axis, or ValueError."""
    try:
        values = tuple(values)
    except TypeError:  # a bare number where a list is needed
        values = (values,)
    if len(values) != rank:
        raise ValueError(f"{name} has {len(values)} entries for {rank} spatial axes")
    try:
        ints = tuple(operator.index(v) for v in values)
    except TypeError:
        raise ValueError(f"{name} must be integers, got {list(values)}") from None
    if any(v < least for v in ints):
        raise ValueError(f"{name} must be >= {least} on every axis, got {list(ints)}")
    return ints


def _checked(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, stride: Sequence[int],
             padding: Sequence[Sequence[int]], dilation: Sequence[int],
             groups: int) -> tuple[tuple[int, ...], tuple[tuple[int, int], ...], tuple[int, ...], int]:
    """The arguments as integers, or ValueError for every call the spec rejects."""
    if not 3 <= x.ndim <= 5 or w.ndim != x.ndim:
        raise ValueError(f"x and w must both have 3 to 5 dims (N, C, 1-3 spatial), got {x.ndim} and {w.ndim}")
    if x.dtype not in TYPES:
        raise ValueError(f"dtype {x.dtype} is not one of the spec's: {', '.join(map(str, TYPES))}")
    rank = x.ndim - 2
    stride = _ints("stride", stride, rank, 1)
    dilation = _ints("dilation", dilation, rank, 1)
    try:
        pairs = tuple(tuple(p) for p in padding)
    except TypeError:  # an entry that is not a pair at all
        pairs = ()
    if len(pairs) != rank or any(len(p) != 2 for p in pairs):
        raise ValueError(f"padding must be one (before, after) pair per spatial axis, got {padding}")
    flat = _ints("padding", [p for pair in pairs for p in pair], 2 * rank, 0)
    padding = tuple(zip(flat[::2], flat[1::2], strict=True))
    try:
        groups = operator.index(groups)
    except TypeError:
        raise ValueError(f"groups must be an integer, got {groups!r}") from None
    if groups < 1:
        raise ValueError(f"groups must be >= 1, got {groups}")
    channels, out_channels = x.shape[1], w.shape[0]
    if channels % groups or out_channels % groups:
        raise ValueError(f"channels {channels} -> {out_channels} do not split into {groups} groups")
    if w.shape[1] != channels // groups:
        raise ValueError(f"w has {w.shape[1]} input channels, C/groups is {channels // groups}")
    if b is not None and b.shape != (out_channels,):
        raise ValueError(f"bias must have shape ({out_channels},), got {b.shape}")
    for n, (p0, p1), k, d in zip(x.shape[2:], padding, w.shape[2:], dilation, strict=True):
        if n + p0 + p1 < d * (k - 1) + 1:
            raise ValueError(f"the kernel spans {d * (k - 1) + 1} but the padded input is {n + p0 + p1}")
    return stride, padding, dilation, groups


def pad(x: np.ndarray, padding: Sequence[Sequence[int]]) -> np.ndarray:
    """``x`` (N, C, *spatial) with (before, after) zeros on each spatial axis, as a new array."""
    x = np.asarray(x)
    padding = [(int(p0), int(p1)) for p0, p1 in padding]
    if len(padding) != x.ndim - 2 or any(p < 0 for pair in padding for p in pair):
        raise ValueError(f"padding must be one (before, after) pair >= 0 per spatial axis, got {padding}")
    shape = x.shape[:2] + tuple(n + p0 + p1 for n, (p0, p1) in zip(x.shape[2:], padding, strict=True))
    out = np.zeros(shape, dtype=x.dtype)
    out[(..., *(slice(p0, p0 + n) for n, (p0, _) in zip(x.shape[2:], padding, strict=True)))] = x
    return out


def conv(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, *, stride: Sequence[int],
         padding: Sequence[Sequence[int]], dilation: Sequence[int], groups: int) -> np.ndarray:
    """Cross-correlate ``x`` (N, C, *spatial) with ``w`` (O, C/groups, *kernel) by the backend protocol.

    float64 and float32 in their own precision; float16 and bfloat16 summed in float32 and rounded
    once; int8/uint8 exactly, returned as int32; int32 exactly, returned as int64.
    """
    x, w = np.asarray(x), np.asarray(w)
    b = None if b is None else np.asarray(b)
    stride, padding, dilation, groups = _checked(x, w, b, stride, padding, dilation, groups)
    acc, result = TYPES[x.dtype]
    xp = pad(x.astype(acc), padding)
    wa = w.astype(acc)
    kernel = w.shape[2:]
    # the stride-1 output: every position where the dilated kernel fits in the padded input
    full = tuple(n - d * (k - 1) for n, k, d in zip(xp.shape[2:], kernel, dilation, strict=True))
    batch, out_channels = x.shape[0], w.shape[0]
    out = np.zeros((batch, out_channels, *full), dtype=acc)
    per_group, out_per_group = x.shape[1] // groups, out_channels // groups
    if out.size and per_group and all(kernel):  # otherwise every sum is empty: zero
        for o in range(out_channels):
            g = o // out_per_group
            xs = xp[:, g * per_group:(g + 1) * per_group]
            taps = wa[o][np.newaxis]  # (1, C/groups, *kernel): "valid" sums over the channels
            # Output position i reads x[i + m*d]: all in phase i mod d. Correlating that phase with
            # the undilated kernel gives the outputs i = r + j*d, and multiplies only real taps.
            for phase in itertools.product(*(range(d) for d in dilation)):
                part = xs[(..., *(slice(r, None, d) for r, d in zip(phase, dilation, strict=True)))]
                if any(n < k for n, k in zip(part.shape[2:], kernel, strict=True)):
                    continue  # no output position lies in this phase
                # method="direct": an FFT would spread one NaN or inf over every output and round
                # far outside the accuracy bound; the direct sum is IEEE arithmetic per element.
                window = scipy.signal.correlate(part, taps, mode="valid", method="direct")
                out[(slice(None), o, *(slice(r, None, d) for r, d in
                                       zip(phase, dilation, strict=True)))] = window[:, 0]
    out = out[(..., *(slice(None, None, s) for s in stride))]
    with np.errstate(over="ignore", invalid="ignore"):  # IEEE overflow and inf - inf are results
        if b is not None:  # one of the summed terms: added before the single rounding
            out = out + b.astype(acc).reshape((1, out_channels) + (1,) * len(kernel))
        return np.array(out, dtype=result)  # a new, contiguous array, rounded once


# the module itself is the backend object: its operators are conv and pad
backend = Backend(name="scipy", version=scipy.__version__, implementation=sys.modules[__name__],
                  description="scipy.signal.correlate (direct) per output channel and dilation phase")
