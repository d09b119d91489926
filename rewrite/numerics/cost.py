"""What a contraction costs, in the order it is written and in a good order.

The seed's point (footnote 5) is that the value of a network never depends on
the order of its pairwise contractions but the cost does, exponentially: a
ladder contracted along its top line first carries an intermediate with one
leg per rung.  So `cost` reports two orders side by side:

* the naive order: operands contracted left to right as written, each new
  one into the running result;
* the best order a path optimiser finds (cotengra's `greedy`, and on small
  networks its seeded randomised greedy search), or the naive order if that
  is cheaper.

How it plans, and when it goes symbolic:

* **Planning is integer arithmetic.**  Every size gets its concrete value
  (given or sampled), cotengra searches at those numbers, and each candidate
  order is walked once at those numbers (`_walk`) to count its flops and its
  largest intermediate; the cheapest is the best.  A pairwise contraction of
  operands with index sets a and b costs the product of the sizes of a ∪ b
  (scalar multiply-adds, cotengra's `contraction_cost` convention).
* **The symbolic count is bookkeeping on the same walk.**  Beside each
  integer the walk keeps the same product as a monomial in the distinct
  sizes, packed into one integer (an exponent vector, `_Network`), so a
  step's symbolic cost costs a few integer additions and an order's flops
  polynomial is its steps' monomials counted.  That polynomial becomes text
  (`_poly_text`, printed exactly as sympy prints the same sum, leading terms
  only for a long one) or a sympy expression only when a report is printed or
  asked for, and only for the orders it shows.  sympy does the algebra only
  when a size is not a product of symbols and numbers (`n + 1`, possible from
  the Python API).
* cotengra reports only numbers, and only for its own tree, which is why the
  walk is written here.  The network is the one `network.index_network`
  builds (deltas as hyperedges), so the orders shown are orders of the einsum
  the exports write.

A walk is linear in the path: the larger operand of a step is updated in
place, and a step's legs are kept in full only when a caller asks for all of
them (`Order.steps`, `--json`); printed steps name at most `SHOWN_LEGS`.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from itertools import islice
from typing import Any, Iterable, Mapping, Sequence

from ..core import scalars
from ..core.diagram import BubbleNode, Diagram, Sum
from ..core.errors import InputError
from .network import IndexNetwork, index_network

#: Networks with at most this many operands also get SEARCH_REPEATS seeded
#: randomised greedy orders; beyond it greedy alone, as the search would cost
#: more than the report (it is about 100 greedy searches).
SEARCH_LIMIT = 200
SEARCH_REPEATS = 128

#: Terms of a symbolic cost shown in text; `--json` always has all of them.
SHOWN_TERMS = 8

#: Legs shown per step; a longer result (the naive order of a long ladder
#: carries one leg per rung) is shown by its ends and its count.
SHOWN_LEGS = 12

#: A monomial in the sizes: frozenset of (size, exponent), the size an int,
#: a `scalars.Mono` or a sympy expression, as the index network has it.
Monomial = frozenset


# ------------------------------------------------------------ polynomials


def _plain_terms(terms: Iterable[tuple[Monomial, int]]) -> dict[tuple, int] | None:
    """Counted monomials as {powers: coefficient}, powers a sorted tuple of
    (symbol name, exponent); None when a size is not a product of symbols and
    positive integers (then sympy does the algebra)."""
    out: dict[tuple, int] = {}
    for m, count in terms:
        coeff, powers = count, {}
        for s, e in m:
            if type(s) is int:
                coeff *= s ** e
            elif (isinstance(s, scalars.Mono) and type(s.coeff) is int and s.coeff > 0
                  and all(p > 0 for _, p in s.powers)):
                coeff *= s.coeff ** e
                for name, p in s.powers:
                    powers[name] = powers.get(name, 0) + p * e
            else:
                return None
        key = tuple(sorted(powers.items()))
        out[key] = out.get(key, 0) + coeff
    return out


def _ordered(poly: dict[tuple, int]) -> list[tuple]:
    """The terms' keys in the order sympy prints their sum: by exponent
    vectors over the symbols sorted by name, lexicographically, largest first
    (a number last)."""
    gens = sorted({name for key in poly for name, _ in key})
    place = {g: k for k, g in enumerate(gens)}

    def vector(key: tuple) -> list[int]:
        v = [0] * len(gens)
        for name, e in key:
            v[place[name]] = e
        return v

    return sorted((k for k, c in poly.items() if c), key=vector, reverse=True)


def _abbreviated(terms: Sequence[Any], text: Any = str, full: bool = False) -> str:
    """A sum as text; one of many terms (the naive order of a long ladder has
    one per rung) by its leading terms, how many are left out, and its last
    term, unless `full`.  Only the terms shown are made text."""
    if not terms:
        return "0"
    if len(terms) > SHOWN_TERMS and not full:
        head = " + ".join(text(t) for t in terms[:SHOWN_TERMS - 3])
        return f"{head} + … ({len(terms) - SHOWN_TERMS + 2} more terms) + {text(terms[-1])}"
    return " + ".join(text(t) for t in terms)


@lru_cache(maxsize=4096)
def _monomial(m: Monomial) -> Any:
    """A monomial as a sympy expression."""
    sympy = scalars.sympy()
    return sympy.Mul(*[scalars.sympify(s) ** e for s, e in m])


def _poly_sympy(terms: Iterable[tuple[Monomial, int]]) -> Any:
    """Counted monomials summed as a sympy expression (multiplied out)."""
    sympy = scalars.sympy()
    terms = list(terms)
    plain = _plain_terms(terms)
    if plain is not None:
        sym = scalars.sympy_symbol
        return sympy.Add(*[c * sympy.Mul(*[sym(n) ** e for n, e in k]) for k, c in plain.items()])
    total = sympy.Add(*[c * _monomial(m) for m, c in terms])
    return sympy.expand(total)  # a size like n + 1 multiplies out


def _poly_text(terms: Iterable[tuple[Monomial, int]], full: bool = False) -> str:
    """Counted monomials as text, as sympy prints their sum; past SHOWN_TERMS
    terms abbreviated unless `full`."""
    terms = list(terms)
    plain = _plain_terms(terms)
    if plain is not None:
        def text(k: tuple) -> str:
            return str(scalars.Mono(plain[k], k)) if k else str(plain[k])

        return _abbreviated(_ordered(plain), text, full)
    return _sympy_text(_poly_sympy(terms), full)


def _sympy_text(e: Any, full: bool) -> str:
    """A sympy cost as text: factored when it is a product; a long sum by its
    leading terms unless `full`."""
    if full:
        return str(e)
    if e.is_Mul:
        return str(scalars.sympy().factor(e))
    if e.is_Add and len(e.args) > SHOWN_TERMS:
        return _abbreviated(e.as_ordered_terms())
    return str(e)


def _symbolic(terms: Iterable[tuple[Monomial, int]]) -> bool:
    """Whether a count depends on a size symbol."""
    return any(e and not scalars.is_concrete(s) for m, _ in terms for s, e in m)


@lru_cache(maxsize=4096)
def _monomial_text(m: Monomial) -> tuple[str, bool]:
    """A step's cost monomial as text and whether it has symbols; once per
    distinct monomial (the steps of an order share a few)."""
    return _poly_text([(m, 1)]), _symbolic([(m, 1)])


def _number(v: int) -> str:
    """An exact integer with thousands separators, or about 1.29e+301 past 10^15."""
    if v < 10 ** 15:
        return f"{v:,}"
    return _about(v)


def _about(v: int) -> str:
    """`about 1.29e+301`: v's first three digits (truncated) and its decimal
    exponent, exactly.  Found from its bit length and one division, because
    writing out all the digits of a large integer takes time quadratic in
    their number (the naive order of a long ladder has thousands of steps of
    hundreds of digits each)."""
    e = max((v.bit_length() - 1) * 30102 // 100000, 2)  # a lower bound: log10 2 > 0.30102
    while v >= _power_of_ten(e + 1):
        e += 1
    q = v * 100 // _power_of_ten(e)  # 100 <= q < 1000
    return f"about {q // 100}.{q % 100:02d}e+{e}"


@lru_cache(maxsize=4096)
def _power_of_ten(e: int) -> int:
    """10**e, kept: the steps of one order need a run of neighbouring powers."""
    return 10 ** e


def _ratio(a: int, b: int) -> str:
    """a / b to three digits; past a float's range (the naive order of a
    ladder of thousands of rungs) from the exact integer quotient."""
    try:
        return f"{a / b:.3g}"
    except OverflowError:
        return _about(a // b)


def _shown(terms: Sequence[tuple[Monomial, int]], value: int) -> str:
    """`2*d**3 = 16` for a symbolic count, just `16` for a number."""
    return f"{_poly_text(terms)} = {_number(value)}" if _symbolic(terms) else _number(value)


def _value(expr: Any, sizes: Mapping[str, int]) -> int:
    """A size or a symbolic cost at concrete sizes (by symbol name)."""
    if type(expr) is int:
        return expr
    if isinstance(expr, scalars.Mono):
        v = expr.coeff
        for name, e in expr.powers:
            v *= sizes[name] ** e
        return int(v)
    e = scalars.sympify(expr)
    return int(e.xreplace({s: sizes[str(s)] for s in e.free_symbols}))


# ------------------------------------------------------------------ reports


@dataclass(frozen=True, slots=True)
class ContractionStep:
    """One contraction: operands `left` and `right` (or a lone `left` summed
    over its private indices) into `result` with legs `leg_ids`.

    Its flops and result size are kept as monomials and become sympy
    expressions only when read.
    """

    left: str
    right: str | None
    result: str
    leg_ids: tuple[int, ...]
    flops_monomial: Monomial
    size_monomial: Monomial
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


def _legs_text(ids: Sequence[int], count: int, names: Mapping[int, str]) -> str:
    """A result's legs; past SHOWN_LEGS by its ends and its count (`ids` then
    holds only the legs shown: the first SHOWN_LEGS - 3 and the last 2)."""
    if count <= SHOWN_LEGS:
        return ", ".join([names[i] for i in ids])
    return (", ".join([names[i] for i in ids[:SHOWN_LEGS - 3]]) + ", …, "
            + ", ".join([names[i] for i in ids[-2:]]) + f" ({count} legs)")


@dataclass(frozen=True, eq=False)
class Order:
    """A contraction order with its cost; `method` says who chose it.

    `flops_value` and `largest_value` are exact integers at the report's
    sizes.  `flops_terms` counts the steps per flops monomial; `flops` (their
    sum) and `largest` (the largest intermediate) are sympy expressions built
    on first use.  `records` are the walk's raw steps, with only the legs a
    report shows; `steps` are `ContractionStep`s with all their legs (the path
    walked again when some were left out).
    """

    method: str
    path: tuple[tuple[int, ...], ...]
    flops_terms: tuple[tuple[Monomial, int], ...]
    largest_monomial: Monomial
    flops_value: int
    largest_value: int
    network: "_Network" = field(repr=False)
    records: tuple[tuple, ...] = field(repr=False)

    @cached_property
    def steps(self) -> tuple[ContractionStep, ...]:
        records = self.records
        if any(r[4] != len(r[3]) for r in records):
            records = _walk(self.network, self.path, _ALL_LEGS).steps
        return tuple(self.network.step(r) for r in records)

    @cached_property
    def flops(self) -> Any:
        return _poly_sympy(self.flops_terms)

    @property
    def largest(self) -> Any:
        return _monomial(self.largest_monomial) if self.records else scalars.sympy().Integer(0)

    def _largest_terms(self) -> list[tuple[Monomial, int]]:
        return [(self.largest_monomial, 1)] if self.records else []

    def flops_text(self, full: bool = False) -> str:
        return _poly_text(self.flops_terms, full)

    def largest_text(self) -> str:
        return _poly_text(self._largest_terms(), True)


@dataclass(frozen=True)
class TermCost:
    """Both orders of one term; `bubbles` are the costs of bubble insides,
    which are computed first and count towards the totals."""

    naive: Order
    best: Order
    bubbles: tuple["CostReport", ...] = ()


@dataclass(frozen=True)
class CostReport:
    """Cost of every term of a sum under both orders, with concrete `sizes`."""

    terms: tuple[TermCost, ...]
    sizes: dict[str, int] = field(hash=False)

    def _orders(self, which: str) -> list[Order]:
        out = []
        for t in self.terms:
            out.append(getattr(t, which))
            for b in t.bubbles:
                out.extend(b._orders(which))
        return out

    def _total_terms(self, which: str) -> list[tuple[Monomial, int]]:
        total: Counter = Counter()
        for o in self._orders(which):
            for m, c in o.flops_terms:
                total[m] += c
        return list(total.items())

    def _total_value(self, which: str) -> int:
        return sum(o.flops_value for o in self._orders(which))

    @property
    def naive_flops(self) -> Any:
        return _poly_sympy(self._total_terms("naive"))

    @property
    def best_flops(self) -> Any:
        return _poly_sympy(self._total_terms("best"))

    def _largest_order(self) -> Order | None:
        """The best order with the largest intermediate (the first of equals),
        bubbles' included."""
        orders = [t.best for t in self.terms] + [b._largest_order() for t in self.terms
                                                 for b in t.bubbles]
        orders = [o for o in orders if o is not None]
        return max(orders, key=lambda o: o.largest_value) if orders else None

    @property
    def largest(self) -> Any:
        """The largest intermediate of the best orders (symbolic)."""
        o = self._largest_order()
        return o.largest if o is not None else scalars.sympy().Integer(0)

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
                lines.extend(_steps_text(order))
                lines.append(f"  flops: {_shown(order.flops_terms, order.flops_value)}")
                lines.append(f"  largest intermediate: "
                             f"{_shown(order._largest_terms(), order.largest_value)}")
            for b in t.bubbles:
                lines.append("inside a bubble (computed first):")
                lines.extend("  " + x for x in b.format().splitlines())
        naive, best = self._total_value("naive"), self._total_value("best")
        lines.append(f"total flops: naive {_shown(self._total_terms('naive'), naive)}; "
                     f"best {_shown(self._total_terms('best'), best)}")
        if best:
            lines.append(f"speed-up at these sizes: {_ratio(naive, best)}x")
        if self.sizes:
            lines.append("sizes: " + ", ".join(f"{k}={v}" for k, v in sorted(self.sizes.items())))
        return "\n".join(lines)

    def to_json(self) -> dict:
        def order(o: Order) -> dict:
            return {"method": o.method, "path": [list(p) for p in o.path],
                    "steps": [{"left": s.left, "right": s.right, "result": s.result,
                               "legs": list(s.legs), "flops": _poly_text([(s.flops_monomial, 1)], True),
                               "flops_value": s.flops_value,
                               "size": _poly_text([(s.size_monomial, 1)], True)}
                              for s in o.steps],
                    "flops": o.flops_text(full=True), "flops_value": o.flops_value,
                    "largest": o.largest_text(), "largest_value": o.largest_value}

        top = self._largest_order()
        return {"sizes": dict(self.sizes),
                "naive_flops": _poly_text(self._total_terms("naive"), True),
                "naive_flops_value": self._total_value("naive"),
                "best_flops": _poly_text(self._total_terms("best"), True),
                "best_flops_value": self._total_value("best"),
                "largest": top.largest_text() if top is not None else "0",
                "largest_value": top.largest_value if top is not None else 0,
                "terms": [{"naive": order(t.naive), "best": order(t.best),
                           "bubbles": [b.to_json() for b in t.bubbles]} for t in self.terms]}


def _steps_text(order: Order) -> list[str]:
    if not order.records:
        return ["  (nothing to contract)"]
    nw = order.network
    names = nw.net.names
    costs: dict[int, str] = {}  # a step's flops are a function of its monomial
    out = []
    for k, (left, right, result, ids, count, key, _, flops, _) in enumerate(order.records, 1):
        what = f"{left} · {right}" if right is not None else f"sum over {left}"
        cost = costs.get(key)
        if cost is None:
            text, symbolic = nw.monomial_text(key)
            cost = costs[key] = f"{text} = {_number(flops)}" if symbolic else _number(flops)
        out.append(f"  {k}. {what} → {result}[{_legs_text(ids, count, names)}]   cost {cost}")
    return out


# ------------------------------------------------------------------ walking

#: What a walk records: numbers only, steps with the legs a report shows, or
#: steps with all their legs.
_NUMBERS, _SHOWN_LEGS, _ALL_LEGS = 0, 1, 2


class _Network:
    """One term's index network made ready for walks along paths.

    Each index gets its concrete size (`ints`) and a weight for the symbolic
    bookkeeping: the distinct sizes (`atoms`) are numbered, and a monomial in
    them is kept as one integer, its exponent vector packed `shift` bits per
    atom (`weight[i]` is index i's atom at exponent 1).  An exponent never
    exceeds twice the number of indices (two items' legs added before their
    shared ones are taken off), so `shift` bits hold it without a carry, and
    a walk keeps a step's monomial with a few integer additions, where
    comparing size expressions (or sympy) at every step made the report
    quadratic.  `occ`
    counts the operands holding each index, and each operand's start
    (distinct indices, size, private indices, monomial key, title) is
    computed once for all the walks of the term.
    """

    def __init__(self, net: IndexNetwork, sizes: Mapping[str, int] | None = None,
                 ints: Mapping[int, int] | None = None) -> None:
        self.net = net
        n = max(net.sizes, default=-1) + 1
        self.atoms: list[Any] = []
        atom = [0] * n
        by_id: dict[int, int] = {}
        by_value: dict[Any, int] = {}
        for i, s in net.sizes.items():
            k = by_id.get(id(s))
            if k is None:
                k = by_value.get(s)
                if k is None:
                    k = by_value[s] = len(self.atoms)
                    self.atoms.append(s)
                by_id[id(s)] = k
            atom[i] = k
        self.shift = n.bit_length() + 1
        self.weight = [1 << (self.shift * k) for k in atom]
        if ints is None:
            at = [_value(s, sizes if sizes is not None else _Large()) for s in self.atoms]
            self.ints = [at[k] for k in atom]
        else:
            self.ints = [0] * n
            for i, v in ints.items():
                self.ints[i] = int(v)
        self.output = frozenset(net.output)
        self.occ = [0] * n
        distinct = [tuple(dict.fromkeys(op.indices)) for op in net.operands]
        for ix in distinct:
            for i in ix:
                self.occ[i] += 1
        self.start = []
        ints_, weight, occ, output = self.ints, self.weight, self.occ, self.output
        for k, ix in enumerate(distinct):
            size, key = 1, 0
            for i in ix:
                size *= ints_[i]
                key += weight[i]
            private = tuple(i for i in ix if occ[i] == 1 and i not in output)
            self.start.append((ix, size, private, key, net.title(k)))
        self._monomials: dict[int, Monomial] = {}
        self._texts: dict[int, tuple[str, bool]] = {}

    def monomial(self, key: int) -> Monomial:
        """A packed monomial key as a monomial in the sizes themselves."""
        m = self._monomials.get(key)
        if m is None:
            mask = (1 << self.shift) - 1
            powers = []
            for k, s in enumerate(self.atoms):
                e = (key >> (self.shift * k)) & mask
                if e:
                    powers.append((s, e))
            m = self._monomials[key] = frozenset(powers)
        return m

    def monomial_text(self, key: int) -> tuple[str, bool]:
        """`_monomial_text` of a packed monomial key."""
        hit = self._texts.get(key)
        if hit is None:
            hit = self._texts[key] = _monomial_text(self.monomial(key))
        return hit

    def step(self, r: tuple) -> ContractionStep:
        """A walk's raw step record as a `ContractionStep`."""
        left, right, result, ids, _, key, size_key, flops, size = r
        return ContractionStep(left, right, result, ids, self.monomial(key),
                               self.monomial(size_key), flops, size, self.net.names)

    def size_dict(self) -> dict[int, int]:
        return {i: self.ints[i] for i in self.net.sizes}


class _Item:
    """One operand or intermediate during a walk: its distinct indices (a
    dict: insertion order is the order its legs are shown in), their product
    at the concrete sizes, its private indices (summed when it is first
    contracted; only written operands have any), the packed monomial of its
    size (`_Network`) and its title."""

    __slots__ = ("ix", "size", "private", "mono", "title")

    def __init__(self, ix: dict, size: int, private: tuple, mono: int, title: str) -> None:
        self.ix, self.size, self.private, self.mono, self.title = ix, size, private, mono, title


@dataclass
class _Walked:
    """What a walk found.  `steps` (recording walks) are raw records: (left,
    right, result, leg ids, leg count, flops key, size key, flops, size), the
    keys packed monomials (`_Network`); `terms` counts the steps per flops key."""

    flops: int = 0
    largest: int = 0
    largest_key: int = 0
    terms: Counter = field(default_factory=Counter)
    steps: list[tuple] = field(default_factory=list)


def _walk(nw: _Network, path: Sequence[Sequence[int]], record: int = _NUMBERS) -> _Walked:
    """Contract `nw` along `path` (opt_einsum's linear format) at integer
    sizes, in time linear in the path, recording what `record` asks for.

    An index is kept in a result while another item or the output still has
    it, so a hyperedge stays open until its last tensor is in.  By that rule
    every index of an intermediate is also in the output or in another item,
    so a pairwise step can drop only indices the two share (when no third
    item has them) and the written operands' private ones.  The walk
    therefore updates the larger item in place and touches only the smaller
    one's legs: a long running intermediate (the naive order of a ladder)
    does not cost its length at every step.  A recording walk shows a
    result's legs in the order of its first-named operand, then the other's
    (copying them when the larger one is named second; the naive order
    always names its running result first).
    The loop is written out in one function: it is the whole cost of a report.
    """
    ints, weight, output = nw.ints, nw.weight, nw.output
    occ = nw.occ[:]
    items = [_Item(dict.fromkeys(ix), size, private, key, title)
             for ix, size, private, key, title in nw.start]
    out = _Walked()
    steps = out.steps
    total = largest = largest_key = 0
    head = SHOWN_LEGS - 3

    def pairs() -> Iterable[tuple[_Item, _Item | None]]:
        for step in path:
            if len(step) == 2:
                i, j = step
                a, b = items[i], items[j]
                del items[max(i, j)]
                del items[min(i, j)]
                yield a, b
                continue
            chosen = [items[i] for i in step]
            for i in sorted(step, reverse=True):
                del items[i]
            left = chosen[0]
            for right in chosen[1:] or [None]:  # paths are pairwise; more at once folds left
                yield left, right
                left = items.pop()
            items.append(left)
        # A lone operand with a trace or a private index still has to be summed.
        ops = nw.net.operands
        if not path and len(items) == 1 and (
                items[0].private or len(set(ops[0].indices)) < len(ops[0].indices)):
            yield items.pop(), None

    for a, b in pairs():
        if b is None:
            big, small_ix, shared = a, (), ()
            flops, private, key = a.size, a.private, a.mono
        else:
            big, small = (a, b) if len(a.ix) >= len(b.ix) else (b, a)
            bix, small_ix = big.ix, small.ix
            shared = [i for i in small_ix if i in bix]
            div = 1
            key = a.mono + b.mono
            for i in shared:
                occ[i] -= 1
                div *= ints[i]
                key -= weight[i]
            flops = big.size * small.size // div
            private = a.private + b.private if b.private else a.private
        if record and big is b:
            ix = dict.fromkeys(a.ix)
            ix.update(b.ix)
        else:
            ix = big.ix
            ix.update(small_ix)
        size, size_key = flops, key
        gone = [i for i in shared if occ[i] == 1 and i not in output]
        if private:
            gone.extend(i for i in private if i in ix)
        for i in gone:
            del ix[i]
            size //= ints[i]
            size_key -= weight[i]
            occ[i] = 0
        res = big  # consumed: it becomes the result
        res.ix, res.size, res.private, res.mono = ix, size, (), size_key
        total += flops
        if record:
            left, right = a.title, (None if b is None else b.title)
            res.title = title = f"#{len(steps) + 1}"  # '#': never a tensor name
            n = len(ix)
            if n <= SHOWN_LEGS or record == _ALL_LEGS:
                ids = tuple(ix)
            else:
                ids = tuple(islice(ix, head)) + tuple(islice(reversed(ix), 2))[::-1]
            steps.append((left, right, title, ids, n, key, size_key, flops, size))
        if size > largest:
            largest, largest_key = size, size_key
        items.append(res)
    out.flops, out.largest, out.largest_key = total, largest, largest_key
    out.terms.update(r[5] for r in steps)
    return out


class _Large(dict):
    """Every size at 1000: compares intermediates by their growth."""

    def __missing__(self, key: str) -> int:
        return 1000


def path_flops(net: IndexNetwork, path: Sequence[Sequence[int]], ints: Mapping[int, int]) -> tuple[int, int]:
    """(flops, largest intermediate) of `path` at integer index sizes: what picks the order."""
    w = _walk(_Network(net, ints=ints), path)
    return w.flops, w.largest


def _order(nw: _Network, path: Sequence[Sequence[int]], method: str) -> Order:
    w = _walk(nw, path, _SHOWN_LEGS)
    terms = tuple((nw.monomial(k), c) for k, c in w.terms.items())
    return Order(method, tuple(tuple(p) for p in path), terms, nw.monomial(w.largest_key),
                 w.flops, w.largest, nw, tuple(w.steps))


def order_cost(net: IndexNetwork, path: Sequence[Sequence[int]], method: str = "",
               sizes: Mapping[str, int] | None = None) -> Order:
    """The cost of contracting `net` along `path`, in opt_einsum's linear
    format (each step names positions in the current list of operands, which
    are removed and their result appended).  The largest intermediate is
    taken at `sizes`, or asymptotically (every size 1000) when none are given.
    """
    return _order(_Network(net, sizes), path, method)


def naive_path(n: int) -> list[tuple[int, int]]:
    """Left to right: the first two, then the running result with the next."""
    if n < 2:
        return []
    return [(0, 1)] + [(n - 1 - k, 0) for k in range(1, n - 1)]


def _optimised_paths(nw: _Network) -> list[tuple[str, list]]:
    """cotengra's orders at the concrete sizes: greedy, and on networks of up
    to SEARCH_LIMIT operands also the cheapest of 128 randomised greedy orders.

    The randomised search is seeded and serial, so the same network gets the
    same order every run and no process pool is left behind; cotengra's
    `auto` preset is neither (it stops on a time budget and forks workers),
    and it scores orders by flops and memory together where `cost` ranks
    them by flops.
    """
    import warnings

    import cotengra as ctg

    inputs = [op.indices for op in nw.net.operands]
    size_dict = nw.size_dict()
    methods: list[tuple[str, Any]] = [("greedy", "greedy")]
    if len(inputs) <= SEARCH_LIMIT:
        methods.append(("random-greedy", ctg.RandomGreedyOptimizer(
            max_repeats=SEARCH_REPEATS, seed=0, parallel=False)))
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # cotengra notes missing optional optimisers
        for name, how in methods:
            # The path alone: building cotengra's tree for it would cost more
            # than the search; its cache off, so that every report pays its own.
            path = ctg.array_contract_path(inputs, nw.net.output, size_dict=size_dict,
                                           optimize=how, cache=False)
            out.append((f"cotengra {name}", [tuple(p) for p in path]))
    return out


def term_cost(d: Diagram, sizes: Mapping[str, int]) -> TermCost:
    """Both orders of one term: the written order and each optimiser's are
    walked at integer sizes (with the integer exponent bookkeeping that makes
    them symbolic), and the cheapest is the best."""
    nw = _Network(index_network(d), sizes)
    n = len(nw.net.operands)
    naive = _order(nw, naive_path(n), "as written")
    best = naive
    if n > 2:
        for method, path in _optimised_paths(nw):
            candidate = _order(nw, path, method)
            if candidate.flops_value < best.flops_value:
                best = candidate
    bubbles = tuple(_report(node.inside, sizes) for node in d.nodes.values()
                    if isinstance(node, BubbleNode))
    return TermCost(naive, best, bubbles)


def _report(s: Sum, sizes: Mapping[str, int]) -> CostReport:
    return CostReport(tuple(term_cost(t, sizes) for t in s.aligned_terms()), dict(sizes))


# ------------------------------------------------------------------- sizes


def default_sizes(value: Sum, env: Any = None, given: Mapping[str, int] | None = None,
                  seed: int = 0) -> dict[str, int]:
    """Concrete values for every size symbol: `given` ones, the rest sampled as
    the numeric checks sample them (honouring the declarations' constraints).
    Symbols go by name, so sizes that are monomials (`dim n`) need no sympy."""
    from .sample import implied_tests, relation_test, sample_sizes
    from .shapes import collect_decls, collect_symbol_names

    names = collect_symbol_names(value)
    decls = collect_decls(value)
    constraints = list(getattr(env, "constraints", []) or [])
    tests = implied_tests(decls.values()) + [relation_test(c) for c in constraints]
    for c in constraints:
        if scalars.is_sympy(c):
            names |= {str(x) for x in c.free_symbols}
    given = {str(k): int(v) for k, v in (given or {}).items()}
    for name, v in given.items():
        if v < 1:
            raise InputError(f"the size {name} must be a positive integer, not {v}")
    assigned = sample_sizes([scalars.symbol(n) for n in names], seed, tests, given)
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
