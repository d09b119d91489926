"""A delta's legs take their sizes from what they connect to (§2), and in a
sum, from the other terms: `A[i, j] + δ[i, j]` is A + I, as anyone reading
index notation means it.  Checked against numpy."""
from __future__ import annotations

import numpy as np
import pytest

import rewrite as rw
from rewrite.core.errors import InputError

DECLS = "dim n\ntensor A[i: n, j: n]\nunitary Q[a: n -> b: n]\n"


@pytest.mark.parametrize("text, expected", [
    ("A[i, j] + δ[i, j]", lambda a: a + np.eye(3)),
    ("δ[i, j] + A[i, j]", lambda a: np.eye(3) + a),
    ("A[i, j] - 2 δ[i, j]", lambda a: a - 2 * np.eye(3)),
    ("A + δ[i, j]", lambda a: a + np.eye(3)),
    ("A[i, j] + δ[j, i]", lambda a: a + np.eye(3)),
    ("(A[i, j] + δ[i, j]) A[j, k]", lambda a: (a + np.eye(3)) @ a),
])
def test_a_delta_in_a_sum_takes_its_size_from_the_other_terms(text, expected):
    a = np.random.default_rng(0).standard_normal((3, 3))
    d = rw.program(DECLS).diagram(text)
    assert np.allclose(d.eval(A=a), expected(a))


@pytest.mark.parametrize("statement", [
    "conj(Q)[a, b] Q[a, c] + δ[b, c] == 2 δ[b, c]",
    "conj(Q)[a, b] Q[a, c] == (δ[b, c])",
    "conj(Q)[a, b] Q[a, c] == -(-δ[b, c])",
    "2 conj(Q)[a, b] Q[a, c] == 2 (δ[b, c])",
])
def test_a_delta_wrapped_in_a_sum_or_parentheses_is_sized_by_the_equation(statement):
    assert rw.program(DECLS).prove(statement).verdict == "proved"


def test_a_delta_nothing_sizes_is_still_an_error_at_the_delta():
    with pytest.raises(InputError) as e:
        rw.program(DECLS).diagram("δ[i, j] + δ[j, i]")
    assert e.value.message.startswith("cannot tell the size of index")
