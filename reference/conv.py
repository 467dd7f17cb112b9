"""The reference convolution: SciPy's direct correlation, accumulated in float64 (int64 for integers).

Each output channel is the sum over its group's input channels of ``scipy.signal.correlate`` of the
zero-padded input with the dilated kernel, taken at stride-spaced positions. ``method="direct"``
keeps small-integer vectors exact (the FFT method would not).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import signal

from .arguments import check_conv_arguments
from .output_size import output_size
from .padding import pad


def dilate_kernel(w: np.ndarray, dilation: Sequence[int]) -> np.ndarray:
    """Spread the spatial taps of ``w`` (O, C, *k) apart with ``D - 1`` zeros between them."""
    spatial = w.shape[2:]
    shape = w.shape[:2] + tuple(d * (k - 1) + 1 for k, d in zip(spatial, dilation, strict=True))
    out = np.zeros(shape, dtype=w.dtype)
    out[(slice(None), slice(None), *(slice(None, None, d) for d in dilation))] = w
    return out


def conv(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, *, stride: Sequence[int],
         padding: Sequence[Sequence[int]], dilation: Sequence[int], groups: int) -> np.ndarray:
    """Cross-correlate ``x`` (N, C, *spatial) with ``w`` (O, C/groups, *kernel).

    Computes in float64, or exactly in int64 when every input is an integer array (the caller
    keeps |b| + sum |x|*|w| below 2**63). Follows the backend protocol of the spec exactly; raises
    ``ConvArgumentError`` (a ``ValueError``) for arguments that describe no valid convolution.
    """
    inputs = [np.asarray(a) for a in (x, w) + (() if b is None else (b,))]
    acc = np.int64 if all(np.issubdtype(a.dtype, np.integer) for a in inputs) else np.float64
    x = np.asarray(x).astype(acc)
    w = np.asarray(w).astype(acc)
    b = None if b is None else np.asarray(b).astype(acc)
    stride, dilation = tuple(map(int, stride)), tuple(map(int, dilation))
    padding = tuple((int(p[0]), int(p[1])) for p in padding)
    check_conv_arguments(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)

    batch, channels = x.shape[:2]
    out_channels = w.shape[0]
    out_spatial = tuple(
        output_size(n, k, s, p, d)
        for n, k, s, p, d in zip(x.shape[2:], w.shape[2:], stride, padding, dilation, strict=True)
    )
    xp = pad(x, padding)
    wd = dilate_kernel(w, dilation)
    take = tuple(slice(0, (n - 1) * s + 1, s) for n, s in zip(out_spatial, stride, strict=True))
    in_per_group, out_per_group = channels // groups, out_channels // groups

    out = np.zeros((batch, out_channels, *out_spatial), dtype=acc)
    for o in range(out_channels):
        first = (o // out_per_group) * in_per_group
        for n in range(batch):
            for c in range(in_per_group):
                full = signal.correlate(xp[n, first + c], wd[o, c], mode="valid", method="direct")
                out[n, o] += full[take]
    if b is not None:
        out += b.reshape((1, out_channels) + (1,) * len(out_spatial))
    return out
