"""The second reference: exact rational arithmetic, independent of SciPy.

Every finite float is a dyadic rational m * 2**e, so scaling each input array by a power of two
turns it into Python integers; the convolution is then summed exactly (integer arithmetic has no
rounding) and divided back once. Infinities and NaN follow IEEE rules per product (inf * 0 is
NaN) and per sum (+inf + -inf is NaN). Slow, so meant for small vectors: it checks the fast
reference, not backends.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from fractions import Fraction

import numpy as np


def _as_scaled_ints(a: np.ndarray) -> tuple[np.ndarray, int]:
    """(integers as an object array, k) with a == integers / 2**k for the finite elements."""
    if np.issubdtype(a.dtype, np.integer):
        return a.astype(object), 0
    finite = np.where(np.isfinite(a), a, 0.0).astype(np.float64)
    ratios = [float(v).as_integer_ratio() for v in finite.ravel()]
    k = max((den.bit_length() - 1 for _, den in ratios), default=0)
    ints = [num << (k - (den.bit_length() - 1)) for num, den in ratios]
    return np.array(ints, dtype=object).reshape(finite.shape), k


def _factor(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """One factor of the products: (its float64 values, for NaN and infinities; its finite values
    as integers over 2**k; k). Integer arrays are scaled as they are, without a float64 detour."""
    af = a.astype(np.float64)
    ai, k = _as_scaled_ints(a if np.issubdtype(a.dtype, np.integer) else af)
    return af, ai, k


def _exact_sums(shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Empty exact sums of ``shape`` and their flags: which a NaN, a +inf or a -inf product reached."""
    total = np.zeros(shape, dtype=object)
    return total, *(np.zeros(shape, dtype=bool) for _ in range(3))


def _to_float(value: Fraction) -> float:
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def conv_exact(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, *, stride: Sequence[int],
               padding: Sequence[Sequence[int]], dilation: Sequence[int], groups: int,
               where: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The exact convolution: (object array of Fractions, or None where non-finite; float64 array
    of the exact values rounded once to nearest, with IEEE infinities and NaN).

    Arguments as in the backend protocol; they are assumed valid. With ``where`` (a boolean array
    of the output's shape) only those elements are computed; the others are meaningless.
    """
    x, w = np.asarray(x), np.asarray(w)
    rank = x.ndim - 2
    batch, _ = x.shape[:2]
    out_channels, group_channels = w.shape[:2]
    kernel = w.shape[2:]
    sizes = [(x.shape[2 + a] + padding[a][0] + padding[a][1] - dilation[a] * (kernel[a] - 1) - 1)
             // stride[a] + 1 for a in range(rank)]
    (xf, xi, kx), (wf, wi, kw) = _factor(x), _factor(w)

    total, nan, pos, neg = _exact_sums((batch, out_channels, *sizes))
    per_group = out_channels // groups
    for o, n in itertools.product(range(out_channels), range(batch)):
        first = (o // per_group) * group_channels
        for pos_out in itertools.product(*(range(s) for s in sizes)):
            acc = 0
            here = (n, o, *pos_out)
            if where is not None and not where[here]:
                continue
            for c, tap in itertools.product(range(group_channels), itertools.product(*map(range, kernel))):
                idx = [pos_out[a] * stride[a] + tap[a] * dilation[a] - padding[a][0] for a in range(rank)]
                wv = wf[(o, c, *tap)]
                if not all(0 <= i < x.shape[2 + a] for a, i in enumerate(idx)):
                    # padding is zeros that are multiplied like any input: 0 * inf is NaN
                    nan[here] |= not math.isfinite(wv)
                    continue
                xv = xf[(n, first + c, *idx)]
                if math.isfinite(xv) and math.isfinite(wv):
                    acc += xi[(n, first + c, *idx)] * wi[(o, c, *tap)]
                    continue
                with np.errstate(invalid="ignore", over="ignore"):
                    product = xv * wv
                nan[here] |= math.isnan(product)
                pos[here] |= product == math.inf
                neg[here] |= product == -math.inf
            total[here] = Fraction(acc, 1 << (kx + kw))
    return _finish(total, nan, pos, neg, b)


def _finish(total: np.ndarray, nan: np.ndarray, pos: np.ndarray, neg: np.ndarray,
            b: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Add the bias to the exact sums and round once: (Fractions or None, float64 with IEEE specials).

    ``nan``, ``pos`` and ``neg`` flag the elements a NaN, +inf or -inf product reached.
    """
    if b is not None:
        b = np.asarray(b)
        bf = b.astype(np.float64)
        integer_bias = np.issubdtype(b.dtype, np.integer)
        for o in range(total.shape[1]):
            sl = (slice(None), o)
            if math.isfinite(bf[o]):
                total[sl] = total[sl] + (Fraction(int(b[o])) if integer_bias else Fraction(bf[o]))
            else:
                nan[sl] |= math.isnan(bf[o])
                pos[sl] |= bf[o] == math.inf
                neg[sl] |= bf[o] == -math.inf
    special = nan | (pos & neg)
    rounded = np.array([_to_float(v) for v in total.ravel()]).reshape(total.shape)
    rounded = np.where(pos, math.inf, np.where(neg, -math.inf, rounded))
    rounded = np.where(special, math.nan, rounded)
    exact = np.where(special | pos | neg, None, total)
    return exact, rounded


def conv_transpose_exact(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, *,
                         stride: Sequence[int], padding: Sequence[Sequence[int]],
                         output_padding: Sequence[int], dilation: Sequence[int], groups: int,
                         where: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The exact transposed convolution, returned as :func:`conv_exact` returns conv's.

    ``w`` is (C_in, C_out/groups, *kernel). Each output element gathers the products that scatter
    onto it: y[n, o, j] sums x[n, c, i] * w[c, o', k] over c in o's group and the (i, k) with
    i*s + k*d = j + p0 (a product is formed only for such real pairs: positions no product reaches
    are exactly 0, plus the bias). Arguments are assumed valid; ``where`` as in :func:`conv_exact`.
    """
    x, w = np.asarray(x), np.asarray(w)
    rank = x.ndim - 2
    batch, channels = x.shape[:2]
    out_per_group = w.shape[1]
    kernel = w.shape[2:]
    per_group = channels // groups
    out_channels = out_per_group * groups
    sizes = [(x.shape[2 + a] - 1) * stride[a] + dilation[a] * (kernel[a] - 1) + 1 + output_padding[a]
             - padding[a][0] - padding[a][1] for a in range(rank)]
    (xf, xi, kx), (wf, wi, kw) = _factor(x), _factor(w)

    total, nan, pos, neg = _exact_sums((batch, out_channels, *sizes))
    for o, n in itertools.product(range(out_channels), range(batch)):
        group, local = divmod(o, out_per_group)
        for pos_out in itertools.product(*(range(s) for s in sizes)):
            here = (n, o, *pos_out)
            total[here] = Fraction(0)
            if where is not None and not where[here]:
                continue
            acc = 0
            for tap in itertools.product(*map(range, kernel)):
                idx = []
                for a in range(rank):
                    reach, rest = divmod(pos_out[a] + padding[a][0] - tap[a] * dilation[a], stride[a])
                    if rest or not 0 <= reach < x.shape[2 + a]:
                        break  # no input lands here through this tap
                    idx.append(reach)
                else:
                    for c in range(group * per_group, (group + 1) * per_group):
                        xv, wv = xf[(n, c, *idx)], wf[(c, local, *tap)]
                        if math.isfinite(xv) and math.isfinite(wv):
                            acc += xi[(n, c, *idx)] * wi[(c, local, *tap)]
                            continue
                        with np.errstate(invalid="ignore", over="ignore"):
                            product = xv * wv
                        nan[here] |= math.isnan(product)
                        pos[here] |= product == math.inf
                        neg[here] |= product == -math.inf
            total[here] = Fraction(acc, 1 << (kx + kw))
    return _finish(total, nan, pos, neg, b)


def _conv_products(x_shape: Sequence[int], w_shape: Sequence[int], out_spatial: Sequence[int], *,
                   stride: Sequence[int], padding: Sequence[Sequence[int]], dilation: Sequence[int],
                   groups: int) -> Iterator[tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...] | None]]:
    """Every product conv forms, once: (y index, w index, x index or None where it reads padding).

    Straight from the definition in spec/semantics.md; the gradients are read off these products.
    """
    rank = len(x_shape) - 2
    out_channels, group_channels = w_shape[:2]
    per_group = out_channels // groups
    for n, o in itertools.product(range(x_shape[0]), range(out_channels)):
        first = (o // per_group) * group_channels
        for pos_out in itertools.product(*(range(s) for s in out_spatial)):
            taps = itertools.product(*map(range, w_shape[2:]))
            for c, tap in itertools.product(range(group_channels), taps):
                idx = tuple(pos_out[a] * stride[a] + tap[a] * dilation[a] - padding[a][0]
                            for a in range(rank))
                inside = all(0 <= i < x_shape[2 + a] for a, i in enumerate(idx))
                yield (n, o, *pos_out), (o, c, *tap), (n, first + c, *idx) if inside else None


def _gradient(shape: tuple[int, ...], pairs, a: np.ndarray, b: np.ndarray,
              where: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Sum exactly, per target index, a[i] * b[j] over ``pairs`` (target, i, j); j None is a padding
    zero, a real factor (0 * inf is NaN). Returned as :func:`conv_exact` returns."""
    (af, ai, ka), (bf, bi, kb) = _factor(a), _factor(b)
    acc = np.zeros(shape, dtype=object)
    nan = np.zeros(shape, dtype=bool)
    pos = np.zeros(shape, dtype=bool)
    neg = np.zeros(shape, dtype=bool)
    for target, i, j in pairs:
        if where is not None and not where[target]:
            continue
        av, bv = af[i], (0.0 if j is None else bf[j])
        if math.isfinite(av) and math.isfinite(bv):
            if j is not None:
                acc[target] += ai[i] * bi[j]
            continue
        with np.errstate(invalid="ignore", over="ignore"):
            product = av * bv
        nan[target] |= math.isnan(product)
        pos[target] |= product == math.inf
        neg[target] |= product == -math.inf
    total = np.empty(shape, dtype=object)
    for index in np.ndindex(*shape):
        total[index] = Fraction(acc[index], 1 << (ka + kb))
    return _finish(total, nan, pos, neg, None)


def conv_grad_input_exact(dy: np.ndarray, w: np.ndarray, *, input_shape: Sequence[int],
                          stride: Sequence[int], padding: Sequence[Sequence[int]], dilation: Sequence[int],
                          groups: int, where: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The exact dx = d<dy, conv(x, w)>/dx, returned as :func:`conv_exact` returns conv's.

    Each product x[j] * w[k] of conv at output i contributes dy[i] * w[k] to dx[j]; products that
    read padding have no dx element, and an input no product reads gets exactly 0. Arguments are
    assumed valid; ``where`` (of input_shape) as in :func:`conv_exact`.
    """
    dy, w = np.asarray(dy), np.asarray(w)
    shape = tuple(int(n) for n in input_shape)
    products = _conv_products(shape, w.shape, dy.shape[2:], stride=stride, padding=padding,
                              dilation=dilation, groups=groups)
    pairs = ((xi, yi, wi) for yi, wi, xi in products if xi is not None)
    return _gradient(shape, pairs, dy, w, where)


def conv_grad_weight_exact(x: np.ndarray, dy: np.ndarray, *, kernel_shape: Sequence[int],
                           stride: Sequence[int], padding: Sequence[Sequence[int]], dilation: Sequence[int],
                           groups: int, where: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The exact dw = d<dy, conv(x, w)>/dw, returned as :func:`conv_exact` returns conv's.

    Each product x~[j] * w[k] of conv at output i contributes dy[i] * x~[j] to dw[k], the padding's
    zeros included (0 * inf is NaN, as conv multiplies them by w). Arguments are assumed valid;
    ``where`` (of dw's shape) as in :func:`conv_exact`.
    """
    x, dy = np.asarray(x), np.asarray(dy)
    shape = (dy.shape[1], x.shape[1] // groups, *(int(k) for k in kernel_shape))
    products = _conv_products(x.shape, shape, dy.shape[2:], stride=stride, padding=padding,
                              dilation=dilation, groups=groups)
    return _gradient(shape, ((wi, yi, xi) for yi, wi, xi in products), dy, x, where)


def conv_grad_bias_exact(dy: np.ndarray, *, where: np.ndarray | None = None
                         ) -> tuple[np.ndarray, np.ndarray]:
    """db[o] = the sum of dy[:, o] in rational arithmetic: (Fractions or None, float64 rounded once,
    with IEEE special values where a NaN or an infinity was summed). ``where`` (shape (O,)) limits
    the channels computed; the others are 0."""
    dy = np.asarray(dy)
    values = dy.astype(np.float64)
    channels = dy.shape[1]
    chosen = np.ones(channels, dtype=bool) if where is None else np.asarray(where, dtype=bool)
    total = np.array([Fraction(0)] * channels, dtype=object)
    nan, pos, neg = (np.zeros(channels, dtype=bool) for _ in range(3))
    for o in np.flatnonzero(chosen):
        plane = values[:, o]
        nan[o], pos[o], neg[o] = np.isnan(plane).any(), (plane == math.inf).any(), (plane == -math.inf).any()
        finite = plane[np.isfinite(plane)]
        if np.issubdtype(dy.dtype, np.integer):
            total[o] = Fraction(int(dy[:, o].astype(object).sum()))
        else:
            total[o] = sum((Fraction(float(v)) for v in finite.ravel()), Fraction(0))
    # _finish works on (N, O, ...) arrays: a batch of one
    exact, rounded = _finish(total[None], nan[None], pos[None], neg[None], None)
    return exact[0], rounded[0]
