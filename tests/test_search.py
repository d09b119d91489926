"""prove's best-first search: gauge insertions and expansion rules from both sides,
meeting by canonical key, within a budget that is reported when it runs out.

Ground truth for every equation is numpy (einsum on random arrays), never our
own evaluation."""
import json

import numpy as np
import pytest

from rewrite.app.session import Session
from rewrite.core.limits import LIMITS
from rewrite.app.cli import main as cli
from click.testing import CliRunner

CP = """dim n = 3, r = 4
invertible diagonal D[a: r, b: r]
invertible diagonal E[a: r, b: r]
tensor A[i: n, a: r]
tensor B[j: n, a: r]
tensor C[k: n, a: r]
"""
# CP's scaling freedom: the factors' columns scaled by D and E on A, and
# undone by inv(D) on B and inv(E) on C, leave the tensor as it was.
CP_SCALED = ("prove A[i, a] B[j, b] C[k, c] δ[a, b, c] == A[i, a] D[a, x] E[x, a2] "
             "B[j, b] inv(D)[b, b2] C[k, c] inv(E)[c, c2] δ[a2, b2, c2]")


@pytest.fixture(autouse=True)
def _limits_restored():
    """The command line sets the global limits; each test starts from the defaults."""
    yield
    LIMITS.search_budget = type(LIMITS)().search_budget
    LIMITS.search_seconds = type(LIMITS)().search_seconds


def run(text: str):
    return Session().run(text, "t.tn")


def cp_arrays(seed: int = 0):
    g = np.random.default_rng(seed)
    A, B, C = (g.normal(size=(3, 4)) + 1j * g.normal(size=(3, 4)) for _ in range(3))
    d, e = (g.normal(size=4) + 2 for _ in range(2))
    return A, B, C, np.diag(d), np.diag(e)


def test_cp_scaling_is_true_in_numpy():
    A, B, C, D, E = cp_arrays()
    core = np.zeros((4, 4, 4))
    core[np.arange(4), np.arange(4), np.arange(4)] = 1
    left = np.einsum("ia,ja,ka,abc->ijk", A, B, C, core)
    right = np.einsum("ia,ax,xp,jb,bq,kc,cs,pqs->ijk", A, D, E, B, np.linalg.inv(D), C,
                      np.linalg.inv(E), core)
    assert np.allclose(left, right)


def test_two_gauge_insertions_on_different_bonds_prove_cp_scaling():
    (r,) = run(CP + CP_SCALED)
    v = r.verdict
    assert r.status == "proved" and v.how.startswith("search: 2 expansions")
    moves = v.search.moves()
    assert [m.expansion.rule for m in moves] == ["gauge_left", "gauge_left"]
    wires = [m.label for m in moves]
    assert any("inv(D) D" in w and "B" in w for w in wires)
    assert any("inv(E) E" in w and "C" in w for w in wires)


def test_the_two_gauges_are_needed_the_normal_forms_differ():
    old = LIMITS.search_budget
    LIMITS.search_budget = 1
    try:
        (r,) = run(CP + CP_SCALED)
    finally:
        LIMITS.search_budget = old
    assert r.status == "unknown"
    assert r.verdict.note.startswith("search budget ran out: 1 form explored")


def test_a_misplaced_gauge_is_refuted_not_searched():
    # A scaled by D only, B by inv(E), C by inv(D): the scales multiply to
    # inv(E), not one; numbers say so before any search.
    A, B, C, D, E = cp_arrays()
    core = np.zeros((4, 4, 4))
    core[np.arange(4), np.arange(4), np.arange(4)] = 1
    left = np.einsum("ia,ja,ka,abc->ijk", A, B, C, core)
    right = np.einsum("ia,ap,jb,bq,kc,cs,pqs->ijk", A, D, B, np.linalg.inv(E), C,
                      np.linalg.inv(D), core)
    assert not np.allclose(left, right)
    (r,) = run(CP + "prove A[i, a] B[j, b] C[k, c] δ[a, b, c] == A[i, a] D[a, a2] "
               "B[j, b] inv(E)[b, b2] C[k, c] inv(D)[c, c2] δ[a2, b2, c2]")
    assert r.status == "refuted" and r.verdict.search is None


def test_one_gauge_moves_a_diagonal_through_a_copy_tensor():
    (r,) = run("dim n\ninvertible diagonal D[a: n, b: n]\n"
               "prove δ[i, j, k] == inv(D)[i, a] δ[a, j, b] D[b, k]\n")
    assert r.status == "proved" and r.verdict.how.startswith("search: 1 expansion")


def test_the_proof_path_is_in_the_steps_in_order():
    (r,) = run(CP + CP_SCALED)
    rules = [s.rule for s in r.verdict.left_steps + r.verdict.right_steps]
    assert rules.count("gauge_left") == 2
    first = rules.index("gauge_left")
    assert rules[first + 1] == "diagonal"  # each gauge is followed by what it enabled


def test_the_command_line_reports_the_search_and_its_budget(tmp_path):
    f = tmp_path / "cp.tn"
    f.write_text(CP + CP_SCALED + "\n", encoding="utf-8")
    out = CliRunner().invoke(cli, ["run", str(f)])
    assert out.exit_code == 0, out.output
    assert "search: 2 expansions: gauge_left (inv(D) D on the wire from B" in out.output
    out = CliRunner().invoke(cli, ["--search-budget", "3", "run", str(f)])
    assert out.exit_code == 1
    assert "search budget ran out: 3 forms explored" in out.output
    assert "raise it with --search-budget" in out.output


def test_json_lists_the_search_moves(tmp_path):
    f = tmp_path / "cp.tn"
    f.write_text(CP + CP_SCALED + "\n", encoding="utf-8")
    out = CliRunner().invoke(cli, ["run", "--json", str(f)])
    (res,) = json.loads(out.output)["results"]
    assert res["search"]["found"] is True
    assert [m["side"] for m in res["search"]["moves"]] == ["left", "left"]
    assert res["search"]["explored"] >= 2


def test_the_html_proof_page_shows_the_gauge_steps(tmp_path):
    f = tmp_path / "cp.tn"
    f.write_text(CP + CP_SCALED + "\n", encoding="utf-8")
    page = tmp_path / "p.html"
    out = CliRunner().invoke(cli, ["run", str(f), "--html", str(page)])
    assert out.exit_code == 0, out.output
    html = page.read_text(encoding="utf-8")
    assert html.count("<b>gauge_left</b>") == 2


def test_a_search_that_finds_nothing_says_it_was_exhausted():
    # Q is unitary, hence a gauge candidate, but no placement explains
    # sqrt(a ⊙ a) = |a| (true for real a, and no law knows it).
    (r,) = run("dim n\nreal tensor a[i: n]\nunitary Q[a: n -> b: n]\n"
               "prove sqrt(a[i] a[i] -> [i]) Q[i, j] == abs(a[i]) Q[i, j]\n")
    assert r.status == "unknown"
    assert "search" in r.verdict.note and "forms explored" in r.verdict.note


def test_a_wire_rule_puts_only_tensors_its_variable_admits():
    # O O^T on a wire is sound for an orthogonal O, not for any invertible G.
    from rewrite.core.errors import InputError
    from rewrite.rewriting.ruleset import load_rules
    from rewrite.rewriting.simplify import apply_gauge

    s = Session()
    s.run("dim n\ninvertible G[a: n, b: n]\northogonal O[a: n -> b: n]\ntensor x[i: n]\n", "t.tn")
    (rule,) = load_rules("rule ortho_wire(O: orthogonal): δ[a, c] => O[a, b] O[c, b]\n")
    from rewrite.core.diagram import as_sum
    from rewrite.language.expressions import build_expr
    from rewrite.language.parse import parse

    (stmt,) = parse("show x[i]\n", "u.tn")
    (d,) = as_sum(build_expr(stmt.expr, s.env)).terms
    with pytest.raises(InputError, match="puts O: orthogonal on a wire, and G is not one"):
        apply_gauge(d, "i", s.env.decls["G"], rule)
    assert len(apply_gauge(d, "i", s.env.decls["O"], rule).nodes) == 3


HERMITIAN = "dim n\nhermitian invertible H[a: n, b: n]\n"
# H^T conj(inv(H)) = conj(H) conj(inv(H)) = conj(H inv(H)) = I for hermitian H.
HERMITIAN_EQ = "prove H[b, a] conj(inv(H))[b, c] == δ[a, c]\n"


def test_the_hermitian_identity_is_true_in_numpy():
    g = np.random.default_rng(3)
    M = g.normal(size=(4, 4)) + 1j * g.normal(size=(4, 4))
    H = M + M.conj().T
    assert np.allclose(np.einsum("ba,bc->ac", H, np.linalg.inv(H).conj()), np.eye(4))


def test_an_expansion_rule_followed_by_a_law_proves_what_the_laws_alone_cannot():
    # A softmax times its partition function is exp: no shrinking law applies
    # to either normal form; the search unfolds the softmax by its definition
    # (rules/definitions.tn), and the partition-function law finishes.
    g = np.random.default_rng(3)
    x = g.normal(size=(3, 4))
    e = np.exp(x)
    assert np.allclose(e / e.sum(axis=1, keepdims=True) * e.sum(axis=1, keepdims=True), e)
    eq = ("dim n, m\ntensor s[q: n, k: m]\n"
          "prove softmax[k](s[q, k]) exp(s[q, j]) -> [q, k] == exp(s[q, k])\n")
    LIMITS.search_seconds = 1e-9  # no time to search: the laws alone
    (before,) = run(eq)
    assert before.status == "unknown"
    LIMITS.search_seconds = type(LIMITS)().search_seconds
    (after,) = run(eq)
    v = after.verdict
    assert after.status == "proved" and v.how.startswith("search: 1 expansion: softmax_def_2b")
    steps = [s.rule for s in v.left_steps]
    assert steps[:2] == ["softmax_def_2b", "delta_fusion"] and len(steps) == 3
    assert steps[2].startswith("partition_inverse")


def without_the_hermitian_inverse_law(monkeypatch, extra=()):
    """The shipped rules without `hermitian_inverse` (which proves HERMITIAN_EQ
    directly), plus `extra`: so that a test can show a rule doing that work."""
    from rewrite.rewriting import ruleset

    shipped = [r for r in ruleset.core_rules() if r.name != "hermitian_inverse"]
    monkeypatch.setattr(ruleset, "core_rules", lambda: shipped + list(extra))


def test_a_users_expansion_rule_followed_by_a_law():
    # H^T conj(inv(H)): the user's rule turns H back into conj(H) (an expansion),
    # and inverse_conj finishes (the shipped hermitian_inverse set aside).
    with pytest.MonkeyPatch.context() as mp:
        without_the_hermitian_inverse_law(mp)
        (before,) = run(HERMITIAN + HERMITIAN_EQ)
        assert before.status == "unknown"
        rule = "rule hermitian_back(K: hermitian): K[i, j] => conj(K)[j, i]\n"
        (after,) = run(HERMITIAN + rule + HERMITIAN_EQ)
    v = after.verdict
    assert after.status == "proved" and v.how.startswith("search: 1 expansion: hermitian_back")
    assert [s.rule for s in v.left_steps] == ["hermitian_back", "inverse_conj"]


# ------------------------------------------- random CP scalings against numpy

from hypothesis import given, settings, strategies as st  # noqa: E402

SCALES = ("D", "inv(D)", "E", "inv(E)")


def scaled_side(chains) -> str:
    """A[i, ·] B[j, ·] C[k, ·] on a copy tensor, each factor's bond passing
    through its chain of scale matrices first."""
    parts, ends = [], []
    for f, leg, chain in zip("ABC", "ijk", chains):
        b = f"{f.lower()}0"
        parts.append(f"{f}[{leg}, {b}]")
        for t, s in enumerate(chain, 1):
            parts.append(f"{s}[{b}, {f.lower()}{t}]")
            b = f"{f.lower()}{t}"
        ends.append(b)
    return " ".join(parts) + f" δ[{', '.join(ends)}]"


def numpy_truth(chains, seed: int = 5) -> bool:
    A, B, C, D, E = cp_arrays(seed)
    mats = {"D": D, "E": E, "inv(D)": np.linalg.inv(D), "inv(E)": np.linalg.inv(E)}
    core = np.zeros((4, 4, 4))
    core[np.arange(4), np.arange(4), np.arange(4)] = 1
    factors = []
    for F, chain in zip((A, B, C), chains):
        for s in chain:
            F = F @ mats[s]
        factors.append(F)
    left = np.einsum("ia,ja,ka->ijk", A, B, C)
    return np.allclose(left, np.einsum("ia,jb,kc,abc->ijk", *factors, core))


def decide(chains):
    old = LIMITS.search_budget
    LIMITS.search_budget = 120
    try:
        (r,) = run(CP + f"prove A[i, a] B[j, a] C[k, a] == {scaled_side(chains)}\n")
    finally:
        LIMITS.search_budget = old
    return r


@settings(max_examples=8, deadline=None)
@given(st.lists(st.lists(st.sampled_from(SCALES), max_size=2), min_size=3, max_size=3))
def test_random_scalings_are_never_wrongly_proved_or_refuted(chains):
    r = decide(chains)
    if numpy_truth(chains):
        assert r.status in ("proved", "unknown")
    else:
        assert r.status == "refuted"


@settings(max_examples=6, deadline=None)
@given(st.sampled_from("DE"), st.permutations(range(3)))
def test_one_gauge_pair_between_any_two_factors_is_proved_by_the_search(x, order):
    f, g = order[0], order[1]
    chains = [[], [], []]
    chains[f].append(x)
    chains[g].append(f"inv({x})")
    assert numpy_truth(chains)
    r = decide(chains)
    assert r.status == "proved" and r.verdict.how.startswith("search: 1 expansion")


def test_a_shipped_law_that_does_not_shrink_goes_to_the_search_not_to_simplify(monkeypatch):
    from rewrite.rewriting import ruleset

    (back,) = ruleset.load_rules("rule hermitian_back(K: hermitian): K[i, j] => conj(K)[j, i]\n")
    without_the_hermitian_inverse_law(monkeypatch, [back])
    assert back in ruleset.shipped_expansions()
    (r,) = run(HERMITIAN + HERMITIAN_EQ)
    assert r.status == "proved" and r.verdict.how.startswith("search: 1 expansion: hermitian_back")
    (s,) = run(HERMITIAN + "simplify H[a, b]\n")
    assert s.status == "ok"  # simplify did not try to use the expansion


def test_a_search_stopped_by_its_time_budget_says_so_even_before_any_form(tmp_path):
    f = tmp_path / "cp.tn"
    f.write_text(CP + CP_SCALED + "\n", encoding="utf-8")
    out = CliRunner().invoke(cli, ["--search-seconds", "1e-9", "run", str(f)])
    assert out.exit_code == 1
    assert "search time ran out" in out.output and "raise it with --search-seconds" in out.output


def test_diagonals_commute_by_one_gauge_on_each_side_meeting_in_the_middle():
    g = np.random.default_rng(7)
    F = g.normal(size=(3, 4))
    D, Ei = np.diag(g.normal(size=4) + 2), np.linalg.inv(np.diag(g.normal(size=4) + 2))
    assert np.allclose(F @ D @ Ei, F @ Ei @ D)
    (r,) = run("dim n, r\ninvertible diagonal D[a: r, b: r]\ninvertible diagonal E[a: r, b: r]\n"
               "tensor F[i: n, a: r]\n"
               "prove F[i, a] D[a, b] inv(E)[b, c] == F[i, a] inv(E)[a, b] D[b, c]\n")
    found = r.verdict.search
    assert r.status == "proved" and found.left_path and found.right_path
