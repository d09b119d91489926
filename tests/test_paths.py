"""Path expansion: the seed's ten labelled terms; exact when patterns are frozen."""
import pathlib

import numpy as np
import pytest

from rewrite.views.draw import to_svg
from rewrite.numerics.evaluate import evaluate
from rewrite.transforms.paths import expand_paths, label, paths_sum
from rewrite.rewriting.prove import prove
from rewrite.app.session import Session
from rewrite.numerics.sample import sample_instance

EXAMPLE = (pathlib.Path(__file__).parent.parent / "examples" / "path_expansion.tn").read_text()
DECLS = EXAMPLE.split("paths out")[0]
FROZEN = """
real tensor A1[s: seq, t: seq]
real tensor A2[s: seq, t: seq]
let g1[s, h] = A1[s, t] x[t, c] WOV1[c, h]
let g[s, h] = x[s, h] + g1[s, h]
let frozen[s, h] = g[s, h] + A2[s, t] g[t, c] WOV2[c, h]
"""
SEED_LABELS = {
    "direct path", "layer-1 head", "layer-2 head (no composition)",
    "Q-composition", "K-composition", "V-composition",
    "QK-composition", "QV-composition", "KV-composition", "QKV-composition",
}


@pytest.fixture(scope="module")
def session():
    s = Session()
    s.run(DECLS + FROZEN)
    return s


def test_two_layer_model_expands_to_the_seeds_ten_labelled_terms(session):
    paths = expand_paths(session.env.lets["out"])
    assert len(paths) == 10 and {p.label for p in paths} == SEED_LABELS


def test_each_composition_term_takes_layer_one_output_exactly_at_its_sites(session):
    for p in expand_paths(session.env.lets["out"]):
        if p.label.endswith("-composition"):
            composed = {role for role, branch, _ in p.choices if branch == 1}
            assert composed == set(p.label.split("-")[0].lower())


def test_no_path_term_keeps_a_residual_sum(session):
    for p in expand_paths(session.env.lets["out"]):
        stack = list(p.term.nodes.values())
        while stack:
            n = stack.pop()
            assert getattr(n, "fn", None) != "sum"
            if hasattr(n, "inside"):
                stack.extend(m for t in n.inside.terms for m in t.nodes.values())


def test_frozen_patterns_give_four_terms(session):
    labels = [p.label for p in expand_paths(session.env.lets["frozen"])]
    assert labels == ["direct path", "layer-1 head", "layer-2 head (no composition)",
                      "V-composition"]


def test_frozen_expansion_sums_to_the_network_numerically(session):
    net = session.env.lets["frozen"]
    total = paths_sum(expand_paths(net), net)
    inst = sample_instance(session.env.decls.values(), seed=7)
    assert np.allclose(evaluate(total, inst), evaluate(net, inst))


def test_frozen_network_equals_the_sum_of_its_paths_is_proved(session):
    net = session.env.lets["frozen"]
    assert prove(net, paths_sum(expand_paths(net), net), session.core_rules).kind == "proved"


def test_with_softmax_the_paths_are_not_summands(session):
    net = session.env.lets["out"]
    total = paths_sum(expand_paths(net), net)
    inst = sample_instance(session.env.decls.values(), seed=7)
    assert not np.allclose(evaluate(total, inst), evaluate(net, inst))


def test_every_path_term_is_drawable(session):
    for p in expand_paths(session.env.lets["out"]):
        assert to_svg(p.term).lstrip().startswith(("<?xml", "<svg"))


def test_paths_statement_prints_each_term_with_its_label(session):
    (r,) = Session().run(DECLS + "paths out\n")
    assert r.status == "ok" and "(10 terms)" in r.text
    assert [p.label for p in r.paths][:2] == ["direct path", "layer-1 head"]
    assert len(r.value.terms) == 10


def test_a_query_side_site_composed_alone_is_q_composition():
    assert label((("q", 1, 2), ("k", 0, 2), ("v", 0, 2))) == "Q-composition"


def test_deeper_residuals_name_the_layer_each_site_reads():
    assert label((("q", 0, 3), ("k", 2, 3), ("v", 0, 3))) == \
        "K-composition (q: direct path, k: layer-2 head, v: direct path)"
