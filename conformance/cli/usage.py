"""What every verb shares about talking to the user: exit codes, usage errors, profile names."""

from __future__ import annotations

EXIT_OK, EXIT_NOT_PASSED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A problem with what the user asked for: exit 2 with a one-line message."""


# The profiles of conformance/tolerance.py, named here so that building the parser imports no NumPy;
# a test keeps the two lists equal.
PROFILE_NAMES = ("half-accumulate", "strict", "tf32")
