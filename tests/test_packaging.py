"""`pip install .` (a wheel) ships one package, convspec, with its vectors, and runs the corpus."""

import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out),
                    str(REPO)], check=True, capture_output=True)
    (found,) = out.glob("convspec-*.whl")
    return found


def test_wheel_holds_only_the_convspec_package_and_its_vectors(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"convspec"}
    assert "convspec/spec/vector-file.schema.json" in names
    assert "convspec/spec/vectors/notes-convolution.yaml" in names
    assert "convspec/reference/conv.py" in names
    assert "convspec/conformance/backends/numpy.py" in names
    assert "convspec/conformance/cli/__init__.py" in names and "convspec/conformance/cli/fuzz.py" in names


def test_installed_wheel_runs_the_corpus_from_anywhere(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    pip = [str(env_dir / "bin" / "python"), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, str(wheel)], check=True, capture_output=True)
    proc = subprocess.run([str(env_dir / "bin" / "convspec"), "run"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert " passed, 0 failed" in proc.stdout.splitlines()[-1]
