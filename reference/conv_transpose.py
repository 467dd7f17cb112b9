"""The reference transposed convolution: one matrix product per block, then a strided scatter-add.

What it computes (the adjoint of conv with respect to x): every input element x[n, c, i] scatters
x[n, c, i] * w[c, o, k] into y_full[n, o, i*s + k*d] (o in c's group), y_full being
(in - 1)*s + d*(k - 1) + 1 + output_padding long per axis; padding (p0, p1) crops y_full[p0 : -p1].

How it computes
    1. Per block of input positions (several whole images, or slices of the spatial axes), one
       stacked ``numpy.matmul`` (BLAS dgemm) per group forms every product at once:
       Col (C_out/g * K, positions) = W_g^T (C_out/g * K, C_in/g) @ X_g (C_in/g, positions), X_g
       being the block of x as it lies (no im2col copy).
    2. Col is scattered one spatial axis at a time (col2im made separable): for each tap of the
       axis, Col's slice for that tap is added into a strided view (step s, offset k*d - p0) of the
       partial sums, and for the first axis of y itself, restricted to the input positions whose
       products land inside the crop (y_full never exists). sum(kernel) adds per block, not
       prod(kernel): 12, not 64, for a 4x4x4 kernel.
    3. The bias is added last.
   Nothing else is multiplied: no zero is inserted between inputs (the zero-insertion formulation
   would turn an infinite weight over an inserted zero into NaN), so a position no product reaches
   holds exactly 0 (or the bias), and NaN/inf propagate exactly as the products and sums give them.

Why it is trusted: the same arguments as reference/conv.py (float64 sums of the products in some
order, within Higham's gamma_n; integers exact through float64 below 2**53, else in int64), and the
test suite checks it against the exact rational reference, the adjoint identity with reference.conv,
ONNX's ConvTranspose node cases and PyTorch.

Memory: the blocks' Col buffer and partial sums get what 3x (output + inputs) leaves after the
output (and any converted copy of w), at most MAX_BLOCK_BYTES, as in reference/conv.py.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .arguments import check_conv_transpose_arguments
from .conv import BUDGET_SAFETY, FLOAT64_EXACT, MAX_BLOCK_BYTES, MIN_BLOCK_BYTES, _blocks, computed_inputs
from .output_size import conv_transpose_output_size

__all__ = ["BUDGET_SAFETY", "FLOAT64_EXACT", "MAX_BLOCK_BYTES", "MIN_BLOCK_BYTES", "conv_transpose"]


def conv_transpose(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, *, stride: Sequence[int],
                   padding: Sequence[Sequence[int]], output_padding: Sequence[int],
                   dilation: Sequence[int], groups: int) -> np.ndarray:
    """Transposed convolution of ``x`` (N, C_in, *in) with ``w`` (C_in, C_out/groups, *kernel).

    Computes in float64, or exactly in int64 when every input is an integer array (the caller
    keeps |b| + sum |x|*|w| below 2**63). Raises ``ConvArgumentError`` (a ``ValueError``) for
    arguments that describe no valid transposed convolution.
    """
    x, w, b, acc, inputs = computed_inputs(x, w, b)
    stride, dilation = tuple(map(int, stride)), tuple(map(int, dilation))
    output_padding = tuple(map(int, output_padding))
    padding = tuple(tuple(int(v) for v in p) for p in padding)  # pairs are checked, not assumed
    check_conv_transpose_arguments(x, w, b, stride=stride, padding=padding, output_padding=output_padding,
                                   dilation=dilation, groups=groups)
    groups = int(groups)
    rank = x.ndim - 2
    kernel = w.shape[2:]
    out_spatial = tuple(
        conv_transpose_output_size(n, k, s, p, e, d)
        for n, k, s, p, e, d in zip(x.shape[2:], kernel, stride, padding, output_padding, dilation,
                                    strict=True))
    batch, channels = x.shape[:2]
    per_group, out_per_group = channels // groups, w.shape[1]
    out_channels = out_per_group * groups
    taps = math.prod(kernel)
    y = np.zeros((batch, out_channels, *out_spatial), dtype=acc)

    work = acc
    if acc == np.int64 and _integer_bound(x, w, b, groups) < FLOAT64_EXACT:
        work = np.float64  # exact: every product and partial sum is an integer below 2**53
    # W_g^T: (C_in, C_out/g, *k) -> (G, C_out/g * K, C_in/g), rows ordered (o, tap)
    wt = np.ascontiguousarray(
        w.astype(work, copy=False).reshape(groups, per_group, out_per_group * taps).transpose(0, 2, 1))
    limit = 3 * (y.nbytes + sum(a.nbytes for a in inputs))
    held = y.nbytes + w.nbytes + wt.nbytes
    itemsize = np.dtype(work).itemsize
    # per input position: its Col column, the partial sums of the axis-by-axis scatter (at most
    # their sum; whole axes spread over out/in positions each) and a converted copy of its x values
    partial_sums = sum(math.prod(kernel[:a]) * math.prod(o / max(n, 1) for o, n in
                                                         zip(out_spatial[a:], x.shape[2 + a:], strict=True))
                       for a in range(1, rank))
    converted = channels if x.dtype != work or not x.flags.c_contiguous else 0
    per_position = math.ceil((out_channels * (taps + partial_sums) + converted) * itemsize)
    budget = min(MAX_BLOCK_BYTES, max(MIN_BLOCK_BYTES, int(BUDGET_SAFETY * (limit - held))))
    # per axis and tap: the input indices whose products land inside the crop, and where they land
    reach = [[_landing(n, s, d * t - p[0], size) for t in range(k)]
             for n, k, s, d, p, size in zip(x.shape[2:], kernel, stride, dilation, padding, out_spatial,
                                            strict=True)]
    blocks = list(_blocks(batch, x.shape[2:], per_position, budget))
    largest = max((math.prod(x[block].shape[:1] + x[block].shape[2:]) for block in blocks), default=0)
    buffer = np.empty(out_channels * taps * largest, dtype=work)  # every block's Col, in turn
    with np.errstate(over="ignore", invalid="ignore"):  # IEEE overflow and Inf - Inf are results here
        for block in blocks:
            source = x[block]
            nb, shape = source.shape[0], source.shape[2:]
            origin = [block[2 + a].start if 2 + a < len(block) else 0 for a in range(rank)]
            count = math.prod(shape)
            xm = source.astype(work, copy=False).reshape(nb, groups, per_group, count)
            col = buffer[:nb * out_channels * taps * count].reshape(nb, groups, out_per_group * taps, count)
            if per_group == 1:  # one product per element, no sum: a broadcast multiply, several
                np.multiply(wt, xm, out=col)  # times faster than matmul with an inner dimension of 1
            else:
                np.matmul(wt, xm, out=col)
            _scatter(y[block[0]], col.reshape(nb, out_channels, *kernel, *shape), reach, origin, stride)
        if b is not None:
            y += b.reshape((1, out_channels) + (1,) * rank)
    return y


def _landing(size: int, stride: int, offset: int, out: int) -> tuple[int, int, int]:
    """(first, last, offset): the input indices i in [first, last] of one tap whose output index
    i*stride + offset lies in [0, out) (first > last when none does)."""
    first = max(0, -(offset // stride))  # ceil(-offset / stride)
    last = min(size - 1, (out - 1 - offset) // stride)
    return first, last, offset


def _scatter(target: np.ndarray, col: np.ndarray, reach: list[list[tuple[int, int, int]]],
             origin: list[int], stride: Sequence[int]) -> None:
    """Add a block's products, col (nb, C_out, *kernel, *block), into the output positions they land on.

    One axis at a time, the last first: its taps are added into that axis's output positions, in an
    intermediate array of partial sums, and the first axis's into ``target`` itself. That is
    sum(kernel) strided adds per block instead of prod(kernel) (12 instead of 64 for a 4x4x4 kernel),
    in a different order of summation; positions no product reaches only ever receive +0.
    """
    rank = len(stride)
    current = col  # (nb, C, k_0..k_a, i_0..i_a, o_{a+1}..o_{rank-1}) at axis a's turn
    ranges = []  # the output range [lo, hi) the block reaches on each axis, last axis first
    for a in reversed(range(rank)):
        size = current.shape[3 + 2 * a]
        lands = [(max(first, origin[a]), min(last, origin[a] + size - 1), offset)
                 for first, last, offset in reach[a]]
        lands = [(t, first, last, offset) for t, (first, last, offset) in enumerate(lands) if first <= last]
        if not lands:
            return  # no product of this block lands inside the crop
        lo = min(first * stride[a] + offset for _, first, _, offset in lands)
        hi = max(last * stride[a] + offset for _, _, last, offset in lands) + 1
        ranges.append(slice(lo, hi))
        if a:
            shape = list(current.shape)
            del shape[2 + a]
            shape[2 + 2 * a] = hi - lo
            partial = np.zeros(shape, dtype=col.dtype)
        else:  # the output itself, at the ranges the later axes' partial sums cover
            partial = target[(slice(None), slice(None), *reversed(ranges))]
            lo = ranges[-1].start
        unsafe = partial.dtype != current.dtype  # exact float64 integers into the int64 output
        for t, first, last, offset in lands:
            source = [slice(None)] * current.ndim
            source[2 + a] = t
            source[3 + 2 * a] = slice(first - origin[a], last - origin[a] + 1)
            start = first * stride[a] + offset - lo
            into = [slice(None)] * partial.ndim
            into[2 + 2 * a] = slice(start, start + (last - first) * stride[a] + 1, stride[a])
            view = partial[tuple(into)]
            if unsafe:
                np.add(view, current[tuple(source)], out=view, casting="unsafe")
            else:
                view += current[tuple(source)]
        current = partial


def _integer_bound(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, groups: int) -> int:
    """An upper bound of |b| + sum |x|*|w| for every output element, in Python integers."""

    def largest(a: np.ndarray | None) -> int:
        return 0 if a is None or a.size == 0 else max(int(a.max()), -int(a.min()))

    terms = (x.shape[1] // groups) * math.prod(w.shape[2:])
    return largest(b) + terms * largest(x) * largest(w)
