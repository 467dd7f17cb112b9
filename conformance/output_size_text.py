"""`convspec shape`: the output-size rule with the numbers filled in, and what the floor drops."""

from __future__ import annotations

from convspec.reference import dropped, output_size, resolve_padding


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
