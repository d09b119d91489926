"""Running rules over sums: `rewrite`, `simplify`, and single rewrites on request.

`simplify` may only use rules that shrink `Diagram.size_measure()`; that order
is well founded, so exhausting them terminates.  Rules that grow the diagram
are expansions (gauge insertion, converses) and are applied on request
(`apply_at`, `apply_gauge`, `gauge_sum`) or by `prove`'s bounded search.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Sequence, Union

from ..core import scalars
from ..core.canon import collect_terms
from ..core.diagram import BOUNDARY, Diagram, Port, Sum, as_sum
from ..core.errors import InputError
from ..core.kinds import Decl, Kind
from ..core.pattern import Rule
from .match import Match, match_wire
from .ruleset import compiled, core_rules, gauge_rules, loaded, unbound_variables
from .strategies import RunContext, RunResult, Stop, Strategy, all_matches, apply, exhaust

X = Union[Sum, Diagram]


def rewrite(x: X, strategy: Strategy, trace: bool = False, max_steps: int = 1_000_000,
            time_budget: float | None = None, check: bool = False) -> RunResult:
    """Run a strategy on every term of `x` (inside bubbles too), then collect terms."""
    ctx = RunContext(trace, max_steps,
                     None if time_budget is None else time.monotonic() + time_budget, check)
    s = as_sum(x)
    work = [t.copy() for t in s.terms]
    try:
        for i, d in enumerate(work):
            ctx.term = i
            strategy.run(d, ctx)
    except Stop:
        pass
    return ctx.result(collect_terms(work, s.free, s.sizes))


def simplify(x: X, rules: Sequence[Rule] | None = None, trace: bool = False,
             max_steps: int = 1_000_000, time_budget: float | None = None,
             check: bool = False) -> RunResult:
    """The normal form of `x` under simplification rules (default: the core set).

    An expansion rule is refused: exhausting it would never stop.
    """
    rules = core_rules() if rules is None else list(rules)
    for r in rules:
        if not loaded(r).simplifies:
            raise InputError(
                f"rule {r.name} does not shrink the diagram: it is an expansion; "
                "use it with :apply or in prove's search", *(r.pos or (None, None)),
                filename=r.filename)
    return rewrite(x, exhaust(rules), trace, max_steps, time_budget, check)


# ------------------------------------------------------------ one rule, on request


def matches_in(rule: Rule, s: Sum) -> list[tuple[int, Match]]:
    """(term index, match) for every match of `rule` in the terms of `s`, in a
    stable order; a bare-wire rule (it matches any wire) has none here."""
    if compiled(rule).bare_wire:
        return []
    return [(k, m) for k, t in enumerate(s.terms) for m in all_matches(rule, t)]


@dataclass(frozen=True)
class Applied:
    """One rule applied at one match: the new sum, and where it happened."""

    value: Sum
    term: int  # index of the rewritten term
    match: Match  # in the term as it was
    after: Diagram  # the rewritten term


def check_applicable(rule: Rule) -> None:
    """Raise an InputError saying why `rule` cannot be applied by matching alone."""
    try:
        bare = compiled(rule).bare_wire
    except ValueError as e:  # e.g. a converse whose left side zips groups on a delta
        raise InputError(f"{rule.name} cannot be matched: {e}") from None
    if bare:
        raise InputError(f"{rule.name} matches any wire and needs a tensor to insert: "
                         "use :gauge X on INDEX")
    missing = unbound_variables(rule)
    if missing:
        raise InputError(f"{rule.name} would introduce {', '.join(missing)}, which its "
                         "left side does not determine; it cannot be applied here")


def apply_at(rule: Rule, s: Sum, n: int) -> Applied:
    """Apply `rule` (expansions too) at its `n`-th match in `s`, counting from 1
    in `matches_in` order, and collect like terms; an InputError says why not."""
    check_applicable(rule)
    ms = matches_in(rule, s)
    if not ms:
        raise InputError(f"{rule.name} does not match the current diagram")
    if not 1 <= n <= len(ms):
        raise InputError(f"{rule.name} has {len(ms)} match(es); choose 1 to {len(ms)}")
    k, m = ms[n - 1]
    new_term = apply(s.terms[k], m)
    terms = [t.copy() for t in s.terms]
    terms[k] = new_term
    return Applied(collect_terms(terms, s.free, s.sizes), k, m, new_term)


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
    if not x.is_a(Kind.INVERTIBLE) or x.arity != 2 or any(not scalars.equal(s, size) for s in x.sizes):
        raise InputError(f"gauge needs an invertible {size}x{size} matrix; {x.name} is not one")
    if len(rule.params) != 1:
        raise InputError(f"{rule.name} needs exactly one matrix variable to be put on a wire")
    var, kind = next(iter(rule.params.items()))
    if not kind.admits(x):
        raise InputError(f"{rule.name} puts {var}: {kind.kind.value} on a wire, "
                         f"and {x.name} is not one")
    m = match_wire(compiled(rule), d, port)
    m = replace(m, binding=replace(m.binding, decls={**m.binding.decls, var: x}))
    return apply(d, m)


def gauge_sum(s: Sum, ports: Sequence[Port], x: Decl, rule: Rule | None = None) -> Sum:
    """`X inv(X)` on one wire of every term: `ports[k]` is the wire in term k.

    A sum is gauged term by term on the same wire (for a free leg, the same
    boundary port in each), which keeps the terms' free legs aligned.
    """
    if not s.terms:
        raise InputError("the sum is zero: there is no wire")
    if len(ports) != len(s.terms):
        raise ValueError("gauge_sum needs one port per term")
    return Sum(tuple(apply_gauge(t, p, x, rule) for t, p in zip(s.terms, ports)), s.free, s.sizes)
