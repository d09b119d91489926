"""Bubbles of a negated argument, written with the argument's sign fixed.

`relu(x) - relu(-x) = x` cannot be a rule (a rule side is one product), and
no rule relates `tanh(-u)` to `tanh(u)` without a direction: `-E` matches
every argument.  `prove` instead picks one sign for every bubble argument E
that is a definite negative of another, -E' (its leading term, in canonical
order without coefficients, has a negative number as coefficient), and
rewrites the bubble through the function's parity:

    odd   f(-u) = -f(u)          tanh, sign, tanh'', sigmoid''
    even  f(-u) = f(u)           abs, tanh', sigmoid'
    relu, gelu:   f(-u) = f(u) - u      (relu(u) - relu(-u) = u; gelu's tanh
                                         approximation keeps it exactly)
    sigmoid, gelu':  f(-u) = 1 - f(u)

and takes a positive leading coefficient out of relu and abs (f(c u) = c f(u)
for c > 0), so relu(2 u) == 2 relu(u).

Both sides of an equation make the same choice for the same argument (the
keys are canonical), so `relu(x) - relu(-x) == x` meets.  A coefficient that
is symbolic leaves the argument as it is.  `step` is left alone: step(0) = 0
breaks step(-u) = 1 - step(u) at 0.  Bubbles nested inside another bubble's
argument are rewritten first (`diagram.arguments_mapped`).  A bubble
of the zero argument becomes its constant f(0) on every entry (`AT_ZERO`),
and a softmax drops the terms of its argument that are constant along its
axis (a shift: softmax[k](E + c ⊗ 1_k) = softmax[k](E)).
"""
from __future__ import annotations

from fractions import Fraction
from typing import Union

from ..core import scalars
from ..core.canon import canonical
from ..core.diagram import BOUNDARY, BubbleNode, DeltaNode, Diagram, Sum, arguments_mapped, as_sum
from ..core.limits import LIMITS, LimitError
from .expand import expand
from .unfold import node_replaced, power_of

#: Function -> the terms f(-u) is made of: (coefficient, what), where "f" is
#: f(u), "one" the all-ones tensor and "arg" u itself.  tests/test_parity.py
#: checks each against numpy.
PARITY: dict[str, tuple[tuple[int, str], ...]] = {
    "tanh": ((-1, "f"),),
    "sign": ((-1, "f"),),
    "tanh''": ((-1, "f"),),
    "sigmoid''": ((-1, "f"),),
    "abs": ((1, "f"),),
    "dtanh": ((1, "f"),),
    "dsigmoid": ((1, "f"),),
    "relu": ((1, "f"), (-1, "arg")),
    "gelu": ((1, "f"), (-1, "arg")),
    "sigmoid": ((1, "one"), (-1, "f")),
    "dgelu": ((1, "one"), (-1, "f")),
}


#: f(0) for the functions defined there: a bubble of the zero argument (an
#: empty sum, as `exp(0 x)` or a merged `exp(x - x)` leaves) is that constant
#: times the all-ones tensor.  tests/test_parity.py checks each with numpy.
AT_ZERO: dict[str, Fraction] = {
    "exp": Fraction(1), "tanh": Fraction(0), "sign": Fraction(0), "abs": Fraction(0),
    "relu": Fraction(0), "gelu": Fraction(0), "sigmoid": Fraction(1, 2), "step": Fraction(0),
    "dtanh": Fraction(1), "dsigmoid": Fraction(1, 4), "tanh''": Fraction(0),
    "sigmoid''": Fraction(0), "dgelu": Fraction(1, 2), "sqrt": Fraction(0),
}


def _times(t: Diagram, c: Fraction) -> Diagram:
    t = t.copy()
    t.scalar = scalars.mul(t.scalar, c)
    return t


def _negated(s: Sum) -> Sum:
    terms = []
    for t in s.terms:
        t = t.copy()
        t.scalar = t.scalar * -1
        terms.append(t)
    return Sum(tuple(terms), s.free, s.sizes)


def leading(s: Sum) -> Diagram:
    """The argument's leading term: smallest canonical key without its
    coefficient, legs by position (one term needs no keys: relu(-W x))."""
    return s.terms[0] if len(s.terms) == 1 else \
        min(s.terms, key=lambda t: repr(canonical(t, by_position=True, with_scalar=False)))


def is_negated(s: Sum) -> bool:
    """True when the argument's leading term has a negative number as coefficient."""
    if not s.terms:
        return False
    c = leading(s).scalar
    return isinstance(c, (int, Fraction)) and c < 0


#: Functions with f(c u) = c f(u) for every number c > 0: their argument's
#: leading coefficient comes out, so relu(2 u) == 2 relu(u).
POSITIVELY_HOMOGENEOUS = frozenset({"relu", "abs"})


def _scale(node: object) -> Fraction | int | None:
    """The positive leading coefficient (other than 1) of a positively
    homogeneous bubble's argument, else None."""
    if not (isinstance(node, BubbleNode) and node.fn in POSITIVELY_HOMOGENEOUS
            and not node.args and node.axis is None and node.inside.terms):
        return None
    c = leading(node.inside).scalar
    return c if isinstance(c, (int, Fraction)) and c > 0 and c != 1 else None


def constant_along(t: Diagram, axis: int) -> bool:
    """True when term `t` does not vary along its free leg `axis`: that leg
    ends on a one-leg δ (the all-ones vector), so t = t' ⊗ 1."""
    v, _ = t.link[(BOUNDARY, axis)]
    return v != BOUNDARY and isinstance(t.nodes[v], DeltaNode) and t.nodes[v].arity == 1


def _shifted(node: object) -> bool:
    """A softmax whose argument has terms constant along its axis (all of
    them, or none at all: the softmax is uniform, 1/size on every entry)."""
    if not (isinstance(node, BubbleNode) and node.fn == "softmax" and node.axis is not None):
        return False
    terms = node.inside.terms
    return not terms or any(constant_along(t, node.axis) for t in terms)


def _flippable(node: object) -> bool:
    return (isinstance(node, BubbleNode) and not node.args and node.axis is None
            and ((node.fn in AT_ZERO and not node.inside.terms)
                 or (node.fn in PARITY and is_negated(node.inside))))


def signs_fixed(x: Union[Sum, Diagram], max_terms: int | None = None) -> Sum:
    """`x` with every bubble of a negated argument rewritten by its parity, at
    any depth; like terms collected.  Refused with a `LimitError` past `max_terms`."""
    limit = LIMITS.max_terms if max_terms is None else max_terms
    # inside out: a bubble nested in another's argument first (exp(tanh(-x))
    # is exp(-tanh(x))), so the outer argument's sign is read from its result
    return _signs_fixed_here(arguments_mapped(as_sum(x), lambda a: _signs_fixed_here(a, limit)),
                             limit)


def _signs_fixed_here(s: Sum, limit: int) -> Sum:
    """`signs_fixed` of `s` itself, whose arguments are done already
    (`arguments_mapped` walks the nesting once, innermost first)."""
    total = 0
    for t in s.terms:
        n = 1
        for node in t.nodes.values():
            if _flippable(node) and node.inside.terms:
                n *= len(PARITY[node.fn])
        total += n
    if total > limit:
        raise LimitError("fixing the signs of bubble arguments would make too many terms",
                         total, limit, "--max-terms")
    out: list[Diagram] = []
    todo = list(s.terms)
    changed = False
    while todo:
        d = todo.pop()
        v = next((v for v, n in d.nodes.items()
                  if _flippable(n) or _shifted(n) or _scale(n) is not None), None)
        if v is None:
            out.append(d)
            continue
        changed = True
        node = d.nodes[v]
        if _shifted(node):  # softmax[k](E + c ⊗ 1_k) = softmax[k](E)
            kept = tuple(t for t in node.inside.terms if not constant_along(t, node.axis))
            if not kept:  # softmax[k](c ⊗ 1_k) is uniform along k
                uniform = scalars.div(1, node.sizes[node.axis])
                todo.append(node_replaced(d, v, power_of(node, 0), uniform))
                continue
            e = d.copy()
            e.nodes[v] = node.with_arguments([Sum(kept, node.inside.free, node.inside.sizes)])
            todo.append(e)
            continue
        c = None if _flippable(node) else _scale(node)
        if c is not None:  # f(c u) = c f(u) for c > 0
            arg = Sum(tuple(_times(t, Fraction(1) / c) for t in node.inside.terms),
                      node.inside.free, node.inside.sizes)
            todo.append(node_replaced(d, v, power_of(node.with_arguments([arg]), 1), c))
            continue
        if not node.inside.terms:  # f(0): a constant on every entry
            todo.append(node_replaced(d, v, power_of(node, 0), AT_ZERO[node.fn]))
            continue
        arg = _negated(node.inside)
        f = node.with_arguments([arg])
        for coeff, what in PARITY[node.fn]:
            if what == "f":
                r = power_of(f, 1)
            elif what == "one":
                r = power_of(f, 0)
            else:  # the argument itself, linear: a sum bubble that expand opens
                r = power_of(BubbleNode("sum", arg, conj=node.conj), 1)
            todo.append(node_replaced(d, v, r, coeff))
    if not changed:
        return s
    return expand(Sum(tuple(reversed(out)), s.free, s.sizes), limit)
