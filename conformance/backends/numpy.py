"""The default backend: a direct loop over kernel taps in NumPy, written from the notes' formula.

S(i, j) = sum_m sum_n I(i*S + m*D, j*S + n*D) * K(m, n), summed over each group's input channels.
It shares no code with the reference (im2col + BLAS), so running it checks the reference too.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Sequence

import numpy as np

from . import Backend

# Integer convolutions accumulate exactly and return the wider type (ONNX ConvInteger's choice).
INTEGER_OUTPUT = {np.dtype(np.int8): np.dtype(np.int32), np.dtype(np.uint8): np.dtype(np.int32),
                  np.dtype(np.int32): np.dtype(np.int64)}


def _accumulator(dtype: np.dtype) -> np.dtype:
    if dtype in INTEGER_OUTPUT:
        return np.dtype(np.int64)
    # 16-bit floats (float16, ml_dtypes' bfloat16) are accumulated in float32 and rounded once,
    # as the strict profile requires.
    return np.dtype(np.float32) if dtype.itemsize < 4 else dtype


def conv(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, *, stride: Sequence[int],
         padding: Sequence[Sequence[int]], dilation: Sequence[int], groups: int) -> np.ndarray:
    """Convolution (cross-correlation) by the backend protocol, in the inputs' own precision."""
    x, w = np.asarray(x), np.asarray(w)
    rank = x.ndim - 2
    if w.ndim != x.ndim or not 1 <= rank <= 3:
        raise ValueError(f"x and w must both have 3 to 5 dims, got {x.ndim} and {w.ndim}")
    if len(stride) != rank or len(dilation) != rank or len(padding) != rank:
        raise ValueError("stride, dilation and padding need one entry per spatial axis")
    if min(stride) < 1 or min(dilation) < 1 or groups < 1:
        raise ValueError("stride, dilation and groups must be >= 1")
    if any(p < 0 for pair in padding for p in pair):
        raise ValueError("padding must be >= 0")
    _n_batch, channels = x.shape[:2]
    out_channels, group_channels = w.shape[:2]
    if channels % groups or out_channels % groups or group_channels * groups != channels:
        raise ValueError(f"channels {channels} -> {out_channels} with weights {w.shape} do not "
                         f"split into {groups} groups")
    if b is not None and np.shape(b) != (out_channels,):
        raise ValueError(f"bias must have shape ({out_channels},)")

    xp = np.pad(x, [(0, 0), (0, 0), *[(int(p0), int(p1)) for p0, p1 in padding]])
    kernel = w.shape[2:]
    out_size = [(xp.shape[2 + a] - dilation[a] * (kernel[a] - 1) - 1) // stride[a] + 1
                for a in range(rank)]
    if min(out_size) < 1:
        raise ValueError(f"kernel does not fit in the padded input: output size {out_size}")

    acc = _accumulator(x.dtype)
    with np.errstate(over="ignore", invalid="ignore"):  # IEEE overflow and inf - inf are results here
        return _accumulate(xp, w, b, out_size, stride, dilation, groups, acc, x.dtype)


def _accumulate(xp, w, b, out_size, stride, dilation, groups, acc, dtype):
    n_batch, rank = xp.shape[0], xp.ndim - 2
    out_channels, group_channels = w.shape[:2]
    kernel = w.shape[2:]
    out = np.zeros((n_batch, out_channels, *out_size), dtype=acc)
    per_group_out = out_channels // groups
    for g in range(groups):
        xs = xp[:, g * group_channels:(g + 1) * group_channels].astype(acc)
        outs = slice(g * per_group_out, (g + 1) * per_group_out)
        for tap in itertools.product(*(range(k) for k in kernel)):
            window = tuple(slice(t * d, t * d + (n - 1) * s + 1, s)
                           for t, d, n, s in zip(tap, dilation, out_size, stride, strict=True))
            patch = xs[(slice(None), slice(None), *window)]  # (N, C/groups, *out)
            taps = w[(outs, slice(None), *tap)].astype(acc)  # (O/groups, C/groups)
            out[:, outs] += np.einsum("nc...,oc->no...", patch, taps)
    if b is not None:
        out += np.asarray(b).astype(acc).reshape((1, out_channels) + (1,) * rank)
    return out.astype(INTEGER_OUTPUT.get(dtype, dtype))


def pad(x: np.ndarray, padding: Sequence[Sequence[int]]) -> np.ndarray:
    """Zero padding of the spatial axes by (before, after) pairs."""
    return np.pad(x, [(0, 0), (0, 0), *[(int(p0), int(p1)) for p0, p1 in padding]])


# the module itself is the backend object: its operators are conv and pad
backend = Backend(name="numpy", version=np.__version__, implementation=sys.modules[__name__],
                  description="direct loop over kernel taps in NumPy (the default)")
