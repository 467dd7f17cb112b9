"""convspec's performance benchmarks: each figure beside its target, measured side by side in one run.

    python -m benchmarks            (from the repository root)
    python benchmarks/run.py        (the same)
    python benchmarks/run.py --large          also the 10**8-element output (a few minutes)
    python benchmarks/run.py --only speed,memory
    python benchmarks/run.py --only transpose-speed,transpose-memory
    python benchmarks/run.py --only gradient-speed --repeat 15

Exits 1 when a measured target is missed, 0 otherwise. A figure that cannot be measured here (torch
not installed) is printed as "skipped" and does not fail the run. No pytest; torch is optional.
"""

from __future__ import annotations

import argparse
import ctypes
import importlib
import importlib.util
import io
import json
import math
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from unittest import mock

import numpy as np

SECTIONS = ("speed", "memory", "transpose-speed", "transpose-memory", "gradient-speed", "startup", "corpus",
            "parallel", "fuzz")
FRAMEWORK_MODULES = ("torch", "tensorflow", "jax", "jaxlib", "onnxruntime", "onnx")

SPEED_RATIO = 3.0  # reference time / torch time, float64 on the CPU
MEMORY_RATIO = 3.0  # reference peak / (output + inputs)
STARTUP_SECONDS = 0.5  # `convspec --help`
CORPUS_SECONDS = 20.0  # `convspec run --backend numpy`, the whole built-in corpus
OVERHEAD_FRACTION = 0.10  # runner time outside backend and reference / total
PARALLEL_SPEEDUP = 1.7  # -j 1 time / -j 2 time, compute-bound vectors, 2 cores ("near-linear")
FUZZ_RATE = 200.0  # `convspec fuzz --backend numpy`, small cases judged per second
LARGE_ELEMENTS = 10**8
THREADS_VARIABLE = "CONVSPEC_BENCHMARK_THREADS"


@dataclass(frozen=True)
class Shape:
    name: str
    x: tuple[int, ...]
    w: tuple[int, ...]
    stride: int = 1
    pad: int = 0
    groups: int = 1

    @property
    def rank(self) -> int:
        return len(self.x) - 2

    def attrs(self) -> dict:
        r = self.rank
        return {"stride": (self.stride,) * r, "padding": ((self.pad, self.pad),) * r,
                "dilation": (1,) * r, "groups": self.groups}

    def describe(self) -> str:
        spatial = "x".join(map(str, self.x[2:]))
        kernel = "x".join(map(str, self.w[2:]))
        extra = f" s{self.stride}" if self.stride != 1 else ""
        extra += f" pad {self.pad}" if self.pad else ""
        extra += f" groups {self.groups}" if self.groups != 1 else ""
        return f"N={self.x[0]} {self.x[1]}->{self.w[0]} {spatial} k{kernel}{extra}"


SHAPES = (
    Shape("resnet-3x3-64", (1, 64, 56, 56), (64, 64, 3, 3), pad=1),
    Shape("resnet-3x3-128", (1, 128, 28, 28), (128, 128, 3, 3), pad=1),
    Shape("resnet-3x3-256", (1, 256, 14, 14), (256, 256, 3, 3), pad=1),
    Shape("resnet-1x1-256-64", (1, 256, 56, 56), (64, 256, 1, 1)),
    Shape("resnet-3x3-s2", (1, 64, 56, 56), (128, 64, 3, 3), stride=2, pad=1),
    Shape("resnet-1x1-s2", (1, 64, 56, 56), (128, 64, 1, 1), stride=2),
    Shape("resnet-stem-7x7-s2", (1, 3, 224, 224), (64, 3, 7, 7), stride=2, pad=3),
    Shape("depthwise-3x3", (1, 32, 112, 112), (32, 1, 3, 3), pad=1, groups=32),
    Shape("1d-k5", (8, 64, 1024), (64, 64, 5)),
    Shape("3d-k3", (1, 16, 16, 32, 32), (32, 16, 3, 3, 3), pad=1),
)


@dataclass
class Report:
    """Every line printed, and whether each measured target was met."""

    missed: list[str] = field(default_factory=list)
    met: int = 0

    def section(self, title: str) -> None:
        print(f"\n== {title}", flush=True)

    def info(self, text: str) -> None:
        print(f"   {text}", flush=True)

    def figure(self, name: str, value: str, target: str, ok: bool | None) -> None:
        """One measured figure; ok None: not measured (does not fail the run)."""
        verdict = {True: "ok", False: "MISSED", None: "skipped"}[ok]
        print(f"   {name:<44} {value:<34} target {target:<14} {verdict}", flush=True)
        if ok is True:
            self.met += 1
        elif ok is False:
            self.missed.append(name)


# --- machine ----------------------------------------------------------------------------------------

def blas_core() -> str:
    """NumPy's BLAS and the kernel OpenBLAS chose for this CPU, read from the loaded library."""
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            libs = sorted({line.split()[-1] for line in maps if "blas" in line.lower() and "/" in line})
    except OSError:
        return "unknown"
    for path in libs:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in ("scipy_openblas", "openblas"):
            for suffix in ("64_", ""):
                fn = getattr(lib, f"{prefix}_get_corename{suffix}", None)
                if fn is not None:
                    fn.restype = ctypes.c_char_p
                    return f"OpenBLAS, {fn().decode()} kernels ({os.path.basename(path)})"
    return ", ".join(os.path.basename(p) for p in libs) or "unknown"


def machine(report: Report) -> None:
    import scipy

    report.section("machine")
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    report.info(f"cores: {os.cpu_count()} (usable by this process: {affinity})")
    report.info(f"load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())} "
                "(other processes' load makes timings noisy; ratios are taken side by side)")
    report.info(f"python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
                f"{platform.machine()}")
    report.info(f"numpy BLAS: {blas_core()}")
    env = ", ".join(f"{k}={os.environ[k]!r}" if k in os.environ else f"{k} unset"
                    for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS",
                              "OMP_NUM_THREADS", "MKL_NUM_THREADS"))
    report.info(f"environment: {env}")


# --- reference speed ----------------------------------------------------------------------------

def best_times(functions: list[Callable[[], object]], repeat: int) -> list[list[float]]:
    """Run the functions in turn ``repeat`` times (after one warm-up each): their times, side by side."""
    for f in functions:
        f()
    times: list[list[float]] = [[] for _ in functions]
    for _ in range(repeat):
        for i, f in enumerate(functions):
            start = time.perf_counter()
            f()
            times[i].append(time.perf_counter() - start)
    return times


def inputs_for(shape: Shape | TransposeShape) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(sum(shape.x) + sum(shape.w))
    return rng.standard_normal(shape.x), rng.standard_normal(shape.w)


def torch_or_none(report: Report, figures: list[str]):
    """torch.nn.functional, with torch's threads as the run asks and a line saying what runs; or
    None when torch is not installed, each of ``figures`` then reported as not measured."""
    try:
        import torch
        import torch.nn.functional as F
    except ImportError:
        report.info("torch is not installed (pip install torch==2.13.0 takes the CPU wheel on this "
                    "machine): ratios not measured")
        for figure in figures:
            report.figure(figure, "not measured", f"<= {SPEED_RATIO:g}x", None)
        return None
    if os.environ.get(THREADS_VARIABLE):
        torch.set_num_threads(int(os.environ[THREADS_VARIABLE]))
    report.info(f"torch {torch.__version__}, {torch.get_num_threads()} threads; numpy BLAS {blas_core()}")
    return F


def against_torch(report: Report, figure: str, what: str, run_torch: Callable[[], object],
                  run_reference: Callable[[], np.ndarray], repeat: int) -> None:
    """Time the reference against torch on one call, interleaved, best of ``repeat``: the ratio is
    the figure, met when it is within SPEED_RATIO and the two results agree."""
    got, want = run_reference(), run_torch().detach().numpy()
    scale = float(np.max(np.abs(want))) or 1.0
    agree = got.shape == want.shape and float(np.max(np.abs(got - want))) <= 1e-12 * scale
    t_torch, t_ref = best_times([run_torch, run_reference], repeat)
    ratio = min(t_ref) / min(t_torch)
    report.info(f"{what}; torch {min(t_torch) * 1e3:.2f} ms (median {statistics.median(t_torch) * 1e3:.2f}), "
                f"reference {min(t_ref) * 1e3:.2f} ms (median {statistics.median(t_ref) * 1e3:.2f})"
                + ("" if agree else "; RESULTS DIFFER FROM TORCH"))
    report.figure(figure, f"{ratio:.2f}x", f"<= {SPEED_RATIO:g}x", ratio <= SPEED_RATIO and agree)


def speed(report: Report, repeat: int) -> None:
    from convspec.reference import conv

    report.section(f"reference speed: float64, best of {repeat} runs, interleaved with torch's CPU conv")
    F = torch_or_none(report, [f"{shape.name} ref/torch" for shape in SHAPES])
    if F is None:
        return
    import torch

    convs = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
    for shape in SHAPES:
        x, w = inputs_for(shape)
        tx, tw = torch.from_numpy(x), torch.from_numpy(w)

        def run_torch(tx=tx, tw=tw, shape=shape):
            return convs[shape.rank](tx, tw, stride=shape.stride, padding=shape.pad, groups=shape.groups)

        def run_reference(x=x, w=w, shape=shape):
            return conv(x, w, **shape.attrs())

        against_torch(report, f"{shape.name} ref/torch", f"{shape.name}: {shape.describe()}", run_torch,
                      run_reference, repeat)


# --- reference memory ----------------------------------------------------------------------------

def traced_peak(function: Callable[[], object]) -> tuple[int, object]:
    """Peak bytes allocated while ``function`` runs (NumPy reports its buffers to tracemalloc)."""
    tracemalloc.start()
    try:
        result = function()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, result


def memory(report: Report) -> None:
    from convspec.reference import conv

    report.section("reference peak memory: bytes allocated during one call (its output included) "
                   "/ (output + inputs)")
    for shape in SHAPES:
        x, w = inputs_for(shape)
        peak, out = traced_peak(lambda x=x, w=w, shape=shape: conv(x, w, **shape.attrs()))
        base = out.nbytes + x.nbytes + w.nbytes
        ratio = peak / base
        report.figure(f"{shape.name} peak", f"{peak / 2**20:.1f} MiB = {ratio:.2f}x of {base / 2**20:.1f}",
                      f"<= {MEMORY_RATIO:g}x", ratio <= MEMORY_RATIO)


# --- the transposed convolution: speed and memory ---------------------------------------------------

@dataclass(frozen=True)
class TransposeShape(Shape):
    """A decoder-like conv_transpose layer: w is (C_in, C_out, *kernel); symmetric padding."""

    output_padding: int = 0

    def attrs(self) -> dict:
        return {**super().attrs(), "output_padding": (self.output_padding,) * self.rank}

    def describe(self) -> str:
        from convspec.reference import conv_transpose_output_size

        spatial = "x".join(map(str, self.x[2:]))
        out = "x".join(str(conv_transpose_output_size(n, k, self.stride, (self.pad, self.pad),
                                                      self.output_padding))
                       for n, k in zip(self.x[2:], self.w[2:], strict=True))
        extra = f" output_padding {self.output_padding}" if self.output_padding else ""
        return (f"N={self.x[0]} {self.x[1]}->{self.w[1]} {spatial}->{out} k{'x'.join(map(str, self.w[2:]))} "
                f"s{self.stride} pad {self.pad}{extra}")


TRANSPOSE_SHAPES = (
    TransposeShape("decoder-4x4-s2-64-32", (8, 64, 28, 28), (64, 32, 4, 4), stride=2, pad=1),
    TransposeShape("decoder-3x3-s2-op1-128-64", (8, 128, 14, 14), (128, 64, 3, 3), stride=2, pad=1,
                   output_padding=1),
    TransposeShape("decoder-3d-4x4x4-s2-32-16", (2, 32, 8, 8, 8), (32, 16, 4, 4, 4), stride=2, pad=1),
)


def transpose_speed(report: Report, repeat: int) -> None:
    from convspec.reference import conv_transpose

    report.section(f"reference conv_transpose speed: float64, best of {repeat} runs, interleaved with "
                   "torch's CPU conv_transpose")
    F = torch_or_none(report, [f"{shape.name} ref/torch" for shape in TRANSPOSE_SHAPES])
    if F is None:
        return
    import torch

    functions = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}
    for shape in TRANSPOSE_SHAPES:
        x, w = inputs_for(shape)
        tx, tw = torch.from_numpy(x), torch.from_numpy(w)

        def run_torch(tx=tx, tw=tw, shape=shape):
            return functions[shape.rank](tx, tw, stride=shape.stride, padding=shape.pad,
                                         output_padding=shape.output_padding)

        def run_reference(x=x, w=w, shape=shape):
            return conv_transpose(x, w, **shape.attrs())

        against_torch(report, f"{shape.name} ref/torch", f"{shape.name}: {shape.describe()}", run_torch,
                      run_reference, repeat)


def transpose_memory(report: Report) -> None:
    from convspec.reference import conv_transpose

    report.section("reference conv_transpose peak memory: bytes allocated during one call (its output "
                   "included) / (output + inputs)")
    for shape in TRANSPOSE_SHAPES:
        x, w = inputs_for(shape)
        peak, out = traced_peak(lambda x=x, w=w, shape=shape: conv_transpose(x, w, **shape.attrs()))
        base = out.nbytes + x.nbytes + w.nbytes
        ratio = peak / base
        report.figure(f"{shape.name} peak", f"{peak / 2**20:.1f} MiB = {ratio:.2f}x of {base / 2**20:.1f}",
                      f"<= {MEMORY_RATIO:g}x", ratio <= MEMORY_RATIO)


# --- the gradients of conv: speed ---------------------------------------------------------------------

def gradient_speed(report: Report, repeat: int) -> None:
    """conv_grad_input and conv_grad_weight against torch's backward for that gradient alone."""
    from convspec.reference import conv, conv_grad_input, conv_grad_weight

    report.section(f"reference conv gradients speed: float64, best of {repeat} runs, interleaved with "
                   "torch.autograd.grad of the same gradient alone (the forward shapes)")
    F = torch_or_none(report, [f"{shape.name} grad_{which} ref/torch" for shape in SHAPES
                               for which in ("input", "weight")])
    if F is None:
        return
    import torch

    convs = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
    for shape in SHAPES:
        x, w = inputs_for(shape)
        attrs = shape.attrs()
        dy = np.random.default_rng(len(shape.name)).standard_normal(conv(x, w, **attrs).shape)
        tx = torch.from_numpy(x).requires_grad_(True)
        tw = torch.from_numpy(w).requires_grad_(True)
        tdy = torch.from_numpy(dy)
        # the forward is outside the timing: its graph is kept for every backward
        ty = convs[shape.rank](tx, tw, stride=shape.stride, padding=shape.pad, groups=shape.groups)
        for which, wrt in (("input", tx), ("weight", tw)):

            def run_torch(ty=ty, wrt=wrt, tdy=tdy):
                return torch.autograd.grad(ty, wrt, tdy, retain_graph=True)[0]

            if which == "input":
                def run_reference(w=w, dy=dy, shape_x=x.shape, attrs=attrs):
                    return conv_grad_input(dy, w, input_shape=shape_x, **attrs)
            else:
                def run_reference(x=x, dy=dy, kernel=w.shape[2:], attrs=attrs):
                    return conv_grad_weight(x, dy, kernel_shape=kernel, **attrs)

            against_torch(report, f"{shape.name} grad_{which} ref/torch",
                          f"{shape.name} grad_{which}: {shape.describe()}", run_torch, run_reference, repeat)


# --- start-up ----------------------------------------------------------------------------------------

def convspec_command() -> list[str]:
    exe = shutil.which("convspec")
    return [exe] if exe else [sys.executable, "-m", "convspec.conformance"]


IMPORTED_BY_HELP = """
import sys
from convspec.conformance.cli import main
from contextlib import redirect_stdout
import io
with redirect_stdout(io.StringIO()):
    try:
        main(["--help"])
    except SystemExit:
        pass
print(sorted(sys.modules))
"""


def startup(report: Report, repeat: int) -> None:
    report.section("start-up of `convspec --help` (a new process each time; best of "
                   f"{repeat}, after one warm-up)")
    command = [*convspec_command(), "--help"]
    times = []
    for i in range(repeat + 1):
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if i:
            times.append(time.perf_counter() - start)
    if done.returncode != 0:
        report.info(f"{' '.join(command)} exited {done.returncode}: {done.stderr.strip()[-300:]}")
    best = min(times)
    report.info(f"{' '.join(command)}: best {best:.3f} s, median {statistics.median(times):.3f} s")
    floor = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=False)
        floor.append(time.perf_counter() - start)
    report.info(f"for scale, the interpreter alone (python -c pass): best {min(floor):.3f} s")
    report.figure("convspec --help start-up", f"{best:.3f} s", f"< {STARTUP_SECONDS:g} s",
                  best < STARTUP_SECONDS and done.returncode == 0)
    probe = subprocess.run([sys.executable, "-c", IMPORTED_BY_HELP], capture_output=True, text=True,
                           check=False)
    try:
        modules = set(eval(probe.stdout.strip().splitlines()[-1]))  # a printed list of str
    except (IndexError, SyntaxError):
        report.info(f"could not list the imported modules: {probe.stderr.strip()[-300:]}")
        report.figure("frameworks imported by --help", "unknown", "none", False)
        return
    frameworks = sorted(m for m in modules if m.split(".")[0] in FRAMEWORK_MODULES)
    heavy = sorted({m.split(".")[0] + "." + m.split(".")[1] for m in modules
                    if m.startswith("scipy.") and m.count(".") >= 1})
    report.info(f"modules imported by --help: {len(modules)}; scipy subpackages: "
                f"{', '.join(heavy) or 'none'}")
    report.figure("frameworks imported by --help", ", ".join(sorted({m.split('.')[0] for m in frameworks}))
                  or "none", "none", not frameworks)


# --- the built-in corpus against numpy ---------------------------------------------------------

class Stopwatch:
    """Wraps callables and adds up the time spent inside them (not nested: each is a leaf)."""

    def __init__(self):
        self.seconds = 0.0
        self.calls = 0

    def wrap(self, function: Callable) -> Callable:
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start
                self.calls += 1

        timed.__wrapped__ = function
        return timed


def corpus_split(vectors: list | None = None) -> dict:
    """Run `convspec run --backend numpy` in this process (or, given ``vectors``, run them with the
    numpy backend) with the backend's and the reference's functions wrapped in stopwatches; the
    rest of the wall time is the runner's own."""
    from convspec import reference
    from convspec.conformance import cli, loading
    from convspec.conformance.session import Session

    # the numpy backend's operators are its module's functions, looked up at each call
    numpy_backend = importlib.import_module("convspec.conformance.backends.numpy")
    from convspec.conformance.ops import OPERATORS

    watches = {k: Stopwatch() for k in ("load", "backend", "reference")}
    # every operator of the numpy backend, and every reference function an operator calls
    references = ("conv", "pad", "conv_transpose", "conv_grad_input", "conv_grad_weight", "conv_grad_bias")
    patches = [(loading, "load_vectors", watches["load"])]
    patches += [(numpy_backend, op, watches["backend"]) for op in OPERATORS if hasattr(numpy_backend, op)]
    patches += [(reference, name, watches["reference"]) for name in references]
    saved = [(obj, name, getattr(obj, name)) for obj, name, _ in patches]
    for obj, name, watch in patches:
        setattr(obj, name, watch.wrap(getattr(obj, name)))
    out = io.StringIO()
    try:
        start = time.perf_counter()
        with redirect_stdout(out), redirect_stderr(io.StringIO()):
            if vectors is None:
                code = cli.main(["run", "--backend", "numpy"])
            else:
                code = int(any(r.outcome.is_problem for r in Session.open("numpy").results(vectors)))
        total = time.perf_counter() - start
    finally:
        for obj, name, original in saved:
            setattr(obj, name, original)
    lines = out.getvalue().strip().splitlines()
    return {"total": total, "exit": code, "summary": lines[-1] if lines else "",
            **{f"{k}_seconds": w.seconds for k, w in watches.items()},
            **{f"{k}_calls": w.calls for k, w in watches.items()}}


def thinnest_runner(precomputed_inputs: bool, repeat: int = 7) -> tuple[float, float, int]:
    """A lower bound on any runner's overhead: per vector only generate the inputs (or copy them,
    generated beforehand), call the numpy backend and the reference (values and magnitude), make
    one comparison and write one line; no bounds, worst element, checks or reports. Returns the
    best (total, backend + reference) seconds and the vector count."""
    from convspec import reference
    from convspec.conformance import load_vectors, resolve
    from convspec.conformance.ops import CONV

    vectors = [v for v in load_vectors() if v.expected_error is None and v.operator is CONV]
    conv = resolve("numpy").operator("conv")
    ready = {v.id: v.arrays() for v in vectors} if precomputed_inputs else {}
    best = (math.inf, 0.0)
    sink = io.StringIO()
    for _ in range(repeat):
        inside = 0.0
        begun = time.perf_counter()
        for v in vectors:
            a = {k: x.copy() for k, x in ready[v.id].items()} if precomputed_inputs else v.arrays()
            attrs = v.call.keywords()
            start = time.perf_counter()
            got = conv(a["x"], a["w"], a.get("b"), **attrs)
            values = reference.conv(a["x"], a["w"], a.get("b"), **attrs)
            magnitude = reference.conv(np.abs(a["x"]), np.abs(a["w"]), a.get("b"), **attrs)
            inside += time.perf_counter() - start
            with np.errstate(all="ignore"):
                sink.write(f"{v.id} {bool(np.all(np.abs(got - values) <= 1e-6 * magnitude))}\n")
        best = min(best, (time.perf_counter() - begun, inside))
    return (*best, len(vectors))


def corpus(report: Report) -> None:
    report.section("the built-in corpus against the numpy backend")
    command = [*convspec_command(), "run", "--backend", "numpy"]
    with tempfile.TemporaryDirectory(prefix="convspec-bench-cache-") as cache:
        # cold: no checked file cached yet (a first run, or a changed corpus); warm: every later run
        env = {**os.environ, "CONVSPEC_CACHE_DIR": cache}
        walls = {}
        for state in ("cold", "warm"):
            start = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
            walls[state] = time.perf_counter() - start
            last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr.strip()[-300:]
            report.info(f"{state} cache: {' '.join(command)} -> exit {done.returncode}: {last}")
            ok = walls[state] < CORPUS_SECONDS and done.returncode == 0
            report.figure(f"whole corpus, numpy backend ({state} cache, wall, new process)",
                          f"{walls[state]:.2f} s", f"< {CORPUS_SECONDS:g} s", ok)
    with tempfile.TemporaryDirectory(prefix="convspec-bench-cache-") as cache, \
            mock.patch.dict(os.environ, {"CONVSPEC_CACHE_DIR": cache}):
        cold = corpus_split()
        split = corpus_split()
    count = split["backend_calls"]
    if count == 0:
        report.info("the backend was not called in this process (run in workers?): no split")
        report.figure("runner overhead / total", "not measured", f"<= {OVERHEAD_FRACTION:.0%}", None)
        return
    for name, run in (("cold", cold), ("warm", split)):
        total = run["total"]
        inside = run["backend_seconds"] + run["reference_seconds"]
        report.info(f"in-process run, {name} cache (imports done): {total:.2f} s = loading and validation "
                    f"{run['load_seconds']:.2f} s + backend {run['backend_seconds']:.2f} s "
                    f"({run['backend_calls']} calls) + reference {run['reference_seconds']:.2f} s "
                    f"({run['reference_calls']} calls) + generating inputs, judging, reporting and the rest "
                    f"{total - inside - run['load_seconds']:.2f} s")
    total = split["total"]
    overhead = total - split["backend_seconds"] - split["reference_seconds"]
    report.info(f"runner time per vector (warm cache): {1e3 * overhead / count:.2f} ms, against "
                f"{1e3 * (total - overhead) / count:.2f} ms in the backend and the reference")
    for precomputed in (False, True):
        whole, inside, n = thinnest_runner(precomputed)
        inputs = "copied, generated beforehand" if precomputed else "generated"
        report.info(f"for scale, the thinnest conceivable runner (inputs {inputs}; backend, reference "
                    f"twice, one comparison, one line; no bounds, checks or worst element) on {n} conv "
                    f"vectors: {(whole - inside) / whole:.0%} outside backend and reference "
                    f"({1e3 * (whole - inside) / n:.3f} ms per vector)")
    heavy = corpus_split(parallel_vectors())
    rest = heavy["total"] - heavy["backend_seconds"] - heavy["reference_seconds"]
    report.info(f"for scale, the same runner on the {heavy['backend_calls']} compute-bound vectors of "
                f"the parallel section: {rest / heavy['total']:.1%} outside backend and reference "
                f"({1e3 * rest / heavy['backend_calls']:.2f} ms per vector)")
    report.figure("runner overhead / total (warm cache)",
                  f"{overhead / total:.1%} ({overhead:.2f} s of {total:.2f} s)",
                  f"<= {OVERHEAD_FRACTION:.0%}", overhead / total <= OVERHEAD_FRACTION)


# --- scale: an output of 10**8 elements --------------------------------------------------------------

LARGE_CHANNELS, LARGE_SIDE = 16, 2500  # N=1, 16 -> 16, 2500x2500, 3x3 pad 1: 10**8 outputs


def large_vector():
    from convspec.conformance import Vector

    c, n = LARGE_CHANNELS, LARGE_SIDE
    return Vector.from_mapping({
        "id": "benchmark/large-1e8", "title": "an output of 10**8 elements", "source": "benchmarks",
        "catches": [], "op": "conv", "dtype": "float64",
        "inputs": {"x": {"shape": [1, c, n, n], "generate": {"kind": "arange", "start": -1.0,
                                                             "step": 2.0**-26}},
                   "w": {"shape": [c, c, 3, 3], "generate": {"kind": "uniform_int", "seed": 1,
                                                             "low": -3, "high": 3}},
                   "b": {"shape": [c], "generate": {"kind": "uniform_int", "seed": 2, "low": -3, "high": 3}}},
        "expected": {"shape": [1, c, n, n]}, "attributes": {"padding": 1}})


def large_child() -> None:
    """In a fresh process: the reference alone, then run_vector (inputs, backend, expectation,
    judge) on a backend that returns a precomputed output, then the same steps one at a time for
    their peaks. Prints one JSON line."""
    from convspec import reference
    from convspec.conformance import Backend, run_vector
    from convspec.conformance.judge import judge_expectation
    from convspec.conformance.runner import snapshot

    vector = large_vector()
    inputs = vector.arrays()
    in_bytes = sum(a.nbytes for a in inputs.values())
    attrs = vector.call.keywords()
    start = time.perf_counter()
    peak_ref, out = traced_peak(lambda a=inputs: reference.conv(a["x"], a["w"], a["b"], **attrs))
    ref_seconds = time.perf_counter() - start
    assert out.size == LARGE_ELEMENTS, out.shape
    del inputs
    backend = Backend(name="precomputed", implementation=lambda *a, **k: out)
    start = time.perf_counter()
    peak_run, result = traced_peak(lambda: run_vector(vector, backend))
    run_seconds = time.perf_counter() - start

    # run_vector's steps one at a time: (bytes held before, peak during), both beyond the output
    steps = {}
    tracemalloc.start()
    try:
        def step(name, function):
            held = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            begun = time.perf_counter()
            value = function()
            steps[name] = (held, tracemalloc.get_traced_memory()[1], time.perf_counter() - begun)
            return value

        arrays = step("inputs (vector.arrays)", vector.arrays)
        step("input snapshots", lambda a=arrays: {k: snapshot(v) for k, v in a.items()})
        # as in run_vector: |x|, |w|, |b| overwrite the inputs, which are dropped before judging
        expect = step("expectation (reference twice)", lambda a=arrays: vector.expectation(a, consume=True))
        del arrays
        step("judge (bounds per block)", lambda: judge_expectation(out, expect, vector.output_dtype()))
    finally:
        tracemalloc.stop()
    print(json.dumps({"out_bytes": out.nbytes, "in_bytes": in_bytes, "ref_peak": peak_ref,
                      "ref_seconds": ref_seconds, "run_peak": peak_run, "run_seconds": run_seconds,
                      "outcome": result.outcome.value, "reason": result.reason, "steps": steps,
                      "maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))


def large(report: Report) -> None:
    report.section(f"scale: one output of {LARGE_ELEMENTS:.0e} elements (N=1, {LARGE_CHANNELS}->"
                   f"{LARGE_CHANNELS}, {LARGE_SIDE}x{LARGE_SIDE}, 3x3 pad 1, float64), in a new process")
    start = time.perf_counter()
    done = subprocess.run([sys.executable, os.path.abspath(__file__), "--large-child"], capture_output=True,
                          text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        report.info(f"the large run failed (exit {done.returncode}): {done.stderr.strip()[-600:]}")
        report.figure("10^8 output: reference peak", "failed", f"<= {MEMORY_RATIO:g}x", False)
        report.figure("10^8 output: run_vector peak", "failed", f"<= {MEMORY_RATIO:g}x", False)
        return
    r = json.loads(done.stdout.strip().splitlines()[-1])
    base = r["out_bytes"] + r["in_bytes"]
    gib = 2**30
    report.info(f"output {r['out_bytes'] / gib:.2f} GiB + inputs {r['in_bytes'] / gib:.2f} GiB = "
                f"{base / gib:.2f} GiB; whole process {wall:.0f} s, peak RSS {r['maxrss'] / gib:.2f} GiB")
    report.info(f"reference: {r['ref_seconds']:.1f} s; run_vector (inputs, backend, expectation = "
                f"reference twice, bounds, judge): {r['run_seconds']:.1f} s -> {r['outcome']} {r['reason']}")
    for name, (held, peak, seconds) in r["steps"].items():
        report.info(f"  {name:<30} {seconds:6.1f} s, holding {held / gib:5.2f} GiB before, peak "
                    f"{peak / gib:5.2f} GiB (+ the backend's output {r['out_bytes'] / gib:.2f} GiB)")
    ratio = r["ref_peak"] / base
    report.figure("10^8 output: reference peak", f"{r['ref_peak'] / gib:.2f} GiB = {ratio:.2f}x",
                  f"<= {MEMORY_RATIO:g}x", ratio <= MEMORY_RATIO)
    # The backend's output was allocated before run_vector (it was precomputed): count it in.
    run_peak = r["run_peak"] + r["out_bytes"]
    ratio = run_peak / base
    report.figure("10^8 output: run_vector peak (+ its output)", f"{run_peak / gib:.2f} GiB = {ratio:.2f}x",
                  f"<= {MEMORY_RATIO:g}x", ratio <= MEMORY_RATIO and r["outcome"] == "pass")


# --- -j N: parallel speed-up ---------------------------------------------------------------------

PARALLEL_VECTORS = 24  # the compute-bound workload: this many vectors of ...
PARALLEL_SHAPE = (2, 32, 48)  # ... N=2, 32 -> 32 channels, 48x48, 3x3 pad 1, float64 (~50-60 ms each)


def parallel_vectors() -> list:
    """Generated float64 vectors heavy enough that a worker's time goes into computing, not messages."""
    from convspec.conformance import Vector

    n, c, side = PARALLEL_SHAPE

    def ints(shape, seed):
        return {"shape": shape, "generate": {"kind": "uniform_int", "seed": seed, "low": -3, "high": 3}}

    return [Vector.from_mapping({
        "id": f"benchmark/parallel-{i}", "title": "a compute-bound vector", "source": "benchmarks",
        "catches": [], "op": "conv", "dtype": "float64",
        "inputs": {"x": ints([n, c, side, side], 10 + i), "w": ints([c, c, 3, 3], 100 + i),
                   "b": ints([c], 200 + i)},
        "expected": {"shape": [n, c, side, side]}, "attributes": {"padding": 1}})
        for i in range(PARALLEL_VECTORS)]


def started_session(jobs: int, threads: int | None = None):
    """A session of ``jobs`` numpy worker processes, started, and its start-up time. ``threads``:
    BLAS/OpenMP threads per worker, set as a user would (None: the pool's own choice, max(1,
    cores // jobs))."""
    from convspec.conformance.isolation import THREAD_VARIABLES
    from convspec.conformance.session import Session

    chosen = {} if threads is None else dict.fromkeys(THREAD_VARIABLES, str(threads))
    with mock.patch.dict(os.environ, chosen):
        start = time.perf_counter()
        session = Session.open("numpy", isolation="process", jobs=jobs).start()
        return session, time.perf_counter() - start


def pool_run(session, vectors: list) -> Callable[[], object]:
    def run_all():
        results = list(session.results(vectors))
        assert len(results) == len(vectors), "results missing"
        return results

    return run_all


def parallel(report: Report, repeat: int) -> None:
    from convspec.conformance import load_vectors
    from convspec.conformance.isolation import THREAD_VARIABLES, usable_cores, worker_threads
    from convspec.conformance.session import Session

    corpus_repeat = 2 * repeat  # a run of the corpus takes a fraction of a second: more runs, less noise
    report.section(f"-j N: speed-up of 2 worker processes over 1, side by side (best of {corpus_repeat} "
                   f"interleaved runs on the corpus, {repeat} on the compute-bound vectors; workers "
                   "already started)")
    cores = usable_cores()
    if cores < 2:
        report.info(f"{cores} usable core: no parallelism to measure")
        report.figure("compute-bound, -j 1 / -j 2 (median pair)", "not measured (1 core)",
                      f">= {PARALLEL_SPEEDUP:g}x", None)
        return
    user = ", ".join(f"{k}={os.environ[k]}" for k in THREAD_VARIABLES if k in os.environ)
    threads = {jobs: worker_threads(jobs).get("OPENBLAS_NUM_THREADS", f"the user's ({user})")
               for jobs in (1, 2)}
    report.info(f"{cores} usable cores; BLAS threads per worker: -j 1 {threads[1]}, -j 2 {threads[2]}")

    # (a) the built-in corpus, as `convspec run --backend numpy -j 1` and `-j 2` run it
    vectors = load_vectors()
    in_process_session = Session.open("numpy")
    (in_process,) = best_times([lambda: list(in_process_session.results(vectors))], corpus_repeat)
    one, one_start = started_session(1)
    two, two_start = started_session(2)
    try:
        first = [timed_once(pool_run(one, vectors)), timed_once(pool_run(two, vectors))]
        t_one, t_two = best_times([pool_run(one, vectors), pool_run(two, vectors)], corpus_repeat)
    finally:
        one.close()
        two.close()
    ratio = min(t_one) / min(t_two)
    report.info(f"corpus ({len(vectors)} vectors): in this process {min(in_process):.3f} s; -j 1 "
                f"{min(t_one):.3f} s (median {statistics.median(t_one):.3f}), -j 2 {min(t_two):.3f} s "
                f"(median {statistics.median(t_two):.3f}); first run after start-up {first[0]:.3f} s and "
                f"{first[1]:.3f} s")
    report.info(f"worker start-up (not timed above): -j 1 {one_start:.2f} s, -j 2 {two_start:.2f} s")
    # information, not a target: ~0.2 s of 1 ms vectors swings with the machine's load (see README)
    report.info(f"corpus, -j 1 / -j 2: {ratio:.2f}x (best times), {pair_ratio(t_one, t_two):.2f}x (median "
                f"of the runs' pairs); in this process / -j 2: {min(in_process) / min(t_two):.2f}x "
                "(information)")

    # (b) compute-bound vectors, one BLAS thread per worker on both sides: the same work per vector,
    # twice the workers
    heavy = parallel_vectors()
    n, c, side = PARALLEL_SHAPE
    one, one_start = started_session(1, threads=1)
    two, two_start = started_session(2, threads=1)
    try:
        outcomes = {r.outcome.value for r in pool_run(one, heavy[:1])()}
        t_one, t_two = best_times([pool_run(one, heavy), pool_run(two, heavy)], repeat)
    finally:
        one.close()
        two.close()
    report.info(f"compute-bound: {len(heavy)} vectors of N={n}, {c}->{c}, {side}x{side}, 3x3 pad 1, float64 "
                f"({', '.join(sorted(outcomes))}), one BLAS thread per worker: -j 1 {min(t_one):.2f} s "
                f"({1e3 * min(t_one) / len(heavy):.0f} ms/vector; median {statistics.median(t_one):.2f}), "
                f"-j 2 {min(t_two):.2f} s (median {statistics.median(t_two):.2f}); workers started in "
                f"{one_start:.2f} s and {two_start:.2f} s")
    ratio = pair_ratio(t_one, t_two)
    report.info(f"compute-bound, -j 1 / -j 2 of each pair of runs (-j 1 then -j 2): "
                f"{', '.join(f'{a / b:.2f}' for a, b in zip(t_one, t_two, strict=True))}; of the best times "
                f"{min(t_one) / min(t_two):.2f}x")
    own = worker_threads(1).get("OPENBLAS_NUM_THREADS") or os.environ.get("OPENBLAS_NUM_THREADS")
    if own != "1":  # -j 1 on its own would give its worker other than 1 thread: show what that costs
        default, _ = started_session(1)
        try:
            once = timed_once(pool_run(default, heavy))
        finally:
            default.close()
        report.info(f"for comparison, -j 1 with its own choice of {threads[1]} BLAS threads: {once:.2f} s "
                    "(one run; OpenBLAS's threads gain little on these sizes, and slow down badly when "
                    "another process holds a core)")
    report.figure("compute-bound, -j 1 / -j 2 (median pair)", f"{ratio:.2f}x", f">= {PARALLEL_SPEEDUP:g}x",
                  ratio >= PARALLEL_SPEEDUP and outcomes == {"pass"})


def pair_ratio(first: list[float], second: list[float]) -> float:
    """The median of first[i] / second[i]: runs taken one after the other see the same machine, so
    their ratio is steadier than that of two best times caught minutes apart (the speed of these
    virtual cores drifts by 20-30 % over minutes)."""
    return statistics.median(a / b for a, b in zip(first, second, strict=True))


def timed_once(function: Callable[[], object]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


# --- fuzz throughput ---------------------------------------------------------------------------------

FUZZ_SECONDS = 12.0  # the search's time budget


def fuzz(report: Report) -> None:
    import re
    import tempfile

    report.section(f"`convspec fuzz --backend numpy`: small cases judged per second ({FUZZ_SECONDS:g} s "
                   "budget, a new process)")
    if importlib.util.find_spec("hypothesis") is None:
        report.info("Hypothesis is not installed (pip install hypothesis): not measured")
        report.figure("fuzz throughput, numpy", "not measured", f">= {FUZZ_RATE:g} cases/s", None)
        return
    with tempfile.TemporaryDirectory() as out:
        command = [*convspec_command(), "fuzz", "--backend", "numpy", "--seed", "0", "--examples",
                   "10000000", "--time-budget", f"{FUZZ_SECONDS:g}", "--out", out]
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - start
    report.info(f"{' '.join(command[:-2])}")
    found = re.search(r"no failure in (\d+) cases .*? in ([\d.]+) s,", done.stdout)
    if done.returncode != 0 or not found:
        report.info(f"exit {done.returncode}: {(done.stdout + done.stderr).strip()[-600:]}")
        report.figure("fuzz throughput, numpy", "no clean run", f">= {FUZZ_RATE:g} cases/s", False)
        return
    cases, seconds = int(found.group(1)), float(found.group(2))
    report.info(done.stdout.strip().splitlines()[-1])
    report.info(f"{cases} cases in {seconds:.1f} s of search; the whole process {wall:.1f} s "
                f"({cases / wall:.0f} cases/s counting start-up and the import of Hypothesis)")
    rate = cases / seconds
    report.figure("fuzz throughput, numpy", f"{rate:.0f} cases/s", f">= {FUZZ_RATE:g} cases/s",
                  rate >= FUZZ_RATE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help=f"comma-separated sections to run (default all: {','.join(SECTIONS)}; "
                             "'' for none, e.g. with --large)")
    parser.add_argument("--large", action="store_true",
                        help=f"also run the {LARGE_ELEMENTS:.0e}-element output (minutes, ~10 GiB)")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per figure (default 7)")
    parser.add_argument("--threads", type=int, default=0,
                        help="run BLAS and torch with this many threads (default: their own choice, "
                             "2 on a 2-core machine); 1 steadies ratios when other processes load the cores")
    parser.add_argument("--large-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.threads and os.environ.get(THREADS_VARIABLE) != str(args.threads):
        # thread pools are sized when numpy and torch load: start again with the variables set
        count = str(args.threads)
        env = {**os.environ, THREADS_VARIABLE: count,
               **dict.fromkeys(("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"), count)}
        argv = sys.argv[1:] if argv is None else argv
        command = [sys.executable, os.path.abspath(__file__), *argv]
        return subprocess.run(command, env=env, check=False).returncode
    if args.large_child:
        large_child()
        return 0
    sections = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s) {', '.join(sorted(unknown))}; choose from {', '.join(SECTIONS)}")
    report = Report()
    began = time.perf_counter()
    machine(report)
    if "startup" in sections:
        startup(report, max(3, args.repeat // 2))
    if "speed" in sections:
        speed(report, args.repeat)
    if "memory" in sections:
        memory(report)
    if "transpose-speed" in sections:
        transpose_speed(report, args.repeat)
    if "transpose-memory" in sections:
        transpose_memory(report)
    if "gradient-speed" in sections:
        gradient_speed(report, args.repeat)
    if "corpus" in sections:
        corpus(report)
    if args.large:
        large(report)
    if "parallel" in sections:
        parallel(report, max(3, args.repeat))
    if "fuzz" in sections:
        fuzz(report)
    report.section("summary")
    report.info(f"load average at end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}; "
                f"{time.perf_counter() - began:.0f} s in all")
    if report.missed:
        report.info(f"{report.met} targets met, {len(report.missed)} MISSED: {', '.join(report.missed)}")
        return 1
    report.info(f"all {report.met} measured targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
