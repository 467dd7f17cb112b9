"""The generators, re-implemented from the text of spec/vectors.md alone (Python integers and exact
fractions, no NumPy), reproduce the check values written there and convspec's own generators.

convspec.conformance.generators is imported only to compare against, never to compute: the point
is that the text is enough to write an implementation in another language.
"""

from __future__ import annotations

import json
import math
import re
from fractions import Fraction

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from convspec import spec
from convspec.conformance.generators import generate

TEXT = (spec.ROOT / "vectors.md").read_text(encoding="utf-8")

# --- the generators, as spec/vectors.md defines them ---------------------------------------------

A = 6364136223846793005
B = 1442695040888963407


def draws(seed: int, count: int) -> list[int]:
    """u_1 .. u_count: state_i = (A*state_{i-1} + B) mod 2**64 from state_0 = seed mod 2**64."""
    state, out = seed % 2**64, []
    for _ in range(count):
        state = (A * state + B) % 2**64
        out.append(state // 2**32)
    return out


def arange(rule: dict, count: int) -> list[float]:
    a, s = float(rule.get("start", 0)), float(rule.get("step", 1))
    return [a + s * float(k) for k in range(count)]  # s*k rounded, then the sum rounded


def eye(shape: list[int]) -> list[float]:
    rows = math.prod(shape[1:])
    if shape[0] != rows:
        raise ValueError("eye needs shape[0] == the product of the other dimensions")
    return [1.0 if k // rows == k % rows else 0.0 for k in range(math.prod(shape))]


def uniform_int(rule: dict, count: int) -> list[float]:
    low, high = rule["low"], rule["high"]
    if low > high:
        raise ValueError("uniform_int needs low <= high")
    return [float(low + u * (high - low + 1) // 2**32) for u in draws(rule["seed"], count)]


def random_float_element(rule: dict, v1: int, v2: int, v3: int) -> tuple[int, int, int, float]:
    """(sign, e, m, element) of the element drawn as v1, v2, v3."""
    p, e0, e1 = rule["precision"], rule["exp_min"], rule["exp_max"]
    sign = v1 % 2 if rule.get("signed", True) else 0
    e = e0 + v2 * (e1 - e0 + 1) // 2**32
    m = 2 ** (p - 1) + v3 * 2 ** (p - 1) // 2**32
    exact = (-1) ** sign * m * Fraction(2) ** (e - p + 1)
    return sign, e, m, float(exact)  # Fraction -> float rounds to nearest, ties to even


def random_float(rule: dict, count: int) -> list[float]:
    p, e0, e1 = rule["precision"], rule["exp_min"], rule["exp_max"]
    if not (1 <= p <= 53 and -1074 <= e0 <= e1 <= 1023):
        raise ValueError("random_float needs 1 <= p <= 53 and -1074 <= exp_min <= exp_max <= 1023")
    u = draws(rule["seed"], 3 * count)
    return [random_float_element(rule, *u[3 * k:3 * k + 3])[3] for k in range(count)]


def from_text(rule: dict, shape: list[int]) -> list[float]:
    count = math.prod(shape)
    kind = rule["kind"]
    if kind == "arange":
        return arange(rule, count)
    if kind == "eye":
        return eye(shape)
    if kind == "uniform_int":
        return uniform_int(rule, count)
    if kind == "random_float":
        return random_float(rule, count)
    raise ValueError(f"spec/vectors.md defines no generator {kind!r}")


def bits(values) -> list[int]:
    """The binary64 bit patterns: equality that also tells -0.0 from 0.0."""
    return np.asarray(values, dtype=np.float64).ravel().view(np.int64).tolist()


# --- the check values, as spec/vectors.md writes them --------------------------------------------

def section(heading: str) -> str:
    """The text under ``heading`` up to the next heading of the same or a higher level."""
    level = len(heading) - len(heading.lstrip("#"))
    start = TEXT.index(heading + "\n")
    end = re.search(rf"^#{{1,{level}}} ", TEXT[start + len(heading):], re.M)
    return TEXT[start:start + len(heading) + (end.start() if end else len(TEXT))]


def tables(text: str) -> dict[tuple[str, ...], list[list[str]]]:
    """Markdown tables by their header: rows of cells, backticks stripped."""
    found: dict[tuple[str, ...], list[list[str]]] = {}
    for block in re.findall(r"(?:^\|.*\|\n)+", text, re.M):
        rows = [[c.strip().strip("`") for c in line.strip().strip("|").split("|")]
                for line in block.splitlines()]
        found[tuple(rows[0])] = rows[2:]  # rows[1] is the |---| line
    return found


def number(text: str) -> int | float:
    return int(text) if re.fullmatch(r"-?\d+", text) else float(text)


def numbers(cell: str) -> list[int | float]:
    return [number(v) for v in cell.split(",")]


CHECKS = tables(section("### Check values"))
DRAWS = CHECKS[("seed", "draws")]
STEPS = CHECKS[("k", "v1", "v2", "v3", "sign", "e", "m", "element")]
TENSORS = [(yaml.safe_load(rule), json.loads(shape), numbers(elements))
           for rule, shape, elements in CHECKS[("generate", "shape", "elements")]]
STEPPED_RULE = yaml.safe_load(re.search(r"The first two elements of `(\{kind: random_float[^`]*\})`",
                                        TEXT)[1])
KINDS = [g["properties"]["kind"]["const"] for g in spec.schema()["$defs"]["generator"]["oneOf"]]


def test_the_tables_hold_check_values_for_every_generator_of_the_schema():
    assert len(DRAWS) >= 3 and len(STEPS) >= 2
    assert {rule["kind"] for rule, _, _ in TENSORS} == set(KINDS)


@pytest.mark.parametrize("kind", KINDS)
def test_the_text_defines_every_field_of_each_generator(kind):
    text = section(f"### `{kind}`")
    fields = next(g for g in spec.schema()["$defs"]["generator"]["oneOf"]
                  if g["properties"]["kind"]["const"] == kind)["properties"]
    assert all(name in text for name in fields), kind


@pytest.mark.parametrize(("seed", "written"), DRAWS, ids=lambda v: str(v)[:20])
def test_the_draws_written_in_the_text(seed, written):
    expected = numbers(written)
    assert draws(int(seed), len(expected)) == expected


@pytest.mark.parametrize("row", STEPS, ids=lambda row: f"k={row[0]}")
def test_the_random_float_steps_written_in_the_text(row):
    k, v1, v2, v3, *parts, element = (number(cell) for cell in row)
    assert draws(STEPPED_RULE["seed"], 3 * k + 3)[3 * k:] == [v1, v2, v3]
    assert random_float_element(STEPPED_RULE, v1, v2, v3) == (*parts, element)


@pytest.mark.parametrize(("rule", "shape", "written"), TENSORS, ids=lambda v: str(v)[:60])
def test_the_elements_written_in_the_text(rule, shape, written):
    assert len(written) == math.prod(shape)
    assert bits(from_text(rule, shape)) == bits(written)
    assert bits(generate(rule, tuple(shape))) == bits(written)


# --- the text against convspec's generators ------------------------------------------------------

SHAPES = st.lists(st.integers(1, 5), min_size=1, max_size=4)
SEEDS = st.integers(0, 2**70)
rules = st.one_of(
    st.fixed_dictionaries({"kind": st.just("arange")}, optional={
        "start": st.one_of(st.integers(-1000, 1000), st.floats(-1e6, 1e6)),
        "step": st.one_of(st.integers(-100, 100), st.floats(-1e3, 1e3))}),
    st.builds(lambda low, span, seed: {"kind": "uniform_int", "seed": seed, "low": low,
                                       "high": min(low + span, 2**31)},
              st.integers(-(2**31), 2**31), st.integers(0, 2**33), SEEDS),
    st.builds(lambda p, e0, span, seed, signed: {
        "kind": "random_float", "seed": seed, "precision": p, "exp_min": e0,
        "exp_max": min(e0 + span, 1023), **({} if signed is None else {"signed": signed})},
        st.integers(1, 53), st.integers(-1074, 1023), st.integers(0, 2097), SEEDS,
        st.none() | st.booleans()),
)


@settings(max_examples=300, deadline=None)
@given(rules, SHAPES)
def test_the_text_reproduces_convspecs_generators(rule, shape):
    assert bits(from_text(rule, shape)) == bits(generate(rule, tuple(shape)))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=0, max_size=3))
def test_eye_from_the_text(rest):
    shape = [math.prod(rest), *rest]
    assert bits(from_text({"kind": "eye"}, shape)) == bits(generate({"kind": "eye"}, tuple(shape)))


@pytest.mark.parametrize("count", [682, 683, 2047, 2048, 2049, 5000])
def test_long_sequences(count):
    """convspec computes long runs of draws by another method (doubling) than short ones."""
    ints = {"kind": "uniform_int", "seed": 2**64 - 3, "low": -(2**31), "high": 2**31}
    floats = {"kind": "random_float", "seed": 11, "precision": 53, "exp_min": -1074, "exp_max": 1023}
    for rule in (ints, floats):
        assert bits(from_text(rule, [count])) == bits(generate(rule, (count,)))


@pytest.mark.parametrize(("rule", "shape"), [
    ({"kind": "eye"}, [2, 3]),
    ({"kind": "eye"}, [3]),
    ({"kind": "uniform_int", "seed": 0, "low": 1, "high": 0}, [2]),
    ({"kind": "random_float", "seed": 0, "precision": 8, "exp_min": 1, "exp_max": 0}, [2]),
])
def test_rules_the_text_calls_invalid_are_refused(rule, shape):
    with pytest.raises(ValueError):
        from_text(rule, shape)
    with pytest.raises(ValueError):
        generate(rule, tuple(shape))
