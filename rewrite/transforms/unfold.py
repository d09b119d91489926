"""Derivatives of tanh and sigmoid written through the function itself.

`diff` writes tanh's derivative as its own bubble, `dtanh(u)`, but a user
writes the same thing as `1 - tanh(u) ⊙ tanh(u)`.  Both are true, and no
product rule can relate them, since one side is a sum (a rule side is one
product).  `prove` therefore unfolds these derivative bubbles into
polynomials of the function, elementwise, before it compares expanded normal
forms:

    tanh'   = 1 - t²            sigmoid'  = s - s²
    tanh''  = -2 t + 2 t³       sigmoid'' = s - 3 s² + 2 s³

A power p of a bubble f(E) with legs a, b, ... is p copies of the bubble whose
like legs meet on a (p + 1)-leg δ (the elementwise product), the last δ leg
going where the derivative's leg went; power 0 is the all-ones tensor (a
one-leg δ on each leg).  A conjugated bubble stays conjugated: these are real
functions, so conj(f'(E)) = f'(conj E) is the same polynomial in conj(f(E)).
A whole power `pow(E, k)`, 1 ≤ k ≤ 8, is written as k copies of E joined
leg by leg (then expanded), so `pow(x, 2) == x ⊙ x`.  Bubbles nested inside
another bubble's argument are unfolded too, innermost first
(`diagram.arguments_mapped`).
"""
from __future__ import annotations

import dataclasses
from typing import Union

from ..core.canon import collect_terms
from ..core.diagram import BubbleNode, DeltaNode, Diagram, Sum, TensorNode, arguments_mapped, as_sum
from ..core.functions import pow_exponent
from ..core.limits import LIMITS, LimitError
from .expand import expand

#: Derivative bubble -> (function, {power: coefficient}).  The polynomials are
#: the textbook identities above; tests/test_unfold.py checks each against
#: numpy's tanh and a logistic function by finite differences.
POLYNOMIALS: dict[str, tuple[str, dict[int, int]]] = {
    "dtanh": ("tanh", {0: 1, 2: -1}),
    "tanh''": ("tanh", {1: -2, 3: 2}),
    "dsigmoid": ("sigmoid", {1: 1, 2: -1}),
    "sigmoid''": ("sigmoid", {1: 1, 2: -3, 3: 2}),
}


#: The largest whole power `pow(E, k)` written out as a product (k copies of E).
MAX_POWER = 8


def _whole_power(node: object) -> int | None:
    """k for `pow(E, k)` with a whole k from 1 to MAX_POWER, else None."""
    if not isinstance(node, BubbleNode):
        return None
    k = pow_exponent(node.fn)
    if k is None or k.denominator != 1 or not 1 <= k <= MAX_POWER:
        return None
    return int(k)


def unfoldable(node: object) -> bool:
    return (isinstance(node, BubbleNode) and node.fn in POLYNOMIALS) or \
        _whole_power(node) is not None


def unfolded_terms(x: Union[Sum, Diagram]) -> int:
    """How many terms unfolding makes before like terms are collected."""
    total = 0
    for t in as_sum(x).terms:
        n = 1
        for node in t.nodes.values():
            if unfoldable(node) and node.fn in POLYNOMIALS:
                n *= len(POLYNOMIALS[node.fn][1])
        total += n
    return total


def unfold_derivatives(x: Union[Sum, Diagram], max_terms: int | None = None) -> Sum:
    """`x` with every tanh/sigmoid derivative bubble (at any depth) written as a
    polynomial of the function; like terms collected.  Refused with a
    `LimitError` before anything is built past `max_terms` (default
    `LIMITS.max_terms`)."""
    limit = LIMITS.max_terms if max_terms is None else max_terms
    # inside out: bubbles nested in another's argument first (exp(dtanh(x)))
    return _unfolded_here(arguments_mapped(as_sum(x), lambda a: _unfolded_here(a, limit)), limit)


def _unfolded_here(s: Sum, limit: int) -> Sum:
    """`unfold_derivatives` of `s` itself, whose arguments are done already
    (`arguments_mapped` walks the nesting once, innermost first)."""
    total = unfolded_terms(s)
    if total > limit:
        raise LimitError("unfolding derivatives would make too many terms", total, limit,
                         "--max-terms")
    if not any(unfoldable(n) for t in s.terms for n in t.nodes.values()):
        return s
    out: list[Diagram] = []
    todo = list(s.terms)
    grown = False
    while todo:
        d = todo.pop()
        v = next((v for v, n in d.nodes.items() if unfoldable(n)), None)
        if v is None:
            out.append(d)
            continue
        node = d.nodes[v]
        k = _whole_power(node)
        if k is not None:  # E ⊙ E ⊙ ... (k copies), opened by expand below
            grown = True
            todo.append(node_replaced(d, v, power_of(BubbleNode("sum", node.inside,
                                                                   conj=node.conj), k)))
            continue
        base, poly = POLYNOMIALS[node.fn]
        f = dataclasses.replace(node, fn=base)
        for power, coeff in poly.items():
            todo.append(node_replaced(d, v, power_of(f, power), coeff))
    if grown:
        return expand(Sum(tuple(reversed(out)), s.free, s.sizes), limit)
    return collect_terms(reversed(out), s.free, s.sizes)


def node_replaced(d: Diagram, v: int, r: Diagram, coeff: int = 1) -> Diagram:
    """A copy of `d` with node `v` replaced by `r` (whose free legs are v's
    ports, in order) and the scalar multiplied by `coeff`."""
    outer = []
    for k in range(d.nodes[v].arity):
        q = d.link[(v, k)]
        outer.append(("leg", q[1]) if q[0] == v else q)
    e = d.copy()
    e.substitute([v], outer, r)
    e.scalar = e.scalar * coeff
    return e


def power_of(f: BubbleNode | TensorNode, p: int) -> Diagram:
    """f(E)^p elementwise, as a diagram whose free legs are f's legs in order
    (p = 0: the all-ones tensor on f's legs, one 1-leg δ each)."""
    r = Diagram()
    legs = [r.add_free(f"x{k}", size) for k, size in enumerate(f.sizes)]
    if p == 1:
        v = r.add_node(f)
        for k, leg in enumerate(legs):
            r.connect((v, k), leg)
        return r
    copies = [r.add_node(f) for _ in range(p)]
    for k, (leg, size) in enumerate(zip(legs, f.sizes)):
        delta = r.add_node(DeltaNode(size, p + 1))
        r.connect((delta, 0), leg)
        for j, v in enumerate(copies):
            r.connect((v, k), (delta, j + 1))
    return r
