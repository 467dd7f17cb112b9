import numpy as np
import pytest

torch = pytest.importorskip("torch")

from convspec.conformance import Outcome, resolve, run_vector  # noqa: E402
from convspec.conformance.backends import BackendNotFound  # noqa: E402
from convspec.conformance.backends.torch import backend, make_backend, split_padding  # noqa: E402


def test_the_short_name_is_this_backend():
    assert resolve("torch") is backend
    assert backend.version == torch.__version__


def test_the_corpus_passes_but_for_the_listed_failures(corpus, corpus_problems):
    assert corpus_problems(backend, corpus) == []


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_translates_padding_stride_dilation_groups_and_bias(check_translation, translation_case, dtype):
    check_translation(backend, translation_case, dtype)


def test_asymmetric_padding_goes_native_then_f_pad_last_axis_first():
    # (H before, after), (W before, after) = (0, 2), (3, 1): symmetric parts (0, 1) to conv2d;
    # the rest to F.pad as (W before, W after, H before, H after).
    assert split_padding(((0, 2), (3, 1))) == ((0, 1), [2, 0, 0, 2])
    assert split_padding(((1, 1),)) == ((1,), [0, 0])
    # a negative side reaches the convolution, which refuses it, instead of F.pad's cropping
    assert split_padding(((0, -1),)) == ((-1,), [1, 0])


@pytest.mark.parametrize("dtype", ["int8", "uint8"])
def test_dilated_8_bit_integers_are_unsupported_because_torch_refuses_them(
        make_vector, check_refusal, dtype):
    why = check_refusal(backend, make_vector(dtype, (1, 1, 5, 5), (1, 1, 2, 2), dilation=2))
    assert "slow_conv_dilated" in why


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int32"])
def test_integers_run_exactly_in_the_spec_output_type(make_vector, dtype):
    vector = make_vector(dtype, (1, 2, 4, 4), (2, 1, 2, 2), stride=[2, 1], groups=2)
    assert run_vector(vector, backend).outcome is Outcome.PASS


@pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA device is present")
def test_cuda_without_a_device_is_not_found():
    with pytest.raises(BackendNotFound, match="no CUDA device"):
        make_backend("cuda")
    with pytest.raises(BackendNotFound, match="no CUDA device"):
        resolve("convspec.conformance.backends.torch:cuda")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv_transpose_translates_crops_output_padding_stride_dilation_groups_and_bias(
        check_transpose_translation, transpose_case, dtype):
    check_transpose_translation(backend, transpose_case, dtype)


@pytest.mark.parametrize("dtype", ["int8", "uint8"])
def test_8_bit_conv_transpose_is_unsupported_because_torch_has_no_int32_kernel(
        make_vector, check_refusal, dtype):
    why = check_refusal(backend, make_vector(dtype, (1, 1, 3, 3), (1, 1, 2, 2), op="conv_transpose"))
    assert "slow_conv_transpose2d_out_cpu" in why


def test_int32_conv_transpose_runs_exactly_in_int64(make_vector):
    vector = make_vector("int32", (1, 2, 3, 4), (2, 1, 2, 2), op="conv_transpose", stride=[2, 1],
                         output_padding=[1, 0], padding=[[1, 0], [0, 2]], groups=2)
    assert run_vector(vector, backend).outcome is Outcome.PASS


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gradients_are_autograd_and_equal_the_reference(check_gradient_translation, gradient_case, dtype):
    check_gradient_translation(backend, gradient_case, dtype)


def test_a_dy_of_the_wrong_shape_is_refused_by_autograd():
    attrs = {"stride": (2,), "padding": ((0, 0),), "dilation": (1,), "groups": 1}
    with pytest.raises(RuntimeError, match="Mismatch in shape"):  # conv of 6 at stride 2 gives 3
        backend.operator("conv_grad_input")(np.ones((1, 1, 2), np.float32), np.ones((1, 1, 2), np.float32),
                                            input_shape=(1, 1, 6), **attrs)


def test_declares_no_gradient_vector_unsupported(corpus):
    grads = [v for v in corpus if v.call.op.startswith("conv_grad_")]
    assert grads and [v.id for v in grads if backend.unsupported(v.call)] == []
