"""Small faulty gradients of conv for the fuzz tests, each an object with ``conv`` (correct) and the
three gradients, one of them wrong in one way, so that with this directory on the path
``convspec run FILE --backend gradient_faults:NAME`` replays a reproducer.

Written here, from the reference, rather than taken from the mistakes registry: the fuzz tests
must not depend on which gradient mistakes the registry happens to hold.
"""

from __future__ import annotations

import numpy as np

from convspec import reference
from convspec.conformance.backends import numpy as numpy_backend


def _rounded(out: np.ndarray, like: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return out.astype(np.asarray(like).dtype)


def grad_input(dy, w, **attributes):
    """The reference, rounded once to the dtype (the correct answer)."""
    return _rounded(reference.conv_grad_input(dy, w, **attributes), dy)


def grad_weight(x, dy, **attributes):
    return _rounded(reference.conv_grad_weight(x, dy, **attributes), dy)


def grad_bias(dy):
    return _rounded(reference.conv_grad_bias(dy), dy)


def input_kernel_flipped(dy, w, **attributes):
    """dx scattered with the kernel flipped on every spatial axis."""
    w = np.ascontiguousarray(np.flip(np.asarray(w), axis=tuple(range(2, np.asarray(w).ndim))))
    return grad_input(dy, w, **attributes)


def input_remainder_not_zero(dy, w, *, input_shape, **attributes):
    """The input positions no window reads get dy's first value instead of 0."""
    dx = grad_input(dy, w, input_shape=input_shape, **attributes)
    shape = list(input_shape)
    unread = reference.conv_grad_input(np.ones(np.shape(dy)), np.ones(np.shape(w)), input_shape=shape,
                                       **attributes) == 0
    return np.where(unread, np.asarray(dy).ravel()[0] if np.size(dy) else 0, dx).astype(dx.dtype)


def weight_first_image_only(x, dy, **attributes):
    """dw summed over the first image of the batch only."""
    return grad_weight(np.asarray(x)[:1], np.asarray(dy)[:1], **attributes)


def bias_first_image_only(dy):
    """db summed over the first image of the batch only."""
    return grad_bias(np.asarray(dy)[:1])


def input_accepts_wrong_shape(dy, w, *, input_shape, stride, padding, dilation, groups):
    """Never checks dy against input_shape: dy is cut or zero-padded to the shape conv gives."""
    dy, w = np.asarray(dy, dtype=np.float64), np.asarray(w, dtype=np.float64)
    attributes = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
    out = reference.conv(np.zeros(tuple(input_shape)), w, None, **attributes).shape
    fitted = np.zeros(out)
    common = tuple(slice(0, min(n, m)) for n, m in zip(out, dy.shape, strict=True))
    fitted[common] = dy[common]
    return reference.conv_grad_input(fitted, w, input_shape=input_shape, **attributes)


class _Backend:
    """An object with operators, as ``convspec run --backend module:attribute`` resolves one."""

    def __init__(self, conv_grad_input=grad_input, conv_grad_weight=grad_weight, conv_grad_bias=grad_bias):
        self.conv = numpy_backend.conv
        self.conv_grad_input = conv_grad_input
        self.conv_grad_weight = conv_grad_weight
        self.conv_grad_bias = conv_grad_bias


correct = _Backend()
kernel_flipped = _Backend(conv_grad_input=input_kernel_flipped)
remainder_not_zero = _Backend(conv_grad_input=input_remainder_not_zero)
weight_batch_dropped = _Backend(conv_grad_weight=weight_first_image_only)
bias_batch_dropped = _Backend(conv_grad_bias=bias_first_image_only)
wrong_shape_accepted = _Backend(conv_grad_input=input_accepts_wrong_shape)
