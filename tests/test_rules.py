"""The shipped rule files and user rules: loaded through the language, checked
numerically, classified as simplifications or expansions."""
import pytest

from rewrite.language.env import Env
from rewrite.language.expressions import build_expr
from rewrite.rewriting.ruleset import (classify, core_rules, definition_rules, gauge_rules, load_rules,
                                        loaded)
from rewrite.rewriting.simplify import simplify
from rewrite.core.errors import InputError
from rewrite.language.parse import parse
from rewrite.rewriting.prove import prove
from rewrite.numerics.evaluate import compare


def expr(text: str, env: Env):
    (stmt,) = [s for s in parse(f"simplify {text}", "<test>")]
    return build_expr(stmt.expr, env)


def env_of(decls: str) -> Env:
    env = Env()
    for stmt in parse(decls, "<test>"):
        env.execute_declaration(stmt)
    return env


def test_core_rules_load_and_all_shrink():
    rules = core_rules()
    assert {r.name for r in rules} >= {"delta_fusion", "delta_loop", "isometry", "isometry_real",
                                       "unitary", "unitary_real", "inverse", "inverse_left",
                                       "conj_real", "diagonal"}
    assert all(classify(r) == "simplification" and loaded(r).simplifies for r in rules)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_shipped_rule_is_numerically_sound(seed):
    # The shipped files are not re-checked at every start (to keep commands
    # fast), so this is where their soundness is established.
    from rewrite.rewriting.ruleset import check_rule

    for rule in core_rules() + gauge_rules() + definition_rules():
        check_rule(rule, seed=seed, trials=2)


def test_gauge_rules_load_as_expansions():
    assert [g.name for g in gauge_rules()] == ["gauge", "gauge_left"]
    for g in gauge_rules():
        assert classify(g) == "expansion" and not loaded(g).simplifies


def test_an_unsound_rule_is_refused_at_its_position_with_a_counterexample():
    text = "\n\nrule projector(U: isometry): U[*w -> *t] conj(U)[*v -> *t] => δ[*w, *v]\n"
    with pytest.raises(InputError) as e:
        load_rules(text, filename="mine.tn")
    assert e.value.line == 3 and "unsound" in e.value.message and "seed" in e.value.message
    assert "mine.tn:3:" in e.value.format()


def test_a_sound_user_rule_loads():
    (r,) = load_rules("rule swap(S: symmetric): S[i, j] A[j, k] => S[j, i] A[j, k]\n",
                      env_of("dim n\ntensor A[a: n, b: n]\n"))
    assert r.name == "swap"


def test_an_expansion_rule_is_refused_by_simplify_with_a_clear_message():
    (r,) = load_rules("rule grow(X: invertible): δ[a, c] => inv(X)[a, b] X[b, c]\n")
    env = env_of("dim n\ntensor A[i: n, j: n]\n")
    with pytest.raises(InputError, match="rule grow does not shrink the diagram: it is an "
                                         "expansion; use it with :apply or in prove's search"):
        simplify(expr("A[i, j]", env), [r])


def test_kron_of_identities_is_proved_from_text():
    env = Env()
    left, right = expr("kron(eye(5), eye(3))", env), expr("eye(15)", env)
    v = prove(left, right)
    assert v.kind == "proved"
    assert compare(left, right) is None


def test_left_canonical_mps_norm_reduces_to_the_last_site():
    env = env_of("dim d = 2, chi = 2\n"
                 "isometry A1[l: 1, p1: d -> b1: chi]\n"
                 "isometry A2[b1: chi, p2: d -> b2: chi]\n"
                 "tensor A3[b2: chi, p3: d]\n"
                 "let psi = A1[l, p1, b1] A2[b1, p2, b2] A3[b2, p3]\n")
    x = expr("psi conj(psi)", env)
    r = simplify(x)
    (t,) = r.sum.terms
    assert sorted(n.title for n in t.nodes.values()) == ["A3", "conj(A3)"]
    assert compare(x, r.sum) is None


def test_split_then_fuse_cancels_from_text():
    env = env_of("dim n = 2, m = 3\ntensor M[a: n*m, b: n]\n")
    left = expr("M[(i: n j: m), k] -> [(i j), k]", env)
    v = prove(left, expr("M[x, k]", env))
    assert v.kind == "proved"
    assert {s.rule for s in v.left_steps} & {"isometry_real", "unitary_real"}


from hypothesis import given, strategies as st  # noqa: E402

from rewrite.core.canon import isomorphic  # noqa: E402
from rewrite.rewriting.strategies import all_matches, apply  # noqa: E402
from rewrite.rewriting.instantiate import instantiate, random_bindings  # noqa: E402


@given(st.integers(0, 10_000))
def test_every_core_rule_matches_its_own_left_side_and_yields_its_right_side(seed):
    for r in core_rules():
        for b in random_bindings(r, seed, max_bindings=3):
            lhs = instantiate(r.lhs, b, r.decls)
            if len(lhs.nodes) != len(r.lhs.atoms):
                continue  # a delta with two legs is a wire: no host holds it
            rhs = instantiate(r.rhs, b, r.decls, boundary=r.lhs.boundary)
            ms = all_matches(r, lhs)
            assert ms, r.name
            assert any(isomorphic(apply(lhs, m), rhs) for m in ms), r.name


def test_rules_load_from_a_path_with_declarations(tmp_path):
    f = tmp_path / "mine.tn"
    f.write_text("dim n\ntensor A[i: n, j: n]\nrule drop_conj(R: real tensor): conj(R)[*l] => R[*l]\n")
    (r,) = load_rules(f)
    assert r.name == "drop_conj" and loaded(r).simplifies
