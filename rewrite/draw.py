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
  (Σ for an unexpanded sum);
* conjugates carry a star (U*); the scalar is written in front.

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

from .diagram import BOUNDARY, BubbleNode, DeltaNode, Diagram, Sum, TensorNode
from .kinds import Kind
from .layout import LEG, Layout, Point, arc_height, layout

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
    """A node's outline.  `form` is one of circle, polygon, dot, box; polygons
    carry their vertices, circles and dots a radius, boxes a width and height."""

    gid: str
    form: str
    centre: Point
    fill: str
    radius: float = 0.0
    vertices: tuple[Point, ...] = ()
    width: float = 0.0
    height: float = 0.0

    def moved(self, dx: float, dy: float) -> "Shape":
        return replace(self, centre=(self.centre[0] + dx, self.centre[1] + dy),
                       vertices=tuple((x + dx, y + dy) for x, y in self.vertices))

    def extent(self) -> list[Point]:
        (x, y), r = self.centre, self.radius
        if self.form == "polygon":
            return list(self.vertices)
        if self.form == "box":
            return [(x - self.width / 2, y - self.height / 2), (x + self.width / 2, y + self.height / 2)]
        return [(x - r, y - r), (x + r, y + r)]


@dataclass(frozen=True)
class Wire:
    """A line (two points) or a cubic Bézier curve (four points)."""

    gid: str
    points: tuple[Point, ...]
    width: float

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
            plain, tex = node.title if not node.conj else node.title[5:-1], "\\mathrm{" + _tex_name(node.fn) + "}"
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


def _facing(node, dirs: dict[int, Point]) -> Point:
    """Where an arrow-declared node points: from its wide legs to its tip legs."""
    split = node.split
    tip = [dirs[i] for i in range(split, node.arity) if i in dirs]
    wide = [dirs[i] for i in range(split) if i in dirs]
    u = (0.0, 0.0)
    for v in tip:
        u = (u[0] + v[0] / len(tip), u[1] + v[1] / len(tip))
    for v in wide:
        u = (u[0] - v[0] / len(wide), u[1] - v[1] / len(wide))
    return _norm(u) or (1.0, 0.0)


def _shape(node, gid: str, c: Point, dirs: dict[int, Point]) -> Shape:
    if isinstance(node, DeltaNode):
        return Shape(gid, "dot", c, "ink", radius=0.09)
    if isinstance(node, BubbleNode):
        text = node_label(node)[0]
        return Shape(gid, "box", c, "bubble", width=max(0.75, CHAR_W * len(text) + 0.35), height=0.62)
    decl = node.decl
    if decl.builtin == "fuse":
        u = _facing(node, dirs)
        return Shape(gid, "polygon", c, "ink",
                     vertices=_polygon(c, [(-0.05, -0.28), (0.05, -0.28), (0.05, 0.28), (-0.05, 0.28)], u))
    if node.op == "diag" or decl.kind is Kind.DIAGONAL:
        return Shape(gid, "circle", c, "diagonal", radius=0.3)
    if decl.kind is Kind.ISOMETRY:
        r = 0.56
        corners = [(r, 0.0), (-r / 2, r * math.sqrt(3) / 2), (-r / 2, -r * math.sqrt(3) / 2)]
        return Shape(gid, "polygon", c, "isometry", vertices=_polygon(c, corners, _facing(node, dirs)))
    if decl.kind is Kind.UNITARY:
        h = 0.3
        return Shape(gid, "polygon", c, "isometry", vertices=_polygon(c, [(h, -h), (h, h), (-h, h), (-h, -h)], (1.0, 0.0)))
    if decl.kind is Kind.INVERTIBLE:
        h = 0.4
        return Shape(gid, "polygon", c, "invertible", vertices=_polygon(c, [(h, 0), (0, h), (-h, 0), (0, -h)], (1.0, 0.0)))
    return Shape(gid, "circle", c, "generic", radius=0.3)


def shape_gid(node) -> str:
    """`kind-form-title`: what a test or a stylesheet looks for."""
    if isinstance(node, DeltaNode):
        return "delta-dot"
    if isinstance(node, BubbleNode):
        return f"bubble-{node.title}" if node.fn != "sum" else "bubble-sum"
    decl = node.decl
    if decl.builtin == "fuse":
        return "fuse-bar"
    if node.op == "diag" or decl.kind is Kind.DIAGONAL:
        return f"diagonal-circle-{node.title}"
    form = {Kind.ISOMETRY: "triangle", Kind.UNITARY: "square",
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


def _diagram_scene(d: Diagram, lay: Layout, widths: bool, gids: _Gids) -> Scene:
    wires: list[Wire] = []
    dirs: dict[int, dict[int, Point]] = {v: {} for v in d.nodes}

    def width(p) -> float:
        if widths:
            return leg_width(d.port_size(p), widths)
        for v, i in (p, d.link[p]):
            node = d.nodes.get(v)
            if isinstance(node, TensorNode) and node.decl.builtin == "fuse" and i >= node.split:
                return 2 * BASE_WIDTH  # the fused (thick) side of a merge point
        return BASE_WIDTH

    def depart(v: int, i: int, towards: Point) -> None:
        c = lay.nodes[v]
        u = _norm((towards[0] - c[0], towards[1] - c[1]))
        if u is not None:
            dirs[v][i] = u

    pairs: dict[tuple[int, int], list[tuple[tuple[int, int], tuple[int, int]]]] = {}
    for p, q in sorted(d.wires()):
        (u, i), (w, j) = p, q
        if u == BOUNDARY and w == BOUNDARY:
            a, b = lay.free_ends[i], lay.free_ends[j]
            wires.append(Wire(gids(f"wire-{d.free[i]}-{d.free[j]}"), (a, b), width(p)))
        elif u == BOUNDARY or w == BOUNDARY:
            (k, (v, pi)) = (i, q) if u == BOUNDARY else (j, p)
            wires.append(Wire(gids(f"leg-{d.free[k]}"), (lay.nodes[v], lay.free_ends[k]), width(p)))
            depart(v, pi, lay.free_ends[k])
        else:
            pairs.setdefault((min(u, w), max(u, w)), []).append((p, q))

    for (u, w), ws in pairs.items():
        a, b = lay.nodes[u], lay.nodes[w]
        m = len(ws)
        if u == w:
            side = lay.arc_side.get(u, 1)
            for n, ((_, i), (_, j)) in enumerate(ws):
                axis = _rot((0.0, float(side)), math.radians(50) * n)
                c1 = (a[0] + 1.1 * _rot(axis, 0.6)[0], a[1] + 1.1 * _rot(axis, 0.6)[1])
                c2 = (a[0] + 1.1 * _rot(axis, -0.6)[0], a[1] + 1.1 * _rot(axis, -0.6)[1])
                wires.append(Wire(gids("loop"), (a, c1, c2, a), width((u, i))))
                depart(u, i, c1)
                depart(u, j, c2)
            continue
        same_row = u in lay.rows and w in lay.rows and lay.rows[u][0] == lay.rows[w][0]
        far = same_row and abs(lay.rows[u][1] - lay.rows[w][1]) > 1
        normal = _norm((-(b[1] - a[1]), b[0] - a[0])) or (0.0, 1.0)
        for n, (p, q) in enumerate(ws):
            offset = 0.32 * (n - (m - 1) / 2)
            if far:
                h = lay.arc_side[u] * (arc_height(b[0] - a[0]) + abs(offset))
                pts = _curve(a, b, (0.0, h))
            elif m > 1 and abs(offset) > 1e-9:
                pts = _curve(a, b, (normal[0] * offset, normal[1] * offset))
            else:
                pts = (a, b)
            wires.append(Wire(gids("wire"), pts, width(p)))
            start, end = (p, q) if p[0] == u else (q, p)
            depart(u, start[1], pts[1])
            depart(w, end[1], pts[-2])

    shapes: list[Shape] = []
    texts: list[Text] = []
    for v in sorted(d.nodes):
        node = d.nodes[v]
        c = lay.nodes[v]
        gid = gids(shape_gid(node))
        shape = _shape(node, gid, c, dirs[v])
        shapes.append(shape)
        plain, tex = node_label(node)
        if plain:
            at = c
            if shape.form == "polygon" and node.decl.kind is Kind.ISOMETRY:
                at = tuple(sum(p[k] for p in shape.vertices) / 3 for k in (0, 1))
            size = FONT_SIZE if len(plain) <= 1 else FONT_SIZE * 0.85 if len(plain) <= 3 else FONT_SIZE * 0.75
            texts.append(Text(gids(f"label-{node.title}"), at, plain, tex, size=size))

    for k, name in enumerate(d.free):
        if k not in lay.free_ends:
            continue
        (x, y), (ux, uy) = lay.free_ends[k], lay.free_dirs[k]
        ha = "right" if ux < -0.35 else "left" if ux > 0.35 else "center"
        va = "top" if uy < -0.35 else "bottom" if uy > 0.35 else "center"
        texts.append(Text(gids(f"name-{name}"), (x + 0.1 * ux, y + 0.1 * uy), name, _tex_name(name),
                          ha=ha, va=va, size=FONT_SIZE * 0.9))
    return Scene(tuple(wires), tuple(shapes), tuple(texts))


def _signed(c: Any) -> tuple[bool, Any]:
    c = sympy.sympify(c)
    if c.could_extract_minus_sign():
        return True, -c
    return False, c


def _with_front(parts: list[tuple[list[Text], Scene]], gids: _Gids) -> Scene:
    """Lay pieces left to right, each a run of texts followed by a drawing."""
    out = Scene()
    cursor = 0.0
    for texts, sc in parts:
        for t in texts:
            w = t.extent()
            width = w[1][0] - w[0][0]
            out = out + Scene(texts=(replace(t, at=(cursor, 0.0), ha="left"),))
            cursor += width + 0.25
        if sc.wires or sc.shapes or sc.texts:
            x0, y0, x1, y1 = sc.bbox()
            out = out + sc.moved(cursor - x0, -(y0 + y1) / 2)
            cursor += (x1 - x0) + 0.35
    return out


def _coeff_texts(c: Any, gids: _Gids, first: bool) -> list[Text]:
    neg, mag = _signed(c)
    texts = []
    if neg:
        texts.append(Text(gids("sign"), (0, 0), "−", "-", size=FONT_SIZE * 1.3))
    elif not first:
        texts.append(Text(gids("sign"), (0, 0), "+", "+", size=FONT_SIZE * 1.3))
    if mag != 1:
        plain, tex = _coeff_text(mag)
        texts.append(Text(gids("scalar"), (0, 0), plain, tex, size=FONT_SIZE * 1.2))
    return texts


def scene(x: Union[Diagram, Sum], widths: bool = False) -> Scene:
    """The primitives of a picture of a diagram, or of a sum side by side."""
    gids = _Gids()
    if isinstance(x, Diagram):
        terms = [x]
    else:
        terms = list(x.terms)
        if not terms:
            return Scene(texts=(Text("zero", (0.0, 0.0), "0", "0", size=FONT_SIZE * 1.3),))
    parts = []
    for n, d in enumerate(terms):
        texts = _coeff_texts(d.scalar, gids, first=n == 0)
        sc = _diagram_scene(d, layout(d), widths, gids)
        if not (sc.wires or sc.shapes) and not texts:
            texts = [Text(gids("scalar"), (0, 0), "1", "1", size=FONT_SIZE * 1.2)]
        parts.append((texts, sc))
    return _with_front(parts, gids)


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
    from matplotlib.patches import Circle, FancyBboxPatch, PathPatch, Polygon
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
        style = dict(fc=fill, ec="black", lw=1.2, zorder=2)
        if s.form == "circle":
            patch = Circle(s.centre, s.radius, **style)
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


def to_svg(x: Union[Diagram, Sum], widths: bool = False) -> str:
    """The picture as SVG text; the same input always gives the same bytes."""
    buf = io.StringIO()
    _save(scene(x, widths), buf, "svg", 72)
    return buf.getvalue()


def to_png(x: Union[Diagram, Sum], path: str, widths: bool = False, dpi: float = 150) -> None:
    """Write the picture to `path` as PNG."""
    _save(scene(x, widths), path, "png", dpi)


# --------------------------------------------------------------------- TikZ


def _pt(p: Point) -> str:
    return f"({p[0]:.3f},{p[1]:.3f})"


def to_tikz(x: Union[Diagram, Sum], standalone: bool = False, widths: bool = False) -> str:
    """TikZ code for the picture: a `tikzpicture` to paste into a document, or
    (standalone=True) a whole LaTeX file that compiles on its own."""
    sc = scene(x, widths)
    lines = ["\\begin{tikzpicture}[x=1cm,y=1cm,line cap=round,line join=round]"]
    for w in sc.wires:
        if len(w.points) == 2:
            path = f"{_pt(w.points[0])} -- {_pt(w.points[1])}"
        else:
            p0, c1, c2, p3 = w.points
            path = f"{_pt(p0)} .. controls {_pt(c1)} and {_pt(c2)} .. {_pt(p3)}"
        lines.append(f"  \\draw[line width={w.width:.2f}pt] {path}; % {w.gid}")
    for s in sc.shapes:
        fill = COLOURS[s.fill][1]
        if s.form in ("circle", "dot"):
            body = f"{_pt(s.centre)} circle ({s.radius:.3f})"
        elif s.form == "box":
            a = (s.centre[0] - s.width / 2, s.centre[1] - s.height / 2)
            b = (s.centre[0] + s.width / 2, s.centre[1] + s.height / 2)
            body = f"[rounded corners=4pt] {_pt(a)} rectangle {_pt(b)}"
        else:
            body = " -- ".join(_pt(p) for p in s.vertices) + " -- cycle"
        lines.append(f"  \\filldraw[fill={fill}, draw=black] {body}; % {s.gid}")
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


def draw(x: Union[Diagram, Sum], path: str, widths: bool = False) -> None:
    """Write a picture, the format chosen by the extension: .svg, .png or .tex."""
    ext = os.path.splitext(path)[1].lower()
    if ext == ".svg":
        with open(path, "w", encoding="utf-8") as f:
            f.write(to_svg(x, widths=widths))
    elif ext == ".png":
        to_png(x, path, widths=widths)
    elif ext == ".tex":
        with open(path, "w", encoding="utf-8") as f:
            f.write(to_tikz(x, standalone=True, widths=widths))
    else:
        raise ValueError(f"cannot draw to {path!r}: use a .svg, .png or .tex file name")


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
            inner = node.inside
            renamed = Sum(tuple(t.renamed(idx) for t in inner.terms), tuple(idx), inner.sizes)
            arg = _sum_text(renamed, tex)
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


def _as_sum(x: Union[Diagram, Sum]) -> Sum:
    return x if isinstance(x, Sum) else Sum.of(x)


def plain_text(x: Union[Diagram, Sum]) -> str:
    """The text a notebook shows: the project's printer when it is there."""
    try:
        return repr(x)
    except ImportError:
        kind = "Diagram" if isinstance(x, Diagram) else "Sum"
        return f"<{kind} {_sum_text(_as_sum(x), tex=False)}>"


def repr_latex(x: Union[Diagram, Sum]) -> str:
    """Index notation as a formula, for Jupyter's `_repr_latex_`."""
    try:
        from . import printer
    except ImportError:
        printer = None
    if printer is not None:
        fmt = printer.format_diagram if isinstance(x, Diagram) else getattr(printer, "format_sum", None)
        if fmt is not None:
            text = fmt(x)
            escaped = "".join("\\" + ch if ch in "_#$%&{}" else ch for ch in text)
            return f"$\\texttt{{{escaped}}}$"
    return f"${_sum_text(_as_sum(x), tex=True)}$"


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
