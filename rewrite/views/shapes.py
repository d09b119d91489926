"""Penrose shapes: which outline a node gets and how it is turned and widened.

Circles for generic tensors, triangles for isometries (the tip toward the tip
legs, so `conj(U)` facing `U` is the mirrored triangle), squares for unitaries,
diamonds for invertibles, grey circles for diagonals, filled dots for deltas,
a thin bar where a thick fused leg meets its thin parts, a box for a let kept
whole; a long name widens its shape (a circle becomes an ellipse) instead of
spilling over it.  Every shape has a gid (`isometry-triangle-U`, `delta-dot`,
...), which the SVG keeps as an element id.
"""
from __future__ import annotations

import math
from dataclasses import replace

from ..core.diagram import BubbleNode, DeltaNode
from ..core.kinds import Kind
from .labels import node_label
from .layout import Point
from .primitives import CHAR_W, FONT_SIZE, LINE_H, Shape


def rot(u: Point, a: float) -> Point:
    c, s = math.cos(a), math.sin(a)
    return (u[0] * c - u[1] * s, u[0] * s + u[1] * c)


def normalised(u: Point) -> Point | None:
    n = math.hypot(*u)
    return (u[0] / n, u[1] / n) if n > 1e-9 else None


def _polygon(centre: Point, corners: list[Point], u: Point) -> tuple[Point, ...]:
    """Corners given for a shape facing +x, turned to face u."""
    return tuple((centre[0] + p[0], centre[1] + p[1]) for p in (rot(c, math.atan2(u[1], u[0])) for c in corners))


def _snap(u: Point) -> Point:
    """The axis direction nearest to u; a tie (45°) goes to the horizontal,
    since pictures are read in rows."""
    if abs(u[0]) >= abs(u[1]) - 1e-9:
        return (math.copysign(1.0, u[0]), 0.0)
    return (0.0, math.copysign(1.0, u[1]))


SNAP_ANGLE = math.radians(25)  # off-row shapes this close to an axis are put on it


def _facing(node, dirs: dict[int, Point], in_row: bool = False) -> Point:
    """Where an arrow-declared node points: toward the mean of its tip legs
    (from its wide legs when the tip legs cancel out).  In a row, or close to
    an axis, the direction is snapped to the axis: in a tensor train every
    triangle points along the chain at the orthogonality centre, even when its
    wide (physical) leg leaves at right angles to the tip (bond) leg."""
    split = node.split
    tip = [dirs[i] for i in range(split, node.arity) if i in dirs]
    wide = [dirs[i] for i in range(split) if i in dirs]
    t = (sum(v[0] for v in tip) / len(tip), sum(v[1] for v in tip) / len(tip)) if tip else (0.0, 0.0)
    w = (sum(v[0] for v in wide) / len(wide), sum(v[1] for v in wide) / len(wide)) if wide else (0.0, 0.0)
    u = normalised(t) if math.hypot(*t) > 0.3 else normalised((t[0] - w[0], t[1] - w[1]))
    if u is None:
        return (1.0, 0.0)
    snapped = _snap(u)
    if in_row or u[0] * snapped[0] + u[1] * snapped[1] >= math.cos(SNAP_ANGLE):
        return snapped
    return u


def _base_shape(node, gid: str, c: Point, dirs: dict[int, Point], in_row: bool) -> Shape:
    """The node's shape at its natural size, before it is fitted to its label."""
    if isinstance(node, DeltaNode):
        return Shape(gid, "dot", c, "ink", radius=0.09)
    if isinstance(node, BubbleNode):
        text = node_label(node)[0]
        return Shape(gid, "box", c, "bubble", width=max(0.75, CHAR_W * len(text) + 0.35), height=0.62)
    decl = node.decl
    if decl.builtin == "let":  # a named let kept whole: a box with its name
        return Shape(gid, "polygon", c, "bubble",
                     vertices=_polygon(c, [(0.4, -0.3), (0.4, 0.3), (-0.4, 0.3), (-0.4, -0.3)], (1.0, 0.0)))
    if decl.builtin == "fuse":
        u = _facing(node, dirs, in_row)
        return Shape(gid, "polygon", c, "ink",
                     vertices=_polygon(c, [(-0.05, -0.28), (0.05, -0.28), (0.05, 0.28), (-0.05, 0.28)], u))
    if node.op == "diag" or decl.kind is Kind.DIAGONAL:
        return Shape(gid, "circle", c, "diagonal", radius=0.3)
    if decl.kind is Kind.ISOMETRY:
        r = 0.56
        corners = [(r, 0.0), (-r / 2, r * math.sqrt(3) / 2), (-r / 2, -r * math.sqrt(3) / 2)]
        return Shape(gid, "polygon", c, "isometry", vertices=_polygon(c, corners, _facing(node, dirs, in_row)))
    if decl.kind in (Kind.UNITARY, Kind.ORTHOGONAL):
        h = 0.3
        return Shape(gid, "polygon", c, "isometry", vertices=_polygon(c, [(h, -h), (h, h), (-h, h), (-h, -h)], (1.0, 0.0)))
    if decl.kind is Kind.INVERTIBLE:
        h = 0.4
        return Shape(gid, "polygon", c, "invertible", vertices=_polygon(c, [(h, 0), (0, h), (-h, 0), (0, -h)], (1.0, 0.0)))
    return Shape(gid, "circle", c, "generic", radius=0.3)


def label_size(plain: str) -> float:
    """Font size of a node's label: a little smaller for longer names."""
    return FONT_SIZE if len(plain) <= 1 else FONT_SIZE * 0.85 if len(plain) <= 3 else FONT_SIZE * 0.75


def label_box(plain: str) -> Point:
    """Width and height of the ink of a node's label (its letters, without the
    line spacing that `Text.extent` counts)."""
    size = label_size(plain)
    return (CHAR_W * len(plain) * size / FONT_SIZE, 0.7 * LINE_H * size / FONT_SIZE)


def label_at(shape: Shape) -> Point:
    """Where a node's label goes: a triangle's centroid (its widest middle
    part), else the centre."""
    if shape.form == "polygon" and len(shape.vertices) == 3:
        return (sum(p[0] for p in shape.vertices) / 3, sum(p[1] for p in shape.vertices) / 3)
    return shape.centre


def _stretched(shape: Shape, f: float) -> Shape:
    """The shape widened f times along x (about its centre): a circle becomes
    an ellipse, a square a rectangle, a diamond and a triangle wider ones."""
    if f == 1.0:
        return shape
    cx = shape.centre[0]
    if shape.form == "circle":
        return replace(shape, form="ellipse", width=2 * shape.radius * f, height=2 * shape.radius)
    return replace(shape, vertices=tuple((cx + f * (x - cx), y) for x, y in shape.vertices))


def holds(shape: Shape, box: Point, margin: float = 0.05) -> bool:
    """Whether the label box (centred at `label_at`) lies inside the shape."""
    lx, ly = label_at(shape)
    hw, hh = box[0] / 2 + margin, box[1] / 2 + margin
    corners = [(lx + sx * hw, ly + sy * hh) for sx in (-1, 1) for sy in (-1, 1)]
    if shape.form in ("circle", "ellipse"):
        a = shape.width / 2 if shape.form == "ellipse" else shape.radius
        b = shape.height / 2 if shape.form == "ellipse" else shape.radius
        cx, cy = shape.centre
        return all(((x - cx) / a) ** 2 + ((y - cy) / b) ** 2 <= 1.0 for x, y in corners)
    vs = shape.vertices
    turn = [(q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])
            for p, q, r in zip(vs, vs[1:] + vs[:1], vs[2:] + vs[:2])]
    sign = 1.0 if sum(turn) > 0 else -1.0
    for p, q in zip(vs, vs[1:] + vs[:1]):
        for x, y in corners:
            if sign * ((q[0] - p[0]) * (y - p[1]) - (q[1] - p[1]) * (x - p[0])) < 0:
                return False
    return True


def node_shape(node, gid: str, c: Point, dirs: dict[int, Point], in_row: bool = False) -> Shape:
    """The node's shape, widened (never shrunk) until its label fits inside:
    each kind keeps its form, so a long name still reads as a circle, square,
    diamond or triangle.  The stretch is searched in small steps rather than
    solved for, because one rule then serves every form."""
    shape = _base_shape(node, gid, c, dirs, in_row)
    plain = node_label(node)[0]
    if not plain or shape.form not in ("circle", "polygon") or shape.fill == "ink":
        return shape
    box = label_box(plain)
    f = 1.0
    while not holds(_stretched(shape, f), box) and f < 8.0:
        f = round(f + 0.05, 2)
    return _stretched(shape, f)


def node_half(node) -> Point | None:
    """Half width and height of a node's shape (pointing right) when its label
    made it wider than usual, for the layout to leave room; else None."""
    natural = _base_shape(node, "", (0.0, 0.0), {}, False)
    fitted = node_shape(node, "", (0.0, 0.0), {})
    if fitted == natural:
        return None
    (x0, y0), (x1, y1) = _bounds(fitted)
    return ((x1 - x0) / 2, (y1 - y0) / 2)


def _bounds(shape: Shape) -> tuple[Point, Point]:
    pts = shape.extent()
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    return (min(xs), min(ys)), (max(xs), max(ys))


def shape_gid(node) -> str:
    """`kind-form-title`: what a test or a stylesheet looks for."""
    if isinstance(node, DeltaNode):
        return "delta-dot"
    if isinstance(node, BubbleNode):
        return f"bubble-{node.title}" if node.fn != "sum" else "bubble-sum"
    decl = node.decl
    if decl.builtin == "let":
        return f"let-box-{decl.name}"
    if decl.builtin == "fuse":
        return "fuse-bar"
    if node.op == "diag" or decl.kind is Kind.DIAGONAL:
        return f"diagonal-circle-{node.title}"
    form = {Kind.ISOMETRY: "triangle", Kind.UNITARY: "square", Kind.ORTHOGONAL: "square",
            Kind.INVERTIBLE: "diamond"}.get(decl.kind, "circle")
    return f"{decl.kind.value}-{form}-{node.title}"
