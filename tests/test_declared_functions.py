"""§10 functions, second part: pow(EXPR, k) and declared opaque functions
(`function f`, `function g(2)`) with their derivative bubbles.

Ground truth is independent of the code under test: numpy's power, central
finite differences of the stand-in function, and, for the random equations,
exact grouping of like arguments with Fractions plus a numpy evaluation with
a function of our own choosing.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation import evaluate_shown, session_with
from rewrite.app.session import Session
from rewrite.core.errors import InputError
from rewrite.language.expressions import build_expr
from rewrite.language.parse import parse
from rewrite.numerics import opaque
from rewrite.numerics.evaluate import evaluate
from rewrite.numerics.sample import sample_instance

DECLS = ("dim n\nreal tensor x[i: n]\nreal tensor w[i: n]\nreal tensor v[i: n]\n"
         "tensor z[i: n]\nfunction f\nfunction g(2)\n")


def session() -> Session:
    return session_with(DECLS)


def value(text: str, seed: int = 0):
    return evaluate_shown(DECLS, text, seed)


def statuses(text: str) -> list[str]:
    return [o.status for o in Session().run(DECLS + text)]


def central(fun, v: np.ndarray, h: float = 1e-4) -> np.ndarray:
    return (fun(v + h) - fun(v - h)) / (2 * h)


# ----------------------------------------------------------------------- pow


@pytest.mark.parametrize("k, text", [(2, "2"), (3, "3"), (-1, "-1"), (-2, "-2"), (0, "0"),
                                     (0.5, "1/2"), (-1.5, "-3/2"), (0.25, "0.25")])
@pytest.mark.parametrize("t", ["x", "z"])
def test_pow_follows_numpy_with_the_principal_branch(k, text, t):
    got, inst = value(f"pow({t}[i], {text})", 5)
    a = inst.array(t)
    want = np.power(a.astype(complex), k) if not float(k).is_integer() else np.power(a, float(k))
    assert np.allclose(got, want)


def test_pow_two_holds_against_the_elementwise_square():
    assert statuses("check pow(x[i], 2) == x[i] x[i] -> [i]\n") == ["holds"]


def test_pow_minus_one_is_the_elementwise_reciprocal():
    assert statuses("check pow(z[i], -1) z[i] -> [i] == δ[i: n]\n") == ["holds"]


@pytest.mark.parametrize("text", ["2", "3", "-1", "1/2", "-5/2"])
def test_diff_of_pow_matches_finite_differences(text):
    got, inst = value(f"diff(pow(x[i] x[i] + δ[i: n] -> [i], {text}), x)", 2)
    k = float(sympy.Rational(text))
    a = inst.array("x")
    want = central(lambda u: (u * u + 1) ** k, a)
    assert np.allclose(np.diagonal(got), want, rtol=1e-5, atol=1e-6)
    assert np.allclose(got - np.diag(np.diagonal(got)), 0)


def test_diff_of_pow_is_proved_to_be_k_times_the_lower_power():
    text = "prove diff(pow(x[i], 3), x) == 3 pow(x[i], 2) δ[i, i'] -> [i, i']\n"
    assert statuses(text) == ["proved"]


@pytest.mark.parametrize("bad", ["x[i]", "n", "'2'"])
def test_pow_needs_a_number_for_its_exponent(bad):
    s = session()
    with pytest.raises(InputError, match="pow\\(EXPR, k\\) takes a number"):
        build_expr(parse(f"show pow(x[i], {bad})")[0].expr, s.env)


def test_pow_prints_as_written():
    (out,) = session().run("show pow(x[i], -1/2)\n")
    assert "pow(x[i], -1/2)" in out.text


# ------------------------------------------------------- declared functions


def stand_in(seed: int, name: str, arity: int):
    xs, f = opaque.formula(seed, name, arity)
    return sympy.lambdify(xs, f, "numpy")


def test_a_declared_function_is_a_smooth_random_function_of_the_trial():
    got, inst = value("f(x[i])", 7)
    assert np.allclose(got, stand_in(7, "f", 1)(inst.array("x")))
    # another trial, another function
    assert not np.allclose(got, stand_in(8, "f", 1)(inst.array("x")))


@pytest.mark.parametrize("order", [1, 2, 3])
def test_primed_declared_functions_are_the_derivatives_of_the_stand_in(order):
    got, inst = value(f"f{chr(39) * order}(x[i])", 3)
    fun = stand_in(3, "f", 1)
    for _ in range(order):
        fun = (lambda h: (lambda u: central(h, u, 1e-3)))(fun)
    assert np.allclose(got, fun(inst.array("x")), rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("partial, which", [("'1", (0,)), ("'2", (1,)), ("'1'2", (0, 1)),
                                            ("'2'1", (0, 1)), ("'2'2", (1, 1))])
def test_partials_of_a_two_argument_function_match_finite_differences(partial, which):
    got, inst = value(f"g{partial}(x[i], w[i])", 4)
    g = stand_in(4, "g", 2)
    a, b = inst.array("x"), inst.array("w")
    h = 1e-3

    def d(fun, k):
        if k == 0:
            return lambda p, q: (fun(p + h, q) - fun(p - h, q)) / (2 * h)
        return lambda p, q: (fun(p, q + h) - fun(p, q - h)) / (2 * h)

    fun = g
    for k in which:
        fun = d(fun, k)
    assert np.allclose(got, fun(a, b), rtol=1e-3, atol=1e-3)


def test_diff_applies_the_chain_rule_through_a_declared_function():
    # d f(W x)/dx: compared with central differences of the same stand-in
    s = Session()
    s.run("dim n\nreal tensor W[i: n, j: n]\nreal tensor x[j: n]\nfunction f\n")
    (stmt,) = parse("show diff(f(W[i, j] x[j]), x)")
    inst = sample_instance(s.env.decls.values(), 1)
    got = evaluate(build_expr(stmt.expr, s.env), inst)
    W, a = inst.array("W"), inst.array("x")
    F = stand_in(1, "f", 1)
    want = np.stack([(F(W @ (a + 1e-5 * e)) - F(W @ (a - 1e-5 * e))) / 2e-5
                     for e in np.eye(len(a))], axis=1)
    assert np.allclose(got, want, rtol=1e-5, atol=1e-6)


def test_diff_through_two_arguments_gives_one_term_per_argument():
    text = ("prove diff(g(x[i], x[i]), x) == g'1(x[i], x[i]) δ[i, i'] "
            "+ g'2(x[i], x[i]) δ[i, i'] -> [i, i']\n")
    assert statuses(text) == ["proved"]


def test_mixed_partials_written_in_either_order_are_one_bubble():
    assert statuses("prove g'1'2(x[i], w[i]) == g'2'1(x[i], w[i])\n") == ["proved"]


def test_a_two_argument_function_is_not_assumed_symmetric():
    assert statuses("prove g(x[i], w[i]) == g(w[i], x[i])\n") == ["refuted"]


def test_a_declared_function_is_not_assumed_linear():
    assert statuses("prove f(x[i] + w[i]) == f(x[i]) + f(w[i])\n") == ["refuted"]


@pytest.mark.parametrize("program, message", [
    ("function f\nfunction f\n", "duplicate declaration of 'f'"),
    ("tensor f[i: 2]\nfunction f\n", "already declared as a tensor"),
    ("function f\ntensor f[i: 2]\n", "declared as a function"),
    ("function relu\n", "built-in function"),
    ("function f(0)\n", "at least one argument"),
    ("tensor a[i: 2]\nfunction f\nshow f(a[i], a[i])\n", "f takes 1 argument, but 2"),
    ("tensor a[i: 2]\nfunction g(2)\nshow g(a[i])\n", "g takes 2 arguments, but 1"),
    ("tensor a[i: 2]\nfunction g(2)\nshow g'3(a[i], a[i])\n", "no argument 3"),
    ("tensor a[i: 2]\nfunction f\nshow f[i] a[i]\n", "'f' is a function"),
    ("tensor a[i: 2]\nshow a(a[i])\n", "'a' is a tensor, not a function"),
    ("tensor a[i: 2]\ntensor b[j: 2]\nfunction g(2)\nshow g(a[i], b[j])\n",
     "must have the same free legs"),
])
def test_misused_functions_are_located_input_errors(tmp_path, program, message):
    from rewrite.app.cli import main

    path = tmp_path / "bad.tn"
    path.write_text(program)
    with pytest.raises(SystemExit) as e:
        main(["run", str(path)])
    assert e.value.code == 2


@pytest.mark.parametrize("program, message", [
    ("function f\nfunction f\n", "duplicate declaration of 'f'"),
    ("tensor f[i: 2]\nfunction f\n", "already declared as a tensor"),
    ("tensor a[i: 2]\nfunction g(2)\nshow g(a[i])\n", "g takes 2 arguments, but 1"),
])
def test_misused_function_messages_name_the_problem(capsys, tmp_path, program, message):
    from rewrite.app.cli import main

    path = tmp_path / "bad.tn"
    path.write_text(program)
    with pytest.raises(SystemExit):
        main(["run", str(path)])
    err = capsys.readouterr()
    assert message in err.out + err.err
    assert "^" in err.out + err.err


# ------------------------------------------- random equations (properties)

COMBOS = st.lists(st.integers(-2, 2), min_size=3, max_size=3)
VECS = ("x", "w", "v")


def _lin(c: list[int]) -> str:
    parts = [f"({k}) {n}[i]" for k, n in zip(c, VECS) if k]
    return " + ".join(parts) if parts else "0 x[i]"


@st.composite
def function_equations(draw):
    """Two sums of c f(L) and c g(L, M) terms over linear combinations L, M of
    three independent vectors.  For a generic f and g the sides are equal
    exactly when like calls (same function, same argument vectors) carry the
    same total coefficient: the truth, kept with Fractions."""
    def side():
        return draw(st.lists(st.tuples(st.integers(-3, 3), st.sampled_from(["f", "g"]),
                                       COMBOS, COMBOS), min_size=1, max_size=3))

    left = side()
    right = list(reversed(left)) if draw(st.booleans()) else side()
    if draw(st.booleans()) and right:
        c, fn, a, b = right[0]
        right = right + [(-c, fn, a, b), (c, fn, a, b)][: 2]

    def totals(terms):
        out: dict = {}
        for c, fn, a, b in terms:
            key = (fn, tuple(a)) if fn == "f" else (fn, tuple(a), tuple(b))
            out[key] = out.get(key, Fraction(0)) + c
        return {k: v for k, v in out.items() if v != 0}

    def text(terms):
        return " + ".join(f"({c}) f({_lin(a)})" if fn == "f" else f"({c}) g({_lin(a)}, {_lin(b)})"
                          for c, fn, a, b in terms)

    return text(left), text(right), totals(left) == totals(right), left, right


def _numpy_side(terms, arrays, f, g):
    """The side evaluated with numpy alone, for the functions f and g given."""
    out = 0
    for c, fn, a, b in terms:
        la = sum(k * arrays[n] for k, n in zip(a, VECS))
        lb = sum(k * arrays[n] for k, n in zip(b, VECS))
        out = out + c * (f(la) if fn == "f" else g(la, lb))
    return out


@settings(max_examples=20, deadline=None)
@given(function_equations())
def test_random_equations_with_declared_functions_get_the_true_verdict(eq):
    left, right, true, lt, rt = eq
    # independent ground truth: numpy with functions of our own choosing
    rng = np.random.default_rng(0)
    arrays = {n: rng.standard_normal(4) for n in VECS}
    f = lambda u: np.sin(2 * u) + u ** 3 + np.exp(u / 3)  # noqa: E731
    g = lambda u, t: np.cos(u - 2 * t) + u * t * t + np.exp(u / 4)  # noqa: E731
    differ = not np.allclose(_numpy_side(lt, arrays, f, g), _numpy_side(rt, arrays, f, g))
    assert differ == (not true)
    prove, check = statuses(f"prove {left} == {right}\ncheck {left} == {right}\n")
    if true:
        assert prove in ("proved", "unknown") and check == "holds"
    else:
        assert prove == "refuted" and check == "refuted"


@settings(max_examples=15, deadline=None)
@given(st.sampled_from(["2", "3", "-1", "1/2"]), st.integers(-2, 2), st.integers(1, 3))
def test_random_power_identities_get_the_true_verdict(k, a, b):
    # pow(b x, k) == b^k pow(x, k) holds for integer k and any b;
    # for k = 1/2 only when b >= 0 on the principal branch (x real, signs vary)
    kk = sympy.Rational(k)
    rhs_coeff = sympy.Integer(b) ** kk
    text = f"check pow(({b}) x[i], {k}) == ({rhs_coeff}) pow(x[i], {k})\n"
    assert statuses(text) == ["holds"]
    wrong = f"check pow(({b}) x[i] + ({a}) w[i], {k}) == ({rhs_coeff}) pow(x[i], {k})\n"
    assert statuses(wrong) == (["holds"] if a == 0 else ["refuted"])
