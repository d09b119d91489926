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
    counts: dict[int, int] = {}
    for op in net.operands:
        for i in set(op.indices):
            counts[i] = counts.get(i, 0) + 1
    assume(len(net.operands) >= 2)
    assume(all(len(set(op.indices)) == len(op.indices) for op in net.operands))
    assume(all(c > 1 or i in net.output for i, c in counts.items()))
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
