"""The definition of softmax as expansion rules (rules/definitions.tn), the
partition-function law (rules/bubbles.tn), and the rule-language extension
they need: a bubble whose argument is a product of atoms.

prove's search proves `softmax ⊙ Σ exp == exp` by unfolding the softmax (an
expansion) and then cancelling the partition function with its reciprocal (a
bubble law).  Ground truth: numpy, written from the definitions."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewrite.app.session import Session
from rewrite.core.errors import InputError
from rewrite.rewriting.ruleset import definition_rules, load_rules, loaded, shipped_rules

DECLS = ("dim n, m\ntensor s[q: n, k: m]\ntensor u[q: n, k: m]\ntensor v[k: m]\n"
         "tensor T[q: n, k: m, r: n]\n")


def run(text: str):
    return Session().run(DECLS + text, "t.tn")


def softmax(x: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(x)
    return e / e.sum(axis=axis, keepdims=True)


def test_numpy_softmax_is_exp_over_its_partition_function():
    g = np.random.default_rng(0)
    x = g.normal(size=(3, 4, 5)) + 1j * g.normal(size=(3, 4, 5))
    for axis in range(3):
        z = np.exp(x).sum(axis=axis, keepdims=True)
        assert np.allclose(softmax(x, axis) * z, np.exp(x))
        assert np.allclose(softmax(x, axis), np.exp(x) * z ** -1.0)


def test_the_definitions_are_expansions_and_the_partition_laws_simplifications():
    assert {r.name for r in definition_rules()} >= {"softmax_def", "softmax_def_2b"}
    assert {loaded(r).kind for r in definition_rules()} == {"expansion"}
    laws = [r for r in shipped_rules("bubbles") if r.name.startswith("partition_inverse")]
    assert len(laws) == 6 and {loaded(r).kind for r in laws} == {"simplification"}


@pytest.mark.parametrize("equation", [
    "softmax[k](v[k]) == exp(v[k]) pow(exp(v[j]) -> [], -1)",
    "softmax[k](s[q, k]) == exp(s[q, k]) pow(exp(s[q, j]) -> [q], -1)[q] -> [q, k]",
    "softmax[q](s[q, k]) == exp(s[q, k]) pow(exp(s[j, k]) -> [k], -1)[k] -> [q, k]",
    "softmax[r](T[q, k, r]) == exp(T[q, k, r]) pow(exp(T[q, k, j]) -> [q, k], -1)[q, k] "
    "-> [q, k, r]",
])
def test_softmax_is_proved_equal_to_its_definition_by_one_expansion(equation):
    (r,) = run(f"prove {equation}\n")
    assert r.status == "proved"
    assert r.verdict.how.startswith("search: 1 expansion: softmax_def")


@pytest.mark.parametrize("equation", [
    "softmax[k](v[k]) exp(v[j]) -> [k] == exp(v[k])",
    "softmax[k](s[q, k]) exp(s[q, j]) -> [q, k] == exp(s[q, k])",
    "softmax[q](s[q, k]) exp(s[j, k]) -> [q, k] == exp(s[q, k])",
    "softmax[k](T[q, k, r]) exp(T[q, j, r]) -> [q, k, r] == exp(T[q, k, r])",
    "softmax[q](T[q, k, r]) exp(T[j, k, r]) -> [q, k, r] == exp(T[q, k, r])",
    "softmax[r](T[q, k, r]) exp(T[q, k, j]) -> [q, k, r] == exp(T[q, k, r])",
])
def test_softmax_times_its_partition_function_is_exp_through_an_expansion_and_a_law(equation):
    (r,) = run(f"prove {equation}\n")
    v = r.verdict
    assert r.status == "proved" and v.how.startswith("search: 1 expansion: softmax_def")
    rules = [s.rule for s in v.left_steps]
    assert rules[0].startswith("softmax_def") and rules[-1].startswith("partition_inverse")


def test_without_the_search_the_laws_alone_do_not_prove_it():
    from rewrite.language.env import Env
    from rewrite.language.expressions import build_expr
    from rewrite.language.parse import parse, parse_expr
    from rewrite.rewriting.prove import prove

    env = Env()
    for stmt in parse(DECLS, "t.tn"):
        env.execute_declaration(stmt)
    left = build_expr(parse_expr("softmax[k](s[q, k]) exp(s[q, j]) -> [q, k]"), env)
    right = build_expr(parse_expr("exp(s[q, k])"), env)
    assert prove(left, right, search=False).kind == "unknown"
    assert prove(left, right).kind == "proved"


@pytest.mark.parametrize("equation", [
    # the partition function summed along the wrong leg
    "softmax[k](s[q, k]) exp(s[j, k]) -> [q, k] == exp(s[q, k])",
    "softmax[q](T[q, k, r]) exp(T[q, j, r]) -> [q, k, r] == exp(T[q, k, r])",
    # the wrong multiple, and another tensor's partition function
    "softmax[k](s[q, k]) exp(s[q, j]) -> [q, k] == 2 exp(s[q, k])",
    "softmax[k](s[q, k]) exp(u[q, j]) -> [q, k] == exp(s[q, k])",
    # the definition with the sum along the wrong leg
    "softmax[k](s[q, k]) == exp(s[q, k]) pow(exp(s[j, k]) -> [k], -1)[k] -> [q, k]",
])
def test_false_variants_are_refuted(equation):
    (r,) = run(f"prove {equation}\n")
    assert r.status == "refuted"


@settings(max_examples=12, deadline=None)
@given(st.integers(1, 3), st.data(), st.sampled_from([1, 1, 2, -1]))
def test_softmax_times_a_partition_function_gets_the_numpy_verdict(legs, data, c):
    # softmax along `axis`, times the partition function summed along `along`:
    # equal to c exp(x) exactly when along == axis and c == 1 (numpy decides).
    names = "qkr"[:legs]
    axis = data.draw(st.integers(0, legs - 1))
    along = data.draw(st.integers(0, legs - 1))
    g = np.random.default_rng(legs * 10 + axis)
    x = g.normal(size=(3, 4, 5)[:legs])
    truth = np.allclose(softmax(x, axis) * np.exp(x).sum(axis=along, keepdims=True),
                        c * np.exp(x))
    decl = f"tensor X[{', '.join(f'{n}: d{i}' for i, n in enumerate(names))}]\n"
    dims = "dim " + ", ".join(f"d{i}" for i in range(legs)) + "\n"
    z = ", ".join("j" if i == along else n for i, n in enumerate(names))
    out = ", ".join(names)
    eq = (f"prove softmax[{names[axis]}](X[{out}]) exp(X[{z}]) -> [{out}] == "
          f"{c} exp(X[{out}])\n")
    (r,) = Session().run(dims + decl + eq, "t.tn")
    assert r.status == ("proved" if truth else "refuted")


# ------------------------------------------------ the rule-language extension

HEAD = "dim n, m\n"


def test_a_users_rule_with_a_product_argument_is_checked_and_applied():
    (rule,) = load_rules(HEAD + "rule z(E: expression): pow(exp(E)[q, j] δ[j], -1)[a] "
                         "exp(E)[b, i] δ[i] δ[a, b, c] => δ[c]\n")
    assert loaded(rule).checked and loaded(rule).kind == "simplification"


def test_a_wrong_rule_with_a_product_argument_is_refused_as_unsound():
    with pytest.raises(InputError, match="unsound"):
        # the partition function summed along the other leg is not the reciprocal
        load_rules(HEAD + "rule z(E: expression): pow(exp(E)[j, q] δ[j], -1)[a] "
                   "exp(E)[b, i] δ[i] δ[a, b, c] => δ[c]\n")


@pytest.mark.parametrize("rule, message", [
    ("rule z(E: expression, F: expression): pow(exp(E + F)[j] δ[j], -1) => 1",
     "a bubble's argument is one expression variable"),
    ("rule z(E: expression): exp(E)[a] pow(E, x)[a] => δ[a] δ[a]", "takes a number second"),
    ("rule z(E: expression): pow(exp(E)[q, j] δ[j], -1)[a, b] exp(E)[a, b] => 1",
     "the bubble has 2 legs and its argument 1 free indices"),
])
def test_malformed_product_arguments_are_located_errors(rule, message):
    with pytest.raises(InputError, match=message) as e:
        load_rules(HEAD + rule + "\n")
    assert e.value.line == 2
