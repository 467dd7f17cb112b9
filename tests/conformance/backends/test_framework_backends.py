"""What the framework adapters share with the core: names, extras, and never an import of them."""

import subprocess
import sys

import pytest

import convspec.conformance.backends as backends
from convspec.conformance.backends import BUILTIN, FRAMEWORKS, BackendNotFound, resolve
from convspec.conformance.cli import main

NAMES = ["torch", "onnxruntime", "jax", "tensorflow"]


def test_every_framework_has_a_short_name_and_an_extra():
    assert set(NAMES) <= set(BUILTIN) and set(FRAMEWORKS) == set(NAMES)
    for name in NAMES:
        assert BUILTIN[name] == f"convspec.conformance.backends.{name}:backend"


@pytest.fixture
def no_frameworks(monkeypatch):
    """As if none of the frameworks were installed."""
    real = backends.importlib.util.find_spec
    missing = {m for modules, _ in FRAMEWORKS.values() for m in modules}
    monkeypatch.setattr(backends.importlib.util, "find_spec",
                        lambda name, *args: None if name in missing else real(name, *args))


@pytest.mark.parametrize(("name", "hint"), [
    ("torch", "torch is not installed: pip install 'convspec[torch]'"),
    ("onnxruntime", "onnxruntime and onnx are not installed: pip install 'convspec[onnxruntime]'"),
    ("jax", "jax and jaxlib are not installed: pip install 'convspec[jax]'"),
    ("tensorflow", "tensorflow is not installed: pip install 'convspec[tensorflow]'"),
])
def test_a_missing_framework_names_its_extra(no_frameworks, name, hint):
    with pytest.raises(BackendNotFound) as caught:
        resolve(name)
    assert str(caught.value) == hint


def test_backends_lists_missing_frameworks_as_unavailable(no_frameworks, capsys):
    assert main(["backends"]) == 0
    out = capsys.readouterr().out.splitlines()
    torch_line = next(line for line in out if line.startswith("torch "))
    assert torch_line.split()[:2] == ["torch", "unavailable"]
    assert torch_line.endswith("torch is not installed: pip install 'convspec[torch]'")
    assert any(line.startswith("numpy ") and "unavailable" not in line for line in out)


def test_a_missing_framework_is_a_usage_error_for_run(no_frameworks, capsys):
    assert main(["run", "--backend", "jax", "-k", "notes/convolution/minus-60"]) == 2
    assert "pip install 'convspec[jax]'" in capsys.readouterr().err


def test_the_core_imports_no_framework():
    code = ("import sys\n"
            "from convspec.conformance.cli import main\n"
            "main(['run', '-k', 'notes/convolution/minus-60'])\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('torch', 'onnxruntime', 'onnx', 'jax', 'tensorflow') "
            "if m in sys.modules))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.splitlines()[-1] == "[]"
