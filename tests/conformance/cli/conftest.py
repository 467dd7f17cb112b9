"""The command line run in this process, its output captured."""

import pytest

from convspec.conformance.cli import main


@pytest.fixture
def run_cli(capsys):
    """`convspec ARGS…` as a function: run_cli(*args) -> (exit code, stdout, stderr)."""

    def run(*args):
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run
