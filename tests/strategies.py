"""Hypothesis strategies for random diagrams, built only through the Diagram API.

Shared by every test module that needs diagrams.  What is generated:

* `decls()`: a declaration of a random kind (generic, symmetric, diagonal,
  isometry, unitary, invertible) with a random arity, sizes from `SIZES`
  honouring the kind (a symmetric tensor's legs share a size, a unitary's two
  sides match), sometimes real.
* `diagrams()`: tensors drawn from a small pool of declarations (so the same
  tensor occurs several times, which is what makes isomorphism hard), with
  `conj`, `inv` and `diag` where the kind allows them, deltas (1 or 3+ legs),
  optional bubbles holding a small diagram, wires joining ports of equal size,
  free legs with distinct names, bare wires between free legs, and a scalar.
  Every port is wired, so the result is a valid port graph.
* `isomorphic_copies(d)`: the same diagram with node ids renumbered, nodes
  inserted in another order, ports of deltas and symmetric tensors permuted,
  and (optionally) free legs listed in another order.
* `variants(d)`: a copy that may or may not be isomorphic (one wire rewired,
  one node conjugated, two ports of a node swapped, or an isomorphic copy), for
  checking a decision procedure against an oracle on hard near-misses.
"""
from __future__ import annotations

from typing import Any

import sympy
from hypothesis import strategies as st

from rewrite.core.diagram import BOUNDARY, BubbleNode, DeltaNode, Diagram, Sum, TensorNode
from rewrite.core.kinds import ARROW_KINDS, MATRIX_KINDS, Decl, Kind, closure, combine_kinds

n = sympy.Symbol("n", positive=True, integer=True)
m = sympy.Symbol("m", positive=True, integer=True)
SIZES: tuple[Any, ...] = (n, m, sympy.Integer(2))
TENSOR_NAMES = ("A", "B", "C", "D", "E", "F", "G", "H")
FREE_NAMES = ("i", "j", "k", "l", "p", "q", "r", "s", "α", "β")
BUBBLE_FNS = ("relu", "exp", "tanh", "softmax", "sum", "abs", "dtanh", "tanh''")  # not sign: it jumps at 0
#: Kind words a random declaration is drawn from: every kind and the
#: combinations the language accepts (each may also be preceded by `real`).
KIND_WORDS = tuple(k.value for k in Kind) + (
    "symmetric invertible", "hermitian invertible", "psd invertible", "diagonal invertible",
    "diagonal psd", "diagonal projector", "hermitian antisymmetric")
SCALARS = (1, 1, 1, 2, -1, sympy.Rational(1, 2), n, n + 1, sympy.I)


@st.composite
def decls(draw, name: str | None = None, sizes: tuple[Any, ...] = SIZES) -> Decl:
    """A declaration of a random kind whose sizes honour the kind."""
    name = name or draw(st.sampled_from(TENSOR_NAMES))
    words = draw(st.sampled_from(KIND_WORDS)).split()
    if draw(st.booleans()):
        words = ["real"] + words
    try:
        ks = combine_kinds(words)
    except ValueError:  # `real hermitian antisymmetric` is only the zero matrix
        ks = combine_kinds(words[1:])
    kind = ks.kind
    every = closure({kind} | set(ks.also))
    size = st.sampled_from(sizes)
    if every & MATRIX_KINDS or ks.also:
        ss, split = (draw(size),) * 2, (1 if kind in ARROW_KINDS else 2)
    elif kind in (Kind.SYMMETRIC, Kind.DIAGONAL):
        arity = draw(st.integers(2, 3)) if kind is Kind.SYMMETRIC else 2
        ss = (draw(size),) * arity
        split = arity
    elif kind in (Kind.UNITARY, Kind.INVERTIBLE, Kind.ORTHOGONAL):
        s = draw(size)
        ss, split = (s, s), 1
    elif kind is Kind.ISOMETRY:
        arity = draw(st.integers(2, 3))
        ss = tuple(draw(size) for _ in range(arity))
        split = draw(st.integers(1, arity - 1))
    else:
        arity = draw(st.integers(1, 4))
        ss = tuple(draw(size) for _ in range(arity))
        split = arity
    legs = tuple("abcdefgh"[: len(ss)])
    return Decl(name=name, kind=kind, legs=legs, sizes=ss, split=split, real=ks.real, also=ks.also)


@st.composite
def decl_pools(draw, max_decls: int = 3) -> list[Decl]:
    names = draw(st.lists(st.sampled_from(TENSOR_NAMES), min_size=1, max_size=max_decls, unique=True))
    return [draw(decls(name=x)) for x in names]


@st.composite
def tensor_nodes(draw, decl: Decl) -> TensorNode:
    """An occurrence of `decl`: maybe conjugated, maybe `inv` or `diag` if the kind allows."""
    ops = [""]
    if decl.is_a(Kind.INVERTIBLE):
        ops.append("inv")
    if decl.is_a(Kind.DIAGONAL):
        ops.append("diag")
    conj = False if decl.real else draw(st.booleans())
    return TensorNode(decl, conj=conj, op=draw(st.sampled_from(ops)))


@st.composite
def diagrams(
    draw,
    max_nodes: int = 6,
    min_nodes: int = 0,
    max_free: int = 4,
    closed: bool = False,
    deltas: bool = True,
    symmetric: bool = True,
    bubbles: bool = False,
    scalars: bool = True,
    pool: list[Decl] | None = None,
) -> Diagram:
    """A random valid diagram.

    `closed=True` gives no free legs; `symmetric=False` leaves out deltas and
    symmetric kinds (every port ordered); `bubbles=True` allows bubble nodes
    holding a small open diagram.
    """
    pool = pool if pool is not None else draw(decl_pools())
    if not symmetric:
        pool = [x for x in pool if not x.symmetric_ports]
        deltas = False
    d = Diagram(draw(st.sampled_from(SCALARS)) if scalars else 1)
    count = draw(st.integers(min_nodes, max_nodes))
    kinds = ["tensor"] * 4 * bool(pool) + ["delta"] * deltas + ["bubble"] * bubbles
    for _ in range(count if kinds else 0):
        kind = draw(st.sampled_from(kinds))
        if kind == "tensor":
            d.add_node(draw(tensor_nodes(draw(st.sampled_from(pool)))))
        elif kind == "delta":
            arity = draw(st.sampled_from((1, 3, 3, 4)))
            d.add_node(DeltaNode(draw(st.sampled_from(SIZES)), arity))
        else:
            inner = draw(diagrams(max_nodes=2, min_nodes=1, max_free=2, pool=pool,
                                  symmetric=symmetric, scalars=scalars))
            if not inner.free:
                continue
            fn = draw(st.sampled_from(BUBBLE_FNS))
            axis = draw(st.integers(0, len(inner.free) - 1)) if fn == "softmax" else None
            d.add_node(BubbleNode(fn, Sum.of(inner), axis))
    # Ports grouped by size, shuffled, then paired; leftovers become free legs
    # (or, when closed, get a one-leg delta each).
    by_size: dict[str, list[tuple[Any, list]]] = {}
    for v, node in list(d.nodes.items()):
        for i, s in enumerate(node.sizes):
            by_size.setdefault(str(s), (s, []))[1].append((v, i))
    names = list(draw(st.permutations(FREE_NAMES)))
    budget = 0 if closed else draw(st.integers(0, max_free))
    for key in sorted(by_size):
        size, ports = by_size[key]
        ports = draw(st.permutations(ports))
        n_free = 0
        if not closed and names:
            n_free = draw(st.integers(0, min(budget, len(ports), len(names))))
            if (len(ports) - n_free) % 2:
                n_free += 1 if n_free < min(len(ports), len(names)) else -1
            n_free = max(n_free, 0)
        budget = max(budget - n_free, 0)
        for p in ports[:n_free]:
            d.connect(p, d.add_free(names.pop(), size))
        rest = list(ports[n_free:])
        if len(rest) % 2:
            end = d.add_node(DeltaNode(size, 1))
            rest.append((end, 0))
        for a, b in zip(rest[::2], rest[1::2]):
            d.connect(a, b)
    # Bare identity lines between free legs.
    if not closed:
        for _ in range(draw(st.integers(0, 1))):
            if len(names) >= 2:
                s = draw(st.sampled_from(SIZES))
                d.connect(d.add_free(names.pop(), s), d.add_free(names.pop(), s))
    return d


# ------------------------------------------------------------- transformations


def relabelled(d: Diagram, order: list[int], port_perms: dict[int, list[int]] | None = None,
               free_perm: list[int] | None = None) -> Diagram:
    """An isomorphic copy: nodes re-added in `order` (so renumbered), ports of the
    nodes in `port_perms` permuted (old port i becomes port perm[i]), free legs
    listed in `free_perm` order.  Only meaningful port permutations are those of
    interchangeable ports; others give a different diagram on purpose."""
    port_perms = port_perms or {}
    out = Diagram(d.scalar)
    new = {v: out.add_node(d.nodes[v]) for v in order}
    for name, size in zip(d.free, d.free_sizes):
        out.add_free(name, size)

    def m(p):
        if p[0] == BOUNDARY:
            return p
        perm = port_perms.get(p[0])
        return (new[p[0]], perm[p[1]] if perm else p[1])

    for p, q in d.wires():
        out.connect(m(p), m(q))
    if free_perm is not None:
        out = out.permute_free(free_perm)
    return out


def renumbered(d: Diagram, ids: list[int]) -> Diagram:
    """The same diagram, same insertion order, node i-th in order gets id ids[i]."""
    out = Diagram(d.scalar)
    out.free = list(d.free)
    out.free_sizes = list(d.free_sizes)
    new = {}
    for v, x in zip(d.nodes, ids):
        new[v] = x
        out.nodes[x] = d.nodes[v]
    out._next = max(ids, default=-1) + 1

    def m(p):
        return p if p[0] == BOUNDARY else (new[p[0]], p[1])

    for p, q in d.wires():
        out.connect(m(p), m(q))
    return out


@st.composite
def isomorphic_copies(draw, d: Diagram, reorder_free: bool = False) -> Diagram:
    """A random isomorphic copy of d (free legs reordered only if asked: that is
    an isomorphism only when legs are identified by name)."""
    order = draw(st.permutations(list(d.nodes)))
    perms = {v: draw(st.permutations(range(node.arity)))
             for v, node in d.nodes.items() if node.symmetric_ports}
    fp = draw(st.permutations(range(len(d.free)))) if reorder_free else None
    out = relabelled(d, order, perms, fp)
    ids = draw(st.lists(st.integers(0, 10 * len(out.nodes) + 10), min_size=len(out.nodes),
                        max_size=len(out.nodes), unique=True))
    return renumbered(out, ids)


@st.composite
def variants(draw, d: Diagram) -> Diagram:
    """A near-copy of d that may or may not be isomorphic to it."""
    how = draw(st.sampled_from(("iso", "rewire", "conj", "swap")))
    out = d.copy()
    wires = list(out.wires())
    if how == "rewire" and len(wires) >= 2:
        (p, q), (r, s) = draw(st.permutations(wires))[:2]
        if str(out.port_size(p)) == str(out.port_size(r)):
            out.disconnect(p)
            out.disconnect(r)
            out.connect(p, s)
            out.connect(r, q)
    elif how == "conj":
        cands = [v for v, x in out.nodes.items() if isinstance(x, TensorNode) and not x.real]
        if cands:
            v = draw(st.sampled_from(cands))
            x = out.nodes[v]
            out.nodes[v] = TensorNode(x.decl, not x.conj, x.op)
    elif how == "swap":
        cands = [v for v, x in out.nodes.items()
                 if x.arity >= 2 and str(x.sizes[0]) == str(x.sizes[1])]
        if cands:
            v = draw(st.sampled_from(cands))
            perm = list(range(out.nodes[v].arity))
            perm[0], perm[1] = 1, 0
            out = relabelled(out, list(out.nodes), {v: perm})
    return draw(isomorphic_copies(out))
