"""Small faulty transposed convolutions for the fuzz tests, each an object with ``conv`` (correct)
and ``conv_transpose`` (wrong in one way), so that with this directory on the path
``convspec run FILE --backend transposed_faults:NAME`` replays a reproducer.

Written here, from the reference, rather than taken from the mistakes registry: the fuzz tests
must not depend on which transposed mistakes the registry happens to hold.
"""

from __future__ import annotations

import numpy as np

from convspec import reference
from convspec.conformance.backends import numpy as numpy_backend
from convspec.conformance.dtypes import dot_product_dtype


def _rounded(out: np.ndarray, x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return out.astype(dot_product_dtype(np.asarray(x).dtype))


def reference_conv_transpose(x, w, b=None, *, stride, padding, output_padding, dilation, groups):
    """The reference, rounded once to the output dtype (the correct answer)."""
    return _rounded(reference.conv_transpose(x, w, b, stride=stride, padding=padding,
                                             output_padding=output_padding, dilation=dilation,
                                             groups=groups), x)


def ignores_output_padding(x, w, b=None, *, stride, padding, output_padding, dilation, groups):
    """output_padding taken as 0: the output is that much shorter."""
    return reference_conv_transpose(x, w, b, stride=stride, padding=padding, dilation=dilation,
                                    output_padding=[0] * len(output_padding), groups=groups)


def crops_wrong_side(x, w, b=None, *, stride, padding, output_padding, dilation, groups):
    """Each axis's crop taken from the wrong ends: p0 from the end, p1 from the beginning."""
    return reference_conv_transpose(x, w, b, stride=stride, padding=[(p1, p0) for p0, p1 in padding],
                                    output_padding=output_padding, dilation=dilation, groups=groups)


def accepts_large_output_padding(x, w, b=None, *, stride, padding, output_padding, dilation, groups):
    """Checks output_padding only for being >= 0: one of max(stride, dilation) or more is computed
    (zeros appended to the full scatter) instead of rejected."""
    if any(int(e) < 0 for e in output_padding):
        raise ValueError("output_padding must be >= 0")
    rank = len(output_padding)
    # every other check, with an output_padding the reference allows and the same output length
    zeros = {name: np.broadcast_to(0.0, np.shape(a)) for name, a in (("x", x), ("w", w), ("b", b))
             if a is not None}
    reference.check_conv_transpose_arguments(
        zeros["x"], zeros["w"], zeros.get("b"), stride=stride, padding=[(0, 0)] * len(padding),
        output_padding=[0] * rank, dilation=dilation, groups=groups)
    if any(int(p0) < 0 or int(p1) < 0 for p0, p1 in padding):
        raise ValueError("padding must be >= 0")
    full = reference.conv_transpose(x, w, None, stride=stride, padding=[(0, 0)] * rank,
                                     output_padding=[0] * rank, dilation=dilation, groups=groups)
    full = np.pad(full, [(0, 0), (0, 0), *((0, int(e)) for e in output_padding)])
    cropped = full[(slice(None), slice(None), *(slice(p0, n - p1) for (p0, p1), n in zip(
        padding, full.shape[2:], strict=True)))]
    if b is not None:
        cropped = cropped + np.asarray(b, dtype=np.float64).reshape(-1, *(1,) * rank)
    return _rounded(cropped, x)


def flips_kernel(x, w, b=None, *, stride, padding, output_padding, dilation, groups):
    """Scatters with the kernel flipped on every spatial axis."""
    w = np.ascontiguousarray(np.flip(np.asarray(w), axis=tuple(range(2, np.asarray(w).ndim))))
    return reference_conv_transpose(x, w, b, stride=stride, padding=padding, output_padding=output_padding,
                                    dilation=dilation, groups=groups)


def uint8_as_int8(x, w, b=None, *, stride, padding, output_padding, dilation, groups):
    """Reads uint8 inputs as int8: values of 128 and more turn negative (linear for each alone,
    not for a sum that crosses 128)."""
    x, w = np.asarray(x), np.asarray(w)
    if x.dtype == np.uint8:
        x, w = x.view(np.int8), w.view(np.int8)
    out = reference.conv_transpose(x, w, b, stride=stride, padding=padding, output_padding=output_padding,
                                   dilation=dilation, groups=groups)
    return out.astype(np.int32) if x.dtype == np.int8 else _rounded(out, x)


class _Backend:
    """An object with operators, as ``convspec run --backend module:attribute`` resolves one (a class
    instance: it has the ``__module__`` a backend's version is looked up by)."""

    def __init__(self, conv_transpose):
        self.conv = numpy_backend.conv
        self.conv_transpose = conv_transpose


def _backend(conv_transpose) -> _Backend:
    return _Backend(conv_transpose)


# the correct one: the numpy backend's conv_transpose, or the rounded reference where it has none
correct = _backend(getattr(numpy_backend, "conv_transpose", reference_conv_transpose))
output_padding_ignored = _backend(ignores_output_padding)
crop_wrong_side = _backend(crops_wrong_side)
large_output_padding_accepted = _backend(accepts_large_output_padding)
kernel_flipped = _backend(flips_kernel)
uint8_read_as_int8 = _backend(uint8_as_int8)
