"""Contraction cost: symbolic costing of pairwise orders, the naive written order
against the optimiser's, and the seed's ladder (footnote 5)."""
from __future__ import annotations

import sympy
import pytest

from rewrite.language.env import build_program
from rewrite.numerics.cost import contraction_cost, naive_path, order_cost
from rewrite.views.export import index_network
from rewrite.language.parse import parse
from rewrite.app.session import Session


def _assume_pairwise_network(net) -> None:
    """Only networks cotengra costs as we do: two operands or more, no index
    twice on one operand, and every summed index on two operands or more."""
    counts: dict[int, int] = {}
    for op in net.operands:
        for i in set(op.indices):
            counts[i] = counts.get(i, 0) + 1
    assume(len(net.operands) >= 2)
    assume(all(len(set(op.indices)) == len(op.indices) for op in net.operands))
    assume(all(c > 1 or i in net.output for i, c in counts.items()))


def env_of(src: str):
    return build_program(parse(src))


def ladder_source(k: int, size: str = "d") -> str:
    """A 2×k ladder written top line first: T1 ... Tk, then B1 ... Bk.

    Rung r_i joins T_i and B_i; t_i joins T_i, T_{i+1}; b_i joins B_i, B_{i+1}.
    """
    decls = [f"dim {size}"] if not size.isdigit() else []
    top, bottom = [], []
    for i in range(1, k + 1):
        legs_t = ([f"t{i - 1}"] if i > 1 else []) + [f"r{i}"] + ([f"t{i}"] if i < k else [])
        legs_b = ([f"b{i - 1}"] if i > 1 else []) + [f"r{i}"] + ([f"b{i}"] if i < k else [])
        for name, legs, out in ((f"T{i}", legs_t, top), (f"B{i}", legs_b, bottom)):
            s = size
            decls.append(f"tensor {name}[{', '.join(f'x{j}: {s}' for j in range(len(legs)))}]")
            out.append(f"{name}[{', '.join(legs)}]")
    return "\n".join(decls) + f"\nlet ladder = {' '.join(top + bottom)}\n"


def ladder_report(k: int, sizes=None):
    env = env_of(ladder_source(k))
    # A dim is a scalars.Mono until sympy is needed; sympy's polynomial tools want its symbol.
    return contraction_cost(env.lets["ladder"], env, sizes=sizes), sympy.sympify(env.dims["d"])


# ---------------------------------------------------------------- order_cost


def test_matrix_chain_cost_is_the_sum_of_the_pairwise_products():
    env = env_of("dim n, m, k, l\ntensor A[i: n, j: m]\ntensor B[j: m, k: k]\n"
                 "tensor C[k: k, l: l]\nlet e = A[a, b] B[b, c] C[c, e]\n")
    n, m, k, l = (env.dims[x] for x in "nmkl")
    net = index_network(env.lets["e"].terms[0])
    left_first = order_cost(net, naive_path(3))
    right_first = order_cost(net, [(1, 2), (0, 1)])
    assert sympy.expand(left_first.flops - (n * m * k + n * k * l)) == 0
    assert sympy.expand(right_first.flops - (m * k * l + n * m * l)) == 0


def test_hyperedge_stays_open_until_its_last_tensor():
    env = env_of("dim n\ntensor a[i: n]\ntensor b[i: n]\ntensor c[i: n]\n"
                 "let e = a[x] b[x] c[x]\n")
    order = order_cost(index_network(env.lets["e"].terms[0]), naive_path(3))
    assert [len(s.legs) for s in order.steps] == [1, 0]


def test_trace_of_a_single_tensor_is_one_summing_step():
    env = env_of("dim n\ntensor X[i: n, j: n]\nlet e = X[i, i]\n")
    report = contraction_cost(env.lets["e"], env, sizes={"n": 5})
    assert [s.right for s in report.terms[0].naive.steps] == [None]


def test_largest_intermediate_is_the_biggest_step_result():
    env = env_of("dim n\ntensor u[i: n]\ntensor w[j: n]\ntensor M[i: n, j: n]\n"
                 "let e = u[i] w[j] M[i, j]\n")
    report = contraction_cost(env.lets["e"], env, sizes={"n": 7})
    n = env.dims["n"]
    assert report.terms[0].naive.largest == n ** 2   # the outer product u w first
    assert report.terms[0].best.largest == n


def test_given_sizes_are_used_and_missing_ones_sampled():
    env = env_of("dim n, m\ntensor A[i: n, j: m]\ntensor B[j: m, k: n]\nlet e = A[i, j] B[j, k]\n")
    report = contraction_cost(env.lets["e"], env, sizes={"n": 10})
    assert report.sizes["n"] == 10 and 2 <= report.sizes["m"] <= 4
    assert report.at(report.best_flops) == 100 * report.sizes["m"]


def test_sum_costs_add_over_terms():
    env = env_of("dim n\ntensor A[i: n, j: n]\ntensor B[i: n, j: n]\n"
                 "let e = A[i, j] B[j, k] + B[i, j] A[j, k]\n")
    report = contraction_cost(env.lets["e"], env, sizes={"n": 3})
    n = env.dims["n"]
    assert len(report.terms) == 2 and sympy.expand(report.best_flops - 2 * n ** 3) == 0


def test_bubble_inside_counts_towards_the_total():
    env = env_of("dim n\ntensor W[i: n, j: n]\ntensor x[j: n]\nlet e = relu(W[i, j] x[j]) x[i]\n")
    report = contraction_cost(env.lets["e"], env, sizes={"n": 4})
    n = env.dims["n"]
    assert len(report.terms[0].bubbles) == 1
    assert sympy.expand(report.best_flops - (n ** 2 + n)) == 0


def test_report_json_and_text_agree_on_the_totals():
    env = env_of("dim n\ntensor A[i: n, j: n]\nlet e = A[i, j] A[j, k] A[k, l]\n")
    report = contraction_cost(env.lets["e"], env, sizes={"n": 3})
    doc = report.to_json()
    assert doc["best_flops_value"] == report.at(report.best_flops) == 54
    assert "best 2*n**3 = 54" in report.format()


# -------------------------------------------------------------- the ladder


def test_ladder_top_line_first_costs_more_than_the_optimised_order():
    report, d = ladder_report(8, sizes={"d": 2})
    assert report.at(report.naive_flops) > report.at(report.best_flops)


def test_ladder_optimised_cost_grows_linearly_and_naive_exponentially():
    costs = {k: ladder_report(k, sizes={"d": 3}) for k in (4, 6, 8)}
    d = costs[4][1]
    best = {k: sympy.expand(r.best_flops) for k, (r, _) in costs.items()}
    naive = {k: sympy.expand(r.naive_flops) for k, (r, _) in costs.items()}
    # optimised: one polynomial of fixed degree, the same increment per rung
    assert len({sympy.degree(best[k], d) for k in best}) == 1
    assert sympy.expand((best[8] - best[6]) - (best[6] - best[4])) == 0
    # naive: the top line's intermediate has a leg per rung: degree grows with k
    degrees = [sympy.degree(naive[k], d) for k in (4, 6, 8)]
    assert degrees[0] < degrees[1] < degrees[2] and degrees[2] >= 8


def test_ladder_orders_are_shown_as_pairwise_steps():
    report, _ = ladder_report(3, sizes={"d": 2})
    text = report.format()
    assert "naive order (as written):" in text and "1. T1 · T2 →" in text
    assert "largest intermediate:" in text
    assert len(report.terms[0].best.steps) == 5


def test_cost_statement_runs_through_the_session():
    src = ladder_source(4) + "cost ladder\n"
    (result,) = Session().run(src)
    data = result.to_json()
    assert result.status == "ok" and data["naive_flops_value"] > data["best_flops_value"]


# ------------------------------------------------------------- command line


def test_cli_cost_takes_sizes_and_prints_both_orders(tmp_path):
    from click.testing import CliRunner

    from rewrite.app.cli import main

    decls = tmp_path / "d.tn"
    decls.write_text("dim n, m\ntensor A[i: n, j: m]\ntensor B[i: m, j: n]\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["cost", "A[i, j] B[j, k] A[k, l]", "--decl", str(decls),
                                  "--size", "n=10", "--size", "m=4"])
    assert r.exit_code == 0
    assert "total flops: naive 2*m*n**2 = 800; best 2*m**2*n = 320" in r.output


def test_cli_cost_json_is_schema_versioned(tmp_path):
    import json

    from click.testing import CliRunner

    from rewrite.app.cli import main

    decls = tmp_path / "d.tn"
    decls.write_text("dim n\ntensor A[i: n, j: n]\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["cost", "A[i, j] A[j, k]", "--decl", str(decls), "--json",
                                  "--size", "n=3"])
    doc = json.loads(r.output)
    assert doc["schema"] == "penrose-rewrite/cost/1" and doc["best_flops_value"] == 27


def test_cli_cost_rejects_a_malformed_size():
    from click.testing import CliRunner

    from rewrite.app.cli import main

    r = CliRunner().invoke(main, ["cost", "δ[i: 2, i]", "--size", "n"])
    assert r.exit_code == 2 and "NAME=POSITIVE_INTEGER" in r.output


# ------------------------------------------------- agreement with cotengra

from hypothesis import assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from strategies import diagrams  # noqa: E402


@settings(max_examples=40)
@given(diagrams(), st.integers(1, 5))
def test_integer_costing_of_a_path_matches_cotengras_own_count(d, size):
    """The walk that picks orders counts flops as cotengra does for the same tree
    (hyperedges included).  Traces and indices private to one operand are left
    out: cotengra sums them away before it counts, `cost` counts them in the
    first step that touches them."""
    import warnings

    import cotengra as ctg

    from rewrite.numerics.cost import path_flops
    from rewrite.numerics.network import index_network

    net = index_network(d)
    _assume_pairwise_network(net)
    ints = {i: size for i in net.sizes}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tree = ctg.array_contract_tree([op.indices for op in net.operands], net.output,
                                       size_dict=ints, optimize="greedy")
    assert path_flops(net, tree.get_path(), ints)[0] == int(tree.contraction_cost())


def test_long_ladder_costs_one_step_per_contraction_and_names_long_results_briefly():
    report, d = ladder_report(60, sizes={"d": 2})
    naive = report.terms[0].naive
    assert len(naive.steps) == 119
    assert report.at(naive.flops) == naive.flops_value
    assert "(60 legs)" in report.format() or "legs)" in report.format()


# ------------------------------------- symbolic counts against independent ones


def _cotengra_count(net, path, size_of) -> int:
    """cotengra's own flop count of `path` on `net`, each index's size given by
    `size_of` (a function of its symbolic size): the independent count."""
    import warnings

    import cotengra as ctg

    ints = {i: size_of(s) for i, s in net.sizes.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tree = ctg.ContractionTree.from_path([op.indices for op in net.operands], net.output,
                                             ints, path=[tuple(p) for p in path])
    return int(tree.contraction_cost())


def _at(expr, **values) -> int:
    e = sympy.sympify(expr)
    return int(e.xreplace({s: values[str(s)] for s in e.free_symbols}))


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_symbolic_flops_of_any_order_equal_cotengras_count_at_every_size(data):
    """An order planned at one set of sizes: its symbolic flops, substituted at
    other sizes, count what cotengra counts for the same order at those sizes."""
    d = data.draw(diagrams())
    net = index_network(d)
    _assume_pairwise_network(net)
    path, left = [], len(net.operands)
    while left > 1:  # a random pairwise order
        i = data.draw(st.integers(0, left - 1))
        j = data.draw(st.integers(0, left - 2))
        path.append((i, j if j < i else j + 1))
        left -= 1
    order = order_cost(net, path, sizes={"n": 3, "m": 2})
    n, m = data.draw(st.integers(1, 6)), data.draw(st.integers(1, 6))
    assert _at(order.flops, n=n, m=m) == _cotengra_count(net, path, lambda s: _at(s, n=n, m=m))


def test_ladder_best_flops_polynomial_counts_cotengras_flops_at_every_rung_size():
    report, d = ladder_report(12, sizes={"d": 2})
    env = env_of(ladder_source(12))
    net = index_network(env.lets["ladder"].terms[0])
    best = report.terms[0].best
    for size in (1, 3, 5, 8):
        assert _at(report.best_flops, d=size) == _cotengra_count(net, best.path, lambda s: size)


def test_ladder_naive_flops_polynomial_counts_cotengras_flops_at_every_rung_size():
    report, d = ladder_report(12, sizes={"d": 2})
    env = env_of(ladder_source(12))
    net = index_network(env.lets["ladder"].terms[0])
    naive = report.terms[0].naive
    for size in (1, 3, 7):
        assert _at(report.naive_flops, d=size) == _cotengra_count(net, naive.path, lambda s: size)


def test_products_of_sizes_cost_as_their_factors_multiplied():
    env = env_of("dim n, m\ntensor F[i: n*m, j: 2]\ntensor G[i: 2, j: n*m]\n"
                 "let e = F[a, b] G[b, c] F[c, e]\n")
    report = contraction_cost(env.lets["e"], env, sizes={"n": 3, "m": 5})
    net = index_network(env.lets["e"].terms[0])
    best = report.terms[0].best
    for n, m in ((1, 1), (2, 7), (4, 3)):
        assert _at(report.best_flops, n=n, m=m) == _cotengra_count(
            net, best.path, lambda s: _at(s, n=n, m=m))


def test_a_size_that_is_a_sum_is_multiplied_out_exactly():
    from rewrite.core.diagram import Diagram, TensorNode
    from rewrite.core.kinds import Decl, Kind

    n = sympy.Symbol("n", positive=True, integer=True)
    a = Decl("A", Kind.GENERIC, ("i", "j"), (n + 1, n), 2)
    b = Decl("B", Kind.GENERIC, ("j", "k"), (n, n + 1), 2)
    c = Decl("C", Kind.GENERIC, ("k", "i"), (n + 1, n + 1), 2)
    d = Diagram()
    va, vb, vc = (d.add_node(TensorNode(x)) for x in (a, b, c))
    d.connect((va, 1), (vb, 0))
    d.connect((vb, 1), (vc, 0))
    d.connect((vc, 1), (va, 0))
    report = contraction_cost(d, sizes={"n": 3})
    # A·B costs (n+1)·n·(n+1), then closing the loop with C costs (n+1)²
    expected = (n + 1) * n * (n + 1) + (n + 1) ** 2
    assert sympy.expand(report.naive_flops - expected) == 0
    assert f"{sympy.expand(expected)} = {_at(expected, n=3)}" in report.format()


# --------------------------------------------------------- the text of a count


_NAMES = ("a", "d", "m", "n", "χ")


@st.composite
def _polynomials(draw):
    """Counted monomials in sizes named from _NAMES and small integers."""
    from rewrite.core import scalars

    out = []
    for _ in range(draw(st.integers(1, 14))):
        m = {}
        for name in draw(st.lists(st.sampled_from(_NAMES), max_size=3, unique=True)):
            m[scalars.symbol(name)] = draw(st.integers(1, 5))
        if draw(st.booleans()):
            m[draw(st.integers(2, 4))] = draw(st.integers(1, 3))
        out.append((frozenset(m.items()), draw(st.integers(1, 3))))
    return out


def _as_sympy(terms):
    from rewrite.core import scalars

    return sympy.Add(*[c * sympy.Mul(*[scalars.sympify(s) ** e for s, e in m]) for m, c in terms])


@settings(max_examples=80)
@given(_polynomials())
def test_a_count_prints_exactly_as_sympy_prints_it(terms):
    from rewrite.numerics.cost import _poly_text

    assert _poly_text(terms, full=True) == str(_as_sympy(terms))


@settings(max_examples=40)
@given(_polynomials())
def test_a_long_count_is_shown_by_sympys_leading_terms_and_its_last(terms):
    from rewrite.numerics.cost import SHOWN_TERMS, _poly_text

    ordered = [str(t) for t in _as_sympy(terms).as_ordered_terms()]
    text = _poly_text(terms)
    if len(ordered) <= SHOWN_TERMS:
        assert text == " + ".join(ordered)
    else:
        assert text.startswith(" + ".join(ordered[:SHOWN_TERMS - 3]) + " + … (")
        assert text.endswith(f"more terms) + {ordered[-1]}")


# ------------------------------------------------------------ long ladders


def test_json_has_every_term_of_a_long_count():
    report, d = ladder_report(30, sizes={"d": 2})
    doc = report.to_json()
    assert doc["naive_flops"] == str(sympy.expand(report.naive_flops))
    assert "…" not in doc["naive_flops"] and "…" in report.format()


def test_every_step_of_an_order_has_all_its_legs_though_the_text_names_a_few():
    report, d = ladder_report(30, sizes={"d": 2})
    naive = report.terms[0].naive
    # the top line contracted first carries one leg per rung
    assert max(len(s.legs) for s in naive.steps) == 30
    assert "(30 legs)" in report.format()


def test_a_speed_up_beyond_a_float_is_still_shown():
    report, d = ladder_report(120, sizes={"d": 1000})
    naive, best = report.at(report.naive_flops), report.at(report.best_flops)
    assert naive // best > 10 ** 309
    assert f"speed-up at these sizes: about {str(naive // best)[0]}." in report.format()


def test_the_same_network_gets_the_same_best_order_every_time():
    paths = {ladder_report(10, sizes={"d": 3})[0].terms[0].best.path for _ in range(3)}
    assert len(paths) == 1


@settings(max_examples=200)
@given(st.integers(10 ** 15, 10 ** 2000) | st.integers(50, 6000).map(lambda k: 2 ** k)
       | st.integers(16, 2000).map(lambda k: 10 ** k - 1))
def test_a_large_count_is_shown_by_its_first_three_digits_and_its_exponent(v):
    from rewrite.numerics.cost import _number

    digits = str(v)
    assert _number(v) == f"about {digits[0]}.{digits[1:3]}e+{len(digits) - 1}"


def test_a_step_of_three_operands_costs_as_two_pairwise_steps():
    env = env_of("dim n, m, k, l\ntensor A[i: n, j: m]\ntensor B[j: m, k: k]\n"
                 "tensor C[k: k, l: l]\nlet e = A[a, b] B[b, c] C[c, e]\n")
    net = index_network(env.lets["e"].terms[0])
    at_once = order_cost(net, [(0, 1, 2)])
    pairwise = order_cost(net, [(0, 1), (0, 1)])
    assert len(at_once.steps) == 2
    assert sympy.expand(at_once.flops - pairwise.flops) == 0


@settings(max_examples=40, deadline=None)
@given(diagrams(bubbles=True))
def test_symbolic_totals_at_the_reports_sizes_are_its_integer_totals(d):
    """The two halves of one walk agree: the symbolic count, at the sizes the
    report planned with, is the exact integer count (bubbles included)."""
    from rewrite.core.errors import InputError
    from rewrite.core.limits import LIMITS

    budget, LIMITS.size_search = LIMITS.size_search, 200
    try:
        report = contraction_cost(d)  # sizes sampled, honouring the kinds' constraints
    except InputError as e:  # a random declaration that no sizes satisfy
        assume("size constraints cannot be met" not in str(e))
        raise
    finally:
        LIMITS.size_search = budget
    doc = report.to_json()
    assert report.at(report.best_flops) == doc["best_flops_value"]
    assert report.at(report.naive_flops) == doc["naive_flops_value"]
    assert doc["best_flops_value"] <= doc["naive_flops_value"]
