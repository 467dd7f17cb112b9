"""Border coverage: how many windows of a convolution read each input element."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from .output_size import output_size


def coverage(spatial: Sequence[int], kernel: Sequence[int], stride: Sequence[int] | None = None,
             padding: Sequence[Sequence[int]] | None = None,
             dilation: Sequence[int] | None = None) -> np.ndarray:
    """Count, for each input position, the windows whose taps land on it.

    Without padding a corner of a 5x5 input under a 3x3 kernel is read by 1 window and the
    centre by 9 (the course notes' picture).
    """
    rank = len(spatial)
    stride = stride or (1,) * rank
    dilation = dilation or (1,) * rank
    padding = padding or ((0, 0),) * rank
    out = [output_size(n, k, s, p, d)
           for n, k, s, p, d in zip(spatial, kernel, stride, padding, dilation, strict=True)]
    counts = np.zeros(tuple(spatial), dtype=np.int64)
    for pos in itertools.product(*(range(o) for o in out)):
        for tap in itertools.product(*(range(k) for k in kernel)):
            index = tuple(p * s + t * d - pad[0]
                          for p, s, t, d, pad in zip(pos, stride, tap, dilation, padding, strict=True))
            if all(0 <= i < n for i, n in zip(index, spatial, strict=True)):
                counts[index] += 1
    return counts
