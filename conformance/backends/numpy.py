"""The default backend: a direct loop over kernel taps in NumPy, written from the notes' formula.

S(i, j) = sum_m sum_n I(i*S + m*D, j*S + n*D) * K(m, n), summed over each group's input channels.
conv_transpose is the same loop run backwards: each tap scatters x * w[tap] to positions i*S + k*D.
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


def _check_transpose(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, stride: Sequence[int],
                     padding: Sequence[Sequence[int]], output_padding: Sequence[int],
                     dilation: Sequence[int], groups: int) -> list[int]:
    """ValueError for every call the spec rejects; otherwise the length of each cropped output axis."""
    rank = x.ndim - 2
    if w.ndim != x.ndim or not 1 <= rank <= 3:
        raise ValueError(f"x and w must both have 3 to 5 dims, got {x.ndim} and {w.ndim}")
    for name, value in (("stride", stride), ("dilation", dilation), ("padding", padding),
                        ("output_padding", output_padding)):
        if len(value) != rank:
            raise ValueError(f"{name} needs one entry per spatial axis, got {len(value)} for {rank}")
    if min(stride) < 1 or min(dilation) < 1 or groups < 1:
        raise ValueError("stride, dilation and groups must be >= 1")
    if any(np.ndim(pair) != 1 or len(pair) != 2 for pair in padding) or np.min(padding) < 0:
        raise ValueError(f"padding must be (before, after) pairs >= 0, got {padding}")
    if any(not 0 <= e < max(s, d) for e, s, d in zip(output_padding, stride, dilation, strict=True)):
        raise ValueError(f"output_padding must be >= 0 and < max(stride, dilation), got {output_padding}")
    channels = x.shape[1]
    if channels % groups or w.shape[0] != channels:
        raise ValueError(f"{channels} input channels with weights {w.shape} (C_in, C_out/groups, ...) "
                         f"do not split into {groups} groups")
    if b is not None and np.shape(b) != (w.shape[1] * groups,):
        raise ValueError(f"bias must have shape ({w.shape[1] * groups},)")
    out_size = [(n - 1) * s + d * (k - 1) + 1 + e - p0 - p1 for n, k, s, d, e, (p0, p1) in
                zip(x.shape[2:], w.shape[2:], stride, dilation, output_padding, padding, strict=True)]
    if min(out_size) < 1:
        raise ValueError(f"padding crops the whole output: output size {out_size}")
    return out_size


def conv_transpose(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, *, stride: Sequence[int],
                   padding: Sequence[Sequence[int]], output_padding: Sequence[int],
                   dilation: Sequence[int], groups: int) -> np.ndarray:
    """Transposed convolution, w of shape (C_in, C_out/groups, *kernel), scattered tap by tap.

    Each tap k adds x[i] * w[k] to full-output position i*s + k*d; positions no tap reaches (the
    stride's holes, output_padding) stay zero without a multiplication, so an inf weight cannot
    turn them into NaN. The full output is then cropped by padding. Same types as conv.
    """
    x, w = np.asarray(x), np.asarray(w)
    b = None if b is None else np.asarray(b)
    out_size = _check_transpose(x, w, b, stride, padding, output_padding, dilation, groups)
    rank, kernel = x.ndim - 2, w.shape[2:]
    full = [(n - 1) * s + d * (k - 1) + 1 + e for n, k, s, d, e in
            zip(x.shape[2:], kernel, stride, dilation, output_padding, strict=True)]
    acc = _accumulator(x.dtype)
    per_group_in, per_group_out = x.shape[1] // groups, w.shape[1]
    out = np.zeros((x.shape[0], per_group_out * groups, *full), dtype=acc)
    with np.errstate(over="ignore", invalid="ignore"):  # IEEE overflow and inf - inf are results here
        for g in range(groups):
            ins = slice(g * per_group_in, (g + 1) * per_group_in)
            xs = x[:, ins].astype(acc)  # (N, C_in/groups, *in)
            outs = slice(g * per_group_out, (g + 1) * per_group_out)
            for tap in itertools.product(*(range(k) for k in kernel)):
                taps = w[(ins, slice(None), *tap)].astype(acc)  # (C_in/groups, C_out/groups)
                window = tuple(slice(t * d, t * d + (n - 1) * s + 1, s)
                               for t, d, n, s in zip(tap, dilation, x.shape[2:], stride, strict=True))
                out[(slice(None), outs, *window)] += np.einsum("nc...,co->no...", xs, taps)
        out = out[(slice(None), slice(None), *(slice(p0, p0 + n) for (p0, _), n in
                                                zip(padding, out_size, strict=True)))]
        if b is not None:
            out = out + b.astype(acc).reshape((1, -1) + (1,) * rank)
        return np.array(out, dtype=INTEGER_OUTPUT.get(x.dtype, x.dtype))


def pad(x: np.ndarray, padding: Sequence[Sequence[int]]) -> np.ndarray:
    """Zero padding of the spatial axes by (before, after) pairs."""
    return np.pad(x, [(0, 0), (0, 0), *[(int(p0), int(p1)) for p0, p1 in padding]])


# the module itself is the backend object: its operators are conv, conv_transpose and pad
backend = Backend(name="numpy", version=np.__version__, implementation=sys.modules[__name__],
                  description="direct loop over kernel taps in NumPy (the default)")
