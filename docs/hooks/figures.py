"""The docs' figures, drawn at build time from the vectors and the reference.

Each figure is a function returning the file's bytes: SVG written by hand (no plotting library),
or PNG through Pillow for the photograph. Nothing here is committed as an image: the docs hook
calls ``build_figures`` on every build, so a figure cannot drift from the vector it shows.
"""

# The figures are for people: they print the multiplication sign, the minus sign and arrows on purpose.
# ruff: noqa: RUF001, RUF002

from __future__ import annotations

import io
from collections.abc import Callable
from html import escape

import numpy as np

from convspec.reference import (
    conv,
    conv_grad_input,
    conv_grad_weight,
    conv_transpose,
    coverage,
    resolve_padding,
)

INK = "#1f2933"
MUTED = "#7b8794"
GRID = "#9aa5b1"
PAD_FILL = "#e4e7eb"
BLUE = "#2563eb"
ORANGE = "#ea580c"
GREEN = "#16a34a"
RED = "#dc2626"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"


class Svg:
    """A small SVG canvas: rectangles, lines, text and grids of cells, on a light card.

    The card has its own light background so the figure reads the same in the light and the
    dark palette (an <img> does not inherit the page's colours).
    """

    def __init__(self, width: float, height: float, title: str):
        self.width, self.height, self.title = width, height, title
        self.parts: list[str] = []

    def rect(self, x, y, w, h, *, fill="none", stroke=INK, width=1.0, rx=0, dash=None, opacity=1.0):
        extra = f' stroke-dasharray="{dash}"' if dash else ""
        self.parts.append(
            f'<rect x="{x:g}" y="{y:g}" width="{w:g}" height="{h:g}" rx="{rx:g}" fill="{fill}" '
            f'stroke="{stroke}" stroke-width="{width:g}" fill-opacity="{opacity:g}"{extra}/>')

    def line(self, x1, y1, x2, y2, *, stroke=INK, width=1.0, dash=None, arrow=False):
        extra = f' stroke-dasharray="{dash}"' if dash else ""
        extra += ' marker-end="url(#arrow)"' if arrow else ""
        self.parts.append(f'<line x1="{x1:g}" y1="{y1:g}" x2="{x2:g}" y2="{y2:g}" stroke="{stroke}" '
                          f'stroke-width="{width:g}"{extra}/>')

    def circle(self, cx, cy, r, *, fill=INK, stroke="none"):
        self.parts.append(f'<circle cx="{cx:g}" cy="{cy:g}" r="{r:g}" fill="{fill}" stroke="{stroke}"/>')

    def text(self, x, y, s, *, size=14, anchor="middle", weight="normal", fill=INK, italic=False):
        style = ' font-style="italic"' if italic else ""
        self.parts.append(
            f'<text x="{x:g}" y="{y:g}" font-size="{size:g}" text-anchor="{anchor}" '
            f'dominant-baseline="central" font-weight="{weight}" fill="{fill}"{style}>'
            f"{escape(str(s))}</text>")

    def grid(self, x0, y0, rows, cols, cell, *, label: Callable[[int, int], str] | None = None,
             fill: Callable[[int, int], str] | None = None, size=None, text_fill=INK):
        for r in range(rows):
            for c in range(cols):
                x, y = x0 + c * cell, y0 + r * cell
                self.rect(x, y, cell, cell, fill=fill(r, c) if fill else "#ffffff", stroke=GRID)
                if label:
                    s = label(r, c)
                    if s != "":
                        self.text(x + cell / 2, y + cell / 2, s, size=size or cell * 0.42,
                                  fill=text_fill)

    def render(self) -> bytes:
        head = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {self.width:g} {self.height:g}" '
                f'width="{self.width:g}" height="{self.height:g}" role="img" font-family="{FONT}">'
                f"<title>{escape(self.title)}</title>"
                '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
                f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{INK}"/>'
                "</marker></defs>"
                f'<rect x="0" y="0" width="{self.width:g}" height="{self.height:g}" rx="10" '
                'fill="#fbfbfc" stroke="#d9dee3"/>')
        return (head + "".join(self.parts) + "</svg>").encode()


def _num(v: float) -> str:
    return f"{v:.0f}" if float(v).is_integer() else f"{v:g}"


def _plane(values: np.ndarray) -> np.ndarray:
    """The first 2-D plane of an (N, C, H, W) array."""
    return np.asarray(values, dtype=np.float64).reshape(values.shape)[(0,) * (values.ndim - 2)]


def _heat(value: float, top: float, rgb=(37, 99, 235)) -> str:
    t = 0.0 if top == 0 else max(0.0, min(1.0, value / top))
    r, g, b = (round(255 + (c - 255) * (0.12 + 0.78 * t)) for c in rgb)
    return f"rgb({r},{g},{b})"


# --- the convolution operation ------------------------------------------------------------------

def convolution_window(vectors) -> bytes:
    """Input window, kernel and the nine products of the -60 example, with their sum."""
    v = vectors["notes/convolution/minus-60"]
    arrays = v.arrays()
    x, w = _plane(arrays["x"]), _plane(arrays["w"])
    prod = x * w
    cell, top = 46, 70
    s = Svg(760, 300, "The 3x3 window, the vertical-edge kernel and their nine products")
    panels = [(30, "input window I", x, None), (240, "kernel K", w, None), (450, "products I·K", prod, True)]
    for x0, title, values, colour in panels:
        s.text(x0 + 1.5 * cell, top - 24, title, size=15, weight="bold")

        def fill(r, c, values=values, colour=colour):
            if not colour:
                return "#ffffff"
            val = values[r, c]
            return "#dbeafe" if val > 0 else "#fee2e2" if val < 0 else "#f3f4f6"
        s.grid(x0, top, 3, 3, cell, label=lambda r, c, values=values: _num(values[r, c]), fill=fill,
               size=17)
    s.text(30 + 3 * cell + 32, top + 1.5 * cell, "⊙", size=30)
    s.text(240 + 3 * cell + 32, top + 1.5 * cell, "=", size=30)
    s.text(450 + 3 * cell + 24, top + 1.5 * cell, "Σ", size=30)
    s.text(450 + 3 * cell + 80, top + 1.5 * cell, _num(prod.sum()), size=28, weight="bold", fill=RED)
    pos, neg = prod[prod > 0].sum(), prod[prod < 0].sum()
    s.text(380, top + 3 * cell + 40,
           f"left column adds {_num(pos)}, right column subtracts {_num(-neg)}: "
           f"{_num(pos)} − {_num(-neg)} = {_num(prod.sum())}", size=15)
    s.text(380, top + 3 * cell + 64, "no flip: K(0, 0) multiplies I(0, 0), the window's top-left pixel",
           size=13, fill=MUTED)
    return s.render()


# --- kernels on a photograph -----------------------------------------------------------------

def _photo() -> np.ndarray:
    """The camera-man photograph that ships inside scikit-image (no download), as float64."""
    from skimage import data

    return data.camera().astype(np.float64)


def _crop(image: np.ndarray) -> np.ndarray:
    return image[40:296, 150:406]


def _png(values: np.ndarray, scale: int = 1) -> bytes:
    from PIL import Image

    img = Image.fromarray(np.clip(np.round(values), 0, 255).astype(np.uint8), mode="L")
    if scale != 1:
        img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _apply(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """The reference convolution with padding 1 (the image keeps its size)."""
    k = kernel.reshape(1, 1, *kernel.shape[-2:])
    out = conv(image[None, None], k, stride=(1, 1), padding=((1, 1), (1, 1)), dilation=(1, 1), groups=1)
    return out[0, 0]


def kernel_photos(vectors) -> dict[str, bytes]:
    """The photograph before and after the notes' edge, blur and sharpen kernels (from the vectors)."""
    image = _photo()
    kernels = {name: _plane(vectors[f"notes/kernels/{name}"].arrays()["w"])
               for name in ("vertical-edge", "horizontal-edge", "blur", "sharpen")}
    crop = _crop(image)
    out = {"kernels/original.png": _png(crop, 2)}
    for name in ("vertical-edge", "horizontal-edge"):
        response = np.abs(_crop(_apply(image, kernels[name])))
        # |response| scaled so that the strongest 1% of edges are white
        out[f"kernels/{name}.png"] = _png(255 * response / np.percentile(response, 99), 2)
    out["kernels/blur.png"] = _png(_crop(_apply(image, kernels["blur"])), 2)
    out["kernels/sharpen.png"] = _png(_crop(_apply(image, kernels["sharpen"])), 2)
    return out


# --- stride ---------------------------------------------------------------------------------------

def stride_windows(vectors) -> bytes:
    """The 5x5 letter grid with the first two windows at stride 1 and at stride 2."""
    cell, top = 44, 70
    s = Svg(640, 400, "The 5x5 letter grid: first two windows at stride 1 and at stride 2")
    for x0, vid in ((30, "notes/stride/letters-stride-1-windows"),
                    (340, "notes/stride/letters-stride-2-windows")):
        v = vectors[vid]
        stride = v.call.attributes.stride[1]
        s.text(x0 + 2.5 * cell, top - 30, f"stride {stride}", size=17, weight="bold")
        s.grid(x0, top, 5, 5, cell, label=lambda r, c: chr(ord("A") + 5 * r + c), size=18)
        firsts = [w for w in v.windows if w["at"][0] == 0][:2]
        for k, (window, colour) in enumerate(zip(firsts, (BLUE, ORANGE), strict=False)):
            i, j = window["at"]
            inset = 3 + 4 * k
            s.rect(x0 + j * stride * cell + inset, top + i * stride * cell + inset, 3 * cell - 2 * inset,
                   3 * cell - 2 * inset, stroke=colour, width=3.5, rx=4)
            s.text(x0 + 2.5 * cell, top + 5 * cell + 24 + 22 * k,
                   f"window ({i}, {j}) covers {' '.join(window['covers'][:3])} …",
                   size=14, fill=colour, weight="bold")
        out = v.output_shape()[-1]
        s.text(x0 + 2.5 * cell, top + 5 * cell + 70, f"{out}×{out} windows in all", size=13, fill=MUTED)
    return s.render()


# --- output size --------------------------------------------------------------------------------

def output_size_grid(vectors) -> bytes:
    """5x5 input, 3x3 kernel, stride 1: nine window positions, a 3x3 output."""
    v = vectors["notes/output-size/5x5-f3-s1-p0"]
    (n_in, n_out) = v.inputs["x"]["shape"][-1], v.expected["shape"][-1]
    cell, top = 40, 60
    s = Svg(560, 300, "A 5x5 input under a 3x3 kernel at stride 1 gives a 3x3 output")
    s.text(30 + n_in * cell / 2, top - 26, f"input {n_in}×{n_in}", size=15, weight="bold")
    s.grid(30, top, n_in, n_in, cell)
    s.rect(30 + 2, top + 2, 3 * cell - 4, 3 * cell - 4, stroke=BLUE, width=3, rx=3)
    s.rect(30 + 2 * cell + 2, top + 2 * cell + 2, 3 * cell - 4, 3 * cell - 4, stroke=ORANGE, width=3, rx=3)
    s.line(250, top + 100, 330, top + 100, width=2, arrow=True)
    s.text(290, top + 80, "3×3, S = 1", size=13, fill=MUTED)
    x0 = 360
    s.text(x0 + n_out * cell / 2, top - 26, f"output {n_out}×{n_out}", size=15, weight="bold")
    s.grid(x0, top + cell, n_out, n_out, cell,
           fill=lambda r, c: "#dbeafe" if (r, c) == (0, 0) else "#ffedd5" if (r, c) == (2, 2) else "#ffffff")
    s.text(280, top + 5 * cell + 30, f"({n_in} − 3 + 2·0) / 1 + 1 = {n_out}", size=16)
    return s.render()


def output_size_floor(vectors) -> bytes:
    """One row of the 6x6 input at stride 2: the third window would need a seventh column."""
    v = vectors["notes/output-size/6x6-f3-s2-floor"]
    n, f, stride = v.inputs["x"]["shape"][-1], v.inputs["w"]["shape"][-1], v.call.attributes.stride[-1]
    cell, top, x0 = 52, 70, 40
    s = Svg(640, 250, "Stride 2 over 6 columns: a third window would need column 6, which does not exist")
    s.grid(x0, top, 1, n, cell, label=lambda r, c: str(c), size=16)
    s.rect(x0 + n * cell, top, cell, cell, fill=PAD_FILL, stroke=GRID, dash="4 3")
    s.text(x0 + n * cell + cell / 2, top + cell / 2, "6?", size=16, fill=MUTED)
    colours = (BLUE, ORANGE, RED)
    for k in range(3):
        start = k * stride
        y = top + cell + 18 + 24 * k
        fits = start + f <= n
        s.line(x0 + start * cell + 6, y, x0 + (start + f) * cell - 6, y, stroke=colours[k], width=5,
               dash=None if fits else "8 6")
        s.text(x0 + (start + f) * cell + 8, y, "window " + str(k) + ("" if fits else ": dropped"),
               size=13, anchor="start", fill=colours[k])
    s.text(320, top - 30, f"W = {n}, F = {f}, S = {stride}:  ({n} − {f}) / {stride} + 1 = 2.5 → floor → 2",
           size=15)
    return s.render()


# --- padding ------------------------------------------------------------------------------------

def padding_ring(vectors) -> bytes:
    """The 8x8 image with one ring of zeros (10x10), and the first 3x3 window reading the ring."""
    v = vectors["notes/padding/8x8-to-10x10"]
    padded = _plane(v.expected_values())
    rows, cols = padded.shape
    cell, top, x0 = 34, 56, 30
    s = Svg(x0 * 2 + cols * cell + 220, top + rows * cell + 30, "An 8x8 image padded to 10x10")
    s.text(x0 + cols * cell / 2, top - 24, "8×8 image + padding 1 = 10×10", size=15, weight="bold")
    ring = {(r, c) for r in range(rows) for c in range(cols) if r in (0, rows - 1) or c in (0, cols - 1)}
    s.grid(x0, top, rows, cols, cell, label=lambda r, c: _num(padded[r, c]),
           fill=lambda r, c: PAD_FILL if (r, c) in ring else "#ffffff", size=12,
           text_fill=INK)
    s.rect(x0 + 2, top + 2, 3 * cell - 4, 3 * cell - 4, stroke=BLUE, width=3, rx=3)
    lx = x0 + cols * cell + 24
    s.rect(lx, top + 10, 22, 22, fill=PAD_FILL, stroke=GRID)
    s.text(lx + 32, top + 21, "padding (zeros)", size=13, anchor="start")
    s.rect(lx, top + 46, 22, 22, stroke=BLUE, width=3, rx=3)
    s.text(lx + 32, top + 57, "first 3×3 window", size=13, anchor="start")
    s.text(lx, top + 100, "it now reaches pixel 1,", size=13, anchor="start", fill=MUTED)
    s.text(lx, top + 118, "the corner, from outside", size=13, anchor="start", fill=MUTED)
    return s.render()


def same_padding(vectors) -> bytes:
    """same_upper vs same_lower on one axis: W = 5, F = 4, S = 1 needs 3 zeros; who gets the odd one."""
    width_, kernel, stride = 5, 4, 1
    upper = resolve_padding("same_upper", (width_,), (kernel,), (stride,), (1,))[0]
    lower = resolve_padding("same_lower", (width_,), (kernel,), (stride,), (1,))[0]
    cell, x0 = 44, 210
    s = Svg(640, 230, "same_upper and same_lower on one axis")
    s.text(320, 30, f"W = {width_}, F = {kernel}, S = {stride}: total padding {sum(upper)}", size=15,
           weight="bold")
    for k, (name, (before, after)) in enumerate((("same_upper", upper), ("same_lower", lower))):
        y = 70 + 80 * k
        s.text(x0 - 16, y + cell / 2, f"{name}  ({before}, {after})", size=14, anchor="end", weight="bold")
        cells = ["0"] * before + [chr(ord("a") + i) for i in range(width_)] + ["0"] * after
        for i, label in enumerate(cells):
            pad = label == "0"
            s.rect(x0 + i * cell, y, cell, cell, fill=PAD_FILL if pad else "#ffffff", stroke=GRID)
            s.text(x0 + i * cell + cell / 2, y + cell / 2, label, size=16, fill=MUTED if pad else INK)
    return s.render()


# --- border coverage ---------------------------------------------------------------------------

def coverage_maps(vectors) -> bytes:
    """How many 3x3 windows read each pixel of a 5x5 input, without and with padding 1."""
    cell, top = 50, 70
    s = Svg(700, 430, "How many 3x3 windows read each pixel of a 5x5 input, without and with padding")
    for x0, pad, vid in ((40, 0, "notes/padding/border-coverage-unpadded"),
                         (380, 1, "notes/padding/border-coverage-padded")):
        counts = coverage((5, 5), (3, 3), (1, 1), ((pad, pad), (pad, pad)))
        expected = np.array(vectors[vid].expected["data"], dtype=float).reshape(5, 5)
        if not np.array_equal(counts, expected):  # the reference and the vector must agree
            raise ValueError(f"coverage() disagrees with vector {vid}")
        s.text(x0 + 2.5 * cell, top - 30, f"padding {pad}", size=17, weight="bold")
        s.grid(x0, top, 5, 5, cell, label=lambda r, c, counts=counts: str(counts[r, c]),
               fill=lambda r, c, counts=counts: _heat(counts[r, c], 9), size=19)
        s.text(x0 + 2.5 * cell, top + 5 * cell + 26,
               f"corner {counts[0, 0]}, edge {counts[0, 2]}, centre {counts[2, 2]}", size=14)
    for k, level in enumerate((1, 3, 5, 7, 9)):
        s.rect(250 + 40 * k, top + 5 * cell + 48, 40, 18, fill=_heat(level, 9), stroke=GRID)
        s.text(250 + 40 * k + 20, top + 5 * cell + 76, str(level), size=12, fill=MUTED)
    return s.render()


# --- receptive field ---------------------------------------------------------------------------

def receptive_field(vectors) -> bytes:
    """One row through three stacked 3x3 layers (7 -> 5 -> 3 -> 1) beside one 7-wide kernel."""
    ks = [_plane(vectors[f"notes/receptive-field/stacked-{i}"].arrays()["w"]) for i in (1, 2, 3)]
    big = _plane(vectors["notes/receptive-field/one-7x7"].arrays()["w"])
    stacked_weights, big_weights = sum(k.size for k in ks), big.size
    cell, x0 = 40, 40
    s = Svg(760, 330, "Three stacked 3x3 layers see 7 input pixels per axis, like one 7x7 kernel")
    levels = [7, 5, 3, 1]
    ys = [250, 180, 110, 40]
    for level, (count, y) in enumerate(zip(levels, ys, strict=True)):
        offset = x0 + (7 - count) * cell / 2
        for i in range(count):
            s.rect(offset + i * cell + 4, y, cell - 8, 30, rx=4, fill=_heat(level + 1, 4), stroke=GRID)
            if level:
                for t in range(3):
                    below = x0 + (7 - levels[level - 1]) * cell / 2 + (i + t) * cell + cell / 2
                    s.line(offset + i * cell + cell / 2, y + 30, below, ys[level - 1], stroke=GRID)
        s.text(x0 + 7 * cell + 14, y + 15, ["input", "layer 1", "layer 2", "layer 3"][level], size=13,
               anchor="start", fill=MUTED)
    s.text(x0 + 3.5 * cell, 305, f"3 layers × 3×3 = {stacked_weights} weights", size=15, weight="bold",
           fill=BLUE)
    x1 = 430
    for i in range(7):
        s.rect(x1 + i * cell + 4, 250, cell - 8, 30, rx=4, fill=_heat(1, 4), stroke=GRID)
        s.line(x1 + 3.5 * cell, 70, x1 + i * cell + cell / 2, 250, stroke=GRID)
    s.rect(x1 + 3 * cell + 4, 40, cell - 8, 30, rx=4, fill=_heat(4, 4), stroke=GRID)
    s.text(x1 + 3.5 * cell, 305, f"one 7×7 = {big_weights} weights", size=15, weight="bold", fill=ORANGE)
    return s.render()


# --- dilation --------------------------------------------------------------------------------------

def dilation_taps(vectors) -> bytes:
    """A 3x3 kernel's taps at dilation 1 and 2 on a 7x7 input: span D·(F − 1) + 1."""
    cell, top = 38, 70
    s = Svg(680, 400, "A 3x3 kernel at dilation 1 and dilation 2")
    for x0, d in ((40, 1), (370, 2)):
        span = d * 2 + 1
        s.text(x0 + 3.5 * cell, top - 30, f"dilation {d}: span {d}·(3 − 1) + 1 = {span}", size=15,
               weight="bold")
        s.grid(x0, top, 7, 7, cell,
               fill=lambda r, c, span=span: "#eef2ff" if r < span and c < span else "#ffffff")
        for m in range(3):
            for n in range(3):
                s.circle(x0 + (n * d + 0.5) * cell, top + (m * d + 0.5) * cell, 9, fill=BLUE)
        s.rect(x0 + 1, top + 1, span * cell - 2, span * cell - 2, stroke=BLUE, width=2.5, dash="6 4")
        s.text(x0 + 3.5 * cell, top + 7 * cell + 26,
               f"output {7 - span + 1}×{7 - span + 1} on a 7×7 input (9 weights either way)", size=13,
               fill=MUTED)
    return s.render()


# --- groups ----------------------------------------------------------------------------------------

def groups_wiring(vectors) -> bytes:
    """Which input channels each output channel reads for groups = 1, 2 and 4 (C = O = 4)."""
    channels = 4
    s = Svg(760, 300, "Channel wiring for groups 1, 2 and 4 (depthwise)")
    colours = (BLUE, ORANGE, GREEN, RED)
    for panel, groups in enumerate((1, 2, 4)):
        x0 = 40 + 245 * panel
        per_in, per_out = channels // groups, channels // groups
        title = {1: "groups = 1 (dense)", 2: "groups = 2", 4: "groups = 4 (depthwise)"}[groups]
        s.text(x0 + 85, 32, title, size=15, weight="bold")
        for o in range(channels):
            g = o // per_out
            for c in range(g * per_in, (g + 1) * per_in):
                s.line(x0 + 40, 80 + 48 * c, x0 + 150, 80 + 48 * o, stroke=colours[g], width=2)
        for i in range(channels):
            s.circle(x0 + 30, 80 + 48 * i, 13, fill="#ffffff", stroke=INK)
            s.text(x0 + 30, 80 + 48 * i, f"x{i}", size=11)
            s.circle(x0 + 160, 80 + 48 * i, 13, fill="#ffffff", stroke=INK)
            s.text(x0 + 160, 80 + 48 * i, f"y{i}", size=11)
        s.text(x0 + 95, 275, f"w: ({channels}, {channels // groups}, kh, kw)", size=13, fill=MUTED)
    return s.render()


# --- transposed convolution -------------------------------------------------------------------------

def _transpose(x: np.ndarray, w: np.ndarray, stride: int, padding=(0, 0), output_padding: int = 0
               ) -> np.ndarray:
    """The reference's conv_transpose of one plane (1-D or 2-D), one channel, dilation 1."""
    rank = x.ndim
    x, w = (np.asarray(a, dtype=np.float64)[None, None] for a in (x, w))
    out = conv_transpose(x, w, stride=(stride,) * rank, padding=(tuple(padding),) * rank,
                         output_padding=(output_padding,) * rank, dilation=(1,) * rank, groups=1)
    return out[0, 0]


def transpose_scatter(vectors) -> bytes:
    """One input element of a 3x3 input spreads its kernel-weighted copy into the 7x7 output (stride 2)."""
    x = np.arange(1, 10, dtype=float).reshape(3, 3)
    w = np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], dtype=float)
    at, stride = (1, 1), 2
    alone = np.zeros_like(x)
    alone[at] = x[at]
    copy = _transpose(alone, w, stride)  # the reference, fed that one element
    full = _transpose(x, w, stride)
    cell, top = 36, 74
    s = Svg(760, 470, "Transposed convolution: one input element scatters a weighted copy of the kernel")
    s.text(30 + 1.5 * cell, top - 26, "input x", size=15, weight="bold")
    s.grid(30, top, 3, 3, cell, label=lambda r, c: _num(x[r, c]), size=15,
           fill=lambda r, c: "#dbeafe" if (r, c) == at else "#ffffff")
    s.text(30 + 1.5 * cell, top + 3 * cell + 22, f"x[{at[0]}, {at[1]}] = {_num(x[at])}", size=13, fill=BLUE,
           weight="bold")
    s.text(180 + 1.5 * cell, top - 26, "kernel w", size=15, weight="bold")
    s.grid(180, top, 3, 3, cell, label=lambda r, c: _num(w[r, c]), size=15)
    s.line(180 + 3 * cell + 14, top + 1.5 * cell, 180 + 3 * cell + 70, top + 1.5 * cell, width=2, arrow=True)
    s.text(180 + 3 * cell + 42, top + 1.5 * cell - 16, "S = 2", size=13, fill=MUTED)
    x0, big = 420, 40
    block = {(r, c) for r in range(7) for c in range(7) if copy[r, c] != 0}
    s.text(x0 + 3.5 * big, top - 26, f"output, {full.shape[0]}×{full.shape[1]}: its copy", size=15,
           weight="bold")
    s.grid(x0, top, 7, 7, big, label=lambda r, c: _num(copy[r, c]) if (r, c) in block else "",
           fill=lambda r, c: "#dbeafe" if (r, c) in block else "#ffffff", size=14)
    r0, c0 = at[0] * stride, at[1] * stride
    s.rect(x0 + c0 * big + 1, top + r0 * big + 1, 3 * big - 2, 3 * big - 2, stroke=BLUE, width=3, rx=3)
    # the right-hand neighbour's copy starts two columns on: the two overlap on one column
    s.rect(x0 + (c0 + stride) * big + 4, top + r0 * big + 4, 3 * big - 8, 3 * big - 8, stroke=ORANGE,
           width=2.5, rx=3, dash="6 4")
    s.text(x0 + 3.5 * big, top + 7 * big + 22,
           f"x[{at[0]}, {at[1] + 1}]'s copy (dashed) overlaps it on column {c0 + stride}", size=13,
           fill=ORANGE)
    s.text(380, top + 7 * big + 52,
           f"x[i, j] adds x[i, j]·w[m, n] at (2i + m, 2j + n): here {_num(x[at])}·w at rows and columns "
           f"{r0}–{r0 + 2}", size=14)
    s.text(380, top + 7 * big + 74, "every output element sums the copies that land on it, plus the bias",
           size=13, fill=MUTED)
    return s.render()


def transpose_zero_insertion(vectors) -> bytes:
    """Stride 2 as a convolution: zeros between the inputs, a border of F - 1, the kernel flipped."""
    x, w, stride = np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0]), 2
    k = len(w)
    spread = np.zeros((len(x) - 1) * stride + 1)
    spread[::stride] = x
    z = np.concatenate([np.zeros(k - 1), spread, np.zeros(k - 1)])
    flipped = w[::-1]
    y = _transpose(x, w, stride)
    as_conv = conv(z[None, None], flipped[None, None], stride=(1,), padding=((0, 0),), dilation=(1,),
                   groups=1)[0, 0]
    if not np.array_equal(as_conv, y):  # the figure shows an identity: the reference must agree
        raise ValueError("the zero-insertion view disagrees with the reference's conv_transpose")
    inner = ["x" if i % stride == 0 else "hole" for i in range(len(spread))]
    kind = ["border"] * (k - 1) + inner + ["border"] * (k - 1)
    cell, x0 = 44, 250
    s = Svg(760, 410, "Stride 2 as a plain convolution: insert zeros, pad, flip the kernel")
    rows = {"input x": 30, "zeros inserted, padded": 120, "kernel w, flipped": 200, "output y": 280}
    for label, y0 in rows.items():
        s.text(x0 - 16, y0 + cell / 2, label, size=14, anchor="end", weight="bold")
    for i, value in enumerate(x):  # each input element drops to its place, S apart
        at = x0 + (k - 1 + i * stride) * cell
        s.rect(at, rows["input x"], cell, cell, fill="#ffffff", stroke=GRID)
        s.text(at + cell / 2, rows["input x"] + cell / 2, _num(value), size=16)
        s.line(at + cell / 2, rows["input x"] + cell + 4, at + cell / 2, rows["zeros inserted, padded"] - 6,
               stroke=MUTED, width=1.5, arrow=True)
    fills = {"border": PAD_FILL, "hole": "#fef3c7", "x": "#ffffff"}
    s.grid(x0, rows["zeros inserted, padded"], 1, len(z), cell, label=lambda r, c: _num(z[c]),
           fill=lambda r, c: fills[kind[c]], size=16)
    j = 2
    s.grid(x0 + j * cell, rows["kernel w, flipped"], 1, k, cell, label=lambda r, c: _num(flipped[c]),
           fill=lambda r, c: "#dbeafe", size=16)
    s.rect(x0 + j * cell + 1, rows["zeros inserted, padded"] + 1, k * cell - 2, cell - 2, stroke=BLUE,
           width=3, rx=3)
    # y[j] sits under the middle of its window
    s.grid(x0 + (k - 1) / 2 * cell, rows["output y"], 1, len(y), cell, label=lambda r, c: _num(y[c]),
           fill=lambda r, c: "#dbeafe" if c == j else "#ffffff", size=16)
    window = z[j:j + k]
    terms = " + ".join(f"{_num(a)}·{_num(b)}" for a, b in zip(window, flipped, strict=True))
    s.text(380, 355, f"y[{j}] = {terms} = {_num(y[j])}", size=15, weight="bold", fill=BLUE)
    s.rect(40, 372, 16, 16, fill="#fef3c7", stroke=GRID)
    s.text(62, 380, "inserted zero", size=12, anchor="start", fill=MUTED)
    s.rect(170, 372, 16, 16, fill=PAD_FILL, stroke=GRID)
    s.text(192, 380, "border F − 1 − p (p = 0)", size=12, anchor="start", fill=MUTED)
    s.text(360, 380, "the 0·2 is a place, not a product: the scatter never forms it", size=12, anchor="start",
           fill=MUTED)
    return s.render()


def transpose_output_padding(vectors) -> bytes:
    """W = 3, F = 3, S = 2: the full output of 7, one output_padding position, and what the crop keeps."""
    n, k, stride, extra = 3, 3, 2, 1
    counts = _transpose(np.ones(n), np.ones(k), stride, (0, 0), extra)  # products landing on each position
    full = len(counts)
    cell, x0 = 52, 220
    s = Svg(760, 380, "output_padding adds positions at the end that no product reaches")
    colours = (BLUE, ORANGE, GREEN)
    for i in range(n):
        y = 40 + 20 * i
        start = i * stride
        s.line(x0 + start * cell + 6, y, x0 + (start + k) * cell - 6, y, stroke=colours[i], width=5)
        s.text(x0 + (start + k) * cell + 6, y, f"x[{i}]·w", size=12, anchor="start", fill=colours[i])
    top = 110
    s.text(x0 - 16, top + cell / 2, "full output", size=14, anchor="end", weight="bold")
    s.grid(x0, top, 1, full, cell, label=lambda r, c: _num(counts[c]) if c < full - extra else "b",
           fill=lambda r, c: _heat(counts[c], 2) if c < full - extra else "#ffffff", size=16)
    s.rect(x0 + (full - extra) * cell + 3, top + 3, extra * cell - 6, cell - 6, stroke=RED, width=2.5,
           dash="5 4")
    s.text(x0 + (full - extra / 2) * cell, top + cell + 16, "output_padding", size=12, fill=RED)
    s.text(x0 + (full - extra) * cell / 2, top + cell + 16, "products landing on each position", size=12,
           fill=MUTED)
    for row, (p0, p1) in enumerate(((0, 0), (1, 1))):
        y = 220 + 64 * row
        out = full - p0 - p1
        s.text(x0 - 16, y + cell / 2, f"padding ({p0}, {p1}): {out}", size=14, anchor="end", weight="bold")
        for c in range(full):
            kept = p0 <= c < full - p1
            s.rect(x0 + c * cell, y, cell, cell, fill="#ffffff" if kept else PAD_FILL, stroke=GRID,
                   dash=None if kept else "4 3")
            s.text(x0 + c * cell + cell / 2, y + cell / 2, "kept" if kept else "crop", size=12,
                   fill=INK if kept else MUTED)
    s.text(380, 360, "with padding (1, 1) the crop at the end takes the unreached position back off",
           size=13, fill=MUTED)
    return s.render()


def transpose_checkerboard(vectors) -> bytes:
    """How many products land on each output position of a 4x4 input at stride 2: kernel 3 vs kernel 4."""
    cell, top = 28, 70
    s = Svg(720, 420, "Products per output position at stride 2: a checkerboard under kernel 3, not kernel 4")
    for x0, k in ((40, 3), (380, 4)):
        counts = _transpose(np.ones((4, 4)), np.ones((k, k)), 2)
        rows, cols = counts.shape
        s.text(x0 + 5 * cell, top - 30, f"kernel {k}×{k}, stride 2 → {rows}×{cols}", size=15, weight="bold")
        s.grid(x0, top, rows, cols, cell, label=lambda r, c, counts=counts: _num(counts[r, c]),
               fill=lambda r, c, counts=counts: _heat(counts[r, c], 5), size=13)
        inner = counts[k - 1:rows - k + 1, k - 1:cols - k + 1]
        levels = ", ".join(_num(v) for v in sorted(set(inner.ravel()), reverse=True))
        s.text(x0 + 5 * cell, top + 10 * cell + 24, f"interior: {levels}", size=14)
    s.text(360, top + 10 * cell + 56, "each element's allowed error uses its own count n (spec/accuracy.md)",
           size=13, fill=MUTED)
    return s.render()


# --- gradients of conv -------------------------------------------------------------------------------

def _row(s: Svg, x0: float, y: float, values, cell: float, *, fill=None, label=None, size=14):
    s.grid(x0, y, 1, len(values), cell, label=label or (lambda r, c: _num(values[c])),
           fill=fill or (lambda r, c: "#ffffff"), size=size)


def grad_input_reach(vectors) -> bytes:
    """Which dy elements reach one dx element: W = 7, F = 3, S = 2, padding (1, 1)."""
    width, taps, stride, (p0, p1) = 7, 3, 2, (1, 1)
    out = (width + p0 + p1 - taps) // stride + 1
    at = 3
    pairs = [(i, m) for i in range(out) for m in range(taps) if i * stride + m - p0 == at]
    # the taps landing on each dx position, from the reference (dy and w all ones)
    counts = conv_grad_input(np.ones((1, 1, out)), np.ones((1, 1, taps)), input_shape=(1, 1, width),
                             stride=(stride,), padding=((p0, p1),), dilation=(1,), groups=1)[0, 0]
    cell, x0 = 52, 170
    s = Svg(760, 330, "Which elements of dy reach one element of dx")
    dy_x0 = x0 + (width * cell - out * cell) / 2
    ys = {"dy": 40, "dx": 200}
    s.text(x0 - 16, ys["dy"] + cell / 2, "dy", size=15, anchor="end", weight="bold")
    reach = {i for i, _ in pairs}
    _row(s, dy_x0, ys["dy"], range(out), cell, size=12, label=lambda r, c: f"dy[{c}]",
         fill=lambda r, c: "#dbeafe" if c in reach else "#ffffff")
    s.text(x0 - 16, ys["dx"] + cell / 2, "dx: taps", size=15, anchor="end", weight="bold")
    _row(s, x0, ys["dx"], counts, cell, fill=lambda r, c: "#fde68a" if c == at else _heat(counts[c], 3))
    for i, m in pairs:
        sx, tx = dy_x0 + (i + 0.5) * cell, x0 + (at + 0.5) * cell
        s.line(sx, ys["dy"] + cell + 4, tx, ys["dx"] - 6, stroke=BLUE, width=2.5, arrow=True)
        s.text((sx + tx) / 2 + (34 if sx > tx else -34), (ys["dy"] + cell + ys["dx"]) / 2,
               f"· w[{m}]", size=13, fill=BLUE, weight="bold")
    terms = " + ".join(f"dy[{i}]·w[{m}]" for i, m in pairs)
    s.text(380, 282, f"dx[{at}] = {terms}: every window that reads x[{at}], times the tap that reads it",
           size=14)
    s.text(380, 306, f"W = {width}, F = {taps}, S = {stride}, padding ({p0}, {p1}); the numbers are n, "
           "the products each dx element sums", size=12, fill=MUTED)
    return s.render()


def grad_weight_pairs(vectors) -> bytes:
    """Which x/dy pairs make one dw element: tap 0 of a 3-tap kernel, padding 1, batch 2."""
    width, taps, tap, pad, batch = 6, 3, 0, 1, 2
    out = width + 2 * pad - taps + 1
    n = conv_grad_weight(np.ones((batch, 1, width)), np.ones((batch, 1, out)), kernel_shape=(taps,),
                         stride=(1,), padding=((pad, pad),), dilation=(1,), groups=1)[0, 0]
    cell, x0 = 46, 190
    s = Svg(760, 420, "Which pairs of x and dy one element of dw sums")
    for item in range(batch):
        top = 34 + 170 * item
        s.text(x0 - 16, top + cell / 2, f"image {item}: x", size=14, anchor="end", weight="bold")
        for c in range(-pad, width + pad):
            real = 0 <= c < width
            s.rect(x0 + (c + pad) * cell, top, cell, cell, fill="#ffffff" if real else PAD_FILL, stroke=GRID,
                   dash=None if real else "4 3")
            s.text(x0 + (c + pad + 0.5) * cell, top + cell / 2, f"x[{c}]" if real else "0", size=12,
                   fill=INK if real else MUTED)
        y = top + 100
        s.text(x0 - 16, y + cell / 2, "dy", size=14, anchor="end", weight="bold")
        _row(s, x0, y, list(range(out)), cell, label=lambda r, c: f"dy[{c}]", size=12)
        for i in range(out):
            j = i + tap - pad  # the input tap 0 reads for output i
            real = 0 <= j < width
            s.line(x0 + (j + pad + 0.5) * cell, top + cell + 3, x0 + (i + 0.5) * cell, y - 3,
                   stroke=ORANGE if real else GRID, width=2 if real else 1.5, dash=None if real else "4 3")
    s.text(380, 372, f"dw[{tap}] = Σ over the batch and every output position i of dy[i] · x[i − {pad}]: "
           f"{batch}·{out} pairs, {int(n[tap])} of them over real input", size=14)
    s.text(380, 396, "the dashed pair multiplies the padding's zero: it adds nothing, whatever the order",
           size=12, fill=MUTED)
    return s.render()


def grad_unread_row(vectors) -> bytes:
    """A 6x6 input under a 3x3 kernel at stride 2: the last row and column are read by no window."""
    size, taps, stride = 6, 3, 2
    out = (size - taps) // stride + 1
    counts = conv_grad_input(np.ones((1, 1, out, out)), np.ones((1, 1, taps, taps)),
                             input_shape=(1, 1, size, size), stride=(stride, stride),
                             padding=((0, 0), (0, 0)), dilation=(1, 1), groups=1)[0, 0]
    cell, x0, top = 44, 60, 60
    s = Svg(760, 380, "Stride 2 with a remainder: the last row and column get a gradient of exactly 0")
    s.text(x0 + 3 * cell, top - 28, f"dx of a {size}×{size} input: products per element", size=15,
           weight="bold")
    s.grid(x0, top, size, size, cell, label=lambda r, c: _num(counts[r, c]),
           fill=lambda r, c: "#fee2e2" if counts[r, c] == 0 else _heat(counts[r, c], 4), size=15)
    s.rect(x0 + 2, top + (size - 1) * cell + 2, size * cell - 4, cell - 4, stroke=RED, width=2.5, dash="6 4")
    s.rect(x0 + (size - 1) * cell + 2, top + 2, cell - 4, size * cell - 4, stroke=RED, width=2.5, dash="6 4")
    for k, (r, c) in enumerate(((0, 0), (0, 1), (1, 0), (1, 1))):
        span = taps * cell - 6
        s.rect(x0 + c * stride * cell + 3 + k, top + r * stride * cell + 3 + k, span, span,
               stroke=(BLUE, ORANGE, GREEN, INK)[k], width=1.5, rx=3)
    tx = x0 + size * cell + 40
    lines = [
        (f"out = ⌊({size} − {taps}) / {stride}⌋ + 1 = {out}", INK, "bold"),
        (f"the {out}×{out} windows cover rows and columns 0–{(out - 1) * stride + taps - 1}", INK, "normal"),
        (f"row {size - 1} and column {size - 1}: no window reads them,", RED, "bold"),
        ("so y does not depend on them and dx = 0 there,", RED, "normal"),
        ("whatever dy and w hold (∞ and NaN included)", RED, "normal"),
        (f"input sizes {size - 1} and {size} both give out = {out}:", MUTED, "normal"),
        ("hence input_shape in the call", MUTED, "normal"),
    ]
    for k, (text, colour, weight) in enumerate(lines):
        s.text(tx, top + 20 + 30 * k, text, size=14, anchor="start", fill=colour, weight=weight)
    return s.render()


FIGURES: dict[str, Callable] = {
    "convolution-window.svg": convolution_window,
    "stride-windows.svg": stride_windows,
    "output-size-grid.svg": output_size_grid,
    "output-size-floor.svg": output_size_floor,
    "padding-ring.svg": padding_ring,
    "same-padding.svg": same_padding,
    "coverage.svg": coverage_maps,
    "receptive-field.svg": receptive_field,
    "dilation.svg": dilation_taps,
    "groups.svg": groups_wiring,
    "transpose-scatter.svg": transpose_scatter,
    "transpose-zero-insertion.svg": transpose_zero_insertion,
    "transpose-output-padding.svg": transpose_output_padding,
    "transpose-checkerboard.svg": transpose_checkerboard,
    "grad-input-reach.svg": grad_input_reach,
    "grad-weight-pairs.svg": grad_weight_pairs,
    "grad-unread.svg": grad_unread_row,
}


def build_figures(vectors) -> dict[str, bytes]:
    """Every figure, keyed by its path under figures/."""
    out = {name: draw(vectors) for name, draw in FIGURES.items()}
    out.update(kernel_photos(vectors))
    return out
