import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from convspec.conformance import Outcome, resolve, run_vector  # noqa: E402
from convspec.conformance.backends.tensorflow import backend  # noqa: E402
from convspec.conformance.report import line  # noqa: E402
from convspec.conformance.session import Session  # noqa: E402

ATTRS = {"stride": (1, 1), "padding": ((0, 0), (0, 0)), "dilation": (1, 1)}


def test_the_short_name_is_this_backend():
    assert resolve("tensorflow") is backend
    assert backend.version == tf.__version__


def test_the_corpus_passes_but_for_the_listed_failures(corpus):
    # in worker processes: TensorFlow aborts its process on errors/rank-x-1d-w-3d (a listed failure)
    with Session.open("tensorflow", isolation="process") as session:
        problems = [line(r) for r in session.results(corpus) if r.outcome.is_problem]
    assert problems == []


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_translates_padding_stride_dilation_groups_and_bias(check_translation, translation_case, dtype):
    if translation_case["strided_and_dilated"]:
        pytest.skip("tf.nn.convolution refuses stride > 1 with dilation > 1 (checked below)")
    check_translation(backend, translation_case, dtype)


def test_groups_tensorflow_would_infer_differently_are_refused_by_the_adapter():
    x, w = np.ones((1, 4, 2, 2), np.float32), np.ones((2, 4, 1, 1), np.float32)
    with pytest.raises(ValueError, match="cannot express groups=2"):
        backend.operator("conv")(x, w, groups=2, **ATTRS)  # TensorFlow would run it as groups=1


@pytest.mark.parametrize("dtype", ["int8", "uint8"])
def test_8_bit_integers_run_in_int32(make_vector, dtype):
    vector = make_vector(dtype, (1, 2, 5, 5), (2, 1, 2, 2), stride=[2, 1], groups=2,
                         padding=[[1, 0], [0, 2]])
    assert run_vector(vector, backend).outcome is Outcome.PASS


@pytest.mark.parametrize(("dtype", "x_shape", "w_shape", "attributes", "why"), [
    ("int32", (1, 1, 4, 4), (1, 1, 2, 2), {}, "int32"),
    ("int8", (1, 1, 3, 3, 3), (1, 1, 2, 2, 2), {}, "integer 3-D"),
    ("float32", (1, 2, 3, 3, 3), (2, 1, 2, 2, 2), {"groups": 2}, "grouped 3-D"),
    ("float32", (1, 1, 7, 7), (1, 1, 2, 2), {"stride": 2, "dilation": 2}, "stride > 1 with dilation"),
    ("float32", (1, 1, 7), (1, 1, 2), {"stride": 2, "dilation": 2}, "stride > 1 with dilation"),
])
def test_what_tensorflow_refuses_is_unsupported(make_vector, check_refusal, dtype, x_shape, w_shape,
                                               attributes, why):
    assert why in check_refusal(backend, make_vector(dtype, x_shape, w_shape, **attributes))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv_transpose_translates_crops_output_padding_stride_dilation_groups_and_bias(
        check_transpose_translation, transpose_case, dtype):
    if transpose_case["output_padding_reaches_stride"]:
        pytest.skip("TensorFlow refuses an output_padding >= the stride (checked below)")
    if len(transpose_case["x"]) == 5 and transpose_case["groups"] != 1:
        pytest.skip("TensorFlow refuses grouped 3-D conv_transpose (checked below)")
    if dtype is np.float64 and (transpose_case["dilated"] or transpose_case["groups"] != 1):
        pytest.skip("TensorFlow's float64 conv_transpose refuses dilation and groups (checked below)")
    check_transpose_translation(backend, transpose_case, dtype)


def test_conv_transpose_crops_tensorflow_cannot_spell_are_refused_by_the_adapter():
    attrs = {"stride": (1,), "output_padding": (0,), "dilation": (1,), "groups": 1}
    x, w = np.ones((1, 1, 3), np.float32), np.ones((1, 1, 2), np.float32)
    with pytest.raises(ValueError, match="no crop"):
        backend.operator("conv_transpose")(x, w, padding=((-1, 0),), **attrs)
    with pytest.raises(ValueError, match="no crop"):
        backend.operator("conv_transpose")(x, w, padding=((2, 2),), **attrs)  # all 4 positions


@pytest.mark.parametrize("dtype", ["int8", "uint8"])
def test_8_bit_conv_transpose_runs_in_int32(make_vector, dtype):
    vector = make_vector(dtype, (1, 2, 3, 4), (2, 2, 2, 2), op="conv_transpose", stride=[2, 1],
                         output_padding=[1, 0], padding=[[1, 0], [0, 2]])
    assert run_vector(vector, backend).outcome is Outcome.PASS


@pytest.mark.parametrize(("dtype", "x_shape", "w_shape", "attributes", "why"), [
    ("int32", (1, 1, 3, 3), (1, 1, 2, 2), {}, "int32"),
    ("int8", (1, 1, 3, 3, 3), (1, 1, 2, 2, 2), {}, "integer 3-D"),
    ("float32", (1, 2, 3, 3, 3), (2, 1, 2, 2, 2), {"groups": 2}, "grouped 3-D"),
    ("float64", (1, 1, 3, 3), (1, 1, 2, 2), {"dilation": 2}, "dilation rates"),
    ("int8", (1, 1, 3), (1, 1, 2), {"dilation": 2}, "dilation rates"),
    ("float64", (1, 2, 3, 3), (2, 1, 2, 2), {"groups": 2}, "grouped"),
    ("float32", (1, 1, 3, 3), (1, 1, 2, 2), {"dilation": 3, "output_padding": 1}, "primitive descriptor"),
    ("bfloat16", (1, 1, 3), (1, 1, 2), {"dilation": 3, "output_padding": 2}, "primitive descriptor"),
])
def test_what_tensorflow_refuses_in_conv_transpose_is_unsupported(make_vector, check_refusal, dtype,
                                                                  x_shape, w_shape, attributes, why):
    vector = make_vector(dtype, x_shape, w_shape, op="conv_transpose", **attributes)
    assert why in check_refusal(backend, vector)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gradients_are_gradient_tape_and_equal_the_reference(check_gradient_translation, gradient_case,
                                                             dtype):
    if gradient_case["strided_and_dilated"]:
        pytest.skip("tf.nn.convolution refuses stride > 1 with dilation > 1 (checked below)")
    if dtype is np.float64 and gradient_case["groups"] != 1:
        pytest.skip("TensorFlow has no grouped float64 gradient on the CPU (checked below)")
    check_gradient_translation(backend, gradient_case, dtype)


@pytest.mark.parametrize("op", ["conv_grad_input", "conv_grad_weight"])
@pytest.mark.parametrize(("dtype", "x_shape", "w_shape", "attributes", "why"), [
    ("float32", (1, 1, 7, 7), (1, 1, 2, 2), {"stride": (2, 2), "dilation": (2, 2)},
     "stride > 1 with dilation"),
    ("float32", (1, 2, 3, 3, 3), (2, 1, 2, 2, 2), {"groups": 2}, "grouped 3-D"),
    ("float64", (1, 2, 4, 4), (2, 1, 2, 2), {"groups": 2}, "Gradients for grouped convolutions"),
    ("float64", (1, 2, 5), (2, 1, 2), {"groups": 2}, "Gradients for grouped convolutions"),
])
def test_what_tensorflow_refuses_to_differentiate_is_unsupported(make_gradient_vector, check_refusal, op,
                                                                 dtype, x_shape, w_shape, attributes, why):
    assert why in check_refusal(backend, make_gradient_vector(op, dtype, x_shape, w_shape, **attributes))


def test_a_3d_gradient_needs_the_data_format_spelled_out():
    # tf.nn.convolution with data_format left None records none on Conv3D, and its gradient fails;
    # the adapter spells out TensorFlow's own default
    x, w = tf.zeros([1, 3, 3, 3, 1]), tf.ones([2, 2, 2, 1, 1])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.nn.convolution(x, w, padding="VALID")
    with pytest.raises(AttributeError):
        tape.gradient(y, x)
    attrs = {"stride": (1,) * 3, "padding": ((0, 0),) * 3, "dilation": (1,) * 3, "groups": 1}
    dx = backend.operator("conv_grad_input")(np.ones((1, 1, 2, 2, 2), np.float32), np.ones((1, 1, 2, 2, 2),
                                             np.float32), input_shape=(1, 1, 3, 3, 3), **attrs)
    assert dx[0, 0, 1, 1, 1] == 8 and dx[0, 0, 0, 0, 0] == 1
