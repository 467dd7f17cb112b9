"""The pytest plugin collects one test per vector, named by the vector id."""

import os
from pathlib import Path

FAULTY = Path(__file__).parents[1] / "faulty"


def _run(pytester, *args):
    pytester.makepyfile(test_own="def test_own():\n    assert True\n")
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)


def test_silent_without_a_backend(pytester):
    result = _run(pytester)
    result.assert_outcomes(passed=1)


def test_one_test_per_vector_against_the_numpy_backend(pytester, corpus):
    result = _run(pytester, "--convspec-backend", "numpy", "-v")
    result.assert_outcomes(passed=len(corpus) + 1)
    result.stdout.fnmatch_lines(["*::notes/convolution/minus-60 PASSED*"])


def test_failures_show_the_runners_line(pytester, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(FAULTY), os.environ.get("PYTHONPATH", "")]))
    result = _run(pytester, "--convspec-backend", "faulty_backends:kernel_flip", "-k", "minus-60")
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines(["*got 60, expected -60*"])


def test_ini_option_and_expected_failures(pytester, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(FAULTY), os.environ.get("PYTHONPATH", "")]))
    pytester.makeini("[pytest]\nconvspec_backend = faulty_backends:kernel_flip\n")
    xfail = pytester.path / "xfail.yaml"
    xfail.write_text("- {id: notes/convolution/minus-60, reason: flips on purpose}\n")
    result = _run(pytester, "-k", "minus-60", "--convspec-expected-failures", str(xfail))
    result.assert_outcomes(failed=2, xfailed=1)


def test_unsupported_vectors_are_skipped_with_the_reason(pytester):
    pytester.makepyfile(only_f64="""
from convspec.conformance import Backend
from convspec.conformance.backends.numpy import conv
backend = Backend(name="f64", implementation=conv, dtypes=frozenset({"float64"}))
""")
    result = _run(pytester, "--convspec-backend", "only_f64:backend", "-k", "minus-60", "-rs")
    result.assert_outcomes(passed=1, skipped=2)
    result.stdout.fnmatch_lines(["*unsupported: dtype float32 not supported by f64*"])
