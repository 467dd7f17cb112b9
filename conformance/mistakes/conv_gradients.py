"""The mistakes of conv's gradients: one deliberately wrong conv_grad_input, conv_grad_weight or
conv_grad_bias per mistake, each entry naming its operator in ``OPERATORS``.

Each has the backend protocol signature of its operator and is otherwise correct: all but the
accepts-invalid ones first reject exactly the calls the reference rejects, then change their
arguments or result around one correct computation, a loop over kernel taps that accumulates as
the numpy backend does (16-bit floats in float32) and rounds once. The numeric mistakes run that
loop with the mistake in it.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable

import numpy as np

from convspec.reference import (
    ConvArgumentError,
    check_conv_grad_input_arguments,
    check_conv_grad_weight_arguments,
)

from ..backends.numpy import _accumulator

# mistake id -> its faulty implementation, in definition order (diagnosis names them in this order)
IMPLEMENTATIONS: dict[str, Callable[..., np.ndarray]] = {}
# mistake id -> the operator it is a mistake of
OPERATORS: dict[str, str] = {}


def _ints(stride, padding, dilation):
    return (tuple(int(s) for s in stride), tuple((int(p0), int(p1)) for p0, p1 in padding),
            tuple(int(d) for d in dilation))


def _check_bias(dy: np.ndarray) -> None:
    if not 3 <= dy.ndim <= 5:
        raise ConvArgumentError("rank", f"dy must have 3 to 5 dims, got {dy.ndim}")


def _faulty(mistake: str, operator: str, *, validated: bool = True) -> Callable[[Callable], Callable]:
    """Register the decorated function as ``operator``'s implementation of ``mistake``; with
    ``validated``, it first rejects invalid calls exactly as the reference does."""

    def register(faulty: Callable) -> Callable:
        implementation = faulty
        if validated and operator == "conv_grad_input":
            @functools.wraps(faulty)
            def implementation(dy, w, *, input_shape, stride, padding, dilation, groups):
                dy, w = np.asarray(dy), np.asarray(w)
                check_conv_grad_input_arguments(dy, w, input_shape=input_shape, stride=stride,
                                                padding=padding, dilation=dilation, groups=groups)
                return faulty(dy, w, tuple(int(n) for n in input_shape), *_ints(stride, padding, dilation),
                              int(groups))
        elif validated and operator == "conv_grad_weight":
            @functools.wraps(faulty)
            def implementation(x, dy, *, kernel_shape, stride, padding, dilation, groups):
                x, dy = np.asarray(x), np.asarray(dy)
                check_conv_grad_weight_arguments(x, dy, kernel_shape=kernel_shape, stride=stride,
                                                 padding=padding, dilation=dilation, groups=groups)
                return faulty(x, dy, tuple(int(k) for k in kernel_shape), *_ints(stride, padding, dilation),
                              int(groups))
        elif validated:
            @functools.wraps(faulty)
            def implementation(dy):
                dy = np.asarray(dy)
                _check_bias(dy)
                return faulty(dy)

        if mistake in IMPLEMENTATIONS:
            raise ValueError(f"{mistake} is implemented twice")
        IMPLEMENTATIONS[mistake] = implementation
        OPERATORS[mistake] = operator
        return implementation

    return register


# --- the correct computations the mistakes are made around ------------------------------------

def _taps(kernel):
    return itertools.product(*(range(k) for k in kernel))


def _reach(tap, dilation, positions, stride):
    """The (padded-input) positions tap ``tap`` reads, one per output position."""
    return tuple(slice(t * d, t * d + (n - 1) * s + 1, s)
                 for t, d, n, s in zip(tap, dilation, positions, stride, strict=True))


def _scatter(dy, w, lengths, stride, dilation, groups, acc):
    """dy * w[tap] added onto the padded-input positions each tap read, in arrays of ``lengths``
    (at least as long as the scatter reaches) per axis."""
    per_out, per_in = dy.shape[1] // groups, w.shape[1]
    out = np.zeros((dy.shape[0], per_in * groups, *lengths), dtype=acc)
    dya, wa = dy.astype(acc), w.astype(acc)
    with np.errstate(over="ignore", invalid="ignore"):
        for tap in _taps(w.shape[2:]):
            landing = _reach(tap, dilation, dy.shape[2:], stride)
            for g in range(groups):
                outs, ins = slice(g * per_out, (g + 1) * per_out), slice(g * per_in, (g + 1) * per_in)
                out[(slice(None), ins, *landing)] += np.einsum("no...,oc->nc...", dya[:, outs],
                                                               wa[(outs, slice(None), *tap)])
    return out


def _reached(dy, kernel, stride, dilation):
    """Per axis, how far into the padded input the windows of dy's positions reach."""
    return [(n - 1) * s + d * (k - 1) + 1
            for n, k, s, d in zip(dy.shape[2:], kernel, stride, dilation, strict=True)]


def _fit(full, input_shape, padding):
    """Crop each axis's padding from the front and keep input_shape's length, zero-filling what the
    scatter did not reach."""
    spatial = [(p0, n) for (p0, _), n in zip(padding, input_shape[2:], strict=True)]
    grow = [(0, max(p0 + n - full.shape[2 + a], 0)) for a, (p0, n) in enumerate(spatial)]
    full = np.pad(full, [(0, 0), (0, 0), *grow])
    return full[(slice(None), slice(None), *(slice(p0, p0 + n) for p0, n in spatial))]


def _grad_input(dy, w, input_shape, stride, padding, dilation, groups):
    """The correct dx: the scatter onto the padded input, its padding cropped (unread positions 0)."""
    acc = _accumulator(dy.dtype)
    lengths = [max(r, n + p0 + p1) for r, n, (p0, p1) in
               zip(_reached(dy, w.shape[2:], stride, dilation), input_shape[2:], padding, strict=True)]
    full = _scatter(dy, w, lengths, stride, dilation, groups, acc)
    with np.errstate(over="ignore"):
        return _fit(full, input_shape, padding).astype(dy.dtype)


def _patches(x, dy, kernel, stride, padding, dilation, groups, acc):
    """Per tap and group, the padded input each tap read (N, C/g, *out), and dy per group, in acc."""
    xp = np.pad(x.astype(acc), [(0, 0), (0, 0), *padding])
    per_in, per_out = x.shape[1] // groups, dy.shape[1] // groups
    for tap in _taps(kernel):
        read = _reach(tap, dilation, dy.shape[2:], stride)
        for g in range(groups):
            yield tap, g, xp[(slice(None), slice(g * per_in, (g + 1) * per_in), *read)], \
                dy[:, g * per_out:(g + 1) * per_out].astype(acc)


def _grad_weight(x, dy, kernel, stride, padding, dilation, groups, *, source=None):
    """The correct dw (``source(g)`` picks the input channels group g reads, for the mistakes)."""
    acc = _accumulator(x.dtype)
    per_in, per_out = x.shape[1] // groups, dy.shape[1] // groups
    dw = np.zeros((dy.shape[1], per_in, *kernel), dtype=acc)
    if source is not None:
        x = np.concatenate([x[:, source(g)] for g in range(groups)], axis=1)
    with np.errstate(over="ignore", invalid="ignore"):
        for tap, g, patch, grads in _patches(x, dy, kernel, stride, padding, dilation, groups, acc):
            n = grads.shape[0]
            dw[(slice(g * per_out, (g + 1) * per_out), slice(None), *tap)] = np.einsum(
                "nop,ncp->oc", grads.reshape(n, grads.shape[1], -1), patch.reshape(n, patch.shape[1], -1))
        return dw.astype(x.dtype)


# --- conv_grad_input --------------------------------------------------------------------------

@_faulty("grad-input-unread-not-zeroed", "conv_grad_input")
def grad_input_unread_not_zeroed(dy, w, input_shape, stride, padding, dilation, groups):
    """Fills the input positions beyond the last window's reach with the last position reached
    (an edge-replicating resize) instead of 0."""
    acc = _accumulator(dy.dtype)
    reached = _reached(dy, w.shape[2:], stride, dilation)
    full = _scatter(dy, w, reached, stride, dilation, groups, acc)
    grow = [(0, max(n + p0 + p1 - r, 0))
            for r, n, (p0, p1) in zip(reached, input_shape[2:], padding, strict=True)]
    full = np.pad(full, [(0, 0), (0, 0), *grow], mode="edge")
    with np.errstate(over="ignore"):
        return _fit(full, input_shape, padding).astype(dy.dtype)


@_faulty("grad-input-output-padding-ignored", "conv_grad_input")
def grad_input_output_padding_ignored(dy, w, input_shape, stride, padding, dilation, groups):
    """Returns conv_transpose(dy, w) without the output_padding that restores the input size: dx is
    shorter than input_shape wherever the forward floor dropped positions."""
    acc = _accumulator(dy.dtype)
    reached = _reached(dy, w.shape[2:], stride, dilation)
    full = _scatter(dy, w, reached, stride, dilation, groups, acc)
    crop = tuple(slice(p0, r - p1) for (p0, p1), r in zip(padding, reached, strict=True))
    with np.errstate(over="ignore"):
        return full[(slice(None), slice(None), *crop)].astype(dy.dtype)


@_faulty("grad-input-kernel-not-flipped", "conv_grad_input")
def grad_input_kernel_not_flipped(dy, w, input_shape, stride, padding, dilation, groups):
    """Correlates the zero-inserted dy with the kernel as it lies, where the convolution view of the
    scatter needs it flipped: every tap scatters as its mirror tap would."""
    flipped = np.flip(w, axis=tuple(range(2, w.ndim))).copy()
    return _grad_input(dy, flipped, input_shape, stride, padding, dilation, groups)


@_faulty("grad-input-stride-dilation-swapped", "conv_grad_input")
def grad_input_stride_dilation_swapped(dy, w, input_shape, stride, padding, dilation, groups):
    """Scatters with the stride as the dilation and the dilation as the stride, then crops or
    zero-fills to input_shape."""
    acc = _accumulator(dy.dtype)
    lengths = [max(r, n + p0 + p1) for r, n, (p0, p1) in
               zip(_reached(dy, w.shape[2:], dilation, stride), input_shape[2:], padding, strict=True)]
    full = _scatter(dy, w, lengths, dilation, stride, groups, acc)
    with np.errstate(over="ignore"):
        return _fit(full, input_shape, padding).astype(dy.dtype)


@_faulty("grad-input-groups-first-weight-slice", "conv_grad_input")
def grad_input_groups_first_weight_slice(dy, w, input_shape, stride, padding, dilation, groups):
    """Every group scatters with the first group's weights w[0 : O/groups]."""
    per_out = w.shape[0] // groups
    return _grad_input(dy, np.concatenate([w[:per_out]] * groups, axis=0), input_shape, stride, padding,
                       dilation, groups)


@_faulty("grad-input-accepts-invalid", "conv_grad_input", validated=False)
def grad_input_accepts_invalid(dy, w, *, input_shape, stride, padding, dilation, groups):
    """Checks nothing: attributes are cut or extended to one per axis, values below their minimum
    raised to it, channels and shapes bent to fit, and whatever is left computed; a call it cannot
    bend at all gives zeros of input_shape. A valid call goes through unchanged."""
    dy, w = np.asarray(dy), np.asarray(w)
    shape = tuple(max(int(n), 1) for n in input_shape)
    try:
        while dy.ndim < 3:
            dy = dy[..., np.newaxis]
        rank = dy.ndim - 2
        w = w.reshape(*w.shape[:2], *(w.shape[2:] + (1,) * rank)[:rank])
        shape = (shape + (1,) * (rank + 2))[:rank + 2]
        s = tuple(max(int(v), 1) for v in (list(np.atleast_1d(stride)) + [1] * rank)[:rank])
        d = tuple(max(int(v), 1) for v in (list(np.atleast_1d(dilation)) + [1] * rank)[:rank])
        pairs = [np.atleast_1d(p) for p in list(padding) + [(0, 0)] * rank][:rank]
        p = tuple((max(int(q[0]), 0), max(int(q[-1]), 0)) for q in pairs)
        g = max(int(groups), 1)
        if dy.shape[1] % g or shape[1] % g:
            g = 1
        per_out = dy.shape[1] // g
        w = np.take(w, np.arange(dy.shape[1]) % w.shape[0], axis=0)
        w = np.take(w, np.arange(shape[1] // g) % w.shape[1], axis=1)
        lengths = [max(r, n + p0 + p1) for r, n, (p0, p1) in
                   zip(_reached(dy, w.shape[2:], s, d), shape[2:], p, strict=True)]
        full = _scatter(dy, w[:per_out * g], lengths, s, d, g, _accumulator(dy.dtype))
        with np.errstate(over="ignore"):
            return _fit(full, (dy.shape[0], shape[1], *shape[2:]), p).astype(dy.dtype)
    except Exception:  # nothing left to bend: still no rejection
        return np.zeros(shape, dtype=dy.dtype if dy.dtype.kind == "f" else np.float32)


# --- conv_grad_weight -------------------------------------------------------------------------

@_faulty("grad-weight-groups-wrong-slice", "conv_grad_weight")
def grad_weight_groups_wrong_slice(x, dy, kernel, stride, padding, dilation, groups):
    """Correlates every group's dy with the first group's input channels x[:, 0 : C/groups]
    (the channel slice of group 0 reused, as in nn.grad.conv*_weight before its fix)."""
    per_in = x.shape[1] // groups
    return _grad_weight(x, dy, kernel, stride, padding, dilation, groups, source=lambda g: slice(0, per_in))


@_faulty("grad-weight-batch-first-only", "conv_grad_weight")
def grad_weight_batch_first_only(x, dy, kernel, stride, padding, dilation, groups):
    """Sums over the first batch item only: the other items' products never reach dw."""
    return _grad_weight(x[:1], dy[:1], kernel, stride, padding, dilation, groups)


@_faulty("grad-weight-stride-dilation-swapped", "conv_grad_weight")
def grad_weight_stride_dilation_swapped(x, dy, kernel, stride, padding, dilation, groups):
    """Reads input position pos*dilation + tap*stride for pos*stride + tap*dilation; positions
    beyond the padded input read 0."""
    reach = _reached(dy, kernel, dilation, stride)
    extra = [(0, max(r - n - p0 - p1, 0)) for r, n, (p0, p1) in zip(reach, x.shape[2:], padding, strict=True)]
    padded = [(p0, p1 + e) for (p0, p1), (_, e) in zip(padding, extra, strict=True)]
    return _grad_weight(x, dy, kernel, dilation, padded, stride, groups)


@_faulty("grad-weight-padding-ignored", "conv_grad_weight")
def grad_weight_padding_ignored(x, dy, kernel, stride, padding, dilation, groups):
    """Reads input position pos*stride + tap*dilation without subtracting the leading padding:
    each tap's window starts at the input's first element; positions beyond it read 0."""
    reach = _reached(dy, kernel, stride, dilation)
    after = [(0, max(r - n, 0)) for r, n in zip(reach, x.shape[2:], strict=True)]
    return _grad_weight(x, dy, kernel, stride, after, dilation, groups)


@_faulty("grad-weight-accumulate-half", "conv_grad_weight")
def grad_weight_accumulate_half(x, dy, kernel, stride, padding, dilation, groups):
    """Carries float16/bfloat16 products and the long sum over batch and positions in the 16-bit
    type, one rounding per product and per addition."""
    if x.dtype.itemsize != 2:
        return _grad_weight(x, dy, kernel, stride, padding, dilation, groups)
    half = x.dtype
    per_out = dy.shape[1] // groups
    dw = np.zeros((dy.shape[1], x.shape[1] // groups, *kernel), dtype=half)
    with np.errstate(over="ignore", invalid="ignore"):
        for tap, g, patch, grads in _patches(x, dy, kernel, stride, padding, dilation, groups, half):
            # terms (batch and positions) first, each an (O/g, C/g) product rounded to 16 bits
            terms = np.einsum("no...,nc...->n...oc", grads.astype(np.float32), patch.astype(np.float32))
            terms = terms.reshape(-1, *terms.shape[-2:]).astype(half)
            total = np.zeros(terms.shape[1:], dtype=half)
            for term in terms:
                total = (total + term).astype(half)
            dw[(slice(g * per_out, (g + 1) * per_out), slice(None), *tap)] = total
    return dw


@_faulty("grad-weight-accumulate-float32-for-float64", "conv_grad_weight")
def grad_weight_accumulate_float32_for_float64(x, dy, kernel, stride, padding, dilation, groups):
    """Computes float64 inputs in float32."""
    if x.dtype != np.float64:
        return _grad_weight(x, dy, kernel, stride, padding, dilation, groups)
    with np.errstate(over="ignore"):
        low = _grad_weight(x.astype(np.float32), dy.astype(np.float32), kernel, stride, padding, dilation,
                           groups)
    return low.astype(np.float64)


@_faulty("grad-weight-accepts-invalid", "conv_grad_weight", validated=False)
def grad_weight_accepts_invalid(x, dy, *, kernel_shape, stride, padding, dilation, groups):
    """Checks nothing: attributes are cut or extended to one per axis, values below their minimum
    raised to it, channels bent to fit, dy read over the positions both it and the windows have;
    a call it cannot bend at all gives zeros. A valid call goes through unchanged."""
    x, dy = np.asarray(x), np.asarray(dy)
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float32)
    try:
        while x.ndim < 3:
            x = x[..., np.newaxis]
        rank = x.ndim - 2
        dy = dy.reshape(*dy.shape[:2], *(dy.shape[2:] + (1,) * rank)[:rank])
        k = tuple(max(int(v), 1) for v in (list(np.atleast_1d(kernel_shape)) + [1] * rank)[:rank])
        s = tuple(max(int(v), 1) for v in (list(np.atleast_1d(stride)) + [1] * rank)[:rank])
        d = tuple(max(int(v), 1) for v in (list(np.atleast_1d(dilation)) + [1] * rank)[:rank])
        pairs = [np.atleast_1d(p) for p in list(padding) + [(0, 0)] * rank][:rank]
        p = tuple((max(int(q[0]), 0), max(int(q[-1]), 0)) for q in pairs)
        g = max(int(groups), 1)
        if x.shape[1] % g or dy.shape[1] % g:
            g = 1
        if dy.shape[0] != x.shape[0]:
            dy = np.take(dy, np.arange(x.shape[0]) % dy.shape[0], axis=0)
        # the windows that fit, and no more positions than dy has
        out = [max(min((n + p0 + p1 - dd * (kk - 1) - 1) // ss + 1, m), 1) for n, (p0, p1), dd, kk, ss, m in
               zip(x.shape[2:], p, d, k, s, dy.shape[2:], strict=True)]
        dy = dy[(slice(None), slice(None), *(slice(0, m) for m in out))]
        reach = [(m - 1) * ss + dd * (kk - 1) + 1 for m, ss, dd, kk in zip(out, s, d, k, strict=True)]
        p = tuple((p0, max(p1, r - n - p0)) for (p0, p1), r, n in zip(p, reach, x.shape[2:], strict=True))
        return _grad_weight(x.astype(dtype), dy.astype(dtype), k, s, p, d, g)
    except Exception:  # nothing left to bend: still no rejection
        return np.zeros((max(dy.shape[1] if dy.ndim > 1 else 1, 1), 1, 1), dtype=dtype)


# --- conv_grad_bias ---------------------------------------------------------------------------

def _sum(dy: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        return dy.astype(_accumulator(dy.dtype)).sum(axis=axes).astype(dy.dtype)


@_faulty("grad-bias-batch-only", "conv_grad_bias")
def grad_bias_batch_only(dy):
    """Sums over the batch only, reading each channel at its first position: the other positions
    never reach db."""
    return _sum(dy[(slice(None), slice(None), *(0,) * (dy.ndim - 2))], (0,))


@_faulty("grad-bias-positions-only", "conv_grad_bias")
def grad_bias_positions_only(dy):
    """Sums over the positions of the first batch item only: the other items never reach db."""
    return _sum(dy[0], tuple(range(1, dy.ndim - 1)))


@_faulty("grad-bias-accumulate-half", "conv_grad_bias")
def grad_bias_accumulate_half(dy):
    """Carries the float16/bfloat16 sum in the 16-bit type, one rounding per addition."""
    if dy.dtype.itemsize != 2:
        return _sum(dy, (0, *range(2, dy.ndim)))
    terms = np.moveaxis(dy, 1, -1).reshape(-1, dy.shape[1])
    total = np.zeros(dy.shape[1], dtype=dy.dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        for term in terms:
            total = (total + term).astype(dy.dtype)
    return total
