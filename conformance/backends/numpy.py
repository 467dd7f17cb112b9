"""The default backend: a direct loop over kernel taps in NumPy, written from the notes' formula.

S(i, j) = sum_m sum_n I(i*S + m*D, j*S + n*D) * K(m, n), summed over each group's input channels.
conv_transpose is the same loop run backwards: each tap scatters x * w[tap] to positions i*S + k*D.
conv's gradients follow from the same formula: dx scatters dy * w[tap] back onto the positions tap
read (as conv_transpose does), dw sums dy times the patch each tap read, db sums dy.
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


def _check_conv(x_shape: Sequence[int], w_shape: Sequence[int], stride: Sequence[int],
                padding: Sequence[Sequence[int]], dilation: Sequence[int], groups: int) -> list[int]:
    """ValueError for every conv the spec rejects, from the shapes alone (the gradients check the
    conv they differentiate with it); otherwise the output size of each spatial axis."""
    rank = len(x_shape) - 2
    if len(w_shape) != len(x_shape) or not 1 <= rank <= 3:
        raise ValueError(f"x and w must both have 3 to 5 dims, got {len(x_shape)} and {len(w_shape)}")
    if len(stride) != rank or len(dilation) != rank or len(padding) != rank:
        raise ValueError("stride, dilation and padding need one entry per spatial axis")
    if min(stride) < 1 or min(dilation) < 1 or groups < 1:
        raise ValueError("stride, dilation and groups must be >= 1")
    if any(np.ndim(pair) != 1 or len(pair) != 2 for pair in padding):
        raise ValueError(f"padding must be (before, after) pairs, got {padding}")
    if any(p < 0 for pair in padding for p in pair):
        raise ValueError("padding must be >= 0")
    channels, out_channels, group_channels = x_shape[1], w_shape[0], w_shape[1]
    if channels % groups or out_channels % groups or group_channels * groups != channels:
        raise ValueError(f"channels {channels} -> {out_channels} with weights {tuple(w_shape)} do not "
                         f"split into {groups} groups")
    out_size = [(n + p0 + p1 - d * (k - 1) - 1) // s + 1 for n, k, s, d, (p0, p1) in
                zip(x_shape[2:], w_shape[2:], stride, dilation, padding, strict=True)]
    if min(out_size) < 1:
        raise ValueError(f"kernel does not fit in the padded input: output size {out_size}")
    return out_size


def conv(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, *, stride: Sequence[int],
         padding: Sequence[Sequence[int]], dilation: Sequence[int], groups: int) -> np.ndarray:
    """Convolution (cross-correlation) by the backend protocol, in the inputs' own precision."""
    x, w = np.asarray(x), np.asarray(w)
    out_size = _check_conv(x.shape, w.shape, stride, padding, dilation, groups)
    if b is not None and np.shape(b) != (w.shape[0],):
        raise ValueError(f"bias must have shape ({w.shape[0]},)")
    xp = np.pad(x, [(0, 0), (0, 0), *[(int(p0), int(p1)) for p0, p1 in padding]])
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


def _float_dtype(*arrays: np.ndarray) -> np.dtype:
    """The one float dtype of a gradient's inputs: the gradients are defined for floats only."""
    dtypes = {a.dtype for a in arrays}
    if len(dtypes) != 1 or next(iter(dtypes)).name not in ("float64", "float32", "float16", "bfloat16"):
        raise ValueError(f"conv's gradients take inputs of one float dtype, got {sorted(map(str, dtypes))}")
    return next(iter(dtypes))


def _check_dy(dy_shape: Sequence[int], expected: Sequence[int]) -> None:
    """ValueError unless dy has the shape of the conv output it is the gradient of."""
    if tuple(dy_shape) != tuple(expected):
        raise ValueError(f"dy has shape {tuple(dy_shape)} but the convolution gives {tuple(expected)}")


def conv_grad_input(dy: np.ndarray, w: np.ndarray, *, input_shape: Sequence[int], stride: Sequence[int],
                    padding: Sequence[Sequence[int]], dilation: Sequence[int], groups: int) -> np.ndarray:
    """dx of conv, tap by tap: dx[j] gets dy[i] * w[tap] wherever conv read x[j] with that tap.

    Each tap adds dy * w[tap] to the padded positions its windows read, i*S + tap*D; the padding
    is then cut off. A position no window reads is never written, so it stays exactly 0 whatever
    dy and w hold (no 0 * inf). Accumulated as conv accumulates, rounded once.
    """
    dy, w = np.asarray(dy), np.asarray(w)
    dtype = _float_dtype(dy, w)
    shape = tuple(int(n) for n in input_shape)
    if len(shape) != dy.ndim or min(shape, default=0) < 1:
        raise ValueError(f"input_shape {shape} must have one size >= 1 per dim of dy ({dy.ndim})")
    out_size = _check_conv(shape, w.shape, stride, padding, dilation, groups)
    _check_dy(dy.shape, (shape[0], w.shape[0], *out_size))
    acc = _accumulator(dtype)
    padded = [n + int(p0) + int(p1) for n, (p0, p1) in zip(shape[2:], padding, strict=True)]
    dx = np.zeros((*shape[:2], *padded), dtype=acc)
    per_group_in, per_group_out = w.shape[1], w.shape[0] // groups
    with np.errstate(over="ignore", invalid="ignore"):  # IEEE overflow and inf - inf are results here
        for g in range(groups):
            ins = slice(g * per_group_in, (g + 1) * per_group_in)
            outs = slice(g * per_group_out, (g + 1) * per_group_out)
            grads = dy[:, outs].astype(acc)  # (N, O/groups, *out)
            for tap in itertools.product(*(range(k) for k in w.shape[2:])):
                window = tuple(slice(t * d, t * d + (n - 1) * s + 1, s)
                               for t, d, n, s in zip(tap, dilation, out_size, stride, strict=True))
                taps = w[(outs, slice(None), *tap)].astype(acc)  # (O/groups, C/groups)
                dx[(slice(None), ins, *window)] += np.einsum("no...,oc->nc...", grads, taps)
    crop = tuple(slice(int(p0), int(p0) + n) for (p0, _), n in zip(padding, shape[2:], strict=True))
    return np.array(dx[(slice(None), slice(None), *crop)], dtype=dtype)


def conv_grad_weight(x: np.ndarray, dy: np.ndarray, *, kernel_shape: Sequence[int], stride: Sequence[int],
                     padding: Sequence[Sequence[int]], dilation: Sequence[int], groups: int) -> np.ndarray:
    """dw of conv, tap by tap: dw[:, :, tap] sums dy times the patch of padded x that tap read.

    The padding's zeros are multiplied by dy, as conv multiplies them by w (so 0 * inf is NaN);
    positions beyond the last window are not read. Accumulated as conv accumulates, rounded once.
    """
    x, dy = np.asarray(x), np.asarray(dy)
    dtype = _float_dtype(x, dy)
    kernel = tuple(int(k) for k in kernel_shape)
    if x.ndim != dy.ndim or len(kernel) != x.ndim - 2 or min(kernel, default=0) < 1:
        raise ValueError(f"kernel_shape {kernel} must have one size >= 1 per spatial axis of x "
                         f"({x.ndim - 2}), and dy {dy.ndim} dims like x")
    if groups < 1 or x.shape[1] % groups:
        raise ValueError(f"input channels {x.shape[1]} do not split into {groups} groups")
    w_shape = (dy.shape[1], x.shape[1] // groups, *kernel)
    out_size = _check_conv(x.shape, w_shape, stride, padding, dilation, groups)
    _check_dy(dy.shape, (x.shape[0], dy.shape[1], *out_size))
    acc = _accumulator(dtype)
    xp = np.pad(x, [(0, 0), (0, 0), *[(int(p0), int(p1)) for p0, p1 in padding]])
    dw = np.zeros(w_shape, dtype=acc)
    per_group_in, per_group_out = w_shape[1], w_shape[0] // groups
    axes = "xyz"[:len(kernel)]  # the spatial axes, summed away with the batch
    with np.errstate(over="ignore", invalid="ignore"):  # IEEE overflow and inf - inf are results here
        for g in range(groups):
            xs = xp[:, g * per_group_in:(g + 1) * per_group_in].astype(acc)
            outs = slice(g * per_group_out, (g + 1) * per_group_out)
            grads = dy[:, outs].astype(acc)  # (N, O/groups, *out)
            for tap in itertools.product(*(range(k) for k in kernel)):
                window = tuple(slice(t * d, t * d + (n - 1) * s + 1, s)
                               for t, d, n, s in zip(tap, dilation, out_size, stride, strict=True))
                patch = xs[(slice(None), slice(None), *window)]  # (N, C/groups, *out)
                dw[(outs, slice(None), *tap)] = np.einsum(f"nc{axes},no{axes}->oc", patch, grads)
    return dw.astype(dtype)


def conv_grad_bias(dy: np.ndarray) -> np.ndarray:
    """db of conv: dy summed over the batch and every position, per channel, rounded once."""
    dy = np.asarray(dy)
    dtype = _float_dtype(dy)
    if not 3 <= dy.ndim <= 5:
        raise ValueError(f"dy must have 3 to 5 dims (N, O, 1-3 spatial), got {dy.ndim}")
    with np.errstate(over="ignore", invalid="ignore"):
        return dy.astype(_accumulator(dtype)).sum(axis=(0, *range(2, dy.ndim))).astype(dtype)


def pad(x: np.ndarray, padding: Sequence[Sequence[int]]) -> np.ndarray:
    """Zero padding of the spatial axes by (before, after) pairs."""
    return np.pad(x, [(0, 0), (0, 0), *[(int(p0), int(p1)) for p0, p1 in padding]])


# the module itself is the backend object: its operators are conv, conv_transpose, pad and conv's
# gradients (conv_grad_input, conv_grad_weight, conv_grad_bias)
backend = Backend(name="numpy", version=np.__version__, implementation=sys.modules[__name__],
                  description="direct loop over kernel taps in NumPy (the default)")
