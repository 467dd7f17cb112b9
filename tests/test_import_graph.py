"""convspec's modules import one another without a cycle.

A cycle works only as long as every module in it defers the import that closes it (into a function,
or below the names the other side needs); one import moved to the top breaks start-up. The graph is
read from the source with `ast`, so imports inside functions count as much as top-level ones.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).parents[1]
# The folders on disk and the names they are installed under (pyproject.toml's package-dir).
PACKAGES = {"spec": "convspec.spec", "reference": "convspec.reference", "conformance": "convspec.conformance"}


def modules(roots: dict[Path, str]) -> dict[str, tuple[Path, bool]]:
    """Every module under the roots: its dotted name -> (file, whether it is a package)."""
    found = {}
    for root, name in roots.items():
        for path in sorted(root.rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            is_package = parts[-1] == "__init__"
            found[".".join((name, *(parts[:-1] if is_package else parts)))] = (path, is_package)
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return getattr(test, "id", getattr(test, "attr", None)) == "TYPE_CHECKING"  # a Name or an Attribute


def _imports(nodes):
    """Every import statement among the nodes, at any depth, except those only a type checker runs."""
    for node in nodes:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _imports(node.orelse)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        yield from _imports(ast.iter_child_nodes(node))


def _known(name: str, known: dict) -> str | None:
    """The module `import name` loads last: the longest prefix of name that is one of ours."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def edges(known: dict[str, tuple[Path, bool]]) -> dict[str, set[str]]:
    """Module -> the convspec modules it imports (dynamic `importlib.import_module` calls, such as a
    package's lazy re-exports, are not statements and do not count)."""
    graph = {}
    for name, (path, is_package) in known.items():
        targets = set()
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"), str(path)).body):
            if isinstance(node, ast.Import):
                targets |= {_known(alias.name, known) for alias in node.names}
                continue
            base = node.module or ""
            if node.level:
                package = name if is_package else name.rpartition(".")[0]
                package = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{package}.{base}" if base else package
            for alias in node.names:
                # `from package import x` loads the submodule x when there is one, else reads a name
                # from the package itself
                sub = f"{base}.{alias.name}"
                targets.add(sub if sub in known else _known(base, known))
        graph[name] = {t for t in targets if t and t != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle as a path whose last module is its first, or None when the graph has none."""
    state: dict[str, str] = {}  # "open" while on the current path, "done" once fully explored
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return [*path[path.index(nxt):], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_convspec_imports_form_no_cycle():
    known = modules({REPO / folder: name for folder, name in PACKAGES.items()})
    assert "convspec.conformance.runner" in known  # the walk found the sources
    cycle = find_cycle(edges(known))
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_checker_sees_imports_inside_functions_and_relative_submodules(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("import importlib\ndef __getattr__(n):\n"
                                     "    return importlib.import_module('.a', __name__)\n")
    (pkg / "a.py").write_text("def f():\n    from .sub import b\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "b.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                      "    from .. import c\nfrom ..a import f\n")
    (pkg / "c.py").write_text("from . import a\n")
    graph = edges(modules({pkg: "x.pkg"}))
    assert graph == {"x.pkg": set(), "x.pkg.a": {"x.pkg.sub.b"}, "x.pkg.c": {"x.pkg.a"},
                     "x.pkg.sub": set(), "x.pkg.sub.b": {"x.pkg.a"}}
    assert find_cycle(graph) == ["x.pkg.a", "x.pkg.sub.b", "x.pkg.a"]
