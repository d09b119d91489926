"""Distributing products over linear sums: `expand`.

A parenthesised sum inside a product is kept whole as a `sum` bubble (see
`language.product`); `expand` multiplies it out, term by term, and collects
like terms.  Nonlinear bubbles (relu, softmax, ...) stay whole: they do not
distribute over their argument, but their argument is expanded inside them
(`relu((A + B) @ x)` becomes `relu(A @ x + B @ x)`), so a bubble's linear part
meets the same argument written out.  `paths.expand_paths` goes further for attention patterns.
"""
from __future__ import annotations

from typing import Union

from ..core.canon import collect_terms
from ..core.diagram import BubbleNode, Diagram, Sum, as_sum, inline
from ..core.limits import LIMITS, LimitError


def expanded_terms(x: Union[Sum, Diagram]) -> int:
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


def expand(x: Union[Sum, Diagram], max_terms: int | None = None) -> Sum:
    """Distribute products over linear `sum` bubbles (nonlinear bubbles stay whole).

    Refused with a `LimitError` before anything is built when it would make
    more than `max_terms` terms (default `LIMITS.max_terms`): 20 binomials
    make a million.
    """
    limit = LIMITS.max_terms if max_terms is None else max_terms
    total = expanded_terms(x)
    if total > limit:
        raise LimitError("expand would make too many terms", total, limit, "--max-terms")
    out: list[Diagram] = []
    s = as_sum(x)
    todo = list(s.terms)
    while todo:
        d = todo.pop()
        v = next((v for v, n in d.nodes.items() if isinstance(n, BubbleNode) and n.fn == "sum"),
                 None)
        if v is None:
            out.append(_insides_expanded(d, limit))
            continue
        b = d.nodes[v]
        for t in b.inside.terms:
            e = d.copy()
            inline(e, v, t, b.conj)
            todo.append(e)
    return collect_terms(reversed(out), s.free, s.sizes)


def _insides_expanded(d: Diagram, limit: int) -> Diagram:
    """`d` with the argument of every nonlinear bubble expanded (each bounded by `limit`)."""
    hits = {v: n for v, n in d.nodes.items() if isinstance(n, BubbleNode) and n.fn != "sum"
            and any(_has_sum(a) for a in n.arguments)}
    if not hits:
        return d
    e = d.copy()
    for v, n in hits.items():
        # an argument that expands to zero is kept whole rather than an empty bubble
        args = [a2 if a2.terms else a for a in n.arguments for a2 in [expand(a, limit)]]
        e.nodes[v] = n.with_arguments(args)
    return e


def _has_sum(s: Sum) -> bool:
    return any(isinstance(n, BubbleNode) and (n.fn == "sum" or any(_has_sum(a) for a in n.arguments))
               for t in s.terms for n in t.nodes.values())
