"""The residual stream drawn as a backbone (seed: "Transformers").

A sum `x + block(x) + ...` is drawn as one vertical line: the stream on top,
a + on the line for every block in layer order, each block to the right of
its + with its open legs wired into it, and the sum's open legs below the
last +.  Checked on the layout JSON (SVG points, y pointing down).
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from rewrite.app.session import Session
from rewrite.core.errors import InputError
from rewrite.views.backbone import residual, wanted
from rewrite.views.measure import picture_json, picture_stats

ROOT = Path(__file__).resolve().parent.parent

DECLS = """dim n = 3, m = 4
real tensor x[s: n, h: m]
real tensor W[a: m, b: m]
real tensor V[a: m, b: m]
real tensor A[s: n, t: n]
"""


def value(expr: str, decls: str = DECLS, boxes: bool = False):
    s = Session()
    s.load_declarations(decls, "net.tn")
    return s.last_value(expr, "<expr>", boxes=boxes)


def example(name: str, expr: str, boxes: bool = False):
    return value(expr, (ROOT / "examples" / name).read_text(encoding="utf-8"), boxes)


def titles(d) -> set[str]:
    return {n.title for n in d.nodes.values()}


def pluses(data: dict) -> list[dict]:
    return sorted((n for n in data["nodes"] if n["id"].startswith("plus")), key=lambda n: int(n["id"][4:]))


# ------------------------------------------------------------------ finding it


def test_two_layer_transformer_is_the_stream_and_its_two_layers_in_order():
    found = residual(example("path_expansion.tn", "out"))
    assert found is not None and len(found.levels) == 3
    assert titles(found.levels[0]) == {"x"}
    assert "WOV1" in titles(found.levels[1]) and "WOV2" in titles(found.levels[2])


def test_boxed_transformer_is_the_kept_let_and_one_block():
    found = residual(example("path_expansion.tn", "out", boxes=True))
    assert found is not None and [titles(d) for d in found.levels][0] == {"r"}
    assert len(found.levels) == 2


def test_a_layer_is_the_embedding_then_attention_then_the_mlp():
    found = residual(example("transformers.tn", "layer"))
    assert found is not None and len(found.levels) == 3
    assert titles(found.levels[0]) == {"tok", "WE"}
    assert "softmax[k]" in titles(found.levels[1]) and "Wout" in titles(found.levels[2])


def test_attention_block_reads_the_embedding_chain():
    found = residual(example("transformers.tn", "attention"))
    assert found is not None and titles(found.levels[0]) == {"tok", "WE"}


@pytest.mark.parametrize("expr", [
    "x[s, h] + x[s, h]",  # the stream again is not a block
    "W[a, b] + W[b, a]",
    "x[s, a] W[a, h] + A[s, t] x[t, h]",  # the second term holds no W
    "relu(x[s, h]) + relu(x[s, a]) W[a, h]",  # the stream may not be a function
])
def test_sums_without_a_stream_and_blocks_are_not_residual(expr):
    assert residual(value(expr)) is None


def test_a_single_linear_block_is_drawn_as_terms_unless_asked():
    x = value("x[s, h] + x[s, a] W[a, h]")
    assert residual(x) is not None and not wanted(residual(x))
    assert pluses(picture_json(x)) == []
    assert len(pluses(picture_json(x, arrange="backbone"))) == 1


def test_a_block_with_a_function_is_drawn_as_a_backbone_unasked():
    x = value("x[s, h] + relu(x[s, a] W[a, h])")
    assert wanted(residual(x))
    assert len(pluses(picture_json(x))) == 1


def test_terms_arrangement_keeps_terms_side_by_side():
    assert pluses(picture_json(example("path_expansion.tn", "out"), arrange="terms")) == []


def test_asking_for_a_backbone_without_a_stream_is_an_input_error():
    with pytest.raises(InputError, match="residual stream"):
        picture_json(value("W[a, b] + W[b, a]"), arrange="backbone")


def test_cli_refuses_a_backbone_without_a_stream_with_exit_2():
    r = subprocess.run([sys.executable, "-m", "rewrite", "draw", "WOV1[s, h] + WOV1[h, s]", "--decl",
                        "examples/path_expansion.tn", "--stats", "--arrange", "backbone"],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and "residual stream" in r.stderr and "Traceback" not in r.stderr


# ------------------------------------------------------------------ the picture


CASES = {
    "two-layer inlined": lambda: example("path_expansion.tn", "out"),
    "two-layer boxed": lambda: example("path_expansion.tn", "out", boxes=True),
    "attention block": lambda: example("transformers.tn", "attention"),
    "frozen two-layer": lambda: example("path_expansion.tn", "frozen"),
    "induction head": lambda: example("induction_head.tn", "out"),
    "attention then MLP": lambda: example("transformers.tn", "layer"),
    "attention then MLP, boxed": lambda: example("transformers.tn", "layer", boxes=True),
    "three blocks": lambda: value("x[s, h] + relu(x[s, a] W[a, h]) + A[s, t] x[t, a] V[a, h] "
                                  "+ softmax[t](x[s, a] W[a, b] x[t, b]) x[t, h]"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_backbone_is_one_vertical_line_of_plus_nodes_in_layer_order(name):
    data = picture_json(CASES[name]())
    ps = pluses(data)
    assert ps, "drawn as a backbone"
    assert len({p["x"] for p in ps}) == 1
    assert [p["y"] for p in ps] == sorted(p["y"] for p in ps) and len({p["y"] for p in ps}) == len(ps)
    assert all(p["label"] in ("+", "−") for p in ps)
    for a, b in zip(ps, ps[1:]):  # the stream between two + nodes is a straight vertical wire
        links = [w for w in data["wires"] if (w["from"], w["to"]) == (a["id"], b["id"])]
        assert len(links) == 1 and {pt[0] for pt in links[0]["points"]} == {a["x"]}


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_block_lies_right_of_the_stream_and_below_the_one_before(name):
    data = picture_json(CASES[name]())
    ps = pluses(data)
    line = ps[0]["x"] + ps[0]["w"] / 2
    spans = []
    for i in range(1, len(ps) + 1):
        ns = [n for n in data["nodes"] if n["id"].startswith(f"t{i}/")]
        assert ns and all(n["x"] - n["w"] / 2 > line for n in ns)
        spans.append((min(n["y"] - n["h"] / 2 for n in ns), max(n["y"] + n["h"] / 2 for n in ns)))
    assert all(a[1] < b[0] for a, b in zip(spans, spans[1:]))


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_leg_of_a_block_ends_at_its_plus_and_the_sum_leaves_the_last(name):
    x = CASES[name]()
    data = picture_json(x)
    ps = pluses(data)
    legs = len(residual(x).free)
    for i, p in enumerate(ps, start=1):
        into = [w for w in data["wires"] if w["to"] == p["id"] and w["from"].startswith(f"t{i}/")
                and abs(w["points"][-1][0] - p["x"]) < 1 and abs(w["points"][-1][1] - p["y"]) < 1]
        assert len(into) == legs
    out = [w for w in data["wires"] if w["from"] == ps[-1]["id"] and w["to"].startswith("free:")]
    assert sorted(w["to"] for w in out) == [f"free:{k}" for k in range(legs)]
    names = {lab["text"] for lab in data["labels"] if lab["owner"].startswith("free:")}
    assert names == set(residual(x).free)


@pytest.mark.parametrize("name", sorted(CASES))
def test_backbone_pictures_are_clean(name):
    st = picture_stats(CASES[name]())
    assert (st.crossings, st.overlaps, st.wires_through_nodes, st.foreign_labels) == (0, 0, 0, 0)


def test_two_layer_transformer_backbone_fits_the_page_targets():
    assert picture_stats(example("path_expansion.tn", "out", boxes=True)).width <= 2000
    assert picture_stats(example("path_expansion.tn", "out")).width <= 4000


def test_a_subtracted_block_is_added_back_with_a_minus():
    data = picture_json(value("x[s, h] - relu(x[s, a] W[a, h])"))
    assert [p["label"] for p in pluses(data)] == ["−"]


def test_a_fresh_strip_draws_a_residual_sum_as_a_backbone_and_a_followed_one_does_not():
    """The REPL's `:draw` and proof pages draw through a strip: with nothing
    to follow the backbone is used; a picture that follows the one before
    (a derivative keeping its hole, a rewrite step) keeps terms side by side."""
    from rewrite.views.draw import Strip, scene

    x = value("x[s, h] + relu(x[s, a] W[a, h])")
    plus = lambda sc: [s for s in sc.shapes if s.node.startswith("plus")]  # noqa: E731
    strip = Strip()
    assert plus(scene(x, strip=strip)) and plus(scene(x, strip=strip))
    assert not plus(scene(x, strip=Strip.after(value("x[s, a] W[a, h]"))))


def test_a_backbone_asked_for_by_name_is_drawn_even_in_a_strip_that_follows():
    from rewrite.views.draw import Strip, scene

    x = value("x[s, h] + relu(x[s, a] W[a, h])")
    sc = scene(x, strip=Strip.after(value("x[s, a] W[a, h]")), arrange="backbone")
    assert [s for s in sc.shapes if s.node.startswith("plus")]
    with pytest.raises(InputError):
        scene(x, strip=Strip.after(value("x[s, a] W[a, h]")), arrange="bogus")


def test_the_cli_offers_exactly_the_arrangements_the_drawing_knows():
    from rewrite.app.cli import main
    from rewrite.views.draw import ARRANGE_CHOICES

    [option] = [p for p in main.commands["draw"].params if p.name == "arrange"]
    assert tuple(option.type.choices) == ARRANGE_CHOICES


def test_the_stream_may_be_written_after_its_blocks():
    found = residual(value("relu(x[s, a] W[a, h]) + A[s, t] x[t, a] V[a, h] + x[s, h]"))
    assert found is not None and titles(found.levels[0]) == {"x"}
    assert "relu" in titles(found.levels[1]) and titles(found.levels[2]) == {"A", "x", "V"}


def test_a_stream_leg_never_leaves_upward_away_from_its_plus():
    """T[s, h, c] has a leg the layout points up; on the backbone every leg of
    the stream heads down toward the first + (the wire's first control point
    is not above its start)."""
    decls = DECLS + "real tensor T[s: n, h: m, c: n]\n"
    data = picture_json(value("T[s, h, c] + relu(T[s, a, c] W[a, h])", decls))
    legs = [w for w in data["wires"] if w["from"].startswith("t0/") and w["to"] == "plus1"]
    assert len(legs) == 3
    for w in legs:  # SVG y points down: the polyline never rises above its start
        assert all(p[1] >= w["points"][0][1] - 0.5 for p in w["points"])
