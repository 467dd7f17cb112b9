"""The reference convolution: im2col and a matrix product in float64, exactly in int64 for integers.

How it computes
    1. The inputs are converted to the accumulation type (float64; int64 when x, w and b are all
       integer arrays) and zero-padded once.
    2. ``numpy.lib.stride_tricks.sliding_window_view``, sliced by the stride (window positions) and
       by the dilation (taps inside a window), shows without copying every value each output
       position reads: an array of shape (N, C, *out, *kernel). Dilation holes are not taps, so
       nothing is multiplied there.
    3. Each group's output is the matrix product W (O/g, C/g*K) @ Col (C/g*K, positions), where
       Col is a block of those windows copied into a contiguous buffer ("im2col");
       ``numpy.matmul`` computes it with the BLAS dgemm NumPy is linked with (all groups in one
       stacked call). SciPy's own dgemm was measured no faster on ResNet shapes, so the reference
       needs NumPy alone. The output is computed in blocks of positions (several whole images, or
       slices of the spatial axes), as large as the memory target leaves room for and at most
       32 MiB: with the output and the padded copy of x, the whole call needs at most
       3x (output + inputs).
    4. The bias is added last.

Why it is trusted
    - Accuracy: every output element is a float64 sum of its n = C/g*K products (+1 with a bias),
      in some order (BLAS blocking, with or without FMA). Higham's bound for any order,
      gamma_n(2**-53) * (|b| + sum |x|*|w|), is exactly the reference's own error term in
      spec/accuracy.md, so the summation order is covered by the accuracy rule.
    - Special values: all arithmetic is IEEE. BLAS dgemm does not skip zero operands, so NaN*0 and
      Inf*0 give NaN and Inf - Inf gives NaN. Padding is real zeros: an infinite weight over a
      padded position gives NaN, as in frameworks' explicit padding.
    - Integers are exact. When |b| + C/g*K * max|x| * max|w| < 2**53, every product and partial sum
      is an integer that float64 represents, so the float64 product is exact in any order and is
      returned as int64. Otherwise the product runs in int64 (NumPy's integer matmul), exact while
      |b| + sum |x|*|w| < 2**63, the caller's contract (no partial sum can overflow then).
    - Cross-checks in the test suite: the exact rational reference (reference/exact.py, no NumPy
      arithmetic) on every vector of the corpus, NaN and Inf vectors included, and on Hypothesis
      calls; the definition written as Python loops; the direct-loop NumPy backend (one einsum per
      kernel tap, no im2col); the results ONNX and PyTorch publish.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .arguments import check_conv_arguments
from .output_size import output_size

# Integers of magnitude below 2**53 are exact in float64, and so is every sum of them that stays there.
FLOAT64_EXACT = 2**53
# The block buffers: what 3x (output + inputs) leaves after the output and the padded input (times
# BUDGET_SAFETY), and never more than MAX_BLOCK_BYTES (nor, for small calls, less than
# MIN_BLOCK_BYTES, below which blocks only add Python overhead). Fewer, larger matrix products
# also suffer less when other processes compete for the cores BLAS threads run on.
MAX_BLOCK_BYTES = 32 << 20
MIN_BLOCK_BYTES = 64 << 10
BUDGET_SAFETY = 0.8


def computed_inputs(x: object, w: object, b: object | None
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, type, list[np.ndarray]]:
    """(x, w, b, the type they are computed in, the inputs as given): int64 when every input is an
    integer array, else float64. A numeric x stays as it is, converted later while it is padded or
    read block by block (one copy, not two); other dtypes are converted now, so that a failing
    conversion raises before the argument checks."""
    inputs = [np.asarray(a) for a in (x, w) + (() if b is None else (b,))]
    acc = np.int64 if all(np.issubdtype(a.dtype, np.integer) for a in inputs) else np.float64
    x = inputs[0] if inputs[0].dtype.kind in "biuf" else inputs[0].astype(acc)
    w = inputs[1].astype(acc)
    b = None if b is None else inputs[2].astype(acc)
    return x, w, b, acc, inputs


def conv(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, *, stride: Sequence[int],
         padding: Sequence[Sequence[int]], dilation: Sequence[int], groups: int) -> np.ndarray:
    """Cross-correlate ``x`` (N, C, *spatial) with ``w`` (O, C/groups, *kernel).

    Computes in float64, or exactly in int64 when every input is an integer array (the caller
    keeps |b| + sum |x|*|w| below 2**63). Follows the backend protocol of the spec exactly; raises
    ``ConvArgumentError`` (a ``ValueError``) for arguments that describe no valid convolution.
    """
    x, w, b, acc, inputs = computed_inputs(x, w, b)
    stride, dilation = tuple(map(int, stride)), tuple(map(int, dilation))
    padding = tuple((int(p[0]), int(p[1])) for p in padding)
    check_conv_arguments(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)
    groups = int(groups)
    out_spatial = tuple(
        output_size(n, k, s, p, d)
        for n, k, s, p, d in zip(x.shape[2:], w.shape[2:], stride, padding, dilation, strict=True)
    )
    batch, channels = x.shape[:2]
    out_channels = w.shape[0]
    out = np.zeros((batch, out_channels, *out_spatial), dtype=acc)

    work = acc
    if acc == np.int64 and _integer_bound(x, w, b) < FLOAT64_EXACT:
        work = np.float64  # exact: see the module docstring
    xp = _padded(x, padding, work)
    wk = w.astype(work, copy=False)
    # What the call may still allocate within 3x (output + inputs as given), for the blocks.
    limit = 3 * (out.nbytes + sum(a.nbytes for a in inputs))
    held = out.nbytes + (0 if xp is inputs[0] else xp.nbytes) + w.nbytes + (0 if wk is w else wk.nbytes)
    # the im2col buffer, plus the product block when it cannot go straight into the output
    share = 1.0 + out_channels / max(1, channels * math.prod(w.shape[2:]))
    budget = min(MAX_BLOCK_BYTES, max(MIN_BLOCK_BYTES, int(BUDGET_SAFETY * (limit - held) / share)))
    del x  # a converted copy is freed here; the caller's array is untouched
    windows = _windows(xp, w.shape[2:], stride, dilation, out_spatial)
    with np.errstate(over="ignore", invalid="ignore"):  # IEEE overflow and Inf - Inf are results here
        _im2col_matmul(out, windows, wk, groups, budget)
        if b is not None:
            out += b.reshape((1, out_channels) + (1,) * len(out_spatial))
    return out


def _integer_bound(x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> int:
    """An upper bound of |b| + sum |x|*|w| for every output element, in Python integers."""

    def largest(a: np.ndarray | None) -> int:
        return 0 if a is None or a.size == 0 else max(int(a.max()), -int(a.min()))

    terms = math.prod(w.shape[1:])
    return largest(b) + terms * largest(x) * largest(w)


def _padded(x: np.ndarray, padding: Sequence[tuple[int, int]], dtype: type) -> np.ndarray:
    """``x`` zero-padded on its spatial axes, in ``dtype`` (``x`` itself when nothing changes)."""
    if x.dtype == dtype and not any(p0 or p1 for p0, p1 in padding):
        return x
    shape = x.shape[:2] + tuple(n + p0 + p1 for n, (p0, p1) in zip(x.shape[2:], padding, strict=True))
    xp = np.zeros(shape, dtype=dtype)
    xp[(slice(None), slice(None), *(slice(p0, p0 + n) for n, (p0, _) in
                                    zip(x.shape[2:], padding, strict=True)))] = x
    return xp


def _windows(xp: np.ndarray, kernel: Sequence[int], stride: Sequence[int], dilation: Sequence[int],
             out_spatial: Sequence[int]) -> np.ndarray:
    """A read-only view (N, C, *out, *kernel): [n, c, p, t] is what output p reads at tap t."""
    rank = len(kernel)
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True))
    every = sliding_window_view(xp, span, axis=tuple(range(2, 2 + rank)))
    view = every[(slice(None), slice(None), *(slice(None, None, s) for s in stride),
                  *(slice(None, None, d) for d in dilation))]
    assert view.shape[2:] == (*out_spatial, *kernel), (view.shape, out_spatial, kernel)
    return view


def _blocks(batch: int, out_spatial: Sequence[int], per_position: int,
            budget: int) -> Iterator[tuple[slice, ...]]:
    """Index tuples (images, channels, *spatial) of output blocks covering the output once, each
    needing at most ``budget`` bytes at ``per_position`` bytes per output position (one position
    at least): several whole images while one fits, else ranges of the first spatial axis, else
    single indices of it with ranges of the next, and so on."""
    per_image = per_position * math.prod(out_spatial)
    if per_image <= budget:
        step = max(1, budget // max(per_image, 1))
        for n0 in range(0, batch, step):
            yield slice(n0, min(batch, n0 + step)), slice(None)
        return
    for n in range(batch):
        for spatial in _split(tuple(out_spatial), per_position, budget):
            yield slice(n, n + 1), slice(None), *spatial


def _split(shape: tuple[int, ...], per_position: int, budget: int) -> Iterator[tuple[slice, ...]]:
    """Slices of the leading axes of ``shape`` that cover it, each within ``budget`` bytes if it can."""
    inner = per_position * math.prod(shape[1:])
    if inner <= budget or len(shape) == 1:
        step = max(1, budget // max(inner, 1))
        for r0 in range(0, shape[0], step):
            yield (slice(r0, min(shape[0], r0 + step)),)
        return
    for r in range(shape[0]):
        for rest in _split(shape[1:], per_position, budget):
            yield slice(r, r + 1), *rest


def _im2col_matmul(out: np.ndarray, windows: np.ndarray, w: np.ndarray, groups: int,
                   budget: int) -> None:
    """out[n, g*Og + o, p] = W[g] @ Col[g] per block, Col copied from ``windows``."""
    batch, channels = windows.shape[:2]
    rank = out.ndim - 2
    out_spatial, kernel = windows.shape[2:2 + rank], windows.shape[2 + rank:]
    out_channels = out.shape[1]
    per_group, out_per_group = channels // groups, out_channels // groups
    depth = per_group * math.prod(kernel)  # the dot-product length
    wmat = w.reshape(groups, out_per_group, depth)
    pointwise = math.prod(kernel) == 1 and all(  # positions of one image are adjacent in memory
        windows.strides[2 + a] == windows.strides[3 + a] * windows.shape[3 + a] for a in range(rank - 1))
    blocks = list(_blocks(batch, out_spatial, channels * math.prod(kernel) * w.itemsize, budget))
    largest = max((math.prod(out[block].shape[2:]) * out[block].shape[0] for block in blocks), default=0)
    buffer = None  # allocated when a block first needs it
    # (nb, G, Cg, *pos, *k) -> (G, Cg, *k, nb, *pos): taps and channels first, positions last
    order = (1, 2, *range(3 + rank, 3 + 2 * rank), 0, *range(3, 3 + rank))
    for block in blocks:
        source = windows[block]
        nb, positions = source.shape[0], source.shape[2:2 + rank]
        count = nb * math.prod(positions)
        col = source.reshape(groups, depth, count) if pointwise and nb == 1 else None
        if col is None or col.strides[-1] != col.itemsize or not np.may_share_memory(col, windows):
            # (a 1x1 kernel at stride 1 reads the input as it lies: no copy, unless it is strided)
            source = source.reshape(nb, groups, per_group, *positions, *kernel).transpose(order)
            if buffer is None:
                buffer = np.empty(groups * depth * largest, dtype=w.dtype)
            col = buffer[:groups * depth * count].reshape(source.shape)
            np.copyto(col, source)
            col = col.reshape(groups, depth, count)
        target = out[block]
        if nb == 1 and target.dtype == w.dtype:
            direct = target.reshape(groups, out_per_group, count)
            if np.may_share_memory(direct, out):  # a view: the product goes straight into the output
                np.matmul(wmat, col, out=direct)
                continue
        product = np.matmul(wmat, col).reshape(out_channels, nb, *positions)
        target[...] = np.moveaxis(product, 1, 0)  # (an exact cast when float64 -> int64)
