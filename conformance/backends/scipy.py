"""A backend built on ``scipy.signal.correlate``: a third implementation, sharing no code with the
reference (im2col + BLAS) or the numpy backend (one einsum per kernel tap).

Each output channel is one N-d ``correlate(x_group, w[o], mode="valid")`` over (batch, channels,
*spatial): the channel axis has the kernel's full extent, so "valid" sums over it. Padding is real
zeros (0 * inf under a padded tap is NaN, as the spec says); stride subsamples the stride-1 result;
dilation correlates each phase ``x[r::d]`` with the undilated kernel, so the holes between taps are
never multiplied (a kernel with zeros inserted would turn an inf there into NaN).

``conv_transpose`` is a full N-d ``convolve`` per output channel, split so that only real products
x[i] * w[k] are ever formed: by phase (the taps k = r mod s/g and inputs i = q mod d/g, g = gcd(s, d),
land on their own output positions, so no zero is inserted into x or w), and each phase's full
convolution as "valid" pieces (no zero padding: scipy's "full" mode pads, and 0 * inf is NaN).
"""

from __future__ import annotations

import itertools
import math
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


def _leading(x: np.ndarray, w: np.ndarray, stride: Sequence[int], padding: Sequence[Sequence[int]],
             dilation: Sequence[int]) -> tuple[tuple[int, ...], tuple[tuple[int, int], ...], tuple[int, ...]]:
    """The checks conv and conv_transpose begin with: ranks, dtype, stride, dilation and padding as
    integers; (stride, padding, dilation), or ValueError."""
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
    return stride, padding, dilation


def _groups(groups: int) -> int:
    """groups as an integer >= 1, or ValueError."""
    try:
        groups = operator.index(groups)
    except TypeError:
        raise ValueError(f"groups must be an integer, got {groups!r}") from None
    if groups < 1:
        raise ValueError(f"groups must be >= 1, got {groups}")
    return groups


def _checked(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, stride: Sequence[int],
             padding: Sequence[Sequence[int]], dilation: Sequence[int],
             groups: int) -> tuple[tuple[int, ...], tuple[tuple[int, int], ...], tuple[int, ...], int]:
    """The arguments as integers, or ValueError for every call the spec rejects."""
    stride, padding, dilation = _leading(x, w, stride, padding, dilation)
    groups = _groups(groups)
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


def _checked_transpose(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, stride: Sequence[int],
                       padding: Sequence[Sequence[int]], output_padding: Sequence[int],
                       dilation: Sequence[int], groups: int) -> tuple:
    """conv_transpose's arguments as integers, or ValueError for every call the spec rejects."""
    stride, padding, dilation = _leading(x, w, stride, padding, dilation)
    output_padding = _ints("output_padding", output_padding, x.ndim - 2, 0)
    for e, s, d in zip(output_padding, stride, dilation, strict=True):
        if e >= max(s, d):
            raise ValueError(f"output_padding {list(output_padding)} must be < max(stride, dilation)")
    groups = _groups(groups)
    if x.shape[1] % groups:
        raise ValueError(f"input channels {x.shape[1]} do not split into {groups} groups")
    if w.shape[0] != x.shape[1]:
        raise ValueError(f"w (C_in, C_out/groups, *kernel) has {w.shape[0]} input channels, x {x.shape[1]}")
    if b is not None and b.shape != (w.shape[1] * groups,):
        raise ValueError(f"bias must have shape ({w.shape[1] * groups},), got {b.shape}")
    for n, k, s, d, e, (p0, p1) in zip(x.shape[2:], w.shape[2:], stride, dilation, output_padding, padding,
                                       strict=True):
        if (n - 1) * s + d * (k - 1) + 1 + e - p0 - p1 < 1:
            raise ValueError(f"padding {[p0, p1]} crops the whole output")
    return stride, padding, output_padding, dilation, groups


def _pieces(n: int, k: int) -> list[tuple[int, int, slice, slice]]:
    """The full convolution of lengths n and k as "valid" pieces: (first output, outputs, x part,
    w part), the larger part never smaller than the other on any axis, so no zero is padded."""
    pieces = [(m, 1, slice(0, m + 1), slice(0, m + 1)) for m in range(min(n, k) - 1)]
    if n >= k:  # the interior, where the whole kernel lies over x
        pieces.append((k - 1, n - k + 1, slice(0, n), slice(0, k)))
    else:  # the whole of x under part of the kernel, one output at a time (x stays the larger)
        pieces += [(m, 1, slice(0, n), slice(m - n + 1, m + 1)) for m in range(n - 1, k)]
    pieces += [(m, 1, slice(m - k + 1, n), slice(m - n + 1, k)) for m in range(max(n, k), n + k - 1)]
    return pieces


def conv_transpose(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, *, stride: Sequence[int],
                   padding: Sequence[Sequence[int]], output_padding: Sequence[int],
                   dilation: Sequence[int], groups: int) -> np.ndarray:
    """Transposed convolution of ``x`` (N, C_in, *in) with ``w`` (C_in, C_out/groups, *kernel).

    Input i and tap k land on i*s + k*d. With g = gcd(s, d), taps k = r + t*s/g and inputs
    i = q + u*d/g land on r*d + q*s + (u + t)*lcm(s, d): per phase (r, q) a full convolution of
    x[q::d/g] with w[r::s/g], written to every lcm-th position (phases never share a position).
    Types as conv's.
    """
    x, w = np.asarray(x), np.asarray(w)
    b = None if b is None else np.asarray(b)
    stride, padding, output_padding, dilation, groups = _checked_transpose(
        x, w, b, stride, padding, output_padding, dilation, groups)
    acc, result = TYPES[x.dtype]
    xa, wa = x.astype(acc), w.astype(acc)
    kernel, rank = w.shape[2:], x.ndim - 2
    full = tuple((n - 1) * s + d * (k - 1) + 1 + e for n, k, s, d, e in
                 zip(x.shape[2:], kernel, stride, dilation, output_padding, strict=True))
    per_group, out_per_group = x.shape[1] // groups, w.shape[1]
    out = np.zeros((x.shape[0], out_per_group * groups, *full), dtype=acc)
    steps = [(s // math.gcd(s, d), d // math.gcd(s, d)) for s, d in zip(stride, dilation, strict=True)]
    if out.size and per_group and all(kernel):  # otherwise nothing lands anywhere: zero
        for phase in itertools.product(*(itertools.product(range(a), range(c)) for a, c in steps)):
            xs = xa[(..., *(slice(q, None, c) for (_, q), (_, c) in zip(phase, steps, strict=True)))]
            ws = wa[(..., *(slice(r, None, a) for (r, _), (a, _) in zip(phase, steps, strict=True)))]
            if not xs.size or not ws.size:
                continue  # no input or no tap in this phase
            # the phase's outputs: every lcm-th position from r*d + q*s
            lands = [slice(r * d + q * s, None, s * c) for (r, q), (_, c), s, d in
                     zip(phase, steps, stride, dilation, strict=True)]
            placed = out[(slice(None), slice(None), *lands)]  # a view: writing it writes out
            for piece in itertools.product(*(_pieces(n, k) for n, k in
                                             zip(xs.shape[2:], ws.shape[2:], strict=True))):
                x_part = (slice(None), slice(None), *(p[2] for p in piece))
                w_part = tuple(p[3] for p in piece)
                into = tuple(slice(p[0], p[0] + p[1]) for p in piece)
                for o in range(out_per_group * groups):
                    g, o_in_group = divmod(o, out_per_group)
                    channels = slice(g * per_group, (g + 1) * per_group)
                    # (1, C_in/groups, *kernel part), channels reversed: convolve flips every axis,
                    # so channel c meets weight c and "valid" sums over the channels
                    taps = ws[(channels, o_in_group, *w_part)][np.newaxis, ::-1]
                    # method="direct": IEEE arithmetic per element (an FFT spreads one inf or NaN)
                    part = scipy.signal.convolve(xs[(slice(None), channels, *x_part[2:])], taps,
                                                 mode="valid", method="direct")
                    placed[(slice(None), o, *into)] = part[:, 0]
    out = out[(..., *(slice(p0, n - p1) for (p0, p1), n in zip(padding, full, strict=True)))]
    with np.errstate(over="ignore", invalid="ignore"):  # IEEE overflow and inf - inf are results
        if b is not None:  # one of the summed terms: added before the single rounding
            out = out + b.astype(acc).reshape((1, -1) + (1,) * rank)
        return np.array(out, dtype=result)  # a new, contiguous array, rounded once


FLOATS = tuple(t for t in TYPES if t.kind not in "iu")


def _float_call(*arrays: np.ndarray) -> np.dtype:
    """The one float dtype of a gradient's inputs, or ValueError: the gradients are float-only."""
    dtypes = {a.dtype for a in arrays}
    if len(dtypes) != 1 or next(iter(dtypes)) not in FLOATS:
        raise ValueError(f"conv's gradients take inputs of one float dtype, got {sorted(map(str, dtypes))}")
    return next(iter(dtypes))


def _conv_output(x_shape: tuple[int, ...], stride: Sequence[int], padding: Sequence[Sequence[int]],
                 kernel: Sequence[int], dilation: Sequence[int]) -> tuple[int, ...]:
    return tuple((n + p0 + p1 - d * (k - 1) - 1) // s + 1 for n, (p0, p1), k, s, d in
                 zip(x_shape[2:], padding, kernel, stride, dilation, strict=True))


def conv_grad_input(dy: np.ndarray, w: np.ndarray, *, input_shape: Sequence[int], stride: Sequence[int],
                    padding: Sequence[Sequence[int]], dilation: Sequence[int], groups: int) -> np.ndarray:
    """dx of conv: this module's conv_transpose of dy with w (conv's (O, C/groups, *k) is its
    (C_in, C_out/groups, *k)), with the output_padding (the floor's remainder, below the stride)
    that gives back input_shape. It forms only real dy * w products, so a position no window
    reads stays exactly 0."""
    dy, w = np.asarray(dy), np.asarray(w)
    dtype = _float_call(dy, w)
    if not 3 <= dy.ndim <= 5:
        raise ValueError(f"dy must have 3 to 5 dims (N, O, 1-3 spatial), got {dy.ndim}")
    shape = _ints("input_shape", input_shape, dy.ndim, 1)
    x = np.broadcast_to(np.zeros((), dtype), shape)  # conv's own checks, on a view of no memory
    stride, padding, dilation, groups = _checked(x, w, None, stride, padding, dilation, groups)
    out = _conv_output(shape, stride, padding, w.shape[2:], dilation)
    if dy.shape != (shape[0], w.shape[0], *out):
        raise ValueError(f"dy has shape {dy.shape}, conv of {shape} with {w.shape} gives "
                         f"{(shape[0], w.shape[0], *out)}")
    extra = [n + p0 + p1 - ((o - 1) * s + d * (k - 1) + 1) for n, (p0, p1), o, s, d, k in
             zip(shape[2:], padding, out, stride, dilation, w.shape[2:], strict=True)]
    return conv_transpose(dy, w, stride=stride, padding=padding, output_padding=extra, dilation=dilation,
                          groups=groups)


def conv_grad_weight(x: np.ndarray, dy: np.ndarray, *, kernel_shape: Sequence[int], stride: Sequence[int],
                     padding: Sequence[Sequence[int]], dilation: Sequence[int], groups: int) -> np.ndarray:
    """dw of conv: dw[o, c, m] = sum over n, i of dy[n, o, i] * xp[n, c, i*s + m*d], xp zero-padded.

    Tap m's lag m*d lies in phase r = m*d mod s of the stride: xp[r::s] correlated ("valid", direct)
    with dy gives, at q = m*d // s, exactly tap m's sum (the batch axis has dy's extent, so it is
    summed too). Only (x or padding zero, dy) pairs conv formed are multiplied into a kept element.
    """
    x, dy = np.asarray(x), np.asarray(dy)
    _float_call(x, dy)
    if not 3 <= x.ndim <= 5 or dy.ndim != x.ndim:
        raise ValueError(f"x and dy must both have 3 to 5 dims (N, C, 1-3 spatial), got {x.ndim} "
                         f"and {dy.ndim}")
    kernel = _ints("kernel_shape", kernel_shape, x.ndim - 2, 1)
    try:  # a bad groups is _checked's to name
        split = max(operator.index(groups), 1)
    except TypeError:
        split = 1
    w = np.broadcast_to(np.zeros((), x.dtype), (dy.shape[1], x.shape[1] // split, *kernel))
    stride, padding, dilation, groups = _checked(x, w, None, stride, padding, dilation, groups)
    out = _conv_output(x.shape, stride, padding, kernel, dilation)
    if dy.shape != (x.shape[0], w.shape[0], *out):
        raise ValueError(f"dy has shape {dy.shape}, conv of {x.shape} with {w.shape} gives "
                         f"{(x.shape[0], w.shape[0], *out)}")
    acc, result = TYPES[x.dtype]
    xp, grads = pad(x.astype(acc), padding), dy.astype(acc)
    dw = np.zeros(w.shape, dtype=acc)
    per_group, out_per_group = w.shape[1], w.shape[0] // groups
    # per axis: the phases r of the taps' lags, and each phase's taps
    phases = [{r: [m for m in range(k) if m * d % s == r] for r in sorted({m * d % s for m in range(k)})}
              for k, s, d in zip(kernel, stride, dilation, strict=True)]
    if dw.size and x.shape[0] and per_group:  # otherwise every sum is empty: zero
        for o in range(w.shape[0]):
            g = o // out_per_group
            xs = xp[:, g * per_group:(g + 1) * per_group]
            taps = grads[:, o][:, np.newaxis]  # (N, 1, *out): "valid" sums over the batch
            for phase in itertools.product(*(list(p.items()) for p in phases)):
                # the phase's samples up to its last tap's window
                last = [max(m * d // s for m in ms)
                        for (_, ms), s, d in zip(phase, stride, dilation, strict=True)]
                part = xs[(..., *(slice(r, r + (q + n - 1) * s + 1, s) for (r, _), q, n, s in
                                  zip(phase, last, out, stride, strict=True)))]
                # method="direct": IEEE arithmetic per element (an FFT spreads one inf or NaN)
                lags = scipy.signal.correlate(part, taps, mode="valid", method="direct")[0]
                for tap in itertools.product(*(ms for _, ms in phase)):
                    at = tuple(m * d // s for m, s, d in zip(tap, stride, dilation, strict=True))
                    dw[(o, slice(None), *tap)] = lags[(slice(None), *at)]
    with np.errstate(over="ignore", invalid="ignore"):
        return np.array(dw, dtype=result)  # rounded once


def conv_grad_bias(dy: np.ndarray) -> np.ndarray:
    """db of conv: dy correlated ("valid", direct) with ones of its batch and spatial extent, so each
    channel's values are summed (times 1: exact products), then rounded once."""
    dy = np.asarray(dy)
    _float_call(dy)
    if not 3 <= dy.ndim <= 5:
        raise ValueError(f"dy must have 3 to 5 dims (N, O, 1-3 spatial), got {dy.ndim}")
    acc, result = TYPES[dy.dtype]
    if not dy.size:
        return np.zeros(dy.shape[1], dtype=result)
    ones = np.ones((dy.shape[0], 1, *dy.shape[2:]), dtype=acc)
    sums = scipy.signal.correlate(dy.astype(acc), ones, mode="valid", method="direct")
    with np.errstate(over="ignore", invalid="ignore"):
        return np.array(sums.reshape(dy.shape[1]), dtype=result)


# the module itself is the backend object: its operators are conv, conv_transpose, pad and conv's
# gradients
backend = Backend(name="scipy", version=scipy.__version__, implementation=sys.modules[__name__],
                  description="scipy.signal.correlate (direct) per output channel and dilation phase; "
                              "conv_transpose by scipy.signal.convolve per output channel and phase; "
                              "conv's gradients by the same (dx, db) and correlate per stride phase (dw)")
