"""The output-size calculator of the docs (docs/javascripts/output-size.js) against the Python rules.

The script's two functions run under Node on a grid of arguments, conv and transposed, explicit
padding and every named mode; each answer, or its refusal, must be what the reference and the
runner's resolution of conv_transpose give. Skips without Node.
"""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from convspec.conformance.ops.conv_transpose import OPERATOR as CONV_TRANSPOSE
from convspec.reference import conv_transpose_output_size, output_size, resolve_padding

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "javascripts" / "output-size.js"
NODE = shutil.which("node") or shutil.which("nodejs")
MODES = ("explicit", "valid", "same_upper", "same_lower")
GRID = [case for case in itertools.product(range(1, 7), range(1, 5), range(1, 4), range(1, 3), MODES,
                                           range(3), range(3), range(3))
        if case[4] == "explicit" or case[5:7] == (0, 0)]

pytestmark = pytest.mark.skipif(NODE is None, reason="Node is not installed")


def run_in_node(function: str, cases: list[tuple]) -> list[dict]:
    program = (f"const calc = require({json.dumps(str(SCRIPT))});"
               "const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
               f"process.stdout.write(JSON.stringify(cases.map(c => calc.{function}(...c))));")
    proc = subprocess.run([NODE, "-e", program], input=json.dumps(cases), capture_output=True, text=True,
                          timeout=60, check=True)
    return json.loads(proc.stdout)


def python_conv(w, f, s, d, mode, p0, p1) -> int | None:
    try:
        pad = (p0, p1) if mode == "explicit" else resolve_padding(mode, [w], [f], [s], [d])[0]
        return output_size(w, f, s, tuple(pad), d)
    except ValueError:
        return None


def python_transpose(w, f, s, d, mode, p0, p1, op) -> tuple[int, int, int, int] | None:
    written = {"stride": s, "dilation": d, "output_padding": op,
               "padding": [[p0, p1]] if mode == "explicit" else mode}
    a = CONV_TRANSPOSE.resolve(written, {"x": (1, 1, w), "w": (1, 1, f)})
    (b, e), = a.padding
    try:
        return conv_transpose_output_size(w, f, s, (b, e), a.output_padding[0], d), b, e, a.output_padding[0]
    except ValueError:
        return None


def test_conv_mode_agrees_with_the_reference():
    cases = sorted({case[:7] for case in GRID})
    for case, got in zip(cases, run_in_node("compute", cases), strict=True):
        expected = python_conv(*case)
        assert (got.get("out") if "error" not in got else None) == expected, (case, got)


def test_transposed_mode_agrees_with_the_reference_and_the_runner():
    results = run_in_node("computeTranspose", GRID)
    refused = 0
    for case, got in zip(GRID, results, strict=True):
        expected = python_transpose(*case)
        if expected is None:
            refused += 1
            assert "error" in got, (case, got)
        else:
            assert "error" not in got, (case, got)
            assert (got["out"], got["p0"], got["p1"], got["outputPadding"]) == expected, (case, got)
    assert 0 < refused < len(GRID) / 2  # the grid reaches both answers


def test_transposed_mode_shows_its_work():
    got, = run_in_node("computeTranspose", [(3, 3, 2, 1, "explicit", 1, 1, 1)])
    assert got["out"] == 6
    assert "(3 - 1)*2 + 1*(3 - 1) + 1 + 1 = 8" in got["work"] and "8 - 1 - 1 = 6" in got["work"]
