"""Canonical keys: equal exactly for isomorphic port graphs."""
from __future__ import annotations

import itertools
from collections import Counter

import networkx as nx
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from rewrite.core import canon
from rewrite.core.canon import canonical, canonical_bliss, canonical_sum, encoded_graph, isomorphic
from rewrite.core.diagram import BOUNDARY, BubbleNode, DeltaNode, Diagram, Sum, TensorNode
from rewrite.core.kinds import Decl, Kind

from strategies import diagrams, isomorphic_copies, relabelled, variants

n = sympy.Symbol("n", positive=True, integer=True)
A = Decl("A", Kind.GENERIC, ("i", "j"), (n, n), 2)
B = Decl("B", Kind.GENERIC, ("i", "j"), (n, n), 2)
T3 = Decl("T", Kind.GENERIC, ("a", "b", "c"), (n, n, n), 3)
S = Decl("S", Kind.SYMMETRIC, ("i", "j", "k"), (n, n, n), 3)


def matrices(*decls: Decl) -> Diagram:
    """A[i, x] B[x, y] ... with free legs i (row of the first) and j (column of the last)."""
    d = Diagram()
    vs = [d.add_node(TensorNode(x)) for x in decls]
    for a, b in zip(vs, vs[1:]):
        d.connect((a, 1), (b, 0))
    d.connect(d.add_free("i", n), (vs[0], 0))
    d.connect(d.add_free("j", n), (vs[-1], 1))
    return d


def cycles(*lengths: int, decls=None, start: int = 0) -> Diagram:
    """Traces tr(M1 M2 ... Mk), one per length; the first cycle starts at `start`."""
    d = Diagram()
    for c, length in enumerate(lengths):
        seq = list(decls or [A] * length)
        if c == 0:
            seq = seq[start:] + seq[:start]
        vs = [d.add_node(TensorNode(x)) for x in seq]
        for k in range(length):
            d.connect((vs[k], 1), (vs[(k + 1) % length], 0))
    return d


def single(node) -> Diagram:
    """One node with every port a free leg l0, l1, ..."""
    d = Diagram()
    v = d.add_node(node)
    for i, s in enumerate(node.sizes):
        d.connect(d.add_free(f"l{i}", s), (v, i))
    return d


def brute_isomorphic(a: Diagram, b: Diagram, by_position: bool = False) -> bool:
    """Port-graph isomorphism by trying every label-preserving node bijection.

    Independent of the colour-graph encoding: a wire is described by its two
    ends, an end by (image node, port) or (image node, "*") for interchangeable
    ports, or by its free leg's name (or position) and size; the bijection works
    exactly when the two multisets of wires agree (the matching of wires then
    fixes the permutation of interchangeable ports).
    """
    if len(a.nodes) != len(b.nodes) or len(a.free) != len(b.free) or a.scalar != b.scalar:
        return False

    def end(d, p, phi):
        v, i = p
        if v == BOUNDARY:
            return ("F", i if by_position else d.free[i], str(d.free_sizes[i]))
        x = d.nodes[v]
        return ("N", phi[v], "*" if x.symmetric_ports else i)

    def wires(d, phi):
        return Counter(tuple(sorted((end(d, p, phi), end(d, q, phi)), key=repr)) for p, q in d.wires())

    bs = list(b.nodes)
    target = wires(b, {v: k for k, v in enumerate(bs)})
    for perm in itertools.permutations(range(len(bs))):
        phi = dict(zip(a.nodes, perm))
        if all(a.nodes[v].key == b.nodes[bs[phi[v]]].key for v in a.nodes) and wires(a, phi) == target:
            return True
    return False


def nx_isomorphic(a: Diagram, b: Diagram, by_position: bool = False) -> bool:
    def graph(d):
        colours, edges = encoded_graph(d, by_position)
        g = nx.Graph()
        g.add_nodes_from((k, {"c": c}) for k, c in enumerate(colours))
        g.add_edges_from(edges)
        return g

    return nx.is_isomorphic(graph(a), graph(b), node_match=lambda x, y: x["c"] == y["c"])


# ------------------------------------------------------------------ invariance


@given(st.data())
def test_key_is_invariant_under_renumbering_reordering_and_port_permutation(data):
    d = data.draw(diagrams(bubbles=True))
    e = data.draw(isomorphic_copies(d, reorder_free=True))
    assert canonical(d) == canonical(e)


@given(st.data())
def test_key_by_position_is_invariant_under_isomorphic_copies(data):
    d = data.draw(diagrams(bubbles=True))
    e = data.draw(isomorphic_copies(d))
    assert canonical(d, by_position=True) == canonical(e, by_position=True)


@given(st.data())
def test_closed_ordered_diagrams_keep_key_under_copies(data):
    d = data.draw(diagrams(closed=True, symmetric=False, max_nodes=8))
    e = data.draw(isomorphic_copies(d))
    assert canonical(d) == canonical(e)


@pytest.mark.parametrize("start", [1, 2, 3])
def test_trace_of_distinct_matrices_is_invariant_under_rotation(start):
    C = Decl("C", Kind.GENERIC, ("i", "j"), (n, n), 2)
    D = Decl("D", Kind.GENERIC, ("i", "j"), (n, n), 2)
    seq = [A, B, C, D]
    assert canonical(cycles(4, decls=seq)) == canonical(cycles(4, decls=seq, start=start))


@pytest.mark.parametrize("length", [5, 40])
def test_trace_of_a_power_is_invariant_under_rotation(length):
    seq = [B] + [A] * (length - 1)
    assert canonical(cycles(length, decls=seq)) == canonical(cycles(length, decls=seq, start=3))


def test_trace_of_a_long_power_is_invariant_under_rotation():
    # 60 equivalent anchors: more than the port-following walk tries.
    assert canonical(cycles(60)) == canonical(cycles(60, start=17))


def test_ring_with_many_equal_rare_tensors_is_invariant_under_rotation():
    # 20 B's: colour refinement must split them by their neighbourhoods.
    seq = [A, A, B] * 10 + [A, B] * 10
    for start in (1, 5, 31):
        assert canonical(cycles(len(seq), decls=seq)) == canonical(cycles(len(seq), decls=seq, start=start))


def test_rings_with_the_same_tensor_counts_in_another_pattern_differ():
    one = [A, A, B] * 10 + [A, B] * 10
    other = [A, A, B, A, B] * 10
    assert canonical(cycles(len(one), decls=one)) != canonical(cycles(len(other), decls=other))


def test_free_leg_order_is_irrelevant_by_name():
    d = matrices(A, B)
    assert canonical(d) == canonical(d.permute_free([1, 0]))


# ------------------------------------------------------------------ soundness


def test_swapping_two_ports_of_a_generic_tensor_changes_key():
    d = matrices(A)
    assert canonical(d) != canonical(relabelled(d, list(d.nodes), {0: [1, 0]}))


@pytest.mark.parametrize("half", [2, 3, 20, 60])
def test_one_long_cycle_differs_from_two_short_ones(half):
    assert canonical(cycles(2 * half)) != canonical(cycles(half, half))


def test_cycles_of_the_same_lengths_in_either_order_agree():
    assert canonical(cycles(3, 30)) == canonical(cycles(30, 3))


def test_different_free_leg_names_change_key():
    d = matrices(A)
    assert canonical(d) != canonical(d.renamed(["i", "k"]))


def test_by_position_ignores_names_but_not_positions():
    d = matrices(A)
    assert canonical(d, by_position=True) == canonical(d.renamed(["x", "y"]), by_position=True)
    assert canonical(d, by_position=True) != canonical(d.permute_free([1, 0]), by_position=True)


def test_different_scalar_changes_key():
    d = matrices(A)
    e = d.copy()
    e.scalar = sympy.Integer(2)
    assert canonical(d) != canonical(e)
    assert canonical(d, with_scalar=False) == canonical(e, with_scalar=False)


def test_equal_scalars_written_differently_agree():
    d, e = matrices(A), matrices(A)
    d.scalar = 2 * (n + 1)
    e.scalar = 2 * n + 2
    assert canonical(d) == canonical(e)


def test_conjugate_differs():
    d = matrices(A, B)
    assert canonical(d) != canonical(d.conjugate())


def test_product_order_matters():
    assert canonical(matrices(A, B)) != canonical(matrices(B, A))


def test_bare_wires_between_free_legs_are_part_of_the_key():
    def wire(a: str, b: str, c: str) -> Diagram:
        d = Diagram()
        d.connect(d.add_free(a, n), d.add_free(b, n))
        d.connect(d.add_free(c, n), (d.add_node(DeltaNode(n, 1)), 0))
        return d

    assert canonical(wire("i", "j", "k")) != canonical(wire("i", "k", "j"))
    assert canonical(wire("i", "j", "k")) == canonical(wire("j", "i", "k"))


def test_free_leg_sizes_are_part_of_the_key():
    m = sympy.Symbol("m", positive=True, integer=True)
    d, e = Diagram(), Diagram()
    d.connect(d.add_free("i", n), d.add_free("j", n))
    e.connect(e.add_free("i", m), e.add_free("j", m))
    assert canonical(d) != canonical(e)


def test_isomorphic_agrees_with_keys():
    assert isomorphic(cycles(3, 4), cycles(4, 3))
    assert not isomorphic(cycles(7), cycles(3, 4))


# ---------------------------------------------------------------- symmetric ports


def test_swapping_legs_of_a_delta_keeps_key():
    d = single(DeltaNode(n, 3))
    assert canonical(d) == canonical(relabelled(d, list(d.nodes), {0: [2, 0, 1]}))


def test_swapping_legs_of_a_symmetric_tensor_keeps_key():
    d = matrices(A)
    s = d.add_node(TensorNode(S))
    p = d.disconnect((0, 1))
    d.connect((s, 0), (0, 1))
    d.connect((s, 2), p)
    d.connect((s, 1), d.add_free("k", n))
    assert canonical(d) == canonical(relabelled(d, list(d.nodes), {s: [1, 0, 2]}))


def test_swapping_legs_of_a_generic_three_leg_tensor_changes_key():
    d = single(TensorNode(T3))
    assert canonical(d) != canonical(relabelled(d, list(d.nodes), {0: [1, 0, 2]}))


# ------------------------------------------------------------------ oracles


@given(st.data())
def test_equal_keys_agree_with_bliss_networkx_and_brute_force(data):
    by_position = data.draw(st.booleans())
    a = data.draw(diagrams(max_nodes=5))
    b = data.draw(variants(a))
    same = canonical(a, by_position) == canonical(b, by_position)
    assert same == (canonical_bliss(a, by_position) == canonical_bliss(b, by_position))
    if a.scalar == b.scalar:
        assert same == nx_isomorphic(a, b, by_position)
    assert same == brute_isomorphic(a, b, by_position)


@given(st.data())
def test_port_code_and_bliss_paths_decide_alike(data):
    a = data.draw(diagrams(closed=True, symmetric=False, max_nodes=7))
    b = data.draw(variants(a))
    fast = canonical(a) == canonical(b)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(canon, "MAX_ANCHORS", 0)  # every closed component goes to bliss
        slow = canonical(a) == canonical(b)
    assert fast == slow


# ------------------------------------------------------------------ sums


def test_like_terms_are_added():
    a = matrices(A)
    two = matrices(A)
    two.scalar = sympy.Integer(2)
    s = Sum((a, a.copy()), ("i", "j"), (n, n))
    assert canonical_sum(s) == canonical_sum(Sum.of(two))


def test_cancelling_terms_leave_the_empty_key():
    a, b = matrices(A), matrices(A)
    b.scalar = sympy.Integer(-1)
    assert canonical_sum(Sum((a, b), ("i", "j"), (n, n))) == ()


def test_sum_key_is_independent_of_term_order():
    a, b = matrices(A, B), matrices(B, A)
    b.scalar = n
    assert canonical_sum(Sum((a, b), ("i", "j"), (n, n))) == canonical_sum(Sum((b, a), ("i", "j"), (n, n)))


def test_bubbles_compare_their_insides_as_sums():
    a, b = matrices(A, B), matrices(B, A)
    s1 = Sum((a, b), ("i", "j"), (n, n))
    s2 = Sum((b, a), ("i", "j"), (n, n))
    assert canonical(single(BubbleNode("relu", s1))) == canonical(single(BubbleNode("relu", s2)))
    assert canonical(single(BubbleNode("relu", s1))) != canonical(single(BubbleNode("exp", s1)))


def test_symbolic_coefficients_cancel():
    a, b = matrices(A), matrices(A)
    a.scalar, b.scalar = n + 1, -n - 1
    assert canonical_sum(Sum((a, b), ("i", "j"), (n, n))) == ()


def test_terms_equal_up_to_isomorphism_are_collected():
    ab = cycles(2, decls=[A, B])
    ba = cycles(2, decls=[B, A])
    twice = cycles(2, decls=[A, B])
    twice.scalar = sympy.Integer(2)
    assert canonical_sum(Sum((ab, ba), (), ())) == canonical_sum(Sum.of(twice))


def test_unlike_terms_are_kept_apart():
    s = Sum((matrices(A, B), matrices(B, A)), ("i", "j"), (n, n))
    assert len(canonical_sum(s)) == 2


# ------------------------------------------------------------ the strategies


@given(diagrams(bubbles=True))
def test_generated_diagrams_are_valid_port_graphs(d):
    ports = [(v, i) for v, node in d.nodes.items() for i in range(node.arity)] + d.free_ports
    assert sorted(d.link) == sorted(ports)
    for p, q in d.link.items():
        assert d.link[q] == p
        assert str(d.port_size(p)) == str(d.port_size(q))
    assert all(x.arity not in (0, 2) for x in d.nodes.values() if isinstance(x, DeltaNode))
    assert len(set(d.free)) == len(d.free)


@given(st.data())
def test_diagrams_sharing_a_canonical_form_evaluate_equal(data):
    # The converse direction of soundness, checked with numbers: a pair that
    # evaluates differently never shares a canonical form.
    from rewrite.numerics.evaluate import allclose_rel, collect_decls, collect_symbols, evaluate
    from rewrite.numerics.sample import sample_instance

    a = data.draw(diagrams(max_nodes=6, bubbles=False))
    b = data.draw(variants(a))
    from hypothesis import assume

    assume(canonical(a) == canonical(b))

    from rewrite.core.errors import InputError

    decls = collect_decls(a, b)
    try:
        inst = sample_instance(decls.values(), seed=data.draw(st.integers(0, 10**6)),
                               symbols=collect_symbols(a, b))
    except InputError:  # random declarations whose kinds no sizes can satisfy
        assume(False)
    close, diff = allclose_rel(evaluate(a, inst), evaluate(b, inst))
    assert close, diff


@settings(max_examples=30, deadline=None)
@given(st.permutations([0, 1, 2]), st.sampled_from(["relu", "tanh", "exp"]), st.integers(0, 10**6))
def test_a_bubbles_key_ignores_the_order_its_inside_lists_its_legs(perm, fn, seed):
    # The inside's leg order is chosen canonically; numpy confirms that the
    # two writings are one tensor, so equal keys are earned.
    import numpy as np

    from rewrite.app.session import Session
    from rewrite.language.expressions import build_expr
    from rewrite.language.parse import parse
    from rewrite.numerics.evaluate import evaluate
    from rewrite.numerics.sample import sample_instance

    s = Session()
    s.run("dim n, m, k\ntensor T[a: n, b: m, c: k]\n")
    order = ", ".join("abc"[p] for p in perm)
    (one,) = parse(f"show {fn}(T[a, b, c])")
    (two,) = parse(f"show {fn}(T[a, b, c] -> [{order}]) -> [a, b, c]")
    x, y = build_expr(one.expr, s.env), build_expr(two.expr, s.env)
    assert canonical_sum(x) == canonical_sum(y)
    inst = sample_instance(s.env.decls.values(), seed)
    assert np.allclose(evaluate(x, inst), evaluate(y, inst))


@pytest.mark.parametrize("left, right", [
    ("kron(kron(A, B), C)", "kron(A, kron(B, C))"),
    ("kron(A, B, C)", "kron(kron(A, B), C)"),
])
def test_kronecker_grouping_is_associative_in_keys_and_in_numbers(left, right):
    import numpy as np

    from rewrite.app.session import Session
    from rewrite.language.expressions import build_expr
    from rewrite.language.parse import parse
    from rewrite.numerics.evaluate import evaluate
    from rewrite.numerics.sample import sample_instance

    s = Session()
    s.run("dim n, m, p\ntensor A[i: n, j: n]\ntensor B[i: m, j: m]\ntensor C[i: p, j: p]\n")
    x, y = (build_expr(parse(f"show {t}")[0].expr, s.env) for t in (left, right))
    assert canonical_sum(x) == canonical_sum(y)
    inst = sample_instance(s.env.decls.values(), 1)
    a, b, c = (inst.array(t) for t in "ABC")
    assert np.allclose(evaluate(x, inst), np.kron(np.kron(a, b), c))


def test_conjugation_passes_through_functions_that_commute_with_it():
    from rewrite.app.session import Session

    s = Session()
    s.run("dim n\nreal tensor W[i: n, j: n]\ntensor z[i: n]\n")
    out = s.run("prove conj(softmax[j](W[i, j])) == softmax[j](W[i, j])\n"
                "prove conj(exp(W @ z)) == exp(W @ conj(z))\n"
                "prove conj(exp(W @ z)) == exp(W @ z)\n"
                "prove conj(log(z[i])) == log(conj(z)[i])\n")
    assert [r.status for r in out] == ["proved", "proved", "refuted", "unknown"]
