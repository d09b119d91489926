"""`prove`'s search: best-first over normal forms, from both sides, meeting in the middle.

When the two sides' normal forms differ (and still differ after `expand`),
the difference may be one the simplification rules cannot see because they
only ever shrink a diagram: a gauge `X inv(X)` that must first be put on a
wire, or a law the rules hold as an expansion (its right side is larger).

The search keeps one frontier per side.  A form is a normal form reached from
that side's start; its children are made by one *expansion* - a gauge
insertion (each invertible matrix in sight on either side, on each wire of its
size, in both orientations) or an expansion rule at one of its matches -
followed by normalising.  Normalising right after a gauge insertion would
usually cancel the pair again, so each expansion is also tried followed first
by each simplification that touches the new nodes (a diagonal `D` turning into
its diagonal on a copy tensor, say), and only then by `simplify`.  Every form
is deduplicated by its canonical key (per side); the two searches meet when a
key appears on both sides, and the proof is the path from each start to the
meeting form.

Order: first the forms closest to the other side's start - fewest nodes and
wires (by kind and port) that one has and the other has not - then the
fewest expansions, then the smallest.  Without the first key the search
spends its budget on gauges that land on the wrong bond or the wrong way
round (the CP example of `examples/search.tn` took more than 400 forms by
size alone, 62 this way).  The two sides share one order, so the side
whose best form is closer goes next.

Budget: a number of forms (`--search-budget`, default `LIMITS.search_budget`)
and seconds (`--search-seconds`); the search stops at whichever comes first
and says so.  Every move is a sound rewrite (the gauge law; expansion and
simplification rules, each checked numerically when loaded), so a meeting is a
proof.  Hand-written rather than taken from a library: the nodes are
port graphs keyed by our canonical form, and the children come from our rules.
"""
from __future__ import annotations

import heapq
import itertools
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Hashable, Iterator, Sequence

from ..core.canon import canonical, collect_terms
from ..core.diagram import BOUNDARY, BubbleNode, DeltaNode, Diagram, Port, Sum, TensorNode
from ..core.errors import InputError
from ..core.kinds import Decl, Kind
from ..core.limits import LIMITS
from ..core.pattern import Rule
from ..core.scalars import equal
from .match import find_matches
from .ruleset import compiled
from .simplify import apply_gauge, simplify
from .strategies import RewriteStep, apply

LEFT, RIGHT = "left", "right"


@dataclass(frozen=True)
class Move:
    """One edge of the search: an expansion on one term, then the rewrites after it.

    `expansion` is the expansion as a step (rule `gauge` with the matrix and
    the wire in `where`, or an expansion rule at its match); `steps` are the
    simplifications that followed, the chosen first one included.
    """

    expansion: RewriteStep
    steps: tuple[RewriteStep, ...]

    @property
    def label(self) -> str:
        where = ", ".join(self.expansion.where)
        return f"{self.expansion.rule} ({where})" if where else self.expansion.rule


@dataclass(frozen=True)
class SearchResult:
    """What the search did.  `found` with the two paths (from each side's start
    to the meeting form); else `stopped` says which budget ran out, or is None
    when every form reachable within the moves was explored."""

    found: bool
    left_path: tuple[Move, ...] = ()
    right_path: tuple[Move, ...] = ()
    left_form: Sum | None = None
    right_form: Sum | None = None
    explored: int = 0  # forms made (one expansion plus normalising each)
    distinct: int = 0  # of which different (by canonical key, per side)
    stopped: str | None = None  # "forms" or "seconds"

    def moves(self) -> tuple[Move, ...]:
        return self.left_path + self.right_path

    def describe(self) -> str:
        """For the verdict: how the proof went, or why no proof was found."""
        if self.found:
            parts = [f"{m.label} on the left side" for m in self.left_path]
            parts += [f"{m.label} on the right side" for m in self.right_path]
            n = len(parts)
            return (f"search: {_count(n, 'expansion')}: " + "; ".join(parts)
                    + f" ({_count(self.explored, 'form')} explored)")
        explored = f"{_count(self.explored, 'form')} explored ({self.distinct} distinct)"
        if self.stopped == "forms":
            return (f"search budget ran out: {explored}, the limit is {LIMITS.search_budget} "
                    "(raise it with --search-budget)")
        if self.stopped == "seconds":
            return (f"search time ran out: {explored} in {LIMITS.search_seconds:g} s "
                    "(raise it with --search-seconds)")
        return (f"search exhausted: {explored}; "
                "no gauge insertion or expansion rule leads from one side to the other")


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


@dataclass(order=True)
class _Entry:
    priority: tuple
    form: Sum = field(compare=False)
    path: tuple[Move, ...] = field(compare=False)


def size_of(s: Sum) -> tuple[int, int]:
    """(nodes, legs) over all terms: between forms equally far from the other
    side, the smaller first."""
    nodes = legs = 0
    for t in s.terms:
        tn, tp, _iv, _cj, dn, dp = t.size_measure()
        nodes += tn + dn
        legs += tp + dp
    return nodes, legs


def _what(n) -> Hashable:
    # A copy tensor by its size only: fusing copy tensors changes their
    # number of legs, not what they do; a bubble by its function.
    if isinstance(n, DeltaNode):
        return ("δ", str(n.size))
    if isinstance(n, BubbleNode):
        return ("bubble", n.fn, str(n.axis), n.conj)
    return n.key


def _end(d: Diagram, p: Port) -> Hashable:
    """One end of a wire: the node's kind and, where port order matters, the port."""
    v, i = p
    if v == BOUNDARY:
        return ("leg",)
    n = d.nodes[v]
    return (_what(n), None if n.symmetric_ports else i)


def bag(s: Sum) -> Counter:
    """A form as a multiset: its nodes by what they are (tensor, inverse,
    conjugate, diagonal, copy tensor) and its wires by the ports they join."""
    out: Counter = Counter()
    for t in s.terms:
        for n in t.nodes.values():
            out[_what(n)] += 1
        for p, q in t.wires():
            out[tuple(sorted(repr(_end(t, port)) for port in (p, q)))] += 1
    return out


def distance(s: Sum, target: Counter) -> int:
    """The heuristic: how many nodes and wires `s` has that the other side's
    start has not, and the other way round.  Zero does not mean equal, but a
    form that shares the other side's parts is the one to expand first."""
    mine = bag(s)
    return sum(((mine - target) + (target - mine)).values())


def search(left: Sum, right: Sum, key_left: Callable[[Sum], Hashable],
           key_right: Callable[[Sum], Hashable], rules: Sequence[Rule],
           expansions: Sequence[Rule], budget: int | None = None,
           seconds: float | None = None, trace: bool = False) -> SearchResult:
    """Best-first search from both normal forms until a canonical key is on both sides.

    `key_left`/`key_right` give each side's canonical key (the right side's
    aligned to the left's free legs, as `prove` compares them).
    """
    budget = LIMITS.search_budget if budget is None else budget
    seconds = LIMITS.search_seconds if seconds is None else seconds
    deadline = time.monotonic() + seconds
    gauges = [r for r in expansions if compiled(r).bare_wire]
    others = [r for r in expansions if not compiled(r).bare_wire]
    matrices = _invertibles(left, right) if gauges else []
    if not others and not matrices:
        return SearchResult(False)
    keys = {LEFT: key_left, RIGHT: key_right}
    seen: dict[str, dict[Hashable, tuple[Sum, tuple[Move, ...]]]] = {
        LEFT: {key_left(left): (left, ())}, RIGHT: {key_right(right): (right, ())}}
    heaps: dict[str, list[_Entry]] = {LEFT: [], RIGHT: []}
    tick = itertools.count()
    targets = {LEFT: bag(right), RIGHT: bag(left)}

    def priority(form: Sum, side: str, depth: int) -> tuple:
        return (distance(form, targets[side]), depth, size_of(form), next(tick))

    for side, s in ((LEFT, left), (RIGHT, right)):
        heapq.heappush(heaps[side], _Entry(priority(s, side, 0), s, ()))
    explored = 0

    def result(**kw) -> SearchResult:
        return SearchResult(explored=explored, distinct=len(seen[LEFT]) + len(seen[RIGHT]) - 2, **kw)

    while heaps[LEFT] or heaps[RIGHT]:
        side = min((s for s in (LEFT, RIGHT) if heaps[s]), key=lambda s: heaps[s][0].priority)
        other = RIGHT if side == LEFT else LEFT
        entry = heapq.heappop(heaps[side])
        for form, move in _children(entry.form, gauges, matrices, others, rules, trace, deadline):
            explored += 1
            key = keys[side](form)
            path = entry.path + (move,)
            if key in seen[other]:
                there, their_path = seen[other][key]
                if side == LEFT:
                    return result(found=True, left_path=path, right_path=their_path,
                                  left_form=form, right_form=there)
                return result(found=True, left_path=their_path, right_path=path,
                              left_form=there, right_form=form)
            if key not in seen[side]:
                seen[side][key] = (form, path)
                heapq.heappush(heaps[side], _Entry(priority(form, side, len(path)), form, path))
            if explored >= budget:
                return result(found=False, stopped="forms")
        if time.monotonic() > deadline:  # checked between children too (`_children`)
            return result(found=False, stopped="seconds")
    return result(found=False)


# ------------------------------------------------------------------ children


def _invertibles(*sides: Sum) -> list[Decl]:
    """Invertible matrices in sight on either side (as themselves, inverted or
    conjugated): the candidates for a gauge.  Square two-leg ones only."""
    found: dict[tuple, Decl] = {}
    for s in sides:
        for t in s.terms:
            for n in t.nodes.values():
                if (isinstance(n, TensorNode) and n.op != "diag" and n.decl.arity == 2
                        and n.decl.is_a(Kind.INVERTIBLE)
                        and equal(n.decl.sizes[0], n.decl.sizes[1])):
                    found.setdefault(n.decl.key, n.decl)
    return list(found.values())


def _port_name(d: Diagram, p: Port) -> str:
    if p[0] == BOUNDARY:
        return f"leg {d.free[p[1]]}"
    name = d.names.get(p)
    title = d.nodes[p[0]].title
    return f"{title}[{name}]" if name else title


def _expanded(d: Diagram, gauges: Sequence[Rule], matrices: Sequence[Decl],
              others: Sequence[Rule], trace: bool) -> Iterator[tuple[Diagram, RewriteStep]]:
    """Each expansion of one term, with the step that records it."""
    for rule in gauges:
        for x in matrices:
            size = x.sizes[0]
            for p, q in d.wires():
                if not equal(d.port_size(p), size):
                    continue
                for a, b in ((p, q), (q, p)):
                    try:
                        cand = apply_gauge(d, a, x, rule)
                    except InputError:
                        continue
                    first = cand.link[a][0]
                    pair = " ".join(cand.nodes[v].title for v in (first, cand.link[(first, 1)][0]))
                    where = (f"{pair} on the wire from {_port_name(d, a)} to {_port_name(d, b)}",)
                    yield cand, RewriteStep(rule.name, where, (), cand if trace else None)
    for rule in others:
        seen = set()
        for m in find_matches(compiled(rule), d):
            if (m.remove, m.outer) in seen:
                continue
            seen.add((m.remove, m.outer))
            cand = apply(d, m)
            titles = tuple(d.nodes[v].title for v in m.nodes) or ("wire",)
            yield cand, RewriteStep(rule.name, titles, tuple(sorted(m.remove)),
                                    cand if trace else None)


def _steered(before: Diagram, cand: Diagram, rules: Sequence[Rule], gauge: bool
             ) -> Iterator[tuple[Diagram, RewriteStep | None]]:
    """`cand` after each simplification that touches the nodes the expansion
    made (so the new nodes can react with their surroundings before they
    cancel each other), and `cand` as it is - except after a gauge, whose pair
    left as it is (or cancelled with itself) only gives the form back."""
    new = [v for v in cand.nodes if v not in before.nodes]
    if not gauge:
        yield cand, None
    for rule in rules:
        seen = set()
        for m in find_matches(compiled(rule), cand, new):
            if (m.remove, m.outer) in seen or (gauge and set(m.remove) == set(new)):
                continue
            seen.add((m.remove, m.outer))
            titles = tuple(cand.nodes[v].title for v in m.nodes) or ("wire",)
            yield apply(cand, m), RewriteStep(rule.name, titles, tuple(sorted(m.remove)))


def _children(s: Sum, gauges: Sequence[Rule], matrices: Sequence[Decl],
              others: Sequence[Rule], rules: Sequence[Rule], trace: bool,
              deadline: float = float("inf")) -> Iterator[tuple[Sum, Move]]:
    """The forms one move away from `s`, until the deadline passes (a large
    diagram has many wires, and each candidate costs a copy of it)."""
    gauge_names = {r.name for r in gauges}
    for k, d in enumerate(s.terms):
        tried: set = set()  # starts already normalised (two matches often give one diagram)
        for cand, step in _expanded(d, gauges, matrices, others, trace):
            if time.monotonic() > deadline:
                return
            step = RewriteStep(step.rule, step.where, step.nodes, step.after, k)
            for start, first in _steered(d, cand, rules, step.rule in gauge_names):
                key = canonical(start)
                if key in tried:
                    continue
                tried.add(key)
                r = simplify(start, rules, trace=trace, max_steps=100_000)
                steps = tuple(RewriteStep(x.rule, x.where, x.nodes, x.after, k) for x in r.steps)
                if first is not None:
                    first = RewriteStep(first.rule, first.where, first.nodes,
                                        start if trace else None, k)
                    steps = (first,) + steps
                terms = [t.copy() for t in s.terms]
                terms[k:k + 1] = [t.copy() for t in r.sum.terms]
                form = collect_terms(terms, s.free, s.sizes)
                yield form, Move(step, steps)
