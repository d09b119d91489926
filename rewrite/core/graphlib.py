"""python-igraph without its plotting back ends.

`import igraph` imports its drawing package, which imports matplotlib (and
tries plotly and cairo) when they are installed: 0.5-2 s before the first
canonical form, for pictures igraph never draws here.  igraph treats each of
them as optional, so `igraph()` imports it with those modules marked absent
for the duration of the import (they stay importable afterwards; the
`views.draw` module imports matplotlib itself when a picture needs it).
"""
from __future__ import annotations

import sys
from types import ModuleType

_PLOTTING = ("matplotlib", "matplotlib.pyplot", "plotly", "cairo", "cairocffi")


def igraph() -> ModuleType:
    """The `igraph` module, imported without plotting libraries if not yet imported."""
    module = sys.modules.get("igraph")
    if module is not None:
        return module
    # Every one is marked absent, even one already imported (put back after):
    # with matplotlib loaded and pyplot not, igraph would import pyplot and fail.
    saved = {name: sys.modules.get(name) for name in _PLOTTING}
    for name in _PLOTTING:
        sys.modules[name] = None  # type: ignore[assignment]  # makes `import name` fail fast
    try:
        import igraph as module
    finally:
        for name, was in saved.items():
            if was is not None:
                sys.modules[name] = was
            elif sys.modules.get(name, 0) is None:
                del sys.modules[name]
    return module
