"""Honest verdicts at the edges: shapes before zeros, exact coefficients before
floats, tolerances scaled by the terms, sizes found wherever the constraints
put them, and limits that are reported instead of hangs.  Ground truth comes
from numpy or from arithmetic on the coefficients, never from the code path
under test."""
import numpy as np
import pytest
import sympy

from rewrite.app.session import Session
from rewrite.core.canon import canonical
from rewrite.core.errors import InputError


def results(text: str):
    return Session().run(text)


def statuses(text: str) -> list[str]:
    return [r.status for r in results(text)]


def built(text: str, expr: str):
    s = Session()
    s.run(text)
    return s.last_value(expr, "<test>")


# ------------------------------------------------------------- nested bubbles


def nested_relu(depth: int, leaf: str = "x[i]") -> str:
    return "relu(" * depth + leaf + ")" * depth


@pytest.mark.parametrize("depth", [5, 20])
def test_canonical_key_of_nested_bubbles_grows_linearly_with_depth(depth):
    decls = "dim n\ntensor x[i: n]\n"
    small = built(decls, nested_relu(depth)).terms[0]
    large = built(decls, nested_relu(2 * depth)).terms[0]
    # Each level adds one bubble label of fixed size: twice the depth is at
    # most about twice the key, never the square or the power of it.
    assert len(repr(canonical(large))) <= 2 * len(repr(canonical(small))) + 200


def test_nested_bubbles_with_different_leaves_get_different_keys():
    decls = "dim n\ntensor x[i: n]\ntensor y[i: n]\n"
    a = built(decls, nested_relu(15, "x[i]")).terms[0]
    b = built(decls, nested_relu(15, "y[i]")).terms[0]
    c = built(decls, nested_relu(15, "x[i]")).terms[0]
    assert canonical(a) != canonical(b)
    assert canonical(a) == canonical(c)


def test_simplify_of_deeply_nested_bubbles_keeps_the_nesting():
    (r,) = results("dim n\ntensor x[i: n]\nsimplify " + nested_relu(40) + "\n")
    assert r.status == "ok"
    assert r.text.count("relu(") == 40
