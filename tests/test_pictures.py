"""Pictures measured, not looked at: the layout as JSON, and its statistics.

Golden layouts live in tests/golden/*.json (positions rounded to whole points).
After a deliberate change to the drawing, rewrite them with

    pytest tests/test_pictures.py --update-golden

and review the diff like any other change.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import networks as N
from rewrite.app.session import Session
import math

from rewrite.views.draw import scene
from rewrite.views.measure import crossing_wires, picture_json, picture_stats

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).parent / "golden"


def value(decls: str, expr: str):
    s = Session()
    s.load_declarations(decls, "net.tn")
    return s.last_value(expr, "<expr>")


def example(name: str, expr: str):
    return value((ROOT / "examples" / name).read_text(encoding="utf-8"), expr)


def rounded(data):
    """The layout with every number rounded to a whole point, so that golden
    files survive last-digit changes in floating point."""
    if isinstance(data, float):
        return round(data)
    if isinstance(data, list):
        return [rounded(x) for x in data]
    if isinstance(data, dict):
        return {k: rounded(v) for k, v in data.items()}
    return data


GOLDEN_CASES = {
    "mps_norm": lambda: value(*N.mps(3)),
    "mpo_sandwich": lambda: value(*N.mpo_norm(3)),
    "peps_2x2_norm": lambda: value(*N.peps(2, 2)),
    "ttn_norm": lambda: value(*N.ttn(2)),
    "tucker": lambda: value(*N.tucker()),
    "softmax_head": lambda: example("path_expansion.tn", "h1"),
    "softmax_of_a_sum": lambda: value(BUBBLE_DECLS, "softmax[k](A[q, k] + B[q, k]) C[k, h]"),
    "sum_with_aligned_legs": lambda: value(SUM_DECLS, "A[i, j] + A[j, i] + B[i, a] C[a, b] B[b, c] C[c, a] A[a, j]"),
    "attention_block_backbone": lambda: example("transformers.tn", "attention"),
    "two_layer_boxed_backbone": lambda: boxed((ROOT / "examples" / "path_expansion.tn").read_text(encoding="utf-8"),
                                              "out"),
}


@pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
def test_layout_matches_golden_file(name, request):
    got = rounded(picture_json(GOLDEN_CASES[name]()))
    path = GOLDEN / f"{name}.json"
    if request.config.getoption("--update-golden"):
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    assert got == json.loads(path.read_text(encoding="utf-8"))


def _draw_json(seed: str, *args: str) -> str:
    env = dict(os.environ, PYTHONHASHSEED=seed)
    out = subprocess.run([sys.executable, "-m", "rewrite", "draw", *args, "--json"],
                         capture_output=True, text=True, env=env, cwd=ROOT, check=True)
    return out.stdout


def test_layout_json_is_the_same_under_different_hash_seeds():
    args = ("out", "--decl", "examples/path_expansion.tn")
    assert _draw_json("1", *args) == _draw_json("4242", *args)


def test_draw_json_describes_nodes_wires_and_labels_in_svg_points_with_stats():
    data = json.loads(_draw_json("0", "psi conj(psi)", "--decl", "examples/tensor_train.tn", "--stats"))
    assert set(data) == {"width", "height", "nodes", "wires", "labels", "stats"}
    labels = sorted(n["label"] for n in data["nodes"])
    assert labels == ["C", "C*", "L1", "L1*", "L2", "L2*"]
    for node in data["nodes"]:
        assert 0 <= node["x"] <= data["width"] and 0 <= node["y"] <= data["height"]
    ids = {n["id"] for n in data["nodes"]}
    assert all(w["from"] in ids and w["to"] in ids for w in data["wires"])
    ket = {n["label"]: n["y"] for n in data["nodes"]}
    assert ket["L1"] < ket["L1*"]  # SVG y points down: the ket is above its bra
    assert data["stats"]["crossings"] == data["stats"]["overlaps"] == 0
    assert data["stats"]["width"] == pytest.approx(data["width"], abs=0.1)


def test_stats_text_names_every_measure():
    text = picture_stats(value(*N.mps(3))).text()
    for word in ("crossings: 0", "overlaps: 0", "wires through nodes: 0", "wire length:", "size:"):
        assert word in text


def test_draw_without_output_or_measure_is_a_usage_error():
    r = subprocess.run([sys.executable, "-m", "rewrite", "draw", "x", "--decl", "examples/path_expansion.tn"],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and "--json" in r.stderr


# ------------------------------------------------------------ clean pictures


def planar(x) -> bool:
    """Whether every term's port graph (open legs as leaves) can be drawn
    without crossings at all, by networkx's planarity test."""
    import networkx as nx
    from rewrite.core.diagram import BOUNDARY, Sum

    terms = x.terms if isinstance(x, Sum) else (x,)
    for d in terms:
        g = nx.Graph()
        for (u, i), (w, j) in d.wires():
            g.add_edge(("free", i) if u == BOUNDARY else u, ("free", j) if w == BOUNDARY else w)
        if not nx.check_planarity(g)[0]:
            return False
    return True


def clean(x) -> bool:
    st = picture_stats(x)
    return (st.crossings, st.overlaps, st.wires_through_nodes, st.foreign_labels) == (0, 0, 0, 0)


@pytest.mark.parametrize("sites", [2, 3, 5, 8, 13])
def test_mps_norm_is_drawn_without_crossings_or_overlaps(sites):
    assert clean(value(*N.mps(sites)))


@pytest.mark.parametrize("sites", [2, 3, 4, 7])
def test_mpo_sandwich_is_drawn_without_crossings_or_overlaps(sites):
    assert clean(value(*N.mpo_norm(sites)))


@pytest.mark.parametrize("rows, cols", [(2, 3), (2, 5), (3, 3), (4, 4), (6, 6)])
def test_peps_is_drawn_on_its_lattice_without_crossings(rows, cols):
    data = picture_json(value(*N.peps(rows, cols, norm=False)))
    xs = sorted({n["x"] for n in data["nodes"]})
    ys = sorted({n["y"] for n in data["nodes"]})
    assert (len(ys), len(xs)) == (min(rows, cols), max(rows, cols))
    assert clean(value(*N.peps(rows, cols, norm=False)))


def peps_norm_crossings_bound(side: int) -> int:
    """The documented bound (docs/gallery.md) on crossings in the picture of
    a side × side PEPS norm: none for 2×2, whose graph (the cube) is planar;
    2 (side - 1)² for the double layer, two per plaquette.  The graph
    P_L × P_L × P_2 is not planar for L >= 3, so some crossings must stay."""
    return 0 if side == 2 else 2 * (side - 1) ** 2


@pytest.mark.parametrize("side", [2, 3, 4, 5, 6])
def test_peps_norm_is_a_double_layer_whose_wires_cross_only_between_layers(side):
    """The conjugate layer is drawn behind the ket layer (around it for 2×2);
    a wire only ever crosses a wire of the other layer (a ket bond a bra
    bond: the physical wires between the layers cross nothing); nothing
    overlaps and no wire runs through a node; the crossings stay within the
    documented bound."""
    x = value(*N.peps(side, side))
    data = picture_json(x)
    bra = {n["id"] for n in data["nodes"] if n["label"].endswith("*")}
    layer = lambda ends: {end in bra for end in ends}  # noqa: E731
    for a, b in crossing_wires(x):
        assert len(layer(a)) == len(layer(b)) == 1 and layer(a) != layer(b)
    st = picture_stats(x)
    assert (st.overlaps, st.wires_through_nodes) == (0, 0)
    assert st.crossings <= peps_norm_crossings_bound(side)


def test_peps_norms_of_three_by_three_and_more_are_not_planar():
    """Why the bound is not zero: networkx's planarity test on the graphs."""
    assert planar(value(*N.peps(2, 2)))
    assert not any(planar(value(*N.peps(side, side))) for side in (3, 4))


@pytest.mark.parametrize("depth", [2, 3, 4])
def test_binary_tree_and_its_norm_are_drawn_without_crossings(depth):
    assert clean(value(*N.ttn(depth, norm=False)))
    assert clean(value(*N.ttn(depth)))


def test_tree_norm_is_the_tree_above_its_mirror_image():
    data = picture_json(value(*N.ttn(3)))
    y = {n["label"]: n["y"] for n in data["nodes"]}
    assert y["R"] < y["U2"] < y["U3"] < y["U3*"] < y["U2*"] < y["R*"]  # SVG y points down
    assert y["U3"] - y["R"] == pytest.approx(y["R*"] - y["U3*"], abs=0.5)


def test_tree_isometries_point_at_their_parent_toward_the_root():
    """The root is on top; every triangle's tip (its first corner) points
    along the one wire that goes up from it, to its parent."""
    sc = scene(value(*N.ttn(3, norm=False)))
    triangles = [s for s in sc.shapes if "triangle" in s.gid]
    assert len(triangles) == 6
    for s in triangles:
        c = s.centre
        ups = [p for w in sc.wires for a, p in ((w.points[0], w.points[-1]), (w.points[-1], w.points[0]))
               if math.dist(a, c) < 1e-6 and p[1] > c[1] + 0.1]
        assert len(ups) == 1
        tip, parent = s.vertices[0], ups[0]
        assert (tip[0] - c[0]) * (parent[0] - c[0]) + (tip[1] - c[1]) * (parent[1] - c[1]) > 0


@pytest.mark.parametrize("make", [N.tucker, N.cp])
def test_decompositions_are_drawn_without_crossings(make):
    assert clean(value(*make()))


EXAMPLES = sorted((ROOT / "examples").glob("*.tn"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_named_diagram_of_the_examples_is_drawn_cleanly(path):
    from rewrite.language import syntax as S
    from rewrite.language.parse import parse

    text = path.read_text(encoding="utf-8")
    names = [st.name for st in parse(text, path.name) if isinstance(st, S.LetStmt)]
    s = Session()
    s.load_declarations(text, path.name)
    for name in dict.fromkeys(names):
        x = s.last_value(name, "<expr>")
        if planar(x):
            assert clean(x), name
        else:  # crossings cannot all be avoided; nothing else may go wrong
            st = picture_stats(x)
            assert (st.overlaps, st.wires_through_nodes, st.foreign_labels) == (0, 0, 0), name


def test_two_layer_transformer_inlined_fits_4000_points():
    assert picture_stats(example("path_expansion.tn", "out")).width <= 4000


# ------------------------------------------------------------------- boxes


def boxed(decls: str, expr: str):
    s = Session()
    s.load_declarations(decls, "net.tn")
    return s.last_value(expr, "<expr>", boxes=True)


def test_two_layer_transformer_with_boxed_lets_fits_2000_points():
    text = (ROOT / "examples" / "path_expansion.tn").read_text(encoding="utf-8")
    st = picture_stats(boxed(text, "out"))
    assert st.width <= 2000 and st.crossings == 0


def test_boxed_draw_keeps_each_let_as_one_labelled_box_and_opens_the_named_one():
    text = (ROOT / "examples" / "path_expansion.tn").read_text(encoding="utf-8")
    nodes = picture_json(boxed(text, "out"))["nodes"]
    boxes = sorted(n["label"] for n in nodes if n["shape"] == "box")
    assert boxes == ["r", "r", "r", "r"]  # r read once directly and three times by layer 2
    assert "WQK2" in {n["label"] for n in nodes}


def test_draw_statement_takes_boxed_before_its_file():
    from rewrite.language.parse import parse

    (plain,) = parse('draw out to "a.svg"\n', "x.tn")
    (kept,) = parse('draw out boxed to "a.svg"\n', "x.tn")
    (bare,) = parse("draw out boxed\n", "x.tn")
    assert (plain.boxed, kept.boxed, bare.boxed) == (False, True, True)
    assert kept.target == "a.svg" and bare.target is None


# ------------------------------------------------------------ steps in place


def _centres(sc) -> dict[str, tuple[float, float]]:
    return {t.text: t.at for t in sc.texts if t.gid.startswith("label-")}


def _relative(centres, names):
    (x0, y0) = centres[names[0]]
    return {n: (round(centres[n][0] - x0, 6), round(centres[n][1] - y0, 6)) for n in names}


def _ladder_steps():
    from rewrite.app.session import Session as S2

    s = S2(trace=True)
    results = s.run((ROOT / "examples" / "tensor_train.tn").read_text(encoding="utf-8").split("prove psi")[0])
    (r,) = [r for r in results if r.verb == "simplify"]
    return r.start, [step.after for step in r.steps]


def test_nodes_that_survive_a_step_keep_their_places_in_a_strip():
    from rewrite.views.draw import Strip

    start, (first, _) = _ladder_steps()
    strip = Strip()
    before = _centres(scene(start, strip=strip))
    after = _centres(scene(first, strip=strip))
    survivors = ["L2", "C", "L2*", "C*"]
    assert set(after) == set(survivors)
    assert _relative(after, survivors) == _relative(before, survivors)


def test_without_a_strip_the_step_is_laid_out_afresh():
    start, (first, _) = _ladder_steps()
    survivors = ["L2", "C", "L2*", "C*"]
    assert _relative(_centres(scene(first)), survivors) != _relative(_centres(scene(start)), survivors)


def test_derivative_keeps_the_hole_where_the_tensor_was():
    """d/dA2 of an MPS norm: the other five tensors stay in the ladder, and
    the three opened legs end together at A2's old place."""
    from rewrite.views.draw import Strip

    decls, _ = N.mps(3)
    s = Session()
    s.load_declarations(decls, "net.tn")
    norm = s.last_value("psi conj(psi)", "<expr>")
    before = scene(norm, strip=(strip := Strip()))
    after = scene(s.last_value("diff(psi conj(psi), A2)", "<expr>"), strip=strip)
    was = {t.text: t.at for t in before.texts if t.gid.startswith("label-")}
    now = {t.text: t.at for t in after.texts if t.gid.startswith("label-")}
    survivors = ["A1", "A3", "A1*", "A2*", "A3*"]
    assert _relative(now, survivors) == _relative(was, survivors)
    shift = (now["A1"][0] - was["A1"][0], now["A1"][1] - was["A1"][1])
    hole = (was["A2"][0] + shift[0], was["A2"][1] + shift[1])
    ends = [w.points[-1] for w in after.wires if w.gid.startswith("leg-")]
    assert len(ends) == 3 and all(math.dist(e, hole) < 0.7 for e in ends)
    assert clean_scene(after)


def clean_scene(sc) -> bool:
    from rewrite.views.measure import scene_stats

    st = scene_stats(sc)
    return (st.crossings, st.overlaps, st.wires_through_nodes) == (0, 0, 0)


def test_a_cycle_through_a_bubble_is_closed_by_an_arc_between_ordinary_nodes():
    """r[s, a] W[a, b] r[k, b] M[s, k] -> [s, k], r a sum kept whole: a cycle whose row
    would otherwise start at a Σ box, its closing arc running back through
    the box."""
    decls = ("dim n = 3\ntensor x[s: n, h: n]\ntensor y[s: n, h: n]\ntensor W[a: n, b: n]\n"
             "tensor M[s: n, k: n]\n")
    x = value(decls, "(x[s, a] + y[s, a]) W[a, b] (x[k, b] + y[k, b]) M[s, k] -> [s, k]")
    assert clean(x)


# ----------------------------------------------------------- inside bubbles


BUBBLE_DECLS = "dim n = 3\ntensor A[q: n, k: n]\ntensor B[q: n, k: n]\ntensor C[k: n, h: n]\n"


def test_a_function_of_a_sum_holds_the_sum_in_a_box_wired_to_its_border():
    """softmax(A + B): the sum is a Σ box inside the softmax box, and each of
    the softmax's legs is a wire from the Σ box to the softmax's border (no
    leg name left dangling beside the terms)."""
    data = picture_json(value(BUBBLE_DECLS, "softmax[k](A[q, k] + B[q, k]) C[k, h]"))
    shapes = {n["id"]: (n["shape"], n["label"]) for n in data["nodes"]}
    assert shapes["0"] == ("bubble", "softmax[k]") and shapes["0/0"] == ("bubble", "Σ")
    inner = sorted(w["to"] for w in data["wires"] if w["from"] == "0/0")
    assert inner == ["0/free:0", "0/free:1"]
    box = next(n for n in data["nodes"] if n["id"] == "0")
    for w in data["wires"]:
        if w["from"] == "0/0":  # ends on the softmax box's left or right border
            x = w["points"][-1][0]
            assert min(abs(x - (box["x"] - box["w"] / 2)), abs(x - (box["x"] + box["w"] / 2))) < 0.5


def test_a_sum_box_puts_each_port_on_the_side_facing_what_it_is_wired_to():
    """C[h, k] (A + B)[q, k]: every term has k on its right, but k's wire goes
    to C, on the left, so the port of k is on the Σ box's left side."""
    expr = "C[h, k] (A[q, k] + B[q, k]) -> [h, q]"
    data = picture_json(value(BUBBLE_DECLS, expr))
    box = next(n for n in data["nodes"] if n["shape"] == "bubble")
    c = next(n for n in data["nodes"] if n["label"] == "C")
    (to_c,) = [w for w in data["wires"] if {w["from"], w["to"]} == {box["id"], c["id"]}]
    start = min((tuple(p) for p in (to_c["points"][0], to_c["points"][-1])), key=lambda p: abs(p[0] - box["x"]))
    assert c["x"] < box["x"] and start[0] == pytest.approx(box["x"] - box["w"] / 2, abs=0.5)
    assert clean(value(BUBBLE_DECLS, expr))


SUM_BOXES = {
    "softmax of a sum": lambda: value(BUBBLE_DECLS, "softmax[k](A[q, k] + B[q, k]) C[k, h]"),
    "sum in a product": lambda: value(BUBBLE_DECLS, "C[h, k] (A[q, k] + B[q, k]) -> [h, q]"),
    "frozen two-layer": lambda: example("path_expansion.tn", "frozen"),
    "induction head": lambda: example("induction_head.tn", "out"),
}


@pytest.mark.parametrize("name", sorted(SUM_BOXES))
def test_leg_names_of_a_sum_in_a_box_are_written_outside_the_box_at_its_ports(name):
    """No free-leg name inside a Σ box: the terms inside leave their legs
    unnamed, and each leg of the sum is named once, just outside its port."""
    data = picture_json(SUM_BOXES[name]())
    boxes = [n for n in data["nodes"] if n["label"] == "Σ"]
    assert boxes
    legs = [lab for lab in data["labels"] if "free:" in lab["owner"] or "port:" in lab["owner"]]
    for lab in legs:
        for b in boxes:
            box_of_port = lab["owner"].rsplit("/port:", 1)[0] if "/port:" in lab["owner"] else None
            if box_of_port and box_of_port.startswith(b["id"] + "/"):
                continue  # the port of a box nested in b: outside that box, inside b
            inside_x = abs(lab["x"] - b["x"]) < b["w"] / 2 - 1
            inside_y = abs(lab["y"] - b["y"]) < b["h"] / 2 - 1
            assert not (inside_x and inside_y), (lab, b["id"])
    for b in boxes:
        ports = [lab for lab in legs if lab["owner"].startswith(b["id"] + "/port:")]
        assert len({lab["owner"] for lab in ports}) == len(ports) >= 1
        for lab in ports:  # beside the border, not far from it
            gap_x = abs(lab["x"] - b["x"]) - b["w"] / 2
            gap_y = abs(lab["y"] - b["y"]) - b["h"] / 2
            assert max(gap_x, gap_y) < 12


def test_induction_head_network_is_drawn_without_crossings():
    st = picture_stats(example("induction_head.tn", "out"))
    assert (st.crossings, st.overlaps, st.wires_through_nodes, st.foreign_labels) == (0, 0, 0, 0)


def test_a_tree_can_be_drawn_after_matplotlib_was_imported_without_pyplot():
    """A notebook draws a PNG (matplotlib loaded, pyplot not) and then a tree
    network, whose layout loads igraph for the first time."""
    code = ("import sys; sys.path.insert(0, 'tests'); import networks as N\n"
            "from rewrite.app.session import Session\n"
            "from rewrite.views.draw import png_bytes\n"
            "from rewrite.views.measure import picture_stats\n"
            "s = Session(); decls, expr = N.ttn(3); s.load_declarations(decls, 'n.tn')\n"
            "png_bytes(s.last_value('R[a, b]', '<expr>'))\n"
            "print(picture_stats(s.last_value(expr, '<expr>')).crossings)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "0"


# --------------------------------------------------------------------- sums


SUM_DECLS = "dim n = 3\ntensor A[i: n, j: n]\ntensor B[i: n, j: n]\ntensor C[i: n, j: n]\n"


def _leg_ends(data) -> dict[tuple[str, str], list[float]]:
    """(term, leg name) -> where that open leg ends, from the labels' owners."""
    names = {lab["owner"]: lab["text"] for lab in data["labels"] if "free:" in lab["owner"]}
    return {(w["to"].split("/")[0], names[w["to"]]): w["points"][-1]
            for w in data["wires"] if w["to"] in names}


def test_every_term_of_a_sum_has_a_leg_on_the_side_the_first_term_has_it():
    """i leaves on the left and j on the right in every term: the transpose
    is mirrored, and a term laid out by forces is turned to match."""
    expr = "A[i, j] + A[j, i] + B[i, a] C[a, b] B[b, c] C[c, a] A[a, j] + C[j, i]"
    data = picture_json(value(SUM_DECLS, expr))
    ends = _leg_ends(data)
    for t in ("t0", "t1", "t2", "t3"):
        xs = [n["x"] for n in data["nodes"] if n["id"].startswith(t + "/")]
        assert ends[(t, "i")][0] < min(xs) and ends[(t, "j")][0] > max(xs), t
    assert clean(value(SUM_DECLS, expr))


def test_every_term_of_a_sum_has_its_sideways_legs_at_one_height():
    """A term with an arc under its row is taller than a lone matrix; its legs
    still leave at the height of the other terms' legs (and of the + signs)."""
    data = picture_json(value(SUM_DECLS, "A[i, j] + A[i, a] B[a, b] C[b, c] A[c, j] B[a, c] + C[i, j]"))
    heights = {round(p[1], 1) for p in _leg_ends(data).values()}
    signs = {round(lab["y"], 1) for lab in data["labels"] if lab["text"] == "+"}
    assert len(heights) == 1 and signs == heights


# ------------------------------------------------ functions of several arguments


FUNCTION_DECLS = ("dim n = 3\nreal tensor x[i: n]\nreal tensor y[i: n]\nreal tensor A[i: n, j: n]\n"
                  "function g(2)\n")


@pytest.mark.parametrize("expr", ["g(x[i], y[i])", "g'1'2(x[i], y[i])", "A[j, i] g(A[i, k] x[k], y[i] + x[i])"])
def test_a_function_of_two_arguments_draws_both_inside_its_box(expr):
    """Every argument is drawn, one under the other, and leg k of each runs
    to the one port k of the function (it is elementwise)."""
    data = picture_json(value(FUNCTION_DECLS, expr))
    box = next(n for n in data["nodes"] if n["shape"] == "bubble" and n["label"].startswith("g"))
    held = [n for n in data["nodes"] if n["id"].startswith(box["id"] + "/")]
    assert {"x", "y"} <= {n["label"] for n in held}
    first = [n for n in held if not n["id"].startswith(box["id"] + "/a1/")]
    second = [n for n in held if n["id"].startswith(box["id"] + "/a1/")]
    assert first and second  # the second argument under the first (SVG y points down)
    assert max(n["y"] + n["h"] / 2 for n in first) < min(n["y"] - n["h"] / 2 for n in second)
    port = re.compile(re.escape(box["id"]) + r"/(a\d+/)?free:0$")
    inner = [w for w in data["wires"] if port.match(w["to"])]
    ends = {tuple(w["points"][-1]) for w in inner}
    assert len(inner) == 2 and len(ends) == 1  # both arguments' legs meet at one port
    assert clean(value(FUNCTION_DECLS, expr))


# ------------------------------------------------------------------ kron


KRON_DECLS = ("dim n, m, p, q\ntensor A[i: n, j: n]\ntensor B[i: m, j: m]\ntensor C[i: p, j: p]\n"
              "tensor D[i: q, j: q]\n")


@pytest.mark.parametrize("expr", ["kron(A, B, C)", "kron(A, B, C, D)", "kron(D, C, B, A)"])
def test_kron_stacks_its_operands_in_order_between_its_two_merge_points(expr):
    """The seed's picture of a Kronecker product: the operands in a column,
    first on top, the two merge points left and right; no wire crosses."""
    x = value(KRON_DECLS, expr)
    data = picture_json(x)
    ops = [n for n in data["nodes"] if n["label"] in "ABCD" and n["label"]]
    written = [c for c in expr if c in "ABCD"]
    assert [n["label"] for n in sorted(ops, key=lambda n: n["y"])] == written
    assert len({n["x"] for n in ops}) == 1
    bars = [n for n in data["nodes"] if n["shape"] == "bar"]
    assert len(bars) == 2 and min(b["x"] for b in bars) < ops[0]["x"] < max(b["x"] for b in bars)
    assert clean(x)
