"""The operators own their logic: one module each, one interface, no operator branches elsewhere."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import numpy as np
import pytest

from convspec.conformance.backends import Backend
from convspec.conformance.backends.numpy import conv as numpy_conv
from convspec.conformance.ops import OPERATORS, Operator, operator
from convspec.conformance.ops.conv import ConvAttributes

ROOT = Path(__file__).parents[3]
# A branch on an operator's name: `op == "conv"`, `vector.op != 'pad'`, `call.op in ("conv", ...)`.
BRANCH = re.compile(r"""(?<!for )\bop\s*(==|!=|\bin\b|\bnot in\b)\s*[\"'(\[{]""")


def _python_files_outside_ops():
    ops = ROOT / "conformance" / "ops"
    for folder in ("conformance", "reference", "spec", "benchmarks", "docs/hooks"):
        yield from (path for path in sorted((ROOT / folder).rglob("*.py")) if ops not in path.parents)


def test_no_operator_branch_outside_the_operator_modules():
    found = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}" for path in _python_files_outside_ops()
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if BRANCH.search(line)]
    assert found == [], "operator branches belong in conformance/ops/:\n" + "\n".join(found)


def test_the_branch_pattern_sees_the_branches_it_forbids():
    for line in ('if vector.op == "conv":', "elif call.op != 'pad':", 'if v.op in ("conv", "pad"):'):
        assert BRANCH.search(line), line
    assert not BRANCH.search("if vector.operator is CONV:")
    assert not BRANCH.search("names = {op.name for op in (CONV, PAD)}")  # a loop, not a branch


@pytest.mark.parametrize("name", sorted(OPERATORS))
def test_every_operator_implements_the_whole_interface(name):
    op = operator(name)
    assert isinstance(op, Operator) and op.name == name and op.title
    assert not inspect.isabstract(type(op))
    assert set(op.required) & set(op.optional) == set()
    assert set(op.per_axis) <= set(op.attribute_names)


def test_an_unknown_operator_is_named_in_the_error():
    expected = r"unknown operator 'deconv'; expected one of conv, pad, conv_transpose"
    with pytest.raises(ValueError, match=expected):
        operator("deconv")


def test_a_backend_object_without_an_operator_reports_it_unsupported(corpus):
    class OnlyPad:
        @staticmethod
        def pad(x, padding):
            return np.pad(x, [(0, 0), (0, 0), *padding])

    backend = Backend(name="only-pad", implementation=OnlyPad())
    conv_vector = next(v for v in corpus if v.op == "conv" and v.expected_error is None)
    pad_vector = next(v for v in corpus if v.op == "pad")
    assert backend.unsupported(conv_vector.call) == "only-pad has no operator 'conv'"
    assert backend.unsupported(pad_vector.call) is None


def test_a_bare_callable_is_a_conv_and_pads_through_it(corpus):
    backend = Backend(name="callable", implementation=numpy_conv)
    assert backend.operator("conv") is numpy_conv and backend.operator("pad") is None
    pad_vector = next(v for v in corpus if v.op == "pad")
    out = backend.run(pad_vector.call, pad_vector.arrays())
    np.testing.assert_array_equal(out, pad_vector.expectation().values)


def test_pad_through_conv_is_a_depthwise_unit_kernel_call(corpus):
    pad_vector = next(v for v in corpus if v.op == "pad" and v.inputs["x"]["shape"][1] > 1)
    conv_call = operator("pad").through_conv(pad_vector.call)
    channels, rank = pad_vector.inputs["x"]["shape"][1], pad_vector.rank
    assert conv_call.op == "conv" and conv_call.shape("w") == (channels, 1) + (1,) * rank
    assert conv_call.attributes == ConvAttributes((1,) * rank, pad_vector.call.attributes.padding,
                                                  (1,) * rank, channels)
