"""ONNX Runtime: one ONNX ``Conv`` or ``ConvTranspose`` node per call
(``pip install 'convspec[onnxruntime]'``).

The adapter builds, for each call signature (shapes, dtype, attributes), a model of a single node
with ``x``, ``w`` (and ``b``) as graph inputs, caches its ``InferenceSession`` and runs it on the
``CPUExecutionProvider`` with ONNX Runtime's default session options but one that changes no
arithmetic (idle threads do not spin). It translates the canonical call and nothing more:

- Layout: ONNX is channels-first like the spec, ``W`` of shape (M, C/group, k1, k2, ...).
- Attributes: ``strides``, ``dilations``, ``group`` as given; ``pads`` lists all begins, then all
  ends: [x1_begin, x2_begin, ..., x1_end, x2_end]; ``auto_pad`` is left at NOTSET.
- dtypes: float32 and float16 through ``Conv``. int8 and uint8 through ``ConvInteger`` (zero
  points omitted, i.e. 0), whose output is int32 as the spec's; ``ConvInteger`` has no bias input,
  so a bias is added by an ``Add`` node after it (``Unsqueeze``d to (M, 1, ...) to broadcast over
  the channel axis). Declared unsupported, because ONNX Runtime refuses them: float64 (its CPU
  provider has no double ``Conv`` kernel: "NOT_IMPLEMENTED : Could not find an implementation for
  Conv(11)"), bfloat16 (``Conv`` admits bfloat16 only from opset 22, and there the CPU provider
  has no kernel for it either: "Could not find an implementation for Conv(22)") and int32 (no ONNX
  convolution takes int32 inputs: "Type 'tensor(int32)' of input parameter (x) of operator (Conv)
  ... is invalid").

conv_transpose is one ``ConvTranspose`` node, built and cached the same way: ``W`` of shape
(C, M/group, k1, ...) as the spec's, ``pads`` as for Conv (all begins, then all ends: ONNX crops
them from the full output, as the spec does), ``output_padding``, ``strides``, ``dilations`` and
``group`` as given, ``output_shape`` and ``auto_pad`` left unset. ONNX Runtime's CPU provider has it
in float32 and float16 only. Its float64 refusal is the backend's (as for Conv: "Could not find an
implementation for ConvTranspose(11)"); int8 and uint8, which Conv runs through ConvInteger, have
no transposed counterpart in ONNX ("Type 'tensor(int8)' of input parameter (x) of operator
(ConvTranspose) ... is invalid") and are declared unsupported for conv_transpose alone. So is an
output_padding >= the stride on an axis (valid in the spec while below the dilation): ONNX Runtime
raises "Computed output shape is inconsistent with input spatial dimensions. output_padding (1) may
be too large for stride (1)".
"""

from __future__ import annotations

import functools
from types import SimpleNamespace

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper

from . import Backend

OPSET = 17  # Conv-11 and ConvInteger-10 are current at every opset from 11 to 21
IR_VERSION = 8  # read by every ONNX Runtime since 1.10
# Every dtype a vector may have. float64, bfloat16 and int32 are declared unsupported below, yet
# the adapter still builds their models, so that the tests can check ONNX Runtime refuses them.
ELEMENT = {"float64": TensorProto.DOUBLE, "float32": TensorProto.FLOAT, "float16": TensorProto.FLOAT16,
           "bfloat16": TensorProto.BFLOAT16, "int8": TensorProto.INT8, "uint8": TensorProto.UINT8,
           "int32": TensorProto.INT32}
PROVIDERS = ("CPUExecutionProvider",)


def build_model(x_shape: tuple[int, ...], w_shape: tuple[int, ...], b_shape: tuple[int, ...] | None,
                dtype: str, strides: tuple[int, ...], pads: tuple[int, ...],
                dilations: tuple[int, ...], group: int) -> onnx.ModelProto:
    """A model of one Conv (float) or ConvInteger (+ Add for a bias) node for this signature."""
    integer = dtype in ("int8", "uint8")
    attrs = {"strides": list(strides), "pads": list(pads), "dilations": list(dilations), "group": group}
    inputs = [helper.make_tensor_value_info("x", ELEMENT[dtype], list(x_shape)),
              helper.make_tensor_value_info("w", ELEMENT[dtype], list(w_shape))]
    out_type = TensorProto.INT32 if integer else ELEMENT[dtype]
    initializers = []
    if not integer:
        names = ["x", "w"]
        if b_shape is not None:
            inputs.append(helper.make_tensor_value_info("b", ELEMENT[dtype], list(b_shape)))
            names.append("b")
        nodes = [helper.make_node("Conv", names, ["y"], **attrs)]
    elif b_shape is None:
        nodes = [helper.make_node("ConvInteger", ["x", "w"], ["y"], **attrs)]
    else:
        # declared (M,), as Conv's B is: ONNX Runtime then refuses a bias of any other shape, which
        # the Add below would otherwise broadcast
        inputs.append(helper.make_tensor_value_info("b", TensorProto.INT32, [w_shape[0]]))
        rank = len(x_shape) - 2
        initializers.append(helper.make_tensor("axes", TensorProto.INT64, [rank],
                                               list(range(1, rank + 1))))
        nodes = [helper.make_node("ConvInteger", ["x", "w"], ["conv"], **attrs),
                 helper.make_node("Unsqueeze", ["b", "axes"], ["b_channels"]),
                 helper.make_node("Add", ["conv", "b_channels"], ["y"])]
    graph = helper.make_graph(nodes, "convspec", inputs,
                              [helper.make_tensor_value_info("y", out_type, None)],
                              initializer=initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="convspec")
    model.ir_version = IR_VERSION
    return model


def build_transpose_model(x_shape: tuple[int, ...], w_shape: tuple[int, ...],
                          b_shape: tuple[int, ...] | None, dtype: str, strides: tuple[int, ...],
                          pads: tuple[int, ...], output_padding: tuple[int, ...],
                          dilations: tuple[int, ...], group: int) -> onnx.ModelProto:
    """A model of one ConvTranspose node for this signature (any dtype: ONNX Runtime judges it)."""
    inputs = [helper.make_tensor_value_info("x", ELEMENT[dtype], list(x_shape)),
              helper.make_tensor_value_info("w", ELEMENT[dtype], list(w_shape))]
    names = ["x", "w"]
    if b_shape is not None:
        inputs.append(helper.make_tensor_value_info("b", ELEMENT[dtype], list(b_shape)))
        names.append("b")
    node = helper.make_node("ConvTranspose", names, ["y"], strides=list(strides), pads=list(pads),
                            output_padding=list(output_padding), dilations=list(dilations), group=group)
    graph = helper.make_graph([node], "convspec", inputs,
                              [helper.make_tensor_value_info("y", ELEMENT[dtype], None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="convspec")
    model.ir_version = IR_VERSION
    return model


@functools.lru_cache(maxsize=32)  # each session keeps its own thread pool
def session(*signature, transpose: bool = False) -> ort.InferenceSession:
    """The cached session of one call signature (the arguments of ``build_model``, or of
    ``build_transpose_model`` with ``transpose``)."""
    options = ort.SessionOptions()
    # fatal messages only: a node that fails raises, and the runner reports it with the message
    options.log_severity_level = 4
    # Idle intra-op threads would spin after each run, competing with the runner's reference on the
    # same cores (the corpus took 18 s instead of 2 s on 2 busy cores); a scheduling option only.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    model = build_transpose_model(*signature) if transpose else build_model(*signature)
    return ort.InferenceSession(model.SerializeToString(), options,
                                providers=list(PROVIDERS))


def conv(x, w, b=None, *, stride, padding, dilation, groups):
    """Convolution by the backend protocol, through a one-node ONNX model."""
    x, w = np.asarray(x), np.asarray(w)
    dtype = x.dtype.name
    pads = tuple(int(p0) for p0, _ in padding) + tuple(int(p1) for _, p1 in padding)
    feeds = {"x": x, "w": w}
    if b is not None:
        feeds["b"] = np.asarray(b)
    signature = (x.shape, w.shape, None if b is None else feeds["b"].shape, dtype,
                 tuple(int(s) for s in stride), pads, tuple(int(d) for d in dilation), int(groups))
    return session(*signature).run(None, feeds)[0]


def conv_transpose(x, w, b=None, *, stride, padding, output_padding, dilation, groups):
    """Transposed convolution by the backend protocol, through a one-node ONNX model."""
    x, w = np.asarray(x), np.asarray(w)
    pads = tuple(int(p0) for p0, _ in padding) + tuple(int(p1) for _, p1 in padding)
    feeds = {"x": x, "w": w}
    if b is not None:
        feeds["b"] = np.asarray(b)
    signature = (x.shape, w.shape, None if b is None else feeds["b"].shape, x.dtype.name,
                 tuple(int(s) for s in stride), pads, tuple(int(e) for e in output_padding),
                 tuple(int(d) for d in dilation), int(groups))
    return session(*signature, transpose=True).run(None, feeds)[0]


def conv_transpose_limits(call) -> str | None:
    """What ONNX Runtime refuses beyond conv's dtypes: integers (conv's go through ConvInteger, which
    has no transposed counterpart) and an output_padding reaching the stride."""
    if call.dtype in ("int8", "uint8"):
        return (f"{call.dtype} conv_transpose: ONNX's ConvTranspose takes float types only "
                f"(\"Type 'tensor({call.dtype})' of input parameter (x) of operator (ConvTranspose) "
                f"... is invalid\")")
    a = call.attributes
    # only where the spec allows it (below the dilation): a larger one is invalid, for ORT to reject
    for e, s, d in zip(a.output_padding, a.stride, a.dilation, strict=False):
        if 1 <= s <= e < d:
            return (f"output_padding {list(a.output_padding)} >= stride {list(a.stride)} on an axis: ONNX "
                    f"Runtime raises \"output_padding ({e}) may be too large for stride ({s})\"")
    return None


backend = Backend(
    name="onnxruntime", implementation=SimpleNamespace(conv=conv, conv_transpose=conv_transpose),
    version=ort.__version__,
    description=f"ONNX Runtime, one Conv/ConvInteger or ConvTranspose node (opset {OPSET}, onnx "
                f"{onnx.__version__}), CPUExecutionProvider",
    dtypes=frozenset({"float32", "float16", "int8", "uint8"}), ranks=frozenset({1, 2, 3}),
    groups=True, dilation=True, limits={"conv_transpose": conv_transpose_limits})
