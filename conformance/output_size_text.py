"""`convspec shape`: the output-size rule with the numbers filled in, and what the floor drops; with
``--transpose``, the transposed convolution's rule and what output_padding adds."""

from __future__ import annotations

from convspec.reference import conv_transpose_output_size, dropped, output_size, resolve_padding


def parse_padding(text: str) -> tuple[int, int]:
    """'1' -> (1, 1); '0,2' -> (0, 2)."""
    try:
        parts = [int(p) for p in text.split(",")]
    except ValueError:
        raise ValueError(f"padding must be P or BEFORE,AFTER (integers), got {text!r}") from None
    if len(parts) == 1:
        return parts[0], parts[0]
    if len(parts) == 2:
        return parts[0], parts[1]
    raise ValueError(f"padding must be P or BEFORE,AFTER, got {text!r}")


def explain(size: int, kernel: int, stride: int = 1, padding: str = "0", dilation: int = 1,
            mode: str | None = None) -> str:
    """The output size along one axis, derived step by step."""
    if mode is not None:
        (p0, p1), = resolve_padding(mode, [size], [kernel], [stride], [dilation])
        how = f"{mode} pads ({p0}, {p1})"
    else:
        p0, p1 = parse_padding(padding)
        how = f"padding ({p0}, {p1})"
    out = output_size(size, kernel, stride, (p0, p1), dilation)
    numerator = size + p0 + p1 - dilation * (kernel - 1) - 1
    lines = [
        f"W={size}, F={kernel}, S={stride}, D={dilation}, {how}",
        "out = floor((W + p0 + p1 - D·(F - 1) - 1) / S) + 1",
        f"    = floor(({size} + {p0} + {p1} - {dilation}·({kernel} - 1) - 1) / {stride}) + 1",
        f"    = floor({numerator} / {stride}) + 1 = {out}",
    ]
    if p0 == p1 and dilation == 1:
        lines.append(f"(the notes' (W - F + 2P)/S + 1 = ({size} - {kernel} + 2·{p0})/{stride} + 1"
                     f" = {(size - kernel + 2 * p0) / stride + 1:g})")
    lost = dropped(size, kernel, stride, (p0, p1), dilation)
    if lost:
        padded = size + p0 + p1
        first = padded - lost
        lines.append(
            f"{numerator}/{stride} is not an integer: the last window ends at padded position "
            f"{first - 1}, so the {lost} last padded position(s) {first}..{padded - 1} are never "
            f"reached and are dropped")
    return "\n".join(lines)


def _resolve_transpose_mode(mode: str, size: int, kernel: int, stride: int, dilation: int,
                            output_padding: int) -> tuple[tuple[int, int], int, str]:
    """A named mode as the runner resolves it for conv_transpose: the crop, the output_padding, and
    one line saying how (spec/semantics.md, "ONNX's output_shape and auto_pad")."""
    from .ops.conv_transpose import OPERATOR

    a = OPERATOR.resolve({"stride": stride, "dilation": dilation, "output_padding": output_padding,
                          "padding": mode}, {"x": (1, 1, size), "w": (1, 1, kernel)})
    (p0, p1), = a.padding
    extra, = a.output_padding
    if mode == "valid":
        return (p0, p1), extra, "valid crops (0, 0)"
    natural = (size - 1) * stride + dilation * (kernel - 1) + 1 + output_padding
    target = size * stride
    how = f"{mode}: target W·S = {target}, uncropped {natural}, total crop {natural - target}"
    if natural >= target:
        return (p0, p1), extra, f"{how} -> ({p0}, {p1})"
    return (p0, p1), extra, (f"{how} < 0 -> no crop, output_padding {output_padding} + "
                             f"{target - natural} = {extra}")


def explain_transpose(size: int, kernel: int, stride: int = 1, padding: str = "0", dilation: int = 1,
                      output_padding: int = 0, mode: str | None = None) -> str:
    """The transposed convolution's output size along one axis, derived step by step."""
    if mode is not None:
        (p0, p1), extra, how = _resolve_transpose_mode(mode, size, kernel, stride, dilation, output_padding)
    else:
        (p0, p1), extra = parse_padding(padding), output_padding
        how = f"padding (crop) ({p0}, {p1})"
    out = conv_transpose_output_size(size, kernel, stride, (p0, p1), extra, dilation)
    full = (size - 1) * stride + dilation * (kernel - 1) + 1 + extra
    lines = [
        f"transposed: W={size}, F={kernel}, S={stride}, D={dilation}, output_padding={extra}, {how}",
        "full = (W - 1)·S + D·(F - 1) + 1 + output_padding",
        f"     = ({size} - 1)·{stride} + {dilation}·({kernel} - 1) + 1 + {extra} = {full}",
        f"out  = full - p0 - p1 = {full} - {p0} - {p1} = {out}",
    ]
    if extra:
        first, last = max(full - extra, p0) - p0, full - p1 - 1 - p0
        lines.append(f"output_padding adds {extra} position(s) at the end of the full output that no "
                     "product reaches: " + (f"output positions {first}..{last} hold only the bias"
                                            if first <= last else f"the crop p1 = {p1} removes them again"))
    if extra < stride:
        shortest = max(out - extra, 1)
        lines.append(f"(a conv with F={kernel}, S={stride}, D={dilation}, padding ({p0}, {p1}) maps every "
                     f"length {shortest}..{shortest + stride - 1} to {size}; output_padding picks "
                     f"{out} of them)")
    return "\n".join(lines)
