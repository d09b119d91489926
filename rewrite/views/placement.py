"""Node positions for the 2-D structures of tensor networks: grids, trees and
mirrored norms.

`layout` recognises rows and ladders itself; what it cannot lay out in rows
comes here before the force-directed fallback.  Every function takes the
simple graph on a connected part's nodes and returns grid positions (x to the
right, y up, one unit per step) or None when the part does not have that
shape:

* `grid`: a 2-D lattice (a PEPS, an MPO applied to an MPS) on its lattice,
  found by graph isomorphism with networkx's `grid_2d_graph`, turned so the
  first node in reading order is at the top left;
* `tree`: a tree with a root the isometries point to (their tip legs lead
  to it), laid out by igraph's Reingold–Tilford algorithm, root on top;
* `mirrored`: a norm or sandwich ⟨ψ|O|ψ⟩ of any shape - ψ laid out once (as a
  row, grid or tree), its conjugate below as its mirror image (a grid's
  conjugate behind it, shifted down and right, as a double layer is drawn by
  hand; a 2×2 grid's around it, which avoids every crossing), and the
  operators between, under the sites they act on.
"""
from __future__ import annotations

import math
from typing import Callable

import networkx as nx

from ..core.diagram import BubbleNode, Diagram, TensorNode
from ..core.kinds import Kind

Pos = dict[int, tuple[float, float]]

LAYER_SHIFT = (0.42, -0.52)  # where a grid's conjugate layer sits, in steps
RING = 2.6  # how much bigger the conjugate square of a 2×2 norm is drawn
BAND = 1.0  # steps between a tree's leaves and its mirror image's (operators go between)


def name(node) -> tuple:
    """What identifies a node's tensor across ket and bra: name and operation."""
    return (node.decl.name, node.op) if isinstance(node, TensorNode) else (node.title,)


def is_conj(node) -> bool:
    return isinstance(node, (TensorNode, BubbleNode)) and node.conj


# -------------------------------------------------------------------- grids


def _symmetries(rows: int, cols: int) -> list[Callable[[int, int], tuple[int, int]]]:
    out = [lambda r, c: (r, c), lambda r, c: (r, cols - 1 - c),
           lambda r, c: (rows - 1 - r, c), lambda r, c: (rows - 1 - r, cols - 1 - c)]
    if rows == cols:
        out += [lambda r, c: (c, r), lambda r, c: (c, rows - 1 - r),
                lambda r, c: (rows - 1 - c, r), lambda r, c: (rows - 1 - c, rows - 1 - r)]
    return out


def grid(h: nx.Graph, order: list[int]) -> Pos | None:
    """Lattice positions when h is a rows × cols grid with rows, cols >= 2.
    Of the lattice's symmetries the one reading `order` most nearly row by
    row (top to bottom, left to right) is taken."""
    n = h.number_of_nodes()
    if n < 4 or max((deg for _, deg in h.degree), default=0) > 4:
        return None
    for rows in range(2, int(math.isqrt(n)) + 1):
        if n % rows:
            continue
        cols = n // rows
        lattice = nx.grid_2d_graph(rows, cols)
        if lattice.number_of_edges() != h.number_of_edges():
            continue
        match = nx.algorithms.isomorphism.GraphMatcher(h, lattice)
        iso = next(match.isomorphisms_iter(), None)
        if iso is None:
            continue
        best = None
        for sym in _symmetries(rows, cols):
            cells = [sym(*iso[v]) for v in order]
            key = [r * cols + c for r, c in cells]
            if best is None or key < best[0]:
                best = (key, {v: sym(*iso[v]) for v in h})
        assert best is not None
        cells = best[1]
        if rows > cols:  # wide rather than tall: pictures read in rows
            cells = {v: (c, r) for v, (r, c) in cells.items()}
        return {v: (float(c), -float(r)) for v, (r, c) in cells.items()}
    return None


# -------------------------------------------------------------------- trees


def _tips(d: Diagram, h: nx.Graph) -> dict[int, int]:
    """For each isometry whose tip legs all go to one neighbour: that neighbour."""
    out = {}
    for v in h:
        if not isinstance(v, int):
            continue
        node = d.nodes[v]
        if not (isinstance(node, TensorNode) and node.decl.kind is Kind.ISOMETRY):
            continue
        ends = {d.link[(v, i)][0] for i in range(node.split, node.arity)}
        if len(ends) == 1 and next(iter(ends)) in h:
            out[v] = next(iter(ends))
    return out


def tree_root(d: Diagram, h: nx.Graph, order: list[int]) -> int:
    """Where a tree's isometries point: the node most tip legs lead to along
    the tree, else the centre of the tree (first in reading order)."""
    tips = _tips(d, h)
    if tips:
        def height(v: int) -> int:
            n = 0
            while v in tips and n <= len(tips):
                v, n = tips[v], n + 1
            return n

        top = max(height(v) for v in order)
        ends = sorted({v for v in order if v not in tips or height(v) == top}, key=order.index)
        sinks = [v for v in ends if v not in tips]
        if sinks:
            return sinks[0]
    return min(nx.center(h.subgraph(order)), key=order.index)


def tree(d: Diagram, h: nx.Graph, order: list[int], root: int | None = None) -> Pos | None:
    """Reingold–Tilford positions, root on top, for a tree at least two levels
    deep below its nodes' root (a star is left to the force layout, which
    draws it as the usual core with factors around it).  h may hold open legs
    as leaves ("free", k): they get slots of their own, so that the legs of
    neighbouring leaves do not run into each other."""
    n = h.number_of_nodes()
    if len(order) < 4 or h.number_of_edges() != n - 1 or not nx.is_connected(h):
        return None
    root = tree_root(d, h, order) if root is None else root
    depth = nx.single_source_shortest_path_length(h, root)
    if max(depth[v] for v in order) < 2:
        return None
    from ..core.graphlib import igraph as load_igraph

    igraph = load_igraph()

    rank = {v: (0, i) for i, v in enumerate(order)}
    nodes = sorted(h, key=lambda v: (depth[v], rank.get(v, (1, v[1]) if isinstance(v, tuple) else (2, 0))))
    index = {v: i for i, v in enumerate(nodes)}
    g = igraph.Graph(n=n, edges=sorted((min(index[a], index[b]), max(index[a], index[b])) for a, b in h.edges))
    coords = g.layout_reingold_tilford(mode="all", root=[index[root]])
    return {v: (float(coords[index[v]][0]), -float(coords[index[v]][1])) for v in nodes}


def shape_of(d: Diagram, h: nx.Graph, order: list[int], legs: nx.Graph | None = None
             ) -> tuple[str, Pos] | None:
    """A grid or a deep tree, with its positions (`legs`: h with the open
    legs as extra leaves, for the tree layout to give them slots)."""
    pos = grid(h, order)
    if pos is not None:
        return "grid", pos
    pos = tree(d, legs if legs is not None else h, order)
    if pos is not None:
        return "tree", pos
    return None


# ------------------------------------------------------------------- norms


def _bra_of(d: Diagram, h: nx.Graph, ket: list[int], bra: list[int]) -> dict[int, int] | None:
    """The bra node mirroring each ket node: an isomorphism of the two parts
    that keeps tensor names."""
    same = lambda a, b: a["name"] == b["name"]  # noqa: E731
    gk, gb = nx.Graph(h.subgraph(ket)), nx.Graph(h.subgraph(bra))
    nx.set_node_attributes(gk, {v: name(d.nodes[v]) for v in gk}, "name")
    nx.set_node_attributes(gb, {v: name(d.nodes[v]) for v in gb}, "name")
    match = nx.algorithms.isomorphism.GraphMatcher(gk, gb, node_match=same)
    return next(match.isomorphisms_iter(), None)


def mirrored(d: Diagram, h: nx.Graph, order: list[int], row: Callable[[nx.Graph], list[int] | None]
             ) -> tuple[str, Pos, dict[int, int]] | None:
    """Positions for ψ, O and conj(ψ) (see the module docstring), and which
    side each node's open legs should leave on (+1 up, -1 down).  `row`
    orders a path (the layout's own reading of a chain)."""
    bra = [v for v in order if is_conj(d.nodes[v])]
    names = {name(d.nodes[v]) for v in bra}
    ket = [v for v in order if not is_conj(d.nodes[v]) and name(d.nodes[v]) in names]
    if not bra or len(ket) != len(bra):
        return None
    pair = _bra_of(d, h, ket, bra)
    if pair is None:
        return None
    hk = h.subgraph(ket)
    if not nx.is_connected(hk):
        return None
    path = row(hk)
    if path is not None:
        kind, pos = "row", {v: (float(i), 0.0) for i, v in enumerate(path)}
    else:
        found = shape_of(d, hk, ket)
        if found is None:
            return None
        kind, pos = found
    ops = [v for v in order if v not in pos and v not in pair.values()]
    out: Pos = dict(pos)
    sides = {v: 1 for v in ket}
    if kind == "grid" and len(ket) == 4:
        # A 2×2 norm is the cube graph, which is planar: the bra as a bigger
        # square around the ket, the physical wires running out between them.
        cx = sum(pos[v][0] for v in ket) / 4
        cy = sum(pos[v][1] for v in ket) / 4
        for v in ket:
            x, y = pos[v]
            out[pair[v]] = (cx + RING * (x - cx), cy + RING * (y - cy))
    elif kind == "grid":
        for v in ket:
            x, y = pos[v]
            out[pair[v]] = (x + LAYER_SHIFT[0], y + LAYER_SHIFT[1])
        if ops:
            return None  # an operator layer on a grid: left to the force layout
    else:
        low = min(y for _, y in pos.values())
        gap = BAND + (1.0 if ops else 0.0)
        for v in ket:
            x, y = pos[v]
            out[pair[v]] = (x, 2 * low - gap - y)
        _place_between(h, ops, out, low - gap / 2)
    sides.update({pair[v]: -1 for v in ket})
    sides.update({v: 1 for v in ops})
    return kind, out, sides


def _place_between(h: nx.Graph, ops: list[int], pos: Pos, y: float) -> None:
    """Operators on the band between ψ and its mirror image: each under the
    mean of its placed neighbours, moved right where it would crowd the one
    before (an operator train keeps its order)."""
    want = []
    for v in ops:
        xs = [pos[w][0] for w in h[v] if w in pos]
        want.append((sum(xs) / len(xs) if xs else 0.0, v))
    last = -math.inf
    for x, v in sorted(want, key=lambda t: (t[0], ops.index(t[1]))):
        x = max(x, last + 1.0)
        pos[v] = (x, y)
        last = x
