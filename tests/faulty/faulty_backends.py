"""Deliberately wrong convolutions: each makes one classic mistake, and the corpus must catch it.

Each wraps the correct numpy backend and changes exactly one thing.
"""

from __future__ import annotations

import numpy as np

from convspec.conformance.backends.numpy import conv as correct


def flipped_kernel(x, w, b=None, *, stride, padding, dilation, groups):
    """Textbook convolution: the kernel is flipped on every spatial axis."""
    flipped = np.flip(w, axis=tuple(range(2, w.ndim))).copy()
    return correct(x, flipped, b, stride=stride, padding=padding, dilation=dilation, groups=groups)


def padding_one_side(x, w, b=None, *, stride, padding, dilation, groups):
    """All of each axis's padding put before the input, none after."""
    moved = [(p0 + p1, 0) for p0, p1 in padding]
    return correct(x, w, b, stride=stride, padding=moved, dilation=dilation, groups=groups)


def stride_ignored(x, w, b=None, *, stride, padding, dilation, groups):
    """Always stride 1."""
    return correct(x, w, b, stride=(1,) * len(stride), padding=padding, dilation=dilation,
                   groups=groups)


def ceil_output_size(x, w, b=None, *, stride, padding, dilation, groups):
    """Rounds the output size up: pads the end so a partial last window still produces output."""
    extra = []
    for axis, (p0, p1) in enumerate(padding):
        span = dilation[axis] * (w.shape[2 + axis] - 1) + 1
        rest = (x.shape[2 + axis] + p0 + p1 - span) % stride[axis]
        extra.append((p0, p1 + (stride[axis] - rest if rest else 0)))
    return correct(x, w, b, stride=stride, padding=extra, dilation=dilation, groups=groups)
