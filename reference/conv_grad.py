"""The gradients of conv: reference dx, dw and db for y = conv(x, w, b), in float64.

Given dy (N, O, *out), the gradients of the scalar <dy, y> (what backpropagation computes):

    dx = conv_grad_input(dy, w)   dx[n, q*C/g + c, j] = sum of dy[n, o, i] * w[o, c, m] over the
                                  (o in group q, i, m) with j = i*s + m*d - p0
    dw = conv_grad_weight(x, dy)  dw[o, c, m] = sum over n, i of
                                  dy[n, o, i] * x~[n, q*C/g + c, i*s + m*d - p0]
    db = conv_grad_bias(dy)       db[o] = sum over n, i of dy[n, o, i]

How they compute
    - dx is conv_transpose(dy, w): conv's w (O, C/g, *k) is exactly conv_transpose's
      (C_in, C_out/g, *k) layout with C_in = O, and output_padding = in - ((out - 1)*s - p0 - p1 +
      d*(k - 1) + 1) (the floor's remainder, always below the stride) restores the input's length.
      conv_transpose forms a product only for real (dy, tap) pairs, so an input position no window
      reads (beyond the last window, or between taps when the stride exceeds the dilated kernel)
      gets exactly 0, whatever dy and w hold.
    - dw is one stacked matrix product per block, the transpose of conv's: per group,
      dW_g (O/g, C/g*K) += dY_g (O/g, positions) @ Col_g^T (positions, C/g*K), Col being the block's
      windows of the zero-padded x copied as reference.conv copies them (im2col), the blocks being
      whole images or slices of the spatial axes, summed into dw. Blocks get what 3x (output +
      inputs) leaves after dw and the padded copy of x, at most MAX_BLOCK_BYTES, as in
      reference/conv.py.
    - db is a float64 sum over the batch and spatial axes.

Padding (the decision): dw multiplies the padding's zeros by dy. Every product conv forms,
x~ * w[o, c, m], padding zeros included (spec/semantics.md: padding is zeros that are multiplied,
an infinite weight over padding gives NaN), has the derivative x~ * dy with respect to w[o, c, m]:
dw sums exactly the products y summed, with w's factor replaced by dy's. So an infinite dy over a
window that reads padding gives NaN in dw (0 * inf), as PyTorch and JAX compute it. Dilation holes
and the positions beyond the last window are not products of conv, so they are not products here.
The exact reference (reference/exact.py) follows the same rule.

Dtypes: float only. Any numeric input is computed in float64 and float64 is returned (integer
inputs included: small integers are then exact, which the tests use).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .arguments import ConvArgumentError, check_conv_arguments
from .conv import BUDGET_SAFETY, MAX_BLOCK_BYTES, MIN_BLOCK_BYTES, _blocks, _padded, _windows
from .conv_transpose import conv_transpose
from .output_size import output_size

__all__ = ["check_conv_grad_input_arguments", "check_conv_grad_weight_arguments", "conv_grad_bias",
           "conv_grad_input", "conv_grad_weight"]


def _attributes(stride: Sequence[int], padding: Sequence[Sequence[int]], dilation: Sequence[int]):
    """Plain int tuples; padding entries are kept as tuples of any length (pairs are checked)."""
    return (tuple(map(int, stride)), tuple(tuple(int(v) for v in p) for p in padding),
            tuple(map(int, dilation)))


def _check_rank(name: str, a: np.ndarray, other_name: str, other: np.ndarray) -> None:
    if a.ndim < 3 or a.ndim > 5:
        raise ConvArgumentError("rank", f"{name} must have 3 to 5 dims (N, C, 1-3 spatial), got {a.ndim}")
    if other.ndim != a.ndim:
        raise ConvArgumentError("rank", f"{other_name} has {other.ndim} dims but {name} has {a.ndim}: "
                                "ranks must match")


def _check_dy(dy: np.ndarray, x_shape: Sequence[int], w_shape: Sequence[int], *, stride: Sequence[int],
              padding: Sequence[Sequence[int]], dilation: Sequence[int]) -> None:
    """"gradient-shape" unless dy has the shape conv of x_shape with w_shape gives."""
    out = tuple(output_size(n, k, s, tuple(p), d) for n, k, s, p, d in
                zip(x_shape[2:], w_shape[2:], stride, padding, dilation, strict=True))
    expected = (x_shape[0], w_shape[0], *out)
    if tuple(dy.shape) != expected:
        raise ConvArgumentError("gradient-shape", (
            f"dy has shape {tuple(dy.shape)} but conv of an input {tuple(x_shape)} with weights "
            f"{tuple(w_shape)} gives {expected}"))


def check_conv_grad_input_arguments(dy: np.ndarray, w: np.ndarray, *, input_shape: Sequence[int],
                                    stride: Sequence[int], padding: Sequence[Sequence[int]],
                                    dilation: Sequence[int], groups: int) -> None:
    """Raise :class:`ConvArgumentError` unless dy could be the output of conv(x, w) with x of input_shape.

    conv's kinds, found by conv's own checks on a zero x of input_shape (a broadcast view: no
    memory), in conv's order; then "gradient-shape" when dy is not (N, O, *out) of that conv.
    """
    dy, w = np.asarray(dy), np.asarray(w)
    _check_rank("dy", dy, "w", w)
    shape = tuple(int(n) for n in input_shape)
    if len(shape) != dy.ndim or any(n < 1 for n in shape):
        raise ConvArgumentError("gradient-shape", (
            f"input_shape {shape} must be {dy.ndim} dims (N, C, *spatial) like dy, each at least 1"))
    stride, padding, dilation = _attributes(stride, padding, dilation)
    x = np.broadcast_to(np.zeros((), dtype=np.float64), shape)
    check_conv_arguments(x, w, None, stride=stride, padding=padding, dilation=dilation, groups=groups)
    _check_dy(dy, shape, w.shape, stride=stride, padding=padding, dilation=dilation)


def check_conv_grad_weight_arguments(x: np.ndarray, dy: np.ndarray, *, kernel_shape: Sequence[int],
                                     stride: Sequence[int], padding: Sequence[Sequence[int]],
                                     dilation: Sequence[int], groups: int) -> None:
    """Raise :class:`ConvArgumentError` unless dy could be the output of conv(x, w) with w of
    shape (O, C/groups, *kernel_shape), O being dy's channels.

    conv's kinds, found by conv's own checks on a zero w of that shape, in conv's order (w's
    second dimension is C/groups by construction, so "weight-channels" cannot occur); then
    "gradient-shape" when dy's batch or spatial shape is not conv's. A kernel_shape of the wrong
    length, or with an entry below 1, is "gradient-shape" too, named before conv's checks.
    """
    x, dy = np.asarray(x), np.asarray(dy)
    _check_rank("x", x, "dy", dy)
    kernel = tuple(int(k) for k in kernel_shape)
    if len(kernel) != x.ndim - 2 or any(k < 1 for k in kernel):
        raise ConvArgumentError("gradient-shape", (
            f"kernel_shape {kernel} must have one entry per spatial axis ({x.ndim - 2}), each at least 1"))
    stride, padding, dilation = _attributes(stride, padding, dilation)
    channels = x.shape[1] // groups if groups >= 1 else x.shape[1]
    w = np.broadcast_to(np.zeros((), dtype=np.float64), (dy.shape[1], channels, *kernel))
    check_conv_arguments(x, w, None, stride=stride, padding=padding, dilation=dilation, groups=groups)
    _check_dy(dy, x.shape, w.shape, stride=stride, padding=padding, dilation=dilation)


def _float64(a: np.ndarray) -> np.ndarray:
    return np.asarray(a).astype(np.float64, copy=False)


def conv_grad_input(dy: np.ndarray, w: np.ndarray, *, input_shape: Sequence[int], stride: Sequence[int],
                    padding: Sequence[Sequence[int]], dilation: Sequence[int], groups: int) -> np.ndarray:
    """dx = d<dy, conv(x, w)>/dx for x of ``input_shape`` (N, C, *in), in float64.

    conv_transpose(dy, w) with the output_padding that restores input_shape; positions no window
    reads are exactly 0. Raises ``ConvArgumentError`` as :func:`check_conv_grad_input_arguments`.
    """
    dy, w = _float64(dy), _float64(w)
    stride, padding, dilation = _attributes(stride, padding, dilation)
    check_conv_grad_input_arguments(dy, w, input_shape=input_shape, stride=stride, padding=padding,
                                    dilation=dilation, groups=groups)
    shape = tuple(int(n) for n in input_shape)
    extra = tuple(n - ((o - 1) * s - p[0] - p[1] + d * (k - 1) + 1) for n, o, k, s, p, d in
                  zip(shape[2:], dy.shape[2:], w.shape[2:], stride, padding, dilation, strict=True))
    dx = conv_transpose(dy, w, stride=stride, padding=padding, output_padding=extra, dilation=dilation,
                        groups=int(groups))
    assert dx.shape == shape, (dx.shape, shape)
    return dx


def conv_grad_weight(x: np.ndarray, dy: np.ndarray, *, kernel_shape: Sequence[int], stride: Sequence[int],
                     padding: Sequence[Sequence[int]], dilation: Sequence[int], groups: int) -> np.ndarray:
    """dw = d<dy, conv(x, w)>/dw, shape (O, C/groups, *kernel_shape), in float64.

    im2col of the zero-padded x times dy, one stacked matmul per block; the padding's zeros are
    multiplied by dy (0 * inf is NaN), as conv multiplies them by w. Raises ``ConvArgumentError``
    as :func:`check_conv_grad_weight_arguments`.
    """
    given = [np.asarray(x), np.asarray(dy)]
    # numeric x is converted while it is padded (one copy); other dtypes first, as in reference.conv
    x = given[0] if given[0].dtype.kind in "biuf" else given[0].astype(np.float64)
    dy = _float64(given[1])
    stride, padding, dilation = _attributes(stride, padding, dilation)
    check_conv_grad_weight_arguments(x, dy, kernel_shape=kernel_shape, stride=stride, padding=padding,
                                     dilation=dilation, groups=groups)
    groups = int(groups)
    kernel = tuple(int(k) for k in kernel_shape)
    rank = len(kernel)
    batch, channels = x.shape[:2]
    out_channels, out_spatial = dy.shape[1], dy.shape[2:]
    per_group, out_per_group = channels // groups, out_channels // groups
    depth = per_group * math.prod(kernel)
    dw = np.zeros((out_channels, per_group, *kernel), dtype=np.float64)
    xp = _padded(x, padding, np.float64)
    limit = 3 * (dw.nbytes + sum(a.nbytes for a in given))
    # dw and one product block of its size, the padded x, a converted dy
    held = 2 * dw.nbytes + (0 if xp is given[0] else xp.nbytes) + (0 if dy is given[1] else dy.nbytes)
    del x
    budget = min(MAX_BLOCK_BYTES, max(MIN_BLOCK_BYTES, int(BUDGET_SAFETY * (limit - held))))
    windows = _windows(xp, kernel, stride, dilation, out_spatial)
    # per output position: its Col column and its dy column, copied
    per_position = (channels * math.prod(kernel) + out_channels) * 8
    blocks = list(_blocks(batch, out_spatial, per_position, budget))
    largest = max(math.prod(windows[block].shape[2:2 + rank]) * windows[block].shape[0] for block in blocks)
    pointwise = math.prod(kernel) == 1
    # (nb, G, Cg, *pos, *k) -> (G, Cg, *k, nb, *pos): taps and channels first, positions last
    order = (1, 2, *range(3 + rank, 3 + 2 * rank), 0, *range(3, 3 + rank))
    dwm = dw.reshape(groups, out_per_group, depth)
    buffer = product = None  # allocated when a block first needs them
    first = True
    with np.errstate(over="ignore", invalid="ignore"):  # IEEE overflow and Inf - Inf are results here
        for block in blocks:
            source = windows[block]
            nb, positions = source.shape[0], source.shape[2:2 + rank]
            count = nb * math.prod(positions)
            col = None
            if pointwise and nb == 1:  # a 1x1 kernel reads x as it lies: no copy when it is contiguous
                view = source.reshape(groups, depth, count)
                if view.strides[-1] == view.itemsize and np.may_share_memory(view, windows):
                    col = view
            if col is None:
                source = source.reshape(nb, groups, per_group, *positions, *kernel).transpose(order)
                if buffer is None:
                    buffer = np.empty(groups * depth * largest, dtype=np.float64)
                col = buffer[:groups * depth * count].reshape(source.shape)
                np.copyto(col, source)
                col = col.reshape(groups, depth, count)
            grads = dy[block]  # (nb, O, *positions)
            grads = (grads.reshape(groups, out_per_group, count) if nb == 1
                     else np.moveaxis(grads, 0, 1).reshape(groups, out_per_group, count))
            if first:
                np.matmul(grads, col.transpose(0, 2, 1), out=dwm)
                first = False
                continue
            if product is None:
                product = np.empty_like(dwm)
            np.matmul(grads, col.transpose(0, 2, 1), out=product)
            dwm += product
    return dw


def conv_grad_bias(dy: np.ndarray) -> np.ndarray:
    """db = d<dy, conv(x, w, b)>/db: dy summed over the batch and spatial axes, shape (O,), float64."""
    dy = _float64(dy)
    if dy.ndim < 3 or dy.ndim > 5:
        raise ConvArgumentError("rank", f"dy must have 3 to 5 dims (N, O, 1-3 spatial), got {dy.ndim}")
    with np.errstate(over="ignore", invalid="ignore"):  # IEEE overflow and inf - inf are results here
        return dy.sum(axis=(0, *range(2, dy.ndim)))
