"""The code base stays ruff-clean (the configuration lives in pyproject.toml)."""

import subprocess
import sys
from pathlib import Path


def test_ruff_check_is_clean():
    repo = Path(__file__).parents[1]
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "."], cwd=repo,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
