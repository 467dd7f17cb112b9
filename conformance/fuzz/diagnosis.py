"""Which registered mistake a failing case shows: the `catches` of the vector the fuzzer writes.

Each model computes, with the reference, what an implementation making one mistake of
spec/mistakes.yaml returns for the vector (the kernel flipped, the padding exchanged, the bias
dropped, ...). A mistake is named when its model reproduces the backend's output and the model
itself fails the vector: then an implementation making that mistake fails it too, so the claim
`catches: [mistake]` is true. When no model reproduces the output, the vector names the mistake
'found-by-fuzzing' if the registry has it, else the model nearest the output among those that
fail the vector (still a true claim; for a backend that raised, output-size-off-by-one, which
every valid vector catches), and its title says so.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from convspec import reference, spec

from ..dtypes import finfo, is_float
from ..judge import judge
from ..vector import Vector

FALLBACK = "found-by-fuzzing"
ALWAYS_CAUGHT = "output-size-off-by-one"


@dataclass(frozen=True)
class Args:
    """A call in the backend protocol's terms."""

    x: np.ndarray
    w: np.ndarray
    b: np.ndarray | None
    stride: tuple[int, ...]
    padding: tuple[tuple[int, int], ...]
    dilation: tuple[int, ...]
    groups: int

    def ref(self, **change) -> np.ndarray:
        """The reference's exact result (float64, int64 for integers) with some arguments changed."""
        a = {"x": self.x, "w": self.w, "b": self.b, "stride": self.stride, "padding": self.padding,
             "dilation": self.dilation, "groups": self.groups, **change}
        return reference.conv(a.pop("x"), a.pop("w"), a.pop("b"), **a)

    @property
    def rank(self) -> int:
        return self.x.ndim - 2


def _spatial(a: np.ndarray) -> tuple[int, ...]:
    return tuple(range(2, a.ndim))


def _pad_or_crop(x: np.ndarray, pairs) -> np.ndarray:
    x = np.pad(x, [(0, 0), (0, 0), *[(max(p0, 0), max(p1, 0)) for p0, p1 in pairs]])
    crop = []
    for axis, (p0, p1) in enumerate(pairs):
        stop = max(x.shape[2 + axis] - max(-p1, 0), 0)
        crop.append(slice(min(max(-p0, 0), stop), stop))
    return x[(slice(None), slice(None), *crop)]


def _window_offset(a: Args) -> np.ndarray:
    shifted = [(p0 + (a.w.shape[2 + i] // 2) * a.dilation[i], p1 - (a.w.shape[2 + i] // 2) * a.dilation[i])
               for i, (p0, p1) in enumerate(a.padding)]
    return a.ref(x=_pad_or_crop(a.x, shifted), padding=((0, 0),) * a.rank)


def _ceil(a: Args) -> np.ndarray:
    pairs = []
    for i, (p0, p1) in enumerate(a.padding):
        span = a.dilation[i] * (a.w.shape[2 + i] - 1) + 1
        rest = (a.x.shape[2 + i] + p0 + p1 - span) % a.stride[i]
        pairs.append((p0, p1 + (a.stride[i] - rest if rest else 0)))
    return a.ref(padding=tuple(pairs))


def _dilation_on_input(a: Args) -> np.ndarray:
    spatial = [(n - 1) * d + 1 for n, d in zip(a.x.shape[2:], a.dilation, strict=True)]
    dilated = np.zeros((*a.x.shape[:2], *spatial), dtype=a.x.dtype)
    dilated[(slice(None), slice(None), *(slice(None, None, d) for d in a.dilation))] = a.x
    return a.ref(x=dilated, dilation=(1,) * a.rank)


def _groups_interleaved(a: Args) -> np.ndarray:
    per_group_in, outputs = a.w.shape[1], a.w.shape[0]
    parts = []
    for o in range(outputs):
        group = o % a.groups
        b = None if a.b is None else a.b[o:o + 1]
        parts.append(a.ref(x=a.x[:, group * per_group_in:(group + 1) * per_group_in], w=a.w[o:o + 1], b=b,
                           groups=1))
    return np.concatenate(parts, axis=1)


def _tap_loop(a: Args, acc: np.dtype, skip_zero_weights: bool = False) -> np.ndarray:
    """One product at a time, in ``acc``, in the order (output, channel, tap): as a direct loop."""
    xp = np.pad(a.x, [(0, 0), (0, 0), *a.padding]).astype(acc)
    wa = a.w.astype(acc)
    kernel = a.w.shape[2:]
    out = [(xp.shape[2 + i] - a.dilation[i] * (kernel[i] - 1) - 1) // a.stride[i] + 1 for i in range(a.rank)]
    result = np.zeros((a.x.shape[0], a.w.shape[0], *out), dtype=acc)
    per_group, cg = a.w.shape[0] // a.groups, a.w.shape[1]
    with np.errstate(invalid="ignore", over="ignore"):
        for o, c in itertools.product(range(a.w.shape[0]), range(cg)):
            first = (o // per_group) * cg
            for tap in itertools.product(*map(range, kernel)):
                weight = wa[(o, c, *tap)]
                if skip_zero_weights and weight == 0:
                    continue
                window = tuple(slice(t * d, t * d + (n - 1) * s + 1, s)
                               for t, d, n, s in zip(tap, a.dilation, out, a.stride, strict=True))
                result[:, o] = result[:, o] + xp[(slice(None), first + c, *window)] * weight
        if a.b is not None:
            result = result + a.b.astype(acc).reshape((1, -1) + (1,) * a.rank)
    return result


def _round_to_tf32(v: np.ndarray) -> np.ndarray:
    bits = v.astype(np.float32).view(np.uint32).astype(np.uint64)
    rounded = ((bits + 0xFFF + ((bits >> 13) & 1)) & 0xFFFFE000).astype(np.uint32).view(np.float32)
    return np.where(np.isfinite(v), rounded, v).astype(np.float32)


def _flush(v: np.ndarray) -> np.ndarray:
    if not is_float(v.dtype):
        return v
    tiny = float(finfo(v.dtype).smallest_normal)
    return np.where(np.abs(v.astype(np.float64)) < tiny, 0, v).astype(v.dtype)


def _wrap(a: Args) -> np.ndarray:
    if is_float(a.x.dtype):
        raise ValueError("integers only")
    narrow = np.int16 if a.x.dtype.itemsize == 1 else np.int32
    out = a.ref(b=None).astype(narrow).astype(np.int64)
    return out if a.b is None else out + a.b.astype(np.int64).reshape((1, -1) + (1,) * a.rank)


def _clamped(a: Args, dtype: np.dtype) -> np.ndarray:
    out = a.ref()
    with np.errstate(over="ignore"):
        rounded = out.astype(dtype).astype(np.float64)
    largest = float(finfo(dtype).max)
    return np.where(np.isinf(rounded) & np.isfinite(out), np.sign(out) * largest, rounded)


def _only(condition: bool, model: Callable[[], np.ndarray]) -> np.ndarray:
    if not condition:
        raise ValueError("the mistake cannot show on this call")
    return model()


# Mistake id -> what an implementation making it returns (before rounding to the output dtype).
MODELS: dict[str, Callable[[Args, np.dtype], np.ndarray]] = {
    "kernel-flip": lambda a, t: a.ref(w=np.flip(a.w, axis=_spatial(a.w)).copy()),
    "kernel-transposed": lambda a, t: _only(a.rank >= 2, lambda: a.ref(w=np.swapaxes(a.w, -1, -2).copy())),
    "axes-swapped": lambda a, t: _only(a.rank >= 2, lambda: a.ref(
        x=np.transpose(a.x, (0, 1, *reversed(_spatial(a.x)))).copy())),
    "window-offset": lambda a, t: _window_offset(a),
    "channels-not-summed": lambda a, t: a.ref(x=a.x[:, ::a.w.shape[1]], w=a.w[:, :1]),
    "padding-ignored": lambda a, t: a.ref(padding=((0, 0),) * a.rank),
    "padding-one-side-only": lambda a, t: a.ref(padding=tuple((p0 + p1, 0) for p0, p1 in a.padding)),
    "padding-wrong-side": lambda a, t: a.ref(padding=tuple((p1, p0) for p0, p1 in a.padding)),
    "padding-axes-reversed": lambda a, t: a.ref(padding=tuple(reversed(a.padding))),
    "padding-nonzero": lambda a, t: a.ref(x=np.pad(a.x, [(0, 0), (0, 0), *a.padding], mode="edge"),
                                          padding=((0, 0),) * a.rank),
    "stride-ignored": lambda a, t: a.ref(stride=(1,) * a.rank),
    "stride-axes-reversed": lambda a, t: a.ref(stride=tuple(reversed(a.stride))),
    "ceil-instead-of-floor": lambda a, t: _ceil(a),
    "output-size-off-by-one": lambda a, t: a.ref()[(slice(None), slice(None),
                                                    *(slice(0, n - 1) for n in a.ref().shape[2:]))],
    "dilation-ignored": lambda a, t: a.ref(dilation=(1,) * a.rank),
    "dilation-off-by-one": lambda a, t: a.ref(dilation=tuple(d + 1 for d in a.dilation)),
    "dilation-on-input": lambda a, t: _dilation_on_input(a),
    "dilation-axes-reversed": lambda a, t: a.ref(dilation=tuple(reversed(a.dilation))),
    "groups-interleaved": lambda a, t: _groups_interleaved(a),
    "groups-dense": lambda a, t: a.ref(w=np.tile(a.w, (1, a.groups) + (1,) * a.rank), groups=1),
    "bias-dropped": lambda a, t: _only(a.b is not None, lambda: a.ref(b=None)),
    "bias-after-rounding": lambda a, t: _only(is_float(t) and t.itemsize == 2 and a.b is not None, lambda: (
        a.ref(b=None).astype(t).astype(np.float64)
        + a.b.astype(np.float64).reshape((1, -1) + (1,) * a.rank))),
    "bias-per-tap": lambda a, t: _only(a.b is not None, lambda: a.ref(b=None) + math.prod(a.w.shape[2:])
                                       * a.b.astype(np.float64).reshape((1, -1) + (1,) * a.rank)),
    "batch-first-only": lambda a, t: np.repeat(a.ref(x=a.x[:1]), a.x.shape[0], axis=0),
    "batch-channel-mixed": lambda a, t: a.ref(x=np.swapaxes(a.x.reshape(a.x.shape[1], a.x.shape[0],
                                                                        *a.x.shape[2:]), 0, 1).copy()),
    "layout-channels-last": lambda a, t: a.ref(x=np.moveaxis(a.x.reshape(a.x.shape[0], *a.x.shape[2:],
                                                                         a.x.shape[1]), -1, 1).copy()),
    "weight-io-swapped": lambda a, t: a.ref(w=np.swapaxes(a.w.reshape(a.w.shape[1], a.w.shape[0],
                                                                      *a.w.shape[2:]), 0, 1).copy()),
    "uint8-as-int8": lambda a, t: _only(a.x.dtype == np.uint8, lambda: a.ref(x=a.x.view(np.int8),
                                                                            w=a.w.view(np.int8))),
    "int-accumulate-narrow": lambda a, t: _wrap(a),
    "subnormals-flushed": lambda a, t: _flush(a.ref(x=_flush(a.x), w=_flush(a.w),
                                                    b=None if a.b is None else _flush(a.b)).astype(t)),
    "overflow-clamped": lambda a, t: _only(is_float(t), lambda: _clamped(a, t)),
    "accumulate-float32-for-float64": lambda a, t: _only(
        a.x.dtype == np.float64, lambda: a.ref(x=a.x.astype(np.float32), w=a.w.astype(np.float32),
                                               b=None if a.b is None else a.b.astype(np.float32))),
    "tf32-inputs": lambda a, t: _only(a.x.dtype == np.float32, lambda: a.ref(
        x=_round_to_tf32(a.x), w=_round_to_tf32(a.w))),
    "zero-weights-skipped": lambda a, t: _only(is_float(t), lambda: _tap_loop(a, np.dtype(np.float64), True)),
    "accumulate-half": lambda a, t: _only(is_float(t) and t.itemsize == 2, lambda: _tap_loop(a, t)),
}
# The one model whose output keeps float64 instead of the vector's dtype.
PROMOTED = "dtype-promoted"


@dataclass(frozen=True)
class Diagnosis:
    catches: tuple[str, ...]
    exact: bool  # the models of ``catches`` reproduce the backend's output
    summary: str  # what the title says about it


def _as_output(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        return np.asarray(values).astype(dtype)


def _same(got: np.ndarray, model: np.ndarray) -> bool:
    if got.shape != model.shape:
        return False
    if not is_float(got.dtype) and not is_float(model.dtype):
        return bool(np.array_equal(got.astype(np.int64), model.astype(np.int64)))
    g, m = got.astype(np.float64), model.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        close = (g == m) | (np.isnan(g) & np.isnan(m)) | (np.abs(g - m) <= 2.0**-7 * np.abs(m))
    return bool(close.all())


def _distance(got: np.ndarray | None, model: np.ndarray) -> float:
    if got is None or got.shape != model.shape:
        return math.inf
    g, m = got.astype(np.float64), model.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        differ = ~((g == m) | (np.isnan(g) & np.isnan(m)))
    return float(differ.mean()) if differ.size else 0.0


def diagnose(vector: Vector, got: object | None) -> Diagnosis:
    """The mistakes ``got`` (the backend's output, None if it raised) shows on ``vector``."""
    if vector.expected_error is not None:
        return Diagnosis(("accepts-invalid",), True, "accepts an invalid call")
    arrays = vector.arrays()
    a = vector.call.attributes
    args = Args(arrays["x"], arrays["w"], arrays.get("b"), a.stride, a.padding, a.dilation, a.groups)
    dtype = vector.output_dtype()
    expect = vector.expectation(arrays)
    bounds = expect.bounds(dtype)
    got_array = None
    if got is not None:
        try:
            got_array = np.asarray(got)
            if got_array.dtype == object:
                got_array = None
        except Exception:  # whatever the backend returned, it is no array
            got_array = None

    outputs: dict[str, np.ndarray] = {}
    for mistake, model in MODELS.items():
        try:
            outputs[mistake] = _as_output(model(args, dtype), dtype)
        except (ValueError, IndexError):  # not applicable, or an invalid call for this mistake
            continue
    if is_float(dtype) and dtype != np.float64:
        outputs[PROMOTED] = expect.values.astype(np.float64)
    known = spec.mistakes()
    failing = {m: out for m, out in outputs.items() if m in known and
               not judge(out, expect.values, bounds, dtype).passed}
    if got_array is not None:
        matches = tuple(m for m, out in failing.items() if _same(got_array, out)
                        and (m != PROMOTED or got_array.dtype == np.float64))
        if matches:
            return Diagnosis(matches, True, f"as if it made the mistake {', '.join(matches)}")
    if FALLBACK in known:
        return Diagnosis((FALLBACK,), False, "no registered mistake reproduces the output")
    if got_array is None or not failing:
        # raising on a valid call (or returning no array) is no registered mistake; every valid
        # vector catches output-size-off-by-one (its output is smaller), so the claim holds
        return Diagnosis((ALWAYS_CAUGHT,), False, "no registered mistake is about this; catches names "
                         f"one the vector catches too: {ALWAYS_CAUGHT}")
    nearest = min(failing, key=lambda m: _distance(got_array, failing[m]))
    return Diagnosis((nearest,), False, f"no registered mistake reproduces the output; nearest: {nearest}")
