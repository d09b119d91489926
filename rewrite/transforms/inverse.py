"""The inverse of an expression, built structurally (LANGUAGE.md §10 `inv(EXPR)`).

A one-term diagram read as a matrix from its row leg to its column leg is
invertible when it is a composition of invertible layers: every node is an
invertible tensor (an invertible, unitary or orthogonal tensor, an inverse, a
conjugate, a fuse of grouped legs) entered on one whole side of its arrow and
left on the other, the wires never branch, and the scalar is not zero.  Then
the inverse is the same wiring read the other way, each node replaced by its
own inverse: inv(X @ Y) = inv(Y) @ inv(X), inv(Xᵀ) = inv(X)ᵀ, inv(inv(X)) = X,
inv(kron(A, B)) = kron(inv(A), inv(B)).  Anything else (a sum, a trace, a
generic tensor, a many-legged δ, a bubble) is not *known* to be invertible,
and the caller reports the factor that is not.

Why by hand: this is graph surgery on our own port graph (a walk that orients
each node and a port relabelling); no library speaks this structure.
"""
from __future__ import annotations

from typing import Any

from ..core import scalars
from ..core.diagram import BOUNDARY, Diagram, Sum, TensorNode
from ..core.kinds import Kind


class NotInvertible(Exception):
    """Raised with the title of the factor that is not known to be invertible."""

    def __init__(self, factor: str, why: str = "") -> None:
        super().__init__(factor)
        self.factor = factor
        self.why = why


def _sides(node: TensorNode) -> tuple[list[int], list[int]]:
    """A node's ports on either side of its arrow (half and half without one)."""
    n = node.arity
    s = node.split if 0 < node.split < n else n // 2
    return list(range(s)), list(range(s, n))


def _inverse_node(node: TensorNode) -> tuple[TensorNode, dict[int, int]]:
    """The node's inverse and where each old port goes (old port -> new port).

    For a unitary the inverse is the conjugate on the same ports (inv(Q) =
    Q†, read the other way); otherwise `inv` swaps the two sides, so the new
    node's first ports take the wires of the old node's second side.
    """
    d = node.decl
    if node.op == "" and d.is_a(Kind.UNITARY):
        return TensorNode(d, conj=not node.conj), {k: k for k in range(node.arity)}
    a, b = _sides(node)
    new = TensorNode(d, conj=node.conj, op="" if node.op == "inv" else "inv")
    perm = {old: k for k, old in enumerate(b + a)}
    return new, perm


def _invertible(node: Any) -> bool:
    return (isinstance(node, TensorNode) and node.op in ("", "inv")
            and node.decl.is_a(Kind.INVERTIBLE) and node.arity >= 2)


def inverse(s: Sum) -> Sum:
    """inv of a two-legged expression (row leg first), with anonymous legs in
    matrix order (its row pairs with `s`'s column).  Raises NotInvertible."""
    if len(s.free) != 2:
        raise NotInvertible("", f"it has {len(s.free)} free legs, not two")
    if len(s.terms) != 1:
        raise NotInvertible("a sum", "a sum is not known to be invertible")
    d = s.terms[0]
    if (d.scalar == 0 if scalars.is_concrete(d.scalar)
            else scalars.sympify(d.scalar).is_zero is not False):
        raise NotInvertible(str(d.scalar), "the scalar may be zero")
    _check_layers(d)
    out = Diagram(scalars.div(1, d.scalar))
    perms: dict[int, dict[int, int]] = {}
    for v, node in d.nodes.items():
        new, perms[v] = _inverse_node(node)
        out.nodes[v] = new
    out._next = d._next
    out.free = list(d.free)
    out.free_sizes = list(d.free_sizes)
    for (v, i), (w, j) in d.link.items():
        p = (v, i if v == BOUNDARY else perms[v][i])
        q = (w, j if w == BOUNDARY else perms[w][j])
        out.link[p] = q
    out = out.with_free([d.free[1], d.free[0]]).renamed(["#0", "#1"])
    return Sum.of(out)


def _check_layers(d: Diagram) -> None:
    """Raise NotInvertible unless `d` is a composition of invertible layers
    from its first free leg to its second."""
    for node in d.nodes.values():
        if not _invertible(node):
            raise NotInvertible(getattr(node, "title", "δ"))
    entered: dict[int, int] = {}      # node -> side entered (0 or 1)
    arrived: dict[int, set[int]] = {}
    frontier = [d.link[(BOUNDARY, 0)]]
    reached_col = False
    while frontier:
        v, i = frontier.pop()
        if v == BOUNDARY:
            if i != 1:
                raise NotInvertible("", "its row leg is wired back to itself")
            reached_col = True
            continue
        node = d.nodes[v]
        sides = _sides(node)
        side = 0 if i in sides[0] else 1
        if entered.setdefault(v, side) != side:
            raise NotInvertible(node.title, "it is met from both sides")
        got = arrived.setdefault(v, set())
        if i in got:
            raise NotInvertible(node.title)
        got.add(i)
        if got == set(sides[side]):
            frontier.extend(d.link[(v, k)] for k in sides[1 - side])
    for v, node in d.nodes.items():
        if v not in entered or arrived[v] != set(_sides(node)[entered[v]]):
            raise NotInvertible(node.title, "it is not on the way from the row to the column")
    if not reached_col:
        raise NotInvertible("", "its row does not lead to its column")
