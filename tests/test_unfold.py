"""prove writes tanh' and sigmoid' (and their second derivatives) as
polynomials of the function, so `dtanh(u) == 1 - tanh(u)²` is proved.

Ground truth: numpy's tanh and the logistic function, differentiated by
central finite differences, independent of the table under test; false
variants of each identity must be refuted, never proved.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewrite.app.session import Session
from rewrite.core.limits import LimitError
from rewrite.transforms.unfold import POLYNOMIALS, unfold_derivatives

DECLS = ("dim n\nreal tensor x[i: n]\nreal tensor y[i: n]\ntensor z[i: n]\nreal tensor W[i: n, j: n]\n")

FUNCTIONS = {"tanh": np.tanh, "sigmoid": lambda u: 1 / (1 + np.exp(-u))}
ORDER = {"dtanh": 1, "tanh''": 2, "dsigmoid": 1, "sigmoid''": 2}


def statuses(text: str) -> list[str]:
    return [o.status for o in Session().run(DECLS + text)]


def finite_difference(f, u: np.ndarray, order: int, h: float = 1e-3) -> np.ndarray:
    if order == 1:
        return (f(u + h) - f(u - h)) / (2 * h)
    return (f(u + h) - 2 * f(u) + f(u - h)) / h ** 2


@pytest.mark.parametrize("name", sorted(POLYNOMIALS))
def test_each_polynomial_is_the_derivative_of_its_function(name):
    base, poly = POLYNOMIALS[name]
    f = FUNCTIONS[base]
    u = np.linspace(-3, 3, 61)
    value = sum(c * f(u) ** p for p, c in poly.items())
    assert np.allclose(value, finite_difference(f, u, ORDER[name]), atol=1e-5)


@pytest.mark.parametrize("equation", [
    "diff(tanh(x[i]), x) == δ[i, i'] - tanh(x[i]) tanh(x[i]) δ[i, i'] -> [i, i']",
    "dtanh(x[i]) == δ[i] - tanh(x[i])[a] tanh(x[i])[b] δ[a, b, i]",
    "dsigmoid(W[i, j] x[j]) == sigmoid(W[i, j] x[j]) - sigmoid(W[i, j] x[j])[a] sigmoid(W[i, j] x[j])[b] δ[a, b, i]",
    "conj(dtanh(z[i])) == δ[i] - conj(tanh(z[i]))[a] conj(tanh(z[i]))[b] δ[a, b, i]",
    "diff(sigmoid(x[i]), x) == sigmoid(x[i]) δ[i, i'] - sigmoid(x[i]) sigmoid(x[i]) δ[i, i'] -> [i, i']",
    "dtanh(x[i]) x[i] == x[i] δ[i] - tanh(x[i])[a] tanh(x[i])[b] x[c] δ[a, b, c]",
])
def test_derivative_written_through_its_function_is_proved(equation):
    assert statuses(f"prove {equation}\n") == ["proved"]


def test_the_identities_hold_in_numpy_on_the_proved_vector_form():
    rng = np.random.default_rng(0)
    u = rng.normal(size=5)
    t, s = np.tanh(u), 1 / (1 + np.exp(-u))
    assert np.allclose(finite_difference(np.tanh, u, 1), 1 - t * t, atol=1e-5)
    assert np.allclose(finite_difference(FUNCTIONS["sigmoid"], u, 1), s - s * s, atol=1e-5)


def test_second_derivative_of_tanh_is_proved_as_a_cubic():
    eq = ("diff(diff(tanh(x[i]), x), x) == -2 tanh(x[i]) δ[i, i', i''] "
          "+ 2 tanh(x[i]) tanh(x[i]) tanh(x[i]) δ[i, i, i, i, i', i''] -> [i, i', i'']")
    assert statuses(f"prove {eq}\n") == ["proved"]


COEFFS = st.integers(-2, 2)


@settings(max_examples=12, deadline=None)
@given(c0=COEFFS, c1=COEFFS, c2=COEFFS)
def test_a_polynomial_in_tanh_is_proved_exactly_when_it_is_tanhs_derivative(c0, c1, c2):
    # numpy decides the truth: 1 - t² against c0 + c1 t + c2 t² on many points
    t = np.tanh(np.linspace(-2, 2, 9))
    true = np.allclose(1 - t * t, c0 + c1 * t + c2 * t * t)
    terms = [(c0, "δ[i]"), (c1, "tanh(x[i])"), (c2, "tanh(x[i])[a] tanh(x[i])[b] δ[a, b, i]")]
    rhs = " ".join(f"{'-' if c < 0 else '+'} {abs(c)} {t}" for c, t in terms)
    (status,) = statuses(f"prove dtanh(x[i]) == {rhs}\n")
    assert status == ("proved" if true else "refuted")


def test_unfolding_past_the_term_limit_is_refused_before_building():
    s = Session()
    s.run(DECLS)
    value = s.last_value("dtanh(x[i]) dsigmoid(x[j]) dtanh(W[i, j] x[j])\n", "<t>")
    with pytest.raises(LimitError):
        unfold_derivatives(value, max_terms=4)
    assert len(unfold_derivatives(value, max_terms=8).terms) == 8


@pytest.mark.parametrize("equation, verdict", [
    ("pow(x[i], 2) == x[i] x[i] -> [i]", "proved"),
    ("pow(x[i], 3) == x[i] x[i] x[i] -> [i]", "proved"),
    ("pow(x[i], 2) x[i] == x[i] x[i] x[i] -> []", "proved"),
    ("pow(x[i], 2) == x[i]", "refuted"),
    ("pow(x[i], 1/2) == x[i]", "refuted"),
])
def test_a_whole_power_is_a_product_of_copies(equation, verdict):
    assert statuses(f"prove {equation}\n") == [verdict]


@settings(max_examples=12, deadline=None)
@given(a=st.integers(-2, 2), b=st.integers(-2, 2), c=st.integers(-2, 2))
def test_the_square_of_a_sum_is_proved_exactly_when_the_coefficients_are_binomial(a, b, c):
    # numpy decides: (x + y)² against a x² + b x y + c y² on random vectors
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=6), rng.normal(size=6)
    true = np.allclose((x + y) ** 2, a * x * x + b * x * y + c * y * y)
    terms = [(a, "x[i] x[i]"), (b, "x[i] y[i]"), (c, "y[i] y[i]")]
    rhs = " ".join(f"{'-' if k < 0 else '+'} {abs(k)} {t}" for k, t in terms)
    (status,) = statuses(f"prove pow(x[i] + y[i], 2) == {rhs} -> [i]\n")
    assert status == ("proved" if true else "refuted")


@pytest.mark.parametrize("equation, verdict", [
    ("exp(dtanh(x[i])) == exp(δ[i: n] - tanh(x[i]) tanh(x[i]) -> [i])", "proved"),
    ("tanh(pow(x[i], 2)) == tanh(x[i] x[i] -> [i])", "proved"),
    ("relu(dsigmoid(x[i]) + y[i]) == relu(y[i] + sigmoid(x[i]) - pow(sigmoid(x[i]), 2))",
     "proved"),
    ("exp(dtanh(x[i])) == exp(δ[i: n] + tanh(x[i]) tanh(x[i]) -> [i])", "refuted"),
    ("tanh(pow(x[i], 2)) == tanh(2 x[i])", "refuted"),
])
def test_derivatives_and_powers_nested_in_another_bubble_are_unfolded(equation, verdict):
    assert statuses(f"prove {equation}\n") == [verdict]


def test_the_nested_unfoldings_hold_in_numpy():
    u, v = np.random.default_rng(3).normal(size=(2, 7))
    s = FUNCTIONS["sigmoid"]
    assert np.allclose(np.exp(1 / np.cosh(u) ** 2), np.exp(1 - np.tanh(u) ** 2))
    assert np.allclose(np.maximum(s(u) * (1 - s(u)) + v, 0), np.maximum(s(u) - s(u) ** 2 + v, 0))
