"""Canonical keys: two diagrams get equal keys exactly when they are isomorphic.

`prove` decides equality of normal forms by comparing keys, and `canonical_sum`
collects like terms, so a key must be *complete* (never equal for different
port graphs) and *invariant* (never different for isomorphic ones), and cheap
to hash.  Keys are tuples of strings and bytes.

What "isomorphic" means here: a bijection of nodes that keeps node labels
(`node.key`), maps port i of a node to port i of its image (ports of deltas and
of symmetric tensors may be permuted), keeps every wire, maps each free leg to
the free leg of the same name (or, with `by_position`, the same position) and
size, and keeps the scalar.

Two algorithms, chosen per connected component (the choice depends only on the
component's isomorphism class, so isomorphic components always take the same
path and get comparable keys):

* **Port-following code** when every port of the component is ordered.  From an
  anchor, a breadth-first walk that visits ports in their fixed order numbers
  the nodes in visit order and writes, for each node, its label and, for each
  port, the number and port of the node across.  The code determines the graph,
  and the set of anchors tried is isomorphism-invariant, so the smallest code
  is canonical.  A free leg has a unique label, so open diagrams need one
  anchor: O(N).  For closed components colour refinement narrows the anchors
  to the rarest refined colour class.  networkx's VF2 is far too slow for this
  (over a minute on a 1,000-site MPS norm) and plain Weisfeiler-Lehman is
  unsound (a 2N-cycle and two N-cycles get the same colours), which is why the
  walk is written by hand.
* **bliss** (through python-igraph) when a component has interchangeable
  ports, or when a closed component is so symmetric that more than
  `MAX_ANCHORS` anchors survive refinement (tr(A^N) has N equivalent anchors,
  and trying them all would be O(N^2)).  The port graph is encoded as a
  vertex-coloured simple graph: a vertex per node, a vertex per port (coloured
  by node label and port index, or "sym"), edges node-port and port-port.

A component key is tagged with the path that made it; the diagram key is the
sorted tuple of component keys plus the scalar.
"""
from __future__ import annotations

from array import array
from collections import Counter
from functools import lru_cache
from typing import Any, Hashable, Iterable

from .diagram import BOUNDARY, Diagram, Node, Sum

# More anchors than this after refinement: hand the component to bliss.
MAX_ANCHORS = 16
# Colour-refinement rounds spent looking for a small anchor class.
REFINE_ROUNDS = 4


# ------------------------------------------------------------------- scalars


@lru_cache(maxsize=8192)
def scalar_key(x: Any) -> str:
    """A canonical string of a sympy scalar.

    `cancel` brings rational functions of the sizes to a unique p/q with
    expanded numerator and denominator, so 2*(n+1) and 2*n+2 agree; other
    expressions fall back to their expanded form.
    """
    import sympy

    x = sympy.sympify(x)
    if x.is_Number:
        return sympy.srepr(x)
    try:
        y = sympy.cancel(sympy.expand(x))
    except (sympy.PolynomialError, TypeError, ValueError):  # pragma: no cover - exotic
        y = sympy.expand(x)
    return sympy.srepr(y)


def _is_zero(x: Any) -> bool:
    import sympy

    x = sympy.sympify(x)
    if x.is_Number:
        return x == 0
    try:
        return sympy.cancel(sympy.expand(x)) == 0
    except (sympy.PolynomialError, TypeError, ValueError):  # pragma: no cover - exotic
        return sympy.simplify(x) == 0


# --------------------------------------------------------------- flat graph


class _Flat:
    """The diagram as integer vertices: nodes first, then one vertex per free leg.

    `adj[v][i]` is `(u, j)`: port i of v is wired to port j of u.  A free leg is
    a one-port vertex labelled by its name (or position) and size, so it needs
    no special case in either algorithm.
    """

    __slots__ = ("labels", "adj", "sym")

    def __init__(self, d: Diagram, by_position: bool) -> None:
        label_of: dict[Node, str] = {}
        index: dict[int, int] = {}
        labels: list[str] = []
        sym: list[bool] = []
        for v, node in d.nodes.items():
            index[v] = len(labels)
            lab = label_of.get(node)
            if lab is None:
                lab = label_of[node] = repr((node.key, node.arity))
            labels.append(lab)
            sym.append(bool(node.symmetric_ports))
        base = len(labels)
        for k, (name, size) in enumerate(zip(d.free, d.free_sizes)):
            labels.append(repr(("F", k if by_position else name, str(size))))
            sym.append(False)

        def vert(p: tuple[int, int]) -> tuple[int, int]:
            return (base + p[1], 0) if p[0] == BOUNDARY else (index[p[0]], p[1])

        link = d.link
        adj: list[list[tuple[int, int]]] = []
        for v, node in d.nodes.items():
            adj.append([vert(link[(v, i)]) for i in range(node.arity)])
        for k in range(len(d.free)):
            adj.append([vert(link[(BOUNDARY, k)])])
        self.labels = labels
        self.adj = adj
        self.sym = sym

    def components(self) -> list[list[int]]:
        seen = [False] * len(self.labels)
        out = []
        for s in range(len(self.labels)):
            if seen[s]:
                continue
            seen[s] = True
            comp = [s]
            i = 0
            while i < len(comp):
                for u, _ in self.adj[comp[i]]:
                    if not seen[u]:
                        seen[u] = True
                        comp.append(u)
                i += 1
            out.append(comp)
        return out


# ------------------------------------------------------- port-following code


def _port_code(adj: list[list[tuple[int, int]]], rank: dict[int, int], anchor: int) -> list[int]:
    """The breadth-first port-order walk from `anchor`, as a list of ints."""
    num = {anchor: 0}
    order = [anchor]
    out: list[int] = []
    i = 0
    while i < len(order):
        v = order[i]
        i += 1
        ports = adj[v]
        out.append(rank[v])
        out.append(len(ports))
        for u, j in ports:
            n = num.get(u)
            if n is None:
                n = num[u] = len(order)
                order.append(u)
            out.append(n)
            out.append(j)
    return out


def _refine(adj: list[list[tuple[int, int]]], comp: list[int], colour: dict[int, int]) -> dict[int, int]:
    """One round of colour refinement over ordered ports, with canonical colour names.

    New colours are ranks of sorted signatures, so they mean the same in every
    isomorphic component - which is what makes "the rarest class" invariant.
    """
    sig = {v: (colour[v], tuple((colour[u], j) for u, j in adj[v])) for v in comp}
    ranks = {s: r for r, s in enumerate(sorted(set(sig.values())))}
    return {v: ranks[sig[v]] for v in comp}


def _rarest(colour: dict[int, int]) -> list[int]:
    counts = Counter(colour.values())
    best = min(counts, key=lambda c: (counts[c], c))
    return [v for v, c in colour.items() if c == best]


def _anchors(flat: _Flat, comp: list[int], rank: dict[int, int]) -> list[int] | None:
    """Invariant anchor candidates, or None when too many survive refinement."""
    colour = dict(rank)
    cands = _rarest(colour)
    classes = len(set(colour.values()))
    for _ in range(REFINE_ROUNDS):
        if len(cands) <= MAX_ANCHORS:
            break
        colour = _refine(flat.adj, comp, colour)
        n = len(set(colour.values()))
        cands = _rarest(colour)
        if n == classes:  # stable: refinement can say no more
            break
        classes = n
    return cands if len(cands) <= MAX_ANCHORS else None


def _table(flat: _Flat, comp: Iterable[int]) -> tuple[tuple[str, ...], dict[int, int]]:
    table = tuple(sorted({flat.labels[v] for v in comp}))
    pos = {lab: r for r, lab in enumerate(table)}
    return table, {v: pos[flat.labels[v]] for v in comp}


def _code_key(flat: _Flat, comp: list[int]) -> tuple | None:
    table, rank = _table(flat, comp)
    anchors = _anchors(flat, comp, rank)
    if anchors is None:
        return None
    best = min(_port_code(flat.adj, rank, a) for a in anchors)
    return ("code", table, array("q", best).tobytes())


# -------------------------------------------------------------------- bliss


def _encode(flat: _Flat, verts: list[int]) -> tuple[list[tuple], list[tuple[int, int]]]:
    """Vertex-coloured simple graph of the port graph on `verts`.

    Returns (colours, edges): one vertex per node (colour ("N", label)), then one
    per port (colour ("P", label, index), index -1 for interchangeable ports);
    edges join a node to its ports and the two ports of each wire.
    """
    colours: list[tuple] = []
    node_vertex: dict[int, int] = {}
    for v in verts:
        node_vertex[v] = len(colours)
        colours.append(("N", flat.labels[v], -2))
    port_vertex: dict[tuple[int, int], int] = {}
    edges: list[tuple[int, int]] = []
    for v in verts:
        lab = flat.labels[v]
        sym = flat.sym[v]
        for i in range(len(flat.adj[v])):
            port_vertex[(v, i)] = len(colours)
            colours.append(("P", lab, -1 if sym else i))
            edges.append((node_vertex[v], port_vertex[(v, i)]))
    for v in verts:
        for i, (u, j) in enumerate(flat.adj[v]):
            if (v, i) < (u, j):
                edges.append((port_vertex[(v, i)], port_vertex[(u, j)]))
    return colours, edges


def _bliss_key(flat: _Flat, verts: list[int]) -> tuple:
    import igraph

    colours, edges = _encode(flat, verts)
    table = tuple(sorted(set(colours)))
    pos = {c: r for r, c in enumerate(table)}
    colour_ids = [pos[c] for c in colours]
    g = igraph.Graph(n=len(colours), edges=edges)
    g.vs["c"] = colour_ids
    # permute_vertices carries attributes along; reading colours and edges from
    # the permuted graph avoids depending on which way round the permutation
    # vector is meant (igraph's documentation and behaviour have disagreed).
    h = g.permute_vertices(g.canonical_permutation(color=colour_ids))
    new_colour = h.vs["c"]
    flat_edges = [x for e in sorted((min(a, b), max(a, b)) for a, b in h.get_edgelist()) for x in e]
    return ("bliss", table, array("q", new_colour).tobytes(), array("q", flat_edges).tobytes())


# --------------------------------------------------------------------- API


def _finish(comps: list[tuple], d: Diagram, with_scalar: bool) -> tuple:
    comps.sort()
    if with_scalar:
        return ("diagram", tuple(comps), scalar_key(d.scalar))
    return ("diagram", tuple(comps))


def canonical(d: Diagram, by_position: bool = False, with_scalar: bool = True) -> Hashable:
    """The canonical key of `d`: equal exactly for isomorphic diagrams.

    Free legs are identified by name, or by position with `by_position`;
    `with_scalar=False` leaves the scalar out (to collect like terms).
    """
    flat = _Flat(d, by_position)
    keys = []
    for comp in flat.components():
        key = None
        if not any(flat.sym[v] for v in comp):
            key = _code_key(flat, comp)
        if key is None:
            key = _bliss_key(flat, comp)
        keys.append(key)
    return _finish(keys, d, with_scalar)


def canonical_bliss(d: Diagram, by_position: bool = False, with_scalar: bool = True) -> Hashable:
    """The canonical key computed by bliss on the whole diagram at once.

    Independent of the port-following code and of the component split, so it is
    the oracle the tests compare `canonical` against.  Its keys are comparable
    only with other `canonical_bliss` keys.
    """
    flat = _Flat(d, by_position)
    key = _bliss_key(flat, list(range(len(flat.labels)))) if flat.labels else ()
    return ("whole", key, scalar_key(d.scalar)) if with_scalar else ("whole", key)


def encoded_graph(d: Diagram, by_position: bool = False) -> tuple[list[str], list[tuple[int, int]]]:
    """The vertex-coloured simple graph bliss sees (colours as strings), for oracles."""
    flat = _Flat(d, by_position)
    colours, edges = _encode(flat, list(range(len(flat.labels))))
    return [repr(c) for c in colours], edges


def isomorphic(a: Diagram, b: Diagram, by_position: bool = False, with_scalar: bool = True) -> bool:
    """Whether a and b are the same diagram up to renaming nodes (and scalar, unless told)."""
    if len(a.nodes) != len(b.nodes) or len(a.free) != len(b.free):
        return False
    return canonical(a, by_position, with_scalar) == canonical(b, by_position, with_scalar)


def canonical_sum(s: Sum, by_position: bool = False) -> Hashable:
    """The canonical key of a linear combination: like terms added, zeros dropped.

    A tuple of (term key without scalar, coefficient key), sorted, so term order
    never matters; the zero sum is `()`.
    """
    import sympy

    coeffs: dict[Hashable, list[Any]] = {}
    for t in s.terms:
        coeffs.setdefault(canonical(t, by_position, with_scalar=False), []).append(t.scalar)
    out = []
    for key, cs in coeffs.items():
        c = sympy.Add(*cs)
        if not _is_zero(c):
            out.append((key, scalar_key(c)))
    out.sort()
    return tuple(out)
