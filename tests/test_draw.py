"""Pictures of diagrams: layout, Penrose shapes, SVG/PNG/TikZ output, notebook display.

Diagrams are built through the Diagram API.  Golden layouts (JSON, not SVG
bytes, so the suite does not depend on one matplotlib version) are in
tests/test_pictures.py.
"""
from __future__ import annotations

import math
import os
from collections import Counter
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import sympy
from hypothesis import given

from rewrite.views import draw as drawmod, notebook
from rewrite.core.diagram import BubbleNode, DeltaNode, Diagram, Sum, TensorNode
from rewrite.views.draw import (draw, leg_width, repr_latex, repr_mimebundle, scene, to_png, to_svg,
                          to_tikz)
from rewrite.core.kinds import Decl, Kind, fuse_decl
from rewrite.views.layout import layout
from strategies import diagrams

n, m, k, chi = sympy.symbols("n m k chi", positive=True, integer=True)


# ---------------------------------------------------------------- builders


def decl(name, legs, sizes, kind=Kind.GENERIC, split=None):
    legs = tuple(legs) if not isinstance(legs, str) else tuple(legs)
    return Decl(name, kind, legs, tuple(sizes), len(legs) if split is None else split)


def T(d, conj=False, op=""):
    return TensorNode(d, conj, op)


def net(atoms, scalar=1):
    """A diagram from (node, index names): a name used once is an open leg (in
    order of first use), a name used twice is a wire."""
    dg = Diagram(scalar)
    uses: dict[str, list] = {}
    for node, idx in atoms:
        v = dg.add_node(node)
        for i, name in enumerate(idx):
            uses.setdefault(name, []).append(((v, i), node.sizes[i]))
    for name, us in uses.items():
        if len(us) == 1:
            dg.connect(dg.add_free(name, us[0][1]), us[0][0])
        else:
            dg.connect(us[0][0], us[1][0])
    return dg


A = decl("A", "ij", (n, m))
B = decl("B", "jk", (m, k))
C = decl("C", "ki", (k, n))
U = decl("U", "ab", (n, k), Kind.ISOMETRY, 1)
Q = decl("Q", "ab", (n, n), Kind.UNITARY, 1)
X = decl("X", "ab", (n, n), Kind.INVERTIBLE, 1)
L1 = decl("L1", ["p1", "b1"], (2, chi))
L2 = decl("L2", ["b1", "p2", "b2"], (chi, 2, chi))
L3 = decl("L3", ["b2", "p3"], (chi, 2))


def mps():
    return net([(T(L1), ["p1", "b1"]), (T(L2), ["b1", "p2", "b2"]), (T(L3), ["b2", "p3"])])


def mps_norm():
    return net([(T(L1), ["p1", "b1"]), (T(L2), ["b1", "p2", "b2"]), (T(L3), ["b2", "p3"]),
                (T(L1, True), ["p1", "c1"]), (T(L2, True), ["c1", "p2", "c2"]),
                (T(L3, True), ["c2", "p3"])])


def isometry_pair():
    """conj(U)[a, b] U[a, c]: the wide legs contracted, the identity on the tips."""
    return net([(T(U, True), ["a", "b"]), (T(U), ["a", "c"])])


def trace3():
    return net([(T(A), ["i", "j"]), (T(B), ["j", "k"]), (T(C), ["k", "i"])])


def bubble():
    W, x, V = decl("W", "hf", (n, m)), decl("x", "h", (n,)), decl("V", "fg", (m, k))
    inner = net([(T(W), ["h", "f"]), (T(x), ["h"])])
    return net([(BubbleNode("relu", Sum.of(inner)), ["f"]), (T(V), ["f", "g"])])


def every_kind():
    """One node of every kind, in a chain, with a scalar in front."""
    D = decl("D", "ij", (n, n), Kind.DIAGONAL)
    S = decl("S", "xy", (n * m, k), Kind.SYMMETRIC)
    inner = net([(T(A), ["i", "j"]), (T(B), ["j", "k"])])
    sigma = BubbleNode("sum", Sum((inner, inner.copy()), ("i", "k"), (n, k)))
    return net([(T(U), ["a", "b"]), (T(Q), ["b", "c"]), (T(X), ["c", "e"]),
                (T(X, False, "inv"), ["e", "f"]), (DeltaNode(n, 3), ["f", "g", "h"]),
                (T(D, False, "diag"), ["g"]), (T(fuse_decl((n, m))), ["h", "p", "w"]),
                (T(S), ["w", "y"]), (sigma, ["y", "z"]), (T(A, True), ["z", "q"])], scalar=2)


def svg_ids(svg: str) -> set[str]:
    root = ET.fromstring(svg)
    return {el.get("id") for el in root.iter() if el.get("id")}


def svg_texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return [el.text for el in root.iter() if el.tag.endswith("text") and el.text]


def shape(sc, gid):
    (s,) = [s for s in sc.shapes if s.gid == gid]
    return s


# ------------------------------------------------------------------- layout


def test_matrix_chain_is_one_row_with_open_legs_pointing_outward():
    d = net([(T(A), ["i", "j"]), (T(B), ["j", "k"])])
    lay = layout(d)
    (xa, ya), (xb, yb) = lay.nodes[0], lay.nodes[1]
    assert ya == yb and xa < xb
    assert lay.free_dirs[0] == pytest.approx((-1.0, 0.0))  # i points left
    assert lay.free_dirs[1] == pytest.approx((1.0, 0.0))  # k points right


def test_tensor_train_physical_legs_point_up():
    lay = layout(mps())
    ys = {lay.nodes[v][1] for v in range(3)}
    assert len(ys) == 1
    assert [lay.nodes[v][0] for v in range(3)] == sorted(lay.nodes[v][0] for v in range(3))
    for k in range(3):
        assert lay.free_dirs[k] == pytest.approx((0.0, 1.0), abs=1e-9)


def test_norm_of_tensor_train_is_a_ladder_with_the_conjugate_below():
    lay = layout(mps_norm())
    for v in range(3):
        top, bottom = lay.nodes[v], lay.nodes[v + 3]
        assert top[0] == pytest.approx(bottom[0])  # rungs are vertical
        assert top[1] > bottom[1]


def test_trace_wraps_around_with_an_arc_below_the_row():
    sc = scene(trace3())
    curves = [w for w in sc.wires if len(w.points) == 4]
    assert len(curves) == 1
    row_y = shape(sc, "tensor-circle-A").centre[1]
    assert max(p[1] for p in curves[0].points[1:3]) < row_y


def test_lone_isometry_has_wide_legs_left_and_tip_legs_right():
    V = decl("V", "abc", (n, m, k), Kind.ISOMETRY, 2)
    lay = layout(net([(T(V), ["a", "b", "c"])]))
    assert lay.free_dirs[0][0] < 0 and lay.free_dirs[1][0] < 0
    assert lay.free_dirs[2][0] > 0


def test_disconnected_parts_sit_side_by_side_in_order_of_their_legs():
    d = net([(T(B), ["p", "q"]), (T(A), ["i", "j"])])
    lay = layout(d)
    assert lay.nodes[0][0] < lay.nodes[1][0]


def test_bare_identity_lines_have_no_shapes():
    d = Diagram()
    d.connect(d.add_free("i", n), d.add_free("j", n))
    sc = scene(d)
    assert not sc.shapes
    assert len(sc.wires) == 1
    assert {t.text for t in sc.texts} == {"i", "j"}


def test_self_loop_is_drawn_as_a_closed_curve_from_the_node():
    d = Diagram()
    v = d.add_node(T(decl("M", "ab", (n, n))))
    d.connect((v, 0), (v, 1))
    (w,) = scene(d).wires
    assert len(w.points) == 4 and w.points[0] == w.points[3]


@given(diagrams(bubbles=True))
def test_every_node_and_open_leg_is_placed_at_a_finite_point(d):
    lay = layout(d)
    assert set(lay.nodes) == set(d.nodes)
    assert set(lay.free_ends) == set(range(len(d.free)))
    for x, y in list(lay.nodes.values()) + list(lay.free_ends.values()):
        assert math.isfinite(x) and math.isfinite(y)


def all_nodes(d):
    """Nodes of d and, recursively, of every term inside its bubbles."""
    out = 0
    for node in d.nodes.values():
        out += 1
        if isinstance(node, BubbleNode):
            out += sum(all_nodes(t) for t in node.inside.terms)
    return out


@given(diagrams(bubbles=True))
def test_scene_has_one_shape_per_node_inside_bubbles_too_and_unique_ids(d):
    sc = scene(d)
    assert len(sc.shapes) == all_nodes(d)
    assert len({s.gid for s in sc.shapes}) == len(sc.shapes)


@given(diagrams(bubbles=True))
def test_every_open_leg_is_named(d):
    names = Counter(t.text for t in scene(d).texts if t.gid.startswith("name-"))
    assert not Counter(d.free) - names


# ------------------------------------------------------------------- shapes


def test_every_kind_of_node_has_its_own_shape_in_the_svg():
    ids = svg_ids(to_svg(every_kind()))
    for gid in ["isometry-triangle-U", "unitary-square-Q", "invertible-diamond-X",
                "invertible-diamond-inv(X)", "delta-dot", "diagonal-circle-diag(D)",
                "fuse-bar", "symmetric-circle-S", "bubble-sum", "tensor-circle-conj(A)"]:
        assert gid in ids, gid


def test_bubble_is_a_rounded_box_named_by_its_function():
    svg = to_svg(bubble())
    assert "bubble-relu" in svg_ids(svg)
    assert "relu" in svg_texts(svg)


def test_sum_bubble_is_labelled_sigma():
    assert "Σ" in svg_texts(to_svg(every_kind()))


def test_conjugate_is_starred_and_inverse_has_superscript_minus_one():
    texts = svg_texts(to_svg(every_kind()))
    assert "A*" in texts and "X⁻¹" in texts


def test_lone_triangle_points_to_its_tip_leg():
    s = shape(scene(net([(T(U), ["a", "b"])])), "isometry-triangle-U")
    right = [p for p in s.vertices if p[0] > s.centre[0] + 1e-6]
    assert len(right) == 1  # one corner (the tip) on the right, the wide side on the left


def test_isometry_facing_its_conjugate_is_mirrored_tip_outward():
    sc = scene(isometry_pair())
    u, cu = shape(sc, "isometry-triangle-U"), shape(sc, "isometry-triangle-conj(U)")
    assert cu.centre[0] < u.centre[0]
    assert len([p for p in u.vertices if p[0] > u.centre[0] + 1e-6]) == 1  # U's tip right
    assert len([p for p in cu.vertices if p[0] < cu.centre[0] - 1e-6]) == 1  # conj(U)'s tip left


def test_projector_has_the_tips_facing_each_other():
    sc = scene(net([(T(U), ["a", "b"]), (T(U, True), ["c", "b"])]))
    u, cu = shape(sc, "isometry-triangle-U"), shape(sc, "isometry-triangle-conj(U)")
    assert u.centre[0] < cu.centre[0]
    assert len([p for p in u.vertices if p[0] > u.centre[0] + 1e-6]) == 1
    assert len([p for p in cu.vertices if p[0] < cu.centre[0] - 1e-6]) == 1


def test_scalar_is_written_in_front():
    sc = scene(every_kind())
    (two,) = [t for t in sc.texts if t.gid == "scalar"]
    assert two.text == "2"
    assert all(two.at[0] < s.centre[0] for s in sc.shapes)


def test_sum_draws_terms_side_by_side_with_signs_and_coefficients():
    t1 = net([(T(A), ["i", "j"]), (T(B), ["j", "k"])], scalar=sympy.Rational(1, 2))
    t2 = net([(T(decl("M", "ik", (n, k))), ["i", "k"])], scalar=-n)
    sc = scene(Sum((t1, t2), ("i", "k"), (n, k)))
    texts = {t.text: t for t in sc.texts}
    assert "1/2" in texts and "−" in texts and "n" in texts
    assert texts["−"].at[0] < shape(sc, "tensor-circle-M").centre[0]
    assert shape(sc, "tensor-circle-B").centre[0] < texts["−"].at[0]


def test_empty_sum_is_drawn_as_zero():
    assert [t.text for t in scene(Sum((), ("i",), (n,))).texts] == ["0"]


def test_leg_width_grows_with_size_when_asked():
    assert leg_width(64) > leg_width(2) > leg_width(1)
    assert leg_width(n * m) > leg_width(n) > leg_width(1)
    assert leg_width(n * m, widths=False) == leg_width(1, widths=False)


def test_widths_option_thickens_the_wide_legs():
    d = net([(T(decl("M", "ab", (n * m, 2))), ["a", "b"])])
    widths = {w.gid: w.width for w in scene(d, widths=True).wires}
    assert widths["leg-a"] > widths["leg-b"]


# ------------------------------------------------------------------- outputs


def test_svg_has_no_date_and_keeps_labels_as_text():
    svg = to_svg(trace3())
    assert "<dc:date>" not in svg
    assert {"A", "B", "C"} <= set(svg_texts(svg))


def test_png_is_written_and_non_empty(tmp_path):
    path = tmp_path / "mps.png"
    to_png(mps_norm(), str(path))
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 1000


def test_draw_chooses_the_format_by_extension(tmp_path):
    for ext, start in [(".svg", b"<?xml"), (".png", b"\x89PNG"), (".tex", b"\\documentclass")]:
        path = tmp_path / f"pic{ext}"
        draw(trace3(), str(path))
        assert path.read_bytes().startswith(start)


def test_draw_rejects_an_unknown_extension(tmp_path):
    from rewrite.core.errors import InputError

    with pytest.raises(InputError, match=r"\.svg, \.png or \.tex"):
        draw(trace3(), str(tmp_path / "pic.bmp"))


def test_tikz_body_has_the_penrose_shapes():
    tex = to_tikz(every_kind())
    assert tex.startswith("\\begin{tikzpicture}") and tex.rstrip().endswith("\\end{tikzpicture}")
    assert "-- cycle; % isometry-triangle-U" in tex
    assert "circle (0.090); % delta-dot" in tex
    assert "[rounded corners=4pt]" in tex  # the Σ bubble
    assert "{${X}^{-1}$}" in tex
    assert "\\documentclass" not in tex


def test_tikz_standalone_is_a_whole_document():
    tex = to_tikz(trace3(), standalone=True)
    assert tex.startswith("\\documentclass[tikz")
    assert "\\begin{document}" in tex and tex.rstrip().endswith("\\end{document}")


def test_tikz_writes_greek_names_as_commands():
    d = net([(T(decl("ψ", ["α"], (n,))), ["α"])])
    tex = to_tikz(d)
    assert "$\\psi$" in tex and "$\\alpha$" in tex


def test_missing_matplotlib_names_the_extra_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"pip install 'penrose-rewrite\[draw\]'"):
        to_svg(trace3())


def test_tikz_needs_no_matplotlib(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert "% tensor-circle-A" in to_tikz(trace3())


# ----------------------------------------------------------- notebook display


def test_diagram_shows_in_a_notebook_as_svg_and_text():
    bundle = trace3()._repr_mimebundle_()
    assert bundle["image/svg+xml"].lstrip().startswith("<?xml")
    assert bundle["text/plain"]


def test_sum_shows_in_a_notebook_as_svg():
    s = Sum.of(trace3())
    assert "image/svg+xml" in s._repr_mimebundle_()


def test_mimebundle_honours_include_and_exclude():
    assert set(repr_mimebundle(trace3(), include=["text/plain"])) == {"text/plain"}
    assert set(repr_mimebundle(trace3(), exclude=["image/svg+xml"])) == {"text/plain"}


def test_mimebundle_without_matplotlib_falls_back_to_text(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert set(repr_mimebundle(trace3())) == {"text/plain"}


def test_latex_repr_is_a_formula_naming_the_tensors():
    tex = trace3()._repr_latex_()
    assert tex.startswith("$") and tex.endswith("$")
    assert all(name in tex for name in "ABC")


def test_own_index_formatter_writes_subscripts_and_coefficients():
    t1 = net([(T(A), ["i", "j"]), (T(B), ["j", "k"])], scalar=2)
    t2 = net([(T(decl("M", "ik", (n, k))), ["i", "k"])], scalar=-1)
    tex = notebook._sum_text(Sum((t1, t2), ("i", "k"), (n, k)), tex=True)
    assert tex == "2 \\, A_{i a} \\, B_{a k} - M_{i k}"


def test_fused_leg_is_drawn_thicker_than_its_parts():
    d = net([(T(fuse_decl((n, m))), ["i", "k", "w"])])
    widths = {w.gid: w.width for w in scene(d).wires}
    assert widths["leg-w"] > widths["leg-i"] == widths["leg-k"]


# ------------------------------------------------------------ through the text


def built(src: str, name: str) -> Sum:
    from rewrite.language.env import build_program
    from rewrite.language.parse import parse

    return build_program(parse(src)).lets[name]


def test_kron_of_identities_draws_two_merge_bars_and_no_tensor():
    s = built("let e = einsum(eye(5), eye(3), 'i j, k l -> (i k) (j l)')\n", "e")
    sc = scene(s)
    assert sorted(sh.gid for sh in sc.shapes) == ["fuse-bar", "fuse-bar-2"]


def test_norm_written_in_the_language_is_drawn_as_a_ladder():
    s = built("dim chi\ndim d = 2\n"
              "tensor L1[p1: d, b1: chi]\ntensor L2[b1: chi, p2: d, b2: chi]\n"
              "tensor L3[b2: chi, p3: d]\n"
              "let psi = L1[p1, b1] L2[b1, p2, b2] L3[b2, p3]\n"
              "let norm = psi conj(psi)\n", "norm")
    sc = scene(s)
    top = [shape(sc, f"tensor-circle-L{i}").centre for i in (1, 2, 3)]
    bottom = [shape(sc, f"tensor-circle-conj(L{i})").centre for i in (1, 2, 3)]
    assert len({y for _, y in top}) == 1 and len({y for _, y in bottom}) == 1
    assert [x for x, _ in top] == pytest.approx([x for x, _ in bottom])
    assert top[0][1] > bottom[0][1]


# ------------------------------------------------------------------ bubbles

MLP = ("dim h, f, o, n, m\n"
       "real tensor W1[h: h, f: f]\nreal tensor W2[f: f, o: o]\nreal tensor x[h: h]\n"
       "tensor q[i: n, a: m]\ntensor W[a: m, b: m]\ntensor kk[j: n, b: m]\n")


def box_of(s):
    return (s.centre[0] - s.width / 2, s.centre[1] - s.height / 2,
            s.centre[0] + s.width / 2, s.centre[1] + s.height / 2)


def inside(box, p, eps=1e-9):
    return box[0] - eps <= p[0] <= box[2] + eps and box[1] - eps <= p[1] <= box[3] + eps


def on_border(box, p, eps=1e-6):
    x0, y0, x1, y1 = box
    return inside(box, p) and min(abs(p[0] - x0), abs(p[0] - x1), abs(p[1] - y0), abs(p[1] - y1)) < eps


def nested():
    return built(MLP + "let e = gelu(W2[f, o] relu(W1[h, f] x[h]))\n", "e")


def test_bubble_is_drawn_around_the_shapes_inside_it():
    sc = scene(built(MLP + "let e = relu(W1[h, f] x[h])\n", "e"))
    box = box_of(shape(sc, "bubble-relu"))
    for gid in ("tensor-circle-W1", "tensor-circle-x"):
        assert all(inside(box, p) for p in shape(sc, gid).extent())


def test_nested_bubbles_hold_their_insides_one_within_the_other():
    sc = scene(nested())
    gelu, relu = box_of(shape(sc, "bubble-gelu")), box_of(shape(sc, "bubble-relu"))
    assert inside(gelu, relu[:2]) and inside(gelu, relu[2:])
    assert all(inside(relu, p) for g in ("tensor-circle-W1", "tensor-circle-x")
               for p in shape(sc, g).extent())
    w2 = shape(sc, "tensor-circle-W2")
    assert all(inside(gelu, p) for p in w2.extent()) and not inside(relu, w2.centre)


def test_bubble_is_labelled_with_its_function_in_its_top_left_corner():
    sc = scene(nested())
    for fn in ("gelu", "relu"):
        box = box_of(shape(sc, f"bubble-{fn}"))
        (label,) = [t for t in sc.texts if t.gid == f"label-{fn}"]
        (lx0, ly0), (lx1, ly1) = label.extent()
        assert inside(box, (lx0, ly0)) and inside(box, (lx1, ly1))
        assert lx0 < (box[0] + box[2]) / 2 and ly0 > (box[1] + box[3]) / 2


def test_ports_cross_the_border_where_outer_and_inner_wires_meet():
    sc = scene(nested())
    relu = box_of(shape(sc, "bubble-relu"))
    gelu = box_of(shape(sc, "bubble-gelu"))
    ends = [p for w in sc.wires for p in (w.points[0], w.points[-1])]
    # f crosses relu's border (W1 inside to W2 outside), o crosses gelu's.
    at_relu = [p for p in ends if on_border(relu, p)]
    at_gelu = [p for p in ends if on_border(gelu, p)]
    assert len(at_relu) == 2 and at_relu[0] == pytest.approx(at_relu[1])
    assert len(at_gelu) == 2 and at_gelu[0] == pytest.approx(at_gelu[1])
    (name,) = [t for t in sc.texts if t.gid == "name-o"]
    assert not inside(gelu, name.at)


def test_softmax_bubble_names_its_axis_and_lets_both_legs_out():
    sc = scene(built(MLP + "let e = softmax[j](q[i, a] W[a, b] kk[j, b])\n", "e"))
    box = box_of(shape(sc, "bubble-softmax[j]"))
    assert "softmax[j]" in {t.text for t in sc.texts}
    legs = [w for w in sc.wires if w.gid in ("leg-i", "leg-j")]
    assert len(legs) == 2 and all(on_border(box, w.points[0]) for w in legs)
    assert all(not inside(box, w.points[-1]) for w in legs)


def test_sum_bubble_holds_its_terms_with_a_plus_between_them():
    sc = scene(every_kind())
    box = box_of(shape(sc, "bubble-sum"))
    plus = [t for t in sc.texts if t.text == "+"]
    assert len(plus) == 1 and inside(box, plus[0].at)
    assert all(inside(box, shape(sc, g).centre) for g in ("tensor-circle-A", "tensor-circle-A-2"))


def test_nested_bubble_svg_keeps_the_shape_ids():
    svg = to_svg(nested())
    assert {"bubble-gelu", "bubble-relu", "tensor-circle-W1", "tensor-circle-x",
            "tensor-circle-W2"} <= svg_ids(svg)


def test_tikz_draws_the_bubbles_first_so_they_lie_under_their_wires():
    lines = to_tikz(nested()).splitlines()
    gelu = next(i for i, line in enumerate(lines) if line.endswith("% bubble-gelu"))
    relu = next(i for i, line in enumerate(lines) if line.endswith("% bubble-relu"))
    first_wire = next(i for i, line in enumerate(lines) if line.lstrip().startswith("\\draw"))
    assert gelu < relu < first_wire
    assert "\\operatorname{relu}" in to_tikz(nested())


# --------------------------------------------------------------- sandwiches

SITES = ("dim chi\ndim d = 2\n"
         "tensor L1[p1: d, b1: chi]\ntensor L2[b1: chi, p2: d, b2: chi]\ntensor L3[b2: chi, p3: d]\n"
         "tensor O1[p: d, q: d]\ntensor O2[p: d, q: d]\ntensor O3[p: d, q: d]\n"
         "tensor u[i: chi]\ntensor v[i: chi]\ntensor M[i: chi, j: chi]\n")


def rows_of(sc, gids):
    return [shape(sc, g).centre for g in gids]


def test_expectation_value_is_three_rows_state_operators_conjugate():
    sc = scene(built(SITES + "let e = L1[p1, b1] L2[b1, p2, b2] L3[b2, p3] O1[p1, q1] O2[p2, q2] "
                     "O3[p3, q3] conj(L1)[q1, c1] conj(L2)[c1, q2, c2] conj(L3)[c2, q3]\n", "e"))
    top = rows_of(sc, [f"tensor-circle-L{i}" for i in (1, 2, 3)])
    mid = rows_of(sc, [f"tensor-circle-O{i}" for i in (1, 2, 3)])
    bot = rows_of(sc, [f"tensor-circle-conj(L{i})" for i in (1, 2, 3)])
    for row in (top, mid, bot):
        assert len({y for _, y in row}) == 1
        assert [x for x, _ in row] == sorted(x for x, _ in row)
    assert top[0][1] > mid[0][1] > bot[0][1]
    assert [x for x, _ in top] == pytest.approx([x for x, _ in mid])
    assert [x for x, _ in top] == pytest.approx([x for x, _ in bot])


def test_operator_on_one_site_sits_between_that_site_and_its_conjugate():
    sc = scene(built(SITES + "let e = L1[p1, b1] L2[b1, p2, b2] L3[b2, p3] O2[p2, q2] "
                     "conj(L1)[p1, c1] conj(L2)[c1, q2, c2] conj(L3)[c2, p3]\n", "e"))
    (x2, y2), (xo, yo), (xc, yc) = rows_of(sc, ["tensor-circle-L2", "tensor-circle-O2",
                                               "tensor-circle-conj(L2)"])
    assert x2 == pytest.approx(xo) == pytest.approx(xc) and y2 > yo > yc
    assert shape(sc, "tensor-circle-L1").centre[1] == y2


def test_matrix_chain_between_two_vectors_is_one_row():
    sc = scene(built(SITES + "let e = u[i] M[i, j] M[j, k] v[k]\n", "e"))
    row = rows_of(sc, ["tensor-circle-u", "tensor-circle-M", "tensor-circle-M-2", "tensor-circle-v"])
    assert len({y for _, y in row}) == 1
    assert [x for x, _ in row] == sorted(x for x, _ in row)


# ------------------------------------------------- triangles, ladders, labels


def tip_angle(s) -> float:
    """The direction a triangle points, in degrees, when it points along an
    axis: an equilateral triangle has exactly one corner on an axis ray then."""
    cx, cy = drawmod.label_at(s)
    on_axis = [round(math.degrees(math.atan2(y - cy, x - cx))) % 360 for x, y in s.vertices
               if abs(x - cx) < 1e-6 or abs(y - cy) < 1e-6]
    assert len(on_axis) == 1, s.vertices
    return on_axis[0]


TRAIN = ("dim d, k\n"
         "isometry E1[s: d -> b: k]\nisometry E2[a: k, s: d -> b: k]\ntensor C3[a: k, s: d, b: k]\n"
         "isometry F4[s: d, b: k -> a: k]\nisometry F5[s: d -> a: k]\n"
         "let phi[p1, p2, p3, p4, p5] = E1[p1, b1] E2[b1, p2, b2] C3[b2, p3, b3] F4[p4, b4, b3] F5[p5, b4]\n"
         "let norm = phi conj(phi)\n")


@pytest.mark.parametrize("name", ["phi", "norm"])
def test_train_triangles_point_along_the_row_at_the_centre(name):
    sc = scene(built(TRAIN, name))
    stars = [""] if name == "phi" else ["", "conj"]
    for conj in stars:
        def g(t):
            return f"isometry-triangle-{conj}({t})" if conj else f"isometry-triangle-{t}"
        assert [tip_angle(shape(sc, g(t))) for t in ("E1", "E2", "F4", "F5")] == [0, 0, 180, 180]


def test_isometry_pair_with_two_tip_legs_points_away_along_the_row():
    w = decl("W", "abcd", (n, n, k, k), Kind.ISOMETRY, 2)
    sc = scene(net([(T(w, True), ["a", "b", "c", "d"]), (T(w), ["a", "b", "e", "f"])]))
    assert tip_angle(shape(sc, "isometry-triangle-conj(W)")) == 180
    assert tip_angle(shape(sc, "isometry-triangle-W")) == 0


def test_triangle_off_a_row_snaps_to_its_tip_leg():
    src = ("dim m, n, r\nisometry U[i: m -> j: r]\nisometry V[k: n -> j: r]\nreal tensor λ[j: r]\n"
           "let M = einsum(U, λ, conj(V), ' i j, j, k j -> i k')\n")
    sc = scene(built(src, "M"))
    dot = shape(sc, "delta-dot").centre
    v = shape(sc, "isometry-triangle-conj(V)")
    towards = math.degrees(math.atan2(dot[1] - v.centre[1], dot[0] - v.centre[0])) % 360
    assert tip_angle(v) == round(towards / 90) * 90 % 360


LADDER = ("dim d = 2\n" + "".join(f"tensor L{i}[{legs}]\n" for i, legs in enumerate(
    ["i: d, j: d", "i: d, r: d", "j: d, k: d, l: d", "r: d, k: d, s: d", "l: d, m: d, n: d",
     "s: d, m: d, t: d", "n: d, o: d, p: d", "t: d, o: d, u: d", "p: d, q: d", "u: d, q: d"], 1))
          + "let ladder = einsum(L1, L2, L3, L4, L5, L6, L7, L8, L9, L10, "
          "'i j, i r, j k l, r k s, l m n, s m t, n o p, t o u, p q, u q -> ')\n")


def test_ladder_rows_are_ordered_so_that_rungs_are_vertical():
    sc = scene(built(LADDER, "ladder"))
    top = rows_of(sc, [f"tensor-circle-L{i}" for i in (1, 3, 5, 7, 9)])
    bot = rows_of(sc, [f"tensor-circle-L{i}" for i in (2, 4, 6, 8, 10)])
    assert len({y for _, y in top}) == 1 and len({y for _, y in bot}) == 1
    assert top[0][1] > bot[0][1]
    assert [x for x, _ in top] == sorted(x for x, _ in top)
    assert [x for x, _ in top] == pytest.approx([x for x, _ in bot])


@pytest.mark.parametrize("kind, split", [(Kind.GENERIC, 2), (Kind.ISOMETRY, 1), (Kind.UNITARY, 1),
                                         (Kind.INVERTIBLE, 1), (Kind.DIAGONAL, 2)])
@pytest.mark.parametrize("name", ["A", "Wout", "match", "shift18", "very_long_name"])
def test_label_fits_inside_its_shape(kind, split, name):
    sc = scene(net([(T(decl(name, "ab", (n, n), kind, split)), ["a", "b"])]))
    (s,) = sc.shapes
    (lx0, _), (lx1, _) = [t for t in sc.texts if t.gid.startswith("label-")][0].extent()
    assert drawmod.holds(s, drawmod.label_box(name), margin=0.0)
    xs = [p[0] for p in s.extent()]
    assert max(xs) - min(xs) >= lx1 - lx0


def test_long_labels_keep_one_form_per_kind():
    forms = {}
    for kind in (Kind.GENERIC, Kind.UNITARY, Kind.INVERTIBLE, Kind.ISOMETRY):
        (s,) = scene(net([(T(decl("match", "ab", (n, n), kind, 1)), ["a", "b"])])).shapes
        forms[kind] = (s.form, len(s.vertices), s.fill)
    assert forms[Kind.GENERIC][0] == "ellipse"
    assert len(set(forms.values())) == len(forms)


def test_long_labels_widen_the_row():
    short = scene(net([(T(decl("A", "ij", (n, n))), ["i", "j"]), (T(decl("B", "jk", (n, n))), ["j", "k"])]))
    long_ = scene(net([(T(decl("match", "ij", (n, n))), ["i", "j"]),
                       (T(decl("shift18", "jk", (n, n))), ["j", "k"])]))
    a, b = long_.shapes
    assert abs(b.centre[0] - a.centre[0]) - (a.width + b.width) / 2 > 0.3  # room for the wire
    assert long_.bbox()[2] - long_.bbox()[0] > short.bbox()[2] - short.bbox()[0]


def test_anonymous_open_legs_are_not_named():
    s = built("let e = kron(eye(5), eye(3))\n", "e")
    svg = to_svg(s)
    assert not [t for t in svg_texts(svg) if t.startswith("#")]
    assert 'id="leg-#' not in svg and "% leg-#" not in to_tikz(s)


def test_ten_term_sum_is_wrapped_into_several_rows():
    terms = tuple(net([(T(A), ["i", "j"])], scalar=c) for c in range(1, 11))
    sc = scene(Sum(terms, ("i", "j"), (n, m)))
    ys = sorted({round(s.centre[1], 6) for s in sc.shapes})
    assert len(ys) >= 3
    per_row = Counter(round(s.centre[1], 6) for s in sc.shapes)
    assert max(per_row.values()) <= 4
    x0, y0, x1, y1 = sc.bbox()
    assert x1 - x0 < 3 * (y1 - y0)


def test_short_sum_stays_in_one_row():
    terms = tuple(net([(T(A), ["i", "j"])], scalar=c) for c in (1, 2))
    sc = scene(Sum(terms, ("i", "j"), (n, m)))
    assert len({round(s.centre[1], 6) for s in sc.shapes}) == 1


def test_every_shape_form_has_a_writer_in_every_backend():
    """The backends are registries keyed by `Shape.form`: a form the scene
    makes (here from every example's diagrams) must be known to both."""
    from rewrite.views.backend_matplotlib import PATCHES
    from rewrite.views.backend_tikz import PATHS
    from rewrite.app.session import Session

    root = Path(__file__).resolve().parent.parent
    forms = set()
    for path in sorted((root / "examples").glob("*.tn")):
        s = Session()
        s.load_declarations(path.read_text(encoding="utf-8"), path.name)
        for value in s.env.lets.values():
            forms |= {sh.form for sh in scene(value).shapes}
    assert {"circle", "polygon", "box", "dot"} <= forms
    assert forms <= set(PATCHES) and forms <= set(PATHS)
    assert drawmod.DRAW_FORMATS == tuple(drawmod.WRITERS) == (".svg", ".png", ".tex")
