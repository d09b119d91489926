"""Keeping Python's cyclic garbage collector off the long-lived objects of a run.

A 10^5-site program makes about ten million small objects that live until the
run ends: the parsed statements, the declarations, the built diagrams.  The
cyclic collector walks every object of a generation each time it collects
it, so each of those objects is walked once when it leaves the youngest
generation, again when it leaves the middle one, and again at every full
collection; on a 10^5-site norm that was a third of the run's CPU time, and it
grows faster than the program.

`gc.freeze()` moves every object alive now into a permanent generation that
collections skip, in constant time; reference counting still frees frozen
objects that are dropped.  Only cycles among frozen objects wait: so freezing
is allowed only inside a `run_scope`, and leaving the outermost scope unfreezes
(also constant time), after which the next full collection finds whatever
cycles were left.  Outside a scope (tests, the library's callers) `settle`
does nothing.
"""
from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator

_depth = 0


@contextmanager
def run_scope() -> Iterator[None]:
    """A run of statements: inside it, `settle` may freeze what is alive."""
    global _depth
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0:
            gc.unfreeze()


def settle() -> None:
    """Everything alive now is long-lived (a statement or a stage is done):
    take it out of the collector's walks until the run ends."""
    if _depth:
        gc.freeze()
