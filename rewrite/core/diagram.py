"""Diagrams as port graphs.

A `Diagram` is what a Penrose picture is: nodes with legs (ports), wires joining
ports two by two, a few open legs, and a scalar in front.

* Tensor nodes have ordered ports (the declaration's legs; `inv(X)` swaps the
  two sides, `diag(D)` has one leg).  A tensor of a `symmetric` kind has
  interchangeable ports.
* Delta nodes (the copy tensor) have unordered ports, all of one size.  The
  port graph never stores a delta with two legs - that is a bare wire, exactly as
  the notation draws an identity - nor one with no legs - that is a closed loop,
  the scalar of its size.  `settle_delta` keeps that invariant.
* Bubble nodes hold a whole `Sum` inside (a nonlinearity, or a parenthesised sum
  that has not been expanded); their ports are that sum's free legs.

Free legs are the boundary: port `(BOUNDARY, k)` is the k-th free leg, named
`free[k]`.  `link` maps every port to the port at the other end of its wire, so
"who is across port p" is one dict look-up, and a wire between two free legs (a
bare identity line) is simply `link[(BOUNDARY, i)] == (BOUNDARY, j)`.

Diagrams are values to their users: every public operation that changes one
works on `copy()`, which copies the two dicts (node labels are immutable) and
never deep-copies.  The rule engine mutates a working copy in place through
`substitute`, the one primitive every rewrite goes through.
"""
from __future__ import annotations

import dataclasses
import functools

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Sequence, Union

from . import scalars
from .kinds import Decl, Kind

BOUNDARY = -1
Port = tuple[int, int]


# --------------------------------------------------------------------------- nodes


@dataclass(frozen=True, slots=True)
class TensorNode:
    """One occurrence of a declared tensor, possibly conjugated.

    `op` is "" for the tensor itself, "inv" for `inv(X)` (legs: X's tip side then
    its wide side, so `X[a, b] inv(X)[b, c]` is a matrix product), or "diag" for
    `diag(D)`, the vector on the diagonal of a diagonal tensor.
    """

    decl: Decl
    conj: bool = False
    op: str = ""

    @property
    def arity(self) -> int:
        return 1 if self.op == "diag" else self.decl.arity

    @property
    def sizes(self) -> tuple[Any, ...]:
        d = self.decl
        if self.op == "inv":
            return d.sizes[d.split:] + d.sizes[: d.split]
        if self.op == "diag":
            return (d.sizes[0],)
        return d.sizes

    @property
    def legs(self) -> tuple[str, ...]:
        d = self.decl
        if self.op == "inv":
            return d.legs[d.split:] + d.legs[: d.split]
        if self.op == "diag":
            return (d.legs[0],)
        return d.legs

    @property
    def split(self) -> int:
        """Ports before the arrow (wide side); for inv(X), X's tip side."""
        d = self.decl
        if self.op == "inv":
            return d.arity - d.split
        if self.op == "diag":
            return 1
        return d.split

    @property
    def symmetric_ports(self) -> bool:
        """Interchangeable ports: a symmetric or diagonal tensor, and the
        inverse of a symmetric matrix ((S^-1)^T = (S^T)^-1 = S^-1; every
        invertible one has exactly two legs, which the declaration checks).
        A diagonal matrix's inverse keeps its order: `inv(D).T == inv(D)` is
        proved without it, and the search's gauge moves on diagonal bonds
        are tried in the order they are written."""
        if not self.decl.symmetric_ports:
            return False
        if self.op == "":
            return True
        return self.op == "inv" and self.decl.arity == 2 and not self.decl.is_a(Kind.DIAGONAL)

    @property
    def real(self) -> bool:
        return self.decl.real

    @property
    def title(self) -> str:
        """How the node is written in the language: `conj(inv(X))`."""
        s = self.decl.name
        if self.op:
            s = f"{self.op}({s})"
        if self.conj:
            s = f"conj({s})"
        return s

    @property
    def key(self) -> tuple:
        return ("T", self.decl.key, self.conj, self.op)


@dataclass(frozen=True, slots=True)
class DeltaNode:
    """The copy tensor with `arity` unordered legs of one `size` (arity 1 or >= 3)."""

    size: Any
    arity: int

    @property
    def sizes(self) -> tuple[Any, ...]:
        return (self.size,) * self.arity

    symmetric_ports = True
    title = "δ"

    @property
    def key(self) -> tuple:
        return ("D", str(self.size), self.arity)


@dataclass(frozen=True)
class BubbleNode:
    """A function applied elementwise to a whole `Sum`: rewrites never cross it.

    `fn` is a nonlinearity (`relu`, `gelu`, `exp`, `tanh`, `sigmoid`, `softmax`)
    or "sum" for a parenthesised sum kept unexpanded inside a product (linear, so
    `expand` may distribute it).  `axis` is the port a softmax normalises along.
    `args` are the further arguments of a function of several (`g(x, y)` of a
    declared `function g(2)`): sums with the same free legs as `inside`, in
    the same order.  `fn` may also be `pow[k]` (x^k) or a declared function's
    name with its derivative marks (`f''`, `g'1'2`): see `core.functions`.
    """

    fn: str
    inside: "Sum"
    axis: int | None = None
    conj: bool = False
    args: tuple["Sum", ...] = ()

    @property
    def arity(self) -> int:
        return len(self.inside.free)

    @property
    def arguments(self) -> tuple["Sum", ...]:
        """Every argument: `inside`, then `args` (one sum for a one-argument function)."""
        return (self.inside, *self.args)

    def with_arguments(self, arguments: "Sequence[Sum]", **changes: Any) -> "BubbleNode":
        """This bubble applied to other arguments (same function, axis, conj unless changed)."""
        return dataclasses.replace(self, inside=arguments[0], args=tuple(arguments[1:]),
                                   **changes)

    @functools.cached_property
    def nesting(self) -> int:
        """How many bubbles deep this one goes (1 when nothing inside is a bubble).

        Cached on the node, so asking as bubbles are built inside out costs one
        level each; the builder refuses nesting beyond `LIMITS.max_depth`,
        which `let` definitions can reach with no brackets written.
        """
        return 1 + max((n.nesting for a in self.arguments for t in a.terms
                        for n in t.nodes.values() if isinstance(n, BubbleNode)), default=0)

    @functools.cached_property
    def inner_nodes(self) -> int:
        """How many tensor and bubble nodes its arguments hold, at any depth
        (over all their terms): what `Diagram.size_measure` adds for it."""
        return sum(1 + getattr(n, "inner_nodes", 0) for a in self.arguments for t in a.terms
                   for n in t.nodes.values() if not isinstance(n, DeltaNode))

    @property
    def sizes(self) -> tuple[Any, ...]:
        return self.inside.sizes

    symmetric_ports = False

    @property
    def title(self) -> str:
        s = self.fn if self.axis is None else f"{self.fn}[{self.inside.free[self.axis]}]"
        return f"conj({s})" if self.conj else s


Node = Union[TensorNode, DeltaNode, BubbleNode]


# ------------------------------------------------------------------------ diagram


class _Shown:
    """Notebook display for diagrams and sums: the Penrose picture (a sum's
    terms side by side) and index notation as a formula (see `draw`)."""

    __slots__ = ()

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        from ..views.draw import repr_mimebundle

        return repr_mimebundle(self, include, exclude)

    def _repr_latex_(self) -> str:
        from ..views.draw import repr_latex

        return repr_latex(self)


class Diagram(_Shown):
    """A port graph with ordered named free legs and an exact scalar."""

    __slots__ = ("nodes", "link", "free", "free_sizes", "scalar", "_next", "names")

    def __init__(self, scalar: Any = 1) -> None:
        self.nodes: dict[int, Node] = {}
        self.link: dict[Port, Port] = {}
        self.free: list[str] = []
        self.free_sizes: list[Any] = []
        self.scalar = scalars.normal(scalar)
        self._next = 0
        # The index name the user wrote for the wire at a node's port, where
        # there is one: display only (printer, cost, REPL); canonical keys and
        # rewriting ignore it.  Entries of removed nodes are dropped.
        self.names: dict[Port, str] = {}

    # -- values ----------------------------------------------------------------

    def copy(self) -> "Diagram":
        d = Diagram.__new__(Diagram)
        d.nodes = dict(self.nodes)
        d.link = dict(self.link)
        d.free = list(self.free)
        d.free_sizes = list(self.free_sizes)
        d.scalar = self.scalar
        d._next = self._next
        d.names = dict(self.names)
        return d

    def __repr__(self) -> str:
        from ..views.printer import format_diagram

        return f"<Diagram {format_diagram(self)}>"

    # -- reading ---------------------------------------------------------------

    def other(self, p: Port) -> Port:
        """The port at the other end of p's wire."""
        return self.link[p]

    def ports(self, v: int) -> list[Port]:
        return [(v, i) for i in range(self.nodes[v].arity)]

    def port_size(self, p: Port) -> Any:
        v, i = p
        if v == BOUNDARY:
            return self.free_sizes[i]
        return self.nodes[v].sizes[i]

    def neighbours(self, v: int) -> set[int]:
        return {self.link[p][0] for p in self.ports(v)} - {BOUNDARY, v}

    def wires(self) -> Iterator[tuple[Port, Port]]:
        """Each wire once, as (p, q) with p < q."""
        for p, q in self.link.items():
            if p < q:
                yield p, q

    @property
    def free_ports(self) -> list[Port]:
        return [(BOUNDARY, k) for k in range(len(self.free))]

    def is_scalar_only(self) -> bool:
        return not self.nodes and not self.free

    def size_measure(self) -> tuple[int, int, int, int, int, int]:
        """The order every simplification rule must decrease (see `engine`).

        Inverses count before conjugates so that a unitary's inverse may
        become its conjugate transpose (`inv(Q)` => `conj(Q)`), which trades an
        inverse for a conjugation and is still progress.  A bubble counts as
        one node plus the nodes inside its arguments, so `exp(log(x)) => x`
        and `relu(relu(E)) => relu(E)` shrink.
        """
        tn = tp = iv = cj = dn = dp = 0
        for n in self.nodes.values():
            if isinstance(n, DeltaNode):
                dn += 1
                dp += n.arity
            else:
                tn += 1 + getattr(n, "inner_nodes", 0)
                tp += n.arity
                iv += getattr(n, "op", "") == "inv"
                cj += bool(getattr(n, "conj", False))
        return (tn, tp, iv, cj, dn, dp)

    # -- building --------------------------------------------------------------

    def add_node(self, node: Node) -> int:
        v = self._next
        self._next += 1
        self.nodes[v] = node
        return v

    def add_free(self, name: str, size: Any) -> Port:
        self.free.append(name)
        self.free_sizes.append(size)
        return (BOUNDARY, len(self.free) - 1)

    def connect(self, p: Port, q: Port) -> None:
        if p == q:
            raise ValueError(f"cannot wire port {p} to itself")
        self.link[p] = q
        self.link[q] = p

    def disconnect(self, p: Port) -> Port:
        q = self.link.pop(p)
        del self.link[q]
        return q

    def settle_delta(self, v: int) -> None:
        """Keep the invariant: no two-leg delta (a wire), no zero-leg one (a loop)."""
        n = self.nodes.get(v)
        if not isinstance(n, DeltaNode):
            return
        if n.arity == 0:
            del self.nodes[v]
            self.scalar = self.scalar * n.size
        elif n.arity == 2:
            a = self.link.pop((v, 0))
            b = self.link.pop((v, 1))
            del self.nodes[v]
            if a == (v, 1):  # a self-loop: the trace of an identity
                self.scalar = self.scalar * n.size
                return
            del self.link[a], self.link[b]
            self.connect(a, b)

    # -- the rewrite primitive ---------------------------------------------------

    def substitute(
        self,
        remove: Iterable[int],
        outer: list[Union[Port, tuple[str, int]]],
        rhs: "Diagram",
        cut: Iterable[tuple[Port, Port]] = (),
        names: bool = False,
    ) -> list[int]:
        """Replace a matched region by `rhs`, in place; return the new node ids.

        `remove` are the matched nodes, `cut` matched bare wires.  Boundary leg k
        of the pattern (and of `rhs`, which has the same boundary) attaches on
        the host side to `outer[k]`: a surviving port, or `("leg", j)` when the
        host wire leaving leg k enters the region again as leg j (as in a trace).
        Chains of such legs and of bare wires in `rhs` are followed to their two
        real ends, which are joined; a chain that closes on itself is a loop and
        multiplies the scalar by its size.  With `names`, rhs's index names
        (`names`) come along: for inlining the user's own terms, never a rule's.
        """
        remove = set(remove)
        for p, q in cut:
            self.link.pop(p, None)
            self.link.pop(q, None)
        for v in remove:
            for i in range(self.nodes[v].arity):
                self.names.pop((v, i), None)
                q = self.link.pop((v, i), None)
                if q is not None and q[0] not in remove:
                    self.link.pop(q, None)
            del self.nodes[v]
        ids: dict[int, int] = {}
        for u, node in rhs.nodes.items():
            ids[u] = self.add_node(node)
        for (u, i), (w, j) in rhs.link.items():
            if u != BOUNDARY and w != BOUNDARY:
                self.link[(ids[u], i)] = (ids[w], j)
        if names:  # rhs is the user's own diagram (an inlined sum term), not a rule side
            for (u, i), name in rhs.names.items():
                if u in ids:
                    self.names[(ids[u], i)] = name
        self.scalar = self.scalar * rhs.scalar

        def rhs_side(k: int) -> tuple[str, Any]:
            u, i = rhs.link[(BOUNDARY, k)]
            return ("leg", i) if u == BOUNDARY else ("port", (ids[u], i))

        def host_side(k: int) -> tuple[str, Any]:
            o = outer[k]
            return ("leg", o[1]) if o[0] == "leg" else ("port", o)

        seen: set[int] = set()
        for k in range(len(outer)):
            if k in seen:
                continue
            # Walk from leg k through its rhs side, then from k through its host side.
            ends = []
            closed = False
            for first, second in ((rhs_side, host_side), (host_side, rhs_side)):
                j, step, alt = k, first, second
                while True:
                    seen.add(j)
                    kind, val = step(j)
                    if kind == "port":
                        ends.append(val)
                        break
                    j = val
                    if j == k:
                        closed = True
                        break
                    step, alt = alt, step
                if closed:
                    break
            if closed:
                self.scalar = self.scalar * rhs.free_sizes[k]
            else:
                self.connect(ends[0], ends[1])
        new = list(ids.values())
        for v in new:
            self.settle_delta(v)
        return [v for v in new if v in self.nodes]

    # -- whole-diagram operations (return new diagrams) ---------------------------

    def conjugate(self) -> "Diagram":
        """Complex conjugate: every tensor and bubble flips, deltas and sizes stay."""
        d = self.copy()
        for v, n in d.nodes.items():
            if isinstance(n, TensorNode):
                d.nodes[v] = TensorNode(n.decl, not n.conj, n.op)
            elif isinstance(n, BubbleNode):
                d.nodes[v] = dataclasses.replace(n, conj=not n.conj)
        d.scalar = scalars.conjugate(d.scalar)
        return d

    def with_free(self, order: list[str]) -> "Diagram":
        """The same diagram with its free legs listed in `order` (a permutation)."""
        pos = {name: k for k, name in enumerate(self.free)}
        perm = [pos[name] for name in order]
        return self.permute_free(perm)

    def permute_free(self, perm: list[int]) -> "Diagram":
        """New leg k is old leg perm[k]."""
        d = self.copy()
        new_of_old = {old: new for new, old in enumerate(perm)}
        d.free = [self.free[o] for o in perm]
        d.free_sizes = [self.free_sizes[o] for o in perm]
        d.link = {}
        for p, q in self.link.items():
            if p[0] == BOUNDARY:
                p = (BOUNDARY, new_of_old[p[1]])
            if q[0] == BOUNDARY:
                q = (BOUNDARY, new_of_old[q[1]])
            d.link[p] = q
        return d

    def renamed(self, names: list[str]) -> "Diagram":
        d = self.copy()
        d.free = list(names)
        return d


def product(*ds: Diagram) -> Diagram:
    """Disjoint union (tensor product); free legs concatenated in order."""
    out = Diagram()
    for d in ds:
        ids = {v: out.add_node(n) for v, n in d.nodes.items()}
        base = len(out.free)
        for name, size in zip(d.free, d.free_sizes):
            out.add_free(name, size)

        def m(p: Port) -> Port:
            return (BOUNDARY, p[1] + base) if p[0] == BOUNDARY else (ids[p[0]], p[1])

        for p, q in d.link.items():
            out.link[m(p)] = m(q)
        for (v, i), name in d.names.items():
            if v in ids:
                out.names[(ids[v], i)] = name
        out.scalar = out.scalar * d.scalar
    return out


# ---------------------------------------------------------------------------- sums


@dataclass(frozen=True)
class Sum(_Shown):
    """A linear combination of diagrams with one set of free legs.

    Every term lists its free legs in the order `free`; a term's coefficient is
    its own `scalar`.  The empty sum is the zero tensor with these legs.
    """

    terms: tuple[Diagram, ...]
    free: tuple[str, ...]
    sizes: tuple[Any, ...] = field(default=())

    def aligned_terms(self) -> list[Diagram]:
        """The terms, each with its free legs in the sum's order."""
        out = []
        for t in self.terms:
            if list(t.free) != list(self.free) and sorted(t.free) == sorted(self.free):
                t = t.with_free(list(self.free))
            out.append(t)
        return out

    @staticmethod
    def of(d: Diagram) -> "Sum":
        return Sum((d,), tuple(d.free), tuple(d.free_sizes))

    @property
    def single(self) -> Diagram | None:
        return self.terms[0] if len(self.terms) == 1 else None

    def conjugate(self) -> "Sum":
        return Sum(tuple(t.conjugate() for t in self.terms), self.free, self.sizes)

    def __repr__(self) -> str:
        from ..views.printer import format_sum

        return f"<Sum {format_sum(self)}>"


def as_sum(x: Union[Diagram, Sum]) -> Sum:
    """A diagram as the one-term sum it is; a sum unchanged."""
    return Sum.of(x) if isinstance(x, Diagram) else x


def nested_sums(x: Union[Diagram, Sum]) -> Iterator[Sum]:
    """x as a sum, then every bubble argument inside it, at any depth.

    Walks that must see inside bubbles (declarations used, size symbols) loop
    over these sums instead of each writing its own recursion; a work list,
    not recursion, so deep nesting cannot exhaust the stack.
    """
    todo = [as_sum(x)]
    while todo:
        s = todo.pop()
        yield s
        for t in s.terms:
            for node in t.nodes.values():
                if isinstance(node, BubbleNode):
                    todo.extend(reversed(node.arguments))


def arguments_mapped(s: Sum, f: Callable[[Sum], Sum]) -> Sum:
    """`s` with `f` applied to every bubble argument in it, at any depth,
    innermost first (f sees an argument whose own bubbles are done); `s`
    itself is not passed to f.  `s` itself when f returned every argument
    unchanged (the same object), so a transform that finds nothing to do
    copies nothing.  The rebuilding counterpart of `nested_sums`."""
    terms: list[Diagram] = []
    changed = False
    for t in s.terms:
        hits: dict[int, BubbleNode] = {}
        for v, n in t.nodes.items():
            if isinstance(n, BubbleNode):
                args = [f(arguments_mapped(a, f)) for a in n.arguments]
                if any(x is not a for x, a in zip(args, n.arguments)):
                    hits[v] = n.with_arguments(args)
        if hits:
            t = t.copy()
            t.nodes.update(hits)
            changed = True
        terms.append(t)
    return Sum(tuple(terms), s.free, s.sizes) if changed else s


def inline(d: Diagram, v: int, term: Diagram, conj: bool = False) -> list[int]:
    """Replace bubble node `v` of `d`, in place, by one diagram whose free legs
    are the bubble's ports (a one-term sum joining the product); `conj` inlines
    the term's conjugate.  Returns the new nodes' ids."""
    outer: list[Any] = []
    for k in range(d.nodes[v].arity):
        q = d.link[(v, k)]
        outer.append(("leg", q[1]) if q[0] == v else q)
    # The term is the user's own diagram: its index names come along.
    return d.substitute([v], outer, term.conjugate() if conj else term, names=True)
