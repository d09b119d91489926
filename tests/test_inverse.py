"""inv(EXPR) (§10): built structurally, checked against numpy's inverse, and
refused with the factor named when invertibility is not known."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewrite.app.session import Session
from rewrite.core.errors import InputError
from rewrite.language.expressions import build_expr
from rewrite.language.parse import parse
from rewrite.numerics.evaluate import evaluate
from rewrite.numerics.sample import sample_instance

DECLS = ("dim n, m\ninvertible X[a: n, b: n]\ninvertible Y[a: n, b: n]\ninvertible Z[a: m, b: m]\n"
         "unitary Q[a: n -> b: n]\northogonal O[a: n -> b: n]\ntensor A[i: n, j: n]\n"
         "symmetric invertible S[i: n, j: n]\ntensor B[i: n, j: m]\n")


def env():
    s = Session()
    s.run(DECLS)
    return s.env


def value(text: str, e, seed: int) -> np.ndarray:
    (stmt,) = parse(f"show {text}")
    inst = sample_instance(e.decls.values(), seed)
    return evaluate(build_expr(stmt.expr, e), inst), inst


# Matrix words and their numpy values: the independent ground truth.
WORDS = {
    "X": lambda i: i.array("X"), "Y": lambda i: i.array("Y"), "Q": lambda i: i.array("Q"),
    "O": lambda i: i.array("O"), "S": lambda i: i.array("S"),
    "X.T": lambda i: i.array("X").T, "conj(Y)": lambda i: i.array("Y").conj(),
    "Q.H": lambda i: i.array("Q").conj().T, "inv(X)": lambda i: np.linalg.inv(i.array("X")),
}


@settings(max_examples=30, deadline=None)
@given(st.lists(st.sampled_from(sorted(WORDS)), min_size=1, max_size=4),
       st.integers(0, 10**6))
def test_the_inverse_of_a_product_of_invertibles_is_numpys_inverse(words, seed):
    e = env()
    got, inst = value("inv(" + " @ ".join(words) + ")", e, seed)
    m = np.eye(len(inst.array("X")))
    for w in words:
        m = m @ WORDS[w](inst)
    assert np.allclose(got, np.linalg.inv(m), atol=1e-8)


def test_the_inverse_of_a_kronecker_product_matches_numpy():
    e = env()
    got, inst = value("inv(kron(X, Z))", e, 4)
    want = np.linalg.inv(np.kron(inst.array("X"), inst.array("Z")))
    assert np.allclose(got, want)


def test_named_legs_choose_row_and_column():
    e = env()
    got, inst = value("inv(X[r, s] Y[s, c] -> [c, r])", e, 9)
    want = np.linalg.inv((inst.array("X") @ inst.array("Y")).T)
    assert np.allclose(got, want)


@pytest.mark.parametrize("text, factor", [
    ("inv(X @ A)", "A is not known to be invertible"),
    ("inv(X + Y)", "a sum is not known to be invertible"),
    ("inv(tr(X) X)", "not known to be invertible"),
])
def test_an_expression_not_known_invertible_is_an_input_error_naming_the_factor(text, factor):
    with pytest.raises(InputError) as e:
        value(text, env(), 0)
    assert factor in e.value.message


def test_inv_of_an_expression_needs_two_legs_of_one_size():
    with pytest.raises(InputError) as e:
        value("inv(X[a, b] Y[c, d])", env(), 0)
    assert "4 free legs" in e.value.message
    with pytest.raises(InputError) as e:
        value("inv(X[i, j] B[j, k])", env(), 0)
    assert "square" in e.value.message
