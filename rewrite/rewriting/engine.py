"""Rewriting: apply rules with a work list, strategies, `simplify`, `expand`.

The hot loop works on one mutable copy of each term.  A work list holds the
nodes that may sit in a redex; popping a node tries only the rules with an atom
that fits it (a cheap label test), matching anchored there (`match`).  After a
rewrite only the new nodes and the nodes across the boundary are pushed back, so
normalising an N-site chain costs O(N): nothing rescans or copies the diagram
per step, and no canonical form is computed inside the loop.

`simplify` may only use rules that shrink `Diagram.size_measure()`; that order is
well founded, so exhausting them terminates.  Rules that grow the diagram are
expansions (gauge insertion, converses) and are applied on request (`once`,
`apply_gauge`) or by `prove`'s bounded search.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Sequence, Union

import sympy

from ..core.canon import collect_terms as collect
from ..core.diagram import BOUNDARY, BubbleNode, Diagram, Port, Sum, TensorNode
from ..core.errors import InputError
from .instantiate import instantiate
from ..core.kinds import Decl, Kind
from .match import Compiled, Match, compile_side, find_matches, fits, match_wire
from ..core.pattern import Rule

X = Union[Sum, Diagram]

# ------------------------------------------------------------------ one rewrite


_COMPILED: dict[int, tuple[Rule, Compiled]] = {}


def compiled(rule: Rule) -> Compiled:
    """The rule's left side compiled once (keyed by identity: rules hold dicts)."""
    hit = _COMPILED.get(id(rule))
    if hit is None or hit[0] is not rule:
        hit = (rule, compile_side(rule))
        _COMPILED[id(rule)] = hit
    return hit[1]


_RHS: dict[tuple, tuple[Rule, Diagram]] = {}


def rhs_of(m: Match) -> Diagram:
    """The rule's right side built for this match, legs in the left side's order.

    Memoised on what the right side depends on (group sizes, index sizes, the
    declarations it names): along a chain the same small diagram is built again
    and again.  `substitute` only reads it, so sharing is safe.
    """
    r, b = m.rule, m.binding
    heads = {a.head for a in r.rhs.atoms}
    key = (id(r), tuple(sorted(b.groups.items())), tuple(sorted(b.indices.items())),
           tuple((h, dc) for h, dc in sorted(b.decls.items()) if h in heads), b.delta_size)
    hit = _RHS.get(key)
    if hit is None or hit[0] is not r:
        if len(_RHS) > 4096:
            _RHS.clear()
        hit = _RHS[key] = (r, instantiate(r.rhs, b, r.decls, boundary=r.lhs.boundary))
    return hit[1]


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


# -------------------------------------------------------------- run bookkeeping


@dataclass(frozen=True)
class Step:
    """One rewrite: which rule, where (host node titles and ids), the result if traced."""

    rule: str
    where: tuple[str, ...]
    nodes: tuple[int, ...] = ()
    after: Diagram | None = None
    term: int = 0


@dataclass(frozen=True)
class Result:
    """A rewriting outcome.  `stopped_reason` is None when a normal form was
    reached, else which budget ran out ("max_steps", "time_budget") or, in check
    mode, "check failed"; `bad_step` then names the first step whose result
    differs numerically from its input, with the counterexample."""

    sum: Sum
    steps: tuple[Step, ...]
    stopped_reason: str | None = None
    bad_step: int | None = None
    counterexample: Any = None

    @property
    def complete(self) -> bool:
        return self.stopped_reason is None

    @property
    def stopped(self) -> str | None:
        return self.stopped_reason


class _Stop(Exception):
    pass


@dataclass
class _Ctx:
    trace: bool = False
    max_steps: int = 1_000_000
    deadline: float | None = None
    check: bool = False
    steps: list[Step] = field(default_factory=list)
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
        self.steps.append(Step(m.rule.name, titles, tuple(sorted(m.remove)),
                               d.copy() if self.trace else None, self.term))
        if self.check and before is not None:
            from ..numerics.evaluate import compare

            cex = compare(before, d, trials=1, seed=self.count)
            if cex is not None:
                self.bad_step = len(self.steps) - 1
                self.counterexample = cex
                self.stopped = "check failed"
                raise _Stop


# ------------------------------------------------------------------ strategies


class Strategy:
    """Rewrites one term in place; returns whether anything changed."""

    def run(self, d: Diagram, ctx: _Ctx) -> bool:  # pragma: no cover - interface
        raise NotImplementedError


def _rewrite_at(d: Diagram, m: Match, ctx: _Ctx) -> list[int]:
    titles = tuple(d.nodes[v].title for v in m.nodes) or ("wire",)
    before = d.copy() if ctx.check else None
    touched = apply_in_place(d, m)
    ctx.record(m, d, titles, before)
    return touched


@dataclass(frozen=True)
class Exhaust(Strategy):
    """Apply the rules until none matches, inside bubbles first (they are opaque)."""

    rules: tuple[Rule, ...]

    def run(self, d: Diagram, ctx: _Ctx) -> bool:
        changed = _descend(d, self, ctx)
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
            if node is None or isinstance(node, BubbleNode):
                continue
            m = _first_match(d, v, node, table, by_label)
            if m is None:
                continue
            if not ctx.allow():
                raise _Stop
            for u in _rewrite_at(d, m, ctx):
                if u not in queued:
                    queued.add(u)
                    work.append(u)
            changed = True
        return changed


def _first_match(d: Diagram, v: int, node: Any, table, by_label: dict) -> Match | None:
    from .match import _search

    # Which (rule, atom) pairs fit depends only on the node's label (for pattern
    # variables: kind, realness, wrappers; concrete heads: the name): look it up once.
    if isinstance(node, TensorNode):
        dc = node.decl
        label = (dc.kind, dc.real, node.conj, node.op, dc.name if dc.name in table[1] else None)
    else:
        label = type(node).__name__
    fitting = by_label.get(label)
    if fitting is None:
        fitting = by_label[label] = [(c, a) for c, a in table[0] if fits(c, a, node)]
    for c, a in fitting:
        for m in _search(c, d, c.orders[a], v):
            return m
    return None


@dataclass(frozen=True)
class Chain(Strategy):
    parts: tuple[Strategy, ...]

    def run(self, d: Diagram, ctx: _Ctx) -> bool:
        changed = False
        for s in self.parts:
            changed |= s.run(d, ctx)
        return changed


@dataclass(frozen=True)
class FirstOf(Strategy):
    parts: tuple[Strategy, ...]

    def run(self, d: Diagram, ctx: _Ctx) -> bool:
        return any(s.run(d, ctx) for s in self.parts)


def all_matches(rule: Rule, d: Diagram) -> list[Match]:
    """Distinct matches of a rule in `d`, in a stable order (by node ids)."""
    seen, out = set(), []
    for m in find_matches(compiled(rule), d, sorted(d.nodes)):
        key = (m.remove, m.outer)
        if key not in seen:
            seen.add(key)
            out.append(m)
    return out


@dataclass(frozen=True)
class Once(Strategy):
    """Apply `rule` at its `index`-th distinct match (expansions allowed)."""

    rule: Rule
    index: int = 0

    def run(self, d: Diagram, ctx: _Ctx) -> bool:
        ms = all_matches(self.rule, d)
        if self.index >= len(ms):
            return False
        if not ctx.allow():
            raise _Stop
        _rewrite_at(d, ms[self.index], ctx)
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


def _inline(d: Diagram, v: int, term: Diagram, conj: bool = False) -> list[int]:
    """Replace bubble node v by one diagram whose free legs are its ports."""
    arity = d.nodes[v].arity
    outer: list[Any] = []
    for k in range(arity):
        q = d.link[(v, k)]
        outer.append(("leg", q[1]) if q[0] == v else q)
    return d.substitute([v], outer, term.conjugate() if conj else term)


def _descend(d: Diagram, strategy: Strategy, ctx: _Ctx) -> bool:
    """Rewrite inside every bubble; a one-term `sum` bubble joins the product."""
    changed = False
    for v in [v for v, n in d.nodes.items() if isinstance(n, BubbleNode)]:
        b = d.nodes[v]
        inside = _rewrite_sum(b.inside, strategy, ctx, top=False)
        if b.fn == "sum" and len(inside.terms) == 1:
            _inline(d, v, inside.terms[0], b.conj)
            changed = True
        elif inside is not b.inside:
            d.nodes[v] = BubbleNode(b.fn, inside, b.axis, b.conj)
            changed = True
    return changed


def _rewrite_sum(s: Sum, strategy: Strategy, ctx: _Ctx, top: bool = True) -> Sum:
    terms, changed = [], False
    for i, t in enumerate(s.terms):
        d = t.copy()
        if top:
            ctx.term = i
        changed |= strategy.run(d, ctx)
        terms.append(d)
    out = collect(terms, s.free, s.sizes)
    if not changed and len(out.terms) == len(s.terms) and not top:
        return s
    return out


def as_sum(x: X) -> Sum:
    return Sum.of(x) if isinstance(x, Diagram) else x


def rewrite(x: X, strategy: Strategy, trace: bool = False, max_steps: int = 1_000_000,
            time_budget: float | None = None, check: bool = False) -> Result:
    """Run a strategy on every term of `x` (inside bubbles too), then collect terms."""
    ctx = _Ctx(trace, max_steps, None if time_budget is None else time.monotonic() + time_budget,
               check)
    s = as_sum(x)
    work = [t.copy() for t in s.terms]
    try:
        for i, d in enumerate(work):
            ctx.term = i
            strategy.run(d, ctx)
    except _Stop:
        pass
    out = collect(work, s.free, s.sizes)
    return Result(out, tuple(ctx.steps), ctx.stopped, ctx.bad_step, ctx.counterexample)


def simplify(x: X, rules: Sequence[Rule] | None = None, trace: bool = False,
             max_steps: int = 1_000_000, time_budget: float | None = None,
             check: bool = False) -> Result:
    """The normal form of `x` under simplification rules (default: the core set).

    An expansion rule is refused: exhausting it would never stop.
    """
    rules = core_rules() if rules is None else list(rules)
    for r in rules:
        if classify(r) != "simplification":
            raise InputError(
                f"rule {r.name} does not shrink the diagram: it is an expansion; "
                "use it with :apply or in prove's search", *(r.pos or (None, None)),
                filename=r.filename)
    return rewrite(x, exhaust(rules), trace, max_steps, time_budget, check)


def expanded_terms(x: X) -> int:
    """How many terms `expand` makes before like terms are collected: a
    product of sums has the product of their lengths (sums inside sums count
    through), so the count is known before anything is built."""

    def count(d: Diagram) -> int:
        n = 1
        for node in d.nodes.values():
            if isinstance(node, BubbleNode) and node.fn == "sum":
                n *= sum(count(t) for t in node.inside.terms)
        return n

    return sum(count(t) for t in as_sum(x).terms)


def expand(x: X, max_terms: int | None = None) -> Sum:
    """Distribute products over linear `sum` bubbles (nonlinear bubbles stay whole).

    Refused with a `LimitError` before anything is built when it would make
    more than `max_terms` terms (default `LIMITS.max_terms`): 20 binomials
    make a million.
    """
    from ..core.limits import LIMITS, LimitError

    limit = LIMITS.max_terms if max_terms is None else max_terms
    total = expanded_terms(x)
    if total > limit:
        raise LimitError("expand would make too many terms", total, limit, "--max-terms")
    out: list[Diagram] = []
    s = as_sum(x)
    todo = [t for t in s.terms]
    while todo:
        d = todo.pop()
        v = next((v for v, n in d.nodes.items() if isinstance(n, BubbleNode) and n.fn == "sum"), None)
        if v is None:
            out.append(d)
            continue
        b = d.nodes[v]
        for t in b.inside.terms:
            e = d.copy()
            _inline(e, v, t, b.conj)
            todo.append(e)
    return collect(reversed(out), s.free, s.sizes)


# ------------------------------------------------------------------- gauge


def apply_gauge(d: Diagram, wire: Union[Port, str], x: Decl, rule: Rule | None = None) -> Diagram:
    """Insert `X inv(X)` on one wire: the gauge rule, used only on request.

    `wire` is either end of the wire, as a port, or the name of a free leg.
    """
    rule = gauge_rules()[0] if rule is None else rule
    port = (BOUNDARY, d.free.index(wire)) if isinstance(wire, str) else wire
    if port not in d.link:
        raise InputError(f"no wire at {wire!r}")
    size = d.port_size(port)
    if not x.is_a(Kind.INVERTIBLE) or x.arity != 2 or any(sympy.simplify(s - size) != 0 for s in x.sizes):
        raise InputError(f"gauge needs an invertible {size}x{size} matrix; {x.name} is not one")
    m = match_wire(compiled(rule), d, port)
    var = next(iter(rule.params))
    m = replace(m, binding=replace(m.binding, decls={**m.binding.decls, var: x}))
    return apply(d, m)


# ----------------------------------------------------------- loading rules


_CLASS: dict[int, tuple[Rule, str]] = {}


def _sides(rule: Rule, seed: int = 0) -> list[tuple[Diagram, Diagram]]:
    from .instantiate import random_bindings

    try:
        bs = random_bindings(rule, seed)
    except ValueError as e:
        raise _rule_error(rule, str(e)) from None
    if not bs:
        raise _rule_error(rule, f"rule {rule.name}: no leg-group lengths make both sides well formed")
    return [(instantiate(rule.lhs, b, rule.decls),
             instantiate(rule.rhs, b, rule.decls, boundary=rule.lhs.boundary)) for b in bs]


def _rule_error(rule: Rule, message: str) -> InputError:
    line, col = rule.pos or (None, None)
    return InputError(message, line, col, filename=rule.filename)


def check_rule(rule: Rule, seed: int = 0, trials: int = 2) -> None:
    """Refuse an unsound rule: both sides, instantiated with random tensors of
    the variables' kinds and 1-3 legs per group, must agree numerically."""
    from ..numerics.evaluate import compare

    for n, (lhs, rhs) in enumerate(_sides(rule, seed)):
        cex = compare(lhs, rhs, trials=trials, seed=seed + 7 * n)
        if cex is not None:
            legs = ", ".join(f"{v.name}: {v.arity} legs" for v in _vars_of(lhs))
            raise _rule_error(rule, f"rule {rule.name} is unsound: the sides differ for "
                                    f"{legs or 'these sizes'}; {cex.format()}")


def _vars_of(d: Diagram) -> list[Decl]:
    seen: dict[str, Decl] = {}
    for n in d.nodes.values():
        if isinstance(n, TensorNode):
            seen.setdefault(n.decl.name, n.decl)
    return list(seen.values())


def classify(rule: Rule) -> str:
    """ "simplification" when the right side is smaller in `Diagram.size_measure()`
    for every group length tried, else "expansion"."""
    hit = _CLASS.get(id(rule))
    if hit is None or hit[0] is not rule:
        # A delta atom instantiated with two legs is a wire, which no host stores:
        # such group lengths can never match, so they do not count.
        real = [(l, r) for l, r in _sides(rule) if len(l.nodes) == len(rule.lhs.atoms)]
        shrinks = bool(real) and all(r.size_measure() < l.size_measure() for l, r in real)
        hit = (rule, "simplification" if shrinks else "expansion")
        _CLASS[id(rule)] = hit
    return hit[1]


def load_rules(source: Union[str, Path], env: Any = None, filename: str | None = None,
               check: bool = True) -> list[Rule]:
    """Parse rule statements (from a path or text) and build them, checking each.

    Declarations in the text go to `env`; every rule is checked numerically
    and refused with an InputError at its position when unsound.
    """
    from ..language.env import Env

    if isinstance(source, Path) or (isinstance(source, str) and "\n" not in source
                                   and source.endswith(".tn") and Path(source).exists()):
        from ..core.files import read_text

        filename = filename or str(source)
        text = read_text(str(source))
    else:
        text = str(source)
    env = Env() if env is None else env
    return _load_text(text, env, filename, check)


def checked_rule(stmt: Any, env: Any, filename: str | None = None, check: bool = True) -> Rule:
    """Build a rule statement, refuse it if unsound, and record whether it shrinks."""
    from ..language.rules import build_rule

    r = build_rule(stmt, env)
    if filename is not None and r.filename is None:
        r = replace(r, filename=filename)
    if check:
        check_rule(r)
    return replace(r, simplifies=classify(r) == "simplification")


def _load_text(text: str, env: Any, filename: str | None, check: bool) -> list[Rule]:
    from ..language.parse import parse
    from ..language.syntax import RuleStmt

    rules = []
    try:
        for stmt in parse(text, filename):
            if isinstance(stmt, RuleStmt):
                rules.append(checked_rule(stmt, env, filename, check))
            else:
                env.execute_declaration(stmt)
    except InputError as e:
        raise e.located(text, filename)
    return rules


_SHIPPED: dict[str, list[Rule]] = {}


def shipped_rules(name: str) -> list[Rule]:
    """A rule file shipped with the package (`rules/NAME.tn`), loaded once."""
    if name not in _SHIPPED:
        from importlib.resources import files

        text = files("rewrite.rules").joinpath(f"{name}.tn").read_text(encoding="utf-8")
        # The shipped rules are checked numerically by the test suite
        # (tests/test_rules.py); re-checking them at every start would cost
        # half a second of each command.  User rules are always checked.
        _SHIPPED[name] = _load_text(text, _env(), f"rules/{name}.tn", False)
    return _SHIPPED[name]


def _env():
    from ..language.env import Env

    return Env()


def core_rules() -> list[Rule]:
    """The shipped simplification rules: rules/core.tn and the kinds' laws (rules/kinds.tn)."""
    return shipped_rules("core") + shipped_rules("kinds")


def gauge_rules() -> list[Rule]:
    return shipped_rules("gauge")
