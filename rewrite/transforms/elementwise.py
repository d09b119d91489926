"""Laws of elementwise functions that no product rule can state, applied by `prove`.

A rule's sides are single products whose bubbles are matched by their
arguments; the laws here need what a pattern cannot say: a coefficient
pulled out of a whole argument, a bubble nested in another whose legs may be
permuted, the *same* argument under two bubbles multiplied entry by entry,
or a side that is a sum.  `prove` applies them after parity and unfolding
(`transforms.parity`, `transforms.unfold`), on both sides alike, before it
compares expanded normal forms.  Each is an identity, entry by entry, on the
field stated (tests/test_elementwise_laws.py checks each against numpy, and
a false variant of each is refuted):

    homogeneity   sign(cE) = sign(E), step(cE) = step(E)     rational c > 0; any field
                  (relu and abs give up c in `parity`, with the signs)
    nesting       relu(relu E) = relu E, relu(abs E) = abs E,
                  abs(abs E) = abs E, sign(sign E) = sign E,
                  step(step E) = step E                       any field
                  exp(log E) = E                              any field, where log E is defined
                  exp(c log E) = pow(E, c)                    rational c; any field (principal
                                                              powers are exp(c log E))
    powers        sqrt(E) = pow(E, 1/2)                       any field (both principal)
                  log(exp E) = E                              REAL E only (for complex E
                                                              the branch cut breaks it)
    pairs         relu(E) ⊙ relu(E) = E ⊙ relu(E)             any field (relu gates on Re)
    (entrywise)   sign(E) ⊙ abs(E) = E                        any field (sign z = z/|z|)
                  sqrt(E) ⊙ sqrt(E) = E                       any field (principal branch)
                  pow(E, a) ⊙ pow(E, b) = pow(E, a + b)       any field, E ≠ 0
                  pow(X, a) ⊙ X = pow(X, a + 1)               X one tensor; any field, X ≠ 0
    sums          abs(E) = 2 relu(E) - E                      REAL E only
                  tanh(E) = 2 sigmoid(2E) - 1                 any field, where defined; only
                                                              when the equation has both

"Any field" means the law holds for complex entries with the product's
definitions (`numerics.evaluate`): relu(z) is z where Re z > 0, else 0;
sign(z) = z/|z| (0 at 0); log and sqrt are principal branches, and
pow(z, k) = exp(k log z).  With these, relu(u) ⊙ relu(-u) = 0 and
relu(u) + relu(-u) = abs(u) (real u) follow from parity (relu(-u) =
relu(u) - u).  Laws with a domain ("real E only") are applied only when
`is_real` can tell from the declarations that the argument is real; a law
whose domain is unsure is not here at all (sqrt(E ⊙ E) = E, for one, holds
only for E ≥ 0).

The coefficient pulled out by homogeneity is the one on the argument's
leading term (smallest canonical key, the choice parity makes), so both sides
of an equation agree on it.  A conjugated bubble, a softmax and a function of
several arguments are left alone.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Any, Callable, Optional, Union

from ..core import scalars
from ..core.canon import inside_id
from ..core.diagram import (BOUNDARY, BubbleNode, DeltaNode, Diagram, Sum, TensorNode,
                            arguments_mapped, as_sum, nested_sums)
from ..core.functions import pow_exponent, pow_name
from ..core.limits import LIMITS, LimitError
from .expand import expand
from .parity import leading
from .unfold import node_replaced, power_of

#: f -> the power of c in f(cE) = c^p f(E), for rational c > 0 (relu and abs,
#: of power 1, are done by `parity.signs_fixed`).
HOMOGENEOUS: dict[str, int] = {"sign": 0, "step": 0}

#: (outer, inner) -> what f(g(E)) is: "inner" (g(E) itself: the outer one
#: is idempotent on the inner one's values) or "arg" (E: inverse functions).
NESTED: dict[tuple[str, str], str] = {
    ("relu", "relu"): "inner", ("relu", "abs"): "inner", ("abs", "abs"): "inner",
    ("sign", "sign"): "inner", ("step", "step"): "inner", ("exp", "log"): "arg",
}
#: Nestings true only for a real argument E.
NESTED_REAL: dict[tuple[str, str], str] = {("log", "exp"): "arg"}

#: Functions that map real entries to real entries (abs maps anything to reals).
REAL_FUNCTIONS = frozenset({"relu", "gelu", "exp", "tanh", "sigmoid", "step", "dtanh",
                            "dsigmoid", "dgelu", "tanh''", "sigmoid''", "sign", "sum",
                            "softmax"})

#: The most rounds of rewriting and expanding one sum gets (each law removes a
#: bubble or a coefficient, so a round that changes nothing comes much earlier).
MAX_ROUNDS = 32


def is_real(s: Sum) -> bool:
    """Whether every entry of `s` is real for every value of the declared
    tensors: real tensors, δs and rational coefficients, under functions that
    keep reals real (any argument of abs).  False when unsure (declared
    functions, log, sqrt, fractional powers)."""
    for t in s.terms:
        for n in t.nodes.values():
            if isinstance(n, DeltaNode):
                continue
            if isinstance(n, TensorNode):
                if not n.decl.real:
                    return False
                continue
            if n.fn == "abs" and not n.args:
                continue
            k = pow_exponent(n.fn)
            if not ((n.fn in REAL_FUNCTIONS or (k is not None and k.denominator == 1))
                    and all(is_real(a) for a in n.arguments)):
                return False
    return True


def _plain(n: object) -> bool:
    """A bubble of one argument, not conjugated, not a softmax."""
    return isinstance(n, BubbleNode) and not n.conj and not n.args and n.axis is None


def _scaled(s: Sum, c: Any) -> Sum:
    terms = []
    for t in s.terms:
        t = t.copy()
        t.scalar = scalars.div(t.scalar, c)
        terms.append(t)
    return Sum(tuple(terms), s.free, s.sizes)


def _linear(arg: Sum) -> Diagram:
    """The argument itself as a factor (a sum bubble, which `expand` opens)."""
    return power_of(BubbleNode("sum", arg), 1)


def _only_node(arg: Sum, scaled: bool = False) -> Optional[tuple[Diagram, int]]:
    """(term, node) when `arg` is one term with coefficient 1 (any rational
    one when `scaled`) made of a single node whose legs are the argument's
    free legs (in any order), all of them."""
    if len(arg.terms) != 1:
        return None
    t = arg.terms[0]
    if not (t.scalar == 1 or (scaled and isinstance(t.scalar, (int, Fraction)))) \
            or len(t.nodes) != 1:
        return None
    [(v, n)] = t.nodes.items()
    # every free leg on the node: no identity wire beside it (exp(log(x) ⊗ I)
    # is not x ⊗ I, its zeros become ones)
    if n.arity != len(arg.free) or any(t.link[(v, k)][0] != BOUNDARY for k in range(n.arity)):
        return None
    return t, v


# -------------------------------------------------------------------- the laws

def _homogeneity(d: Diagram, v: int, n: BubbleNode) -> list[Diagram] | None:
    if n.fn not in HOMOGENEOUS or not n.inside.terms:
        return None
    if not all(isinstance(t.scalar, (int, Fraction)) for t in n.inside.terms):
        return None
    c = leading(n.inside).scalar
    if c <= 0 or c == 1:
        return None
    e = d.copy()
    e.nodes[v] = n.with_arguments([_scaled(n.inside, c)])
    e.scalar = scalars.mul(e.scalar, scalars.normal(Fraction(c) ** HOMOGENEOUS[n.fn]))
    return [e]


def _nested(d: Diagram, v: int, n: BubbleNode) -> list[Diagram] | None:
    found = _only_node(n.inside, scaled=True)
    if found is None:
        return None
    t, w = found
    m = t.nodes[w]
    if not _plain(m):
        return None
    if t.scalar != 1:  # exp(c log E) = pow(E, c): the principal power is exp(c log E)
        if (n.fn, m.fn) != ("exp", "log"):
            return None
        r = t.copy()
        r.scalar = 1
        r.nodes[w] = BubbleNode(pow_name(t.scalar), m.inside)
        return [node_replaced(d, v, _linear(as_sum(r)))]
    what = NESTED.get((n.fn, m.fn))
    if what is None and is_real(m.inside):
        what = NESTED_REAL.get((n.fn, m.fn))
    if what is None:
        return None
    value = n.inside if what == "inner" else \
        expand(as_sum(node_replaced(t, w, _linear(m.inside))))
    return [node_replaced(d, v, _linear(value))]


def _entrywise(d: Diagram, v: int, w: int) -> bool:
    """Whether nodes v and w meet entry by entry: port k of each on one wire,
    or on one δ, for every k."""
    a, b = d.nodes[v], d.nodes[w]
    if a.sizes != b.sizes:
        return False
    for k in range(a.arity):
        p, q = d.link[(v, k)], d.link[(w, k)]
        if p == (w, k):
            continue
        if p[0] == BOUNDARY or p[0] != q[0] or not isinstance(d.nodes[p[0]], DeltaNode):
            return False
    return True


def _pair_result(f: str, g: str) -> Optional[Callable[[BubbleNode], tuple[Any, Any]]]:
    """What f(E) ⊙ g(E) becomes, as (replacement of the first, of the second):
    "arg" (E), "keep", "ones", or a bubble name; None when no law applies."""
    if (f, g) == ("relu", "relu"):
        return lambda n: ("arg", "keep")
    if (f, g) in (("sign", "abs"), ("sqrt", "sqrt")):
        return lambda n: ("arg", "ones")
    a, b = pow_exponent(f), pow_exponent(g)
    if a is not None and b is not None:
        return lambda n: ("ones" if a + b == 0 else pow_name(a + b), "ones")
    return None


def _replacement(what: Any, node: BubbleNode) -> Diagram | None:
    if what == "keep":
        return None
    if what == "arg":
        return _linear(node.inside)
    if what == "ones":
        return power_of(node, 0)
    return power_of(BubbleNode(what, node.inside), 1)


def _pairs(d: Diagram, v: int, n: BubbleNode) -> list[Diagram] | None:
    key = None
    for w, m in d.nodes.items():
        if w == v or not _plain(m) or not _entrywise(d, v, w):
            continue
        law = _pair_result(n.fn, m.fn)
        if law is None:
            continue
        if key is None:
            key = inside_id(n.inside)
        if inside_id(m.inside) != key:
            continue
        first, second = law(n)
        e = d
        for node_id, node, what in ((w, m, second), (v, n, first)):
            r = _replacement(what, node)
            if r is not None:
                e = node_replaced(e, node_id, r)
        return [e]
    return None


def _power_atom(d: Diagram, v: int, n: BubbleNode) -> list[Diagram] | None:
    """pow(X, a) ⊙ X = pow(X, a + 1) for X one tensor (legs in any order)."""
    a = pow_exponent(n.fn)
    if a is None:
        return None
    found = _only_node(n.inside)
    if found is None:
        return None
    t, x = found
    atom = t.nodes[x]
    if not isinstance(atom, TensorNode):
        return None
    # port j of the atom is free leg perm[j] of the argument, so port perm[j] of the bubble
    perm = [t.link[(x, j)][1] for j in range(atom.arity)]
    for w, m in d.nodes.items():
        if m != atom:
            continue
        ok = True
        for j in range(atom.arity):
            p, q = d.link[(w, j)], d.link[(v, perm[j])]
            if p == (v, perm[j]):
                continue
            if p[0] == BOUNDARY or p[0] != q[0] or not isinstance(d.nodes[p[0]], DeltaNode):
                ok = False
                break
        if not ok:
            continue
        e = node_replaced(d, w, power_of(atom, 0))
        r = power_of(n, 0) if a + 1 == 0 else power_of(BubbleNode(pow_name(a + 1), n.inside), 1)
        return [node_replaced(e, v, r)]
    return None


def _abs_of_real(d: Diagram, v: int, n: BubbleNode) -> list[Diagram] | None:
    """abs(E) = 2 relu(E) - E for real E."""
    if n.fn != "abs" or not n.inside.terms or not is_real(n.inside):
        return None
    return [node_replaced(d, v, power_of(BubbleNode("relu", n.inside), 1), 2),
            node_replaced(d, v, _linear(n.inside), -1)]


def _tanh_as_sigmoid(d: Diagram, v: int, n: BubbleNode) -> list[Diagram] | None:
    """tanh(E) = 2 sigmoid(2E) - 1."""
    if n.fn != "tanh":
        return None
    doubled = _scaled(n.inside, Fraction(1, 2))
    return [node_replaced(d, v, power_of(BubbleNode("sigmoid", doubled), 1), 2),
            node_replaced(d, v, power_of(n, 0), -1)]


def _sqrt_as_power(d: Diagram, v: int, n: BubbleNode) -> list[Diagram] | None:
    """sqrt(E) = pow(E, 1/2): both the principal branch, exp(log(E) / 2)."""
    if n.fn != "sqrt":
        return None
    e = d.copy()
    e.nodes[v] = BubbleNode(pow_name(Fraction(1, 2)), n.inside)
    return [e]


LAWS = (_homogeneity, _nested, _pairs, _power_atom, _abs_of_real, _sqrt_as_power)


def _step(d: Diagram, tanh: bool) -> list[Diagram] | None:
    """The terms one law turns `d` into (the first that applies), or None."""
    laws = LAWS + ((_tanh_as_sigmoid,) if tanh else ())
    for law in laws:
        for v, n in d.nodes.items():
            if not _plain(n):
                continue
            r = law(d, v, n)
            if r is not None:
                return r
    return None


def mentions(x: Union[Sum, Diagram], word: str) -> bool:
    """Whether a bubble whose function's name contains `word` occurs in `x`, at any depth."""
    return any(isinstance(n, BubbleNode) and word in n.fn
               for s in nested_sums(x) for t in s.terms for n in t.nodes.values())


def elementwise_laws(x: Union[Sum, Diagram], tanh_as_sigmoid: bool = False,
                     max_terms: int | None = None) -> Sum:
    """`x` with the laws above applied at every depth until none applies, then
    expanded; `tanh_as_sigmoid` adds tanh(E) = 2 sigmoid(2E) - 1 (asked for
    when an equation has both functions, so each side is written in sigmoid).
    Refused with a `LimitError` past `max_terms`."""
    limit = LIMITS.max_terms if max_terms is None else max_terms
    return _laws_here(arguments_mapped(as_sum(x),
                                       lambda a: _laws_here(a, tanh_as_sigmoid, limit)),
                      tanh_as_sigmoid, limit)


def _laws_here(s: Sum, tanh_as_sigmoid: bool, limit: int) -> Sum:
    """`elementwise_laws` of `s` itself, whose arguments are done already
    (`arguments_mapped` walks the nesting once, innermost first); after a
    round that changed something, the arguments are walked again, since a law
    may have opened one whose own bubbles now meet others."""
    for _ in range(MAX_ROUNDS):
        out: list[Diagram] = []
        todo = list(s.terms)
        changed = False
        while todo:
            d = todo.pop()
            r = _step(d, tanh_as_sigmoid)
            if r is None:
                out.append(d)
                continue
            changed = True
            todo.extend(r)
            if len(out) + len(todo) > limit:
                raise LimitError("applying the laws of elementwise functions would make "
                                 "too many terms", len(out) + len(todo), limit, "--max-terms")
        if not changed:
            return s
        s = expand(Sum(tuple(reversed(out)), s.free, s.sizes), limit)
        # a law may have opened an argument whose own bubbles now meet others
        s = arguments_mapped(s, lambda a: _laws_here(a, tanh_as_sigmoid, limit))
    return s
