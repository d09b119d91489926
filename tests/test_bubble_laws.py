"""Laws of bubbles as rules (rules/bubbles.tn): bubble atoms with expression
variables in the rule language, checked on load, used by simplify.  Ground
truth: numpy for the laws themselves, exact arithmetic for random products."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewrite.app.session import Session
from rewrite.core.errors import InputError
from rewrite.rewriting.ruleset import load_rules, loaded, shipped_rules

DECLS = ("dim n, m\ntensor s[q: n, k: m]\ntensor v[k: m]\ntensor T[q: n, k: m, r: n]\n"
         "real tensor x[i: n]\nreal tensor y[i: n]\nreal tensor w[i: n]\n"
         "tensor A[i: n, j: n]\ntensor B[i: n, j: n]\n")


def statuses(text: str) -> list[str]:
    return [o.status for o in Session().run(DECLS + text)]


def test_numpy_softmax_rows_sum_to_one_and_exp_turns_sums_into_products():
    # the laws themselves, in numpy alone
    rng = np.random.default_rng(0)
    s = rng.standard_normal((3, 4))
    e = np.exp(s - s.max(axis=1, keepdims=True))
    assert np.allclose((e / e.sum(axis=1, keepdims=True)).sum(axis=1), 1)
    a, b = rng.standard_normal(5), rng.standard_normal(5)
    assert np.allclose(np.exp(a + b), np.exp(a) * np.exp(b))


def test_every_bubble_law_is_a_simplification():
    assert {loaded(r).kind for r in shipped_rules("bubbles")} == {"simplification"}


@pytest.mark.parametrize("equation", [
    "softmax[k](v[k]) δ[k: m] == 1",
    "softmax[k](s[q, k]) -> [q] == δ[q: n]",
    "softmax[q](s[q, k]) -> [k] == δ[k: m]",
    "softmax[k](T[q, k, r]) -> [q, r] == δ[q: n] δ[r: n]",
    "softmax[r](T[q, k, r]) -> [q, k] == δ[q: n] δ[k: m]",
])
def test_softmax_sums_to_one_along_its_axis(equation):
    assert statuses(f"prove {equation}\n") == ["proved"]


def test_softmax_summed_along_another_leg_is_not_one():
    assert statuses("prove softmax[k](s[q, k]) -> [k] == δ[k: m]\n") == ["refuted"]


@pytest.mark.parametrize("equation", [
    "exp(x[i] + y[i]) == exp(x[i]) exp(y[i]) -> [i]",
    "exp(x[i]) exp(y[i]) exp(x[i]) -> [i] == exp(2 x[i] + y[i])",
    "exp(A[i, j]) exp(B[i, j]) -> [i, j] == exp(A[i, j] + B[i, j])",
    "exp(x[i]) exp(y[i]) == exp(x[i] + y[i]) δ[i: n]",
    "exp(x[i]) exp(-x[i]) -> [i] == δ[i: n]",
])
def test_exp_of_a_sum_is_the_elementwise_product_of_exps(equation):
    assert statuses(f"prove {equation}\n") == ["proved"]


def test_exp_of_a_sum_is_not_the_sum_of_exps():
    assert statuses("prove exp(x[i] + y[i]) == exp(x[i]) + exp(y[i])\n") == ["refuted"]


@pytest.mark.parametrize("rule, message", [
    ("rule b(E: expression): softmax[k](E)[k] δ[k] => 2", "unsound"),
    ("rule b(E: expression, F: expression): exp(E)[a] exp(F)[b] δ[a, b, *c] "
     "=> exp(E - F)[d] δ[d, *c]", "unsound"),
    ("rule b(E: expression): relu(E)[a] => relu(-E)[a]", "unsound"),
    ("rule b(E: expression): exp(E + E)[a] => exp(E)[a]", "one expression variable"),
    ("rule b(E: expression, F: expression): exp(E)[a] => exp(F)[a]", "not bound"),
    ("rule b(E: tensor): exp(E)[a] => exp(E)[a]", "sum of expression variables"),
    ("rule b(E: expression): softmax[k](E)[q] => softmax[k](E)[q]", "softmax axis"),
])
def test_bad_bubble_rules_are_refused_at_their_position(rule, message):
    with pytest.raises(InputError) as e:
        load_rules(rule, filename="mine.tn")
    assert message in e.value.message
    assert e.value.line == 1


def test_a_users_bubble_rule_is_checked_and_applied():
    text = ("rule sig_sum(E: expression): sigmoid(E)[a] sigmoid(-E)[b] δ[a, b, *c] => δ[*c]\n")
    with pytest.raises(InputError, match="unsound"):
        load_rules(text)
    good = "rule tanh_odd(E: expression): tanh(-E)[a] => -1 tanh(E)[a]\n"
    (r,) = load_rules(good)
    assert r.name == "tanh_odd"


# ------------------------------------------------ random products (property)

@settings(max_examples=20, deadline=None)
@given(st.lists(st.tuples(st.integers(-2, 2), st.sampled_from(["x", "y", "w"])),
                min_size=1, max_size=4),
       st.lists(st.tuples(st.integers(-2, 2), st.sampled_from(["x", "y", "w"])),
                min_size=1, max_size=3))
def test_random_products_of_exps_get_the_true_verdict(factors, exponent):
    # left: the elementwise product of exp(c v); right: exp of a linear combination.
    # True exactly when the coefficients agree (x, y, w independent): exact arithmetic.
    left = " ".join(f"exp(({c}) {n}[i])" for c, n in factors)
    right = "exp(" + " + ".join(f"({c}) {n}[i]" for c, n in exponent) + ")"
    total = {n: Fraction(0) for n in "xyw"}
    for c, n in factors:
        total[n] += c
    want = {n: Fraction(0) for n in "xyw"}
    for c, n in exponent:
        want[n] += c
    true = total == want
    got = statuses(f"prove {left} -> [i] == {right}\ncheck {left} -> [i] == {right}\n")
    assert got == (["proved", "holds"] if true else ["refuted", "refuted"])


# --------------------------------- exp merging whatever order the legs meet in

PERMUTED = "tensor C[i: n, j: n, k: n]\ntensor D[i: n, j: n, k: n]\n"


def test_numpy_exp_of_a_transpose_merges_with_the_transpose():
    g = np.random.default_rng(4)
    a, b = g.normal(size=(2, 3, 3))
    assert np.allclose(np.exp(a) * np.exp(b).T, np.exp(a + b.T))
    c, d = g.normal(size=(2, 3, 3, 3))
    assert np.allclose(np.exp(c) * np.exp(d).transpose(1, 2, 0),
                       np.exp(c + d.transpose(1, 2, 0)))


@pytest.mark.parametrize("equation, verdict", [
    ("exp(A[i, j]) exp(B[j, i]) -> [i, j] == exp(A[i, j] + B[j, i])", "proved"),
    ("exp(A[i, j]) exp(B[j, i]) -> [] == exp(A[i, j] + B[j, i]) -> []", "proved"),
    ("exp(C[i, j, k]) exp(D[k, i, j]) -> [i, j, k] == exp(C[i, j, k] + D[k, i, j])", "proved"),
    ("exp(C[i, j, k]) exp(D[j, k, i]) -> [i, j, k] == exp(C[i, j, k] + D[j, k, i])", "proved"),
    ("exp(A[i, j]) exp(B[j, i]) -> [i, j] == exp(A[i, j] + B[i, j])", "refuted"),
    ("exp(C[i, j, k]) exp(D[k, i, j]) -> [i, j, k] == exp(C[i, j, k] + D[j, k, i])", "refuted"),
])
def test_exps_merge_whatever_order_their_legs_meet_in(equation, verdict):
    assert statuses(PERMUTED + f"prove {equation}\n") == [verdict]


# ------------------------- a bubble of a symmetric argument has symmetric ports

SYMMETRIC = "tensor z[i: n]\n"


def test_numpy_a_function_of_a_symmetric_matrix_is_symmetric():
    a = np.random.default_rng(5).normal(size=(4, 4))
    s, z = a + a.T, np.arange(4.0)
    assert np.allclose(np.maximum(s, 0) @ z, z @ np.maximum(s, 0))
    assert not np.allclose(np.maximum(a, 0) @ z, z @ np.maximum(a, 0))


@pytest.mark.parametrize("equation, verdict", [
    ("exp(A[i, j]) exp(A[j, i]) -> [i, j] == exp(A[i, j] + A[j, i])", "proved"),
    ("exp(A[i, j] + A[j, i]) == exp(A[j, i] + A[i, j] -> [j, i])[j, i]", "proved"),
    ("relu(A[i, j] + A[j, i]) z[i] == relu(A[i, j] + A[j, i]) z[j]", "proved"),
    ("relu(A[i, j]) z[i] == relu(A[i, j]) z[j]", "refuted"),
    ("relu(A[i, j] + B[j, i]) z[i] == relu(A[i, j] + B[j, i]) z[j]", "refuted"),
])
def test_the_ports_of_a_bubble_of_a_symmetric_argument_are_interchangeable(equation, verdict):
    assert statuses(SYMMETRIC + f"prove {equation}\n") == [verdict]


# ---------------------------------------------- functions that undo each other

UNDO = "tensor z[i: n]\ntensor M[i: n, j: n]\nreal tensor R[i: n, j: n]\n"


def test_numpy_functions_that_undo_each_other():
    g = np.random.default_rng(6)
    z = g.normal(size=5) + 1j * g.normal(size=5)
    u = g.normal(size=5)
    assert np.allclose(np.exp(np.log(z)), z)
    assert np.allclose(np.log(np.exp(u)), u)
    assert np.allclose(np.sqrt(z) ** 2, z)
    assert np.allclose(z / np.abs(z) * np.abs(z), z)
    assert np.allclose(z ** -1.0 * z, 1)
    assert np.allclose(np.maximum(np.maximum(u, 0), 0), np.maximum(u, 0))
    assert np.allclose(np.abs(np.abs(z)), np.abs(z))
    # log(exp(z)) = z only while the imaginary part stays in (-π, π]
    assert not np.allclose(np.log(np.exp(4 * z)), 4 * z)


@pytest.mark.parametrize("equation, verdict", [
    ("exp(log(z[i])) == z[i]", "proved"),
    ("exp(log(M[i, j])) == M[i, j]", "proved"),
    ("exp(log(M[j, i])) == M[j, i]", "proved"),
    ("log(exp(x[i])) == x[i]", "proved"),
    ("log(exp(R[i, j])) == R[i, j]", "proved"),
    ("relu(relu(x[i] + y[i])) == relu(y[i] + x[i])", "proved"),
    ("abs(abs(A[i, j])) == abs(A[i, j])", "proved"),
    ("sqrt(z[i]) sqrt(z[i]) -> [i] == z[i]", "proved"),
    ("sqrt(M[i, j]) sqrt(M[i, j]) -> [i, j] == M[i, j]", "proved"),
    ("sign(M[i, j]) abs(M[i, j]) -> [i, j] == M[i, j]", "proved"),
    ("pow(z[i], -1) z[i] -> [i] == δ[i: n]", "proved"),
    ("pow(M[i, j], -1) M[i, j] -> [i, j] == δ[i: n] δ[j: n]", "proved"),
    # false variants: a transpose, a factor, a complex argument, a wrong pairing
    ("pow(M[i, j], -1) M[j, i] -> [i, j] == δ[i: n] δ[j: n]", "refuted"),
    ("exp(log(z[i])) == 2 z[i]", "refuted"),
    ("log(exp(4 z[i])) == 4 z[i]", "refuted"),
    ("sqrt(M[i, j]) sqrt(M[j, i]) -> [i, j] == M[i, j]", "refuted"),
    ("relu(relu(x[i])) == relu(-x[i])", "refuted"),
])
def test_functions_that_undo_each_other_cancel(equation, verdict):
    assert statuses(UNDO + f"prove {equation}\n") == [verdict]


def test_a_rule_binds_a_variable_inside_a_nested_bubble_and_is_checked():
    (rule,) = load_rules("rule ee(X: tensor): exp(log(X[j])[k])[a] => X[a]\n")
    assert loaded(rule).checked and loaded(rule).kind == "simplification"
    with pytest.raises(InputError, match="unsound"):
        load_rules("rule ee(X: tensor): exp(log(X[j])[k])[a] => 2 X[a]\n")


def test_relu_of_opposite_arguments_never_overlap():
    z = np.array([1 + 2j, -1 + 0.5j, 2 - 1j, -3 - 1j, 0.5 + 0j])
    relu = lambda a: np.where(a.real > 0, a, 0)  # noqa: E731
    assert np.allclose(relu(z) * relu(-z), 0) and not np.allclose(relu(z) * relu(z), 0)
    assert statuses(UNDO + "prove relu(z[i]) relu(-z[i]) -> [i] == 0\n"
                    "prove relu(x[i]) relu(x[i]) -> [i] == 0\n") == ["proved", "refuted"]
