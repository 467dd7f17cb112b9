"""Backends: the implementations under test, and how a name on the command line finds one."""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import inspect
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..call import Call
from ..ops import OPERATORS, operator

ENTRY_POINT_GROUP = "convspec.backends"
BUILTIN = {
    "numpy": "convspec.conformance.backends.numpy:backend",
    "reference": "convspec.conformance.backends.reference:backend",
    "scipy": "convspec.conformance.backends.scipy:backend",
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
    """An implementation under test and what it declares.

    ``implementation`` is what the backend protocol calls: one callable (a ``conv``), or an object
    (a module, a class instance) whose attributes are operators (``conv``, ``pad``, ...); an
    operator it lacks makes that operator's vectors ``unsupported``. ``dtypes`` and ``ranks`` of
    None mean "all"; ``groups`` and ``dilation`` say whether its ``conv`` takes them. ``limits``
    holds, per operator, refusals those flags cannot express (a dtype a framework has only in
    some ranks): a function of the call that says why the backend cannot run it, or None.
    """

    name: str
    implementation: object
    version: str = ""
    description: str = ""
    dtypes: frozenset[str] | None = None
    ranks: frozenset[int] | None = None
    groups: bool = True
    dilation: bool = True
    extra: dict = field(default_factory=dict)
    limits: Mapping[str, Callable[[Call], str | None]] = field(default_factory=dict)

    def operator(self, name: str) -> Callable | None:
        """The backend's implementation of operator ``name``, or None when it has none."""
        found = getattr(self.implementation, name, None)
        if callable(found):
            return found
        if name == "conv" and callable(self.implementation):
            return self.implementation  # a bare callable is a conv
        return None

    def unsupported(self, call: Call) -> str | None:
        """Why this backend cannot run ``call``, or None when it can. A missing operator is named
        first: no dtype would help."""
        missing = operator(call.op).missing(self)
        if missing is not None:
            return missing
        if self.dtypes is not None and call.dtype not in self.dtypes:
            return f"dtype {call.dtype} not supported by {self.name}"
        if self.ranks is not None and call.rank not in self.ranks:
            return f"{call.rank}-D convolution not supported by {self.name}"
        return operator(call.op).unsupported(self, call)

    def run(self, call: Call, arrays: Mapping[str, np.ndarray]) -> object:
        """Call the backend on one call's input arrays, by the backend protocol."""
        return operator(call.op).invoke(self, call, arrays)


def _version_of(obj: object) -> str:
    """The version of the distribution the object comes from, as far as it can be told."""
    # a module object names itself; a function or instance names its module
    module = getattr(obj, "__name__", "") if inspect.ismodule(obj) else getattr(obj, "__module__", "")
    top = (module or "").split(".")[0]
    if not top:
        return ""
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
    if callable(obj) or any(callable(getattr(obj, op, None)) for op in OPERATORS):
        return Backend(name=name, implementation=obj, version=_version_of(obj))
    raise BackendNotFound(f"backend {name!r}: {target} is neither a Backend, a callable, nor an object "
                          f"with an operator attribute ({', '.join(OPERATORS)})")
