"""Padding: resolving the named modes to (before, after) pairs, and the zero-padding operation."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

MODES = ("valid", "same_upper", "same_lower")

Pairs = tuple[tuple[int, int], ...]


def same_total(size: int, kernel: int, stride: int, dilation: int) -> int:
    """Total padding that makes the output ceil(W / S) long (TensorFlow's and ONNX's SAME)."""
    return max((math.ceil(size / stride) - 1) * stride + dilation * (kernel - 1) + 1 - size, 0)


def resolve_padding(padding: str | int | Sequence, spatial: Sequence[int], kernel: Sequence[int],
                    stride: Sequence[int], dilation: Sequence[int]) -> Pairs:
    """Turn a padding attribute into one (before, after) pair per spatial axis.

    ``padding`` is ``"valid"``, ``"same_upper"`` (odd extra at the end), ``"same_lower"`` (odd extra
    at the beginning), one int for every side, or a sequence of (before, after) pairs.
    """
    rank = len(spatial)
    if isinstance(padding, str):
        if padding not in MODES:
            raise ValueError(f"padding mode must be one of {', '.join(MODES)}, got {padding!r}")
        if padding == "valid":
            return ((0, 0),) * rank
        pairs = []
        for size, k, s, d in zip(spatial, kernel, stride, dilation, strict=True):
            total = same_total(size, k, s, d)
            small, large = total // 2, total - total // 2
            pairs.append((small, large) if padding == "same_upper" else (large, small))
        return tuple(pairs)
    if isinstance(padding, int | np.integer):
        return ((int(padding), int(padding)),) * rank
    pairs = tuple((int(p[0]), int(p[1])) for p in padding)
    if len(pairs) != rank:
        raise ValueError(f"padding has {len(pairs)} pairs for {rank} spatial axes")
    return pairs


def pad(x: np.ndarray, padding: Sequence[Sequence[int]]) -> np.ndarray:
    """Zero-pad the spatial axes (all but the first two) of ``x`` by (before, after) pairs."""
    x = np.asarray(x)
    pairs = [tuple(map(int, p)) for p in padding]
    if len(pairs) != x.ndim - 2:
        raise ValueError(f"padding has {len(pairs)} pairs for {x.ndim - 2} spatial axes")
    if any(p < 0 for pair in pairs for p in pair):
        raise ValueError(f"padding must be >= 0, got {pairs}")
    return np.pad(x, [(0, 0), (0, 0), *pairs], mode="constant", constant_values=0)
