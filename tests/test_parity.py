"""prove fixes the sign of a bubble's argument through the function's parity,
so `relu(x) - relu(-x) == x` and `tanh(-x) == -tanh(x)` are proved.

Ground truth: numpy definitions of the functions (derivatives by central
finite differences), independent of the table under test; false variants are
refuted, never proved.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewrite.app.session import Session
from rewrite.transforms.parity import AT_ZERO, PARITY


def _gelu(u):
    return 0.5 * u * (1 + np.tanh(np.sqrt(2 / np.pi) * (u + 0.044715 * u ** 3)))


def _sigmoid(u):
    return 1 / (1 + np.exp(-u))


def _d(f, order=1, h=1e-3):
    if order == 1:
        return lambda u: (f(u + h) - f(u - h)) / (2 * h)
    return lambda u: (f(u + h) - 2 * f(u) + f(u - h)) / h ** 2


NUMPY = {"tanh": np.tanh, "sign": np.sign, "abs": np.abs, "relu": lambda u: np.maximum(u, 0),
         "gelu": _gelu, "sigmoid": _sigmoid, "dtanh": _d(np.tanh), "tanh''": _d(np.tanh, 2),
         "dsigmoid": _d(_sigmoid), "sigmoid''": _d(_sigmoid, 2), "dgelu": _d(_gelu)}

DECLS = "dim n\nreal tensor x[i: n]\nreal tensor y[i: n]\ntensor z[i: n]\nreal tensor W[i: n, j: n]\n"


def statuses(text: str) -> list[str]:
    return [o.status for o in Session().run(DECLS + text)]


@pytest.mark.parametrize("fn", sorted(PARITY))
def test_each_parity_law_holds_in_numpy(fn):
    f = NUMPY[fn]
    u = np.concatenate([np.linspace(-3, -0.1, 30), np.linspace(0.1, 3, 30)])
    parts = {"f": f(u), "one": np.ones_like(u), "arg": u}
    value = sum(c * parts[what] for c, what in PARITY[fn])
    assert np.allclose(f(-u), value, atol=1e-5)


@pytest.mark.parametrize("equation", [
    "relu(x[i]) - relu(-x[i]) == x[i]",
    "relu(W @ x) - relu(-(W @ x)) == W @ x",
    "relu(x[i] - y[i]) - relu(y[i] - x[i]) == x[i] - y[i]",
    "tanh(-x[i]) == -tanh(x[i])",
    "tanh(y[i] - x[i]) + tanh(x[i] - y[i]) == 0 x[i]",
    "sigmoid(-x[i]) == δ[i] - sigmoid(x[i])",
    "abs(-2 x[i]) == abs(2 x[i])",
    "gelu(x[i]) - gelu(-x[i]) == x[i]",
    "conj(relu(-z[i])) == conj(relu(z[i])) - conj(z[i])",
    "dtanh(-x[i]) == δ[i] - tanh(x[i])[a] tanh(x[i])[b] δ[a, b, i]",
])
def test_a_parity_identity_is_proved(equation):
    assert statuses(f"prove {equation}\n") == ["proved"]


@pytest.mark.parametrize("equation", [
    "relu(x[i]) + relu(-x[i]) == x[i]",
    "tanh(-x[i]) == tanh(x[i])",
    "sigmoid(-x[i]) == sigmoid(x[i])",
    "exp(-x[i]) == exp(x[i])",
])
def test_a_false_parity_identity_is_refuted(equation):
    assert statuses(f"prove {equation}\n") == ["refuted"]


@settings(max_examples=12, deadline=None)
@given(a=st.integers(-3, 3).filter(bool), b=st.integers(-3, 3), c=st.integers(-3, 3))
def test_relu_odd_part_is_proved_exactly_when_true(a, b, c):
    # relu(u) - relu(-u) == u exactly; numpy says when c x equals a x + b y
    rng = np.random.default_rng(0)
    xs, ys = rng.normal(size=7), rng.normal(size=7)
    u = a * xs + b * ys
    true = np.allclose(np.maximum(u, 0) - np.maximum(-u, 0), c * xs)
    arg = f"{a} x[i] {'-' if b < 0 else '+'} {abs(b)} y[i]"
    (status,) = statuses(f"prove relu({arg}) - relu(-({arg})) == {c} x[i]\n")
    assert status == ("proved" if true else "refuted")


@pytest.mark.parametrize("fn", sorted(AT_ZERO))
def test_each_value_at_zero_is_numpys(fn):
    f = {**NUMPY, "exp": np.exp, "sqrt": np.sqrt, "step": lambda u: np.heaviside(u, 0.0)}[fn]
    assert np.isclose(f(np.zeros(1))[0], float(AT_ZERO[fn]), atol=1e-6)


@pytest.mark.parametrize("equation, verdict", [
    ("exp(0 x[i]) == δ[i]", "proved"),
    ("exp((0) x[i]) exp((0) x[i]) -> [i] == exp((0) x[i])", "proved"),
    ("sigmoid(x[i] - x[i]) == 1/2 δ[i]", "proved"),
    ("tanh(0 x[i]) == 0 x[i]", "proved"),
    ("sigmoid(0 x[i]) == δ[i]", "refuted"),
])
def test_a_bubble_of_the_zero_argument_is_its_constant(equation, verdict):
    assert statuses(f"prove {equation}\n") == [verdict]


SOFTMAX_DECLS = ("dim n, m\nreal tensor s[q: n, k: m]\ntensor t[q: n, k: m]\n"
                 "real tensor c[q: n]\nreal tensor b[k: m]\n")


@pytest.mark.parametrize("equation, verdict", [
    ("softmax[k](s[q, k] + c[q] δ[k: m]) == softmax[k](s[q, k])", "proved"),
    ("softmax[k](t[q, k] - 3 c[q] δ[k: m]) == softmax[k](t[q, k])", "proved"),
    ("softmax[q](s[q, k] + b[k] δ[q: n]) == softmax[q](s[q, k])", "proved"),
    # a shift that varies along the axis changes the softmax
    ("softmax[k](s[q, k] + b[k] δ[q: n]) == softmax[k](s[q, k])", "refuted"),
    ("softmax[q](s[q, k] + c[q] δ[k: m]) == softmax[q](s[q, k])", "refuted"),
])
def test_a_softmax_ignores_a_shift_constant_along_its_axis(equation, verdict):
    assert [o.status for o in Session().run(SOFTMAX_DECLS + f"prove {equation}\n")] == [verdict]


def test_softmax_shift_invariance_holds_in_numpy():
    rng = np.random.default_rng(1)
    s, c = rng.normal(size=(3, 4)), rng.normal(size=(3, 1))

    def softmax(a):
        e = np.exp(a - a.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    assert np.allclose(softmax(s + c), softmax(s))
    b = rng.normal(size=(1, 4))  # varies along the axis
    assert not np.allclose(softmax(s + b), softmax(s))


@pytest.mark.parametrize("equation, verdict", [
    ("softmax[k](c[q] δ[k: m]) == 1/m δ[q: n] δ[k: m]", "proved"),
    ("softmax[k](s[q, k] - s[q, k]) == 1/m δ[q: n] δ[k: m]", "proved"),
    ("softmax[k](c[q] δ[k: m]) == 1/n δ[q: n] δ[k: m]", "refuted"),
])
def test_a_softmax_of_an_argument_constant_along_its_axis_is_uniform(equation, verdict):
    # exp(c) / (m exp(c)) = 1/m on every entry; the wrong size is refuted by numbers
    assert [o.status for o in Session().run(SOFTMAX_DECLS + f"prove {equation}\n")] == [verdict]


# ------------------------------------------- bubbles nested in another's argument

@pytest.mark.parametrize("equation, verdict", [
    ("exp(tanh(-x[i])) == exp(-tanh(x[i]))", "proved"),
    ("sigmoid(relu(x[i]) - relu(-x[i])) == sigmoid(x[i])", "proved"),
    ("relu(relu(x[i]) - relu(-x[i])) == relu(x[i])", "proved"),
    ("exp(abs(-x[i]) + tanh(-y[i])) == exp(abs(x[i]) - tanh(y[i]))", "proved"),
    ("tanh(exp(sigmoid(-x[i]))) == tanh(exp(δ[i: n] - sigmoid(x[i])))", "proved"),
    ("exp(tanh(-x[i])) == exp(tanh(x[i]))", "refuted"),
    ("sigmoid(relu(x[i]) + relu(-x[i])) == sigmoid(x[i])", "refuted"),
])
def test_parity_reaches_bubbles_nested_in_another_bubbles_argument(equation, verdict):
    assert statuses(f"prove {equation}\n") == [verdict]


def test_the_nested_identities_hold_in_numpy():
    u, v = np.random.default_rng(2).normal(size=(2, 7))
    relu = NUMPY["relu"]
    assert np.allclose(np.exp(np.tanh(-u)), np.exp(-np.tanh(u)))
    assert np.allclose(_sigmoid(relu(u) - relu(-u)), _sigmoid(u))
    assert np.allclose(np.tanh(np.exp(_sigmoid(-u))), np.tanh(np.exp(1 - _sigmoid(u))))
    assert np.allclose(np.exp(np.abs(-u) + np.tanh(-v)), np.exp(np.abs(u) - np.tanh(v)))


@pytest.mark.parametrize("equation, verdict", [
    ("exp(softmax[k](s[q, k] + c[q] δ[k: m])) == exp(softmax[k](s[q, k]))", "proved"),
    ("exp(softmax[k](s[q, k] + c[q] δ[k: m])) == exp(softmax[q](s[q, k]))", "refuted"),
])
def test_a_nested_softmax_ignores_its_shift(equation, verdict):
    assert [o.status for o in Session().run(SOFTMAX_DECLS + f"prove {equation}\n")] == [verdict]


# ------------------------------------------ relu and abs are positively homogeneous

def test_relu_and_abs_are_positively_homogeneous_in_numpy():
    g = np.random.default_rng(4)
    u, z = g.normal(size=6), g.normal(size=6) + 1j * g.normal(size=6)
    relu = NUMPY["relu"]
    assert np.allclose(relu(2.5 * u), 2.5 * relu(u))
    assert np.allclose(np.abs(-3 * z), 3 * np.abs(z))
    assert not np.allclose(relu(-2 * u), 2 * relu(u))
    assert not np.allclose(np.tanh(2 * u), 2 * np.tanh(u))


@pytest.mark.parametrize("equation, verdict", [
    ("relu(2 x[i]) == 2 relu(x[i])", "proved"),
    ("relu(3 x[i] + 6 y[i]) == 3 relu(x[i] + 2 y[i])", "proved"),
    ("relu(-2 x[i]) == 2 relu(x[i]) - 2 x[i]", "proved"),
    ("abs(-3 z[i]) == 3 abs(z[i])", "proved"),
    ("relu(1/2 z[i]) == 1/2 relu(z[i])", "proved"),
    ("relu(-2 x[i]) == 2 relu(x[i])", "refuted"),
    ("abs(1/2 z[i]) == abs(z[i])", "refuted"),
    ("tanh(2 x[i]) == 2 tanh(x[i])", "refuted"),
])
def test_a_positive_factor_comes_out_of_relu_and_abs(equation, verdict):
    assert statuses(f"prove {equation}\n") == [verdict]


@settings(max_examples=10, deadline=None)
@given(st.integers(-4, 4).filter(bool), st.integers(1, 4), st.integers(-3, 3))
def test_scaled_relu_gets_the_numpy_verdict(a, b, c):
    # relu(a x) == b relu(x) + c x  holds exactly when numpy says so on a grid
    u = np.linspace(-2, 2, 9)
    relu = NUMPY["relu"]
    truth = np.allclose(relu(a * u), b * relu(u) + c * u)
    got = statuses(f"prove relu(({a}) x[i]) == ({b}) relu(x[i]) + ({c}) x[i]\n")
    assert got == (["proved"] if truth else ["refuted"])


def test_a_sign_deep_inside_nested_bubbles_is_fixed_in_one_walk_of_the_nesting():
    # Each level of nesting used to be walked twice per transform (2**depth
    # walks): thirty levels would not finish.
    lhs, rhs = "tanh(-x[i])", "-tanh(x[i])"
    for _ in range(30):
        lhs, rhs = f"exp({lhs})", f"exp({rhs})"
    s = Session()
    s.run("dim n\ntensor x[i: n]\n")
    [r] = s.run(f"prove {lhs} == {rhs}\n")
    assert r.status == "proved"
