"""The package's layers: imports go downward only, and no module imports
itself back through others (docs/design.md, "Import direction").

Every `import` in every module counts, at module level or inside a function,
except those under `if TYPE_CHECKING:` (annotations only, never run).  The
one upward import allowed is the notebook display of diagrams and sums
(`core.diagram._Shown` asks `views` for a picture or text), as sympy's
printing mixin does; it is listed here by name.
"""
from __future__ import annotations

import ast
import pathlib

import networkx as nx

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "rewrite"

# Lowest first; a module may import from its own layer and the layers before it.
LAYERS = ["core", "transforms", "language", "numerics", "rewriting", "views", "app"]
RANK = {name: k for k, name in enumerate(LAYERS)}

# (importer, imported module): display hooks that reach up on purpose.
DISPLAY = {
    ("rewrite.core.diagram", "rewrite.views.draw"),
    ("rewrite.core.diagram", "rewrite.views.printer"),
}


def _module_name(path: pathlib.Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                for sub in ast.walk(inner):
                    if hasattr(sub, "lineno"):
                        lines.add(sub.lineno)
    return lines


def _imports(path: pathlib.Path) -> set[str]:
    """The modules of this package that `path` imports (resolved, absolute)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_lines(tree)
    out: set[str] = set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("rewrite"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("rewrite"):
                continue
            for a in node.names:  # `from . import syntax` names a module
                sub = f"{target}.{a.name}"
                out.add(sub if _exists(sub) else target)
    return {m for m in out if m != name}


def _exists(module: str) -> bool:
    rel = pathlib.Path(*module.split(".")[1:])
    return (PACKAGE / rel).with_suffix(".py").exists() or (PACKAGE / rel / "__init__.py").exists()


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[1] in RANK else None


def _graph() -> nx.DiGraph:
    g = nx.DiGraph()
    for path in PACKAGE.rglob("*.py"):
        src = _module_name(path)
        g.add_node(src)
        for dst in _imports(path):
            g.add_edge(src, dst)
    return g


def test_every_module_sits_in_a_layer():
    loose = [m for m in _graph() if m.count(".") >= 2 and _layer(m) is None]
    assert loose == []


def test_imports_go_downward_only():
    upward = sorted((a, b) for a, b in _graph().edges
                    if _layer(a) and _layer(b) and RANK[_layer(b)] > RANK[_layer(a)]
                    and (a, b) not in DISPLAY)
    assert upward == []


def test_no_module_imports_itself_back():
    g = _graph()
    g.remove_edges_from(DISPLAY)
    # Package __init__ modules only gather; an import of the package itself is no cycle.
    g.remove_nodes_from([m for m in list(g) if m.count(".") < 2])
    assert list(nx.simple_cycles(g)) == []


def test_the_display_exceptions_are_still_needed():
    edges = set(_graph().edges)
    assert DISPLAY <= edges


def test_no_module_imports_a_private_name_from_another():
    private = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("rewrite")):
                private += [f"{_module_name(path)}: {a.name}" for a in node.names
                            if a.name.startswith("_") and not a.name.startswith("__")]
    assert private == []
