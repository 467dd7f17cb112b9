"""Correct convolutions that sum their terms in different orders.

Each gathers the n terms of every output element (products rounded in the accumulation type),
then sums them pairwise, in reverse, or in blocks. All are correct under the strict profile, so
the corpus must pass every one of them: no false alarms from summation order.
"""

from __future__ import annotations

import itertools

import numpy as np

from convspec.reference import check_conv_arguments

INTEGER_OUTPUT = {np.dtype(np.int8): np.dtype(np.int32), np.dtype(np.uint8): np.dtype(np.int32),
                  np.dtype(np.int32): np.dtype(np.int64)}


def _accumulator(dtype):
    if dtype in INTEGER_OUTPUT:
        return np.dtype(np.int64)
    return np.dtype(np.float32) if dtype.itemsize < 4 else dtype


def _terms(x, w, b, stride, padding, dilation, groups):
    """(terms of shape (N, O, *out, n) in the accumulation type, accumulation type)."""
    # argument checking is not what these variants are about: borrow the reference's
    check_conv_arguments(x, w, None if b is None else np.asarray(b), stride=stride, padding=padding,
                         dilation=dilation, groups=groups)
    acc = _accumulator(x.dtype)
    xp = np.pad(x, [(0, 0), (0, 0), *[tuple(p) for p in padding]]).astype(acc)
    wa = w.astype(acc)
    rank = x.ndim - 2
    kernel = w.shape[2:]
    out = [(xp.shape[2 + a] - dilation[a] * (kernel[a] - 1) - 1) // stride[a] + 1 for a in range(rank)]
    per_group_out, cg = w.shape[0] // groups, w.shape[1]
    columns = []
    for o in range(w.shape[0]):
        first = (o // per_group_out) * cg
        per_output = []
        for c, tap in itertools.product(range(cg), itertools.product(*map(range, kernel))):
            window = tuple(slice(t * d, t * d + (n - 1) * s + 1, s)
                           for t, d, n, s in zip(tap, dilation, out, stride, strict=True))
            with np.errstate(invalid="ignore", over="ignore"):
                per_output.append(xp[(slice(None), first + c, *window)] * wa[(o, c, *tap)])
        if b is not None:
            per_output.append(np.full(per_output[0].shape, np.asarray(b).astype(acc)[o], dtype=acc))
        columns.append(np.stack(per_output, axis=-1))
    return np.stack(columns, axis=1), acc


def _finish(total, x):
    with np.errstate(over="ignore"):  # a 16-bit result beyond its range is correctly infinite
        return total.astype(INTEGER_OUTPUT.get(x.dtype, x.dtype))


def pairwise(x, w, b=None, *, stride, padding, dilation, groups):
    terms, acc = _terms(np.asarray(x), np.asarray(w), b, stride, padding, dilation, groups)
    with np.errstate(invalid="ignore", over="ignore"):
        while terms.shape[-1] > 1:
            if terms.shape[-1] % 2:
                terms = np.concatenate([terms, np.zeros((*terms.shape[:-1], 1), acc)], axis=-1)
            terms = terms[..., 0::2] + terms[..., 1::2]
    return _finish(terms[..., 0], np.asarray(x))


def reversed_order(x, w, b=None, *, stride, padding, dilation, groups):
    terms, acc = _terms(np.asarray(x), np.asarray(w), b, stride, padding, dilation, groups)
    total = np.zeros(terms.shape[:-1], acc)
    with np.errstate(invalid="ignore", over="ignore"):
        for k in range(terms.shape[-1] - 1, -1, -1):
            total = total + terms[..., k]
    return _finish(total, np.asarray(x))


def blocked(x, w, b=None, *, stride, padding, dilation, groups, block=16):
    terms, acc = _terms(np.asarray(x), np.asarray(w), b, stride, padding, dilation, groups)
    total = np.zeros(terms.shape[:-1], acc)
    with np.errstate(invalid="ignore", over="ignore"):
        for start in range(0, terms.shape[-1], block):
            partial = np.zeros(terms.shape[:-1], acc)
            for k in range(start, min(start + block, terms.shape[-1])):
                partial = partial + terms[..., k]
            total = total + partial
    return _finish(total, np.asarray(x))


ORDERS = {"pairwise": pairwise, "reversed": reversed_order, "blocked": blocked}
