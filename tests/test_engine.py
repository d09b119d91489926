"""The rewrite engine: simplify is sound, terminates, is confluent on the core set,
never cancels a projector, reports its budgets, and works inside bubbles."""
import pytest
import sympy
from hypothesis import given, strategies as st

from rewrite.core.canon import canonical_sum, isomorphic
from rewrite.core.diagram import BubbleNode, DeltaNode, Diagram, Sum
from rewrite.rewriting.ruleset import classify
from rewrite.rewriting.simplify import apply_gauge, rewrite, simplify
from rewrite.rewriting.strategies import all_matches, apply, chain, exhaust, first_of, once
from rewrite.transforms.expand import expand
from rewrite.core.errors import InputError
from rewrite.core.kinds import Kind, fuse_decl
from rewrite.numerics.evaluate import compare
from rewrite.core.pattern import VarKind
from test_match import (DIAG, FUSION, GAUGE, INVERSE, INVERSE2, ISOMETRY, LOOP, REAL, UNITARY,
                        decl, host, rule, side)

REAL_ISO = rule("isometry_real", {"U": VarKind(Kind.ISOMETRY, True)},
                "U[*w -> *t] U[*w -> *s]", "δ[*t, *s]")
REAL_UNI = rule("unitary_real", {"Q": VarKind(Kind.UNITARY, True)},
                "Q[*w -> *t] Q[*v -> *t]", "δ[*w, *v]")
CORE = [FUSION, LOOP, ISOMETRY, REAL_ISO, UNITARY, REAL_UNI, INVERSE, INVERSE2, REAL, DIAG]


def titles(d: Diagram) -> list[str]:
    return sorted(n.title for n in d.nodes.values())


def norm(x) -> Diagram:
    r = simplify(x, CORE)
    assert r.complete
    (t,) = r.sum.terms
    return t


# ------------------------------------------------------------ random redexes

N = 2  # size of every chain index
U = decl("U", "isometry", (3,), (N,))
V = decl("V", "isometry", (4,), (N,))
Q = decl("Q", "unitary", (N,), (N,))
X = decl("X", "invertible", (N,), (N,))
M = decl("M", "tensor", (N, N))
w = decl("w", "tensor", (N,))
F = fuse_decl((sympy.Integer(N), sympy.Integer(3)))
g = decl("g", "tensor", (3, 3))
P = decl("P", "isometry", (N,), (1,))  # non-square: P conj(P) is a projector
ALL = (U, V, Q, X, M, w, g, P)

BLOCKS = {
    "UdagU": "conj(U)[@w, @a] U[@w, @b]",
    "VdagV": "conj(V)[@w, @a] V[@w, @b]",
    "XXinv": "X[@a, @c] inv(X)[@c, @b]",
    "XinvX": "inv(X)[@a, @c] X[@c, @b]",
    "QQdag": "Q[@a, @c] conj(Q)[@b, @c]",
    "QdagQ": "conj(Q)[@c, @a] Q[@c, @b]",
    "deltas": "δ[@a, @e, @f] δ[@e, @b, @g] w[@f] w[@g]",
    "fusesplit": "F[@a, @p, @c] F[@b, @q, @c] g[@p, @q]",
    "projector": "P[@a, @c] conj(P)[@b, @c]",
    "plain": "M[@a, @b]",
}


@st.composite
def chains(draw, blocks=tuple(BLOCKS), can_close=True):
    """A matrix chain (or its trace) made of random blocks: redexes and noise."""
    kinds = draw(st.lists(st.sampled_from(blocks), min_size=1, max_size=6))
    closed = can_close and draw(st.booleans())
    parts = []
    for n, k in enumerate(kinds):
        text = BLOCKS[k].replace("@a", f"i{n}").replace("@b", f"i{n + 1}")
        for x in "wcefgpq":
            text = text.replace(f"@{x}", f"{x}{n}")
        parts.append(text)
    text = " ".join(parts)
    if closed:
        text = text.replace(f"i{len(kinds)},", "i0,").replace(f"i{len(kinds)}]", "i0]")
    return kinds, host(text, *ALL, F=F)


@given(chains())
def test_simplify_preserves_the_value(case):
    _, d = case
    r = simplify(d, CORE)
    assert r.complete
    assert compare(Sum.of(d), r.sum, trials=2) is None


@given(chains())
def test_simplify_is_idempotent(case):
    _, d = case
    once_ = simplify(d, CORE, trace=True).sum
    again = simplify(once_, CORE, trace=True)
    assert again.steps == ()
    assert canonical_sum(again.sum) == canonical_sum(once_)


@given(chains(), st.randoms(use_true_random=False))
def test_core_rules_are_confluent_under_random_orders(case, rnd):
    _, d = case
    cur = d.copy()
    while True:
        ms = [m for r in CORE for m in all_matches(r, cur)]
        if not ms:
            break
        cur = apply(cur, rnd.choice(ms))
    assert canonical_sum(Sum.of(cur)) == canonical_sum(simplify(d, CORE).sum)


@given(chains(blocks=("projector", "plain", "UdagU"), can_close=False))
def test_a_non_square_projector_is_never_removed(case):
    # P P† P P† is P P† (the middle P† P cancels), but an open chain with a
    # projector always keeps one: P P† is not the identity.
    kinds, d = case
    t = norm(d)
    left = sum(1 for n in t.nodes.values() if n.title == "P")
    assert left == sum(1 for n in t.nodes.values() if n.title == "conj(P)")
    assert (left >= 1) == ("projector" in kinds)


def test_tip_contracted_isometry_pair_stays():
    d = host("U[a, c] conj(U)[b, c]", U)
    assert titles(norm(d)) == ["U", "conj(U)"]


# ------------------------------------------------------------- unit behaviour


def test_redexes_of_each_kind_cancel_to_a_wire():
    for k in ("UdagU", "XXinv", "XinvX", "QQdag", "QdagQ"):
        text = BLOCKS[k].replace("@a", "i").replace("@b", "j").replace("@w", "w").replace("@c", "c")
        d = host(text, *ALL)
        t = norm(d)
        assert t.nodes == {} and t.link == {(-1, 0): (-1, 1), (-1, 1): (-1, 0)}, k


def test_trace_of_a_cancelled_pair_is_the_size():
    t = norm(host("X[a, b] inv(X)[b, a]", X))
    assert t.nodes == {} and t.scalar == N


def test_fuse_then_split_cancels():
    t = norm(host("F[a, p, c] F[b, q, c]", F=F))
    assert t.nodes == {} and len(t.free) == 4


def test_diagonal_tensor_becomes_its_vector_on_a_delta():
    D = decl("D", "diagonal", (3, 3))
    t = norm(host("D[i, j]", D))
    assert titles(t) == ["diag(D)", "δ"]


def test_conjugate_of_a_real_tensor_drops():
    R = decl("R", "tensor", (2, 3), real=True)
    assert titles(norm(host("conj(R)[a, b] M[b, c]", R, decl("M", "tensor", (3, 2))))) == ["M", "R"]


def test_step_budget_is_reported():
    d = host("X[a, b] inv(X)[b, c] X[c, e] inv(X)[e, f]", X)
    r = simplify(d, CORE, max_steps=1)
    assert r.stopped_reason == "max_steps" and not r.complete
    assert len(r.sum.terms[0].nodes) == 2


def test_time_budget_is_reported():
    d = host(" ".join(f"X[a{k}, b{k}] inv(X)[b{k}, a{k + 1}]" for k in range(200)), X)
    r = simplify(d, CORE, time_budget=0.0)
    assert r.stopped_reason == "time_budget"


def test_trace_records_each_step_with_its_result():
    d = host("X[a, b] inv(X)[b, c]", X)
    (s,) = simplify(d, CORE, trace=True).steps
    assert s.rule == "inverse" and s.where == ("X", "inv(X)")
    assert s.after is not None and s.after.nodes == {}


def test_expansion_rules_are_refused_by_simplify():
    assert classify(GAUGE) == "expansion"
    with pytest.raises(InputError, match="does not shrink the diagram: it is an expansion"):
        simplify(host("M[a, b]", M), [GAUGE])


def test_check_mode_names_the_first_step_that_changes_the_value():
    wrong = rule("wrong", {"U": "isometry"}, "U[*w -> *t] conj(U)[*v -> *t]", "δ[*w, *v]")
    d = host("X[a, b] inv(X)[b, c] P[c, e] conj(P)[f, e]", X, P)
    r = rewrite(d, chain(exhaust([INVERSE]), exhaust([wrong])), check=True)
    assert r.stopped_reason == "check failed"
    assert r.steps[r.bad_step].rule == "wrong" and r.bad_step == 1
    assert r.counterexample is not None


def test_gauge_insertion_then_simplify_gives_back_the_diagram():
    d = host("M[a, b] M[b, c]", M)
    g_ = apply_gauge(d, (0, 1), X, GAUGE)
    assert titles(g_) == ["M", "M", "X", "inv(X)"]
    assert compare(d, g_) is None
    assert isomorphic(norm(g_), d)


def test_gauge_on_a_free_leg_by_name():
    d = host("M[a, b]", M)
    g_ = apply_gauge(d, "a", X, GAUGE)
    assert compare(d, g_) is None and len(g_.nodes) == 3


def test_gauge_needs_a_matching_invertible():
    with pytest.raises(InputError):
        apply_gauge(host("g[a, b]", g), (0, 0), X, GAUGE)


def test_once_applies_the_chosen_match_even_an_expansion():
    d = host("X[a, b] inv(X)[b, c] X[c, e] inv(X)[e, f]", X)
    r = rewrite(d, once(INVERSE, 1))
    assert len(r.sum.terms[0].nodes) == 2 and len(r.steps) == 1
    assert rewrite(d, once(INVERSE, 5)).sum.terms[0].nodes.keys() == d.nodes.keys()


def test_first_of_stops_at_the_first_strategy_that_changes():
    d = host("X[a, b] inv(X)[b, c] P[c, e] conj(P)[c2, e]", X, P)
    r = rewrite(d, first_of(exhaust([ISOMETRY]), exhaust([INVERSE]), exhaust([UNITARY])), trace=True)
    assert [s.rule for s in r.steps] == ["inverse"]


def test_simplify_rewrites_inside_bubbles():
    inner = host("X[a, b] inv(X)[b, c] M[c, e]", X, M)
    d = Diagram()
    v = d.add_node(BubbleNode("relu", Sum.of(inner)))
    d.connect((v, 0), d.add_free("a", N))
    d.connect((v, 1), d.add_free("e", N))
    t = norm(d)
    (b,) = t.nodes.values()
    assert titles(b.inside.terms[0]) == ["M"]


def test_a_one_term_sum_bubble_joins_the_product():
    inner = host("X[a, b] inv(X)[b, c]", X)
    d = host("M[x, a]", M)
    v = d.add_node(BubbleNode("sum", Sum.of(inner)))
    p = d.link[(0, 1)]
    d.disconnect((0, 1))
    d.connect((0, 1), (v, 0))
    d.connect((v, 1), p)
    t = norm(d)
    assert titles(t) == ["M"]


def test_like_terms_are_collected_and_zeros_dropped():
    a = host("M[i, j]", M)
    b = a.copy()
    b.scalar = sympy.Integer(2)
    r = simplify(Sum((a, b), ("i", "j"), (N, N)), CORE).sum
    assert len(r.terms) == 1 and r.terms[0].scalar == 3
    c = a.copy()
    c.scalar = sympy.Integer(-1)
    assert simplify(Sum((a, c), ("i", "j"), (N, N)), CORE).sum.terms == ()


def test_expand_distributes_over_sum_bubbles_only():
    s = Sum((host("M[a, b]", M), host("X[a, b]", X)), ("a", "b"), (N, N))
    d = host("M[x, a]", M)
    v = d.add_node(BubbleNode("sum", s))
    p = d.link[(0, 1)]
    d.disconnect((0, 1))
    d.connect((0, 1), (v, 0))
    d.connect((v, 1), p)
    e = expand(d)
    assert len(e.terms) == 2
    assert compare(Sum.of(d), e) is None
    r = Diagram()
    u = r.add_node(BubbleNode("relu", s))
    r.connect((u, 0), r.add_free("a", N))
    r.connect((u, 1), r.add_free("b", N))
    assert len(expand(r).terms) == 1


def _deltas(*arities, size=N):
    d = Diagram()
    return d, [d.add_node(DeltaNode(size, a))
               for a in arities]


def test_two_one_leg_deltas_fuse_into_their_size():
    d, (u, v) = _deltas(1, 1, size=5)
    d.connect((u, 0), (v, 0))
    t = norm(d)
    assert t.nodes == {} and t.scalar == 5


def test_a_one_leg_delta_on_a_three_leg_delta_leaves_a_wire():
    d, (u, v) = _deltas(3, 1)
    d.connect((u, 2), (v, 0))
    d.connect((u, 0), d.add_free("a", N))
    d.connect((u, 1), d.add_free("b", N))
    t = norm(d)
    assert t.nodes == {} and t.link[(-1, 0)] == (-1, 1)


def test_delta_chain_fuses_into_one_delta():
    d, ids = _deltas(3, 3, 3)
    d.connect((ids[0], 2), (ids[1], 0))
    d.connect((ids[1], 2), (ids[2], 0))
    for v, i in [(ids[0], 0), (ids[0], 1), (ids[1], 1), (ids[2], 1), (ids[2], 2)]:
        d.connect((v, i), d.add_free(f"x{v}{i}", N))
    t = norm(d)
    assert [n.arity for n in t.nodes.values()] == [5]
    assert compare(d, t) is None


def test_expand_distributes_inside_a_bubble_but_not_over_it():
    import numpy as np

    from rewrite.app.session import Session
    from rewrite.language.expressions import build_expr
    from rewrite.language.parse import parse
    from rewrite.numerics.evaluate import evaluate
    from rewrite.numerics.sample import sample_instance
    from rewrite.transforms.expand import expand

    s = Session()
    s.run("dim n\ntensor A[i: n, j: n]\ntensor B[i: n, j: n]\ntensor x[i: n]\n")
    value = build_expr(parse("show relu((A + B) @ x)")[0].expr, s.env)
    out = expand(value)
    (term,) = out.terms
    (bubble,) = term.nodes.values()
    assert bubble.fn == "relu" and len(bubble.inside.terms) == 2
    inst = sample_instance(s.env.decls.values(), 2)
    want = np.maximum((inst.array("A") + inst.array("B")) @ inst.array("x"), 0)
    assert np.allclose(evaluate(out, inst), want)
    assert s.run("prove relu((A + B) @ x) == relu(A @ x + B @ x)")[0].status == "proved"
