"""Penrose-style pictures of diagrams: SVG and PNG (matplotlib) and TikZ.

A picture is built in two steps.  `scene` turns a diagram and its `layout`
into backend-neutral primitives - shapes, wires and texts in drawing units -
and a backend writes them out.  Keeping the geometry in one place means the
matplotlib picture and the TikZ code show the same thing, and that the shape
choices below are made once:

* circles for generic tensors, triangles for isometries (the tip toward the tip
  legs, so `conj(U)` facing `U` is the mirrored triangle), squares for
  unitaries, diamonds for invertibles (`inv(X)` labelled X⁻¹), grey circles for
  diagonals, filled dots for deltas, bare lines for identities, a thin bar
  where a thick fused leg meets its thin parts, rounded boxes for bubbles
  (Σ for an unexpanded sum); a long name widens its shape (a circle becomes
  an ellipse) instead of spilling over it;
* conjugates carry a star (U*); the scalar is written in front; a long sum
  is broken into rows of at most three terms; tool-made leg names (`#0`) are
  not written.

Every shape has a gid (`isometry-triangle-U`, `delta-dot`, `bubble-relu`, ...),
which the SVG keeps as an element id, so a picture can be inspected by tests and
styled by users.  matplotlib is an optional extra and imported only when a
picture is actually rendered.
"""
from __future__ import annotations

import io
import math
import os
import unicodedata
from dataclasses import dataclass, field, replace
from typing import Any, Union

import sympy

from ..core.functions import pow_exponent
from ..core.diagram import BOUNDARY, BubbleNode, DeltaNode, Diagram, Sum, TensorNode, as_sum
from ..core.kinds import Kind
from .layout import LEG, NODE_HALF as LAYOUT_HALF, Layout, Point, Prefer, arc_height, arc_lift, layout
from .steps import follow

UNIT_INCH = 0.6  # one drawing unit in the matplotlib picture
BASE_WIDTH = 1.3  # line width of a wire, in points
FONT_SIZE = 11.0
CHAR_W = 0.16  # approximate width of one label character, in drawing units
LINE_H = 0.3

_MISSING_MPL = ("drawing SVG or PNG pictures needs matplotlib: "
                "pip install 'penrose-rewrite[draw]'")

# Fill colours: (matplotlib, TikZ).  Isometries blue and diagonals grey, as in
# the usual pictures of decompositions.
COLOURS = {
    "generic": ("#ffffff", "white"),
    "isometry": ("#cfe2ff", "blue!15"),
    "invertible": ("#d5f0d5", "green!15"),
    "diagonal": ("#c8c8c8", "gray!40"),
    "bubble": ("#fff5d6", "yellow!15"),
    "ink": ("#000000", "black"),
}


# ---------------------------------------------------------------- primitives


@dataclass(frozen=True)
class Shape:
    """A node's outline.  `form` is one of circle, ellipse, polygon, dot, box;
    polygons carry their vertices, circles and dots a radius, ellipses and
    boxes a width and height."""

    gid: str
    form: str
    centre: Point
    fill: str
    radius: float = 0.0
    vertices: tuple[Point, ...] = ()
    width: float = 0.0
    height: float = 0.0
    node: str = ""  # which node this is the outline of ("3", "3/1" inside bubble 3)

    def moved(self, dx: float, dy: float) -> "Shape":
        return replace(self, centre=(self.centre[0] + dx, self.centre[1] + dy),
                       vertices=tuple((x + dx, y + dy) for x, y in self.vertices))

    def extent(self) -> list[Point]:
        (x, y), r = self.centre, self.radius
        if self.form == "polygon":
            return list(self.vertices)
        if self.form in ("box", "ellipse"):
            return [(x - self.width / 2, y - self.height / 2), (x + self.width / 2, y + self.height / 2)]
        return [(x - r, y - r), (x + r, y + r)]


@dataclass(frozen=True)
class Wire:
    """A line (two points) or a cubic Bézier curve (four points)."""

    gid: str
    points: tuple[Point, ...]
    width: float
    ends: tuple[str, str] = ("", "")  # node ids (or "free:k") the wire joins

    def moved(self, dx: float, dy: float) -> "Wire":
        return replace(self, points=tuple((x + dx, y + dy) for x, y in self.points))


@dataclass(frozen=True)
class Text:
    """A label: `text` for matplotlib, `tex` (math mode body) for TikZ."""

    gid: str
    at: Point
    text: str
    tex: str
    ha: str = "center"  # left | center | right: which side of the text `at` is on
    va: str = "center"  # bottom | center | top
    size: float = FONT_SIZE
    node: str = ""  # what the text belongs to: a node id, "free:k", or "" (the picture)

    def moved(self, dx: float, dy: float) -> "Text":
        return replace(self, at=(self.at[0] + dx, self.at[1] + dy))

    def extent(self) -> list[Point]:
        w = CHAR_W * len(self.text) * self.size / FONT_SIZE
        h = LINE_H * self.size / FONT_SIZE
        x0 = {"left": self.at[0], "center": self.at[0] - w / 2, "right": self.at[0] - w}[self.ha]
        y0 = {"bottom": self.at[1], "center": self.at[1] - h / 2, "top": self.at[1] - h}[self.va]
        return [(x0, y0), (x0 + w, y0 + h)]


@dataclass(frozen=True)
class Scene:
    """Everything a backend draws: wires under shapes under texts."""

    wires: tuple[Wire, ...] = ()
    shapes: tuple[Shape, ...] = ()
    texts: tuple[Text, ...] = ()

    def moved(self, dx: float, dy: float) -> "Scene":
        return Scene(tuple(w.moved(dx, dy) for w in self.wires),
                     tuple(s.moved(dx, dy) for s in self.shapes),
                     tuple(t.moved(dx, dy) for t in self.texts))

    def owned(self, prefix: str) -> "Scene":
        """The scene as part of a bigger one: every owner id gets `prefix`
        ("3/" for the inside of bubble 3, "t1/" for the second term of a sum);
        what belonged to the whole picture ("") now belongs to the prefix's
        owner (the bubble's border and name are the bubble's)."""
        def own(name: str) -> str:
            return prefix + name if name else prefix.rstrip("/")

        return Scene(tuple(replace(w, ends=(own(w.ends[0]), own(w.ends[1]))) for w in self.wires),
                     tuple(replace(s, node=own(s.node)) for s in self.shapes),
                     tuple(replace(t, node=own(t.node)) for t in self.texts))

    def __add__(self, other: "Scene") -> "Scene":
        return Scene(self.wires + other.wires, self.shapes + other.shapes, self.texts + other.texts)

    def bbox(self) -> tuple[float, float, float, float]:
        pts: list[Point] = []
        for w in self.wires:
            pts.extend(w.points)
        for s in self.shapes:
            pts.extend(s.extent())
        for t in self.texts:
            pts.extend(t.extent())
        if not pts:
            return (0.0, 0.0, 0.0, 0.0)
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        return (min(xs), min(ys), max(xs), max(ys))


# ------------------------------------------------------------------ labels


def _tex_name(name: str) -> str:
    """`name` in TeX math; a clash-renamed index (`b1ʹ`, modifier-letter
    primes) keeps its primes as math primes, `b_{1}'`."""
    bare = name.rstrip("\u02b9")
    if bare != name:
        return _tex_plain_name(bare) + "'" * (len(name) - len(bare))
    return _tex_plain_name(name)


def _tex_plain_name(name: str) -> str:
    """An identifier in TeX math: Greek letters as commands, the rest upright
    when longer than one letter (W_Q, seq0), so pdflatex needs no Unicode."""
    out = []
    for ch in name:
        info = unicodedata.name(ch, "")
        if info.startswith("GREEK SMALL LETTER ") or info.startswith("GREEK CAPITAL LETTER "):
            word = info.split()[-1].lower()
            word = {"lamda": "lambda"}.get(word, word)
            if info.startswith("GREEK CAPITAL"):
                latin = {"alpha": "A", "beta": "B", "epsilon": "E", "zeta": "Z", "eta": "H",
                         "iota": "I", "kappa": "K", "mu": "M", "nu": "N", "omicron": "O",
                         "rho": "P", "tau": "T", "chi": "X"}
                out.append(latin.get(word) or "\\" + word.capitalize() + " ")
            else:
                out.append({"omicron": "o"}.get(word) or "\\" + word + " ")
        elif ch in "_#$%&{}":
            out.append("\\" + ch)
        elif ch in "\\^~":
            out.append("")
        else:
            out.append(ch)
    body = "".join(out).strip()
    plain = [c for c in name if c.isascii()]
    if len(name) > 1 and len(plain) > 1:
        return "\\mathrm{" + body + "}"
    return body


def _coeff_text(c: Any) -> tuple[str, str]:
    """A coefficient as (plain text, TeX)."""
    plain = sympy.sstr(c).replace("**", "^").replace("*", "·")
    return plain, sympy.latex(c)


def node_label(node) -> tuple[str, str]:
    """What is written inside a node: the tensor's name with ⁻¹ for an inverse
    and * for a conjugate (the title `conj(inv(X))` would not fit a circle)."""
    if isinstance(node, DeltaNode):
        return "", ""
    if isinstance(node, BubbleNode):
        if node.fn == "sum":
            plain, tex = "Σ", "\\Sigma"
        else:
            plain = node.title if not node.conj else node.title[5:-1]
            tex = "\\operatorname{" + node.fn.replace("_", "\\_") + "}"
            k = pow_exponent(node.fn)
            if k is not None:  # x^k: the exponent on a placeholder
                plain, tex = f"(·)^{k}", f"(\\cdot)^{{{k}}}"
            elif node.args:  # a declared function of several arguments, drawn as its first
                plain = f"{plain}(·{', ·' * len(node.args)})"
            if node.axis is not None:
                tex += "[" + _tex_name(node.inside.free[node.axis]) + "]"
        return (plain + "*", tex + "^{*}") if node.conj else (plain, tex)
    if node.decl.builtin == "fuse":
        return "", ""
    plain, tex = node.decl.name, _tex_name(node.decl.name)
    sup_plain, sup_tex = "", []
    if node.op == "inv":
        sup_plain += "⁻¹"
        sup_tex.append("-1")
    # diag(D) is the grey vector on a delta: its fill says "diagonal", the name stays short.
    if node.conj:
        sup_plain += "*"
        sup_tex.append("*")
    if sup_tex:
        tex = "{" + tex + "}^{" + "\\,".join(sup_tex) + "}"
    return plain + sup_plain, tex


def leg_width(size: Any, widths: bool = True) -> float:
    """Line width of a leg of this size: grows with log2 of a concrete size and
    with the number of symbol factors of a symbolic one (n*m is twice n)."""
    if not widths:
        return BASE_WIDTH
    s = sympy.sympify(size)
    coeff, rest = s.as_coeff_Mul()
    factors = 0
    for f in sympy.Mul.make_args(rest):
        if f == 1:
            continue
        base, exp = f.as_base_exp()
        factors += int(exp) if exp.is_Integer and exp > 0 else 1
    logc = math.log2(float(coeff)) if coeff.is_Number and coeff > 1 else 0.0
    return min(BASE_WIDTH * (1 + 0.8 * factors + 0.3 * logc), 6 * BASE_WIDTH)


# ------------------------------------------------------------------- shapes


def _rot(u: Point, a: float) -> Point:
    c, s = math.cos(a), math.sin(a)
    return (u[0] * c - u[1] * s, u[0] * s + u[1] * c)


def _norm(u: Point) -> Point | None:
    n = math.hypot(*u)
    return (u[0] / n, u[1] / n) if n > 1e-9 else None


def _polygon(centre: Point, corners: list[Point], u: Point) -> tuple[Point, ...]:
    """Corners given for a shape facing +x, turned to face u."""
    return tuple((centre[0] + p[0], centre[1] + p[1]) for p in (_rot(c, math.atan2(u[1], u[0])) for c in corners))


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
    u = _norm(t) if math.hypot(*t) > 0.3 else _norm((t[0] - w[0], t[1] - w[1]))
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


def _holds(shape: Shape, box: Point, margin: float = 0.05) -> bool:
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


def _shape(node, gid: str, c: Point, dirs: dict[int, Point], in_row: bool = False) -> Shape:
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
    while not _holds(_stretched(shape, f), box) and f < 8.0:
        f = round(f + 0.05, 2)
    return _stretched(shape, f)


def node_half(node) -> Point | None:
    """Half width and height of a node's shape (pointing right) when its label
    made it wider than usual, for the layout to leave room; else None."""
    natural = _base_shape(node, "", (0.0, 0.0), {}, False)
    fitted = _shape(node, "", (0.0, 0.0), {})
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


class _Gids:
    """Unique element ids: the first use of a name keeps it, later ones get -2, -3."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}

    def __call__(self, name: str) -> str:
        n = self.seen.get(name, 0) + 1
        self.seen[name] = n
        return name if n == 1 else f"{name}-{n}"


# -------------------------------------------------------------------- scene


def _curve(p0: Point, p3: Point, bulge: Point) -> tuple[Point, ...]:
    """The quadratic curve p0 → p3 whose middle is pushed by `bulge`, as a cubic."""
    q = ((p0[0] + p3[0]) / 2 + 2 * bulge[0], (p0[1] + p3[1]) / 2 + 2 * bulge[1])
    c1 = (p0[0] + 2 / 3 * (q[0] - p0[0]), p0[1] + 2 / 3 * (q[1] - p0[1]))
    c2 = (p3[0] + 2 / 3 * (q[0] - p3[0]), p3[1] + 2 / 3 * (q[1] - p3[1]))
    return (p0, c1, c2, p3)


BUBBLE_PAD = 0.3  # room between a bubble's border and what it holds
LABEL_SIZE = FONT_SIZE * 0.85


@dataclass(frozen=True)
class _Art:
    """A bubble drawn around its inside, its box centred at the origin.

    The scene lists the box first, so that it lies under what it holds.
    `ports[k]` is where port k (the inside's free leg k) meets the border and
    `dirs[k]` the direction the wire leaves in.
    """

    scene: Scene
    half: Point
    ports: tuple[Point, ...]
    dirs: tuple[Point, ...]


Sides = dict[int, str]  # port -> the side of a bubble ("left", "right", "top", "bottom") it should leave


class _Arts:
    """Bubble pictures of one scene, each drawn once per orientation (nested
    bubbles would otherwise be redrawn at every level)."""

    def __init__(self, widths: bool) -> None:
        self.widths = widths
        self.memo: dict[tuple, _Art] = {}
        self.keep: list[BubbleNode] = []  # ids stay valid while the nodes live

    def __call__(self, node: BubbleNode, mirror: bool, sides: Sides | None = None) -> _Art:
        key = (id(node), mirror, tuple(sorted((sides or {}).items())))
        if key not in self.memo:
            self.keep.append(node)
            self.memo[key] = _bubble_art(node, mirror, self, dict(sides or {}))
        return self.memo[key]


def _mirror(lay: Layout) -> Layout:
    """The layout seen in a mirror (x → -x), for a bubble whose wires leave
    better the other way round; shapes follow their legs, so they mirror too."""
    return replace(lay, nodes={v: (-x, y) for v, (x, y) in lay.nodes.items()},
                   free_ends={k: (-x, y) for k, (x, y) in lay.free_ends.items()},
                   free_dirs={k: (-x, y) for k, (x, y) in lay.free_dirs.items()})


def _exit(box: tuple[float, float, float, float], e: Point, u: Point) -> Point:
    """Where the ray from e (inside the box) along u leaves the box."""
    x0, y0, x1, y1 = box
    ts = []
    if u[0] > 1e-9:
        ts.append((x1 - e[0]) / u[0])
    if u[0] < -1e-9:
        ts.append((x0 - e[0]) / u[0])
    if u[1] > 1e-9:
        ts.append((y1 - e[1]) / u[1])
    if u[1] < -1e-9:
        ts.append((y0 - e[1]) / u[1])
    t = max(min(ts), 0.0) if ts else 0.0
    return (e[0] + t * u[0], e[1] + t * u[1])


def _box_around(content: tuple[float, float, float, float], label: Text) -> tuple[float, float, float, float]:
    """The bubble's border: the content padded, with a strip on top for the name."""
    x0, y0, x1, y1 = content
    (lx0, ly0), (lx1, ly1) = label.extent()
    # The strip is mirrored below so that the content's middle (where a row's
    # wires leave) is the box's middle, which the outer row lines up.
    x0, x1 = x0 - BUBBLE_PAD, x1 + BUBBLE_PAD
    y0, y1 = y0 - BUBBLE_PAD - (ly1 - ly0), y1 + BUBBLE_PAD + (ly1 - ly0)
    x1 = max(x1, x0 + (lx1 - lx0) + 2 * BUBBLE_PAD)
    return (x0, y0, x1, y1)


def _label_room(box, label: Text, ports: list[Point]) -> tuple[float, float, float, float]:
    """Widen the box to the left until no port on its top runs through the name."""
    x0, y0, x1, y1 = box
    (lx0, _), (lx1, _) = label.extent()
    need = (lx1 - lx0) + 2 * BUBBLE_PAD * 0.75
    top = [p[0] for p in ports if abs(p[1] - y1) < 1e-6]
    if top and min(top) < x0 + need:
        x0 = min(top) - need
    return (x0, y0, x1, y1)


def _bubble_label(node: BubbleNode) -> Text:
    plain, tex = node_label(node)
    return Text(f"label-{node.title}", (0.0, 0.0), plain, tex, ha="left", va="top", size=LABEL_SIZE)


def _bubble_art(node: BubbleNode, mirror: bool, arts: _Arts, sides: Sides) -> _Art:
    """Draw the inside, then the border around it.

    One term (of a nonlinearity) is drawn as a diagram whose open legs run on
    to the border, where the outer wires take them up: the picture of "first
    contract everything inside, then apply the function".  Several terms, or a
    parenthesised sum (fn="sum"), are drawn side by side with their signs and
    leg names, and the ports sit on the side of the border their legs point to.
    `sides` asks for ports on given sides (toward what they are wired to
    outside); a sum honours it, and a function of a sum passes it on.
    """
    label = _bubble_label(node)
    inside = node.inside
    single = inside.single if node.fn != "sum" else None
    if node.fn != "sum" and single is None and inside.terms:
        single = _sum_box(inside)
    if single is not None:
        texts = _coeff_texts(single.scalar, first=True)
        sc, lay = _diagram_scene(single, arts, mirror, names=False, leg_sides=sides)
        front, (off,) = _with_front([(texts, sc, None)])
        body = front
        ends = [(lay.free_ends[k][0] + off[0], lay.free_ends[k][1] + off[1]) for k in range(len(single.free))]
        dirs = [lay.free_dirs[k] for k in range(len(single.free))]
        box = _box_around(body.bbox(), label)
        box = _label_room(box, label, [_exit(box, e, u) for e, u in zip(ends, dirs)])
        ports = [_exit(box, e, u) for e, u in zip(ends, dirs)]
        sc, _ = _diagram_scene(single, arts, mirror, names=False, leg_sides=sides,
                               leg_ends={k: (p[0] - off[0], p[1] - off[1]) for k, p in enumerate(ports)})
        # Same place as the first drawing: its longer legs must not move it.
        body = Scene(texts=front.texts[:len(texts)]) + sc.moved(*off)
    else:
        body, firsts = _terms_scene(list(inside.terms), arts, mirror)
        box = _box_around(body.bbox(), label)
        ports, dirs = _side_ports(box, firsts, len(inside.free), sides)
    x0, y0, x1, y1 = box
    c = ((x0 + x1) / 2, (y0 + y1) / 2)
    border = Shape(shape_gid(node), "box", c, "bubble", width=x1 - x0, height=y1 - y0)
    name = replace(label, at=(x0 + BUBBLE_PAD * 0.75, y1 - BUBBLE_PAD * 0.4))
    sc = Scene(shapes=(border,)) + body + Scene(texts=(name,))
    return _Art(sc.moved(-c[0], -c[1]), ((x1 - x0) / 2, (y1 - y0) / 2),
                tuple((p[0] - c[0], p[1] - c[1]) for p in ports), tuple(dirs))


def _sum_box(inside: Sum) -> Diagram:
    """A function of a sum drawn as the function's box around a Σ box: the
    sum is one node whose legs run on to the outer border, as a single
    term's do, instead of leg names left dangling beside the terms."""
    d = Diagram()
    v = d.add_node(BubbleNode("sum", inside))
    for k, (name, size) in enumerate(zip(inside.free, inside.sizes)):
        d.connect((v, k), d.add_free(name, size))
    return d


PORT_GAP = 0.4  # least distance between two ports on one side of a bubble


def _spread(wants: list[float], lo: float, hi: float) -> list[float]:
    """Positions along a side, each as near its wish as the others allow:
    at least PORT_GAP apart (less when the side is too short), within
    [lo, hi], in the given order."""
    n = len(wants)
    gap = min(PORT_GAP, (hi - lo) / (n + 1))
    lo, hi = lo + gap, hi - gap
    out: list[float] = []
    for w in wants:
        out.append(max(min(w, hi), lo, out[-1] + gap if out else lo))
    for j in range(n - 1, -1, -1):  # pushed past the end: pull back
        out[j] = min(out[j], hi - gap * (n - 1 - j))
    return out


def _side_ports(box, first: Layout | None, n: int, want: Sides | None = None) -> tuple[list[Point], list[Point]]:
    """Ports of a bubble holding a sum: each on the side its leg points to in
    the first term, where that leg ends (so the wire inside and the one
    outside meet without crossing the terms), nudged apart from its
    neighbours; without a layout, spread evenly in the order of the legs.
    `want` overrides the side of a port."""
    x0, y0, x1, y1 = box
    sides: dict[str, list[int]] = {"left": [], "right": [], "top": [], "bottom": []}
    for k in range(n):
        u = first.free_dirs.get(k, (-1.0, 0.0)) if first else (-1.0 if k == 0 else 1.0, 0.0)
        if want and k in want:
            sides[want[k]].append(k)
        elif abs(u[0]) >= abs(u[1]):
            sides["left" if u[0] < 0 else "right"].append(k)
        else:
            sides["top" if u[1] > 0 else "bottom"].append(k)
    ports: list[Point] = [(0.0, 0.0)] * n
    dirs: list[Point] = [(0.0, 0.0)] * n
    for side, ks in sides.items():
        vertical = side in ("left", "right")
        lo, hi = (y0, y1) if vertical else (x0, x1)
        if first is not None and all(k in first.free_ends for k in ks):
            along = (lambda k: first.free_ends[k][1]) if vertical else (lambda k: first.free_ends[k][0])
            ks = sorted(ks, key=lambda k: (along(k), k))
            at = _spread([along(k) for k in ks], lo, hi)
        else:
            at = [lo + (j + 1) / (len(ks) + 1) * (hi - lo) for j in range(len(ks))]
            if vertical:
                at = at[::-1]  # the first leg on top
        for k, a in zip(ks, at):
            if side == "left":
                ports[k], dirs[k] = (x0, a), (-1.0, 0.0)
            elif side == "right":
                ports[k], dirs[k] = (x1, a), (1.0, 0.0)
            elif side == "top":
                ports[k], dirs[k] = (a, y1), (0.0, 1.0)
            else:
                ports[k], dirs[k] = (a, y0), (0.0, -1.0)
    return ports, dirs


def _orient(d: Diagram, v: int, c: Point, lay: Layout, arts: _Arts, mirror: bool = False,
            sides: Sides | None = None) -> _Art:
    """The bubble's picture, turned the way that makes its ports face what
    they are wired to (then be near it); on a tie, the way of the picture
    around it (`mirror`), so that a mirrored bubble mirrors what it holds."""
    node = d.nodes[v]

    def score(art: _Art) -> float:
        s = 0.0
        for k, (p, u) in enumerate(zip(art.ports, art.dirs)):
            w, i = d.link[(v, k)]
            if w in (BOUNDARY, v):  # an open leg follows its port wherever it is
                continue
            t = lay.nodes[w]
            gap = (t[0] - c[0] - p[0], t[1] - c[1] - p[1])
            to = _norm(gap)
            if to is not None:  # facing the other end, then near it
                s += u[0] * to[0] + u[1] * to[1] - 0.1 * math.hypot(*gap)
        return s

    plain = arts(node, mirror, sides)
    if not plain.ports:
        return plain
    flipped = arts(node, not mirror, sides)
    return flipped if score(flipped) > score(plain) + 1e-9 else plain


def anonymous(name: str) -> bool:
    """Whether an open leg's name was made up by the tool (`#0`, `#1`, for
    the legs of `kron(eye(5), eye(3))`): such names mean nothing to the reader,
    so the picture leaves those legs unnamed; their order is their position."""
    return name.startswith("#")


def _leg_id(name: str) -> str:
    """A leg's name as it may appear in an element id (`#` is not allowed there)."""
    return "anon" + name[1:] if anonymous(name) else name


@dataclass
class _Drawing:
    """What the pieces of one diagram's picture share: the layout, the placed
    bubbles, where the open legs end and which way every port leaves its node
    (collected while the wires are drawn, read when the shapes are turned)."""

    d: Diagram
    lay: Layout
    bubbles: dict[int, _Art]
    ends: dict[int, Point]
    fdirs: dict[int, Point]
    widths: bool
    dirs: dict[int, dict[int, Point]] = field(default_factory=dict)

    def at(self, p: tuple[int, int]) -> Point:
        """Where a wire meets port p: a node's centre or a bubble's border."""
        v, i = p
        if v in self.bubbles:
            c, q = self.lay.nodes[v], self.bubbles[v].ports[i]
            return (c[0] + q[0], c[1] + q[1])
        return self.lay.nodes[v]

    def width(self, p: tuple[int, int]) -> float:
        if self.widths:
            return leg_width(self.d.port_size(p), self.widths)
        for v, i in (p, self.d.link[p]):
            node = self.d.nodes.get(v)
            if isinstance(node, TensorNode) and node.decl.builtin == "fuse" and i >= node.split:
                return 2 * BASE_WIDTH  # the fused (thick) side of a merge point
        return BASE_WIDTH

    def depart(self, v: int, i: int, towards: Point) -> None:
        c = self.lay.nodes[v]
        u = _norm((towards[0] - c[0], towards[1] - c[1]))
        if u is not None:
            self.dirs.setdefault(v, {})[i] = u


def _room(d: Diagram, arts: _Arts) -> tuple[dict[int, _Art], dict[int, Point]]:
    """The bubbles' pictures and the half sizes of every node bigger than an
    ordinary shape (bubbles, and shapes widened by long labels)."""
    bubbles = {v: arts(n, False) for v, n in d.nodes.items() if isinstance(n, BubbleNode)}
    room = {v: a.half for v, a in bubbles.items()}
    for v, n in d.nodes.items():
        if v not in room and not isinstance(n, DeltaNode):
            half = node_half(n)
            if half is not None and half[0] > LAYOUT_HALF:
                room[v] = half
    return bubbles, room


def _open_wires(dr: _Drawing) -> list[Wire]:
    """Bare lines (open leg to open leg) and open legs."""
    d, out = dr.d, []
    for p, q in sorted(d.wires()):
        (u, i), (w, j) = p, q
        if u == BOUNDARY and w == BOUNDARY:
            out.append(Wire(f"wire-{_leg_id(d.free[i])}-{_leg_id(d.free[j])}", (dr.ends[i], dr.ends[j]),
                            dr.width(p), (f"free:{i}", f"free:{j}")))
        elif u == BOUNDARY or w == BOUNDARY:
            (k, (v, pi)) = (i, q) if u == BOUNDARY else (j, p)
            out.append(Wire(f"leg-{_leg_id(d.free[k])}", (dr.at((v, pi)), dr.ends[k]), dr.width(p),
                            (str(v), f"free:{k}")))
            dr.depart(v, pi, dr.ends[k])
    return out


def _loops(dr: _Drawing, u: int, ws: list) -> list[Wire]:
    """Wires from a node to itself: out of the bubble's ports and back, or a
    petal on the side of its row the arcs use."""
    out = []
    side = dr.lay.arc_side.get(u, 1)
    for n, (p, q) in enumerate(ws):
        if u in dr.bubbles:
            a, b = dr.at(p), dr.at(q)
            pu, qu = dr.bubbles[u].dirs[p[1]], dr.bubbles[u].dirs[q[1]]
            pts = (a, (a[0] + 1.1 * pu[0], a[1] + 1.1 * pu[1]), (b[0] + 1.1 * qu[0], b[1] + 1.1 * qu[1]), b)
            out.append(Wire("loop", pts, dr.width(p), (str(u), str(u))))
            continue
        a = dr.lay.nodes[u]
        axis = _rot((0.0, float(side)), math.radians(50) * n)
        c1 = (a[0] + 1.1 * _rot(axis, 0.6)[0], a[1] + 1.1 * _rot(axis, 0.6)[1])
        c2 = (a[0] + 1.1 * _rot(axis, -0.6)[0], a[1] + 1.1 * _rot(axis, -0.6)[1])
        out.append(Wire("loop", (a, c1, c2, a), dr.width(p), (str(u), str(u))))
        dr.depart(u, p[1], c1)
        dr.depart(u, q[1], c2)
    return out


def _between(dr: _Drawing, u: int, w: int, ws: list) -> list[Wire]:
    """The wires between two nodes: an arc over the nodes between them in a
    row, parallel wires bowed apart, else a straight line."""
    lay, out, m = dr.lay, [], len(ws)
    far = _arc(lay, u, w)
    a0, b0 = lay.nodes[u], lay.nodes[w]
    normal = _norm((-(b0[1] - a0[1]), b0[0] - a0[0])) or (0.0, 1.0)
    big = u in dr.bubbles or w in dr.bubbles
    for n, (p, q) in enumerate(ws):
        start, end = (p, q) if p[0] == u else (q, p)
        a, b = dr.at(start), dr.at(end)
        offset = 0.32 * (n - (m - 1) / 2)
        if far:
            lift = arc_height(b0[0] - a0[0]) + arc_lift(lay.rows, lay.extents, u, w)
            pts = _curve(a, b, (0.0, lay.arc_side[u] * (lift + abs(offset))))
        elif m > 1 and abs(offset) > 1e-9 and not big:
            pts = _curve(a, b, (normal[0] * offset, normal[1] * offset))
        else:
            pts = (a, b)
        out.append(Wire("wire", pts, dr.width(p), (str(u), str(w))))
        dr.depart(u, start[1], pts[1])
        dr.depart(w, end[1], pts[-2])
    return out


def _inner_wires(dr: _Drawing) -> list[Wire]:
    pairs: dict[tuple[int, int], list[tuple[tuple[int, int], tuple[int, int]]]] = {}
    for p, q in sorted(dr.d.wires()):
        if p[0] != BOUNDARY and q[0] != BOUNDARY:
            pairs.setdefault((min(p[0], q[0]), max(p[0], q[0])), []).append((p, q))
    out: list[Wire] = []
    for (u, w), ws in pairs.items():
        out += _loops(dr, u, ws) if u == w else _between(dr, u, w, ws)
    return out


def _nodes_scene(dr: _Drawing) -> Scene:
    """Shapes (turned by the directions their wires leave in) and labels;
    bubbles bring their own picture, owned by the bubble."""
    out = Scene()
    shapes: list[Shape] = []
    texts: list[Text] = []
    for v in sorted(dr.d.nodes):
        node, c = dr.d.nodes[v], dr.lay.nodes[v]
        if v in dr.bubbles:
            out = out + dr.bubbles[v].scene.owned(f"{v}/").moved(*c)
            continue
        shape = _shape(node, shape_gid(node), c, dr.dirs.get(v, {}), in_row=v in dr.lay.rows)
        shapes.append(replace(shape, node=str(v)))
        plain, tex = node_label(node)
        if plain:
            texts.append(Text(f"label-{node.title}", label_at(shape), plain, tex, size=label_size(plain),
                              node=str(v)))
    return out + Scene(shapes=tuple(shapes), texts=tuple(texts))


def _leg_names(dr: _Drawing) -> tuple[Text, ...]:
    """Each named open leg's name just beyond its end, on the side it points to."""
    texts = []
    for k, name in enumerate(dr.d.free):
        if k not in dr.ends or anonymous(name):
            continue
        (x, y), (ux, uy) = dr.ends[k], dr.fdirs[k]
        ha = "right" if ux < -0.35 else "left" if ux > 0.35 else "center"
        va = "top" if uy < -0.35 else "bottom" if uy > 0.35 else "center"
        texts.append(Text(f"name-{name}", (x + 0.1 * ux, y + 0.1 * uy), name, _tex_name(name),
                          ha=ha, va=va, size=FONT_SIZE * 0.9, node=f"free:{k}"))
    return tuple(texts)


def _side_toward(u: Point) -> str:
    if abs(u[0]) >= abs(u[1]):
        return "left" if u[0] < 0 else "right"
    return "top" if u[1] > 0 else "bottom"


def _arc(lay: Layout, u: int, w: int) -> bool:
    """Whether the wires between u and w are drawn as an arc over their row."""
    return (u in lay.rows and w in lay.rows and lay.rows[u][0] == lay.rows[w][0]
            and abs(lay.rows[u][1] - lay.rows[w][1]) > 1)


def _port_sides(d: Diagram, v: int, lay: Layout, legs: Sides) -> Sides:
    """The side of bubble v each port should leave: toward the node it is
    wired to, or (an open leg) the side asked of that leg from outside."""
    out: Sides = {}
    c = lay.nodes[v]
    for i in range(d.nodes[v].arity):
        w, j = d.link[(v, i)]
        if w == BOUNDARY:
            if j in legs:
                out[i] = legs[j]
        elif w != v and _arc(lay, v, w):  # an arc over the row leaves on the row's arc side
            out[i] = "top" if lay.arc_side.get(v, 1) > 0 else "bottom"
        elif w != v:
            t = lay.nodes[w]
            if math.dist(t, c) > 1e-9:
                out[i] = _side_toward((t[0] - c[0], t[1] - c[1]))
    return out


def _diagram_scene(d: Diagram, arts: _Arts, mirror: bool = False, names: bool = True,
                   leg_ends: dict[int, Point] | None = None, leg_sides: Sides | None = None,
                   previous: Layout | None = None, prefer: Prefer | None = None) -> tuple[Scene, Layout]:
    """One diagram's picture, with its layout.  `leg_ends` moves the open ends
    of legs (to a bubble's border, for the diagram inside it); `names=False`
    leaves the legs unnamed, as they are inside a bubble.  Wires are drawn
    before shapes because a triangle turns toward the wires at its tip."""
    bubbles, room = _room(d, arts)
    lay = layout(d, room, prefer)
    if previous is not None:
        lay = follow(d, lay, previous, room)
    if mirror:
        lay = _mirror(lay)
    bubbles = {v: _orient(d, v, lay.nodes[v], lay, arts, mirror, _port_sides(d, v, lay, leg_sides or {}))
               for v in bubbles}
    dr = _Drawing(d, lay, bubbles, dict(lay.free_ends), dict(lay.free_dirs), arts.widths)
    for p, q in d.link.items():  # open legs of bubbles leave along their port's direction
        if p[0] in bubbles and q[0] == BOUNDARY:
            a, u = dr.at(p), bubbles[p[0]].dirs[p[1]]
            dr.ends[q[1]], dr.fdirs[q[1]] = (a[0] + LEG * u[0], a[1] + LEG * u[1]), u
    dr.ends.update(leg_ends or {})
    wires = _open_wires(dr) + _inner_wires(dr)
    out = Scene(tuple(wires)) + _nodes_scene(dr)
    drawn = replace(lay, free_ends=dict(dr.ends), free_dirs=dict(dr.fdirs))  # where the legs really end
    return out + Scene(texts=_leg_names(dr) if names else ()), drawn


def _signed(c: Any) -> tuple[bool, Any]:
    c = sympy.sympify(c)
    if c.could_extract_minus_sign():
        return True, -c
    return False, c


Part = tuple[list[Text], Scene, "float | None"]  # texts, a drawing, the height its legs leave at


def _with_front(parts: list[Part]) -> tuple[Scene, list[Point]]:
    """Lay pieces left to right, each a run of texts followed by a drawing,
    the drawing's leg height (else its middle) on the texts' line; also
    return how far each drawing was moved."""
    out = Scene()
    cursor = 0.0
    offsets: list[Point] = []
    for texts, sc, anchor in parts:
        for t in texts:
            w = t.extent()
            width = w[1][0] - w[0][0]
            out = out + Scene(texts=(replace(t, at=(cursor, 0.0), ha="left"),))
            cursor += width + 0.25
        if sc.wires or sc.shapes or sc.texts:
            x0, y0, x1, y1 = sc.bbox()
            offsets.append((cursor - x0, -(y0 + y1) / 2 if anchor is None else -anchor))
            out = out + sc.moved(*offsets[-1])
            cursor += (x1 - x0) + 0.35
        else:
            offsets.append((0.0, 0.0))
    return out, offsets


def _coeff_texts(c: Any, first: bool) -> list[Text]:
    neg, mag = _signed(c)
    texts = []
    if neg:
        texts.append(Text("sign", (0, 0), "−", "-", size=FONT_SIZE * 1.3))
    elif not first:
        texts.append(Text("sign", (0, 0), "+", "+", size=FONT_SIZE * 1.3))
    if mag != 1:
        plain, tex = _coeff_text(mag)
        texts.append(Text("scalar", (0, 0), plain, tex, size=FONT_SIZE * 1.2))
    return texts


def _moved_layout(lay: Layout, off: Point) -> Layout:
    """The layout moved by `off` (as its drawing was)."""
    def mv(p: Point) -> Point:
        return (p[0] + off[0], p[1] + off[1])

    return replace(lay, nodes={v: mv(p) for v, p in lay.nodes.items()},
                   free_ends={k: mv(p) for k, p in lay.free_ends.items()})


def _leg_height(lay: Layout) -> float | None:
    """The mean height of the open legs that leave sideways: the line a sum's
    terms are put on, so that their legs (and the signs between) align."""
    ys = [lay.free_ends[k][1] for k, u in lay.free_dirs.items() if abs(u[0]) > 0.7 and k in lay.free_ends]
    return sum(ys) / len(ys) if ys else None


def _agreement(lay: Layout, names: tuple[str, ...], first: Layout) -> float:
    """How well a term's open legs point the way the same legs of the first
    term do (matched by name): the sum of the cosines."""
    where = {name: k for k, name in enumerate(first.leg_names)}
    s = 0.0
    for k, name in enumerate(names):
        j = where.get(name)
        if j is not None and k in lay.free_dirs and j in first.free_dirs:
            u, v = lay.free_dirs[k], first.free_dirs[j]
            s += u[0] * v[0] + u[1] * v[1]
    return s


def _mirrored_dirs(lay: Layout) -> Layout:
    return replace(lay, free_dirs={k: (-x, y) for k, (x, y) in lay.free_dirs.items()})


def _terms_scene(terms: list[Diagram], arts: _Arts, mirror: bool = False,
                 wrap: bool = False, follow: "Strip | None" = None) -> tuple[Scene, Layout | None]:
    """Terms side by side with their signs and coefficients (in several rows
    when `wrap` and there are many); also the first term's layout (where its
    legs point).  A term whose open legs point the other way from the first
    term's is drawn mirrored, and every term's sideways legs are put at one
    height, so that a leg leaves on the same side at the same height in
    every term."""
    if not terms:
        return Scene(texts=(Text("zero", (0.0, 0.0), "0", "0", size=FONT_SIZE * 1.3),)), None
    parts = []
    first = None
    for n, d in enumerate(terms):
        texts = _coeff_texts(d.scalar, first=n == 0)
        prev = None
        if follow is not None and follow.last:  # one picture followed by several terms: each follows it
            prev = follow.last[n] if n < len(follow.last) else follow.last[0] if len(follow.last) == 1 else None
        want = None if first is None else {first.leg_names[k]: u for k, u in first.free_dirs.items()}
        sc, lay = _diagram_scene(d, arts, mirror, previous=prev, prefer=want if prev is None else None)
        if first is not None and prev is None and \
                _agreement(_mirrored_dirs(lay), d.free, first) > _agreement(lay, d.free, first) + 1e-9:
            sc, lay = _diagram_scene(d, arts, not mirror, prefer=want)
        if follow is not None:
            follow.laid.append(lay)
        if len(terms) > 1:
            sc = sc.owned(f"t{n}/")
        first = first or lay
        if not (sc.wires or sc.shapes) and not texts:
            texts = [Text("scalar", (0, 0), "1", "1", size=FONT_SIZE * 1.2)]
        parts.append((texts, sc, _leg_height(lay)))
    if not wrap:
        body, offsets = _with_front(parts)
        return body, _moved_layout(first, offsets[0]) if first is not None else None
    return _wrapped(parts), first


ROW_TERMS = 3  # at most this many terms of a sum in one row of the picture
ROW_WIDTH = 22.0  # a row of terms is broken before it grows wider than this
ROW_GAP = 0.6  # vertical room between two rows of terms


def _wrapped(parts: list[Part]) -> Scene:
    """Terms in rows, like a long formula broken over lines: each row starts
    with its first term's sign, rows are left-aligned and stacked downwards.
    A long sum (the paths of an expansion) in one row would be too wide to
    read at any size."""
    rows: list[list[tuple[list[Text], Scene]]] = [[]]
    width = 0.0
    for part in parts:
        x0, _, x1, _ = _with_front([part])[0].bbox()
        w = x1 - x0
        if rows[-1] and (len(rows[-1]) >= ROW_TERMS or width + w > ROW_WIDTH):
            rows.append([])
            width = 0.0
        rows[-1].append(part)
        width += w + 0.35
    out = Scene()
    top = None
    for row in rows:
        sc = _with_front(row)[0]
        x0, y0, x1, y1 = sc.bbox()
        dy = 0.0 if top is None else top - ROW_GAP - y1
        out = out + sc.moved(-x0, dy)
        top = y0 + dy
    return out


def _unique(sc: Scene) -> Scene:
    """Give every element its own id: the first use of a name keeps it, later
    ones get -2, -3, in drawing order (wires, shapes, texts)."""
    gids = _Gids()
    return Scene(tuple(replace(w, gid=gids(w.gid)) for w in sc.wires),
                 tuple(replace(s, gid=gids(s.gid)) for s in sc.shapes),
                 tuple(replace(t, gid=gids(t.gid)) for t in sc.texts))


def scene(x: Union[Diagram, Sum], widths: bool = False, strip: "Strip | None" = None) -> Scene:
    """The primitives of a picture of a diagram, or of a sum side by side;
    with a `strip`, as the next picture of a rewrite (see `Strip`)."""
    terms = [x] if isinstance(x, Diagram) else list(x.terms)
    if strip is not None:
        strip.laid = []
    sc = _unique(_terms_scene(terms, _Arts(widths), wrap=True, follow=strip)[0])
    if strip is not None:
        strip.last = strip.laid
    return sc


class Strip:
    """Successive pictures of one rewrite (a proof page's steps, the REPL's
    `:draw` after each step): each picture keeps the places of the nodes that
    survive from the one before (see `layout.follow`), so that the reader
    sees what a step removed or put in instead of a new layout.  Term k of a
    sum follows term k of the previous picture."""

    def __init__(self) -> None:
        self.last: list[Layout] = []
        self.laid: list[Layout] = []

    @classmethod
    def after(cls, base: Union[Diagram, Sum, None]) -> "Strip | None":
        """A strip whose next picture follows `base` (a derivative drawn where
        the differentiated expression was: the hole keeps its place); None
        without a base."""
        if base is None:
            return None
        strip = cls()
        scene(base, strip=strip)
        return strip


# ---------------------------------------------------------------- matplotlib


def _matplotlib():
    try:
        import matplotlib
    except ImportError as e:  # pragma: no cover - depends on the installation
        raise ImportError(_MISSING_MPL) from e
    return matplotlib


_RC = {
    "svg.hashsalt": "penrose-rewrite",
    "svg.id": None,
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "text.usetex": False,
    "path.simplify": False,
}


def _figure(sc: Scene, margin: float = 0.25):
    """A matplotlib Figure (no pyplot, so no global backend state) with the scene."""
    _matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Circle, Ellipse, FancyBboxPatch, PathPatch, Polygon
    from matplotlib.path import Path

    x0, y0, x1, y1 = sc.bbox()
    x0, y0, x1, y1 = x0 - margin, y0 - margin, x1 + margin, y1 + margin
    fig = Figure(figsize=(max(x1 - x0, 0.5) * UNIT_INCH, max(y1 - y0, 0.5) * UNIT_INCH))
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal", adjustable="box")
    for w in sc.wires:
        codes = [Path.MOVETO, Path.LINETO] if len(w.points) == 2 else [Path.MOVETO] + [Path.CURVE4] * 3
        patch = PathPatch(Path(w.points, codes), fill=False, lw=w.width, ec="black",
                          capstyle="round", zorder=1)
        patch.set_gid(w.gid)
        ax.add_patch(patch)
    for s in sc.shapes:
        fill = COLOURS[s.fill][0]
        # A bubble's box lies under the wires it holds; nested boxes stack in list order.
        style = dict(fc=fill, ec="black", lw=1.2, zorder=0.5 if s.form == "box" else 2)
        if s.form == "circle":
            patch = Circle(s.centre, s.radius, **style)
        elif s.form == "ellipse":
            patch = Ellipse(s.centre, s.width, s.height, **style)
        elif s.form == "dot":
            patch = Circle(s.centre, s.radius, **style)
        elif s.form == "box":
            patch = FancyBboxPatch((s.centre[0] - s.width / 2, s.centre[1] - s.height / 2),
                                   s.width, s.height, boxstyle="round,pad=0,rounding_size=0.16", **style)
        else:
            patch = Polygon(s.vertices, closed=True, joinstyle="round", **style)
        patch.set_gid(s.gid)
        ax.add_patch(patch)
    for t in sc.texts:
        va = {"center": "center_baseline"}.get(t.va, t.va)
        ax.text(t.at[0], t.at[1], t.text, ha=t.ha, va=va, fontsize=t.size, zorder=3,
                gid=t.gid, parse_math=False)
    return fig


def _save(sc: Scene, target, fmt: str, dpi: float) -> None:
    matplotlib = _matplotlib()
    with matplotlib.rc_context(_RC):
        fig = _figure(sc)
        metadata = ({"Date": None, "Creator": "penrose-rewrite"} if fmt == "svg"
                    else {"Software": "penrose-rewrite"})
        fig.savefig(target, format=fmt, dpi=dpi, metadata=metadata)


def to_svg(x: Union[Diagram, Sum], widths: bool = False, strip: Strip | None = None) -> str:
    """The picture as SVG text; the same input always gives the same bytes."""
    buf = io.StringIO()
    _save(scene(x, widths, strip), buf, "svg", 72)
    return buf.getvalue()


def png_bytes(x: Union[Diagram, Sum], widths: bool = False, dpi: float = 150,
              strip: Strip | None = None) -> bytes:
    """The picture as PNG bytes."""
    buf = io.BytesIO()
    _save(scene(x, widths, strip), buf, "png", dpi)
    return buf.getvalue()


def to_png(x: Union[Diagram, Sum], path: str, widths: bool = False, dpi: float = 150,
           strip: Strip | None = None) -> None:
    """Write the picture to `path` as PNG."""
    from ..core.files import write_bytes

    write_bytes(path, png_bytes(x, widths, dpi, strip))


# --------------------------------------------------------------------- TikZ


def _pt(p: Point) -> str:
    return f"({p[0]:.3f},{p[1]:.3f})"


def to_tikz(x: Union[Diagram, Sum], standalone: bool = False, widths: bool = False,
            strip: Strip | None = None) -> str:
    """TikZ code for the picture: a `tikzpicture` to paste into a document, or
    (standalone=True) a whole LaTeX file that compiles on its own."""
    sc = scene(x, widths, strip)
    lines = ["\\begin{tikzpicture}[x=1cm,y=1cm,line cap=round,line join=round]"]

    def shape_line(s: Shape) -> str:
        fill = COLOURS[s.fill][1]
        if s.form in ("circle", "dot"):
            body = f"{_pt(s.centre)} circle ({s.radius:.3f})"
        elif s.form == "ellipse":
            body = f"{_pt(s.centre)} ellipse ({s.width / 2:.3f} and {s.height / 2:.3f})"
        elif s.form == "box":
            a = (s.centre[0] - s.width / 2, s.centre[1] - s.height / 2)
            b = (s.centre[0] + s.width / 2, s.centre[1] + s.height / 2)
            body = f"[rounded corners=4pt] {_pt(a)} rectangle {_pt(b)}"
        else:
            body = " -- ".join(_pt(p) for p in s.vertices) + " -- cycle"
        return f"  \\filldraw[fill={fill}, draw=black] {body}; % {s.gid}"

    # Bubbles first (outer before inner), under the wires they hold.
    lines += [shape_line(s) for s in sc.shapes if s.form == "box"]
    for w in sc.wires:
        if len(w.points) == 2:
            path = f"{_pt(w.points[0])} -- {_pt(w.points[1])}"
        else:
            p0, c1, c2, p3 = w.points
            path = f"{_pt(p0)} .. controls {_pt(c1)} and {_pt(c2)} .. {_pt(p3)}"
        lines.append(f"  \\draw[line width={w.width:.2f}pt] {path}; % {w.gid}")
    lines += [shape_line(s) for s in sc.shapes if s.form != "box"]
    anchors = {("left", "center"): "west", ("right", "center"): "east", ("center", "bottom"): "south",
               ("center", "top"): "north", ("left", "bottom"): "south west",
               ("right", "bottom"): "south east", ("left", "top"): "north west",
               ("right", "top"): "north east", ("center", "center"): "center"}
    for t in sc.texts:
        anchor = anchors[(t.ha, t.va)]
        lines.append(f"  \\node[anchor={anchor}, inner sep=1pt] at {_pt(t.at)} {{${t.tex}$}}; % {t.gid}")
    lines.append("\\end{tikzpicture}")
    body = "\n".join(lines) + "\n"
    if not standalone:
        return body
    return ("\\documentclass[tikz,border=4pt]{standalone}\n"
            "\\usepackage{amsmath}\n"
            "\\begin{document}\n" + body + "\\end{document}\n")


# -------------------------------------------------------------------- files


DRAW_FORMATS = (".svg", ".png", ".tex")


def check_target(path: str) -> None:
    """Refuse, before drawing, a file name whose extension we do not draw or
    a place that can never be written (`core.files.check_writable`)."""
    from ..core.files import FileError, check_writable

    check_writable(path)
    if os.path.splitext(path)[1].lower() not in DRAW_FORMATS:
        raise FileError(f"cannot draw to {path!r}: use a .svg, .png or .tex file name", path)


def draw(x: Union[Diagram, Sum], path: str, widths: bool = False, strip: Strip | None = None) -> None:
    """Write a picture, the format chosen by the extension: .svg, .png or .tex;
    with a `strip`, as the next picture of a rewrite (see `Strip`).

    The picture is made in memory and written in one go, so a path that cannot
    be written raises `core.files.FileError` (an input error naming the path).
    """
    from ..core.files import write_bytes, write_text

    check_target(path)
    ext = os.path.splitext(path)[1].lower()
    if ext == ".svg":
        write_text(path, to_svg(x, widths=widths, strip=strip))
    elif ext == ".png":
        write_bytes(path, png_bytes(x, widths=widths, strip=strip))
    else:
        write_text(path, to_tikz(x, standalone=True, widths=widths, strip=strip))


# ------------------------------------------------------------ notebook display


def _index_terms(d: Diagram, tex: bool) -> str:
    """Index notation for one diagram, for when the project's printer is absent:
    open legs keep their names, every inner wire gets a fresh letter."""
    taken = set(d.free)
    pool = (c for c in "abcdefghjklmnopqrstuvwxyz" + "".join(f"x{n}" for n in range(1000))
            if c not in taken)
    names: dict[tuple[int, int], str] = {}
    for p, q in sorted(d.wires()):
        if p[0] == BOUNDARY or q[0] == BOUNDARY:
            k = p[1] if p[0] == BOUNDARY else q[1]
            names[p] = names[q] = d.free[k]
        else:
            names[p] = names[q] = next(pool)
    atoms = []
    for v in sorted(d.nodes):
        node = d.nodes[v]
        idx = [names[(v, i)] for i in range(node.arity)]
        if isinstance(node, BubbleNode):
            arg = ", ".join(_sum_text(Sum(tuple(t.renamed(idx) for t in a.terms), tuple(idx),
                                          a.sizes), tex) for a in node.arguments)
            fn = ("\\mathrm{" + _tex_name(node.fn) + "}") if tex else node.fn
            if node.fn == "sum":
                fn = ""
            atom = f"{fn}\\left({arg}\\right)" if tex else f"{fn}({arg})"
            if node.conj:
                atom = f"{atom}^{{*}}" if tex else f"conj({atom})"
        elif tex:
            label = "\\delta" if isinstance(node, DeltaNode) else node_label(node)[1]
            atom = label + "_{" + " ".join(_tex_name(n) for n in idx) + "}"
        else:
            atom = f"{node.title}[{', '.join(idx)}]"
        atoms.append(atom)
    for p, q in sorted(d.wires()):
        if p[0] == BOUNDARY and q[0] == BOUNDARY:
            a, b = d.free[p[1]], d.free[q[1]]
            atoms.append(f"\\delta_{{{_tex_name(a)} {_tex_name(b)}}}" if tex else f"δ[{a}, {b}]")
    return (" \\, " if tex else " ").join(atoms)


def _sum_text(s: Sum, tex: bool) -> str:
    if not s.terms:
        return "0"
    out = []
    for n, d in enumerate(s.terms):
        neg, mag = _signed(d.scalar)
        body = _index_terms(d, tex)
        c = "" if mag == 1 else (sympy.latex(mag) if tex else _coeff_text(mag)[0])
        if c and body:
            c += " \\, " if tex else " "
        term = c + body or "1"
        if n == 0:
            out.append(("-" if neg else "") + term)
        else:
            out.append(("- " if neg else "+ ") + term)
    return " ".join(out)


def plain_text(x: Union[Diagram, Sum]) -> str:
    """The text a notebook shows: the project's printer when it is there."""
    try:
        return repr(x)
    except ImportError:
        kind = "Diagram" if isinstance(x, Diagram) else "Sum"
        return f"<{kind} {_sum_text(as_sum(x), tex=False)}>"


def repr_latex(x: Union[Diagram, Sum]) -> str:
    """Index notation as a formula, for Jupyter's `_repr_latex_`: tensors with
    their indices as subscripts and explicit sums over inner indices, as
    `rewrite export --to tex` writes it."""
    try:
        from .export import export
    except ImportError:
        export = None
    if export is not None:
        return "$" + export(x, "tex").strip() + "$"
    return f"${_sum_text(as_sum(x), tex=True)}$"


def repr_mimebundle(x: Union[Diagram, Sum], include=None, exclude=None) -> dict[str, str]:
    """The picture and the text, for Jupyter's `_repr_mimebundle_`.  Without
    matplotlib the picture is left out rather than failing the display."""
    bundle: dict[str, str] = {}
    wanted = lambda mime: (include is None or mime in include) and not (exclude and mime in exclude)  # noqa: E731
    if wanted("image/svg+xml"):
        try:
            bundle["image/svg+xml"] = to_svg(x)
        except ImportError:
            pass
    if wanted("text/plain"):
        bundle["text/plain"] = plain_text(x)
    return bundle
