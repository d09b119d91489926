"""Evaluation agrees with an explicit-delta einsum reference; comparison finds
counterexamples exactly when the sides differ."""
from __future__ import annotations

import math
import string

from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import assume, given
from hypothesis import strategies as st

from rewrite.core.diagram import BOUNDARY, BubbleNode, DeltaNode, Diagram, Sum, TensorNode, product
from rewrite.core.errors import InputError
from rewrite.core.kinds import Decl, Kind
from rewrite.numerics.evaluate import (Counterexample, TooLarge, allclose_rel, collect_decls,
                             collect_symbols, compare, contraction_plan, evaluate)
from rewrite.numerics.sample import sample_instance

from strategies import diagrams, isomorphic_copies

n, m = sympy.symbols("n m", positive=True, integer=True)


def decl(name, sizes, kind=Kind.GENERIC, split=None, real=False, legs=None):
    sizes = tuple(sympy.sympify(s) for s in sizes)
    legs = legs or tuple("abcdefgh"[: len(sizes)])
    return Decl(name, kind, legs, sizes, len(sizes) if split is None else split, real)


def atom(d: Diagram, x: Decl, *ports, conj=False, op="") -> int:
    """Add a tensor node; ports[i] (if not None) is wired to its leg i."""
    v = d.add_node(TensorNode(x, conj, op))
    for i, p in enumerate(ports):
        if p is not None:
            d.connect((v, i), p)
    return v


def instance_for(*xs, seed=0, **kw):
    return sample_instance(collect_decls(*xs).values(), seed, symbols=collect_symbols(*xs), **kw)


# ------------------------------------------------------------- the reference


REF_FUNCTIONS = {
    "relu": lambda x: np.where(x.real > 0, x, 0),
    "exp": np.exp,
    "tanh": np.tanh,
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "gelu": lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))),
    "sum": lambda x: x,
    # §10 functions, written from their definitions (not evaluate's code)
    "abs": lambda x: np.sqrt(x.real ** 2 + x.imag ** 2),
    "sign": lambda x: np.divide(x, np.abs(x), out=np.zeros_like(x), where=np.abs(x) > 0),
    "dtanh": lambda x: 1 / np.cosh(x) ** 2,
    "tanh''": lambda x: -2 * np.sinh(x) / np.cosh(x) ** 3,
    # principal branches, as numpy's complex functions
    "log": lambda x: np.log(np.asarray(x, complex)),
    "sqrt": lambda x: np.sqrt(np.asarray(x, complex)),
}


def ref_sum(s: Sum, inst) -> np.ndarray:
    if not s.terms:
        return np.zeros(tuple(inst.size(x) for x in s.sizes))
    return sum(ref_diagram(t, inst) for t in s.terms)


def ref_node(node, inst) -> np.ndarray:
    """Every node as an explicit array: deltas materialised."""
    if isinstance(node, DeltaNode):
        size = inst.size(node.size)
        a = np.zeros((size,) * node.arity)
        a[(np.arange(size),) * node.arity] = 1
        return a
    if isinstance(node, BubbleNode):
        x = ref_sum(node.inside, inst)
        if node.fn == "softmax":
            e = np.exp(x)
            y = e / e.sum(axis=node.axis, keepdims=True)
        elif node.fn.startswith("pow["):  # x ** k, principal branch
            k = Fraction(node.fn[4:-1])
            y = x ** int(k) if k.denominator == 1 else np.asarray(x, complex) ** float(k)
        else:
            y = REF_FUNCTIONS[node.fn](x)
        return y.conj() if node.conj else y
    key = node.decl.name if not node.op else f"{node.op}({node.decl.name})"
    a = inst.arrays[key]
    return a.conj() if node.conj else a


def ref_diagram(d: Diagram, inst) -> np.ndarray:
    """Plain numpy.einsum, one letter per wire, a delta array per delta node and
    an identity array per wire between two free legs."""
    letters = iter(string.ascii_letters)
    letter: dict = {}
    operands, specs = [], []
    for p, q in d.wires():
        if p[0] == BOUNDARY and q[0] == BOUNDARY:
            a, b = next(letters), next(letters)
            letter[p], letter[q] = a, b
            operands.append(np.eye(inst.size(d.port_size(p))))
            specs.append(a + b)
        else:
            letter[p] = letter[q] = next(letters)
    for v, node in d.nodes.items():
        operands.append(ref_node(node, inst))
        specs.append("".join(letter[(v, i)] for i in range(node.arity)))
    out = "".join(letter[(BOUNDARY, k)] for k in range(len(d.free)))
    c = sympy.sympify(d.scalar)  # an int or Fraction when no size symbol is in it
    scalar = complex(c.subs({s: inst.size(s) for s in c.free_symbols}))
    if not operands:
        return np.asarray(scalar)
    return np.asarray(scalar * np.einsum(",".join(specs) + "->" + out, *operands, optimize="greedy"))


# ------------------------------------------------------ evaluation = reference


def _instance_or_skip(d: Diagram, seed: int):
    try:
        return instance_for(d, seed=seed)
    except InputError as e:  # e.g. an isometry whose tip can never fit in 2–4
        assume("cannot be met" not in str(e))
        raise


@given(diagrams(max_nodes=5, bubbles=True), st.integers(0, 1000))
def test_evaluation_equals_the_explicit_delta_einsum_reference(d, seed):
    inst = _instance_or_skip(d, seed)
    got, want = evaluate(d, inst), ref_diagram(d, inst)
    assert got.shape == want.shape == tuple(inst.size(s) for s in d.free_sizes)
    assert allclose_rel(got, want)[0]


@given(diagrams(max_nodes=5, bubbles=True).flatmap(
    lambda d: st.tuples(st.just(d), isomorphic_copies(d))), st.integers(0, 1000))
def test_isomorphic_diagrams_evaluate_equal(pair, seed):
    d, e = pair
    inst = _instance_or_skip(d, seed)
    assert allclose_rel(evaluate(d, inst), evaluate(e, inst))[0]


def test_matrix_chain_is_the_matrix_product():
    A, B = decl("A", (n, m)), decl("B", (m, 3))
    d = Diagram()
    a = atom(d, A, d.add_free("i", n))
    atom(d, B, (a, 1), d.add_free("k", 3))
    inst = instance_for(d)
    assert np.allclose(evaluate(d, inst), inst.arrays["A"] @ inst.arrays["B"])


def test_trace_of_a_self_wired_tensor():
    A = decl("A", (n, n))
    d = Diagram()
    v = d.add_node(TensorNode(A))
    d.connect((v, 0), (v, 1))
    inst = instance_for(d)
    assert np.isclose(evaluate(d, inst), np.trace(inst.arrays["A"]))


def test_three_leg_delta_is_an_elementwise_product_with_a_free_leg():
    a, b = decl("a", (n,)), decl("b", (n,))
    d = Diagram()
    delta = d.add_node(DeltaNode(n, 3))
    atom(d, a, (delta, 0))
    atom(d, b, (delta, 1))
    d.connect((delta, 2), d.add_free("i", n))
    inst = instance_for(d)
    assert np.allclose(evaluate(d, inst), inst.arrays["a"] * inst.arrays["b"])


def test_one_leg_delta_sums_over_its_leg():
    A = decl("A", (n, m))
    d = Diagram()
    end = d.add_node(DeltaNode(m, 1))
    atom(d, A, d.add_free("i", n), (end, 0))
    inst = instance_for(d)
    assert np.allclose(evaluate(d, inst), inst.arrays["A"].sum(axis=1))


def test_bare_wire_between_free_legs_is_the_identity():
    d = Diagram()
    d.connect(d.add_free("i", n), d.add_free("j", n))
    inst = sample_instance([], 0, fixed_sizes={"n": 3})
    assert np.array_equal(evaluate(d, inst), np.eye(3))


def test_delta_with_every_leg_free_is_the_copy_tensor():
    d = Diagram()
    delta = d.add_node(DeltaNode(n, 3))
    for i, name in enumerate("ijk"):
        d.connect((delta, i), d.add_free(name, n))
    inst = sample_instance([], 0, fixed_sizes={"n": 3})
    want = np.zeros((3, 3, 3))
    want[[0, 1, 2], [0, 1, 2], [0, 1, 2]] = 1
    assert np.array_equal(evaluate(d, inst), want)


def test_two_free_legs_on_one_hyperedge_with_a_tensor():
    a = decl("a", (n,))
    d = Diagram()
    delta = d.add_node(DeltaNode(n, 3))
    atom(d, a, (delta, 0))
    d.connect((delta, 1), d.add_free("i", n))
    d.connect((delta, 2), d.add_free("j", n))
    inst = instance_for(d)
    assert np.allclose(evaluate(d, inst), np.diag(inst.arrays["a"]))


def test_closed_delta_component_is_its_size():
    d = Diagram()
    x, y = d.add_node(DeltaNode(n, 3)), d.add_node(DeltaNode(n, 3))
    for i in range(3):
        d.connect((x, i), (y, i))
    inst = sample_instance([], 0, fixed_sizes={"n": 4})
    assert evaluate(d, inst) == 4


def test_closed_loop_settled_into_the_scalar_evaluates_to_its_size():
    d = Diagram()
    v = d.add_node(DeltaNode(n, 2))
    d.connect((v, 0), (v, 1))
    d.settle_delta(v)
    inst = sample_instance([], 0, fixed_sizes={"n": 3})
    assert evaluate(d, inst) == 3


def test_symbolic_scalar_uses_the_instance_sizes():
    A = decl("A", (n,))
    d = Diagram(scalar=n**2 + sympy.I / 2)
    atom(d, A, d.add_free("i", n))
    inst = instance_for(d)
    size = inst.size(n)
    assert np.allclose(evaluate(d, inst), (size**2 + 0.5j) * inst.arrays["A"])


def test_scalar_only_diagram():
    d = Diagram(scalar=sympy.Rational(3, 2) * n)
    inst = sample_instance([], 0, fixed_sizes={"n": 2})
    assert evaluate(d, inst) == 3.0


def test_sum_adds_terms_and_orders_each_by_the_sum_legs():
    A = decl("A", (n, n))
    d1, d2 = Diagram(), Diagram(scalar=2)
    atom(d1, A, d1.add_free("i", n), d1.add_free("j", n))
    atom(d2, A, d2.add_free("j", n), d2.add_free("i", n))
    d2 = d2.with_free(["i", "j"])  # A[j, i] listed as [i, j]: the transpose
    s = Sum((d1, d2), ("i", "j"), (n, n))
    inst = instance_for(s)
    a = inst.arrays["A"]
    assert np.allclose(evaluate(s, inst), a + 2 * a.T)


def test_empty_sum_is_zero_of_the_right_shape():
    s = Sum((), ("i", "j"), (n, 2))
    inst = sample_instance([], 0, fixed_sizes={"n": 3})
    out = evaluate(s, inst)
    assert out.shape == (3, 2) and not out.any()


@pytest.mark.parametrize("fn", ["relu", "gelu", "exp", "tanh", "sigmoid", "sum"])
def test_bubble_applies_its_function_elementwise(fn):
    W = decl("W", (n, m), real=True)
    inner = Diagram()
    atom(inner, W, inner.add_free("i", n), inner.add_free("j", m))
    d = Diagram()
    d.add_node(BubbleNode(fn, Sum.of(inner)))
    d.connect((0, 0), d.add_free("i", n))
    d.connect((0, 1), d.add_free("j", m))
    inst = instance_for(d)
    assert np.allclose(evaluate(d, inst), REF_FUNCTIONS[fn](inst.arrays["W"]))


def test_gelu_is_the_tanh_approximation():
    d = Diagram()
    x = decl("x", (1,), real=True)
    inner = Diagram()
    atom(inner, x, inner.add_free("i", 1))
    d.add_node(BubbleNode("gelu", Sum.of(inner)))
    d.connect((0, 0), d.add_free("i", 1))
    inst = sample_instance([x], 0)
    inst.arrays["x"] = np.array([1.0])
    # tanh approximation of GELU(1); the erf form gives 0.8413447...
    assert np.isclose(evaluate(d, inst)[0], 0.8411919906082768, atol=1e-12)


def test_softmax_normalises_along_its_axis_and_conj_flips():
    S = decl("S", (n, m))
    inner = Diagram()
    atom(inner, S, inner.add_free("q", n), inner.add_free("k", m))
    d = Diagram()
    d.add_node(BubbleNode("softmax", Sum.of(inner), axis=1, conj=True))
    d.connect((0, 0), d.add_free("q", n))
    d.connect((0, 1), d.add_free("k", m))
    inst = instance_for(d)
    e = np.exp(inst.arrays["S"])
    assert np.allclose(evaluate(d, inst), (e / e.sum(axis=1, keepdims=True)).conj())


def test_bubble_output_is_contracted_outside():
    W, v = decl("W", (n, m), real=True), decl("v", (m,), real=True)
    inner = Diagram()
    atom(inner, W, inner.add_free("i", n), inner.add_free("j", m))
    d = Diagram()
    b = d.add_node(BubbleNode("relu", Sum.of(inner)))
    d.connect((b, 0), d.add_free("i", n))
    atom(d, v, (b, 1))
    inst = instance_for(d)
    assert np.allclose(evaluate(d, inst), np.maximum(inst.arrays["W"], 0) @ inst.arrays["v"])


# ------------------------------------------------------------------ big ones


def mps_norm(sites: int, bond: int = 2) -> Diagram:
    """<psi|psi> of a left-canonical MPS of isometries: exactly 1."""
    ds = [decl(f"L{s}", (2, bond) if s == 0 else (bond, 2) if s == sites - 1 else (bond, 2, bond),
               Kind.ISOMETRY, split=1 if s == 0 else 2) for s in range(sites)]
    d = Diagram()
    prev = None
    for x in ds:
        k = atom(d, x)
        b = atom(d, x, conj=True)
        phys = 0 if prev is None else 1
        d.connect((k, phys), (b, phys))
        if prev is not None:
            d.connect((prev[0], prev[2]), (k, 0))
            d.connect((prev[1], prev[2]), (b, 0))
        prev = (k, b, phys + 1)
    return d


def test_long_chain_beyond_einsum_letters_contracts():
    d = mps_norm(200)
    inst = instance_for(d)
    assert np.isclose(evaluate(d, inst), 1.0)


def test_mid_sized_networks_in_sequence_each_get_their_own_path():
    # Between greedy-only and optimal sizes the path comes from a hyper search;
    # a search reused across networks once returned the previous one's tree.
    for sites in (90, 70, 90):
        d = mps_norm(sites)
        assert np.isclose(evaluate(d, instance_for(d)), 1.0)


def test_too_wide_contraction_is_refused_with_the_width():
    A = decl("A", (n,) * 6)
    d = Diagram()
    atom(d, A, *[d.add_free(f"i{k}", n) for k in range(6)])
    inst = instance_for(d, fixed_sizes={"n": 4})
    with pytest.raises(TooLarge, match=r"width is 12\.0") as err:
        evaluate(d, inst, max_elements=2**10)
    assert isinstance(err.value, InputError) and err.value.width == 12.0


def test_contraction_plan_reports_flops_and_width():
    A, B = decl("A", (n, m)), decl("B", (m, n))
    d = Diagram()
    a = atom(d, A, d.add_free("i", n))
    atom(d, B, (a, 1), d.add_free("k", n))
    inst = instance_for(d, fixed_sizes={"n": 4, "m": 2})
    tree, flops, width = contraction_plan(d, inst)
    assert width == 4.0  # the 4 x 4 result
    assert flops == 4 * 2 * 4
    assert tree is not None


# ------------------------------------------------------------------- compare


def transposed_pair():
    A = decl("A", (n, n))
    left, right = Diagram(), Diagram()
    atom(left, A, left.add_free("i", n), left.add_free("j", n))
    atom(right, A, right.add_free("j", n), right.add_free("i", n))  # A[j, i]
    return left, right


def test_compare_finds_a_counterexample_for_a_transpose():
    left, right = transposed_pair()
    right = right.with_free(["i", "j"])
    cx = compare(Sum.of(left), Sum.of(right))
    assert isinstance(cx, Counterexample) and cx.difference > 0
    assert cx.format().startswith(f"sizes n={cx.sizes['n']}; seed {cx.seed}; largest difference ")


def test_compare_returns_none_for_equal_diagrams():
    left, _ = transposed_pair()
    assert compare(Sum.of(left), Sum.of(left.copy()), trials=2) is None


def test_compare_matches_free_legs_by_name_when_the_names_agree():
    left, right = transposed_pair()
    # A[i, j] listed as (j, i) is still A[i, j]: by name, i pairs with i.
    assert compare(left, left.with_free(["j", "i"])) is None
    # A[j, i] is the transpose however its legs are listed.
    assert right.free == ["j", "i"]
    assert compare(left, right) is not None


def test_compare_matches_free_legs_by_position_when_the_names_differ():
    left, right = transposed_pair()
    assert compare(left, right.renamed(["a", "b"])) is None  # both list A's legs in order
    swapped = right.permute_free([1, 0]).renamed(["a", "b"])
    assert compare(left, swapped) is not None


def test_compare_refuses_sides_with_different_numbers_of_legs():
    A = decl("A", (n, n))
    left, right = Diagram(), Diagram()
    atom(left, A, left.add_free("i", n), left.add_free("j", n))
    v = atom(right, A, None, right.add_free("i", n))
    right.connect((v, 0), (right.add_node(DeltaNode(n, 1)), 0))
    with pytest.raises(InputError, match="2 free legs .* 1"):
        compare(left, right)


def test_compare_reports_a_shape_mismatch_as_a_counterexample():
    A, B = decl("A", (n,)), decl("B", (m,))
    left, right = Diagram(), Diagram()
    atom(left, A, left.add_free("i", n))
    atom(right, B, right.add_free("i", m))
    cx = compare(left, right, constraints=[n < m])
    assert cx is not None and "shapes differ" in cx.format()


def test_compare_scalars_gives_both_values():
    A = decl("A", (n, n))
    tr = Diagram()
    v = tr.add_node(TensorNode(A))
    tr.connect((v, 0), (v, 1))
    cx = compare(tr, Diagram(scalar=n))
    assert cx is not None and cx.left is not None and cx.right == cx.sizes["n"]
    assert "left " in cx.format() and "right " in cx.format()


def test_counterexample_seed_and_sizes_reproduce_the_instance():
    left, right = transposed_pair()
    cx = compare(left, right.with_free(["i", "j"]), seed=11)
    decls = collect_decls(left).values()
    again = sample_instance(decls, cx.seed, fixed_sizes=cx.sizes)
    a = evaluate(left, again)
    assert np.isclose(np.abs(a - a.T).max(), cx.difference)


def test_compare_uses_the_kind_laws_isometry_cancels_but_projector_does_not():
    U = decl("U", (n, m), Kind.ISOMETRY, split=1)
    cancel = Diagram()
    u = atom(cancel, U, None, cancel.add_free("t", m), conj=True)
    atom(cancel, U, (u, 0), cancel.add_free("s", m))
    ident = Diagram()
    ident.connect(ident.add_free("t", m), ident.add_free("s", m))
    assert compare(cancel, ident) is None
    proj = Diagram()
    p = atom(proj, U, proj.add_free("a", n), None)
    atom(proj, U, proj.add_free("b", n), (p, 1), conj=True)
    ident2 = Diagram()
    ident2.connect(ident2.add_free("a", n), ident2.add_free("b", n))
    assert compare(proj, ident2, constraints=[m < n]) is not None


def test_allclose_rel_is_relative_to_the_largest_entry():
    big = np.array([1e6, 1.0])
    assert allclose_rel(big, big + np.array([0.0, 1e-3]))[0]
    assert not allclose_rel(np.array([1.0, 1.0]), np.array([1.0, 1.001]))[0]
    assert allclose_rel(np.zeros(3), np.full(3, 1e-12))[0]
    assert allclose_rel(np.zeros(2), np.zeros(3)) == (False, math.inf)


def test_product_of_diagrams_evaluates_to_the_outer_product():
    a, b = decl("a", (n,)), decl("b", (m,))
    da, db = Diagram(), Diagram()
    atom(da, a, da.add_free("i", n))
    atom(db, b, db.add_free("j", m))
    d = product(da, db)
    inst = instance_for(d)
    assert np.allclose(evaluate(d, inst), np.outer(inst.arrays["a"], inst.arrays["b"]))


# ------------------------------------------------------------ through the text


def program(src: str):
    from rewrite.language.env import build_program
    from rewrite.language.parse import parse

    return build_program(parse(src))


def test_text_kron_of_identities_evaluates_to_the_big_identity():
    env = program("let e = einsum(eye(5), eye(3), 'i j, k l -> (i k) (j l)')\n")
    e = env.lets["e"]
    inst = instance_for(e)
    assert np.array_equal(evaluate(e, inst), np.eye(15))


def test_text_trace_cycling_holds_numerically_and_transpose_does_not():
    env = program("dim n\ntensor A[i: n, j: n]\ntensor B[i: n, j: n]\ntensor C[i: n, j: n]\n"
                  "let l = tr(A @ B @ C)\nlet r = tr(C @ A @ B)\n"
                  "let a = A[i, j]\nlet t = A[j, i]\n")
    assert compare(env.lets["l"], env.lets["r"], constraints=env.constraints) is None
    cx = compare(env.lets["a"], env.lets["t"])
    assert cx is not None and cx.format().startswith("sizes n=")


def test_text_numpy_einsum_is_the_matrix_product():
    env = program("dim n, m\ntensor A[i: n, j: m]\ntensor B[j: m, k: n]\n"
                  "let p = einsum('ij,jk->ik', A, B)\n")
    p = env.lets["p"]
    inst = instance_for(p)
    assert np.allclose(evaluate(p, inst), inst.arrays["A"] @ inst.arrays["B"])


def test_text_isometry_projector_is_refuted_against_the_identity():
    env = program("dim n, k\nisometry U[a: n -> b: k]\n"
                  "let proj = U[a, b] conj(U)[c, b]\nlet one = δ[a: n, c]\n")
    n_, k_ = env.dims["n"], env.dims["k"]
    cx = compare(env.lets["proj"], env.lets["one"], constraints=env.constraints + [k_ < n_])
    assert cx is not None and cx.sizes["k"] < cx.sizes["n"]


def test_text_softmax_rows_sum_to_one():
    env = program("dim q, k\ntensor s[a: q, b: k]\nlet p = softmax[b](s[a, b])\n")
    p = env.lets["p"]
    out = evaluate(p, instance_for(p))
    assert np.allclose(out.sum(axis=1), 1)


def wide_tensor_pair():
    A = decl("A", (n,) * 6)
    d = Diagram()
    atom(d, A, *[d.add_free(f"i{k}", n) for k in range(6)])
    return d, d.copy()


def test_compare_retries_a_too_large_trial_with_the_smallest_sizes():
    left, right = wide_tensor_pair()
    assert compare(left, right, max_elements=2**6, trials=3) is None  # 2**6 fits only n = 2


def test_compare_gives_up_with_too_large_when_even_the_smallest_sizes_do_not_fit():
    left, right = wide_tensor_pair()
    right.scalar = right.scalar * 2  # identical sides would need no numbers at all
    with pytest.raises(TooLarge):
        compare(left, right, max_elements=2**5)
