"""Correct gradients of conv computed in other ways than the reference and the backends.

Each variant is an object with all three operators (conv_grad_input, conv_grad_weight,
conv_grad_bias):

- ``scatter``: dx by a scatter loop over dy positions and taps; dw and db summed in natural order;
- ``transpose``: dx through a correct conv_transpose (zero insertion, masked) with the
  output_padding that restores input_shape; dw and db summed per batch item, then over the batch;
- ``reversed``: every sum last term first;
- ``pairwise``: every sum gathered, then added pairwise.

Each accumulates as the strict profile allows (16-bit floats in float32) and rounds once, so every
gradient vector must pass every one of them.
"""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import numpy as np
from summation_orders import _accumulator  # tests/correct is on pytest's pythonpath
from transpose_variants import zero_insertion

from convspec.reference import check_conv_grad_input_arguments, check_conv_grad_weight_arguments


def _finish(total, dtype):
    with np.errstate(over="ignore"):  # a 16-bit result beyond its range is correctly infinite
        return total.astype(dtype)


def _pairwise(terms: np.ndarray) -> np.ndarray:
    """Sum over the first axis, pairwise."""
    with np.errstate(invalid="ignore", over="ignore"):
        while terms.shape[0] > 1:
            if terms.shape[0] % 2:
                terms = np.concatenate([terms, np.zeros((1, *terms.shape[1:]), terms.dtype)])
            terms = terms[0::2] + terms[1::2]
    return terms[0]


def _sequential(terms: np.ndarray, reverse: bool = False) -> np.ndarray:
    total = np.zeros(terms.shape[1:], terms.dtype)
    with np.errstate(invalid="ignore", over="ignore"):
        for k in (range(terms.shape[0] - 1, -1, -1) if reverse else range(terms.shape[0])):
            total = total + terms[k]
    return total


# --- dx -----------------------------------------------------------------------------------------

def _dx_terms(dy, w, input_shape, stride, padding, dilation, groups):
    """dx by the scatter loop: (N, C, *in) in the accumulation type."""
    acc = _accumulator(dy.dtype)
    dx = np.zeros(input_shape, dtype=acc)
    per_out, per_in = dy.shape[1] // groups, w.shape[1]
    dya, wa = dy.astype(acc), w.astype(acc)
    with np.errstate(invalid="ignore", over="ignore"):
        for o in range(dy.shape[1]):
            ins = slice((o // per_out) * per_in, (o // per_out + 1) * per_in)
            for i in itertools.product(*map(range, dy.shape[2:])):
                for tap in itertools.product(*map(range, w.shape[2:])):
                    j = [ii * s + t * d - p0 for ii, t, s, d, (p0, _) in
                         zip(i, tap, stride, dilation, padding, strict=True)]
                    if all(0 <= jj < n for jj, n in zip(j, input_shape[2:], strict=True)):
                        products = dya[(slice(None), o, *i)][:, None] * wa[(o, slice(None), *tap)]
                        dx[(slice(None), ins, *j)] += products
    return dx


def scatter_input(dy, w, *, input_shape, stride, padding, dilation, groups):
    """dx: every dy element times every tap added onto the input position that tap read."""
    dy, w = np.asarray(dy), np.asarray(w)
    check_conv_grad_input_arguments(dy, w, input_shape=input_shape, stride=stride, padding=padding,
                                    dilation=dilation, groups=groups)
    return _finish(_dx_terms(dy, w, tuple(input_shape), stride, padding, dilation, groups), dy.dtype)


def transpose_input(dy, w, *, input_shape, stride, padding, dilation, groups):
    """dx = conv_transpose(dy, w) with the output_padding that restores input_shape."""
    dy, w = np.asarray(dy), np.asarray(w)
    check_conv_grad_input_arguments(dy, w, input_shape=input_shape, stride=stride, padding=padding,
                                    dilation=dilation, groups=groups)
    extra = [n - ((o - 1) * s - p0 - p1 + d * (k - 1) + 1) for n, o, k, s, (p0, p1), d in
             zip(input_shape[2:], dy.shape[2:], w.shape[2:], stride, padding, dilation, strict=True)]
    # the floor's remainder is below the stride, so a valid output_padding
    return zero_insertion(dy, w, stride=stride, padding=padding, output_padding=extra, dilation=dilation,
                          groups=groups)


# --- dw -----------------------------------------------------------------------------------------

def _dw_terms(x, dy, kernel, stride, padding, dilation, groups):
    """The products of every dw element: (N, *out, O, C/g, *kernel) in the accumulation type."""
    acc = _accumulator(x.dtype)
    xp = np.pad(x.astype(acc), [(0, 0), (0, 0), *[tuple(p) for p in padding]])
    per_in, per_out = x.shape[1] // groups, dy.shape[1] // groups
    out = dy.shape[2:]
    terms = np.zeros((x.shape[0], *out, dy.shape[1], per_in, *kernel), dtype=acc)
    dya = np.moveaxis(dy.astype(acc), 1, -1)  # (N, *out, O)
    with np.errstate(invalid="ignore", over="ignore"):
        for tap in itertools.product(*map(range, kernel)):
            read = tuple(slice(t * d, t * d + (n - 1) * s + 1, s)
                         for t, d, n, s in zip(tap, dilation, out, stride, strict=True))
            patch = np.moveaxis(xp[(slice(None), slice(None), *read)], 1, -1)  # (N, *out, C)
            for o in range(dy.shape[1]):
                channels = slice((o // per_out) * per_in, (o // per_out + 1) * per_in)
                terms[(Ellipsis, o, slice(None), *tap)] = dya[..., o:o + 1] * patch[..., channels]
    return terms.reshape(-1, *terms.shape[1 + len(out):]), x.shape[0]


def _grad_weight(summer):
    def grad_weight(x, dy, *, kernel_shape, stride, padding, dilation, groups):
        x, dy = np.asarray(x), np.asarray(dy)
        check_conv_grad_weight_arguments(x, dy, kernel_shape=kernel_shape, stride=stride, padding=padding,
                                         dilation=dilation, groups=groups)
        terms, batch = _dw_terms(x, dy, tuple(kernel_shape), stride, padding, dilation, groups)
        return _finish(summer(terms, batch), x.dtype)
    return grad_weight


def _per_item_then_batch(terms, batch):
    items = terms.reshape(batch, -1, *terms.shape[1:])
    return _sequential(np.stack([_sequential(item) for item in items]))


# --- db -----------------------------------------------------------------------------------------

def _grad_bias(summer):
    def grad_bias(dy):
        dy = np.asarray(dy)
        if not 3 <= dy.ndim <= 5:
            raise ValueError(f"dy must have 3 to 5 dims, got {dy.ndim}")
        terms = np.moveaxis(dy.astype(_accumulator(dy.dtype)), 1, -1).reshape(-1, dy.shape[1])
        return _finish(summer(terms, dy.shape[0]), dy.dtype)
    return grad_bias


def _natural(terms, batch):
    return _sequential(terms)


def _reversed(terms, batch):
    return _sequential(terms, reverse=True)


def _pairs(terms, batch):
    return _pairwise(terms)


VARIANTS = {
    "scatter": SimpleNamespace(conv_grad_input=scatter_input, conv_grad_weight=_grad_weight(_natural),
                               conv_grad_bias=_grad_bias(_natural)),
    "transpose": SimpleNamespace(conv_grad_input=transpose_input,
                                 conv_grad_weight=_grad_weight(_per_item_then_batch),
                                 conv_grad_bias=_grad_bias(_per_item_then_batch)),
    "reversed": SimpleNamespace(conv_grad_input=scatter_input, conv_grad_weight=_grad_weight(_reversed),
                                conv_grad_bias=_grad_bias(_reversed)),
    "pairwise": SimpleNamespace(conv_grad_input=transpose_input, conv_grad_weight=_grad_weight(_pairs),
                                conv_grad_bias=_grad_bias(_pairs)),
}
