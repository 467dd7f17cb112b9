import numpy as np
import pytest

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

from convspec.conformance import Outcome, resolve, run_vector  # noqa: E402
from convspec.conformance.backends.onnxruntime import (  # noqa: E402
    backend,
    build_model,
    build_transpose_model,
    session,
)


def test_the_short_name_is_this_backend():
    assert resolve("onnxruntime") is backend
    assert backend.version == ort.__version__


def test_the_corpus_passes_but_for_the_listed_failures(corpus, corpus_problems):
    assert corpus_problems(backend, corpus) == []


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_translates_padding_stride_dilation_groups_and_bias(check_translation, translation_case, dtype):
    check_translation(backend, translation_case, dtype)


def test_pads_list_all_begins_then_all_ends():
    model = build_model((1, 1, 4, 5), (1, 1, 2, 2), None, "float32", (1, 2), (0, 3, 2, 1), (1, 1), 1)
    (node,) = model.graph.node
    attrs = {a.name: list(a.ints) for a in node.attribute if a.ints}
    # H padded (0, 2), W padded (3, 1): [H begin, W begin, H end, W end]
    assert attrs["pads"] == [0, 3, 2, 1]
    assert attrs["strides"] == [1, 2]
    assert node.op_type == "Conv"


@pytest.mark.parametrize("dtype", ["int8", "uint8"])
def test_8_bit_integers_run_through_conv_integer_with_an_int32_bias(make_vector, dtype):
    vector = make_vector(dtype, (1, 2, 5, 5), (2, 1, 2, 2), stride=[2, 1], dilation=[1, 2], groups=2,
                         padding=[[1, 0], [0, 2]])
    vector.inputs["b"] = {"shape": [2], "data": [-7, 3]}
    assert run_vector(vector, backend).outcome is Outcome.PASS
    ops = [n.op_type for n in build_model((1, 2, 5, 5), (2, 1, 2, 2), (2,), dtype, (2, 1),
                                          (1, 0, 0, 2), (1, 2), 2).graph.node]
    assert ops == ["ConvInteger", "Unsqueeze", "Add"]


def test_sessions_are_cached_per_signature(make_vector):
    session.cache_clear()
    vector = make_vector("float32", (1, 1, 4, 4), (1, 1, 2, 2))
    for _ in range(3):
        assert run_vector(vector, backend).outcome is Outcome.PASS
    assert session.cache_info().misses == 1 and session.cache_info().hits == 2


@pytest.mark.parametrize(("dtype", "message"), [
    ("float64", "NOT_IMPLEMENTED"), ("bfloat16", "bfloat16"), ("int32", "int32"),
])
def test_dtypes_onnxruntime_refuses_are_unsupported(make_vector, check_refusal, dtype, message):
    vector = make_vector(dtype, (1, 1, 4, 4), (1, 1, 2, 2))
    assert dtype in check_refusal(backend, vector)
    with pytest.raises(Exception, match=message):
        backend.run(vector.call, vector.arrays())


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_conv_transpose_translates_crops_output_padding_stride_dilation_groups_and_bias(
        check_transpose_translation, transpose_case, dtype):
    if transpose_case["output_padding_reaches_stride"]:
        pytest.skip("ONNX Runtime refuses an output_padding >= the stride (checked below)")
    check_transpose_translation(backend, transpose_case, dtype)


def test_conv_transpose_is_one_node_with_pads_begins_then_ends():
    model = build_transpose_model((1, 1, 4, 5), (1, 2, 2, 2), (2,), "float32", (2, 1), (0, 3, 2, 1),
                                  (1, 0), (1, 1), 1)
    (node,) = model.graph.node
    attrs = {a.name: list(a.ints) for a in node.attribute if a.ints}
    assert node.op_type == "ConvTranspose" and list(node.input) == ["x", "w", "b"]
    assert attrs["pads"] == [0, 3, 2, 1] and attrs["output_padding"] == [1, 0]


@pytest.mark.parametrize(("dtype", "attributes", "message"), [
    ("int8", {}, r"tensor\(int8\)"),
    ("uint8", {}, r"tensor\(uint8\)"),
    ("float32", {"stride": 1, "dilation": 3, "output_padding": 1}, "too large for stride"),
])
def test_what_onnxruntime_refuses_in_conv_transpose_is_unsupported(make_vector, check_refusal, dtype,
                                                                   attributes, message):
    vector = make_vector(dtype, (1, 1, 3, 3), (1, 1, 2, 2), op="conv_transpose", **attributes)
    check_refusal(backend, vector)
    with pytest.raises(Exception, match=message):
        backend.run(vector.call, vector.arrays())


@pytest.mark.parametrize("dtype", ["float64", "bfloat16"])
def test_conv_transpose_dtypes_onnxruntime_refuses_are_unsupported(make_vector, check_refusal, dtype):
    check_refusal(backend, make_vector(dtype, (1, 1, 3, 3), (1, 1, 2, 2), op="conv_transpose"))


def test_every_gradient_vector_is_unsupported_for_want_of_the_operator(corpus):
    # ONNX Runtime's inference sessions have no gradient operators: the adapter has none to call
    grads = [v for v in corpus if v.call.op.startswith("conv_grad_")]
    assert grads
    for v in grads:
        assert run_vector(v, backend).outcome is Outcome.UNSUPPORTED
        why = backend.unsupported(v.call)
        assert f"has no operator '{v.call.op}'" in why or f"dtype {v.call.dtype} not supported" in why, why
