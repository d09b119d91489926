"""Strategies: how rules are applied to one term, and the run they report to.

The hot loop works on one mutable copy of each term.  A work list holds the
nodes that may sit in a redex; popping a node tries only the rules with an atom
that fits it (a cheap label test), matching anchored there (`match`).  After a
rewrite only the new nodes and the nodes across the boundary are pushed back, so
normalising an N-site chain costs O(N): nothing rescans or copies the diagram
per step, and no canonical form is computed inside the loop.

A strategy rewrites one term in place and reports every step to a
`RunContext`: the budgets (steps, time), the trace, and the optional numeric
check of each step.  `simplify.rewrite` runs a strategy over a sum; anyone can
write a new `Strategy` (a `run(diagram, context) -> changed` method) and
combine it with `chain`, `first_of`, `exhaust` and `once`.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Iterable

from ..core.canon import collect_terms
from ..core.diagram import BOUNDARY, BubbleNode, Diagram, Sum, TensorNode, inline
from ..core.pattern import Rule
from .match import Match, find_matches, fits, search_from
from .ruleset import compiled, rhs_of

# ------------------------------------------------------------------ one rewrite


def apply_in_place(d: Diagram, m: Match) -> list[int]:
    """Rewrite `d` at `m`; return the nodes near the change (new ones and neighbours)."""
    near = {p[0] for p in m.outer if isinstance(p[0], int) and p[0] != BOUNDARY}
    new = d.substitute(m.remove, list(m.outer), rhs_of(m), m.cut)
    touched = set(new)
    for v in new:
        touched |= d.neighbours(v)
    return [v for v in touched | near if v in d.nodes]


def apply(d: Diagram, m: Match) -> Diagram:
    """The diagram rewritten at `m`, as a new value."""
    out = d.copy()
    apply_in_place(out, m)
    return out


def all_matches(rule: Rule, d: Diagram) -> list[Match]:
    """Distinct matches of a rule in `d`, in a stable order (by node ids)."""
    seen, out = set(), []
    for m in find_matches(compiled(rule), d, sorted(d.nodes)):
        key = (m.remove, m.outer)
        if key not in seen:
            seen.add(key)
            out.append(m)
    return out


# -------------------------------------------------------------- run bookkeeping


@dataclass(frozen=True)
class RewriteStep:
    """One rewrite: which rule, where (host node titles and ids), the result if traced.

    `term` is the index of the term of the sum it happened in.
    """

    rule: str
    where: tuple[str, ...]
    nodes: tuple[int, ...] = ()
    after: Diagram | None = None
    term: int = 0


@dataclass(frozen=True)
class RunResult:
    """A rewriting outcome.  `stopped_reason` is None when a normal form was
    reached, else which budget ran out ("max_steps", "time_budget") or, in check
    mode, "check failed"; `bad_step` then names the first step whose result
    differs numerically from its input, with the counterexample."""

    sum: Sum
    steps: tuple[RewriteStep, ...]
    stopped_reason: str | None = None
    bad_step: int | None = None
    counterexample: Any = None

    @property
    def complete(self) -> bool:
        return self.stopped_reason is None

    @property
    def stopped(self) -> str | None:
        return self.stopped_reason


class Stop(Exception):
    """Raised inside a strategy when the run must end (a budget, a failed check)."""


@dataclass
class RunContext:
    """What a run carries from step to step: budgets, the steps so far, the check.

    `allow()` says whether one more step may be taken (setting `stopped` when
    not); `record` logs a step and, in check mode, compares the diagram before
    and after it numerically, stopping at the first step that changes the value.
    """

    trace: bool = False
    max_steps: int = 1_000_000
    deadline: float | None = None
    check: bool = False
    steps: list[RewriteStep] = field(default_factory=list)
    count: int = 0
    stopped: str | None = None
    term: int = 0
    bad_step: int | None = None
    counterexample: Any = None

    def allow(self) -> bool:
        if self.count >= self.max_steps:
            self.stopped = "max_steps"
        elif self.deadline is not None and (self.count & 63) == 0 and time.monotonic() > self.deadline:
            self.stopped = "time_budget"
        return self.stopped is None

    def record(self, m: Match, d: Diagram, titles: tuple[str, ...], before: Diagram | None) -> None:
        self.count += 1
        # Every step is recorded (rule and place are cheap); the diagram after it
        # only when tracing, since copying it each step would make rewriting O(N^2).
        self.steps.append(RewriteStep(m.rule.name, titles, tuple(sorted(m.remove)),
                               d.copy() if self.trace else None, self.term))
        if self.check and before is not None:
            from ..numerics.evaluate import compare

            cex = compare(before, d, trials=1, seed=self.count)
            if cex is not None:
                self.bad_step = len(self.steps) - 1
                self.counterexample = cex
                self.stopped = "check failed"
                raise Stop

    def result(self, s: Sum) -> RunResult:
        return RunResult(s, tuple(self.steps), self.stopped, self.bad_step, self.counterexample)


def rewrite_at(d: Diagram, m: Match, ctx: RunContext) -> list[int]:
    """Apply one match in place and record it; returns the nodes near the change."""
    titles = tuple(d.nodes[v].title for v in m.nodes) or ("wire",)
    before = d.copy() if ctx.check else None
    touched = apply_in_place(d, m)
    ctx.record(m, d, titles, before)
    return touched


# ------------------------------------------------------------------ strategies


class Strategy:
    """Rewrites one term in place; returns whether anything changed."""

    def run(self, d: Diagram, ctx: RunContext) -> bool:  # pragma: no cover - interface
        raise NotImplementedError


@dataclass(frozen=True)
class Exhaust(Strategy):
    """Apply the rules until none matches, inside bubbles first (they are opaque)."""

    rules: tuple[Rule, ...]

    def run(self, d: Diagram, ctx: RunContext) -> bool:
        changed = descend(d, self, ctx)
        pairs = [(compiled(r), a) for r in self.rules for a in range(len(compiled(r).atoms))
                 if not compiled(r).bare_wire]
        concrete = {c.atoms[a].head for c, a in pairs
                    if c.atoms[a].head not in c.rule.params}
        table = (pairs, concrete)
        by_label: dict = {}
        work = list(d.nodes)
        queued = set(work)
        while work:
            v = work.pop()
            queued.discard(v)
            node = d.nodes.get(v)
            if node is None:
                continue
            m = _first_match(d, v, node, table, by_label)
            if m is None:
                continue
            if not ctx.allow():
                raise Stop
            for u in rewrite_at(d, m, ctx):
                if u not in queued:
                    queued.add(u)
                    work.append(u)
            changed = True
        return changed


def _first_match(d: Diagram, v: int, node: Any, table, by_label: dict) -> Match | None:
    # Which (rule, atom) pairs fit depends only on the node's label (for pattern
    # variables: kind, realness, wrappers; concrete heads: the name): look it up once.
    if isinstance(node, TensorNode):
        dc = node.decl
        label = (dc.kind, dc.real, node.conj, node.op, dc.name if dc.name in table[1] else None)
    elif isinstance(node, BubbleNode):  # bubble atoms test exactly these (match.fits)
        label = ("bubble", node.fn, node.conj, node.axis is None, bool(node.args))
    else:
        label = type(node).__name__
    fitting = by_label.get(label)
    if fitting is None:
        fitting = by_label[label] = [(c, a) for c, a in table[0] if fits(c, a, node)]
    for c, a in fitting:
        for m in search_from(c, d, c.orders[a], v):
            return m
    return None


@dataclass(frozen=True)
class Chain(Strategy):
    """Each part in turn."""

    parts: tuple[Strategy, ...]

    def run(self, d: Diagram, ctx: RunContext) -> bool:
        changed = False
        for s in self.parts:
            changed |= s.run(d, ctx)
        return changed


@dataclass(frozen=True)
class FirstOf(Strategy):
    """The first part that changes anything."""

    parts: tuple[Strategy, ...]

    def run(self, d: Diagram, ctx: RunContext) -> bool:
        return any(s.run(d, ctx) for s in self.parts)


@dataclass(frozen=True)
class Once(Strategy):
    """Apply `rule` at its `index`-th distinct match (expansions allowed)."""

    rule: Rule
    index: int = 0

    def run(self, d: Diagram, ctx: RunContext) -> bool:
        ms = all_matches(self.rule, d)
        if self.index >= len(ms):
            return False
        if not ctx.allow():
            raise Stop
        rewrite_at(d, ms[self.index], ctx)
        return True


def exhaust(rules: Iterable[Rule]) -> Strategy:
    return Exhaust(tuple(rules))


def chain(*parts: Strategy) -> Strategy:
    return Chain(parts)


def first_of(*parts: Strategy) -> Strategy:
    return FirstOf(parts)


def once(rule: Rule, match_index: int = 0) -> Strategy:
    return Once(rule, match_index)


# ------------------------------------------------------------ bubbles and sums


def descend(d: Diagram, strategy: Strategy, ctx: RunContext) -> bool:
    """Rewrite inside every bubble; a one-term `sum` bubble joins the product."""
    changed = False
    for v in [v for v, n in d.nodes.items() if isinstance(n, BubbleNode)]:
        b = d.nodes[v]
        args = [rewrite_terms(a, strategy, ctx, top=False) for a in b.arguments]
        inside = args[0]
        if b.fn == "sum" and len(inside.terms) == 1:
            inline(d, v, inside.terms[0], b.conj)
            changed = True
        elif any(new is not old for new, old in zip(args, b.arguments)):
            d.nodes[v] = b.with_arguments(args)
            changed = True
    return changed


def rewrite_terms(s: Sum, strategy: Strategy, ctx: RunContext, top: bool = True) -> Sum:
    """The strategy run on a copy of each term, then like terms collected.

    Inside a bubble (`top=False`) the same `Sum` comes back when nothing changed,
    so the bubble is not rebuilt.
    """
    terms, changed = [], False
    for i, t in enumerate(s.terms):
        d = t.copy()
        if top:
            ctx.term = i
        changed |= strategy.run(d, ctx)
        terms.append(d)
    out = collect_terms(terms, s.free, s.sizes)
    if not changed and len(out.terms) == len(s.terms) and not top:
        return s
    return out
