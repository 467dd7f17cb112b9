"""Correct transposed convolutions computed in other ways than the reference and the backends.

- ``scatter_reversed``: the direct scatter, input positions last to first, one product at a time;
- ``zero_insertion``: the convolution view (stride - 1 zeros between the inputs, a border of
  D*(F - 1) - p zeros, the flipped kernel with its channel axes swapped), masked so that the
  inserted and border zeros are positions, never values multiplied by a weight (an infinite
  weight would make 0 * inf = NaN there);
- ``pairwise`` and ``reversed_terms``: gather the terms landing on every output element, then sum
  them pairwise or last to first.

Each accumulates as the strict profile allows (16-bit floats in float32, integers exactly) and
rounds once, so the corpus must pass every one of them.
"""

from __future__ import annotations

import itertools

import numpy as np
from summation_orders import INTEGER_OUTPUT, _accumulator  # tests/correct is on pytest's pythonpath

from convspec.reference import check_conv_transpose_arguments


def _check(x, w, b, stride, padding, output_padding, dilation, groups):
    # argument checking is not what these variants are about: borrow the reference's
    check_conv_transpose_arguments(x, w, None if b is None else np.asarray(b), stride=stride, padding=padding,
                                   output_padding=output_padding, dilation=dilation, groups=groups)


def _out_size(x, w, stride, padding, output_padding, dilation):
    return [(n - 1) * s + d * (k - 1) + 1 + e - p0 - p1 for n, k, s, (p0, p1), e, d in
            zip(x.shape[2:], w.shape[2:], stride, padding, output_padding, dilation, strict=True)]


def _finish(total, x):
    with np.errstate(over="ignore"):  # a 16-bit result beyond its range is correctly infinite
        return total.astype(INTEGER_OUTPUT.get(x.dtype, x.dtype))


def scatter_reversed(x, w, b=None, *, stride, padding, output_padding, dilation, groups):
    """Each input element, last to first, adds its products to the positions they land on."""
    x, w = np.asarray(x), np.asarray(w)
    _check(x, w, b, stride, padding, output_padding, dilation, groups)
    acc = _accumulator(x.dtype)
    out_size = _out_size(x, w, stride, padding, output_padding, dilation)
    per_in, per_out = x.shape[1] // groups, w.shape[1]
    y = np.zeros((x.shape[0], per_out * groups, *out_size), dtype=acc)
    xa, wa = x.astype(acc), w.astype(acc)
    with np.errstate(invalid="ignore", over="ignore"):
        for c in reversed(range(x.shape[1])):
            outs = slice((c // per_in) * per_out, (c // per_in + 1) * per_out)
            for i in reversed(list(itertools.product(*map(range, x.shape[2:])))):
                for tap in itertools.product(*map(range, w.shape[2:])):
                    j = [ii * s + t * d - p0 for ii, t, s, d, (p0, _) in
                         zip(i, tap, stride, dilation, padding, strict=True)]
                    if all(0 <= jj < n for jj, n in zip(j, out_size, strict=True)):
                        products = xa[(slice(None), c, *i)][:, None] * wa[(c, slice(None), *tap)]
                        y[(slice(None), outs, *j)] += products
        if b is not None:
            y += np.asarray(b).astype(acc).reshape((1, -1) + (1,) * len(out_size))
    return _finish(y, x)


def zero_insertion(x, w, b=None, *, stride, padding, output_padding, dilation, groups):
    """A stride-1 convolution with the flipped, channel-swapped kernel over the zero-inserted,
    zero-bordered input, multiplying only where an input element actually is."""
    x, w = np.asarray(x), np.asarray(w)
    _check(x, w, b, stride, padding, output_padding, dilation, groups)
    acc = _accumulator(x.dtype)
    rank, per_in, per_out = x.ndim - 2, x.shape[1] // groups, w.shape[1]
    spread_shape = [(n - 1) * s + 1 for n, s in zip(x.shape[2:], stride, strict=True)]
    spread = np.zeros((*x.shape[:2], *spread_shape), dtype=acc)
    present = np.zeros(spread_shape, dtype=bool)
    on_input = tuple(slice(None, None, s) for s in stride)
    spread[(slice(None), slice(None), *on_input)] = x
    present[on_input] = True
    # border D*(F-1) - p0 before and D*(F-1) - p1 + e after: pad by the full border, crop later
    border = [(d * (k - 1), d * (k - 1) + e)
              for k, d, e in zip(w.shape[2:], dilation, output_padding, strict=True)]
    spread = np.pad(spread, [(0, 0), (0, 0), *border])
    present = np.pad(present, border)
    start = [p0 for p0, _ in padding]
    out_size = _out_size(x, w, stride, padding, output_padding, dilation)
    flipped = np.flip(w.astype(acc), axis=tuple(range(2, w.ndim)))
    y = np.zeros((x.shape[0], per_out * groups, *out_size), dtype=acc)
    with np.errstate(invalid="ignore", over="ignore"):
        for tap in itertools.product(*map(range, w.shape[2:])):
            window = tuple(slice(p + t * d, p + t * d + n) for p, t, d, n in
                           zip(start, tap, dilation, out_size, strict=True))
            mask = present[window]
            for g in range(groups):
                ins = spread[(slice(None), slice(g * per_in, (g + 1) * per_in), *window)]
                taps = flipped[(slice(g * per_in, (g + 1) * per_in), slice(None), *tap)]  # (C/g, O/g)
                products = np.where(mask, ins[:, :, None] * taps.reshape(*taps.shape, *(1,) * rank), 0)
                y[:, g * per_out:(g + 1) * per_out] += products.sum(axis=1)
        if b is not None:
            y += np.asarray(b).astype(acc).reshape((1, -1) + (1,) * rank)
    return _finish(y, x)


def _terms(x, w, b, stride, padding, output_padding, dilation, groups):
    """(terms of shape (N, O, *out, n) in the accumulation type, accumulation type): every term
    that lands on each element (0 where a (channel, tap) pair lands nothing), the bias last."""
    x, w = np.asarray(x), np.asarray(w)
    _check(x, w, b, stride, padding, output_padding, dilation, groups)
    acc = _accumulator(x.dtype)
    out_size = _out_size(x, w, stride, padding, output_padding, dilation)
    per_in, per_out = x.shape[1] // groups, w.shape[1]
    xa, wa = x.astype(acc), w.astype(acc)
    pairs = list(itertools.product(range(per_in), itertools.product(*map(range, w.shape[2:]))))
    terms = np.zeros((x.shape[0], per_out * groups, *out_size, len(pairs) + 1), dtype=acc)
    positions = list(itertools.product(*map(range, out_size)))
    with np.errstate(invalid="ignore", over="ignore"):
        for o in range(per_out * groups):
            g = o // per_out
            for k, (c, tap) in enumerate(pairs):
                for j in positions:
                    i = []
                    for jj, t, s, d, (p0, _), n in zip(j, tap, stride, dilation, padding, x.shape[2:],
                                                      strict=True):
                        q, r = divmod(jj + p0 - t * d, s)
                        i.append(q if r == 0 and 0 <= q < n else None)
                    if None not in i:
                        weight = wa[(g * per_in + c, o % per_out, *tap)]
                        terms[(slice(None), o, *j, k)] = xa[(slice(None), g * per_in + c, *i)] * weight
    if b is not None:
        terms[..., -1] = np.asarray(b).astype(acc).reshape((1, -1) + (1,) * len(out_size))
    return terms, acc


def pairwise(x, w, b=None, *, stride, padding, output_padding, dilation, groups):
    terms, acc = _terms(x, w, b, stride, padding, output_padding, dilation, groups)
    with np.errstate(invalid="ignore", over="ignore"):
        while terms.shape[-1] > 1:
            if terms.shape[-1] % 2:
                terms = np.concatenate([terms, np.zeros((*terms.shape[:-1], 1), acc)], axis=-1)
            terms = terms[..., 0::2] + terms[..., 1::2]
    return _finish(terms[..., 0], np.asarray(x))


def reversed_terms(x, w, b=None, *, stride, padding, output_padding, dilation, groups):
    terms, acc = _terms(x, w, b, stride, padding, output_padding, dilation, groups)
    total = np.zeros(terms.shape[:-1], acc)
    with np.errstate(invalid="ignore", over="ignore"):
        for k in range(terms.shape[-1] - 1, -1, -1):
            total = total + terms[..., k]
    return _finish(total, np.asarray(x))


VARIANTS = {"scatter-reversed": scatter_reversed, "zero-insertion": zero_insertion, "pairwise": pairwise,
            "reversed-terms": reversed_terms}
