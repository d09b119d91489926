"""penrose-rewrite: symbolic rewriting for Penrose graphical tensor notation.

The data flow, top to bottom: text -> syntax tree (`language.parse`) ->
diagram, a port graph (`language.expressions`, `core.diagram`) -> rules
(`rewriting.match`, `rewriting.strategies`) -> normal form -> canonical form
(`core.canon`) -> verdict (`rewriting.prove`); the numeric path
(`numerics.sample`, `numerics.evaluate`) runs beside it and checks every step.

As a library (docs/python.md):

    import rewrite as rw
    prog = rw.load("examples/tensor_train.tn")
    d = prog.diagram("A[i, j] A[j, k]")

The public names below are loaded on first use, so `import rewrite` stays
instant (no sympy, numpy or matplotlib until something needs them).
"""
from __future__ import annotations

__version__ = "0.1.0"

#: Public name -> the module that defines it (loaded lazily by __getattr__).
_EXPORTS = {
    "load": "rewrite.app.library",
    "program": "rewrite.app.library",
    "Program": "rewrite.app.library",
    "Diagram": "rewrite.app.library",
    "Leg": "rewrite.app.library",
    "Step": "rewrite.app.library",
    "Simplified": "rewrite.app.library",
    "Verdict": "rewrite.app.library",
    "PathTerm": "rewrite.app.library",
    "PathTerms": "rewrite.app.library",
    "CostReport": "rewrite.app.library",
    "Contribution": "rewrite.numerics.contributions",
    "Contributions": "rewrite.numerics.contributions",
    "InputError": "rewrite.core.errors",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'rewrite' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
