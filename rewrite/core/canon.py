"""Canonical keys: two diagrams get equal keys exactly when they are isomorphic.

`prove` decides equality of normal forms by comparing keys, and `canonical_sum`
collects like terms, so a key must be *complete* (never equal for different
port graphs) and *invariant* (never different for isomorphic ones), and cheap
to hash.  Keys are tuples of strings and bytes.

What "isomorphic" means here: a bijection of nodes that keeps node labels
(`node_key`), maps port i of a node to port i of its image (ports of deltas and
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
  and trying them all would be O(N^2)).  The port graph is encoded compactly
  (`_compact`): a vertex per node, a plain edge for a single wire between two
  interchangeable ports, and one or two subdivision vertices (coloured by port
  index) for every other wire.

Colour refinement only ever *chooses* (anchors, or bliss's starting colours);
the key itself always spells out the whole component, so refinement cannot
make two different diagrams equal, and because every colour is a function of
the component's isomorphism class it cannot make two isomorphic ones differ.
Components of more than `SMALL` vertices are refined with numpy (`_Arrays`,
64-bit hashes of the neighbours' colours, one vectorised pass per round) rather
than with Python dicts.  On a regular graph with interchangeable ports (every
node alike, every node of degree 3, say) refinement cannot split anything and
bliss would try each of the N nodes in turn (O(N^2)); there the sizes of the
spheres of radius 2, 3, ... around each node (igraph, in C) are added to the
colours until a small class appears: short cycles make the spheres near them
smaller, which is what breaks the tie on irregular graphs, and the search stops
after two radii that split nothing (vertex-transitive graphs, where bliss's
automorphism pruning is what helps).

A component key is tagged with the path that made it; the diagram key is the
sorted tuple of component keys plus the scalar.
"""
from __future__ import annotations

import weakref
from array import array
from collections import Counter
from typing import Any, Hashable, Iterable

from . import scalars
from .diagram import BOUNDARY, BubbleNode, Diagram, Node, Sum
from .graphlib import igraph as load_igraph

# More anchors than this after refinement: hand the component to bliss.
MAX_ANCHORS = 16
# Colour-refinement rounds spent looking for a small anchor class (Python path).
REFINE_ROUNDS = 4
# Components with more vertices than this are refined with numpy.
SMALL = 64
# Rounds of numpy refinement; a long chain would need as many rounds as it is
# long, so refinement stops here and leaves the rest to bliss's own refinement.
NP_ROUNDS = 24
# Largest sphere radius tried on regular components (see the module docstring).
MAX_RADIUS = 8


# ------------------------------------------------------------------- scalars


def scalar_key(x: Any) -> str:
    """A canonical string of a scalar (see `scalars.key`)."""
    return scalars.key(x)


def is_zero(x: Any) -> bool:
    """Whether a scalar (a number or an expression in sizes) is zero."""
    return scalars.is_zero(x)


# --------------------------------------------------------------- flat graph


class _Flat:
    """The diagram as integer vertices: nodes first, then one vertex per free leg.

    `adj[v][i]` is `(u, j)`: port i of v is wired to port j of u.  A free leg is
    a one-port vertex labelled by its name (or position) and size, so it needs
    no special case in either algorithm.
    """

    __slots__ = ("labels", "adj", "sym")

    def __init__(self, d: Diagram, by_position: bool) -> None:
        # Labels and arities are looked up once per distinct node object (nodes
        # are shared, and hashing a frozen dataclass rehashes its fields).
        by_id: dict[int, tuple[str, int, bool]] = {}
        label_of: dict[Node, str] = {}
        index: dict[int, int] = {}
        labels: list[str] = []
        sym: list[bool] = []
        arity: list[int] = []
        for v, node in d.nodes.items():
            index[v] = len(labels)
            info = by_id.get(id(node))
            if info is None:
                lab = label_of.get(node)
                if lab is None:
                    lab = label_of[node] = repr((node_key(node), node.arity))
                sym_ports = bool(node.symmetric_ports) or (
                    isinstance(node, BubbleNode) and node.axis is None and symmetric_bubble(node))
                info = by_id[id(node)] = (lab, node.arity, sym_ports)
            labels.append(info[0])
            arity.append(info[1])
            sym.append(info[2])
        base = len(labels)
        for k, (name, size) in enumerate(zip(d.free, d.free_sizes)):
            labels.append(repr(("F", k if by_position else name, str(size))))
            sym.append(False)

        link = d.link
        adj: list[list[tuple[int, int]]] = []
        append = adj.append
        for (v, ar) in zip(d.nodes, arity):
            row = []
            for i in range(ar):
                u, j = link[(v, i)]
                row.append((base + j, 0) if u == BOUNDARY else (index[u], j))
            append(row)
        for k in range(len(d.free)):
            u, j = link[(BOUNDARY, k)]
            append([(base + j, 0) if u == BOUNDARY else (index[u], j)])
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


# --------------------------------------------------------- numpy refinement


_U = "uint64"


def _mix(x: "np.ndarray") -> "np.ndarray":
    """splitmix64's finaliser on uint64 arrays (wrapping arithmetic, so exact)."""
    import numpy as np

    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


class _Arrays:
    """One component as flat arrays, local vertex numbers 0..n-1 in `comp` order.

    `off[v]:off[v+1]` are v's ports; for port p, `owner[p]` is its vertex,
    `across[p]` the port at the other end of its wire, and `salt[p]` its index
    (ordered ports) or a constant (interchangeable ports: the index means
    nothing there, so it must not reach a colour).
    """

    def __init__(self, flat: "_Flat", comp: list[int]) -> None:
        import numpy as np

        pos = {v: k for k, v in enumerate(comp)}
        adj = flat.adj
        deg = np.fromiter((len(adj[v]) for v in comp), dtype=np.int64, count=len(comp))
        off = np.zeros(len(comp) + 1, dtype=np.int64)
        np.cumsum(deg, out=off[1:])
        ends = np.fromiter((x for v in comp for u, j in adj[v] for x in (pos[u], j)),
                           dtype=np.int64, count=2 * int(off[-1]))
        nbr, nport = ends[0::2], ends[1::2]
        sym = np.fromiter((flat.sym[v] for v in comp), dtype=bool, count=len(comp))
        self.n = len(comp)
        self.deg = deg
        self.off = off
        self.owner = np.repeat(np.arange(len(comp)), deg)
        self.across = off[nbr] + nport
        local = np.arange(int(off[-1]), dtype=np.int64) - off[self.owner]
        self.salt = np.where(sym[self.owner], np.uint64(0xFFFFFFFF), (local + 1).astype(np.uint64))
        self.nbr = nbr

    def step(self, colour: "np.ndarray") -> "np.ndarray":
        """One refinement round: mix each vertex's colour with its ports' views.

        A port sees the colour of the vertex across and the index of the port
        across; ordered ports add their own index, interchangeable ones do not,
        and the views are summed (mod 2^64), so only their multiset counts for
        interchangeable ports while position counts for ordered ones.
        """
        import numpy as np

        if self.owner.size == 0:
            return _mix(colour + np.uint64(1))
        seen = _mix(colour[self.nbr] ^ _mix(self.salt[self.across]))
        view = _mix(seen + self.salt * np.uint64(0x9E3779B97F4A7C15))
        starts = np.minimum(self.off[:-1], self.owner.size - 1)
        total = np.add.reduceat(view, starts)
        total[self.deg == 0] = 0
        return _mix(colour * np.uint64(0x9E3779B97F4A7C15) + total)


def _classes(colour: "np.ndarray") -> tuple["np.ndarray", "np.ndarray"]:
    import numpy as np

    return np.unique(colour, return_counts=True)


def _rarest_np(colour: "np.ndarray") -> "np.ndarray":
    """The vertices of the smallest colour class (ties: the smallest colour)."""
    import numpy as np

    vals, counts = _classes(colour)
    best = vals[np.lexsort((vals, counts))[0]]
    return np.flatnonzero(colour == best)


def _refine_np(a: _Arrays, colour: "np.ndarray", enough: int) -> tuple["np.ndarray", bool]:
    """Refine until the rarest class has at most `enough` vertices, nothing splits,
    or NP_ROUNDS pass.  Returns the colours and whether they are stable."""
    classes = _classes(colour)[0].size
    for _ in range(NP_ROUNDS):
        if _classes(colour)[1].min() <= enough:
            return colour, False
        new = a.step(colour)
        n = _classes(new)[0].size
        if n == classes:
            return colour, True
        colour, classes = new, n
    return colour, False


def _label_colours(flat: "_Flat", comp: list[int]) -> tuple[tuple[str, ...], "np.ndarray"]:
    import numpy as np

    table = tuple(sorted({flat.labels[v] for v in comp}))
    pos = {lab: r for r, lab in enumerate(table)}
    rank = np.fromiter((pos[flat.labels[v]] for v in comp), dtype=np.uint64, count=len(comp))
    return table, _mix(rank + np.uint64(1))


def _spheres(a: _Arrays, colour: "np.ndarray") -> "np.ndarray":
    """Add the sizes of the spheres of radius 2, 3, ... around each vertex to its
    colour (then refine), until the rarest class is small or two radii split nothing."""
    igraph = load_igraph()  # without its plotting back ends (core/graphlib.py)
    import numpy as np

    ends = np.stack([a.owner, a.nbr], axis=1)
    g = igraph.Graph(n=a.n, edges=ends[ends[:, 0] < ends[:, 1]].tolist())
    g.simplify()
    classes = _classes(colour)[0].size
    idle = 0
    for r in range(2, MAX_RADIUS + 1):
        sizes = np.asarray(g.neighborhood_size(order=r, mindist=r), dtype=np.uint64)
        colour, _ = _refine_np(a, _mix(colour + _mix(sizes + np.uint64(r))), MAX_ANCHORS)
        if _classes(colour)[1].min() <= MAX_ANCHORS:
            break
        n = _classes(colour)[0].size
        idle = idle + 1 if n == classes else 0
        classes = n
        if idle >= 2:
            break
    return colour


# -------------------------------------------------------------------- bliss


def _encode(flat: _Flat, verts: list[int]) -> tuple[list[tuple], list[tuple[int, int]]]:
    """Vertex-coloured simple graph of the port graph on `verts` (the oracle's encoding).

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


def _compact(flat: _Flat, comp: list[int]) -> tuple[list[tuple], list[tuple[int, int]]]:
    """The component as a small vertex-coloured simple graph for bliss.

    Vertex k < len(comp) is node comp[k], coloured ("N", label).  A wire whose
    ends are ports i of u and j of v (index -1 for interchangeable ports) is

    * a plain edge u-v when i = j = -1, u != v and it is the only such wire
      between u and v (a simple graph cannot say "twice");
    * one vertex ("W", i) joined to u and v when i = j (to u alone for a loop
      on a node with interchangeable ports);
    * two vertices ("E", i) - ("E", j), joined to u and v, otherwise.

    Node and wire colours never coincide, and from the graph the port graph can
    be read back up to permutations of interchangeable ports, so a canonical
    form of this graph is a complete key.
    """
    pos = {v: k for k, v in enumerate(comp)}
    colours: list[tuple] = [("N", flat.labels[v]) for v in comp]
    edges: list[tuple[int, int]] = []
    wires: list[tuple[int, int, int, int]] = []
    plain: Counter = Counter()
    for v in comp:
        sv = flat.sym[v]
        for i, (u, j) in enumerate(flat.adj[v]):
            if (v, i) < (u, j):
                a, b = pos[v], pos[u]
                ia, ib = (-1 if sv else i), (-1 if flat.sym[u] else j)
                wires.append((a, ia, b, ib))
                if ia == ib == -1 and a != b:
                    plain[(min(a, b), max(a, b))] += 1
    for a, ia, b, ib in wires:
        if ia == ib == -1 and a != b and plain[(min(a, b), max(a, b))] == 1:
            edges.append((a, b))
        elif ia == ib:
            w = len(colours)
            colours.append(("W", ia))
            edges.append((a, w))
            if b != a:
                edges.append((w, b))
        else:
            x, y = len(colours), len(colours) + 1
            colours.extend((("E", ia), ("E", ib)))
            edges.extend(((a, x), (x, y), (y, b)))
    return colours, edges


def _bliss_key(flat: _Flat, comp: list[int], refined: "np.ndarray | None" = None) -> tuple:
    """bliss's canonical form of the compact graph, as bytes.

    `refined` (invariant colours of the nodes, from refinement) only guides
    bliss: it starts from a finer partition; the key records labels, not them.
    """
    igraph = load_igraph()  # without its plotting back ends (core/graphlib.py)
    import numpy as np

    colours, edges = _compact(flat, comp)
    table = tuple(sorted(set(colours)))
    pos = {c: r for r, c in enumerate(table)}
    key_colour = [pos[c] for c in colours]
    if refined is None:
        start = key_colour
    else:
        start_of = [("N", int(c)) for c in refined.tolist()] + [c for c in colours[len(comp):]]
        ranks = {c: r for r, c in enumerate(sorted(set(start_of), key=repr))}
        start = [ranks[c] for c in start_of]
    g = igraph.Graph(n=len(colours), edges=edges)
    g.vs["c"] = key_colour
    # permute_vertices carries attributes along, so colours and edges are read
    # from the permuted graph whichever way round the permutation is meant.
    h = g.permute_vertices(g.canonical_permutation(color=start))
    new_colour = np.asarray(h.vs["c"], dtype=np.int64)
    e = np.asarray(h.get_edgelist(), dtype=np.int64).reshape(-1, 2)
    e.sort(axis=1)
    e = e[np.lexsort((e[:, 1], e[:, 0]))]
    return ("bliss", table, new_colour.tobytes(), e.tobytes())


def _bliss_key_whole(flat: _Flat, verts: list[int]) -> tuple:
    """bliss on the port encoding (`_encode`) of `verts`, for the oracle."""
    igraph = load_igraph()  # without its plotting back ends (core/graphlib.py)

    colours, edges = _encode(flat, verts)
    table = tuple(sorted(set(colours)))
    pos = {c: r for r, c in enumerate(table)}
    colour_ids = [pos[c] for c in colours]
    g = igraph.Graph(n=len(colours), edges=edges)
    g.vs["c"] = colour_ids
    h = g.permute_vertices(g.canonical_permutation(color=colour_ids))
    new_colour = h.vs["c"]
    flat_edges = [x for e in sorted((min(a, b), max(a, b)) for a, b in h.get_edgelist()) for x in e]
    return ("bliss", table, array("q", new_colour).tobytes(), array("q", flat_edges).tobytes())


def _large_key(flat: _Flat, comp: list[int]) -> tuple:
    """A component of more than SMALL vertices: numpy refinement, then the port
    code from few anchors, or bliss from the refined colours."""
    table, colour = _label_colours(flat, comp)
    a = _Arrays(flat, comp)
    ordered = not any(flat.sym[v] for v in comp)
    # A numpy round costs far less than one more port-code walk, so refine
    # until one anchor is left when that is possible.
    colour, stable = _refine_np(a, colour, 1)
    anchors = _rarest_np(colour)
    if ordered and anchors.size <= MAX_ANCHORS:
        rank = {v: r for r, v in zip(_ranks(flat, comp, table), comp)}
        best = min(_port_code(flat.adj, rank, comp[k]) for k in anchors.tolist())
        return ("code", table, array("q", best).tobytes())
    if stable and anchors.size > MAX_ANCHORS:
        colour = _spheres(a, colour)
    return _bliss_key(flat, comp, colour)


def _ranks(flat: _Flat, comp: list[int], table: tuple[str, ...]) -> list[int]:
    pos = {lab: r for r, lab in enumerate(table)}
    return [pos[flat.labels[v]] for v in comp]


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
    if any(type(n).__name__ == "BubbleNode" for n in d.nodes.values()):
        d = conj_inside(d)
        d = bubbles_in_order(d)
    d = fuses_flattened(d)
    flat = _Flat(d, by_position)
    keys = []
    for comp in flat.components():
        if len(comp) > SMALL:
            keys.append(_large_key(flat, comp))
            continue
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
    key = _bliss_key_whole(flat, list(range(len(flat.labels)))) if flat.labels else ()
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


#: Bubbles with up to this many legs get their inside's leg order chosen
#: canonically (k! orders tried); wider bubbles keep the order they were built with.
MAX_BUBBLE_LEGS = 5


def _bubble_normal(node: Any) -> tuple[Any, list[int]] | None:
    """A bubble with its inside's free legs in the order of smallest key, and
    where each old port goes; None when the node is not a bubble to reorder.

    An elementwise function (and softmax, whose axis moves with its leg) does
    not care in which order its argument lists its legs, so `relu(A[i,j] B[j,k])`
    and `relu(B[j,k] A[i,j])` are one tensor once their ports are permuted
    together; the order with the smallest by-position key is canonical, and
    orders with equal keys give the same tensor, so the choice is sound.
    When every order gives the same key (exp(A + Aᵀ)), the ports are
    interchangeable: `symmetric_bubble` says so to the canonical form.
    """
    orders = _bubble_orders(node)
    if orders is None:
        return None
    best = min(orders, key=lambda o: o[0])
    _key, perm, args = best
    _SYMMETRIC[node] = node.axis is None and all(o[0] == best[0] for o in orders)
    if list(perm) == list(range(len(perm))):
        return None
    axis = None if node.axis is None else list(perm).index(node.axis)
    new = node.with_arguments(args, axis=axis)
    _SYMMETRIC[new] = _SYMMETRIC[node]
    where = [0] * len(perm)
    for new_port, old_port in enumerate(perm):
        where[old_port] = new_port
    return new, where


def _bubble_orders(node: Any) -> list[tuple[Any, tuple[int, ...], tuple[Sum, ...]]] | None:
    """(key, permutation, permuted arguments) for every order of a bubble's legs."""
    import itertools

    from .diagram import BubbleNode

    if not isinstance(node, BubbleNode) or not 2 <= node.arity <= MAX_BUBBLE_LEGS:
        return None
    free = list(node.inside.free)
    out = []
    for perm in itertools.permutations(range(len(free))):
        order = [free[k] for k in perm]
        # every argument of a function of several is permuted alike
        args = tuple(Sum(tuple(t.with_free(order) for t in a.terms), tuple(order),
                         tuple(a.sizes[k] for k in perm)) for a in node.arguments)
        out.append((tuple(canonical_sum(a, by_position=True) for a in args), perm, args))
    return out


_SYMMETRIC: "weakref.WeakKeyDictionary[Any, bool]" = weakref.WeakKeyDictionary()


def symmetric_bubble(node: Any) -> bool:
    """Whether a bubble's ports are interchangeable: an elementwise function
    of an argument that every order of its legs leaves the same (a symmetric
    matrix, as exp(A + Aᵀ)).  Only whole symmetry is seen, not symmetry in
    some of the legs."""
    hit = _SYMMETRIC.get(node)
    if hit is None:
        _bubble_normal(node)
        hit = _SYMMETRIC.get(node, False)
    return hit


def bubbles_in_order(d: Diagram) -> Diagram:
    """`d` with every bubble's inside in canonical leg order (see _bubble_normal)."""
    changes = {}
    for v, node in d.nodes.items():
        hit = _bubble_normal(node)
        if hit is not None:
            changes[v] = hit
    if not changes:
        return d
    out = d.copy()
    for v, (new, _) in changes.items():
        out.nodes[v] = new

    def port(p: tuple[int, int]) -> tuple[int, int]:
        v, i = p
        return (v, changes[v][1][i]) if v in changes else p

    out.link = {port(p): port(q) for p, q in d.link.items()}
    return out


def _is_fuse(node: Any) -> bool:
    return getattr(node, "op", None) == "" and getattr(node.decl, "builtin", None) == "fuse"


def _replace_fuses(out: Diagram, gone: tuple[int, ...], parts: list[Any], ends: list[Any]) -> None:
    from .diagram import TensorNode
    from .kinds import fuse_decl

    for v in gone:
        for i in range(out.nodes[v].arity):
            out.link.pop((v, i), None)
        del out.nodes[v]
    h = out.add_node(TensorNode(fuse_decl(tuple(parts))))
    for i, e in enumerate(ends):
        out.link[(h, i)] = e
        out.link[e] = (h, i)


def _split_into(out: Diagram, f: int, k: int) -> bool:
    """A split F (whole -> its k parts) whose parts are, in order, consecutive
    parts j..j+k-1 of another fuse G: G with those parts replaced by F's whole."""
    fnode = out.nodes[f]
    targets = [out.link[(f, i)] for i in range(k)]
    g = targets[0][0]
    if k == 0 or g in (BOUNDARY, f) or not _is_fuse(out.nodes[g]):
        return False
    j = targets[0][1]
    gnode = out.nodes[g]
    gk = gnode.arity - 1
    if any(t != (g, j + i) for i, t in enumerate(targets)) or j + k > gk:
        return False
    whole = out.link[(f, k)]
    if whole[0] in (f, g):
        return False
    parts = list(gnode.decl.sizes[:j]) + [fnode.decl.sizes[k]] + list(gnode.decl.sizes[j + k:gk])
    ends = ([out.link[(g, i)] for i in range(j)] + [whole]
            + [out.link[(g, i)] for i in range(j + k, gk)] + [out.link[(g, gk)]])
    if any(e[0] in (f, g) for e in ends):
        return False
    _replace_fuses(out, (f, g), parts, ends)
    return True


def fuses_flattened(d: Diagram) -> Diagram:
    """`d` with every chain of grouped legs fused in one step.

    A fuse F[p1..pk, w] is the row-major reshape of its parts into w; when w is
    itself part j of another fuse G, the two are the single fuse of G's parts
    with part j replaced by F's parts (row-major grouping is associative).  So
    `kron(kron(A, B), C)` and `kron(A, kron(B, C))`, and the reshape chain
    `M[(i j), (k l)] -> [(i j k l)]`, get the key of their one-step form.
    """
    if sum(1 for n in d.nodes.values() if _is_fuse(n)) < 2:
        return d
    out = d.copy()
    merged = True
    while merged:
        merged = False
        for f, fnode in list(out.nodes.items()):
            if not _is_fuse(fnode):
                continue
            k = fnode.arity - 1
            if _split_into(out, f, k):
                merged = True
                break
            g, j = out.link[(f, k)]
            if g == BOUNDARY or g == f or not _is_fuse(out.nodes[g]) or j == out.nodes[g].arity - 1:
                continue
            gnode = out.nodes[g]
            gk = gnode.arity - 1
            parts = list(gnode.decl.sizes[:j]) + list(fnode.decl.sizes[:k]) + list(gnode.decl.sizes[j + 1:gk])
            ends = ([out.link[(g, i)] for i in range(j)] + [out.link[(f, i)] for i in range(k)]
                    + [out.link[(g, i)] for i in range(j + 1, gk)] + [out.link[(g, gk)]])
            if any(e[0] in (f, g) for e in ends):
                continue  # a fuse wired to itself: leave it
            _replace_fuses(out, (f, g), parts, ends)
            merged = True
            break
    return out


#: Elementwise functions that commute with conjugation, f(conj z) = conj f(z):
#: real-analytic ones, and relu/step/abs/sign as numerics define them for
#: complex entries.  Not log and sqrt: on the negative reals their principal
#: branch gives conj(log x) != log(conj x).
CONJ_COMMUTES = frozenset({"exp", "tanh", "sigmoid", "gelu", "softmax", "sum", "relu", "step",
                           "abs", "sign", "dtanh", "dsigmoid", "dgelu"})


def conj_commutes(fn: str) -> bool:
    from .functions import pow_exponent

    k = pow_exponent(fn)
    if k is not None:  # an integer power is a polynomial (or its reciprocal)
        return k.denominator == 1
    base = fn.rstrip("'")
    return fn in CONJ_COMMUTES or (base in ("exp", "tanh", "sigmoid", "gelu", "dtanh",
                                            "dsigmoid", "dgelu") and fn != base)


def conj_inside(d: Diagram) -> Diagram:
    """`d` with each conjugated bubble of a function that commutes with
    conjugation written as that function of the conjugated argument:
    conj(f(z)) = f(conj z).  A real tensor's conjugate is itself, so a bubble
    of real arguments (a softmax of real scores) loses its conj entirely."""
    from .diagram import BubbleNode, TensorNode

    hits = [v for v, n in d.nodes.items()
            if isinstance(n, BubbleNode) and n.conj and conj_commutes(n.fn)]
    if not hits:
        return d
    out = d.copy()
    for v in hits:
        n = out.nodes[v]
        terms = []
        for t in n.inside.conjugate().terms:
            for u, m in list(t.nodes.items()):
                if isinstance(m, TensorNode) and m.conj and m.decl.real:
                    t.nodes[u] = TensorNode(m.decl, False, m.op)
            terms.append(t)
        out.nodes[v] = n.with_arguments((Sum(tuple(terms), n.inside.free, n.inside.sizes),
                                         *n.args), conj=False)
    return out


#: Up to this many antisymmetric matrices in one term, `orient_antisymmetric`
#: tries every orientation (2**k canonical keys) whatever the term's size;
#: more are tried while 2**k times the term's nodes stays within
#: `ORIENTATION_WORK` (tr(K⁹) = 0 needs nine).  Beyond, terms are left as
#: they are (never wrong, only fewer equalities found).
MAX_ANTISYMMETRIC = 8
ORIENTATION_WORK = 2 ** 13


def _antisymmetric_nodes(d: Diagram) -> list[int]:
    from .kinds import Kind

    return [v for v, n in d.nodes.items()
            if getattr(n, "op", None) == "" and n.arity == 2 and n.decl.is_a(Kind.ANTISYMMETRIC)]


def _flipped(d: Diagram, vs: Iterable[int]) -> Diagram | None:
    """`d` with the two ports of each node in `vs` exchanged (None: a self-loop)."""
    out = d.copy()
    for v in vs:
        p, q = (v, 0), (v, 1)
        a, b = out.link[p], out.link[q]
        if a == q:
            return None
        out.link[p], out.link[b] = b, p
        out.link[q], out.link[a] = a, q
    return out


def orient_antisymmetric(d: Diagram, by_position: bool = False) -> Diagram | None:
    """`d` with its antisymmetric matrices turned to a canonical orientation.

    K[i, j] = -K[j, i], so each orientation of each antisymmetric node is the
    same term up to a sign.  Of the 2**k orientations, the one with the
    smallest canonical key (scalar left out) is chosen and the scalar takes
    the sign of the flips; that choice depends only on the isomorphism class,
    so equal terms meet.  When two orientations of opposite sign give the same
    key, the term equals its own negative: it is zero (None is returned), as is
    any term whose antisymmetric matrix is traced on itself.
    """
    vs = _antisymmetric_nodes(d)
    if not vs or (len(vs) > MAX_ANTISYMMETRIC
                  and 2 ** len(vs) * len(d.nodes) > ORIENTATION_WORK):
        return d
    import itertools

    best: tuple[Hashable, int, Diagram] | None = None
    seen: dict[Hashable, int] = {}
    for mask in itertools.product((0, 1), repeat=len(vs)):
        flip = [v for v, m in zip(vs, mask) if m]
        e = _flipped(d, flip)
        if e is None:
            return None
        parity = len(flip) % 2
        key = canonical(e, by_position, with_scalar=False)
        if seen.setdefault(key, parity) != parity:
            return None
        if best is None or key < best[0]:
            best = (key, parity, e)
    assert best is not None
    e = best[2]
    if best[1]:
        e.scalar = -e.scalar
    return e


_INSIDE_IDS: dict[Hashable, int] = {}


_BUBBLE_KEYS: "weakref.WeakKeyDictionary[BubbleNode, tuple]" = weakref.WeakKeyDictionary()


def node_key(node: Node) -> tuple:
    """The label for matching and canonical keys: a tensor's or delta's own
    `key`; for a bubble, its function and a number for its inside (`inside_id`).

    Bubbles are keyed here, not by the node itself, so the data model never
    depends on canonicalisation.  A bubble's key is computed once (bubbles are
    immutable) and the inside's key is never spelled out in the label:
    nesting labels as text made each level escape the one inside it, so a key
    grew exponentially with the depth of nested bubbles.
    """
    if not isinstance(node, BubbleNode):
        return node.key
    key = _BUBBLE_KEYS.get(node)
    if key is None:
        key = _BUBBLE_KEYS[node] = ("B", node.fn, node.axis, node.conj,
                                    *(inside_id(a) for a in node.arguments))
    return key


def inside_id(s: Sum) -> int:
    """A small number standing for the canonical key of a bubble's inside
    (free legs by position): equal exactly when the keys are equal.

    Bubble labels carry this number instead of the inside's key, so a label
    has a fixed size however deep bubbles nest, and each inside is keyed once
    (`node_key` caches it per bubble).  The numbers are given out in order of first
    sight and so mean something only within one process, like the keys
    themselves, which are never stored.
    """
    key = canonical_sum(s, by_position=True)
    return _INSIDE_IDS.setdefault(key, len(_INSIDE_IDS))


def canonical_sum(s: Sum, by_position: bool = False) -> Hashable:
    """The canonical key of a linear combination: like terms added, zeros dropped.

    A tuple of (term key without scalar, coefficient key), sorted, so term order
    never matters; the zero sum is `()`.
    """
    coeffs: dict[Hashable, list[Any]] = {}
    for t in s.terms:
        t = orient_antisymmetric(t, by_position)
        if t is None:
            continue
        coeffs.setdefault(canonical(t, by_position, with_scalar=False), []).append(t.scalar)
    out = []
    for key, cs in coeffs.items():
        c = scalars.total(cs)
        if not is_zero(c):
            out.append((key, scalar_key(c)))
    out.sort()
    return tuple(out)


def collect_terms(terms: Iterable[Diagram], free: tuple[str, ...], sizes: tuple[Any, ...]) -> Sum:
    """Like terms added exactly (by canonical key without the scalar), zero terms dropped.

    Coefficients are exact (`scalars`: ints and fractions, sympy when a size
    symbol appears), so `10**16 w - 10**16 w` is exactly nothing before any float is computed.  The first diagram of
    each class receives the sum of the scalars: callers pass working copies.
    """
    order: list[Any] = []
    acc: dict[Any, Diagram] = {}
    for t in terms:
        if is_zero(t.scalar) or _has_zero_sum(t):
            continue
        t = orient_antisymmetric(t)
        if t is None:  # a term equal to its own negative
            continue
        key = canonical(t, with_scalar=False)
        if key in acc:
            acc[key].scalar = acc[key].scalar + t.scalar
        else:
            acc[key] = t
            order.append(key)
    out = []
    for k in order:
        t = acc[k]
        t.scalar = scalars.expand(t.scalar)
        if not is_zero(t.scalar):
            out.append(t)
    return Sum(tuple(out), free, sizes)


def _has_zero_sum(d: Diagram) -> bool:
    """A product with an empty (zero) linear sum bubble is zero."""
    return any(isinstance(n, BubbleNode) and n.fn == "sum" and not n.inside.terms
               for n in d.nodes.values())
