"""Union-find over hashable items: the one implementation the package uses.

The builder merges index names joined by deltas, rule instantiation merges
legs that must share a size, and the numeric network merges ports joined by
wires or deltas.  networkx has `utils.UnionFind`, but it unions by weight, so
which item becomes a class's representative depends on class sizes; the
builder names a class by its representative in error messages ("cannot tell
the size of index 'i'"), and those must name the first index the user wrote.
Here the representative is always the first argument's root, with path
halving for near-constant `find`.
"""
from __future__ import annotations

from typing import Generic, Hashable, Iterator, TypeVar

T = TypeVar("T", bound=Hashable)


class UnionFind(Generic[T]):
    """Disjoint sets; `union(a, b)` keeps `a`'s representative."""

    def __init__(self) -> None:
        self.parent: dict[T, T] = {}

    def add(self, x: T) -> None:
        self.parent.setdefault(x, x)

    def __contains__(self, x: object) -> bool:
        return x in self.parent

    def __iter__(self) -> Iterator[T]:
        return iter(self.parent)

    def find(self, x: T) -> T:
        """The representative of `x`'s class (`x` is added if new)."""
        p = self.parent
        if x not in p:
            p[x] = x
            return x
        while p[x] != x:
            p[x] = p[p[x]]
            x = p[x]
        return x

    def union(self, a: T, b: T) -> T:
        """Merge the classes of `a` and `b`; returns the representative (`a`'s)."""
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra
        return ra
