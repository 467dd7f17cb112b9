"""Each metamorphic law holds for the correct NumPy backend and is broken by a faulty one.

The laws use the backend alone (no reference); small-integer inputs make them exact, so a broken
law is a wrong convolution, never rounding.
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from convspec.conformance import Backend
from convspec.conformance.backends.numpy import conv as correct
from convspec.conformance.fuzz.engine import FuzzConfig, fuzz_laws
from convspec.conformance.fuzz.metamorphic import LAWS, LAWS_BY_NAME, combined_kernel, law_calls, spread

# law -> a faulty backend that breaks it, and the dtypes to search (None: every one the law takes)
BREAKERS = {
    "linearity-x": ("uint8_as_int8", ("uint8",)),  # x1 + x2 >= 128 reads negative; each alone does not
    "linearity-w": ("uint8_as_int8", ("uint8",)),
    "padding": ("padding_nonzero", None),
    "stride": ("stride_ignored", None),
    "groups": ("groups_interleaved", None),
    "dilation": ("dilation_ignored", None),
    "stacked-3x3": ("channels_not_summed", None),
    "translation": ("stride_ignored", None),
}


def test_every_law_has_a_breaker():
    assert sorted(BREAKERS) == sorted(law.name for law in LAWS)


@pytest.mark.parametrize("law", [law.name for law in LAWS])
def test_the_law_holds_for_the_correct_backend(law):
    report = fuzz_laws(Backend(name="numpy", implementation=correct), FuzzConfig(examples=150, seed=3),
                       laws=(LAWS_BY_NAME[law],))
    assert report.law is None and not report.problem, report.law_message
    assert report.laws_checked == [law] and report.progress.counts["holds"] == 150


@pytest.mark.parametrize("law", sorted(BREAKERS))
def test_the_law_is_broken_by_a_faulty_backend(law, faulty_on_path):
    name, dtypes = BREAKERS[law]
    conv = getattr(importlib.import_module("faulty_backends"), name)
    report = fuzz_laws(Backend(name=name, implementation=conv),
                       FuzzConfig(examples=300, seed=1, dtypes=dtypes), laws=(LAWS_BY_NAME[law],))
    assert report.law is not None and report.law.name == law
    assert report.law_message and not report.law_message.startswith("the backend raised")
    case = report.law_case
    assert case.call.shape("x")[0] == 1 and case.call.rank == 1  # shrunk to one batch item, rank 1
    # the law's calls, as vectors, are what a reproducer is written from
    calls = law_calls(report.law, conv, case)
    assert calls and all(c.call.dtype == case.call.dtype for c in calls)


def test_combined_kernel_is_the_full_convolution_of_the_kernels():
    a, b, c = (np.array([[[1.0, 2.0, 3.0]]]), np.array([[[0.0, 1.0, -1.0]]]), np.array([[[2.0, 0.0, 1.0]]]))
    expected = np.convolve(np.convolve([1.0, 2.0, 3.0], [0.0, 1.0, -1.0]), [2.0, 0.0, 1.0])
    assert np.array_equal(combined_kernel(a, b, c)[0, 0], expected)
    x = np.arange(9.0).reshape(1, 1, 9)
    one = {"stride": (1,), "padding": ((0, 0),), "dilation": (1,), "groups": 1}
    stacked = correct(correct(correct(x, a, **one), b, **one), c, **one)
    assert np.array_equal(stacked, correct(x, combined_kernel(a, b, c), **one))


def test_spread_puts_dilation_minus_one_zeros_between_taps():
    w = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    assert np.array_equal(spread(w, (2, 3))[0, 0], [[1, 0, 0, 2], [0, 0, 0, 0], [3, 0, 0, 4]])
