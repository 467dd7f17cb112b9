"""Backends: the implementations under test, and how a name on the command line finds one."""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..vector import Vector

ENTRY_POINT_GROUP = "convspec.backends"
BUILTIN = {
    "numpy": "convspec.conformance.backends.numpy:backend",
    "reference": "convspec.conformance.backends.reference:backend",
    "torch": "convspec.conformance.backends.torch:backend",
    "onnxruntime": "convspec.conformance.backends.onnxruntime:backend",
    "jax": "convspec.conformance.backends.jax:backend",
    "tensorflow": "convspec.conformance.backends.tensorflow:backend",
}
# Built-in adapters of frameworks convspec does not depend on: the modules each one imports, and
# the extra of convspec that installs them. The core never imports these frameworks.
FRAMEWORKS = {
    "torch": (("torch",), "torch"),
    "onnxruntime": (("onnxruntime", "onnx"), "onnxruntime"),
    "jax": (("jax", "jaxlib"), "jax"),
    "tensorflow": (("tensorflow",), "tensorflow"),
}


class BackendNotFound(LookupError):
    """A backend name that resolves to nothing usable."""


@dataclass
class Backend:
    """An implementation under test: a protocol ``conv`` callable and what it declares.

    ``dtypes`` and ``ranks`` of None mean "all"; vectors outside what is declared report
    ``unsupported`` instead of failing.
    """

    name: str
    conv: Callable
    version: str = ""
    pad: Callable | None = None
    description: str = ""
    dtypes: frozenset[str] | None = None
    ranks: frozenset[int] | None = None
    groups: bool = True
    dilation: bool = True
    extra: dict = field(default_factory=dict)
    # Refusals the flags above cannot express, such as a dtype a framework has only in some ranks:
    # a function of the vector that returns why the backend cannot run it, or None.
    limits: Callable[[Vector], str | None] | None = None

    def unsupported(self, vector: Vector) -> str | None:
        """Why this backend cannot run ``vector``, or None when it can."""
        if self.dtypes is not None and vector.dtype not in self.dtypes:
            return f"dtype {vector.dtype} not supported by {self.name}"
        if self.ranks is not None and vector.rank not in self.ranks:
            return f"{vector.rank}-D convolution not supported by {self.name}"
        if vector.op == "conv" and not self.groups and vector.groups != 1:
            return f"groups={vector.groups} not supported by {self.name}"
        if vector.op == "conv" and not self.dilation and set(vector.dilation) != {1}:
            return f"dilation {list(vector.dilation)} not supported by {self.name}"
        if vector.op == "pad" and self.pad is None and not self.groups and \
                vector.inputs["x"]["shape"][1] > 1:
            return f"pad needs groups to run through {self.name}'s conv"
        if self.limits is not None:
            return self.limits(vector)
        return None

    def run(self, vector: Vector, arrays: dict[str, np.ndarray]) -> object:
        """Call the backend on one vector's inputs, by the backend protocol."""
        x = arrays["x"]
        if vector.op == "pad":
            if self.pad is not None:
                return self.pad(x, vector.padding)
            # Without a pad of its own, a backend pads through its conv: a 1x1 unit kernel per
            # channel reproduces the zero-padded input exactly.
            channels = x.shape[1]
            unit = np.ones((channels, 1) + (1,) * (x.ndim - 2), dtype=x.dtype)
            return self.conv(x, unit, None, stride=(1,) * (x.ndim - 2), padding=vector.padding,
                             dilation=(1,) * (x.ndim - 2), groups=channels)
        return self.conv(x, arrays["w"], arrays.get("b"), stride=vector.stride,
                         padding=vector.padding, dilation=vector.dilation, groups=vector.groups)


def _version_of(obj: object) -> str:
    module = getattr(obj, "__module__", "") or ""
    top = module.split(".")[0]
    try:
        return importlib.metadata.version(top)
    except importlib.metadata.PackageNotFoundError:
        return str(getattr(sys.modules.get(top), "__version__", ""))


def _load_target(target: str, label: str) -> object:
    module_name, _, attr = target.partition(":")
    if not module_name or not attr:
        raise BackendNotFound(f"backend {label!r}: expected a built-in name or 'package.module:callable'")
    if str(Path.cwd()) not in sys.path:
        sys.path.append(str(Path.cwd()))  # a backend in the user's own directory, like python -m
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise BackendNotFound(f"backend {label!r}: cannot import {module_name!r}: {exc}") from None
    obj: object = module
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise BackendNotFound(f"backend {label!r}: {module_name!r} has no {attr!r}") from None
    return obj


def installed() -> dict[str, str]:
    """Short backend names -> 'module:attr' targets: built-ins, then entry points."""
    names = dict(BUILTIN)
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        names.setdefault(ep.name, ep.value)
    return names


def resolve(name: str) -> Backend:
    """The backend a command-line name means: a short name or ``package.module:callable``."""
    # a built-in name needs no scan of every installed distribution's entry points
    target = BUILTIN.get(name) or installed().get(name, name)
    if name in FRAMEWORKS and target == BUILTIN[name]:
        modules, extra = FRAMEWORKS[name]
        missing = [m for m in modules if importlib.util.find_spec(m) is None]
        if missing:
            verb = "is" if len(missing) == 1 else "are"
            raise BackendNotFound(f"{' and '.join(missing)} {verb} not installed: "
                                  f"pip install 'convspec[{extra}]'")
    obj = _load_target(target, name)
    if isinstance(obj, Backend):
        return obj
    if callable(obj):
        return Backend(name=name, conv=obj, version=_version_of(obj))
    raise BackendNotFound(f"backend {name!r}: {target} is neither a Backend nor callable")
