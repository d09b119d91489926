"""Two sizes never silently become one: n and m stay different on every path.

Within one expression (terms of a sum, a contraction, a rule side) a leg of
size n meeting a leg of size m is an input error located at the term that
disagrees; across the two sides of prove/check (and of a rule) the shapes are
compared first and the equation is refuted (or the rule refused)."""
import pytest

from rewrite.app.session import Session

HEAD = ("dim n, m\ntensor A[i: n, j: n]\ntensor B[i: m, j: m]\ntensor C[i: 3, j: 3]\n"
        "tensor x[i: n]\ntensor y[i: m]\n")
LINE = HEAD.count("\n") + 1


def outcome(statement: str):
    outs = Session(keep_going=True).run(HEAD + statement + "\n", "t.tn")
    return outs[-1]


@pytest.mark.parametrize("statement, column", [
    ("prove A[i, j] + B[i, j] == A[i, j]", 17),          # sum on the left of prove
    ("check A[i, j] + B[i, j] == A[i, j]", 17),          # and of check
    ("prove A[i, j] == A[i, j] - B[i, j]", 28),          # on the right
    ("prove A + B == A", 11),                            # bare names
    ("prove A + C == A", 11),                            # symbolic against a number
    ("prove x[i] + y[i] + x[i] == x[i]", 14),            # a later term
    ("let s[i] = x[i] + y[i]", 19),                      # a definition
    ("prove relu(x[i] + y[i]) == relu(x[i])", 19),       # inside a bubble
    ("prove (A[i, j] + B[i, j]) x[j] == x[i]", 18),      # a parenthesised sum in a product
    ("prove 0 == A[i, j] - B[i, j]", 22),                # beside a bare zero
])
def test_terms_of_a_sum_with_different_sizes_are_an_input_error_at_the_term(statement, column):
    o = outcome(statement)
    assert o.status == "error"
    assert "one size" in o.error.message and "m" in o.error.message and "n" in o.error.message
    assert (o.error.line, o.error.column) == (LINE, column)


@pytest.mark.parametrize("statement", [
    'prove einsum("ij,ij->ij", A, B) == A',
    "prove A @ B == A",
    "prove A[i, j] B[j, k] == A[i, k]",
    "prove x[i] y[i] == x[i] x[i]",
])
def test_contracting_legs_of_different_sizes_is_an_input_error(statement):
    o = outcome(statement)
    assert o.status == "error" and "size mismatch" in o.error.message
    assert o.error.line == LINE


@pytest.mark.parametrize("statement", [
    "prove A[i, j] == B[i, j]",          # same names, sizes n and m
    "prove A[i, j] x[j] == B[i, j] y[j]",
    "check x[i] == y[i]",
])
def test_the_two_sides_with_different_sizes_are_refuted_by_their_shapes(statement):
    o = outcome(statement)
    assert o.status == "refuted"
    assert "shapes differ" in o.verdict.counterexample.format()


@pytest.mark.parametrize("rule", [
    "rule r1: A[i, j] => B[i, j]",
    "rule r2: A[i, j] B[j, k] => A[i, k]",
    "rule r3: A[i, j] x[j] => y[i]",
    "rule r5(X: tensor): X[a, b] A[b, c] => X[a, d] B[d, c]",
])
def test_rule_sides_with_different_sizes_are_refused_at_the_rule(rule):
    o = outcome(rule)
    assert o.status == "error" and "sizes" in o.error.message
    assert o.error.line == LINE


def test_the_search_never_puts_a_gauge_on_a_wire_of_another_size():
    from rewrite.core.diagram import as_sum
    from rewrite.language.expressions import build_expr
    from rewrite.language.parse import parse
    from rewrite.rewriting.ruleset import gauge_rules
    from rewrite.rewriting.search import _expanded

    s = Session()
    s.run(HEAD + "invertible G[a: n, b: n]\ninvertible H[a: m, b: m]\n", "t.tn")
    (stmt,) = parse("show B[i, j] B[j, k]\n", "u.tn")
    (d,) = as_sum(build_expr(stmt.expr, s.env)).terms
    G, H = s.env.decls["G"], s.env.decls["H"]
    assert list(_expanded(d, gauge_rules(), [G], [], False)) == []
    # the same wires take an m x m gauge: 3 wires, 2 ends, 2 rules
    assert len(list(_expanded(d, gauge_rules(), [H], [], False))) == 12
