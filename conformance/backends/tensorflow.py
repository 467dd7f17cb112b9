"""TensorFlow: ``tf.nn.convolution`` (``pip install 'convspec[tensorflow]'``, the CPU build).

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

What TensorFlow refuses is declared unsupported, each with its message: int32 vectors (the spec
returns int64, and no TensorFlow convolution takes int64: "Value for attr 'T' of int64 is not in
the list of allowed values: half, bfloat16, float, double, int32"); integer 3-D convolutions
(Conv3D takes "half, bfloat16, float, double" only); grouped 3-D convolutions (Conv3D on the CPU:
"Number of channels in filter (1) must match last dimension of input (2)"); and a stride > 1 on
an axis together with a dilation > 1 (``tf.nn.convolution``: "`strides > 1` not supported in
conjunction with `dilation_rate > 1`").
"""

from __future__ import annotations

import os

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


backend = Backend(
    name="tensorflow", implementation=conv, version=tf.__version__,
    description="tf.nn.convolution, channels-last, tf.pad then VALID",
    dtypes=frozenset({"float64", "float32", "float16", "bfloat16", "int8", "uint8"}),
    ranks=frozenset({1, 2, 3}), groups=True, dilation=True, limits={"conv": conv_limits})
