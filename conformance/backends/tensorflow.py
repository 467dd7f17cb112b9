"""TensorFlow: ``tf.nn.convolution`` and ``tf.nn.conv_transpose`` (``pip install 'convspec[tensorflow]'``,
the CPU build).

The adapter translates the canonical call and nothing more:

- Layout: TensorFlow's default is channels-last. ``x`` goes from (N, C, *spatial) to
  (N, *spatial, C), ``w`` from (O, C/groups, *kernel) to (*kernel, C/groups, O), and the result
  comes back from (N, *out, O) to (N, O, *out).
- Padding: ``tf.nn.convolution`` takes only "VALID" or "SAME", so the (before, after) pairs are
  applied by ``tf.pad`` and the convolution runs "VALID".
- Groups: TensorFlow has no ``groups`` argument; it infers them from the shapes, as
  C / (the filter's input channels). A call whose ``groups`` differs from the number TensorFlow
  would infer has no TensorFlow spelling, and the adapter raises instead of silently running
  another grouping (shapes that give no whole number are left for TensorFlow to refuse).
- Bias: added by ``tf.nn.bias_add`` (per output channel) after the convolution, in its dtype.
- dtypes: float64, float32, float16 and bfloat16 in their own dtype. TensorFlow's convolutions
  return their input dtype, so integer inputs are widened to the spec's output type: int8 and uint8
  to int32, which Conv2D has on the CPU, int32 to int64, which it has not.

conv_transpose goes through ``tf.nn.conv_transpose``, channels-last as above, ``w`` from
(C_in, C_out/groups, *kernel) to (*kernel, C_out/groups, C_in); groups follow from ``output_shape``'s
channels, C_out = w.shape[1] * groups. Its padding is "SAME" or "VALID" only, so it runs "VALID"
with ``output_shape`` the full output ((in - 1)*s + d*(k - 1) + 1 + output_padding: TensorFlow
accepts any length whose forward VALID convolution gives back ``in``) and the (before, after) pairs
are cropped by ``tf.slice``. A crop TensorFlow has no spelling for (negative, or taking the whole
output), or a groups < 1 (which would ask for an output of no channels), is refused by the
adapter, as an impossible groups is for conv. Declared unsupported, as
measured with TensorFlow's default oneDNN kernels on x86: int32 vectors and integer 3-D ones (as
for conv); grouped 3-D ones (Conv3DBackpropInputV2: "input and filter must have the same depth: 2
vs 1"); for float64 and int8/uint8 (run in int32), which oneDNN does not take, dilation > 1
("Current CPU implementations do not yet support dilation rates larger than 1") and groups > 1
("Gradients for grouped convolutions are not supported on CPU"); for the other floats an
output_padding >= the stride on an axis (valid while below the dilation; oneDNN: "could not create
a primitive descriptor for the convolution"), which float64 reaches only dilated, refused already.

conv's gradients, as a user gets them: ``tf.GradientTape`` over the conv adapter's convolution
(channels-last, ``tf.pad``, VALID; ``data_format`` spelled out, without which a 3-D convolution's
gradient fails in TensorFlow 2.21), ``output_gradients`` = dy moved to channels-last: with respect to
an x of ``input_shape`` (zeros: dx does not depend on x) for dx, a filter of (*kernel_shape,
C/groups, O) for dw, and for db the b of ``tf.nn.bias_add`` after a 1x1 convolution. Declared
unsupported for dx and dw, as measured: stride > 1 with dilation > 1 and grouped 3-D, as for conv,
and grouped float64 (Conv2DBackpropInput: "Gradients for grouped convolutions are not supported on
CPU"; TensorFlow's Conv2D gradient computes dx and dw together, so dw meets it too).

What TensorFlow refuses for conv is declared unsupported, each with its message: int32 vectors (the spec
returns int64, and no TensorFlow convolution takes int64: "Value for attr 'T' of int64 is not in
the list of allowed values: half, bfloat16, float, double, int32"); integer 3-D convolutions
(Conv3D takes "half, bfloat16, float, double" only); grouped 3-D convolutions (Conv3D on the CPU:
"Number of channels in filter (1) must match last dimension of input (2)"); and a stride > 1 on
an axis together with a dilation > 1 (``tf.nn.convolution``: "`strides > 1` not supported in
conjunction with `dilation_rate > 1`").
"""

from __future__ import annotations

import os
from types import SimpleNamespace

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up banners on stderr

import numpy as np
import tensorflow as tf

from . import Backend

# Integer inputs convolve in the spec's output type for them (TensorFlow has no int64 convolution).
WIDEN = {np.dtype(np.int8): tf.int32, np.dtype(np.uint8): tf.int32, np.dtype(np.int32): tf.int64}


def conv(x, w, b=None, *, stride, padding, dilation, groups):
    """Convolution by the backend protocol, through channels-last ``tf.nn.convolution``."""
    x, w = np.asarray(x), np.asarray(w)
    inferred = x.shape[1] // w.shape[1] if x.ndim > 1 and w.ndim > 1 and w.shape[1] else None
    if inferred is not None and x.shape[1] % w.shape[1] == 0 and inferred != groups:
        raise ValueError(f"TensorFlow infers groups from the shapes: input channels {x.shape[1]} / "
                         f"filter channels {w.shape[1]} cannot express groups={groups}")
    xt = tf.constant(np.moveaxis(x, 1, -1))  # (N, *spatial, C)
    wt = tf.constant(np.moveaxis(w, (0, 1), (-1, -2)))  # (*kernel, C/groups, O)
    if x.dtype in WIDEN:
        xt, wt = tf.cast(xt, WIDEN[x.dtype]), tf.cast(wt, WIDEN[x.dtype])
    xt = tf.pad(xt, [[0, 0], *[[int(p0), int(p1)] for p0, p1 in padding], [0, 0]])
    out = tf.nn.convolution(xt, wt, strides=[int(s) for s in stride], padding="VALID",
                            dilations=[int(d) for d in dilation])
    if b is not None:
        out = tf.nn.bias_add(out, tf.constant(np.asarray(b)))
    return np.moveaxis(out.numpy(), -1, 1)


def conv_limits(call) -> str | None:
    """What TensorFlow refuses that the Backend flags cannot say (pad vectors arrive here as the
    depthwise conv they run as)."""
    a = call.attributes
    if call.rank == 3 and a.groups != 1:
        return ("grouped 3-D convolution: TensorFlow's Conv3D on the CPU requires the filter's input "
                "channels to equal the input's")
    if call.rank == 3 and call.dtype in ("int8", "uint8"):
        return "integer 3-D convolution: TensorFlow's Conv3D takes half, bfloat16, float and double only"
    if any(s > 1 for s in a.stride) and any(d > 1 for d in a.dilation):
        return "stride > 1 with dilation > 1: tf.nn.convolution refuses the combination"
    return None


def conv_transpose(x, w, b=None, *, stride, padding, output_padding, dilation, groups):
    """Transposed convolution by the backend protocol: channels-last ``tf.nn.conv_transpose``,
    "VALID" on the full output, then the padding cropped."""
    x, w = np.asarray(x), np.asarray(w)
    full = [(n - 1) * int(s) + int(d) * (k - 1) + 1 + int(e) for n, k, s, d, e in
            zip(x.shape[2:], w.shape[2:], stride, dilation, output_padding, strict=False)]
    crops = [(int(p0), int(p1)) for p0, p1 in padding]
    if any(p0 < 0 or p1 < 0 or p0 + p1 >= n for (p0, p1), n in zip(crops, full, strict=False)):
        raise ValueError(f"padding {crops} of a full output {full}: no crop TensorFlow can spell")
    if int(groups) < 1:  # groups is output_shape's channels / the filter's: never below 1 in TF
        raise ValueError(f"TensorFlow infers groups from output_shape: groups={groups} has no spelling")
    xt = tf.constant(np.moveaxis(x, 1, -1))  # (N, *in, C_in)
    wt = tf.constant(np.moveaxis(w, (0, 1), (-1, -2)))  # (*kernel, C_out/groups, C_in)
    if x.dtype in WIDEN:
        xt, wt = tf.cast(xt, WIDEN[x.dtype]), tf.cast(wt, WIDEN[x.dtype])
    shape = [x.shape[0], *full, w.shape[1] * int(groups)]
    out = tf.nn.conv_transpose(xt, wt, output_shape=shape, strides=[int(s) for s in stride],
                               padding="VALID", dilations=[int(d) for d in dilation])
    out = tf.slice(out, [0, *(p0 for p0, _ in crops), 0],
                   [-1, *(n - p0 - p1 for (p0, p1), n in zip(crops, full, strict=False)), -1])
    if b is not None:
        out = tf.nn.bias_add(out, tf.constant(np.asarray(b)))
    return np.moveaxis(out.numpy(), -1, 1)


def conv_transpose_limits(call) -> str | None:
    """What TensorFlow's conv_transpose refuses that the Backend flags cannot say."""
    a = call.attributes
    if call.rank == 3 and a.groups != 1:
        return ("grouped 3-D conv_transpose: TensorFlow's Conv3DBackpropInputV2 requires the filter's "
                "input channels to equal the input's")
    if call.rank == 3 and call.dtype in ("int8", "uint8"):
        return ("integer 3-D conv_transpose: TensorFlow's Conv3DBackpropInputV2 takes half, bfloat16, "
                "float and double only")
    if call.dtype in ("float64", "int8", "uint8"):  # TensorFlow's own kernels, not oneDNN's
        if any(d > 1 for d in a.dilation):
            return (f"dilated {call.dtype} conv_transpose: TensorFlow's CPU Conv2DBackpropInput / "
                    "Conv3DBackpropInputV2 do not support dilation rates larger than 1")
        if a.groups != 1:
            return (f"grouped {call.dtype} conv_transpose: \"Gradients for grouped convolutions are not "
                    "supported on CPU\"")
    # only where the spec allows it (below the dilation): a larger one is invalid, for TF to reject
    if any(1 <= s <= e < d for e, s, d in zip(a.output_padding, a.stride, a.dilation, strict=False)):
        return (f"output_padding {list(a.output_padding)} >= stride {list(a.stride)} on an axis: "
                "oneDNN's conv_transpose \"could not create a primitive descriptor\" for it")
    return None


# tf.nn.convolution's default layout, spelled out: left unset, a 3-D Conv3D op records no
# data_format and its gradient fails ("'NoneType' object has no attribute 'decode'", TF 2.21).
DATA_FORMATS = {1: "NWC", 2: "NHWC", 3: "NDHWC"}


def _forward(xt: tf.Tensor, wt: tf.Tensor, stride, padding, dilation) -> tf.Tensor:
    """The conv adapter's convolution on channels-last tensors: tf.pad, then VALID."""
    xt = tf.pad(xt, [[0, 0], *[[int(p0), int(p1)] for p0, p1 in padding], [0, 0]])
    return tf.nn.convolution(xt, wt, strides=[int(s) for s in stride], padding="VALID",
                             dilations=[int(d) for d in dilation],
                             data_format=DATA_FORMATS.get(len(xt.shape) - 2))


def _check_groups(channels: int, per_group: int, groups: int) -> None:
    """ValueError for a groups TensorFlow, which infers it from the shapes, would run as another."""
    if per_group and channels % per_group == 0 and channels // per_group != groups:
        raise ValueError(f"TensorFlow infers groups from the shapes: input channels {channels} / "
                         f"filter channels {per_group} cannot express groups={groups}")


def conv_grad_input(dy, w, *, input_shape, stride, padding, dilation, groups):
    """dx by tf.GradientTape over the conv adapter's convolution, channels-last inside."""
    dy, w = np.asarray(dy), np.asarray(w)
    shape = [int(n) for n in input_shape]
    if len(shape) > 1 and w.ndim > 1:
        _check_groups(shape[1], w.shape[1], groups)
    wt = tf.constant(np.moveaxis(w, (0, 1), (-1, -2)))  # (*kernel, C/groups, O)
    # dx does not depend on x's values: zeros, as good as any; (N, *in, C)
    xt = tf.zeros([shape[0], *shape[2:], shape[1]] if len(shape) > 1 else shape, dtype=wt.dtype)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = _forward(xt, wt, stride, padding, dilation)
    dx = tape.gradient(y, xt, output_gradients=tf.constant(np.moveaxis(dy, 1, -1)))
    return np.moveaxis(dx.numpy(), -1, 1)


def conv_grad_weight(x, dy, *, kernel_shape, stride, padding, dilation, groups):
    """dw by tf.GradientTape over the conv adapter's convolution, channels-last inside."""
    x, dy = np.asarray(x), np.asarray(dy)
    if int(groups) < 1 or x.shape[1] % int(groups):
        raise ValueError(f"TensorFlow infers groups from the shapes: {x.shape[1]} input channels have no "
                         f"filter that spells groups={groups}")
    xt = tf.constant(np.moveaxis(x, 1, -1))  # (N, *in, C)
    # w as TensorFlow lays it out, (*kernel, C/groups, O): groups follow from the shapes
    wt = tf.zeros([*(int(k) for k in kernel_shape), x.shape[1] // int(groups), dy.shape[1]], dtype=xt.dtype)
    with tf.GradientTape() as tape:
        tape.watch(wt)
        y = _forward(xt, wt, stride, padding, dilation)
    dw = tape.gradient(y, wt, output_gradients=tf.constant(np.moveaxis(dy, 1, -1)))
    return np.moveaxis(dw.numpy(), (-1, -2), (0, 1))


def conv_grad_bias(dy):
    """db by tf.GradientTape over a 1x1 convolution plus tf.nn.bias_add, as the conv adapter adds b."""
    dy = np.asarray(dy)
    if not 3 <= dy.ndim <= 5:
        raise ValueError(f"TensorFlow has 1-D to 3-D convolutions; got a dy of {dy.ndim} dims")
    dyt = tf.constant(np.moveaxis(dy, 1, -1))  # (N, *out, O)
    rank = dy.ndim - 2
    xt = tf.zeros([*dyt.shape[:-1], 1], dtype=dyt.dtype)
    wt = tf.zeros([*(1,) * rank, 1, dy.shape[1]], dtype=dyt.dtype)
    b = tf.zeros([dy.shape[1]], dtype=dyt.dtype)
    with tf.GradientTape() as tape:
        tape.watch(b)
        y = tf.nn.bias_add(_forward(xt, wt, (1,) * rank, ((0, 0),) * rank, (1,) * rank), b)
    return tape.gradient(y, b, output_gradients=dyt).numpy()


def grad_limits(call) -> str | None:
    """What TensorFlow refuses when differentiating its convolution (dx and dw alike: the
    gradient of Conv2D/Conv3D computes both)."""
    a = call.attributes
    if call.rank == 3 and a.groups != 1:
        return ("grouped 3-D convolution: TensorFlow's Conv3D on the CPU requires the filter's input "
                "channels to equal the input's, so there is nothing to differentiate")
    if any(s > 1 for s in a.stride) and any(d > 1 for d in a.dilation):
        return "stride > 1 with dilation > 1: tf.nn.convolution refuses the combination"
    if call.dtype == "float64" and a.groups != 1:
        return ("grouped float64 gradient: TensorFlow's CPU Conv2DBackpropInput raises \"Gradients for "
                "grouped convolutions are not supported on CPU\"")
    return None


backend = Backend(
    name="tensorflow", implementation=SimpleNamespace(
        conv=conv, conv_transpose=conv_transpose, conv_grad_input=conv_grad_input,
        conv_grad_weight=conv_grad_weight, conv_grad_bias=conv_grad_bias),
    version=tf.__version__,
    description="tf.nn.convolution, channels-last, tf.pad then VALID; tf.nn.conv_transpose VALID, "
                "then cropped",
    dtypes=frozenset({"float64", "float32", "float16", "bfloat16", "int8", "uint8"}),
    ranks=frozenset({1, 2, 3}), groups=True, dilation=True,
    limits={"conv": conv_limits, "conv_transpose": conv_transpose_limits,
            "conv_grad_input": grad_limits, "conv_grad_weight": grad_limits})
