"""Laws of elementwise functions applied by `prove` (transforms/elementwise.py).

Each true law is proved, and numpy, with the product's definitions on
complex entries written out here (relu gates on the real part, sign is
z/|z|, log and sqrt are principal branches), agrees it is true on the field
the tensors are declared over; each false variant (a wrong sign, a complex
argument where the law needs a real one, legs crossed) is refuted or, where
numbers cannot tell, at least never proved."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from evaluation import prove_verdict, session_with
from rewrite.app.session import Session

DECLS = """\
dim n
tensor x[i: n]
tensor y[i: n]
tensor A[i: n, j: n]
real tensor u[i: n]
real tensor R[i: n, j: n]
"""

RNG = np.random.default_rng(7)
N = 4


def _relu(z):
    return np.where(z.real > 0, z, 0) if np.iscomplexobj(z) else np.maximum(z, 0)


def _sign(z):
    a = np.abs(z)
    return np.where(a > 0, z / np.where(a > 0, a, 1), 0)


def _sig(z):
    return 1 / (1 + np.exp(-z))


def _arrays():
    c = lambda *s: RNG.normal(size=s) + 1j * RNG.normal(size=s)  # noqa: E731
    return {"x": c(N), "y": c(N), "A": c(N, N), "u": RNG.normal(size=N),
            "R": RNG.normal(size=(N, N))}


def _true(sides) -> bool:
    for _ in range(5):
        left, right = sides(_arrays())
        if not np.allclose(left, right):
            return False
    return True


@pytest.fixture(scope="module")
def session() -> Session:
    return session_with(DECLS)


_verdict = prove_verdict


TRUE = [
    ("relu(relu(u[i])) == relu(u[i])", lambda a: (_relu(_relu(a["u"])), _relu(a["u"]))),
    ("relu(relu(x[i])) == relu(x[i])", lambda a: (_relu(_relu(a["x"])), _relu(a["x"]))),
    ("relu(relu(R).T) == relu(R).T", lambda a: (_relu(_relu(a["R"]).T), _relu(a["R"]).T)),
    ("relu(abs(x[i])) == abs(x[i])", lambda a: (_relu(np.abs(a["x"])), np.abs(a["x"]))),
    ("abs(relu(u[i])) == relu(u[i])", lambda a: (np.abs(_relu(a["u"])), _relu(a["u"]))),
    ("sign(sign(x[i])) == sign(x[i])", lambda a: (_sign(_sign(a["x"])), _sign(a["x"]))),
    ("relu(2 u[i]) == 2 relu(u[i])", lambda a: (_relu(2 * a["u"]), 2 * _relu(a["u"]))),
    ("relu(3 x[i]) == 3 relu(x[i])", lambda a: (_relu(3 * a["x"]), 3 * _relu(a["x"]))),
    ("abs(-3 x[i]) == 3 abs(x[i])", lambda a: (np.abs(-3 * a["x"]), 3 * np.abs(a["x"]))),
    ("sign(-2 x[i]) == -sign(x[i])", lambda a: (_sign(-2 * a["x"]), -_sign(a["x"]))),
    ("relu(u[i]) relu(-u[i]) -> [i] == 0", lambda a: (_relu(a["u"]) * _relu(-a["u"]), 0 * a["u"])),
    ("relu(x[i]) relu(-x[i]) -> [i] == 0", lambda a: (_relu(a["x"]) * _relu(-a["x"]), 0 * a["x"])),
    ("relu(u[i]) + relu(-u[i]) == abs(u[i])",
     lambda a: (_relu(a["u"]) + _relu(-a["u"]), np.abs(a["u"]))),
    ("abs(R @ u) == 2 relu(R @ u) - R @ u",
     lambda a: (np.abs(a["R"] @ a["u"]), 2 * _relu(a["R"] @ a["u"]) - a["R"] @ a["u"])),
    ("exp(log(x[i])) == x[i]", lambda a: (np.exp(np.log(a["x"])), a["x"])),
    ("exp(log(A @ A)) == A @ A", lambda a: (np.exp(np.log(a["A"] @ a["A"])), a["A"] @ a["A"])),
    ("log(exp(u[i])) == u[i]", lambda a: (np.log(np.exp(a["u"])), a["u"])),
    ("log(exp(R @ u)) == R @ u", lambda a: (np.log(np.exp(a["R"] @ a["u"])), a["R"] @ a["u"])),
    ("sqrt(x[i]) sqrt(x[i]) -> [i] == x[i]", lambda a: (np.sqrt(a["x"]) ** 2, a["x"])),
    ("sign(x[i]) abs(x[i]) -> [i] == x[i]", lambda a: (_sign(a["x"]) * np.abs(a["x"]), a["x"])),
    ("pow(x[i], -1) x[i] -> [i] == δ[i: n]", lambda a: (a["x"] ** -1 * a["x"], np.ones(N))),
    ("pow(A[i, j], -1) A[i, j] -> [i, j] == δ[i: n] δ[j: n]",
     lambda a: (a["A"] ** -1 * a["A"], np.ones((N, N)))),
    ("pow(x[i], -2) x[i] x[i] -> [i] == δ[i: n]", lambda a: (a["x"] ** -2 * a["x"] ** 2, np.ones(N))),
    ("pow(x[i], 1/2) pow(x[i], 1/2) -> [i] == x[i]",
     lambda a: (np.sqrt(a["x"]) * np.sqrt(a["x"]), a["x"])),
    ("tanh(u[i]) == 2 sigmoid(2 u[i]) - δ[i: n]",
     lambda a: (np.tanh(a["u"]), 2 * _sig(2 * a["u"]) - 1)),
    ("tanh(x[i]) == 2 sigmoid(2 x[i]) - δ[i: n]",
     lambda a: (np.tanh(a["x"]), 2 * _sig(2 * a["x"]) - 1)),
]

FALSE = [
    ("relu(-2 u[i]) == -2 relu(u[i])", lambda a: (_relu(-2 * a["u"]), -2 * _relu(a["u"]))),
    ("relu(x[i]) + relu(-x[i]) == abs(x[i])",  # abs as relus needs a real argument
     lambda a: (_relu(a["x"]) + _relu(-a["x"]), np.abs(a["x"]))),
    ("abs(relu(x[i])) == relu(x[i])", lambda a: (np.abs(_relu(a["x"])), _relu(a["x"]))),
    ("abs(x[i]) abs(x[i]) -> [i] == x[i] x[i] -> [i]",
     lambda a: (np.abs(a["x"]) ** 2, a["x"] ** 2)),
    ("log(exp(4 x[i])) == 4 x[i]", lambda a: (np.log(np.exp(4 * a["x"])), 4 * a["x"])),
    ("relu(u[i]) relu(u[j]) == u[i] relu(u[j])",  # an outer product, not entrywise
     lambda a: (np.outer(_relu(a["u"]), _relu(a["u"])), np.outer(a["u"], _relu(a["u"])))),
    ("pow(A[i, j], -1) A[j, i] -> [i, j] == δ[i: n] δ[j: n]",  # legs crossed
     lambda a: (a["A"] ** -1 * a["A"].T, np.ones((N, N)))),
    ("sqrt(x[i]) sqrt(y[i]) -> [i] == sqrt(x[i] y[i] -> [i])",
     lambda a: (np.sqrt(a["x"]) * np.sqrt(a["y"]), np.sqrt(a["x"] * a["y"]))),
    ("tanh(u[i]) == 2 sigmoid(u[i]) - δ[i: n]", lambda a: (np.tanh(a["u"]), 2 * _sig(a["u"]) - 1)),
]


@pytest.mark.parametrize("statement, sides", TRUE, ids=[s for s, _ in TRUE])
def test_a_true_law_is_proved(session, statement, sides):
    assert _true(sides), "the law itself is false (ground truth)"
    assert _verdict(session, statement) == "proved"


@pytest.mark.parametrize("statement, sides", FALSE, ids=[s for s, _ in FALSE])
def test_a_false_variant_is_refuted(session, statement, sides):
    assert not _true(sides), "the variant is true (ground truth)"
    assert _verdict(session, statement) == "refuted"


def test_log_of_exp_of_a_complex_tensor_is_never_proved(session):
    # log(exp z) = z only while Im z stays in (-π, π]: random draws rarely leave
    # it, so numbers may not refute it, but no law may prove it.
    assert _verdict(session, "log(exp(x[i])) == x[i]") != "proved"
    assert _verdict(session, "log(exp(A @ x)) == A @ x") != "proved"


def test_an_argument_with_an_identity_wire_beside_its_one_node_is_not_undone(session):
    # exp(log(x) ⊗ I) has ones where I has zeros: it is not x ⊗ I.
    statement = "exp(log(x[i]) δ[j: n, k: n]) == x[i] δ[j: n, k: n]"
    x = _arrays()["x"]
    eye = np.eye(N)
    assert not np.allclose(np.exp(np.einsum("i,jk->ijk", np.log(x), eye)),
                           np.einsum("i,jk->ijk", x, eye))
    assert _verdict(session, statement) == "refuted"


def test_exp_of_a_multiple_of_a_log_is_a_principal_power(session):
    x = _arrays()["x"]
    assert np.allclose(np.exp(2 * np.log(x)), x * x)
    assert _verdict(session, "exp(2 log(x[i])) == x[i] x[i] -> [i]") == "proved"
    assert np.allclose(np.exp(0.5 * np.log(x)), np.sqrt(x))
    assert _verdict(session, "exp(1/2 log(x[i])) == sqrt(x[i])") == "proved"
    assert _verdict(session, "exp(2 log(x[i])) == x[i]") == "refuted"


def test_the_square_root_of_a_square_is_not_the_argument(session):
    # sqrt(z²) = z only where Re z > 0 (principal branch): no law may undo it.
    x = _arrays()["x"]
    assert not np.allclose(np.sqrt(x ** 2), x)
    assert _verdict(session, "sqrt(pow(x[i], 2)) == x[i]") == "refuted"


@settings(max_examples=12, deadline=None)
@given(p=st.integers(1, 9), q=st.integers(1, 9), negative=st.booleans(),
       fn=st.sampled_from(["relu", "abs"]))
def test_homogeneity_holds_for_positive_rationals_only(session, p, q, negative, fn):
    c = Fraction(p, q) * (-1 if negative else 1)
    f = {"relu": _relu, "abs": np.abs}[fn]
    u = RNG.normal(size=N)
    true = np.allclose(f(float(c) * u), float(c) * f(u))
    verdict = _verdict(session, f"{fn}({c} u[i]) == {c} {fn}(u[i])")
    assert verdict == ("proved" if true else "refuted")


# ------------------------------------------- random equations against numpy
#
# Expressions of one leg over a real u, w and a complex z, built from the
# functions the laws speak of; two drawn from a small pool often agree by a
# law (relu(relu(u)) and relu(u)), often not.  Whatever prove says must agree
# with numpy: proved only if equal on every instance, refuted only if not.

_UNARY = {
    "relu": _relu, "abs": np.abs, "sign": _sign, "exp": np.exp, "log": np.log,
    "sqrt": np.sqrt, "tanh": np.tanh, "sigmoid": _sig, "step": lambda v: (v.real > 0) * 1.0,
}


def _expressions(depth: int):
    leaf = st.sampled_from([("u[i]", lambda a: a["u"]), ("w[i]", lambda a: a["w"]),
                            ("z[i]", lambda a: a["z"])])
    if depth == 0:
        return leaf
    sub = _expressions(depth - 1)

    def unary(fn, e):
        f = _UNARY[fn]
        return (f"{fn}({e[0]})", lambda a: f(e[1](a)))

    def scaled(c, e):
        return (f"{c} ({e[0]})", lambda a: float(Fraction(c)) * e[1](a))

    def plus(e, g):
        return (f"({e[0]}) + ({g[0]})", lambda a: e[1](a) + g[1](a))

    def times(e, g):
        return (f"({e[0]}) ({g[0]}) -> [i]", lambda a: e[1](a) * g[1](a))

    return st.one_of(leaf,
                     st.builds(unary, st.sampled_from(sorted(_UNARY)), sub),
                     st.builds(scaled, st.sampled_from(["2", "-1", "1/2", "-3"]), sub),
                     st.builds(plus, sub, sub), st.builds(times, sub, sub))

# Each law (true or false on some field) as a template over an argument E.
_R, _S = _relu, _sign
_TEMPLATES = [
    ("relu(relu({e}))", lambda v: _R(_R(v)), "relu({e})", lambda v: _R(v)),
    ("abs(relu({e}))", lambda v: np.abs(_R(v)), "relu({e})", lambda v: _R(v)),
    ("relu(abs({e}))", lambda v: _R(np.abs(v)), "abs({e})", lambda v: np.abs(v)),
    ("sign(sign({e}))", lambda v: _S(_S(v)), "sign({e})", lambda v: _S(v)),
    ("exp(log({e}))", lambda v: np.exp(np.log(v)), "{e}", lambda v: v),
    ("log(exp({e}))", lambda v: np.log(np.exp(v)), "{e}", lambda v: v),
    ("(relu({e})) (relu(-({e}))) -> [i]", lambda v: _R(v) * _R(-v), "0 ({e})", lambda v: 0 * v),
    ("(relu({e})) (relu({e})) -> [i]", lambda v: _R(v) ** 2, "({e}) (relu({e})) -> [i]",
     lambda v: v * _R(v)),
    ("relu({e}) + relu(-({e}))", lambda v: _R(v) + _R(-v), "abs({e})", lambda v: np.abs(v)),
    ("(sign({e})) (abs({e})) -> [i]", lambda v: _S(v) * np.abs(v), "{e}", lambda v: v),
    ("(sqrt({e})) (sqrt({e})) -> [i]", lambda v: np.sqrt(v) ** 2, "{e}", lambda v: v),
    ("sqrt(({e}) ({e}) -> [i])", lambda v: np.sqrt(v * v), "abs({e})", lambda v: np.abs(v)),
    ("tanh({e})", lambda v: np.tanh(v), "2 sigmoid(2 ({e})) - 1 (δ[i: n])",
     lambda v: 2 * _sig(2 * v) - 1),
    ("relu(2 ({e}))", lambda v: _R(2 * v), "2 relu({e})", lambda v: 2 * _R(v)),
    ("relu(-2 ({e}))", lambda v: _R(-2 * v), "-2 relu({e})", lambda v: -2 * _R(v)),
    ("sign(3 ({e}))", lambda v: _S(3 * v), "sign({e})", lambda v: _S(v)),
    ("abs(-3 ({e}))", lambda v: np.abs(-3 * v), "3 abs({e})", lambda v: 3 * np.abs(v)),
    ("(pow({e}, -1)) (pow({e}, 1/2)) -> [i]", lambda v: v ** -1 * v ** 0.5, "pow({e}, -1/2)",
     lambda v: v ** -0.5),
    ("exp(2 log({e}))", lambda v: np.exp(2 * np.log(v)), "({e}) ({e}) -> [i]", lambda v: v * v),
    ("exp(-1/2 log({e}))", lambda v: np.exp(-0.5 * np.log(v)), "pow(sqrt({e}), -1)",
     lambda v: 1 / np.sqrt(v)),
    ("sqrt(pow({e}, 2))", lambda v: np.sqrt(v ** 2), "{e}", lambda v: v),
]


def _values(e):
    out = []
    rng = np.random.default_rng(11)
    for _ in range(4):
        a = {"u": rng.normal(size=N), "w": rng.normal(size=N),
             "z": rng.normal(size=N) + 1j * rng.normal(size=N)}
        with np.errstate(all="ignore"):
            out.append(np.asarray(e[1](a), dtype=complex) * np.ones(N))
    return out


@st.composite
def _law_instances(draw):
    """A template above with a random argument (of any field), or two random
    expressions."""
    if draw(st.integers(0, 4)) == 0:
        return draw(_expressions(2)), draw(_expressions(2))
    lt, lf, rt, rf = draw(st.sampled_from(_TEMPLATES))
    text, f = draw(_expressions(1))
    return (lt.format(e=text), lambda a: lf(f(a))), (rt.format(e=text), lambda a: rf(f(a)))


@settings(max_examples=60, deadline=None)
@given(eq=_law_instances())
def test_random_elementwise_equations_agree_with_numpy(eq):
    left, right = eq
    lv, rv = _values(left), _values(right)
    if not all(np.all(np.isfinite(v)) for v in lv + rv):
        return  # a pole or a branch point drawn: no ground truth
    equal = all(np.allclose(a, b, rtol=1e-7, atol=1e-9) for a, b in zip(lv, rv))
    s = Session()
    s.run("dim n\nreal tensor u[i: n]\nreal tensor w[i: n]\ntensor z[i: n]\n")
    [r] = s.run(f"prove {left[0]} == {right[0]}\n")
    assert r.status != "error", r.error.format()
    if r.status == "proved":
        assert equal, f"{left[0]} == {right[0]} proved, numpy disagrees"
    if r.status == "refuted":
        assert not equal, f"{left[0]} == {right[0]} refuted, numpy agrees"
