"""Checking the arguments of a convolution, with errors that say which argument is wrong and why."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# The kinds of invalid call every conforming backend must reject (spec/semantics.md, "Invalid calls";
# their vectors: spec/vectors.md, "Error vectors").
ERROR_KINDS = (
    "rank",  # x is not 3-5 dims, or w's rank differs from x's
    "attribute-length",  # stride, dilation or padding has the wrong number of entries
    "stride",  # a stride below 1
    "dilation",  # a dilation below 1
    "padding",  # a negative padding
    "groups",  # groups below 1
    "groups-input-channels",  # C not divisible by groups
    "groups-output-channels",  # O not divisible by groups
    "weight-channels",  # w.shape[1] != C / groups
    "bias-shape",  # bias not of shape (O,)
    "output-size",  # the dilated kernel does not fit in the padded input (transposed: padding crops all)
    # conv_transpose only: output_padding < 0, or >= max(stride, dilation) on an axis (PyTorch's rule;
    # more would append positions no input can reach in any stride phase)
    "output-padding",
    # conv_grad_input / conv_grad_weight only: input_shape or kernel_shape inconsistent with dy (conv of
    # an input of input_shape with w, or of x with a w of kernel_shape, does not give dy's shape)
    "gradient-shape",
)


class ConvArgumentError(ValueError):
    """The arguments describe no valid convolution (what every conforming backend must reject).

    ``kind`` is one of :data:`ERROR_KINDS`.
    """

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


def _check_shape_attributes(x: np.ndarray, w: np.ndarray, *, stride: Sequence[int],
                            padding: Sequence[Sequence[int]], dilation: Sequence[int],
                            output_padding: Sequence[int] | None = None) -> int:
    """The checks conv and conv_transpose begin with, in their order: ranks, one entry per spatial
    axis (output_padding too, when given), stride, dilation, padding pairs, negative padding.
    Returns the number of spatial axes."""
    if x.ndim < 3 or x.ndim > 5:
        raise ConvArgumentError("rank", f"x must have 3 to 5 dims (N, C, 1-3 spatial), got {x.ndim}")
    if w.ndim != x.ndim:
        raise ConvArgumentError("rank", f"w has {w.ndim} dims but x has {x.ndim}: ranks must match")
    rank = x.ndim - 2
    lengths = [("stride", stride), ("dilation", dilation), ("padding", padding)]
    if output_padding is not None:
        lengths.append(("output_padding", output_padding))
    for name, value in lengths:
        if len(value) != rank:
            raise ConvArgumentError("attribute-length",
                                    f"{name} has {len(value)} entries for {rank} spatial axes")
    if any(int(s) < 1 for s in stride):
        raise ConvArgumentError("stride", f"stride must be >= 1 on every axis, got {list(stride)}")
    if any(int(d) < 1 for d in dilation):
        raise ConvArgumentError("dilation", f"dilation must be >= 1 on every axis, got {list(dilation)}")
    if any(len(p) != 2 for p in padding):
        raise ConvArgumentError("attribute-length", f"padding must be (before, after) pairs, got {padding}")
    if any(int(p[0]) < 0 or int(p[1]) < 0 for p in padding):
        raise ConvArgumentError("padding", f"padding must be >= 0, got {[list(p) for p in padding]}")
    return rank


def check_conv_arguments(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, *,
                         stride: Sequence[int], padding: Sequence[Sequence[int]],
                         dilation: Sequence[int], groups: int) -> None:
    """Raise :class:`ConvArgumentError` unless the call is a valid convolution."""
    rank = _check_shape_attributes(x, w, stride=stride, padding=padding, dilation=dilation)
    if groups < 1:
        raise ConvArgumentError("groups", f"groups must be >= 1, got {groups}")
    channels, out_channels = x.shape[1], w.shape[0]
    if channels % groups:
        raise ConvArgumentError("groups-input-channels",
                                f"input channels {channels} are not divisible by groups {groups}")
    if out_channels % groups:
        raise ConvArgumentError("groups-output-channels",
                                f"output channels {out_channels} are not divisible by groups {groups}")
    if w.shape[1] != channels // groups:
        raise ConvArgumentError("weight-channels", (
            f"w has {w.shape[1]} input channels but C/groups = {channels}/{groups} = "
            f"{channels // groups}"))
    if b is not None and b.shape != (out_channels,):
        raise ConvArgumentError("bias-shape", f"bias must have shape ({out_channels},), got {b.shape}")
    for axis in range(rank):
        padded = x.shape[2 + axis] + int(padding[axis][0]) + int(padding[axis][1])
        span = int(dilation[axis]) * (w.shape[2 + axis] - 1) + 1
        if padded < span:
            raise ConvArgumentError("output-size", (
                f"spatial axis {axis}: the kernel spans {span} but the padded input is {padded}:"
                " output size < 1"))


def check_conv_transpose_arguments(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, *,
                                   stride: Sequence[int], padding: Sequence[Sequence[int]],
                                   output_padding: Sequence[int], dilation: Sequence[int],
                                   groups: int) -> None:
    """Raise :class:`ConvArgumentError` unless the call is a valid transposed convolution.

    The checks and their order are those of :func:`check_conv_arguments`, with output_padding
    checked right after padding; w is laid out (C_in, C_out/groups, *kernel), as in PyTorch and ONNX.
    """
    rank = _check_shape_attributes(x, w, stride=stride, padding=padding, dilation=dilation,
                                   output_padding=output_padding)
    for axis, (extra, s, d) in enumerate(zip(output_padding, stride, dilation, strict=True)):
        if int(extra) < 0 or int(extra) >= max(int(s), int(d)):
            raise ConvArgumentError("output-padding", (
                f"spatial axis {axis}: output_padding must be >= 0 and below max(stride, dilation) = "
                f"{max(int(s), int(d))}, got {int(extra)}"))
    if groups < 1:
        raise ConvArgumentError("groups", f"groups must be >= 1, got {groups}")
    channels = x.shape[1]
    if channels % groups:
        raise ConvArgumentError("groups-input-channels",
                                f"input channels {channels} are not divisible by groups {groups}")
    if w.shape[0] != channels:
        raise ConvArgumentError("weight-channels", (
            f"w has {w.shape[0]} input channels but x has {channels}: conv_transpose's w is "
            "(C_in, C_out/groups, *kernel), not conv's (C_out, C_in/groups, *kernel)"))
    out_channels = w.shape[1] * groups
    if b is not None and b.shape != (out_channels,):
        raise ConvArgumentError("bias-shape", (
            f"bias must have shape ({out_channels},) (C_out = w.shape[1] * groups), got {b.shape}"))
    for axis in range(rank):
        (p0, p1), s, d = padding[axis], int(stride[axis]), int(dilation[axis])
        full = (x.shape[2 + axis] - 1) * s + d * (w.shape[2 + axis] - 1) + 1 + int(output_padding[axis])
        if full - int(p0) - int(p1) < 1:
            raise ConvArgumentError("output-size", (
                f"spatial axis {axis}: the full output is {full} long but padding crops "
                f"{int(p0) + int(p1)} of it: output size < 1"))
