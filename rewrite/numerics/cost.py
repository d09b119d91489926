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
from functools import cached_property, lru_cache
from collections import Counter
from typing import Any, Iterable, Mapping, Sequence

import sympy

from ..core import scalars
from ..core.diagram import BubbleNode, Diagram, Sum
from ..core.errors import InputError
from .network import IndexNetwork, index_network

#: Networks with at most this many operands also get cotengra's `auto` search
#: (as in `numeric`); beyond it greedy alone, as the search would cost more.
AUTO_LIMIT = 200


@dataclass(frozen=True)
class ContractionStep:
    """One contraction: operands `left` and `right` (or a lone `left` summed
    over its private indices) into `result` with legs `legs`.

    Its flops and result size are kept as monomials (frozensets of (size,
    exponent)) and become sympy expressions only when read, so an order
    nobody prints costs no symbolic algebra.
    """

    left: str
    right: str | None
    result: str
    leg_ids: tuple[int, ...]
    flops_monomial: frozenset
    size_monomial: frozenset
    flops_value: int = 0
    size_value: int = 0
    names: Mapping[int, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def legs(self) -> tuple[str, ...]:
        return tuple(self.names[i] for i in self.leg_ids)

    @property
    def flops(self) -> Any:
        return _monomial(self.flops_monomial)

    @property
    def size(self) -> Any:
        return _monomial(self.size_monomial)


@dataclass(frozen=True)
class Order:
    """A contraction order with its symbolic cost; `method` says who chose it.

    `flops_terms` counts the steps per flops monomial; `flops` (their sum) and
    `largest` (the largest intermediate, as a monomial) are built on first use.
    """

    method: str
    path: tuple[tuple[int, ...], ...]
    steps: tuple[ContractionStep, ...]
    flops_terms: tuple[tuple[frozenset, int], ...]
    largest_monomial: frozenset
    flops_value: int = 0
    largest_value: int = 0

    @cached_property
    def flops(self) -> Any:
        terms = [c * _monomial(m) for m, c in self.flops_terms]
        total = sympy.Add(*terms)
        if any(not (x.is_Symbol or x.is_Number) for m, _ in self.flops_terms for s, _ in m
               for x in [scalars.sympify(s)]):
            total = sympy.expand(total)  # a size like n + 1 multiplies out
        return total

    @property
    def largest(self) -> Any:
        return _monomial(self.largest_monomial) if self.steps else sympy.Integer(0)


@lru_cache(maxsize=4096)
def _monomial(m: frozenset) -> Any:
    return sympy.Mul(*[s ** e for s, e in m])


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


#: Terms of a symbolic cost shown in text; `--json` always has all of them.
SHOWN_TERMS = 8


def _text(expr: Any) -> str:
    """A cost as text: factored when it is a product; a polynomial of many terms
    (the naive order of a long ladder has one per rung) by its leading terms."""
    e = sympy.sympify(expr)
    if e.is_Mul:
        return str(sympy.factor(e))
    if e.is_Add and len(e.args) > SHOWN_TERMS:
        terms = e.as_ordered_terms()
        head = " + ".join(str(t) for t in terms[:SHOWN_TERMS - 3])
        return f"{head} + … ({len(terms) - SHOWN_TERMS + 2} more terms) + {terms[-1]}"
    return str(e)


def _shown(expr: Any, sizes: Mapping[str, int], value: int | None = None) -> str:
    """`2*d**3 = 16` for a symbolic cost, just `16` for a number (`value`: the
    number when the caller already has it)."""
    e = sympy.sympify(expr)
    value = _number(_value(e, sizes) if value is None else value)
    return f"{_text(e)} = {value}" if e.free_symbols else value


def _number(v: int) -> str:
    """An exact integer with thousands separators, or about 1.29e+301 past 10^15."""
    if v < 10 ** 15:
        return f"{v:,}"
    digits = str(v)
    return f"about {digits[0]}.{digits[1:3]}e+{len(digits) - 1}"


#: Legs shown per step; a longer result (the naive order of a long ladder
#: carries one leg per rung) is shown by its ends and its count.
SHOWN_LEGS = 12


def _legs_text(legs: Sequence[str]) -> str:
    if len(legs) <= SHOWN_LEGS:
        return ", ".join(legs)
    return ", ".join(legs[:SHOWN_LEGS - 3]) + ", …, " + ", ".join(legs[-2:]) + f" ({len(legs)} legs)"


def _step_legs_text(s: ContractionStep) -> str:
    """`_legs_text` of a step, naming only the legs shown: the naive order of a
    long ladder has steps with a thousand legs, and naming them all made
    printing quadratic."""
    ids = s.leg_ids
    if len(ids) <= SHOWN_LEGS:
        return ", ".join(s.names[i] for i in ids)
    return (", ".join(s.names[i] for i in ids[:SHOWN_LEGS - 3]) + ", …, "
            + ", ".join(s.names[i] for i in ids[-2:]) + f" ({len(ids)} legs)")


@lru_cache(maxsize=4096)
def _monomial_text(m: frozenset) -> tuple[str, bool]:
    """A step's cost monomial as text, and whether it has symbols; once per
    distinct monomial (the steps of an order share a few).  A product of
    symbols and numbers is already factored, so sympy's `factor` is skipped."""
    e = _monomial(m)
    plain = all(isinstance(b, int) or getattr(b, "is_Symbol", False) or getattr(b, "is_Number", False)
                for b, _ in m)
    return (str(e) if plain else _text(e)), bool(e.free_symbols)


@dataclass(frozen=True)
class CostReport:
    """Cost of every term of a sum under both orders, with concrete `sizes`."""

    terms: tuple[TermCost, ...]
    sizes: dict[str, int] = field(hash=False)

    def _total(self, which: str) -> Any:
        # Each order's flops is already expanded, so their sum is too.
        parts = []
        for t in self.terms:
            parts.append(getattr(t, which).flops)
            parts.extend(b._total(which) for b in t.bubbles)
        return sympy.Add(*parts)

    def _total_value(self, which: str) -> int:
        return sum(getattr(t, which).flops_value + sum(b._total_value(which) for b in t.bubbles)
                   for t in self.terms)

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
                lines.append(f"  flops: {_shown(order.flops, self.sizes, order.flops_value)}")
                lines.append(f"  largest intermediate: "
                             f"{_shown(order.largest, self.sizes, order.largest_value)}")
            for b in t.bubbles:
                lines.append("inside a bubble (computed first):")
                lines.extend("  " + x for x in b.format().splitlines())
        naive, best = self._total_value("naive"), self._total_value("best")
        lines.append(f"total flops: naive {_shown(self.naive_flops, self.sizes, naive)}; "
                     f"best {_shown(self.best_flops, self.sizes, best)}")
        if best:
            lines.append(f"speed-up at these sizes: {naive / best:.3g}x")
        if self.sizes:
            lines.append("sizes: " + ", ".join(f"{k}={v}" for k, v in sorted(self.sizes.items())))
        return "\n".join(lines)

    def _steps(self, order: Order) -> list[str]:
        if not order.steps:
            return ["  (nothing to contract)"]
        out = []
        for k, s in enumerate(order.steps, 1):
            what = f"{s.left} · {s.right}" if s.right is not None else f"sum over {s.left}"
            text, symbolic = _monomial_text(s.flops_monomial)
            cost = f"{text} = {_number(s.flops_value)}" if symbolic else _number(s.flops_value)
            out.append(f"  {k}. {what} → {s.result}[{_step_legs_text(s)}]   cost {cost}")
        return out

    def to_json(self) -> dict:
        def order(o: Order) -> dict:
            return {"method": o.method, "path": [list(p) for p in o.path],
                    "steps": [{"left": s.left, "right": s.right, "result": s.result,
                               "legs": list(s.legs), "flops": str(s.flops),
                               "flops_value": s.flops_value, "size": str(s.size)}
                              for s in o.steps],
                    "flops": str(o.flops), "flops_value": o.flops_value,
                    "largest": str(o.largest), "largest_value": o.largest_value}

        return {"sizes": dict(self.sizes),
                "naive_flops": str(self.naive_flops), "naive_flops_value": self._total_value("naive"),
                "best_flops": str(self.best_flops), "best_flops_value": self._total_value("best"),
                "largest": str(self.largest), "largest_value": self.at(self.largest),
                "terms": [{"naive": order(t.naive), "best": order(t.best),
                           "bubbles": [b.to_json() for b in t.bubbles]} for t in self.terms]}


# ------------------------------------------------------------------ costing


class _Item:
    """One operand or intermediate during a walk along a path.

    `ix` holds its distinct indices (a dict: insertion order is the order its
    legs are shown in), `size` their product at the concrete sizes (an exact
    integer), `private` the indices only it has and the output lacks (summed
    when it is first contracted; only written operands have any), and `mono`
    the same product as a multiset of symbolic sizes (symbolic walks only).
    """

    __slots__ = ("ix", "size", "private", "mono", "title")

    def __init__(self, ix: dict, size: int, private: set, mono: Counter | None, title: str) -> None:
        self.ix, self.size, self.private, self.mono, self.title = ix, size, private, mono, title


@dataclass
class _Walked:
    """A path walked at integer sizes; `steps` (symbolic walks only) are
    (left, right, result, legs, flops multiset, result multiset)."""

    flops: int = 0
    largest: int = 0
    steps: list[tuple] = field(default_factory=list)


class _Walk:
    """Contract a network along a path at integer sizes, in time linear in the path.

    An index is kept in a result while another operand or the output still has
    it, so a hyperedge stays open until its last tensor is in.  By that rule
    every index of an intermediate is also in the output or in another item, so
    a pairwise step can drop only indices the two share (when no third item
    has them) and the written operands' private ones.  The walk therefore
    updates the larger item in place and touches only the smaller one's legs:
    a long running intermediate (the naive order of a ladder) does not cost its
    length at every step, which made the old costing quadratic.
    """

    def __init__(self, net: IndexNetwork, ints: Mapping[int, int], symbolic: bool) -> None:
        self.net, self.ints, self.symbolic = net, ints, symbolic
        self.output = set(net.output)
        self.occ: Counter = Counter()
        for op in net.operands:
            self.occ.update(set(op.indices))
        self.sym = net.sizes
        self.items: list[_Item] = []
        for k, op in enumerate(net.operands):
            ix = dict.fromkeys(op.indices)
            private = {i for i in ix if self.occ[i] == 1 and i not in self.output}
            mono = None
            if symbolic:
                mono = {}
                for i in ix:
                    s = net.sizes[i]
                    mono[s] = mono.get(s, 0) + 1
            self.items.append(_Item(ix, self._product(ix), private, mono, net.title(k)))

    def _product(self, ix: Iterable[int]) -> int:
        size = 1
        for i in ix:
            size *= self.ints[i]
        return size

    def _shift(self, mono: dict, ix: Iterable[int], by: int) -> None:
        sym = self.sym
        for i in ix:
            s = sym[i]
            e = mono.get(s, 0) + by
            if e:
                mono[s] = e
            else:
                del mono[s]

    def merge(self, a: _Item, b: _Item | None) -> tuple[_Item, int, frozenset]:
        """a and b contracted (b None: a alone, summed over its private indices).

        Returns the result, the step's flops (the product of the sizes of all
        the legs involved) and, when symbolic, those legs' sizes as a monomial.
        Consumes a and b (the larger one's containers become the result's).
        """
        occ = self.occ
        if b is None:
            big, small_ix, shared = a, {}, []
            flops = a.size
            dropped = set(a.private)
        else:
            big, small = (a, b) if len(a.ix) >= len(b.ix) else (b, a)
            small_ix = small.ix
            shared = [i for i in small_ix if i in big.ix]
            for i in shared:
                occ[i] -= 1
            flops = big.size * small.size // self._product(shared)
            dropped = {i for i in shared if occ[i] == 1 and i not in self.output} | a.private | b.private
        union = frozenset()
        mono = None
        if self.symbolic:
            mono = big.mono
            if b is not None:
                for s, e in small.mono.items():
                    mono[s] = mono.get(s, 0) + e
                self._shift(mono, shared, -1)
            union = frozenset(mono.items())
        if self.symbolic and b is not None and big is not a:
            ix = dict.fromkeys(a.ix)  # shown legs: the first-named operand's order
            ix.update(b.ix)
        else:
            ix = big.ix
            ix.update(small_ix)
        size = flops
        gone = []
        for i in dropped:
            if i in ix:
                del ix[i]
                size //= self.ints[i]
                gone.append(i)
            occ[i] = 0
        if mono is not None:
            self._shift(mono, gone, -1)
        return _Item(ix, size, set(), mono, ""), flops, union

    def run(self, path: Sequence[Sequence[int]]) -> _Walked:
        out = _Walked()
        items = self.items
        symbolic = self.symbolic
        for step in path:
            chosen = [items[i] for i in step]
            for i in sorted(step, reverse=True):
                del items[i]
            left, right = chosen[0].title, (chosen[1].title if len(chosen) > 1 else None)
            res, flops, union = self.merge(chosen[0], chosen[1] if len(chosen) > 1 else None)
            for extra in chosen[2:]:  # paths are pairwise; more at once folds left
                res, more, _ = self.merge(res, extra)
                flops += more
            out.flops += flops
            if res.size > out.largest:
                out.largest = res.size
            if symbolic:
                res.title = f"#{len(out.steps) + 1}"  # '#': never a tensor name
                out.steps.append((left, right, res.title, tuple(res.ix), union,
                                  frozenset(res.mono.items()), flops, res.size))
            items.append(res)
        # A lone operand with a trace or a private index still has to be summed.
        ops = self.net.operands
        if not path and len(items) == 1 and (
                items[0].private or len(set(ops[0].indices)) < len(ops[0].indices)):
            it = items[0]
            keep = tuple(self.net.output)
            out.flops += it.size
            out.largest = max(out.largest, self._product(keep))
            if symbolic:
                kept: dict = {}
                self._shift(kept, keep, 1)
                out.steps.append((it.title, None, "#1", keep, frozenset(it.mono.items()),
                                  frozenset(kept.items()), it.size, self._product(keep)))
        return out


def path_flops(net: IndexNetwork, path: Sequence[Sequence[int]], ints: Mapping[int, int]) -> tuple[int, int]:
    """(flops, largest intermediate) of `path` at integer index sizes: what picks the order."""
    w = _Walk(net, ints, symbolic=False).run(path)
    return w.flops, w.largest


def order_cost(net: IndexNetwork, path: Sequence[Sequence[int]], method: str = "",
               sizes: Mapping[str, int] | None = None) -> Order:
    """The symbolic cost of contracting `net` along `path`.

    `path` is in opt_einsum's linear format: each step names positions in the
    current list of operands, which are removed and their result appended.
    The total is built once from the steps' monomials grouped by exponents, so
    it is linear in the path.  The largest intermediate is taken at `sizes`, or
    asymptotically (every size 1000) when none are given.
    """
    at: Mapping[str, int] = sizes if sizes is not None else _Large()
    w = _Walk(net, _concrete(net, at), symbolic=True).run(path)
    steps = []
    total: Counter = Counter()
    largest, largest_value = frozenset(), -1
    names = net.names
    for left, right, result, legs, flops_mono, size_mono, flops, size in w.steps:
        total[flops_mono] += 1
        if size > largest_value:
            largest, largest_value = size_mono, size
        steps.append(ContractionStep(left, right, result, legs, flops_mono, size_mono, flops, size, names))
    return Order(method, tuple(tuple(p) for p in path), tuple(steps), tuple(total.items()),
                 largest, w.flops, max(largest_value, 0))


class _Large(dict):
    """Every size at 1000: compares intermediates by their growth."""

    def __missing__(self, key: str) -> int:
        return 1000


def naive_path(n: int) -> list[tuple[int, int]]:
    """Left to right: the first two, then the running result with the next."""
    if n < 2:
        return []
    return [(0, 1)] + [(n - 1 - k, 0) for k in range(1, n - 1)]


def _concrete(net: IndexNetwork, sizes: Mapping[str, int]) -> dict[int, int]:
    """Each index's size as an integer (one substitution per distinct size)."""
    cache: dict[Any, int] = {}
    out = {}
    for i, s in net.sizes.items():
        v = cache.get(s)
        if v is None:
            v = cache[s] = _value(s, sizes)
        out[i] = v
    return out


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
    """Both orders of one term: candidates are compared at integer sizes and
    only the two shown get a symbolic cost."""
    net = index_network(d)
    n = len(net.operands)
    ints = _concrete(net, sizes)
    naive = order_cost(net, naive_path(n), "as written", sizes)
    best_method, best_path, best_flops = "as written", None, naive.flops_value
    if n > 2:
        for method, path in _optimised_paths(net, sizes):
            flops = path_flops(net, path, ints)[0]
            if flops < best_flops:
                best_method, best_path, best_flops = method, path, flops
    best = naive if best_path is None else order_cost(net, best_path, best_method, sizes)
    bubbles = tuple(_report(node.inside, sizes) for node in d.nodes.values()
                    if isinstance(node, BubbleNode))
    return TermCost(naive, best, bubbles)


def _report(s: Sum, sizes: Mapping[str, int]) -> CostReport:

    return CostReport(tuple(term_cost(t, sizes) for t in s.aligned_terms()), dict(sizes))


# ------------------------------------------------------------------- sizes


def default_sizes(value: Sum, env: Any = None, given: Mapping[str, int] | None = None,
                  seed: int = 0) -> dict[str, int]:
    """Concrete values for every size symbol: `given` ones, the rest sampled as
    the numeric checks sample them (honouring the declarations' constraints)."""
    from .evaluate import collect_decls, collect_symbols
    from .sample import implied_tests, relation_test, sample_sizes

    symbols = collect_symbols(value)
    decls = collect_decls(value)
    constraints = list(getattr(env, "constraints", []) or [])
    tests = implied_tests(decls.values()) + [relation_test(c) for c in constraints]
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

