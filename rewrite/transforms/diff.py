"""Derivatives by poking a hole: `diff(x, "T")`.

The derivative of a diagram with respect to a tensor T is the diagram with T
cut out and its legs left open - the seed's "poke a hole" picture.  So:

* **Product rule.**  Each occurrence of T (a `TensorNode` of T itself, not
  `inv(T)` nor `diag(T)`) gives one term: that occurrence removed, the wires
  that ended on it now free.  Repeated occurrences give a sum, one term each.
  `conj(T)` is an independent variable (Wirtinger calculus) and is skipped -
  except for a `real` tensor, where `conj(T)` *is* T.
* **Linearity.**  Sums are differentiated term by term, coefficients kept; a
  linear `sum` bubble is differentiated inside.
* **Chain rule.**  For an elementwise bubble, d f(u) = f'(u) ⊙ du: the
  derivative bubble f'(u) and du meet the bubble's old wire at a three-leg
  delta on every leg (the elementwise product is a hyperedge).  The derivative
  functions are bubbles too - relu → `step` (Heaviside), exp → exp,
  tanh → `dtanh` (1 - tanh²), sigmoid → `dsigmoid` (σ(1 - σ)), gelu → `dgelu` -
  so `numeric.evaluate` can check them.  softmax along axis k has the Jacobian
  s_k (δ_kl - s_l): two terms, s ⊙ du and -s ⊙ Σ_l s_l du_l.
* **Inverses.**  d inv(T) = -inv(T) dT inv(T).

Naming of the new legs: they are appended after the expression's own free
legs, in T's declared leg order, and named by T's declared leg names; a name
that collides with an existing free leg is primed (`i'`, then `i''`).  Every
term of the result has the same free legs in the same order.  Contracting the
new legs with a direction E gives the directional derivative of x along E.
"""
from __future__ import annotations

from typing import Any, Callable

from ..core import scalars
from ..core.diagram import BOUNDARY, BubbleNode, DeltaNode, Diagram, Sum, TensorNode, inline
from ..core.errors import InputError
from ..core.canon import conj_commutes
from ..core.functions import ZERO, derivative

def leg_names(existing: tuple[str, ...] | list[str], legs: tuple[str, ...]) -> list[str]:
    """T's leg names, primed until they avoid `existing` and each other."""
    taken = set(existing)
    out = []
    for name in legs:
        while name in taken:
            name += "'"
        taken.add(name)
        out.append(name)
    return out


def diff(x: Sum | Diagram, decl_name: str) -> Sum:
    """The derivative of `x` with respect to the tensor declared as `decl_name`.

    Returns a Sum whose free legs are x's followed by T's (see the module
    docstring for their names).  The empty Sum is the zero derivative.  Raises
    InputError when x does not mention T anywhere, so a typo is not silently 0.
    """
    s = Sum.of(x) if isinstance(x, Diagram) else x
    decl = _find_decl(s, decl_name)
    if decl is None:
        raise InputError(f"diff: the expression does not contain the tensor '{decl_name}'")
    out = _diff_sum(s, decl)
    return _renamed(out, list(s.free) + leg_names(s.free, decl.legs))


def _find_decl(s: Sum, name: str):
    for t in s.terms:
        for n in t.nodes.values():
            if isinstance(n, TensorNode) and n.decl.name == name:
                return n.decl
            if isinstance(n, BubbleNode):
                for a in n.arguments:
                    found = _find_decl(a, name)
                    if found is not None:
                        return found
    return None


def _renamed(s: Sum, names: list[str]) -> Sum:
    return Sum(tuple(t.renamed(names) for t in s.terms), tuple(names), s.sizes)


def _diff_sum(s: Sum, decl) -> Sum:
    """d s / d T with T's legs appended positionally (names are fixed by the caller)."""
    names = list(s.free) + [f"%d{k}" for k in range(decl.arity)]
    sizes = tuple(s.sizes) + tuple(decl.sizes)
    terms: list[Diagram] = []
    for t in s.terms:
        terms.extend(_diff_diagram(t, decl, names, sizes))
    return Sum(tuple(terms), tuple(names), sizes)


def _mentions(node: Any, decl) -> bool:
    if isinstance(node, TensorNode):
        return node.decl == decl and node.op in ("", "inv") and (not node.conj or decl.real)
    if isinstance(node, BubbleNode):
        return any(_mentions(n, decl) for a in node.arguments for t in a.terms
                   for n in t.nodes.values())
    return False


def _diff_diagram(d: Diagram, decl, names: list[str], sizes: tuple) -> list[Diagram]:
    out: list[Diagram] = []
    for v, node in d.nodes.items():
        if isinstance(node, TensorNode) and node.decl == decl and node.op == "diag":
            raise InputError(f"diff: cannot differentiate through diag({decl.name})")
        if not _mentions(node, decl):
            continue
        for r in _replacements(node, decl):
            out.append(_replace(d, v, r, names, sizes))
    return out


def _replace(d: Diagram, v: int, r: Diagram, names: list[str], sizes: tuple) -> Diagram:
    """d with node v replaced by r, whose legs are v's ports then T's legs (new free legs)."""
    e = d.copy()
    arity = e.nodes[v].arity
    outer: list[Any] = []
    for k in range(arity):
        q = e.link[(v, k)]
        outer.append(("leg", q[1]) if q[0] == v else q)
    base = len(e.free)
    for k in range(base, len(names)):
        outer.append(e.add_free(names[k], sizes[k]))
    new = e.substitute([v], outer, r)
    for u in new:
        n = e.nodes.get(u)
        if isinstance(n, BubbleNode) and n.fn == "sum" and len(n.inside.terms) == 1:
            inline(e, u, n.inside.terms[0])
    return e


# ------------------------------------------------------------- replacements
#
# Each returns diagrams whose free legs are the node's ports (in order)
# followed by T's legs; `_replace` plugs them in where the node was.


def _replacements(node: Any, decl) -> list[Diagram]:
    if isinstance(node, TensorNode):
        return [_hole(node)] if node.op == "" else [_inverse(node)]
    if node.conj:
        if not conj_commutes(node.fn):
            # conj(f(u)) is not f of anything we can differentiate through
            raise InputError(f"diff: cannot differentiate through conj({node.fn}(...)): "
                             f"{node.fn} is not known to commute with conjugation")
        # conj(f(u)) = f(conj u) for these functions
        node = node.with_arguments([a.conjugate() for a in node.arguments], conj=False)
    if node.fn in ("sum", "softmax"):
        du = _diff_sum(node.inside, decl)
        if not du.terms:
            return []
        if node.fn == "sum":
            return [_single(BubbleNode("sum", du), node.sizes, decl.sizes)]
        return _softmax(node, du, decl.sizes)
    # The chain rule, one term per argument: d f(u, v) = f'1(u, v) du + f'2(u, v) dv.
    out = []
    for k, arg in enumerate(node.arguments):
        du = _diff_sum(arg, decl)
        if not du.terms:
            continue
        got = derivative(node.fn, len(node.arguments), k)
        if got is None:
            raise InputError(f"diff: no derivative is known for the function {node.fn}")
        if got == ZERO:
            continue
        coeff, fprime = got
        out.append(_elementwise(node.with_arguments(node.arguments, fn=fprime), du, node.sizes,
                                decl.sizes, scalar=coeff))
    return out


def _frame(own: tuple, tsizes: tuple) -> Diagram:
    r = Diagram()
    for k, s in enumerate(own):
        r.add_free(f"o{k}", s)
    for k, s in enumerate(tsizes):
        r.add_free(f"t{k}", s)
    return r


def _hole(node: TensorNode) -> Diagram:
    """T removed: each of its ports is wired straight to the matching new leg."""
    r = _frame(node.sizes, node.sizes)
    n = node.arity
    for k in range(n):
        r.connect((BOUNDARY, k), (BOUNDARY, n + k))
    return r


def _inverse(node: TensorNode) -> Diagram:
    """∂ inv(X)[r, c] / ∂ X[a, b] = -inv(X)[r, a] inv(X)[b, c].

    inv(X)'s ports are X's tip legs then its wide legs; X's (the new legs) are
    wide then tip.
    """
    d = node.decl
    wide, tip = d.split, d.arity - d.split
    r = _frame(node.sizes, d.sizes)
    r.scalar = -1
    n = node.arity
    inv = TensorNode(d, False, "inv")
    first, second = r.add_node(inv), r.add_node(inv)
    for k in range(tip):  # first's tip ports: the old tip ports
        r.connect((first, k), (BOUNDARY, k))
    for k in range(wide):  # first's wide ports: X's wide legs
        r.connect((first, tip + k), (BOUNDARY, n + k))
    for k in range(tip):  # second's tip ports: X's tip legs
        r.connect((second, k), (BOUNDARY, n + wide + k))
    for k in range(wide):  # second's wide ports: the old wide ports
        r.connect((second, tip + k), (BOUNDARY, tip + k))
    return r


def _single(node: BubbleNode, own: tuple, tsizes: tuple) -> Diagram:
    """One node whose ports are exactly the frame's legs."""
    r = _frame(own, tsizes)
    v = r.add_node(node)
    for k in range(node.arity):
        r.connect((v, k), (BOUNDARY, k))
    return r


def _elementwise(fprime: BubbleNode, du: Sum, own: tuple, tsizes: tuple,
                 scalar: Any = 1, contract: Callable[[int], bool] = lambda k: False) -> Diagram:
    """f'(u) ⊙ du: on each old leg k a delta joins f', du and the outside.

    With `contract(k)` true, leg k of du is instead summed against a second
    copy of f' (used by softmax's Jacobian); the outside then meets only the
    first f'.
    """
    r = _frame(own, tsizes)
    r.scalar = scalars.normal(scalar)
    f = r.add_node(fprime)
    g = r.add_node(BubbleNode("sum", du))
    n = len(own)
    extra = None
    if any(contract(k) for k in range(n)):
        extra = r.add_node(fprime)
    for k in range(n):
        if contract(k):
            r.connect((f, k), (BOUNDARY, k))
            r.connect((extra, k), (g, k))
            continue
        ports = [(f, k), (g, k), (BOUNDARY, k)] + ([(extra, k)] if extra is not None else [])
        c = r.add_node(DeltaNode(own[k], len(ports)))
        for i, p in enumerate(ports):
            r.connect((c, i), p)
    for k in range(len(tsizes)):
        r.connect((g, n + k), (BOUNDARY, n + k))
    return r


def _softmax(node: BubbleNode, du: Sum, tsizes: tuple) -> list[Diagram]:
    """ds_k = s_k du_k - s_k Σ_l s_l du_l along the axis (other legs elementwise)."""
    s = node
    own = node.sizes
    axis = node.axis
    return [_elementwise(s, du, own, tsizes),
            _elementwise(s, du, own, tsizes, scalar=-1, contract=lambda k: k == axis)]
