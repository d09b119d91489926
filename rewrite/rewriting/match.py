"""Port-directed anchored matching of a rule side in a diagram.

A match starts at one host node (the anchor) and extends along wires: once an
atom is bound, every index it shares with a later atom names a host port, and
`d.link` of that port is the *only* place the later atom can sit.  So a match
costs O(pattern size) per anchor, and the engine can afford to try every rule
at every node it touches.  The search branches only where the notation says
ports are interchangeable (deltas, symmetric tensors) and where a group on a
delta could take different legs.

Why hand-written rather than networkx's (sub)graph isomorphism: the host is a
*port* graph with ordered ports, leg groups of unknown length, wrappers
(conj/inv/diag) and kinds to check, and we need anchored, one-candidate-per-wire
extension to keep rewriting linear in the diagram size; a generic VF2 search is
neither anchored nor port-aware.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Sequence, Union

from ..core.diagram import BOUNDARY, BubbleNode, DeltaNode, Diagram, Port, TensorNode
from .instantiate import Binding, LegKey, expand_names, instantiate, side_groups
from ..core.kinds import Decl, Kind
from ..core.pattern import DELTA, Atom, Rule, Side, variables_of

Outer = Union[Port, tuple[str, int]]


@dataclass(frozen=True)
class Match:
    """Where a rule side sits in a host diagram, and what it bound.

    `nodes[a]` is the host node of atom a; `remove` the matched nodes; `outer[k]`
    the host port across boundary leg k (or `("leg", j)` when that wire comes
    back into the region as leg j); `cut` the host wire a bare-wire side matched.
    """

    rule: Rule
    nodes: tuple[int, ...]
    binding: Binding
    remove: frozenset[int]
    outer: tuple[Outer, ...]
    cut: tuple[tuple[Port, Port], ...] = ()
    ports: dict[LegKey, tuple[Port, ...]] = field(default_factory=dict, compare=False)

    @property
    def groups(self) -> dict[str, int]:
        return {g: len(s) for g, s in self.binding.groups.items()}


@dataclass(frozen=True)
class Compiled:
    """A rule side prepared for matching: one atom order per possible anchor atom."""

    rule: Rule
    side: Side
    internal: frozenset[str]
    orders: tuple[tuple[int, ...], ...]
    bare_wire: bool
    groups: frozenset[str]
    bubbles: bool = False  # whether some atom is a bubble (bubbles may anchor a match)
    bodies: bool = False  # whether some bubble's argument is a product (`Atom.body`)

    @property
    def atoms(self) -> tuple[Atom, ...]:
        return self.side.atoms


def _names(atom: Atom) -> list[str]:
    return [n for s in atom.args for n in s.names]


def compile_side(rule: Rule, side: Side | None = None) -> Compiled:
    side = rule.lhs if side is None else side
    count: dict[str, int] = {}
    for atom in side.atoms:
        for n in _names(atom):
            count[n] = count.get(n, 0) + 1
    bad = [n for n, c in count.items() if c > 2]
    if bad:
        raise ValueError(f"rule {rule.name}: index {bad[0]} occurs more than twice in a pattern")
    for atom in side.atoms:
        if atom.head == DELTA:
            gs = [s for s in atom.args if s.group]
            if len(gs) >= 2 or any(len(s.names) > 1 for s in gs):
                raise ValueError(f"rule {rule.name}: a left side cannot zip or join groups on a delta")
    internal = frozenset(n for n, c in count.items() if c == 2)
    orders = []
    for a in range(len(side.atoms)):
        order = [a]
        rest = [b for b in range(len(side.atoms)) if b != a]
        while rest:
            seen = {n for b in order for n in _names(side.atoms[b])}
            nxt = next((b for b in rest if seen & set(_names(side.atoms[b]))), rest[0])
            order.append(nxt)
            rest.remove(nxt)
        orders.append(tuple(order))
    bare = (len(side.atoms) == 1 and side.atoms[0].head == DELTA
            and len(side.atoms[0].args) == 2 and not any(s.group for s in side.atoms[0].args)
            and len(internal) == 0)
    return Compiled(rule, side, internal, tuple(orders), bare, frozenset(side_groups(side)),
                    any(a.fn for a in side.atoms), any(a.body is not None for a in side.atoms))


# ----------------------------------------------------------------- compatibility


def same_decl(a: Decl, b: Decl) -> bool:
    """One declared tensor?  Identity and equality first: `key` prints sizes."""
    return a is b or a == b or a.key == b.key


def fits(c: Compiled, a: int, node: Any) -> bool:
    """Cheap test: may atom a of `c` sit on host node `node` at all?"""
    atom = c.atoms[a]
    if atom.head == DELTA:
        return isinstance(node, DeltaNode)
    if atom.fn:
        return (isinstance(node, BubbleNode) and node.fn == atom.fn and not node.conj
                and not node.args and (node.axis is None) == (atom.axis is None))
    if not isinstance(node, TensorNode) or node.conj != atom.conj or node.op != atom.op:
        return False
    var = c.rule.params.get(atom.head)
    if var is None:
        want = c.rule.decls.get(atom.head)
        return want is not None and same_decl(node.decl, want)
    return var.admits(node.decl)


def effective_split(node: TensorNode) -> int:
    """Where `->` falls on a host node's ports.

    An invertible declared without an arrow is a square matrix of its first
    half of legs onto the second (as the sampler reads it), so `X[*a -> *b]`
    must split it there too; for `inv(X)` the halves swap.
    """
    d = node.decl
    if node.op == "diag" or 0 < d.split < d.arity or not d.is_a(Kind.INVERTIBLE):
        return node.split
    half = d.arity // 2
    return d.arity - half if node.op == "inv" else half


# ------------------------------------------------------------------- the search


@dataclass
class _State:
    nodes: dict[int, int]
    used: frozenset[int]
    vars: dict[str, Decl]
    glen: dict[str, int]
    first: dict[LegKey, Port]  # internal legs: the first occurrence's port
    bport: dict[LegKey, Port]  # boundary legs: their port
    exprs: dict[str, Any] = field(default_factory=dict)  # expression variables -> Sum

    def fork(self) -> "_State":
        return _State(dict(self.nodes), self.used, dict(self.vars), dict(self.glen),
                      dict(self.first), dict(self.bport), dict(self.exprs))


def _record(c: Compiled, d: Diagram, st: _State, key: LegKey, p: Port) -> bool:
    name = key if isinstance(key, str) else key[0]
    if name in c.internal:
        q = st.first.get(key)
        if q is None:
            st.first[key] = p
            return True
        return d.link.get(q) == p
    st.bport[key] = p
    return True


def _keys(slots, st: _State) -> tuple[list[LegKey | None], str | None] | None:
    """Leg keys of slots with known lengths; None marks the one unknown group."""
    keys: list[LegKey | None] = []
    unknown = None
    for s in slots:
        for n in s.names:
            if not s.group:
                keys.append(n)
            elif n in st.glen:
                keys.extend((n, k) for k in range(st.glen[n]))
            elif unknown is None:
                unknown = n
                keys.append(None)
            else:
                return None
    return keys, unknown


def _bind_ordered(c: Compiled, d: Diagram, st: _State, atom: Atom, v: int, node: TensorNode,
                  ports: Sequence[int] | None = None) -> Iterator[_State]:
    """Bind the atom's slots to the node's ports in order (`ports` reorders
    them, for a node whose ports are interchangeable)."""
    if atom.split is None:
        segments = [(atom.args, 0, node.arity)]
    else:
        sp = effective_split(node)
        segments = [(atom.args[: atom.split], 0, sp), (atom.args[atom.split:], sp, node.arity)]
    # `st` is already this branch's own copy (made by `_bind`): no fork needed.
    for slots, lo, hi in segments:
        got = _keys(slots, st)
        if got is None:
            return
        keys, unknown = got
        known = len(keys) - (unknown is not None)
        if unknown is None:
            if known != hi - lo:
                return
        else:
            n = hi - lo - known
            if n < 0:
                return
            st.glen[unknown] = n
            i = keys.index(None)
            keys[i:i + 1] = [(unknown, k) for k in range(n)]
        for off, key in enumerate(keys):
            port = lo + off if ports is None else ports[lo + off]
            if not _record(c, d, st, key, (v, port)):
                return
    yield st


def _port_orders(arity: int) -> Iterable[tuple[int, ...]]:
    """Orders in which to try the ports of a node whose ports are
    interchangeable, when only the pattern's arrow can size its groups: all of
    them for the matrices this happens with (every invertible symmetric
    tensor has two legs), the written order past four legs."""
    from itertools import permutations

    return permutations(range(arity)) if arity <= 4 else [tuple(range(arity))]


def _bind_unordered(c: Compiled, d: Diagram, st: _State, atom: Atom, v: int, arity: int) -> Iterator[_State]:
    got = _keys(atom.args, st)
    if got is None:
        return
    keys, unknown = got
    fixed = [k for k in keys if k is not None]
    if len(fixed) > arity or (unknown is None and len(fixed) != arity):
        return

    def go(i: int, st: _State, free: tuple[int, ...]) -> Iterator[_State]:
        if i == len(fixed):
            st = st.fork()
            if unknown is not None:
                st.glen[unknown] = len(free)
                for k, port in enumerate(free):
                    if not _record(c, d, st, (unknown, k), (v, port)):
                        return
            yield st
            return
        key = fixed[i]
        partner = st.first.get(key)
        if partner is not None:
            q = d.link.get(partner)
            choices = [q[1]] if q is not None and q[0] == v and q[1] in free else []
        else:
            choices = list(free)
        for port in choices:
            s2 = st.fork()
            if _record(c, d, s2, key, (v, port)):
                yield from go(i + 1, s2, tuple(x for x in free if x != port))

    yield from go(0, st, tuple(range(arity)))


def _bind(c: Compiled, d: Diagram, st: _State, a: int, v: int) -> Iterator[_State]:
    node = d.nodes[v]
    if v in st.used or not fits(c, a, node):
        return
    atom = c.atoms[a]
    if atom.fn:
        yield from _bind_bubble(c, d, st, a, v, node)
        return
    if isinstance(node, TensorNode):
        var = atom.head
        if var in st.vars and not same_decl(st.vars[var], node.decl):
            return
        st = st.fork()
        st.vars[var] = node.decl
    else:
        st = st.fork()
    st.nodes[a] = v
    st.used = st.used | {v}
    if isinstance(node, TensorNode) and not node.symmetric_ports:
        yield from _bind_ordered(c, d, st, atom, v, node)
    elif isinstance(node, TensorNode) and _keys(atom.args, st) is None:
        # Interchangeable ports, but two leg groups of unknown length
        # (`inv(X)[*a -> *b]` on the inverse of a symmetric matrix): the arrow
        # sizes them, in each order of the ports.
        for ports in _port_orders(node.arity):
            yield from _bind_ordered(c, d, st.fork(), atom, v, node, ports)
    else:
        yield from _bind_unordered(c, d, st, atom, v, node.arity)


def _bind_bubble(c: Compiled, d: Diagram, st: _State, a: int, v: int,
                 node: BubbleNode) -> Iterator[_State]:
    """A bubble atom `fn(E)[...]` (or `fn(-E)`) on a bubble of that function:
    E is bound to the bubble's argument (negated for -E), and an E bound
    before must be the same argument (equal canonical keys, legs by position)."""
    from ..core.canon import canonical_sum

    atom = c.atoms[a]
    if atom.body is not None:  # checked once the rest is bound (`_bodies_match`)
        st = st.fork()
        st.nodes[a] = v
        st.used = st.used | {v}
        yield from _bind_ordered(c, d, st, atom, v, node)
        return
    coeff, var = atom.inner[0]
    inside = node.inside if coeff == 1 else _negated(node.inside)
    bound = canonical_sum(st.exprs[var], by_position=True) if var in st.exprs else None
    for perm in _orders(node):
        arg = inside if perm is None else _permuted(inside, perm)
        if bound is not None and bound != canonical_sum(arg, by_position=True):
            continue
        s1 = st.fork()
        s1.exprs[var] = arg
        s1.nodes[a] = v
        s1.used = s1.used | {v}
        for s2 in _bind_ordered(c, d, s1, atom, v, node, perm):
            if atom.axis is not None:
                legs = [k for s in atom.args for k in _keys([s], s2)[0]]
                if atom.axis not in legs or legs.index(atom.axis) != node.axis:
                    continue
            yield s2


#: Bubbles of up to this many legs are matched in every order of their legs.
PERMUTED_LEGS = 3


def _orders(node: BubbleNode) -> Iterator[tuple[int, ...] | None]:
    """The orders in which a pattern may read a bubble's legs: as they are
    (None), and, for a bubble of 2-3 legs, every other order - f(X)[a, b] is f(Xᵀ)[b, a], so exp(A[i, j]) ⊙
    exp(B[j, i]) meets the rule for exp(E) ⊙ exp(F) with F = Bᵀ."""
    yield None
    n = node.arity
    # A softmax is not: the rules name its axis's position, one rule each.
    if 2 <= n <= PERMUTED_LEGS and node.axis is None:
        for perm in itertools.permutations(range(n)):
            if perm != tuple(range(n)):
                yield perm


def _permuted(s: Any, perm: tuple[int, ...]) -> Any:
    """A sum with its free legs reordered: leg i of the result is leg perm[i] of s."""
    from ..core.diagram import Sum

    order = tuple(s.free[p] for p in perm)
    sizes = tuple(s.sizes[p] for p in perm) if s.sizes else s.sizes
    return Sum(tuple(t.permute_free(list(perm)) for t in s.terms), order, sizes)


def _bodies_matched(c: Compiled, d: Diagram, st: _State) -> _State | None:
    """Each bubble whose argument the pattern writes as a product, once the
    rest of the match is bound: when every variable in that product is bound,
    the product is built and must be the host bubble's argument (equal
    canonical keys, legs by position); otherwise the product is matched in
    the argument itself - one term, every node, its free legs in order - and
    what it binds joins the match.  None when a body does not fit."""
    from ..core.canon import canonical_sum
    from ..core.diagram import Sum

    for a, atom in enumerate(c.atoms):
        if atom.body is None:
            continue
        inside = d.nodes[st.nodes[a]].inside
        wanted = variables_of(atom.body) & set(c.rule.params)
        if any(v not in st.vars and v not in st.exprs for v in wanted):
            st = _matched_inside(c, atom.body, inside, st)
            if st is None:
                return None
            continue
        decls = {**c.rule.decls, **st.vars}
        try:
            want = instantiate(atom.body, Binding(decls, {}, {}, None, dict(st.exprs)), decls)
        except ValueError:
            return None
        if canonical_sum(Sum.of(want), by_position=True) != canonical_sum(inside, by_position=True):
            return None
    return st


def _matched_inside(c: Compiled, body: Side, inside: Any, st: _State) -> _State | None:
    """`body` matched as the whole of a bubble's one-term argument, its
    bindings merged into `st` (a variable bound twice must agree)."""
    from ..core import scalars
    from ..core.canon import canonical_sum

    if len(inside.terms) != 1 or len(inside.free) != len(body.boundary):
        return None
    t = inside.terms[0]
    if not scalars.equal(t.scalar, body.coeff):
        return None
    try:
        cb = compile_side(c.rule, body)
    except ValueError:
        return None
    legs = [(BOUNDARY, k) for k in range(len(body.boundary))]
    for m in find_matches(cb, t):
        if m.remove != frozenset(t.nodes) or list(m.outer) != legs:
            continue
        s2 = st.fork()
        ok = True
        for var, decl in m.binding.decls.items():
            if var in c.rule.params:
                ok = ok and (var not in s2.vars or same_decl(s2.vars[var], decl))
                s2.vars[var] = decl
        for var, arg in m.binding.exprs.items():
            ok = ok and (var not in s2.exprs or canonical_sum(s2.exprs[var], by_position=True)
                         == canonical_sum(arg, by_position=True))
            s2.exprs[var] = arg
        if ok:
            return s2
    return None


def _negated(s: Any) -> Any:
    from ..core import scalars
    from ..core.diagram import Sum

    terms = []
    for t in s.terms:
        t = t.copy()
        t.scalar = scalars.mul(t.scalar, -1)
        terms.append(t)
    return Sum(tuple(terms), s.free, s.sizes)


def _candidates(c: Compiled, d: Diagram, st: _State, a: int) -> Iterable[int]:
    """The one node a wire points to, or every node for a disconnected atom."""
    for s in c.atoms[a].args:
        for n in s.names:
            key: LegKey = (n, 0) if s.group else n
            p = st.first.get(key)
            if p is not None:
                q = d.link.get(p)
                return [] if q is None or q[0] == BOUNDARY else [q[0]]
    return list(d.nodes)


def _finish(c: Compiled, d: Diagram, st: _State) -> Match:
    side = c.side
    remove = frozenset(st.nodes.values())
    groups = {}
    ports: dict[LegKey, tuple[Port, ...]] = {}
    for key, p in list(st.first.items()) + list(st.bport.items()):
        ports.setdefault(key, ())
        ports[key] = ports[key] + (p,)
    for g in c.groups:
        groups[g] = tuple(d.port_size(ports[(g, k)][0]) for k in range(st.glen.get(g, 0)))
    indices = {k: d.port_size(ps[0]) for k, ps in ports.items() if isinstance(k, str)}
    delta_size = next((d.nodes[v].size for v in st.nodes.values()
                       if isinstance(d.nodes[v], DeltaNode)), None)
    decls = {**{h: dc for h, dc in c.rule.decls.items()}, **st.vars}
    legs = expand_names(side.boundary, c.groups, st.glen)
    where = {st.bport[k]: j for j, k in enumerate(legs)}
    outer: list[Outer] = []
    for k in legs:
        q = d.link[st.bport[k]]
        outer.append(("leg", where[q]) if q[0] in remove else q)
    return Match(c.rule, tuple(st.nodes[a] for a in range(len(side.atoms))),
                 Binding(decls, groups, indices, delta_size, dict(st.exprs)), remove,
                 tuple(outer), (), ports)


def search_from(c: Compiled, d: Diagram, order: tuple[int, ...], anchor: int) -> Iterator[Match]:
    """Matches with the first atom of `order` on host node `anchor` (the engine's
    anchored search; `find_matches` tries every anchor)."""
    def go(i: int, st: _State) -> Iterator[Match]:
        if i == len(order):
            done = _bodies_matched(c, d, st) if c.bodies else st
            if done is not None:
                yield _finish(c, d, done)
            return
        a = order[i]
        for v in ([anchor] if i == 0 else _candidates(c, d, st, a)):
            for st2 in _bind(c, d, st, a, v):
                yield from go(i + 1, st2)

    yield from go(0, _State({}, frozenset(), {}, {}, {}, {}))


def find_matches(pattern: Union[Rule, Compiled], d: Diagram,
                 anchors: Iterable[int] | None = None) -> Iterator[Match]:
    """Every match of the pattern (a rule's left side) whose atoms include an anchor.

    With `anchors=None` every node is an anchor; a match may be found once per
    anchor it contains.  A bare-wire side (`δ[a, c]`) is never found here: it
    matches any wire, so it is applied only on request (`match_wire`).
    """
    c = pattern if isinstance(pattern, Compiled) else compile_side(pattern)
    if c.bare_wire or not c.atoms:
        return
    for v in (d.nodes if anchors is None else anchors):
        node = d.nodes.get(v)
        if node is None or (isinstance(node, BubbleNode) and not c.bubbles):
            continue
        for a in range(len(c.atoms)):
            if fits(c, a, node):
                yield from search_from(c, d, c.orders[a], v)


def match_wire(pattern: Union[Rule, Compiled], d: Diagram, port: Port) -> Match:
    """The bare-wire side `δ[a, c]` matched on the host wire at `port`."""
    c = pattern if isinstance(pattern, Compiled) else compile_side(pattern)
    if not c.bare_wire:
        raise ValueError(f"rule {c.rule.name} does not match a bare wire")
    q = d.link[port]
    a, b = (s.name for s in c.atoms[0].args)
    size = d.port_size(port)
    at = {a: port, b: q}
    return Match(c.rule, (), Binding(dict(c.rule.decls), {}, {a: size, b: size}, size),
                 frozenset(), tuple(at[n] for n in c.side.boundary), ((port, q),),
                 {a: (port,), b: (q,)})
