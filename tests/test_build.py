"""Construction semantics: syntax tree -> port graphs, rules, and numbers.

Structural tests read the Diagram API (nodes by type, free legs, wires);
numeric tests check that every seed einsum call means what numpy.einsum says.
"""
import re
import string
from collections import Counter

import numpy as np
import pytest
import sympy

from rewrite.language.env import Env, build_program
from rewrite.language.expressions import build_expr
from rewrite.core.canon import isomorphic
from rewrite.core.diagram import BOUNDARY, BubbleNode, DeltaNode, TensorNode
from rewrite.core.errors import InputError
from rewrite.core.kinds import Kind
from rewrite.numerics.evaluate import evaluate
from rewrite.language.parse import parse
from rewrite.core.pattern import DELTA, Slot, VarKind
from rewrite.numerics.sample import sample_instance

PRELUDE = """
dim n, m, k
dim d = 2
tensor A[i: n, j: n]
tensor B[i: n, j: n]
tensor C[i: n, j: n]
tensor v[i: n]
tensor a[i: n]
tensor b[i: n]
tensor T[i: n, j: n, l: n]
tensor R[i: n, j: m]
tensor M[i: n*m, j: n]
tensor s[q: n, k: n]
isometry U[a: n -> b: k]
invertible X[a: n, b: n]
diagonal D[i: n, j: n]
real tensor W[h: d, f: m]
let psi = A[i, j] B[j, l]
let P[x, y] = A[y, x]
"""


@pytest.fixture(scope="module")
def env():
    return build_program(parse(PRELUDE))


def one(text, env):
    s = build_expr(parse(text)[0].expr, env)
    assert len(s.terms) == 1
    return s.terms[0]


def census(d):
    c = Counter()
    for node in d.nodes.values():
        if isinstance(node, DeltaNode):
            c[f"δ{node.arity}"] += 1
        elif isinstance(node, TensorNode):
            c[node.title] += 1
        else:
            c[node.fn] += 1
    return dict(c)


def n_wires(d):
    return len(d.link) // 2


N = sympy.Symbol("n", positive=True, integer=True)


# ------------------------------------------------------------------ products


def test_shared_index_is_a_wire(env):
    d = one("A[i, j] B[j, k]", env)
    assert census(d) == {"A": 1, "B": 1}
    assert d.free == ["i", "k"] and n_wires(d) == 3


def test_repeated_index_in_one_tensor_is_a_trace(env):
    d = one("A[i, i]", env)
    assert d.free == [] and d.link[(0, 0)] == (0, 1)


def test_index_on_three_legs_is_one_delta(env):
    d = one("A[i, α, β] v[β] T[β, α, j]".replace("A[i, α, β]", "T[i, α, β]"), env)
    assert census(d) == {"T": 2, "v": 1, "δ3": 1}


def test_free_legs_in_order_of_first_appearance(env):
    assert one("B[j, k] A[i, j]", env).free == ["k", "i"]


def test_explicit_output_orders_free_legs(env):
    assert one("A[i, j] B[j, k] -> [k, i]", env).free == ["k", "i"]


def test_output_index_counts_once_more_elementwise_product(env):
    d = one("a[i] b[i] -> [i]", env)
    assert census(d) == {"a": 1, "b": 1, "δ3": 1} and d.free == ["i"]


def test_unlisted_single_index_is_summed(env):
    d = one("a[i] -> []", env)
    assert census(d) == {"a": 1, "δ1": 1} and d.free == []


def test_delta_two_legs_is_index_aliasing(env):
    d = one("δ[i, j] A[j, k]", env)
    assert census(d) == {"A": 1} and d.free == ["i", "k"]


def test_lone_two_leg_delta_is_a_bare_wire(env):
    d = one("δ[i: n, j]", env)
    assert d.nodes == {} and d.link[(BOUNDARY, 0)] == (BOUNDARY, 1)


def test_closed_identity_loop_is_its_size(env):
    d = one("δ[i: n, i]", env)
    assert d.nodes == {} and d.scalar == N


def test_connected_deltas_fuse(env):
    d = one("δ[i, j, x] δ[x, l, m] a[i] a[j] a[l] a[m]", env)
    assert census(d) == {"a": 4, "δ4": 1}


def test_eye_is_an_identity_line(env):
    d = one("eye(n)", env)
    assert d.nodes == {} and d.link[(BOUNDARY, 0)] == (BOUNDARY, 1)


def test_bare_declared_name_uses_its_own_legs(env):
    d = one("A B", env)  # both have legs i, j: contracted
    assert d.free == [] and census(d) == {"A": 1, "B": 1}


def test_bare_let_contracts_with_its_conjugate_norm(env):
    d = one("psi conj(psi)", env)
    assert d.free == [] and census(d) == {"A": 1, "B": 1, "conj(A)": 1, "conj(B)": 1}


def test_let_with_legs_renames_positionally_and_traces(env):
    assert one("P[x, y]", env).free == ["x", "y"]
    assert one("P[x, x]", env).free == []


def test_let_internal_indices_are_hygienic(env):
    # psi sums over j inside; the outer j must not capture it
    d = one("psi[x, y] a[j]", env)
    assert d.free == ["x", "y", "j"] and census(d) == {"A": 1, "B": 1, "a": 1}


def test_one_term_parenthesised_product_is_inlined(env):
    d = one("(A[i, j] B[j, k]) C[k, l]", env)
    assert census(d) == {"A": 1, "B": 1, "C": 1}


def test_parenthesised_sum_in_a_product_is_a_sum_bubble(env):
    d = one("(A[i, j] + B[i, j]) C[j, k]", env)
    assert census(d) == {"sum": 1, "C": 1}
    [bub] = [x for x in d.nodes.values() if isinstance(x, BubbleNode)]
    assert len(bub.inside.terms) == 2


def test_renaming_free_legs_of_any_expression(env):
    assert one("(A[i, k] B[k, j])[x, y]", env).free == ["x", "y"]


def test_conj_of_a_tensor(env):
    d = one("conj(U)[a, b]", env)
    [t] = d.nodes.values()
    assert t.conj and t.decl.name == "U"


def test_conj_of_an_expression_flips_every_tensor(env):
    d = one("conj(A[i, j] B[j, k])", env)
    assert census(d) == {"conj(A)": 1, "conj(B)": 1}


def test_inv_and_diag(env):
    d = one("inv(X)[a, b] diag(D)[b]", env)
    assert census(d) == {"inv(X)": 1, "diag(D)": 1}


def test_index_size_annotation_sizes_a_delta(env):
    d = one("δ[i: n, j, l] a[i]", env)
    assert census(d) == {"a": 1, "δ3": 1} and d.free_sizes == [N, N]


def test_dim_substitution_connects_concrete_sizes(env):
    d = one("W[h, f] δ[h: 2, x]", env)  # W's h has size d, and dim d = 2
    assert d.free == ["f", "x"] and d.free_sizes[1] == 2


# --------------------------------------------------------------- grouped legs


def test_split_leg_with_part_size_from_annotation(env):
    d = one("M[(i: n l), j]", env)
    assert census(d) == {"M": 1, "fuse(n,m)": 1}
    assert d.free == ["i", "l", "j"] and d.free_sizes[1] == sympy.Symbol("m", positive=True,
                                                                          integer=True)


def test_split_leg_with_part_size_from_context(env):
    d = one("M[(i l), j] R[i, l]", env)
    assert census(d) == {"M": 1, "R": 1, "fuse(n,m)": 1} and d.free == ["j"]


def test_grouped_output_is_a_fuse(env):
    d = one("A[i, j] -> [(i j)]", env)
    assert census(d) == {"A": 1, "fuse(n,n)": 1} and d.free_sizes == [N * N]


# --------------------------------------------------------------------- sums


def test_sum_terms_carry_coefficients(env):
    s = build_expr(parse("2 A[i, j] + 1/2 B[i, j] - n C[i, j]")[0].expr, env)
    assert [t.scalar for t in s.terms] == [2, sympy.Rational(1, 2), -N]


def test_sum_terms_reordered_to_the_first_terms_order(env):
    s = build_expr(parse("A[i, j] + B[j, i]")[0].expr, env)
    assert s.free == ("i", "j") and all(t.free == ["i", "j"] for t in s.terms)
    b = s.terms[1]
    [bv] = [v for v, x in b.nodes.items() if x.title == "B"]
    assert b.link[(bv, 0)] == (BOUNDARY, 1)


# ------------------------------------------------------------------ bubbles


def test_bubble_keeps_free_legs_of_its_argument(env):
    d = one("relu(A[h, f] v[h]) B[f, g]", env)
    assert census(d) == {"relu": 1, "B": 1} and d.free == ["g"]


def test_softmax_axis_is_the_port_of_its_index(env):
    d = one("softmax[k](s[q, k])", env)
    [bub] = d.nodes.values()
    assert bub.fn == "softmax" and bub.axis == 1


# -------------------------------------------------------------- matrix sugar


def test_matmul_builds_the_index_graph(env):
    d = one("A @ B", env)
    e = one("A[i, j] B[j, k]", env)
    assert d.free == ["#0", "#1"] and isomorphic(d, e, by_position=True)


def test_trace_is_invariant_under_cycling(env):
    assert isomorphic(one("tr(A @ B @ C)", env), one("tr(C @ A @ B)", env))


def test_transpose_and_conjugate_transpose(env):
    t = one("A.T", env)
    [v] = t.nodes
    assert t.link[(v, 0)] == (BOUNDARY, 1)
    h = one("A.H", env)
    assert census(h) == {"conj(A)": 1}


def test_matrix_vector_product(env):
    d = one("A @ v", env)
    assert d.free == ["#0"] and census(d) == {"A": 1, "v": 1}


def test_kron_fuses_row_major(env):
    d = one("kron(A, B)", env)
    assert census(d) == {"A": 1, "B": 1, "fuse(n,n)": 2}
    assert d.free_sizes == [N * N, N * N]


def test_anonymous_legs_of_two_sugar_atoms_do_not_connect(env):
    d = one("(A @ B) (B @ C)", env)
    assert len(d.free) == 4


# ------------------------------------------------------------------- einsum


def test_einsum_output_names_are_free_legs_and_contract_outside(env):
    d = one("einsum(A, B, 'i j, j k -> i k') C[k, l]", env)
    assert d.free == ["i", "l"] and census(d) == {"A": 1, "B": 1, "C": 1}


def test_einsum_internal_names_never_capture_outer_ones(env):
    d = one("einsum(A, B, 'i j, j k -> i k') a[j]", env)
    assert d.free == ["i", "k", "j"]


def test_einsum_numpy_implicit_output_is_sorted_single_letters(env):
    d = one("einsum('ji,jk', A, B)", env)
    assert d.free == ["i", "k"]


def test_einsum_grouped_output(env):
    d = one("einsum(eye(5), eye(3), 'i j, k l -> (i k) (j l)')", env)
    assert census(d) == {"fuse(5,3)": 2} and d.free_sizes == [15, 15]


ELLIPSIS_DECLS = """
dim n, m, b, c
tensor A[x: b, i: n, j: m]
tensor B[x: b, j: m, k: n]
tensor A4[y: c, x: b, i: n, j: m]
tensor K[j: m, k: n]
tensor S[i: n, j: n]
"""

ELLIPSIS_CALLS = [
    # (our call, numpy spec, operands)
    ("einsum('...ij,...jk->...ik', A, B)", "...ij,...jk->...ik", ["A", "B"]),
    ("einsum('...ij,...jk', A, B)", "...ij,...jk", ["A", "B"]),
    ("einsum('...ij,...jk->...ik', A4, B)", "...ij,...jk->...ik", ["A4", "B"]),
    ("einsum('...ij,jk->...ik', A4, K)", "...ij,jk->...ik", ["A4", "K"]),
    ("einsum('...ii->...i', S)", "...ii->...i", ["S"]),
    ("einsum('i...->...', S)", "i...->...", ["S"]),
    ("einsum('...->...', A)", "...->...", ["A"]),
    ("einsum('x...j,jk->...kx', A, K)", "x...j,jk->...kx", ["A", "K"]),
    ("einsum(A4, B, '... i j, ... j k -> ... i k')", "...ij,...jk->...ik", ["A4", "B"]),
    ("einsum(A4, K, '... j, j k -> k ...')", "...j,jk->k...", ["A4", "K"]),
]


@pytest.mark.parametrize("call,spec,operands", ELLIPSIS_CALLS)
def test_einsum_ellipsis_broadcasts_like_numpy(call, spec, operands):
    env = build_program(parse(ELLIPSIS_DECLS))
    s = build_expr(parse(call)[0].expr, env)
    inst = sample_instance(env.decls.values(), seed=3, constraints=env.constraints)
    want = np.einsum(spec, *(inst.arrays[o] for o in operands))
    assert np.allclose(evaluate(s, inst), want)


def test_einsum_ellipsis_legs_take_the_names_their_tensor_gives_them():
    env = build_program(parse(ELLIPSIS_DECLS))
    d = build_expr(parse("einsum('...ij,...jk->...ik', A4, B)")[0].expr, env).single
    assert d.free == ["y", "x", "i", "k"]


def test_einsum_ellipsis_name_clashing_with_the_spec_gets_a_number():
    env = build_program(parse(ELLIPSIS_DECLS))
    d = build_expr(parse("einsum('...xj,jk->...xk', A, K)")[0].expr, env).single
    assert d.free == ["x2", "x", "k"]


def test_einsum_ellipsis_grouped_in_an_einops_output():
    env = build_program(parse(ELLIPSIS_DECLS))
    s = build_expr(parse("einsum(A4, K, '... j, j k -> (... k)')")[0].expr, env)
    inst = sample_instance(env.decls.values(), seed=3, constraints=env.constraints)
    want = np.einsum("...j,jk->...k", inst.arrays["A4"], inst.arrays["K"]).reshape(-1)
    assert np.allclose(evaluate(s, inst), want)


@pytest.mark.parametrize("call,message", [
    ("einsum('...ij,...jk->ik', A, B)", "the output drops the legs under '...'"),
    ("einsum('...ijk->...', K)", "operand 1 of einsum has 2 legs but the spec names 3"),
    ("einsum('......i->i', K)", "operand 1's spec has '...' twice"),
    ("einsum('...j->......', K)", "the output has '...' twice"),
    ("einsum('..ij->ij', K)", "unexpected '.'"),
    ("einsum(K, '. j -> j')", "'.' is not an index name"),
    ("einsum(K, 'i+j -> i')", "'i+j' is not an index name"),
])
def test_einsum_ellipsis_errors(call, message):
    env = build_program(parse(ELLIPSIS_DECLS))
    with pytest.raises(InputError, match=re.escape(message)):
        build_expr(parse(call)[0].expr, env)


# -------------------------------------------------------------------- rules


def test_rule_sides_become_pattern_atoms(env):
    src = "rule cancel(X: invertible): X[a, b] inv(X)[b, c] => δ[a, c]"
    e = Env()
    build_program(parse(src), e)
    [r] = e.rules
    assert r.params == {"X": VarKind(Kind.INVERTIBLE)}
    assert [at.head for at in r.lhs.atoms] == ["X", "X"] and r.lhs.atoms[1].op == "inv"
    assert r.rhs.atoms[0].head == DELTA
    assert r.lhs.boundary == ("a", "c") and r.source == src


def test_rule_groups_and_split(env):
    e = Env()
    build_program(parse("rule iso(U: real isometry): U[*w -> *t] U[*w -> *s] => δ[*t, *s]"), e)
    [r] = e.rules
    assert r.groups == frozenset({"w", "t", "s"})
    assert r.params["U"] == VarKind(Kind.ISOMETRY, real=True)
    assert r.lhs.atoms[0].args == (Slot(("w",), True), Slot(("t",), True))
    assert r.lhs.atoms[0].split == 1


def test_rule_named_tensor_records_its_declaration(env):
    e = build_program(parse("dim n\ntensor A[i: n, j: n]\nrule sym: A[i, j] => A[j, i]"))
    assert e.rules[0].decls["A"].name == "A"


def test_rule_coefficient(env):
    e = build_program(parse("dim n\ntensor A[i: n]\nrule half: A[i] => 1/2 n A[i]"))
    assert e.rules[0].rhs.coeff == sympy.Rational(1, 2) * N


# ---------------------------------------------------------------- constraints


def test_symbolic_isometry_records_size_constraint():
    e = build_program(parse("dim n, k\nisometry U[a: n -> b: k]\nunitary Q[a: n -> b: k]"))
    assert sympy.Ge(sympy.Symbol("n", positive=True, integer=True),
                    sympy.Symbol("k", positive=True, integer=True)) in e.constraints
    assert any(isinstance(c, sympy.Eq) for c in e.constraints)


# ------------------------------------------------------- numbers vs numpy.einsum

SEED_DECLS = """
dim n, r
tensor A[i: n, j: n]
tensor V[i: n, j: n]
tensor B[i: n, j: n, l: n]
tensor W[i: n, j: n, l: n]
tensor C[i: n, j: n, l: n]
tensor X[i: n, j: n, l: n]
tensor D[i: n, j: n, l: n]
tensor Y[i: n, j: n, l: n]
tensor E[i: n, j: n]
tensor Z[i: n, j: n]
tensor v[i: n]
tensor a[i: n]
tensor b[i: n]
tensor x[s: n, h: r]
tensor match[h: r, g: r]
tensor prev_token_head[s: n, t: n]
tensor λ[s: r]
tensor U[i: n, s: r]
tensor P[i: n, s: r]
tensor Q[i: n, s: r]
tensor G[a: r, b: r, c: r]
tensor Lam[j: n]
"""

SEED_CALLS = [
    ("einsum(a, b, 'i, j, -> i j')", ["a", "b"]),
    ("einsum(a, b, 'i, i, -> ')", ["a", "b"]),
    ("einsum(B, v, B, 'i α β, β, β α j -> i j')", ["B", "v", "B"]),
    ("einsum(A,V,B,W,C,X,D,Y,E,Z,'i j, i r, j k l, r k s, l m n, s m t, n o p, t o u, p q, "
     "u q -> ')", ["A", "V", "B", "W", "C", "X", "D", "Y", "E", "Z"]),
    ("einsum(x, match, x, prev_token_head, 'seq0 hidden0, hidden0 hidden1, seq1 hidden1, "
     "seq1 seq2 -> seq2 seq0')", ["x", "match", "x", "prev_token_head"]),
    ("einsum(λ, U, P, Q, 's, i s, j s, k s -> i j k')", ["λ", "U", "P", "Q"]),
    ("einsum(G, U, P, Q, 'a b c, i a, j b, k c -> i j k')", ["G", "U", "P", "Q"]),
    ("einsum(A, Lam, conj(V), ' i j, j, k j -> i k')", ["A", "Lam", "conj(V)"]),
    ("einsum('ij,jk->ik', A, V)", ["A", "V"]),
]


def _numpy_spec(spec: str) -> str:
    """einops names -> one letter each, for numpy.einsum."""
    lhs, rhs = spec.split("->")
    letters: dict[str, str] = {}
    pool = iter(string.ascii_letters)

    def conv(words):
        return "".join(letters.setdefault(w, next(pool)) for w in words.split())

    ins = [conv(x) for x in lhs.split(",") if x.strip() or lhs.count(",") == 0]
    return ",".join(ins) + "->" + conv(rhs)


@pytest.mark.parametrize("call,operands", SEED_CALLS)
def test_seed_einsum_evaluates_like_numpy(call, operands):
    env = build_program(parse(SEED_DECLS))
    s = build_expr(parse(call)[0].expr, env)
    inst = sample_instance(env.decls.values(), seed=1, constraints=env.constraints)
    got = evaluate(s, inst)
    spec = call[call.index("'") + 1:call.rindex("'")]
    if call.startswith("einsum('"):
        nspec = spec
    else:
        nspec = _numpy_spec(spec)
    arrays = []
    for op in operands:
        if op.startswith("conj("):
            arrays.append(np.conj(inst.arrays[op[5:-1]]))
        else:
            arrays.append(inst.arrays[op])
    want = np.einsum(nspec, *arrays)
    assert np.allclose(got, want)


def test_grouped_einsum_of_identities_is_the_big_identity():
    env = Env()
    s = build_expr(parse("einsum(eye(5), eye(3), 'i j, k l -> (i k) (j l)')")[0].expr, env)
    inst = sample_instance([], seed=0)
    assert np.allclose(evaluate(s, inst), np.eye(15))


def test_kron_is_numpy_kron(env):
    s = build_expr(parse("kron(A, R)")[0].expr, env)
    inst = sample_instance(env.decls.values(), seed=2, constraints=env.constraints)
    assert np.allclose(evaluate(s, inst), np.kron(inst.arrays["A"], inst.arrays["R"]))


def test_split_leg_is_numpy_reshape(env):
    s = build_expr(parse("M[(i: n l), j]")[0].expr, env)
    inst = sample_instance(env.decls.values(), seed=3, constraints=env.constraints)
    nn, mm = inst.size(N), inst.size(sympy.Symbol("m", positive=True, integer=True))
    assert np.allclose(evaluate(s, inst), inst.arrays["M"].reshape(nn, mm, nn))


# ----------------------------------------------------------------- equations


def test_equation_sizes_a_lone_delta_from_the_other_side(env):
    from rewrite.language.expressions import build_equation

    [stmt] = parse("prove conj(U)[a, b] U[a, c] == δ[b, c]")
    left, right = build_equation(stmt, env)
    k = sympy.Symbol("k", positive=True, integer=True)
    assert right.sizes == (k, k) and right.terms[0].nodes == {}


def test_equation_sizes_by_position_through_the_output(env):
    from rewrite.language.expressions import build_equation

    [stmt] = parse("prove δ[x, y] -> [x, y] == A[i, j]")
    left, right = build_equation(stmt, env)
    assert left.sizes == (N, N)


# ------------------------------------------------------------ scaling by * and /


def _scalar_and_nodes(text: str):
    env = build_program(parse("dim n\ntensor A[i: n, j: n]\n"))
    (st,) = parse("show " + text)
    s = build_expr(st.expr, env)
    return s.terms[0].scalar, len(s.terms[0].nodes)


def test_star_scales_by_numbers_and_sizes():
    n = sympy.Symbol("n", positive=True, integer=True)
    assert _scalar_and_nodes("2*n A[i, j]") == (2 * n, 1)


def test_slash_divides_by_a_size():
    n = sympy.Symbol("n", positive=True, integer=True)
    assert _scalar_and_nodes("1/n A[i, j]") == (1 / n, 1)
    assert _scalar_and_nodes("A[i, j] / (2 n)") == (1 / (2 * n), 1)


def test_eye_takes_a_product_of_sizes_as_the_seed_writes_it():
    env = build_program(parse("dim n\n"))
    (st,) = parse("show eye(5*3)")
    s = build_expr(st.expr, env)
    assert s.sizes == (15, 15)


def test_star_between_two_tensors_is_refused_with_a_hint():
    env = build_program(parse("dim n\ntensor A[i: n, j: n]\n"))
    (st,) = parse("show A[i, j] * A[j, k]")
    with pytest.raises(InputError, match="write tensors side by side"):
        build_expr(st.expr, env)


def test_dividing_by_a_tensor_is_refused():
    env = build_program(parse("dim n\ntensor A[i: n, j: n]\n"))
    (st,) = parse("show A[i, j] / A[i, j]")
    with pytest.raises(InputError, match="only numbers and sizes can divide"):
        build_expr(st.expr, env)


def test_let_names_a_grouped_leg():
    env = build_program(parse("dim n, m, k\ntensor T[i: n, j: m, k: k]\n"
                              "let M[r, k] = T[i, j, k] -> [(i j), k]\n"))
    assert env.lets["M"].free == ("r", "k")


def test_let_names_the_positional_legs_of_matrix_sugar():
    env = build_program(parse("dim n, m\ntensor A[i: n, j: m]\ntensor B[j: m, k: n]\n"
                              "let P[x, y] = A @ B\n"))
    assert env.lets["P"].free == ("x", "y")
