"""PyTorch: ``torch.nn.functional.conv1d/2d/3d`` and ``conv_transpose1d/2d/3d``
(``pip install 'convspec[torch]'``).

The adapter translates the canonical call and nothing more:

- Layout: PyTorch is channels-first like the spec, (N, C, *spatial) and (O, C/groups, *kernel).
- Padding: PyTorch's ``padding`` is symmetric per axis. The symmetric part of each (before, after)
  pair, min(before, after), is passed natively; the rest (never negative) goes through
  ``F.pad``, whose pairs run from the LAST axis backwards. A negative padding thus reaches the
  convolution itself (``F.pad`` would read it as cropping).
- dtypes: float64, float32, float16 and bfloat16 run in their own dtype, as PyTorch computes them.
  NumPy has no bfloat16, so bfloat16 crosses as float32 (exact both ways) and returns as
  ml_dtypes' bfloat16. PyTorch's convolutions return their input dtype, so an integer vector,
  whose spec output is the wider accumulator type, is computed in that type: int8 and uint8
  inputs widened to int32, int32 inputs to int64 (exact; the bias is already in that type).
  PyTorch's CPU convolution has no dilated int32 kernel ("slow_conv_dilated<>" not implemented
  for 'Int'), so dilated int8 / uint8 vectors are declared unsupported there.
- conv_transpose: ``F.conv_transpose1d/2d/3d``, whose ``w`` is (C_in, C_out/groups, *kernel) like
  the spec's. Its ``padding`` is symmetric and crops both ends of the full output, so
  min(before, after) is passed natively and the rest cropped from the result here (cropping
  commutes: both take positions off the same full output), refusing a crop that leaves nothing, as
  PyTorch does for its own padding; ``output_padding`` is passed as given,
  PyTorch's own rule for it (< max(stride, dilation)) being the spec's. int32 vectors run in int64,
  which PyTorch's CPU conv_transpose has; it has no int32, int8 or uint8 kernel
  ("slow_conv_transpose2d_out_cpu" not implemented for 'Int'), so int8 / uint8 vectors, whose spec
  output is int32, are declared unsupported there.
- conv's gradients, as a user gets them: autograd of ``F.conv1d/2d/3d`` (asymmetric padding by
  ``F.pad`` as above). dx is ``torch.autograd.grad(y, x, dy)`` for an x of ``input_shape`` (its
  values do not matter: zeros), dw the same for a w of (O, C/groups, *kernel_shape), db the grad of
  a 1x1 convolution with bias, whose output has dy's shape, with respect to that bias. A dy of the
  wrong shape is autograd's to refuse ("Mismatch in shape").
- Device: ``backend`` runs on the CPU; ``make_backend("cuda")`` on a GPU when PyTorch sees one
  (on the command line: ``--backend convspec.conformance.backends.torch:cuda``). PyTorch's own
  defaults are kept: on Ampere and newer GPUs cuDNN convolutions use TF32 for float32, which
  ``--profile tf32`` judges.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace

import ml_dtypes
import numpy as np
import torch
import torch.nn.functional as F

from . import Backend, BackendNotFound

CONVS = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
CONV_TRANSPOSES = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}
# The dtype an integer vector is computed in: its spec output type (see convspec's dtypes).
WIDEN = {np.dtype(np.int8): torch.int32, np.dtype(np.uint8): torch.int32,
         np.dtype(np.int32): torch.int64}
BFLOAT16 = np.dtype(ml_dtypes.bfloat16)


def to_torch(a: np.ndarray, device: torch.device, widen: bool = True) -> torch.Tensor:
    """A NumPy array as a tensor of the dtype the convolution runs in (an integer bias is already
    in that type: ``widen=False``)."""
    a = np.asarray(a)
    if a.dtype == BFLOAT16:
        return torch.from_numpy(a.astype(np.float32)).to(device=device, dtype=torch.bfloat16)
    t = torch.from_numpy(np.ascontiguousarray(a)).to(device)
    return t.to(WIDEN[a.dtype]) if widen and a.dtype in WIDEN else t


def to_numpy(t: torch.Tensor) -> np.ndarray:
    t = t.detach().cpu()
    if t.dtype == torch.bfloat16:
        return t.float().numpy().astype(BFLOAT16)
    return t.numpy()


def split_padding(padding: Sequence[Sequence[int]]) -> tuple[tuple[int, ...], list[int]]:
    """(PyTorch's symmetric ``padding``, ``F.pad``'s pad list for the rest, last axis first)."""
    native = tuple(min(int(p0), int(p1)) for p0, p1 in padding)
    rest = []
    for (p0, p1), m in zip(reversed(padding), reversed(native), strict=True):
        rest += [int(p0) - m, int(p1) - m]
    return native, rest


def make_backend(device: str = "cpu") -> Backend:
    """The PyTorch backend on ``device`` ("cpu", "cuda", "cuda:1", ...)."""
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise BackendNotFound(f"torch {torch.__version__} sees no CUDA device")

    def conv(x, w, b=None, *, stride, padding, dilation, groups):
        x = np.asarray(x)
        rank = x.ndim - 2
        if rank not in CONVS:
            raise ValueError(f"PyTorch has conv1d/2d/3d; got an input of {x.ndim} dims")
        native, rest = split_padding(padding)
        with torch.inference_mode():
            xt = to_torch(x, dev)
            if any(rest):
                xt = F.pad(xt, rest)
            out = CONVS[rank](xt, to_torch(w, dev), None if b is None else to_torch(b, dev, widen=False),
                              stride=tuple(stride), padding=native, dilation=tuple(dilation),
                              groups=groups)
        return to_numpy(out)

    def conv_transpose(x, w, b=None, *, stride, padding, output_padding, dilation, groups):
        x = np.asarray(x)
        rank = x.ndim - 2
        if rank not in CONV_TRANSPOSES:
            raise ValueError(f"PyTorch has conv_transpose1d/2d/3d; got an input of {x.ndim} dims")
        # the symmetric part natively (a negative one too, for PyTorch to judge), the rest cropped
        native = tuple(min(int(p0), int(p1)) for p0, p1 in padding)
        with torch.inference_mode():
            out = CONV_TRANSPOSES[rank](
                to_torch(x, dev), to_torch(w, dev), None if b is None else to_torch(b, dev, widen=False),
                stride=tuple(stride), padding=native, output_padding=tuple(output_padding),
                dilation=tuple(dilation), groups=groups)
            rest = [(int(p0) - m, int(p1) - m) for (p0, p1), m in zip(padding, native, strict=True)]
            if any(r0 + r1 >= n for (r0, r1), n in zip(rest, out.shape[2:], strict=True)):
                # the adapter's part of the crop must not leave what PyTorch's own padding refuses
                raise ValueError(f"padding {[list(p) for p in padding]} leaves no output: PyTorch "
                                 "rejects a padding that does")
            crop = tuple(slice(r0, n - r1) for (r0, r1), n in zip(rest, out.shape[2:], strict=True))
            out = out[(slice(None), slice(None), *crop)]
        return to_numpy(out)

    def conv_forward(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None, stride, padding, dilation,
                     groups) -> torch.Tensor:
        """The convolution as a user writes it, asymmetric padding by F.pad: what autograd differentiates."""
        if x.ndim - 2 not in CONVS:
            raise ValueError(f"PyTorch has conv1d/2d/3d; got {x.ndim} dims")
        native, rest = split_padding(padding)
        if any(rest):
            x = F.pad(x, rest)
        return CONVS[x.ndim - 2](x, w, b, stride=tuple(stride), padding=native, dilation=tuple(dilation),
                                 groups=groups)

    def conv_grad_input(dy, w, *, input_shape, stride, padding, dilation, groups):
        wt = to_torch(w, dev)
        with torch.enable_grad():
            # dx does not depend on x's values: zeros, as good as any
            x = torch.zeros(tuple(int(n) for n in input_shape), dtype=wt.dtype, device=dev,
                            requires_grad=True)
            y = conv_forward(x, wt, None, stride, padding, dilation, groups)
            (dx,) = torch.autograd.grad(y, x, to_torch(dy, dev))
        return to_numpy(dx)

    def conv_grad_weight(x, dy, *, kernel_shape, stride, padding, dilation, groups):
        xt = to_torch(x, dev)
        # w (O, C/groups, *kernel_shape); a groups PyTorch refuses is left for it to refuse
        per_group = xt.shape[1] // int(groups) if int(groups) >= 1 else xt.shape[1]
        with torch.enable_grad():
            w = torch.zeros((np.shape(dy)[1], per_group, *(int(k) for k in kernel_shape)), dtype=xt.dtype,
                            device=dev, requires_grad=True)
            y = conv_forward(xt, w, None, stride, padding, dilation, groups)
            (dw,) = torch.autograd.grad(y, w, to_torch(dy, dev))
        return to_numpy(dw)

    def conv_grad_bias(dy):
        dyt = to_torch(dy, dev)
        if dyt.ndim - 2 not in CONVS:
            raise ValueError(f"PyTorch has conv1d/2d/3d; got a dy of {dyt.ndim} dims")
        rank, (batch, channels) = dyt.ndim - 2, dyt.shape[:2]
        with torch.enable_grad():
            # a 1x1 convolution with bias whose output has dy's shape: autograd's db is dy's sum
            x = torch.zeros((batch, 1, *dyt.shape[2:]), dtype=dyt.dtype, device=dev)
            w = torch.zeros((channels, 1, *(1,) * rank), dtype=dyt.dtype, device=dev)
            b = torch.zeros(channels, dtype=dyt.dtype, device=dev, requires_grad=True)
            y = CONVS[rank](x, w, b)
            (db,) = torch.autograd.grad(y, b, dyt)
        return to_numpy(db)

    def conv_transpose_limits(call) -> str | None:
        """Measured on the CPU only; on other devices PyTorch's own refusals report ``error``."""
        if dev.type == "cpu" and call.dtype in ("int8", "uint8"):
            return ("int8/uint8 conv_transpose: its spec output is int32, and torch's CPU conv_transpose has "
                    "no int32 kernel (\"slow_conv_transpose2d_out_cpu\" not implemented for 'Int')")
        return None

    def conv_limits(call) -> str | None:
        """Measured on the CPU only; on other devices PyTorch's own refusals report ``error``."""
        if dev.type == "cpu" and call.dtype in ("int8", "uint8") and set(call.attributes.dilation) != {1}:
            return ("dilated int8/uint8 convolution: torch's CPU int32 convolution refuses dilation "
                    "(\"slow_conv_dilated<>\" not implemented for 'Int')")
        return None

    name = "torch" if dev.type == "cpu" else f"torch-{device}"
    return Backend(
        name=name, implementation=SimpleNamespace(
            conv=conv, conv_transpose=conv_transpose, conv_grad_input=conv_grad_input,
            conv_grad_weight=conv_grad_weight, conv_grad_bias=conv_grad_bias),
        version=torch.__version__,
        description=f"torch.nn.functional.conv1d/2d/3d and conv_transpose1d/2d/3d on {device}",
        dtypes=frozenset({"float64", "float32", "float16", "bfloat16", "int8", "uint8", "int32"}),
        ranks=frozenset({1, 2, 3}), groups=True, dilation=True,
        limits={"conv": conv_limits, "conv_transpose": conv_transpose_limits},
        extra={"device": str(dev)})


backend = make_backend("cpu")


def __getattr__(name: str) -> Backend:
    """``torch:cuda`` on the command line: the backend on the first CUDA device."""
    if name == "cuda":
        return make_backend("cuda")
    raise AttributeError(name)
