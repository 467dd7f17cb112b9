"""The `convspec` command itself: its entry point, usage errors, and a --help that loads no NumPy."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from convspec.conformance.cli import main


def test_console_script_entry_point_runs_a_user_file_on_pythonpath(tmp_path):
    user = tmp_path / "my_conv.py"
    user.write_text(textwrap.dedent("""
        from convspec.conformance.backends.numpy import conv as correct
        def conv(x, w, b=None, **kw):
            return correct(x, w[..., ::-1].copy(), b, **kw)
    """))
    script = Path(sys.executable).parent / "convspec"
    proc = subprocess.run([str(script), "run", "--backend", "my_conv:conv", "-k", "minus-60"],
                          capture_output=True, text=True, cwd=Path.home(),
                          env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 1, proc.stderr
    assert "got 60, expected -60" in proc.stdout


@pytest.mark.parametrize("args", [["run", "--profile", "nonsense"], ["frobnicate"], []])
def test_usage_errors_exit_2(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 2


def test_the_parser_names_every_profile():
    from convspec.conformance.cli.usage import PROFILE_NAMES
    from convspec.conformance.tolerance import PROFILES

    assert PROFILE_NAMES == tuple(sorted(PROFILES))


def test_help_imports_neither_numpy_nor_any_framework():
    code = ("import sys\nfrom convspec.conformance.cli import main\ntry:\n    main(['--help'])\n"
            "except SystemExit:\n    pass\nprint(sorted({m.split('.')[0] for m in sys.modules}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    loaded = out.strip().splitlines()[-1]
    for heavy in ("numpy", "scipy", "jsonschema", "yaml", "torch", "jax", "tensorflow", "onnxruntime"):
        assert f"'{heavy}'" not in loaded

