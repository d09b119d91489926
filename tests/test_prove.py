"""prove: proved only when true (every proved verdict is re-checked numerically),
refuted with a counterexample, unknown when numbers agree but no proof is found."""
import pytest
import sympy

from rewrite.core.diagram import Diagram, Sum
from rewrite.core.errors import InputError
from rewrite.core.kinds import fuse_decl
from rewrite.numerics.evaluate import compare
from rewrite.rewriting.prove import align, check, prove
from rewrite.app.session import Session
from test_engine import CORE
from test_match import GAUGE, decl, host

A = decl("A", "tensor", (2, 3))
B = decl("B", "tensor", (3, 4))
C = decl("C", "tensor", (4, 2))
U = decl("U", "isometry", (3,), (2,))
X = decl("X", "invertible", (3,), (3,))
Q = decl("Q", "unitary", (2,), (2,))


def identity(n, names=("a", "b")) -> Diagram:
    d = Diagram()
    d.connect(d.add_free(names[0], n), d.add_free(names[1], n))
    return d


def verdict(left, right, **kw):
    v = prove(left, right, CORE, expansions=[GAUGE], **kw)
    if v.kind == "proved":  # a proof must never be wrong
        assert compare(left, right, trials=3, seed=11) is None
    return v


def test_trace_cycling_is_proved():
    v = verdict(host("A[i, j] B[j, k] C[k, i]", A, B, C), host("C[k, i] A[i, j] B[j, k]", A, B, C))
    assert v.kind == "proved" and v.how == "normal forms"


def test_adjoint_isometry_times_isometry_is_the_identity():
    v = verdict(host("conj(U)[w, a] U[w, b]", U), identity(2))
    assert v.kind == "proved" and v.how == "normal forms"
    assert [s.rule for s in v.left_steps] == ["isometry"]


def test_isometry_times_adjoint_is_refuted_when_not_square():
    v = verdict(host("U[a, c] conj(U)[b, c]", U), identity(3))
    assert v.kind == "refuted" and v.counterexample is not None


def test_trace_of_abc_is_not_trace_of_bac():
    A2, B2, C2 = (decl(n, "tensor", (3, 3)) for n in "ABC")
    v = verdict(host("A[i, j] B[j, k] C[k, i]", A2, B2, C2), host("B[i, j] A[j, k] C[k, i]", A2, B2, C2))
    assert v.kind == "refuted"


def test_kron_of_identities_is_the_identity():
    F = fuse_decl((sympy.Integer(5), sympy.Integer(3)))
    v = verdict(host("F[i, k, a] F[i, k, b]", F=F), identity(15))
    assert v.kind == "proved" and v.how == "normal forms"


def test_gauge_on_a_bond_of_an_mps_is_proved():
    L = decl("L", "tensor", (2, 3))
    R = decl("R", "tensor", (3, 2))
    v = verdict(host("L[p, b] X[b, c] inv(X)[c, e] R[e, q]", L, R, X), host("L[p, b] R[b, q]", L, R))
    assert v.kind == "proved" and v.how == "normal forms"


def test_a_distributed_product_is_proved_after_expand():
    text = ("dim n\ntensor A[i: n, j: n]\ntensor B[i: n, j: n]\ntensor C[i: n, j: n]\n"
            "prove (A[i, j] + B[i, j]) C[j, k] == A[i, j] C[j, k] + B[i, j] C[j, k]\n")
    (r,) = Session().run(text, "t.tn")
    assert r.status == "proved" and r.verdict.how == "after expand"


def test_true_but_unprovable_is_unknown():
    # sqrt(a ⊙ a) = |a| holds for real a, but no law relates sqrt of a square to abs.
    text = "dim n\nreal tensor a[i: n]\nprove sqrt(a[i] a[i] -> [i]) == abs(a[i])\n"
    (r,) = Session().run(text, "t.tn")
    assert r.status == "unknown" and r.verdict.counterexample is None


def test_a_unitarys_inverse_is_found_by_the_search_without_the_unitary_inverse_rule():
    # inv(Q) = Q†: CORE here lacks `unitary_inverse`, so the normal forms differ;
    # a gauge Q inv(Q) next to conj(Q) lets the isometry rule finish the proof.
    v = verdict(host("inv(Q)[a, b]", Q), host("conj(Q)[b, a]", Q))
    assert v.kind == "proved" and v.how.startswith("search: 1 expansion")
    assert [s.rule for s in v.right_steps] == ["gauge", "isometry"]


def test_free_legs_matched_by_position_when_names_differ():
    left = host("A[i, j]", A)
    right = host("A[x, y]", A)
    assert verdict(left, right).kind == "proved"
    assert align(Sum.of(left), Sum.of(right)).free == ("i", "j")


def test_free_legs_matched_by_name_when_both_sides_name_them():
    A2 = decl("A", "tensor", (3, 3))
    assert verdict(host("A[i, j]", A2), host("A[i, j]", A2)).kind == "proved"
    assert verdict(host("A[i, j]", A2), host("A[j, i]", A2)).kind == "refuted"


def test_different_numbers_of_free_legs_is_an_input_error():
    with pytest.raises(InputError):
        prove(host("A[i, j]", A), host("A[i, i2] A[i3, i4]", A), CORE)


def test_check_is_numeric_only():
    assert check(host("conj(U)[w, a] U[w, b]", U), identity(2)).kind == "holds"
    assert check(host("U[a, c] conj(U)[b, c]", U), identity(3)).kind == "refuted"


def test_a_unitarys_inverse_and_its_conjugate_transpose_share_a_normal_form():
    text = "dim n\nunitary Q[a: n, b: n]\nprove inv(Q) == Q.H\nprove conj(inv(Q)) == Q.T\n"
    assert [r.status for r in Session().run(text, "t.tn")] == ["proved", "proved"]
