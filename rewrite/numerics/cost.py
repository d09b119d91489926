"""What a contraction costs, in the order it is written and in a good order.

The seed's point (footnote 5) is that the value of a network never depends on
the order of its pairwise contractions but the cost does, exponentially: a
ladder contracted along its top line first carries an intermediate with one
leg per rung.  So `cost` reports two orders side by side:

* the naive order: operands contracted left to right as written, each new
  one into the running result;
* the best order a path optimiser finds (cotengra's `greedy` and `auto`, on
  concrete sizes: path search needs numbers), or the naive order if that is
  cheaper.

Both are then costed by one hand-written function, `order_cost`, so the
comparison is exact and symbolic: a pairwise contraction of operands with
index sets a and b costs the product of the sizes of a ∪ b (scalar
multiply-adds, cotengra's `contraction_cost` convention), a sympy polynomial
in the size symbols.  cotengra reports only numbers, and only for its own
tree, which is why the symbolic costing is written here.  The network is the
one `network.index_network` builds (deltas as hyperedges), so the orders shown
are orders of the einsum the exports write.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import sympy

from ..core.diagram import BubbleNode, Diagram, Sum
from ..core.errors import InputError
from .network import IndexNetwork, index_network

#: Networks with at most this many operands also get cotengra's `auto` search
#: (as in `numeric`); beyond it greedy alone, as the search would cost more.
AUTO_LIMIT = 200


@dataclass(frozen=True)
class Step:
    """One contraction: operands `left` and `right` (or a lone `left` summed
    over its private indices) into `result` with legs `legs`."""

    left: str
    right: str | None
    result: str
    legs: tuple[str, ...]
    flops: Any
    size: Any


@dataclass(frozen=True)
class Order:
    """A contraction order with its symbolic cost; `method` says who chose it."""

    method: str
    path: tuple[tuple[int, ...], ...]
    steps: tuple[Step, ...]
    flops: Any
    largest: Any


@dataclass(frozen=True)
class TermCost:
    """Both orders of one term; `bubbles` are the costs of bubble insides,
    which are computed first and count towards the totals."""

    naive: Order
    best: Order
    bubbles: tuple["CostReport", ...] = ()


def _value(expr: Any, sizes: Mapping[str, int]) -> int:
    e = sympy.sympify(expr)
    return int(e.xreplace({s: sizes[str(s)] for s in e.free_symbols}))


def _text(expr: Any) -> str:
    e = sympy.sympify(expr)
    return str(sympy.factor(e)) if e.is_Mul else str(e)


def _shown(expr: Any, sizes: Mapping[str, int]) -> str:
    """`2*d**3 = 16` for a symbolic cost, just `16` for a number."""
    e = sympy.sympify(expr)
    value = f"{_value(e, sizes):,}"
    return f"{_text(e)} = {value}" if e.free_symbols else value


@dataclass(frozen=True)
class CostReport:
    """Cost of every term of a sum under both orders, with concrete `sizes`."""

    terms: tuple[TermCost, ...]
    sizes: dict[str, int] = field(hash=False)

    def _total(self, which: str) -> Any:
        total = sympy.Integer(0)
        for t in self.terms:
            total += getattr(t, which).flops
            for b in t.bubbles:
                total += b._total(which)
        return sympy.expand(total)

    @property
    def naive_flops(self) -> Any:
        return self._total("naive")

    @property
    def best_flops(self) -> Any:
        return self._total("best")

    @property
    def largest(self) -> Any:
        """The largest intermediate of the best orders (symbolic)."""
        sizes = [t.best.largest for t in self.terms] + [b.largest for t in self.terms
                                                          for b in t.bubbles]
        if not sizes:
            return sympy.Integer(0)
        return max(sizes, key=lambda e: _value(e, self.sizes))

    def at(self, expr: Any) -> int:
        """A symbolic cost at this report's concrete sizes."""
        return _value(expr, self.sizes)

    def format(self) -> str:
        lines = []
        for k, t in enumerate(self.terms):
            if len(self.terms) > 1:
                lines.append(f"term {k + 1} of {len(self.terms)}:")
            for label, order in (("naive order (as written)", t.naive),
                                 (f"best order ({t.best.method})", t.best)):
                if label.startswith("best") and t.best.path == t.naive.path:
                    lines.append("best order: the written one (no cheaper order found)")
                    continue
                lines.append(f"{label}:")
                lines.extend(self._steps(order))
                lines.append(f"  flops: {_shown(order.flops, self.sizes)}")
                lines.append(f"  largest intermediate: {_shown(order.largest, self.sizes)}")
            for b in t.bubbles:
                lines.append("inside a bubble (computed first):")
                lines.extend("  " + x for x in b.format().splitlines())
        naive, best = self.naive_flops, self.best_flops
        lines.append(f"total flops: naive {_shown(naive, self.sizes)}; "
                     f"best {_shown(best, self.sizes)}")
        if self.at(best):
            lines.append(f"speed-up at these sizes: {self.at(naive) / self.at(best):.3g}x")
        if self.sizes:
            lines.append("sizes: " + ", ".join(f"{k}={v}" for k, v in sorted(self.sizes.items())))
        return "\n".join(lines)

    def _steps(self, order: Order) -> list[str]:
        if not order.steps:
            return ["  (nothing to contract)"]
        out = []
        for k, s in enumerate(order.steps, 1):
            what = f"{s.left} · {s.right}" if s.right is not None else f"sum over {s.left}"
            out.append(f"  {k}. {what} → {s.result}[{', '.join(s.legs)}]   "
                       f"cost {_shown(s.flops, self.sizes)}")
        return out

    def to_json(self) -> dict:
        def order(o: Order) -> dict:
            return {"method": o.method, "path": [list(p) for p in o.path],
                    "steps": [{"left": s.left, "right": s.right, "result": s.result,
                               "legs": list(s.legs), "flops": str(s.flops),
                               "flops_value": self.at(s.flops), "size": str(s.size)}
                              for s in o.steps],
                    "flops": str(o.flops), "flops_value": self.at(o.flops),
                    "largest": str(o.largest), "largest_value": self.at(o.largest)}

        return {"sizes": dict(self.sizes),
                "naive_flops": str(self.naive_flops), "naive_flops_value": self.at(self.naive_flops),
                "best_flops": str(self.best_flops), "best_flops_value": self.at(self.best_flops),
                "largest": str(self.largest), "largest_value": self.at(self.largest),
                "terms": [{"naive": order(t.naive), "best": order(t.best),
                           "bubbles": [b.to_json() for b in t.bubbles]} for t in self.terms]}


# ------------------------------------------------------------------ costing


class _Large(dict):
    """Every size at 1000: compares intermediates by their growth."""

    def __missing__(self, key: str) -> int:
        return 1000


def order_cost(net: IndexNetwork, path: Sequence[Sequence[int]], method: str = "",
               sizes: Mapping[str, int] | None = None) -> Order:
    """The symbolic cost of contracting `net` along `path`.

    `path` is in opt_einsum's linear format: each step names positions in the
    current list of operands, which are removed and their result appended.
    An index is kept in a result while another operand or the output still
    has it, so a hyperedge stays open until its last tensor is in.
    """
    items: list[tuple[tuple[int, ...], str]] = [
        (tuple(dict.fromkeys(op.indices)), net.title(k)) for k, op in enumerate(net.operands)]
    repeated = [len(set(op.indices)) < len(op.indices) for op in net.operands]
    output = set(net.output)
    steps: list[Step] = []
    made = 0

    def size_of(ix: Sequence[int]) -> Any:
        return sympy.Mul(*[net.sizes[i] for i in ix])

    for step in path:
        step = tuple(step)
        chosen = [items[i] for i in step]
        for i in sorted(step, reverse=True):
            del items[i]
        legs = tuple(dict.fromkeys(i for ix, _ in chosen for i in ix))
        rest = {i for ix, _ in items for i in ix} | output
        keep = tuple(i for i in legs if i in rest)
        made += 1
        name = f"#{made}"  # not a tensor name: the language never allows '#'
        flops = size_of(legs)
        steps.append(Step(chosen[0][1], chosen[1][1] if len(chosen) > 1 else None, name,
                          tuple(net.names[i] for i in keep), flops, size_of(keep)))
        items.append((keep, name))
    # A lone operand with a trace or a private index still has to be summed.
    if len(items) == 1 and not steps and (set(items[0][0]) - output or repeated[0]):
        ix, title = items[0]
        keep = tuple(i for i in net.output)
        steps.append(Step(title, None, "#1", tuple(net.names[i] for i in keep),
                          size_of(ix), size_of(keep)))
    flops = sympy.expand(sum((s.flops for s in steps), sympy.Integer(0)))
    # Largest at the given sizes, or asymptotically (every size large).
    at = sizes if sizes is not None else _Large()
    largest = max((s.size for s in steps), key=lambda e: _value(e, at), default=sympy.Integer(0))
    return Order(method, tuple(tuple(p) for p in path), tuple(steps), flops, largest)


def naive_path(n: int) -> list[tuple[int, int]]:
    """Left to right: the first two, then the running result with the next."""
    if n < 2:
        return []
    return [(0, 1)] + [(n - 1 - k, 0) for k in range(1, n - 1)]


def _concrete(net: IndexNetwork, sizes: Mapping[str, int]) -> dict[int, int]:
    return {i: _value(s, sizes) for i, s in net.sizes.items()}


def _optimised_paths(net: IndexNetwork, sizes: Mapping[str, int]) -> list[tuple[str, list]]:
    import warnings

    import cotengra as ctg

    inputs = [op.indices for op in net.operands]
    size_dict = _concrete(net, sizes)
    out = []
    methods = ["greedy"] + (["auto"] if len(inputs) <= AUTO_LIMIT else [])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # cotengra notes missing optional optimisers
        for how in methods:
            tree = ctg.array_contract_tree(inputs, net.output, size_dict=size_dict, optimize=how)
            out.append((f"cotengra {how}", [tuple(p) for p in tree.get_path()]))
    return out


def term_cost(d: Diagram, sizes: Mapping[str, int]) -> TermCost:
    net = index_network(d)
    n = len(net.operands)
    naive = order_cost(net, naive_path(n), "as written", sizes)
    best = naive
    if n > 2:
        for method, path in _optimised_paths(net, sizes):
            cand = order_cost(net, path, method, sizes)
            if _value(cand.flops, sizes) < _value(best.flops, sizes):
                best = cand
    bubbles = tuple(_report(node.inside, sizes) for node in d.nodes.values()
                    if isinstance(node, BubbleNode))
    return TermCost(naive, best, bubbles)


def _report(s: Sum, sizes: Mapping[str, int]) -> CostReport:
    from ..views.export import _terms

    return CostReport(tuple(term_cost(t, sizes) for t in _terms(s)), dict(sizes))


# ------------------------------------------------------------------- sizes


def default_sizes(value: Sum, env: Any = None, given: Mapping[str, int] | None = None,
                  seed: int = 0) -> dict[str, int]:
    """Concrete values for every size symbol: `given` ones, the rest sampled as
    the numeric checks sample them (honouring the declarations' constraints)."""
    from .evaluate import collect_decls, collect_symbols
    from .sample import _relation_test, implied_tests, sample_sizes

    symbols = collect_symbols(value)
    decls = collect_decls(value)
    constraints = list(getattr(env, "constraints", []) or [])
    tests = implied_tests(decls.values()) + [_relation_test(c) for c in constraints]
    for c in constraints:
        if isinstance(c, sympy.Basic):
            symbols |= c.free_symbols
    given = {str(k): int(v) for k, v in (given or {}).items()}
    for name, v in given.items():
        if v < 1:
            raise InputError(f"the size {name} must be a positive integer, not {v}")
    assigned = sample_sizes(symbols, seed, tests, given)
    out = {str(s): v for s, v in assigned.items()}
    out.update(given)
    return out


def contraction_cost(value: Diagram | Sum, env: Any = None,
                     sizes: Mapping[str, int] | None = None) -> CostReport:
    """The naive and the best contraction order of every term of `value`,
    with flops and largest intermediate, symbolic and at concrete sizes
    (`sizes` where given, sampled defaults otherwise)."""
    s = Sum.of(value) if isinstance(value, Diagram) else value
    return _report(s, default_sizes(s, env, sizes))

