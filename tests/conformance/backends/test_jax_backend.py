import numpy as np
import pytest

jax = pytest.importorskip("jax")

from convspec.conformance import Outcome, resolve, run_vector  # noqa: E402
from convspec.conformance.backends import BackendNotFound  # noqa: E402
from convspec.conformance.backends.jax import backend, make_backend  # noqa: E402


def test_the_short_name_is_this_backend():
    assert resolve("jax") is backend
    assert backend.version == jax.__version__


def test_the_corpus_passes_but_for_the_listed_failures(corpus, corpus_problems):
    assert corpus_problems(backend, corpus) == []


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_translates_padding_stride_dilation_groups_and_bias(check_translation, translation_case, dtype):
    check_translation(backend, translation_case, dtype)


def test_float64_stays_float64():
    assert jax.config.jax_enable_x64
    x = np.full((1, 1, 3), 1 + 2.0**-40)  # not representable in float32
    out = backend.operator("conv")(x, np.ones((1, 1, 1)), stride=(1,), padding=((0, 0),), dilation=(1,),
                                   groups=1)
    assert out.dtype == np.float64 and out[0, 0, 0] == 1 + 2.0**-40


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int32"])
def test_integers_accumulate_into_the_spec_output_type(make_vector, dtype):
    vector = make_vector(dtype, (1, 2, 5, 5), (2, 1, 2, 2), stride=[2, 1], dilation=[1, 2], groups=2)
    assert run_vector(vector, backend).outcome is Outcome.PASS


def test_declares_every_capability_the_corpus_asks_for(corpus):
    # JAX refuses none of the corpus's dtypes, ranks, groups or dilations
    assert [v.id for v in corpus if backend.unsupported(v.call)] == []


def test_a_bias_of_the_wrong_shape_is_refused_by_jax():
    x, w = np.ones((1, 1, 3, 3), np.float32), np.ones((2, 1, 2, 2), np.float32)
    attrs = {"stride": (1, 1), "padding": ((0, 0), (0, 0)), "dilation": (1, 1), "groups": 1}
    with pytest.raises(TypeError):  # lax.broadcast_in_dim: operand rank 2, one broadcast dim
        backend.operator("conv")(x, w, np.ones((2, 1), np.float32), **attrs)


@pytest.mark.skipif(bool([d for d in jax.devices() if d.platform == "gpu"]), reason="a GPU is present")
def test_gpu_without_a_device_is_not_found():
    with pytest.raises(BackendNotFound, match="no gpu device"):
        make_backend("gpu")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv_transpose_translates_crops_output_padding_stride_dilation_groups_and_bias(
        check_transpose_translation, transpose_case, dtype):
    check_transpose_translation(backend, transpose_case, dtype)


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int32"])
def test_integer_conv_transpose_accumulates_into_the_spec_output_type(make_vector, dtype):
    vector = make_vector(dtype, (1, 2, 3, 4), (2, 1, 2, 2), op="conv_transpose", stride=[2, 1],
                         dilation=[1, 2], output_padding=[1, 1], padding=[[1, 0], [0, 2]], groups=2)
    assert run_vector(vector, backend).outcome is Outcome.PASS


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gradients_are_jax_vjp_and_equal_the_reference(check_gradient_translation, gradient_case, dtype):
    check_gradient_translation(backend, gradient_case, dtype)


def test_float64_gradients_stay_float64():
    dy = np.full((1, 1, 3), 1 + 2.0**-40)  # not representable in float32
    attrs = {"stride": (1,), "padding": ((0, 0),), "dilation": (1,), "groups": 1}
    dx = backend.operator("conv_grad_input")(dy, np.ones((1, 1, 1)), input_shape=(1, 1, 3), **attrs)
    assert dx.dtype == np.float64 and dx[0, 0, 0] == 1 + 2.0**-40
    assert backend.operator("conv_grad_bias")(dy)[0] == 3 * (1 + 2.0**-40)
