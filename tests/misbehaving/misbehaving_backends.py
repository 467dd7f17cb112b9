"""Backends that misbehave in every way a conformance run must survive (not wrong values:
wrong behaviour). Each is correct on every vector except those named in its docstring."""

from __future__ import annotations

import ctypes
import os
import time

import numpy as np

from convspec.conformance.backends.numpy import conv as correct

TARGET = "notes/convolution/minus-60"  # the vector the misbehaviour is aimed at, by its shape


def _is_target(x, w) -> bool:
    return (x.shape == (1, 1, 3, 3) and w.shape == (1, 1, 3, 3) and x.dtype == np.float32
            and x[0, 0, 0, 0] == 10)


def raises(x, w, b=None, **kw):
    """Raises RuntimeError on the -60 vector."""
    if _is_target(x, w):
        raise RuntimeError("no kernel for this shape")
    return correct(x, w, b, **kw)


def wrong_shape(x, w, b=None, **kw):
    return correct(x, w, b, **kw)[..., :1] if not _is_target(x, w) else np.zeros((1, 1, 2, 2), x.dtype)


def wrong_dtype(x, w, b=None, **kw):
    out = correct(x, w, b, **kw)
    return out.astype(np.float64) if _is_target(x, w) else out


def not_an_array(x, w, b=None, **kw):
    return {"result": "maybe"} if _is_target(x, w) else correct(x, w, b, **kw)


def view_of_input(x, w, b=None, **kw):
    """Returns a read-only view of its input instead of a new array."""
    if _is_target(x, w):
        view = x[:, :, :1, :1]
        view.flags.writeable = False
        return view
    return correct(x, w, b, **kw)


def nan_everywhere(x, w, b=None, **kw):
    out = correct(x, w, b, **kw)
    return np.full_like(out, np.nan) if _is_target(x, w) else out


def mutates_input(x, w, b=None, **kw):
    out = correct(x, w, b, **kw)
    if _is_target(x, w):
        x[...] = 0
    return out


def prints(x, w, b=None, **kw):
    """Prints to stdout, from Python and straight to file descriptor 1, on every call."""
    print("DEBUG: entering conv")
    os.write(1, b"RAW WRITE TO FD 1\n")
    return correct(x, w, b, **kw)


def exits(x, w, b=None, **kw):
    """Calls os._exit on the -60 vector."""
    if _is_target(x, w):
        os._exit(3)
    return correct(x, w, b, **kw)


def segfaults(x, w, b=None, **kw):
    """Dereferences a null pointer on the -60 vector."""
    if _is_target(x, w):
        ctypes.string_at(0)
    return correct(x, w, b, **kw)


def hangs(x, w, b=None, **kw):
    """Sleeps (almost) forever on the -60 vector."""
    if _is_target(x, w):
        time.sleep(3600)
    return correct(x, w, b, **kw)


_hoard = []


def leaks(x, w, b=None, **kw):
    """Allocates 256 MiB more on every call and never frees it."""
    _hoard.append(np.ones(256 * 1024 * 1024 // 8))
    return correct(x, w, b, **kw)


def hangs_late(x, w, b=None, **kw):
    """Sleeps (almost) forever on the float16 twin of the -60 vector, the last of its file."""
    if x.shape == (1, 1, 3, 3) and x.dtype == np.float16 and x[0, 0, 0, 0] == 10:
        time.sleep(3600)
    return correct(x, w, b, **kw)
