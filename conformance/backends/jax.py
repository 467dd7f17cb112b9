"""JAX: ``jax.lax.conv_general_dilated``, for conv and conv_transpose (``pip install 'convspec[jax]'``).

The adapter translates the canonical call and nothing more:

- Layout: dimension numbers ("NCH", "OIH", "NCH") in 1-D, ("NCHW", "OIHW", "NCHW") in 2-D and
  ("NCDHW", "OIDHW", "NCDHW") in 3-D: the spec's channels-first layout, so nothing is transposed.
- Attributes: ``window_strides`` = stride, ``padding`` = the (low, high) pairs as given,
  ``rhs_dilation`` = dilation (the kernel's; ``lhs_dilation`` is the transposed convolution's
  input dilation and stays 1), ``feature_group_count`` = groups.
- Bias: ``lax.conv_general_dilated`` has none; it is added to the result, ``conv + b`` in the
  result's dtype, as Flax's ``nn.Conv`` does, ``b`` broadcast along the channel axis by
  ``lax.broadcast_in_dim``.
- dtypes: float64 (importing this module enables ``jax_enable_x64``, JAX's switch for 64-bit
  types, for the whole process), float32, float16 and bfloat16 in their own dtype with JAX's default
  precision. Integer vectors ask for the spec's output type with ``preferred_element_type``:
  int8 and uint8 accumulate into int32, int32 into int64.
- conv_transpose: ``lax.conv_general_dilated`` as ``lax.conv_transpose`` calls it (which has no
  groups): the input dilated by the stride (``lhs_dilation``), the kernel flipped on every spatial
  axis and regrouped from the spec's (C_in, C_out/groups, *k) to (C_out, C_in/groups, *k), and the
  padding (d*(k - 1) - p0, d*(k - 1) - p1 + output_padding) per axis: the full output is
  d*(k - 1) on each side of the dilated input, the output_padding appended at the end, and a
  negative amount crops, as XLA's padding does. Bias and dtypes as for conv.
- conv's gradients, as a user gets them: ``jax.vjp`` of ``lax.conv_general_dilated`` called as for
  conv, pulled back from dy: with respect to an x of ``input_shape`` (zeros: dx does not depend on
  x) for dx, a w of (O, C/groups, *kernel_shape) for dw, and for db with respect to the b a 1x1
  convolution adds as conv adds it (``lax.broadcast_in_dim``). float64 needs the x64 switch above.
- Device: ``backend`` runs on the CPU; ``make_backend("gpu")`` on a GPU when JAX has one (on the
  command line: ``--backend convspec.conformance.backends.jax:gpu``).
"""

from __future__ import annotations

from types import SimpleNamespace

import jax

jax.config.update("jax_enable_x64", True)  # float64 would silently become float32 without it

import jax.numpy as jnp  # noqa: E402  (after the x64 switch, which must come first)
import jaxlib  # noqa: E402
import numpy as np  # noqa: E402
from jax import lax  # noqa: E402

from . import Backend, BackendNotFound  # noqa: E402

LAYOUTS = {1: ("NCH", "OIH", "NCH"), 2: ("NCHW", "OIHW", "NCHW"), 3: ("NCDHW", "OIDHW", "NCDHW")}
# Integer inputs accumulate into the spec's output type.
PREFERRED = {np.dtype(np.int8): jnp.int32, np.dtype(np.uint8): jnp.int32, np.dtype(np.int32): jnp.int64}


def make_backend(device: str = "cpu") -> Backend:
    """The JAX backend on the first device of platform ``device`` ("cpu", "gpu", "tpu")."""
    try:
        dev = jax.devices(device)[0]
    except RuntimeError as exc:
        raise BackendNotFound(f"jax {jax.__version__} has no {device} device: {exc}") from None

    def conv(x, w, b=None, *, stride, padding, dilation, groups):
        x, w = np.asarray(x), np.asarray(w)
        rank = x.ndim - 2
        if rank not in LAYOUTS:
            raise ValueError(f"no dimension numbers for an input of {x.ndim} dims")
        out = lax.conv_general_dilated(
            jax.device_put(x, dev), jax.device_put(w, dev),
            window_strides=tuple(int(s) for s in stride),
            padding=[(int(lo), int(hi)) for lo, hi in padding],
            rhs_dilation=tuple(int(d) for d in dilation),
            dimension_numbers=LAYOUTS[rank], feature_group_count=int(groups),
            preferred_element_type=PREFERRED.get(x.dtype))
        if b is not None:  # b along the channel axis (JAX itself refuses a b not of shape (O,))
            out = out + lax.broadcast_in_dim(jax.device_put(np.asarray(b), dev), out.shape, (1,))
        return np.asarray(out)

    def conv_transpose(x, w, b=None, *, stride, padding, output_padding, dilation, groups):
        x, w = np.asarray(x), np.asarray(w)
        rank = x.ndim - 2
        if rank not in LAYOUTS or w.ndim != x.ndim:
            raise ValueError(f"no dimension numbers for inputs of {x.ndim} and {w.ndim} dims")
        groups, kernel = int(groups), w.shape[2:]
        # (C_in, C_out/g, *k) -> (g, C_in/g, C_out/g, *k) -> (C_out, C_in/g, *k), flipped spatially
        # (a C_in that groups does not divide is left for JAX to refuse, through the same shapes)
        wj = jax.device_put(w, dev)
        if groups >= 1 and w.shape[0] % groups == 0:
            wj = wj.reshape(groups, w.shape[0] // groups, *w.shape[1:]).swapaxes(1, 2)
            wj = wj.reshape(groups * w.shape[1], w.shape[0] // groups, *kernel)
        wj = lax.rev(wj, tuple(range(2, w.ndim)))
        pads = [(int(d) * (k - 1) - int(p0), int(d) * (k - 1) - int(p1) + int(e))
                for k, d, (p0, p1), e in zip(kernel, dilation, padding, output_padding, strict=False)]
        out = lax.conv_general_dilated(
            jax.device_put(x, dev), wj, window_strides=(1,) * rank, padding=pads,
            lhs_dilation=tuple(int(s) for s in stride), rhs_dilation=tuple(int(d) for d in dilation),
            dimension_numbers=LAYOUTS[rank], feature_group_count=groups,
            preferred_element_type=PREFERRED.get(x.dtype))
        if b is not None:
            out = out + lax.broadcast_in_dim(jax.device_put(np.asarray(b), dev), out.shape, (1,))
        return np.asarray(out)

    def conv_forward(x, w, stride, padding, dilation, groups):
        """lax.conv_general_dilated as the conv adapter calls it (floats: no preferred type)."""
        if x.ndim - 2 not in LAYOUTS:
            raise ValueError(f"no dimension numbers for an input of {x.ndim} dims")
        return lax.conv_general_dilated(
            x, w, window_strides=tuple(int(s) for s in stride),
            padding=[(int(lo), int(hi)) for lo, hi in padding],
            rhs_dilation=tuple(int(d) for d in dilation), dimension_numbers=LAYOUTS[x.ndim - 2],
            feature_group_count=int(groups))

    def conv_grad_input(dy, w, *, input_shape, stride, padding, dilation, groups):
        w = jax.device_put(np.asarray(w), dev)
        # dx does not depend on x's values: zeros, as good as any
        x = jax.device_put(np.zeros(tuple(int(n) for n in input_shape), dtype=w.dtype), dev)
        _, pullback = jax.vjp(lambda x: conv_forward(x, w, stride, padding, dilation, groups), x)
        (dx,) = pullback(jax.device_put(np.asarray(dy), dev))
        return np.asarray(dx)

    def conv_grad_weight(x, dy, *, kernel_shape, stride, padding, dilation, groups):
        x, dy = np.asarray(x), np.asarray(dy)
        # w (O, C/groups, *kernel_shape); a groups JAX refuses is left for it to refuse
        per_group = x.shape[1] // int(groups) if x.ndim > 1 and int(groups) >= 1 else 1
        w = np.zeros((dy.shape[1], per_group, *(int(k) for k in kernel_shape)), dtype=x.dtype)
        xj = jax.device_put(x, dev)
        _, pullback = jax.vjp(lambda w: conv_forward(xj, w, stride, padding, dilation, groups),
                              jax.device_put(w, dev))
        (dw,) = pullback(jax.device_put(dy, dev))
        return np.asarray(dw)

    def conv_grad_bias(dy):
        dy = np.asarray(dy)
        rank = dy.ndim - 2
        if rank not in LAYOUTS:
            raise ValueError(f"no dimension numbers for a dy of {dy.ndim} dims")
        # a 1x1 convolution plus b, as the conv adapter (and Flax) adds it: db is b's cotangent
        x = jax.device_put(np.zeros((dy.shape[0], 1, *dy.shape[2:]), dy.dtype), dev)
        w = jax.device_put(np.zeros((dy.shape[1], 1, *(1,) * rank), dy.dtype), dev)

        def forward(b):
            out = conv_forward(x, w, (1,) * rank, ((0, 0),) * rank, (1,) * rank, 1)
            return out + lax.broadcast_in_dim(b, out.shape, (1,))

        _, pullback = jax.vjp(forward, jax.device_put(np.zeros(dy.shape[1], dy.dtype), dev))
        (db,) = pullback(jax.device_put(dy, dev))
        return np.asarray(db)

    name = "jax" if device == "cpu" else f"jax-{device}"
    return Backend(
        name=name, implementation=SimpleNamespace(
            conv=conv, conv_transpose=conv_transpose, conv_grad_input=conv_grad_input,
            conv_grad_weight=conv_grad_weight, conv_grad_bias=conv_grad_bias),
        version=jax.__version__,
        description=f"jax.lax.conv_general_dilated on {dev.platform} (jaxlib {jaxlib.__version__})",
        dtypes=frozenset({"float64", "float32", "float16", "bfloat16", "int8", "uint8", "int32"}),
        ranks=frozenset({1, 2, 3}), groups=True, dilation=True, extra={"device": str(dev)})


backend = make_backend("cpu")


def __getattr__(name: str) -> Backend:
    """``jax:gpu`` on the command line: the backend on the first GPU."""
    if name == "gpu":
        return make_backend("gpu")
    raise AttributeError(name)
