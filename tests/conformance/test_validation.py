"""Checking vectors: schema violations, then validation.py's checks, each as a one-line problem.

Every bad input is the valid minimal vector below with one change, written to a YAML file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from convspec.conformance.errors import VectorFileError, VectorProblem
from convspec.conformance.loading import load_file

VID = "tiny/one"


def minimal_vector() -> dict:
    """A valid 2-D conv: 3x3 input 1..9, 2x2 kernel [[1, 0], [0, 1]] -> 2x2 output."""
    return {
        "id": VID,
        "title": "A tiny valid convolution",
        "source": "written for the validation tests",
        "catches": ["kernel-flip"],
        "op": "conv",
        "dtype": "float32",
        "inputs": {
            "x": {"shape": [1, 1, 3, 3], "data": [[1, 2, 3], [4, 5, 6], [7, 8, 9]]},
            "w": {"shape": [1, 1, 2, 2], "data": [[1, 0], [0, 1]]},
        },
        "expected": {"shape": [1, 1, 2, 2], "data": [[6, 8], [12, 14]]},
    }


def write_file(tmp_path: Path, vectors: list[dict]) -> Path:
    document = {
        "format": "convspec-vectors/1",
        "topic": "tiny",
        "description": "Vectors written by a test.",
        "vectors": vectors,
    }
    path = tmp_path / "vectors.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


def write_modified(tmp_path: Path, change: Callable[[dict], object]) -> Path:
    vector = minimal_vector()
    change(vector)
    return write_file(tmp_path, [vector])


def problems(path: Path) -> list[VectorProblem]:
    with pytest.raises(VectorFileError) as info:
        load_file(path)
    return info.value.problems


def only_problem(path: Path) -> str:
    found = problems(path)
    assert len(found) == 1, [str(p) for p in found]
    text = str(found[0])
    assert "\n" not in text
    return text


def prefix(path: Path, field: str | None = None, vid: str = VID) -> str:
    """The start of a problem line: file, vector id, field path."""
    return f"{path}: vector {vid!r}: " + (f"field {field}: " if field else "")


def set_in(mapping: dict, *keys, value) -> None:
    for key in keys[:-1]:
        mapping = mapping[key]
    mapping[keys[-1]] = value


def without_data(tensor: dict, generate: dict) -> None:
    del tensor["data"]
    tensor["generate"] = generate


def loads(tmp_path: Path, change: Callable[[dict], object]) -> list:
    return load_file(write_modified(tmp_path, change))


# --- the baseline every other test modifies -----------------------------------------------------

def test_minimal_vector_is_valid(tmp_path):
    [vector] = load_file(write_file(tmp_path, [minimal_vector()]))
    assert vector.id == VID
    assert vector.output_shape() == (1, 1, 2, 2)


# --- schema violations ----------------------------------------------------------------------------

def test_unknown_vector_field_is_named(tmp_path):
    path = write_modified(tmp_path, lambda v: v.update(colour="red"))
    text = only_problem(path)
    assert text.startswith(prefix(path))
    assert "'colour' was unexpected" in text


def test_unknown_field_inside_a_tensor_names_the_tensor(tmp_path):
    path = write_modified(tmp_path, lambda v: set_in(v, "inputs", "x", "colour", value="red"))
    text = only_problem(path)
    assert text.startswith(prefix(path, "inputs.x"))
    assert "'colour' was unexpected" in text


def test_unknown_top_level_field_is_named_without_a_vector(tmp_path):
    path = write_file(tmp_path, [minimal_vector()])
    document = yaml.safe_load(path.read_text())
    document["author"] = "someone"
    path.write_text(yaml.safe_dump(document))
    text = only_problem(path)
    assert text.startswith(f"{path}: ")
    assert "vector '" not in text
    assert "'author' was unexpected" in text


def test_wrong_type_names_field_and_expected_type(tmp_path):
    path = write_modified(tmp_path, lambda v: v.update(catches="kernel-flip"))
    assert only_problem(path) == prefix(path, "catches") + "'kernel-flip' is not of type 'array'"


def test_wrong_type_inside_a_shape_names_the_index(tmp_path):
    path = write_modified(tmp_path, lambda v: set_in(v, "inputs", "x", "shape", 2, value="3"))
    assert only_problem(path) == prefix(path, "inputs.x.shape[2]") + (
        "'3' is not of type 'integer'")


def test_missing_required_catches_is_reported(tmp_path):
    path = write_modified(tmp_path, lambda v: v.pop("catches"))
    text = only_problem(path)
    assert text.startswith(prefix(path))
    assert "'catches' is a required property" in text


def test_missing_input_x_is_reported_under_inputs(tmp_path):
    path = write_modified(tmp_path, lambda v: v["inputs"].pop("x"))
    assert only_problem(path) == prefix(path, "inputs.x") + "op 'conv' needs an input x"


@pytest.mark.parametrize("dim", [0, -1])
def test_non_positive_dim_in_input_shape_is_refused(tmp_path, dim):
    path = write_modified(tmp_path, lambda v: set_in(v, "inputs", "x", "shape", 1, value=dim))
    assert only_problem(path) == prefix(path, "inputs.x.shape[1]") + (
        f"{dim} is less than the minimum of 1")


def test_zero_dim_in_expected_shape_is_refused(tmp_path):
    path = write_modified(tmp_path, lambda v: set_in(v, "expected", "shape", 3, value=0))
    assert only_problem(path) == prefix(path, "expected.shape[3]") + (
        "0 is less than the minimum of 1")


def test_unknown_dtype_lists_the_allowed_ones(tmp_path):
    path = write_modified(tmp_path, lambda v: v.update(dtype="int4"))
    assert only_problem(path) == prefix(path, "dtype") + (
        "'int4' is not one of ['float64', 'float32', 'float16', 'bfloat16', 'int8', 'uint8', 'int32']")


def test_unknown_op_lists_the_allowed_ones(tmp_path):
    path = write_modified(tmp_path, lambda v: v.update(op="deconv"))
    assert only_problem(path) == (prefix(path, "op")
                                  + "'deconv' is not one of ['conv', 'pad', 'conv_transpose', "
                                  "'conv_grad_input', 'conv_grad_weight', 'conv_grad_bias']")


def test_bad_padding_mode_lists_the_allowed_modes(tmp_path):
    path = write_modified(tmp_path, lambda v: v.update(attributes={"padding": "same"}))
    assert only_problem(path) == prefix(path, "attributes.padding") + (
        "'same' is not one of ['valid', 'same_upper', 'same_lower']")


def test_tensor_with_both_data_and_generate_is_refused(tmp_path):
    path = write_modified(
        tmp_path, lambda v: set_in(v, "inputs", "x", "generate", value={"kind": "eye"}))
    assert only_problem(path).startswith(prefix(path, "inputs.x"))


def test_every_schema_violation_is_reported(tmp_path):
    path = write_modified(tmp_path, lambda v: v.update(dtype="int4", op="deconv"))
    texts = [str(p) for p in problems(path)]
    assert texts == [
        prefix(path, "dtype")
        + "'int4' is not one of ['float64', 'float32', 'float16', 'bfloat16', 'int8', 'uint8', 'int32']",
        prefix(path, "op") + "'deconv' is not one of ['conv', 'pad', 'conv_transpose', 'conv_grad_input', "
                             "'conv_grad_weight', 'conv_grad_bias']",
    ]


def test_schema_problem_in_a_later_vector_names_that_vector(tmp_path):
    second = minimal_vector()
    second["id"] = "tiny/two"
    second["dtype"] = "int4"
    path = write_file(tmp_path, [minimal_vector(), second])
    assert only_problem(path).startswith(prefix(path, "dtype", vid="tiny/two"))


def test_vector_without_a_string_id_is_named_by_position(tmp_path):
    path = write_modified(tmp_path, lambda v: v.update(id=5))
    assert only_problem(path) == prefix(path, "id", vid="#0") + "5 is not of type 'string'"


# --- semantic checks: inputs ----------------------------------------------------------------------

def test_data_length_not_matching_shape_is_refused(tmp_path):
    path = write_modified(tmp_path, lambda v: set_in(v, "inputs", "x", "data", value=[1] * 8))
    assert only_problem(path) == prefix(path, "inputs.x") + (
        "has 8 values but shape [1, 1, 3, 3] needs 9")


def test_value_not_representable_in_float32_is_refused(tmp_path):
    path = write_modified(tmp_path, lambda v: set_in(v, "inputs", "x", "data", 0, 0, value=0.1))
    text = only_problem(path)
    assert text.startswith(prefix(path, "inputs.x.data"))
    assert "0.1" in text
    assert "at index [0, 0, 0, 0] is not representable in float32" in text
    assert "0.10000000149011612" in text  # what float32 would make of it


def test_value_not_representable_in_float16_is_refused(tmp_path):
    def change(v):
        v["dtype"] = "float16"
        v["inputs"]["x"]["data"][1][2] = 70000

    path = write_modified(tmp_path, change)
    text = only_problem(path)
    assert text.startswith(prefix(path, "inputs.x.data"))
    assert "70000" in text
    assert "at index [0, 0, 1, 2] is not representable in float16" in text
    assert "inf" in text


def test_weight_not_representable_is_reported_under_w(tmp_path):
    path = write_modified(tmp_path, lambda v: set_in(v, "inputs", "w", "data", 0, 1, value=0.1))
    assert only_problem(path).startswith(prefix(path, "inputs.w.data"))


@pytest.mark.parametrize(("dtype", "value"), [
    ("float32", 0.5),
    ("float32", 0.10000000149011612),  # the float32 nearest 0.1, written out
    ("float16", 65504),  # the largest finite float16
    ("float64", 0.1),
    ("float16", "nan"),
    ("float16", "-inf"),
])
def test_representable_values_are_accepted(tmp_path, dtype, value):
    def change(v):
        v["dtype"] = dtype
        v["inputs"]["x"]["data"][0][0] = value

    assert len(loads(tmp_path, change)) == 1


def test_x_with_two_dims_is_refused(tmp_path):
    def change(v):
        v["inputs"]["x"] = {"shape": [1, 9], "data": list(range(9))}

    path = write_modified(tmp_path, change)
    assert only_problem(path) == prefix(path, "inputs.x.shape") + (
        "expected 3 to 5 dims (N, C, 1-3 spatial), got 2")


def test_bad_generator_is_reported_under_its_tensor(tmp_path):
    path = write_modified(tmp_path, lambda v: without_data(v["inputs"]["x"], {"kind": "eye"}))
    text = only_problem(path)
    assert text.startswith(prefix(path, "inputs.x"))
    assert "'eye' needs shape[0] == product of the other dims" in text


def test_generated_inputs_are_accepted(tmp_path):
    def change(v):
        without_data(v["inputs"]["x"], {"kind": "arange", "start": 1})
        without_data(v["inputs"]["w"], {"kind": "uniform_int", "seed": 0, "low": -2, "high": 2})
        del v["expected"]["data"]

    [vector] = loads(tmp_path, change)
    assert vector.arrays()["x"][0, 0, 2, 2] == 9


# --- semantic checks: op and inputs ---------------------------------------------------------------

def test_conv_without_w_is_refused(tmp_path):
    path = write_modified(tmp_path, lambda v: v["inputs"].pop("w"))
    assert only_problem(path) == prefix(path, "inputs.w") + "op 'conv' needs an input w"


def test_pad_op_with_w_is_refused(tmp_path):
    path = write_modified(tmp_path, lambda v: v.update(op="pad"))
    assert only_problem(path) == prefix(path, "inputs.w") + "op 'pad' takes only x"


def test_pad_op_with_a_stride_is_refused(tmp_path):
    def change(v):
        v.update(op="pad", attributes={"padding": 1, "stride": 2})
        del v["inputs"]["w"]

    path = write_modified(tmp_path, change)
    assert only_problem(path) == prefix(path, "attributes.stride") + (
        "op 'pad' takes only the attributes padding")


def test_pad_op_with_only_x_is_accepted(tmp_path):
    def change(v):
        v.update(op="pad", attributes={"padding": 1})
        del v["inputs"]["w"]
        v["expected"] = {"shape": [1, 1, 5, 5]}

    [vector] = loads(tmp_path, change)
    assert vector.output_shape() == (1, 1, 5, 5)


# --- semantic checks: attributes and the output-size rule ---------------------------------------

@pytest.mark.parametrize(("name", "value", "count"), [
    ("stride", [1, 1, 1], 3),
    ("dilation", [1], 1),
    ("padding", [[0, 0]], 1),
])
def test_attribute_with_wrong_number_of_axes_is_refused(tmp_path, name, value, count):
    path = write_modified(tmp_path, lambda v: v.update(attributes={name: value}))
    assert only_problem(path) == prefix(path, f"attributes.{name}") + (
        f"has {count} entries, expected one per spatial axis (2)")


def three_channels(v: dict, groups: int, out_channels: int, in_per_group: int) -> None:
    v["attributes"] = {"groups": groups}
    v["inputs"]["x"] = {"shape": [1, 3, 3, 3], "generate": {"kind": "arange"}}
    v["inputs"]["w"] = {"shape": [out_channels, in_per_group, 2, 2], "generate": {"kind": "arange"}}
    v["expected"] = {"shape": [1, out_channels, 2, 2]}


def test_groups_not_dividing_channels_is_refused(tmp_path):
    path = write_modified(tmp_path, lambda v: three_channels(v, 2, 2, 1))
    text = only_problem(path)
    assert text.startswith(prefix(path, "attributes"))
    assert "input channels 3 are not divisible by groups 2" in text


def test_groups_dividing_channels_are_accepted(tmp_path):
    [vector] = loads(tmp_path, lambda v: three_channels(v, 3, 3, 1))
    assert vector.call.attributes.groups == 3


def test_kernel_larger_than_input_is_refused(tmp_path):
    def change(v):
        v["inputs"]["w"] = {"shape": [1, 1, 4, 4], "generate": {"kind": "arange"}}

    path = write_modified(tmp_path, change)
    text = only_problem(path)
    assert text.startswith(prefix(path, "attributes"))
    assert "output size < 1" in text


def test_expected_shape_contradicting_output_size_rule_is_refused(tmp_path):
    def change(v):
        v["expected"] = {"shape": [1, 1, 3, 3]}

    path = write_modified(tmp_path, change)
    assert only_problem(path) == prefix(path, "expected.shape") + (
        "is [1, 1, 3, 3] but the output-size rule gives [1, 1, 2, 2]")


@pytest.mark.parametrize(("attributes", "shape"), [
    ({"stride": 2}, [1, 1, 1, 1]),  # floor((3 - 2) / 2) + 1 = 1
    ({"padding": 1}, [1, 1, 4, 4]),  # 3 + 2 - 2 + 1 = 4
    ({"padding": "same_upper"}, [1, 1, 3, 3]),
    ({"padding": [[1, 0], [0, 0]]}, [1, 1, 3, 2]),
    ({"dilation": 2, "padding": 1}, [1, 1, 3, 3]),  # 3 + 2 - 2*1 - 1 + 1 = 3
])
def test_expected_shape_follows_the_output_size_rule(tmp_path, attributes, shape):
    def change(v):
        v["attributes"] = attributes
        v["expected"] = {"shape": shape}

    assert len(loads(tmp_path, change)) == 1


def test_stride_2_with_the_stride_1_shape_is_refused(tmp_path):
    path = write_modified(tmp_path, lambda v: v.update(attributes={"stride": 2}))
    assert only_problem(path) == prefix(path, "expected.shape") + (
        "is [1, 1, 2, 2] but the output-size rule gives [1, 1, 1, 1]")


def test_expected_data_length_not_matching_its_shape_is_refused(tmp_path):
    path = write_modified(tmp_path, lambda v: set_in(v, "expected", "data", value=[6, 8, 12]))
    assert only_problem(path) == prefix(path, "expected.data") + (
        "has 3 values but shape [1, 1, 2, 2] needs 4")


# --- semantic checks: windows ---------------------------------------------------------------------

def with_windows(v: dict, *windows: tuple[list[int], list[str]], legend: bool = True) -> None:
    if legend:
        v["legend"] = {"letters_from": 1}  # x holds 1..9, shown as A..I
    v["windows"] = [{"at": at, "covers": covers} for at, covers in windows]


def test_windows_matching_the_indexing_rule_are_accepted(tmp_path):
    [vector] = loads(tmp_path, lambda v: with_windows(
        v, ([0, 0], ["A", "B", "D", "E"]), ([1, 1], ["E", "F", "H", "I"])))
    assert len(vector.windows) == 2


def test_window_covers_contradicting_the_indexing_rule_are_refused(tmp_path):
    path = write_modified(tmp_path, lambda v: with_windows(
        v, ([0, 0], ["A", "B", "D", "E"]), ([0, 1], ["A", "B", "D", "E"])))
    assert only_problem(path) == prefix(path, "windows[1].covers") + (
        "the window at [0, 1] covers B C E F by the indexing rule, not A B D E")


def test_flipped_window_covers_are_refused(tmp_path):
    path = write_modified(tmp_path, lambda v: with_windows(v, ([0, 0], ["E", "D", "B", "A"])))
    assert only_problem(path).startswith(prefix(path, "windows[0].covers"))


def test_padded_window_covers_zero_labels_before_the_input(tmp_path):
    def change(v):
        v["attributes"] = {"padding": 1}
        v["expected"] = {"shape": [1, 1, 4, 4]}
        with_windows(v, ([0, 0], ["0", "0", "0", "A"]), ([3, 3], ["I", "0", "0", "0"]))

    assert len(loads(tmp_path, change)) == 1


def test_padded_window_written_without_the_padding_offset_is_refused(tmp_path):
    def change(v):
        v["attributes"] = {"padding": 1}
        v["expected"] = {"shape": [1, 1, 4, 4]}
        with_windows(v, ([0, 0], ["A", "B", "D", "E"]))

    path = write_modified(tmp_path, change)
    assert only_problem(path) == prefix(path, "windows[0].covers") + (
        "the window at [0, 0] covers 0 0 0 A by the indexing rule, not A B D E")


def test_strided_window_covers_follow_the_stride(tmp_path):
    def change(v):
        v["inputs"]["x"] = {"shape": [1, 1, 5, 5], "generate": {"kind": "arange", "start": 1}}
        v["inputs"]["w"] = {"shape": [1, 1, 3, 3], "generate": {"kind": "arange"}}
        v["attributes"] = {"stride": 2}
        v["expected"] = {"shape": [1, 1, 2, 2]}
        with_windows(v, ([0, 1], ["C", "D", "E", "H", "I", "J", "M", "N", "O"]))

    assert len(loads(tmp_path, change)) == 1


def test_windows_without_legend_are_refused(tmp_path):
    path = write_modified(
        tmp_path, lambda v: with_windows(v, ([0, 0], ["A", "B", "D", "E"]), legend=False))
    assert only_problem(path) == prefix(path, "windows") + "needs a legend to name the input values"


@pytest.mark.parametrize("at", [[2, 0], [0, 0, 0], [0]])
def test_window_outside_the_output_is_refused(tmp_path, at):
    path = write_modified(tmp_path, lambda v: with_windows(v, (at, ["A"])))
    assert only_problem(path) == prefix(path, "windows[0].at") + (
        f"{at} is not an output position of shape [2, 2]")


# --- regressions: inputs that once crashed or gave misleading messages ---------------------------

@pytest.mark.parametrize(("change", "field"), [
    (lambda v: set_in(v, "inputs", "x", "shape", 1, value=1.0), "inputs.x.shape[1]"),
    (lambda v: v.update(attributes={"stride": 1.0}), "attributes.stride"),
    (lambda v: v.update(attributes={"padding": 0.0}), "attributes.padding"),
    (lambda v: without_data(v["inputs"]["x"],
                            {"kind": "uniform_int", "seed": 0.0, "low": 0, "high": 3}),
     "inputs.x.generate.seed"),
    (lambda v: with_windows(v, ([0.0, 0], ["A", "B", "D", "E"])), "windows[0].at[0]"),
], ids=["shape", "stride", "padding", "seed", "window-at"])
def test_integer_valued_float_is_refused_naming_the_field(tmp_path, change, field):
    # JSON Schema counts 1.0 as an integer; the loader must not pass it on to code that crashes.
    path = write_modified(tmp_path, change)
    assert only_problem(path).startswith(prefix(path, field))


@pytest.mark.parametrize(("change", "field", "words"), [
    (lambda v: v.update(attributes={"stride": 0}), "attributes.stride", "minimum of 1"),
    (lambda v: v.update(attributes={"padding": [[1, -1], [0, 0]]}),
     "attributes.padding[0][1]", "minimum of 0"),
    (lambda v: without_data(v["inputs"]["x"],
                            {"kind": "uniform_int", "seed": -1, "low": 0, "high": 3}),
     "inputs.x.generate.seed", "minimum of 0"),
    (lambda v: without_data(v["inputs"]["x"], {"kind": "arange", "start": "a"}),
     "inputs.x.generate.start", "not of type 'number'"),
    (lambda v: set_in(v, "inputs", "x", "data", 1, 2, value="x"),
     "inputs.x.data[1][2]", "'x'"),
], ids=["stride-0", "negative-pad", "negative-seed", "string-start", "nested-data"])
def test_one_of_violation_names_the_failing_constraint(tmp_path, change, field, words):
    path = write_modified(tmp_path, change)
    text = only_problem(path)
    assert text.startswith(prefix(path, field))
    assert words in text


def test_representability_message_shows_plain_numbers(tmp_path):
    path = write_modified(tmp_path, lambda v: set_in(v, "inputs", "x", "data", 0, 0, value=0.1))
    text = only_problem(path)
    assert "np.float64" not in text
    assert "value 0.1 at index [0, 0, 0, 0]" in text
    assert "(it would become 0.10000000149011612)" in text


def _integer_vector(dtype: str, value: int, channels: int, width: int) -> dict:
    fill = {"kind": "uniform_int", "seed": 1, "low": value, "high": value}
    return {"id": "range/overflow", "title": "t", "source": "s", "catches": ["int-accumulate-narrow"],
            "op": "conv", "dtype": dtype,
            "inputs": {"x": {"shape": [1, channels, width], "generate": fill},
                       "w": {"shape": [1, channels, width], "generate": fill}},
            "expected": {"shape": [1, 1, 1]}}


def test_an_integer_result_that_does_not_fit_the_output_type_is_refused(tmp_path):
    # 127 * 127 * 133200 = 2148 382 800 > 2**31 - 1: no int32 output can hold it
    path = write_file(tmp_path, [_integer_vector("int8", 127, 1332, 100)])
    assert only_problem(path) == prefix(path, "inputs", vid="range/overflow") + (
        "the exact result 2148382800 at [0, 0, 0] does not fit the output type int32")


def test_an_integer_magnitude_beyond_int64_is_refused(tmp_path):
    path = write_file(tmp_path, [_integer_vector("int32", 2**31 - 1, 1, 3)])
    assert only_problem(path).endswith("beyond the exact int64 range")


def test_an_integer_result_just_inside_the_output_type_is_valid(tmp_path):
    # 127 * 127 * 133100 = 2146 769 900 <= 2**31 - 1
    assert load_file(write_file(tmp_path, [_integer_vector("int8", 127, 1331, 100)]))
