"""The output-size rule of spec/semantics.md, one spatial axis at a time."""

from __future__ import annotations


def _checked_axis(kernel: int, stride: int, padding: tuple[int, int], dilation: int) -> tuple[int, int]:
    """One axis's kernel, stride, padding and dilation checked as both size rules need them; the
    padding pair, or ValueError."""
    if stride < 1:
        raise ValueError(f"stride must be >= 1, got {stride}")
    if dilation < 1:
        raise ValueError(f"dilation must be >= 1, got {dilation}")
    if kernel < 1:
        raise ValueError(f"kernel size must be >= 1, got {kernel}")
    before, after = padding
    if before < 0 or after < 0:
        raise ValueError(f"padding must be >= 0, got ({before}, {after})")
    return before, after


def output_size(size: int, kernel: int, stride: int = 1, padding: tuple[int, int] = (0, 0),
                dilation: int = 1) -> int:
    """Number of window positions along one axis.

    ``floor((W + p0 + p1 - D*(F - 1) - 1) / S) + 1``; raises ``ValueError`` when that is below 1,
    i.e. when the (dilated) kernel does not fit in the padded input even once.
    """
    before, after = _checked_axis(kernel, stride, padding, dilation)
    span = dilation * (kernel - 1) + 1
    padded = size + before + after
    if padded < span:
        raise ValueError(
            f"kernel spans {span} but the padded input is only {padded} wide: output size < 1"
        )
    return (padded - span) // stride + 1


def dropped(size: int, kernel: int, stride: int = 1, padding: tuple[int, int] = (0, 0),
            dilation: int = 1) -> int:
    """How many trailing padded positions no window reaches (the remainder of the floor)."""
    span = dilation * (kernel - 1) + 1
    return (size + padding[0] + padding[1] - span) % stride


def conv_transpose_output_size(size: int, kernel: int, stride: int = 1, padding: tuple[int, int] = (0, 0),
                               output_padding: int = 0, dilation: int = 1) -> int:
    """Length of the transposed convolution's output along one axis.

    ``(W - 1)*S - p0 - p1 + D*(F - 1) + output_padding + 1``: the span of the full scatter, plus
    output_padding, cropped by padding. Raises ``ValueError`` when that is below 1 or an argument
    is invalid (output_padding must be below max(stride, dilation), PyTorch's rule).
    """
    before, after = _checked_axis(kernel, stride, padding, dilation)
    if output_padding < 0 or output_padding >= max(stride, dilation):
        raise ValueError(f"output_padding must be >= 0 and below max(stride, dilation) = "
                         f"{max(stride, dilation)}, got {output_padding}")
    full = (size - 1) * stride + dilation * (kernel - 1) + 1 + output_padding
    if full - before - after < 1:
        raise ValueError(
            f"the full output is {full} long but padding crops {before + after}: output size < 1")
    return full - before - after
