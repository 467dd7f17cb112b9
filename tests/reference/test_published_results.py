"""The reference reproduces results other projects published: ONNX's Conv, ConvInteger and
ConvTranspose node test cases, and the Conv models ONNX converted from PyTorch with PyTorch's own
outputs.

Float outputs published by another implementation are themselves rounded float32 results: they
are judged like a backend's, under the strict accuracy rule, against the reference.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")  # in the test extra, so CI always runs these
from onnx import numpy_helper  # noqa: E402
from onnx.backend.test.case.node import collect_testcases  # noqa: E402

from convspec.conformance.judge import judge  # noqa: E402
from convspec.conformance.tolerance import bounds  # noqa: E402
from convspec.reference import conv, conv_transpose, resolve_padding  # noqa: E402

# ONNX's case generators compute reference values for every operator, some dividing by zero
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

PYTORCH_CONVERTED = Path(onnx.__file__).parent / "backend" / "test" / "data" / "pytorch-converted"


def _attributes(node, x_shape, w_shape):
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
    rank = len(x_shape) - 2
    stride = tuple(attrs.get("strides", [1] * rank))
    dilation = tuple(attrs.get("dilations", [1] * rank))
    auto_pad = attrs.get("auto_pad", b"NOTSET").decode()
    if auto_pad in ("SAME_UPPER", "SAME_LOWER", "VALID"):
        padding = resolve_padding(auto_pad.lower(), x_shape[2:], w_shape[2:], stride, dilation)
    else:
        pads = attrs.get("pads", [0] * 2 * rank)  # all begins, then all ends
        padding = tuple((pads[i], pads[i + rank]) for i in range(rank))
    return {"stride": stride, "padding": padding, "dilation": dilation, "groups": attrs.get("group", 1)}


def _check_float(node, inputs, published):
    x, w = inputs[0], inputs[1]
    b = inputs[2] if len(inputs) > 2 else None
    attrs = _attributes(node, x.shape, w.shape)
    expected = conv(x, w, b, **attrs)
    magnitude = conv(np.abs(x), np.abs(w), None if b is None else np.abs(b), **attrs)
    terms = w.shape[1] * math.prod(w.shape[2:]) + (b is not None)
    verdict = judge(published, expected, bounds(expected, magnitude, terms, published.dtype), published.dtype)
    assert verdict.passed, (verdict.reason, verdict.worst)
    return verdict


@functools.cache
def _all_node_cases():
    # ONNX builds every operator's cases into one global list (slow, so once per session)
    return {case.name: case for case in collect_testcases(None)}.values()


def _node_cases():
    for case in _all_node_cases():
        nodes = case.model.graph.node
        if len(nodes) == 1 and nodes[0].op_type in ("Conv", "ConvInteger"):
            yield pytest.param(case, id=case.name)


@pytest.mark.parametrize("case", list(_node_cases()))
def test_onnx_node_test_cases(case):
    node = case.model.graph.node[0]
    (inputs, outputs), = case.data_sets
    if node.op_type == "Conv":
        _check_float(node, inputs, outputs[0])
        return
    # ConvInteger: (x - x_zero_point) * (w - w_zero_point), summed exactly into int32
    x, w = inputs[0].astype(np.int64), inputs[1].astype(np.int64)
    x_zero = inputs[2].astype(np.int64) if len(inputs) > 2 else 0
    # w's zero point is a scalar or one per output channel
    w_zero = inputs[3].astype(np.int64).reshape((-1,) + (1,) * (w.ndim - 1)) if len(inputs) > 3 else 0
    attrs = _attributes(node, x.shape, w.shape)
    expected = conv(x - x_zero, w - w_zero, **attrs)
    assert outputs[0].dtype == np.int32
    assert np.array_equal(expected, outputs[0])


def test_onnx_publishes_all_six_conv_and_two_convinteger_node_cases():
    names = {p.id for p in _node_cases()}
    assert {"test_basic_conv_with_padding", "test_conv_with_strides_and_asymmetric_padding",
            "test_conv_with_autopad_same", "test_convinteger_with_padding"} <= names
    assert len(names) >= 8


def _pytorch_models():
    for folder in sorted(PYTORCH_CONVERTED.glob("test_Conv[123]d*")):
        yield pytest.param(folder, id=folder.name)


def _tensor(path):
    proto = onnx.TensorProto()
    proto.ParseFromString(path.read_bytes())
    return numpy_helper.to_array(proto)


@pytest.mark.parametrize("folder", list(_pytorch_models()))
def test_pytorch_converted_conv_models(folder):
    model = onnx.load(str(folder / "model.onnx"))
    node = next(n for n in model.graph.node if n.op_type == "Conv")
    assert [n.op_type for n in model.graph.node] == ["Conv"]
    weights = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    data = folder / "test_data_set_0"
    graph_inputs = [i for i in model.graph.input if i.name not in weights]
    files = sorted(data.glob("input_*.pb"))
    feeds = {inp.name: _tensor(p) for inp, p in zip(graph_inputs, files, strict=True)}
    inputs = [feeds.get(name, weights.get(name)) for name in node.input if name]
    published = _tensor(data / "output_0.pb")
    verdict = _check_float(node, inputs, published)
    assert verdict.worst.ratio <= 1


def test_pytorch_converted_models_cover_1d_2d_3d_groups_dilation_stride():
    names = [p.id for p in _pytorch_models()]
    assert len(names) >= 20
    for word in ("Conv1d", "Conv2d", "Conv3d", "groups", "dilated", "stride", "depthwise"):
        assert any(word in n for n in names), word


# --- ConvTranspose ---------------------------------------------------------------------------------

def _transpose_attributes(node, x_shape, w_shape):
    """ONNX's ConvTranspose attributes as conv_transpose's arguments. With output_shape or a SAME
    auto_pad, the pads follow ONNX's rule: total = s*(in - 1) + output_padding + (k - 1)*d + 1 -
    output_shape, split (total//2, total - total//2) for SAME_UPPER, the other way round otherwise.
    A negative end pad (output_shape beyond the full output) appends positions no product
    reaches: that is output_padding."""
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
    rank = len(x_shape) - 2
    stride = list(attrs.get("strides", [1] * rank))
    dilation = list(attrs.get("dilations", [1] * rank))
    extra = list(attrs.get("output_padding", [0] * rank))
    auto_pad = attrs.get("auto_pad", b"NOTSET").decode()
    kernel = w_shape[2:]
    if "output_shape" in attrs or auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        target = attrs.get("output_shape") or [n * s for n, s in zip(x_shape[2:], stride, strict=True)]
        padding = []
        for a in range(rank):
            total = (stride[a] * (x_shape[2 + a] - 1) + extra[a] + (kernel[a] - 1) * dilation[a] + 1
                     - target[a])
            pair = (total // 2, total - total // 2) if auto_pad == "SAME_UPPER" else \
                (total - total // 2, total // 2)
            assert pair[0] >= 0, "output_shape beyond the full output at the start"
            if pair[1] < 0:
                extra[a] -= pair[1]
                pair = (pair[0], 0)
            padding.append(pair)
    elif auto_pad == "VALID":
        padding = [(0, 0)] * rank
    else:
        pads = attrs.get("pads", [0] * 2 * rank)  # all begins, then all ends
        padding = [(pads[i], pads[i + rank]) for i in range(rank)]
    return {"stride": tuple(stride), "padding": tuple(padding), "output_padding": tuple(extra),
            "dilation": tuple(dilation), "groups": attrs.get("group", 1)}


def _transpose_cases():
    for case in _all_node_cases():
        nodes = case.model.graph.node
        if len(nodes) == 1 and nodes[0].op_type == "ConvTranspose":
            yield pytest.param(case, id=case.name)


@pytest.mark.parametrize("case", list(_transpose_cases()))
def test_onnx_convtranspose_node_test_cases(case):
    node = case.model.graph.node[0]
    (inputs, outputs), = case.data_sets
    x, w = inputs[0], inputs[1]
    b = inputs[2] if len(inputs) > 2 else None
    attrs = _transpose_attributes(node, x.shape, w.shape)
    expected = conv_transpose(x, w, b, **attrs)
    magnitude = conv_transpose(np.abs(x), np.abs(w), None if b is None else np.abs(b), **attrs)
    terms = x.shape[1] // attrs["groups"] * math.prod(w.shape[2:]) + (b is not None)
    published = outputs[0]
    assert published.shape == expected.shape
    verdict = judge(published, expected, bounds(expected, magnitude, terms, published.dtype), published.dtype)
    assert verdict.passed, (verdict.reason, verdict.worst)


def test_onnx_publishes_the_convtranspose_cases_translated_above():
    names = {p.id for p in _transpose_cases()}
    assert {"test_convtranspose", "test_convtranspose_1d", "test_convtranspose_3d", "test_convtranspose_pads",
            "test_convtranspose_output_shape", "test_convtranspose_kernel_shape", "test_convtranspose_pad",
            "test_convtranspose_dilations", "test_convtranspose_autopad_same",
            "test_convtranspose_group_2", "test_convtranspose_group_2_image_3"} <= names
