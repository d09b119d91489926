"""§10 "sugar meets names", lone deltas sized by position, and a bare 0."""
import numpy as np
import pytest

from rewrite.app.session import Session
from rewrite.core.errors import InputError
from rewrite.language.expressions import build_equation, build_expr
from rewrite.language.parse import parse
from rewrite.numerics.evaluate import evaluate
from rewrite.numerics.sample import sample_instance

DECLS = "dim n, m\ntensor B[i: n, j: m]\ntensor x[j: m]\ntensor b[i: n]\ntensor A[i: n, j: n]\n"


def session_with(decls: str = DECLS) -> Session:
    s = Session()
    s.run(decls)
    return s


def built(text: str, s: Session):
    (stmt,) = parse(f"show {text}")
    return build_expr(stmt.expr, s.env)


def verdict(text: str, decls: str = DECLS) -> str:
    return session_with(decls).run(text)[0].status


def test_a_sugar_term_takes_the_named_terms_legs_by_position():
    s = session_with()
    y = built("B @ x + b", s)
    assert list(y.free) == ["i"]
    inst = sample_instance(s.env.decls.values(), 5)
    want = inst.array("B") @ inst.array("x") + inst.array("b")
    assert np.allclose(evaluate(y, inst), want)


def test_a_matrix_plus_its_transpose_matches_numpy():
    s = session_with()
    y = built("A + A.T", s)
    inst = sample_instance(s.env.decls.values(), 7)
    a = inst.array("A")
    assert list(y.free) == ["i", "j"] and np.allclose(evaluate(y, inst), a + a.T)


def test_identity_minus_a_matrix_names_its_legs_after_the_matrix():
    s = session_with()
    y = built("eye(n) - A", s)
    inst = sample_instance(s.env.decls.values(), 2)
    assert list(y.free) == ["i", "j"]
    assert np.allclose(evaluate(y, inst), np.eye(len(inst.array("A"))) - inst.array("A"))


@pytest.mark.parametrize("stmt", [
    "prove B @ x + b == B[i, j] x[j] + b[i]",
    "prove A + A.T == A[i, j] + A[j, i]",
    "prove eye(n) - A == δ[i, j] - A[i, j]",
])
def test_sugar_meets_names_in_proofs(stmt):
    assert verdict(stmt) == "proved"


def test_terms_meeting_by_position_must_agree_on_sizes():
    s = session_with()
    with pytest.raises(InputError) as e:
        built("B + A.T", s)
    assert "by position" in e.value.message and "size" in e.value.message


def test_named_terms_with_different_names_are_still_an_error():
    s = session_with()
    with pytest.raises(InputError) as e:
        built("A[i, j] + A[k, l]", s)
    assert "same free indices" in e.value.message


def test_a_lone_delta_takes_its_sizes_by_position_from_the_other_side():
    s = session_with()
    (stmt,) = parse("check eye(n) == δ[p, q]")
    left, right = build_equation(stmt, s.env)
    assert [str(z) for z in right.sizes] == ["n", "n"]
    assert verdict("check eye(n) == δ[p, q]") == "holds"
    assert verdict("prove A == δ[p, q]") == "refuted"


def test_a_bare_zero_is_the_zero_tensor_with_the_other_sides_legs():
    s = session_with()
    (stmt,) = parse("prove A - A == 0")
    left, right = build_equation(stmt, s.env)
    assert len(right.terms) == 0 and list(right.free) == list(left.free)
    assert verdict("prove A - A == 0") == "proved"
    assert verdict("prove 0 == A - A") == "proved"
    assert verdict("prove A == 0") == "refuted"


def test_a_quadratic_form_of_an_antisymmetric_part_is_proved_zero():
    assert verdict("prove y @ (A - A.T) @ y == 0", DECLS + "tensor y[i: n]\n") == "proved"
    assert verdict("prove A - A.T == 0") == "refuted"


@pytest.mark.parametrize("zero", ["2 (0)", "-(0)", "1e0 (0)", "0 - 0", "n (0)", "0 * 3"])
def test_a_side_whose_value_is_zero_is_the_zero_tensor_however_it_is_written(zero):
    assert verdict(f"prove A - A == {zero}") == "proved"
    assert verdict(f"prove A == {zero}") == "refuted"


def test_a_bare_inverse_in_a_sum_adds_the_matrix_not_its_transpose():
    decls = DECLS + "invertible X[i: n, j: n]\n"
    s = session_with(decls)
    y = built("A + inv(X)", s)
    inst = sample_instance(s.env.decls.values(), 3)
    want = inst.array("A") + np.linalg.inv(inst.array("X"))
    assert np.allclose(evaluate(y, inst), want)
    assert verdict("prove (A + inv(X)) @ A == A @ A + inv(X) @ A", decls) == "proved"
    assert verdict("prove inv(X) + A == A + inv(X)", decls) == "proved"
    assert verdict("prove A + inv(X) == A + inv(X).T", decls) == "refuted"


def test_a_number_added_to_a_tensor_is_refused_with_the_all_ones_tensor_to_write():
    s = session_with()
    with pytest.raises(InputError) as e:
        built("b - 1", s)
    assert "same free indices" in e.value.message and "all-ones tensor, δ[i]" in e.value.message
    assert verdict("prove b - δ[i] == -(δ[i] - b)") == "proved"
