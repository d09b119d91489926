"""§10 functions: log, sqrt, abs, sign; primed derivatives of any order written
back as calls; diff's edge cases.  Ground truth: numpy and finite differences."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation import evaluate_shown, session_with
from rewrite.app.session import Session
from rewrite.core.errors import InputError
from rewrite.language.expressions import build_expr
from rewrite.language.parse import parse

DECLS = "dim n\nreal tensor x[i: n]\nreal tensor y[i: n]\ntensor z[i: n]\n"


def session() -> Session:
    return session_with(DECLS)


def value(text: str, seed: int = 0):
    return evaluate_shown(DECLS, text, seed)


@pytest.mark.parametrize("fn, ref", [
    ("log", np.emath.log), ("sqrt", np.emath.sqrt), ("abs", np.abs),
    ("sign", lambda v: np.where(np.abs(v) > 0, v / np.where(np.abs(v) > 0, np.abs(v), 1), 0)),
])
@pytest.mark.parametrize("t", ["x", "z"])
def test_new_functions_follow_numpy_with_principal_branches(fn, ref, t):
    got, inst = value(f"{fn}({t}[i])", 3)
    assert np.allclose(got, ref(inst.array(t)))


BASE = {"tanh": np.tanh, "sigmoid": lambda v: 1 / (1 + np.exp(-v)), "exp": np.exp,
        "log": np.log, "sqrt": np.sqrt}


def finite_difference(f, v: np.ndarray, order: int, h: float = 1e-2) -> np.ndarray:
    """The order-th derivative by repeated central differences (independent of sympy)."""
    if order == 0:
        return f(v)
    return (finite_difference(f, v + h, order - 1, h) - finite_difference(f, v - h, order - 1, h)) / (2 * h)


@settings(max_examples=20, deadline=None)
@given(st.sampled_from(sorted(BASE)), st.integers(1, 3), st.integers(0, 10**6))
def test_primed_derivatives_of_any_order_match_finite_differences(fn, order, seed):
    # x² + 1/2 keeps the argument away from log's and sqrt's singularity at 0
    got, inst2 = value(f"{fn}{chr(39) * order}(x[i] x[i] + 1/2 δ[i: n] -> [i])", seed)
    want = finite_difference(BASE[fn], inst2.array("x") ** 2 + 0.5, order)
    assert np.allclose(got, want, rtol=1e-2, atol=1e-3)


def test_historical_first_derivative_names_are_the_primed_ones():
    assert session().run("prove dtanh(x[i]) == tanh'(x[i])\nprove step(x[i]) == relu'(x[i])\n"
                         "prove dsigmoid'(x[i]) == sigmoid''(x[i])\n")[-1].status == "proved"


def test_diff_of_dtanh_is_the_second_derivative_of_tanh():
    r = session().run("prove diff(dtanh(x[i]), x) == tanh''(x[i]) δ[i, i'] -> [i, i']")
    assert r[0].status == "proved"


def test_primed_leg_names_parse():
    (stmt,) = parse("show A[i, i'] B[i', i'']")
    assert stmt.expr.terms[0].product.factors[1].indices.slots[1].name == "i''"


def test_a_nested_diff_that_removed_the_variable_is_zero():
    s = session()
    (stmt,) = parse("show diff(diff(x[i] + y[i], x), y)")
    d = build_expr(stmt.expr, s.env)
    assert len(d.terms) == 0 and len(d.free) == 3
    assert s.run("prove diff(diff(x[i] + y[i], x), y) == 0")[0].status == "proved"


def test_diff_of_an_expression_without_the_variable_is_still_a_typo_guard():
    with pytest.raises(InputError) as e:
        value("diff(x[i], z)")
    assert "does not contain the tensor 'z'" in e.value.message


def test_diff_with_respect_to_a_conjugate_is_refused_clearly():
    with pytest.raises(InputError) as e:
        value("diff(x[i] conj(z[i]), conj(z))")
    assert "Wirtinger" in e.value.message


def test_log_of_a_square_is_not_twice_the_log_for_negative_entries():
    assert session().run("check log(x[i] x[i] -> [i]) == 2 log(x[i])")[0].status == "refuted"
