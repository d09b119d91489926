"""A picture as data, and the numbers that say whether it is clean.

`picture_json(x)` is the layout of the picture `draw` writes, in the SVG's own
units (points, y pointing down, origin at the top left corner):

    {"width": W, "height": H,
     "nodes":  [{"id", "label", "shape", "x", "y", "w", "h"}, ...],
     "wires":  [{"from", "to", "points": [[x, y], ...]}, ...],
     "labels": [{"text", "x", "y", "owner"}, ...]}

Node ids are the diagram's node numbers as strings; the inside of bubble 3 is
"3/1", "3/2", ..., and the terms of a sum are "t0/...", "t1/...".  An open leg
is "free:k" (k its position among the free legs).  In a backbone picture the
+ node of block i is "plus{i}" (label "+", or "−" for a block subtracted) and
term 0 is the stream; a function's second argument is "3/a1/...".  Curved wires are given as
polylines (each cubic sampled at 16 points), so that anyone can check the
picture with straight-line geometry.

`picture_stats(x)` measures what a reader notices at once: wires crossing
each other, nodes overlapping, wires running through nodes they do not touch,
labels inside a box they do not belong to, the total ink of the wires and the
size.  Both are exposed on the command line as `rewrite draw EXPR --json` and
`--stats`.

The geometry is hand-written (segment intersection, point in shape) rather
than taken from a geometry library: it is forty lines, and the shapes it needs
are the five the scene uses.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Union

from ..core.diagram import Diagram, Sum
from .primitives import UNIT_INCH, Scene, Shape
from .scene import scene
from .layout import Point

PT = UNIT_INCH * 72  # one drawing unit in SVG points (matplotlib writes 72 per inch)
MARGIN = 0.25  # the margin `draw` leaves around the scene, in drawing units
SAMPLES = 16  # points per cubic curve in the polylines
ROUND = 2  # decimals kept in the JSON


def _bezier(pts: tuple[Point, ...]) -> list[Point]:
    if len(pts) != 4:
        return list(pts)
    p0, p1, p2, p3 = pts
    out = []
    for n in range(SAMPLES + 1):
        t = n / SAMPLES
        a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t * t, t ** 3
        out.append((a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0],
                    a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1]))
    return out


def _shape_name(s: Shape) -> str:
    """The shape a reader sees: the form, with polygons named by their kind."""
    if s.form == "box":
        return "bubble"  # a function's (or a sum's) box drawn around what it holds
    if s.form != "polygon":
        return s.form
    for name in ("triangle", "square", "diamond", "bar", "box"):
        if f"-{name}" in s.gid:
            return name
    return "triangle" if len(s.vertices) == 3 else "polygon"


def _bounds(s: Shape) -> tuple[float, float, float, float]:
    pts = s.extent()
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    return (min(xs), min(ys), max(xs), max(ys))


@dataclass(frozen=True)
class _Frame:
    """From drawing units (y up) to SVG points (y down)."""

    x0: float
    y1: float

    def __call__(self, p: Point) -> list[float]:
        return [round((p[0] - self.x0) * PT, ROUND), round((self.y1 - p[1]) * PT, ROUND)]


def _frame(sc: Scene) -> tuple[_Frame, float, float]:
    x0, y0, x1, y1 = sc.bbox()
    x0, y0, x1, y1 = x0 - MARGIN, y0 - MARGIN, x1 + MARGIN, y1 + MARGIN
    return _Frame(x0, y1), max(x1 - x0, 0.5) * PT, max(y1 - y0, 0.5) * PT


def scene_json(sc: Scene) -> dict:
    """The JSON form of a scene (see the module docstring)."""
    f, width, height = _frame(sc)
    labels = {t.node: t.text for t in sc.texts if t.gid.startswith("label-")}
    nodes = []
    for s in sc.shapes:
        x0, y0, x1, y1 = _bounds(s)
        cx, cy = f(s.centre)
        nodes.append({"id": s.node, "label": labels.get(s.node, ""), "shape": _shape_name(s),
                      "x": cx, "y": cy, "w": round((x1 - x0) * PT, ROUND), "h": round((y1 - y0) * PT, ROUND)})
    wires = [{"from": w.ends[0], "to": w.ends[1], "points": [f(p) for p in _bezier(w.points)]}
             for w in sc.wires]
    texts = [{"text": t.text, "x": f(t.at)[0], "y": f(t.at)[1], "owner": t.node}
             for t in sc.texts if not t.gid.startswith("label-")]
    return {"width": round(width, ROUND), "height": round(height, ROUND),
            "nodes": nodes, "wires": wires, "labels": texts}


def picture_json(x: Union[Diagram, Sum], widths: bool = False, strip=None, arrange: str = "auto") -> dict:
    """The layout of `draw`'s picture of x, as plain data in SVG points
    (`strip`: as the next picture of a `draw.Strip`; `arrange`: see `scene`)."""
    return scene_json(scene(x, widths, strip, arrange))


# -------------------------------------------------------------------- stats


@dataclass(frozen=True)
class Stats:
    """How clean a picture is.  Lengths and sizes are in SVG points.

    crossings: pairs of wires meeting away from a node they share (each
      meeting point counted once);
    overlaps: pairs of nodes whose outlines overlap (a bubble and what it
      holds excepted);
    wires_through_nodes: (wire, node) pairs where a wire runs through a node
      that is not one of its ends nor a bubble holding it;
    foreign_labels: texts inside a bubble they do not belong to;
    wire_length: total length of the wires;
    width, height: the picture's size.
    """

    crossings: int
    overlaps: int
    wires_through_nodes: int
    foreign_labels: int
    wire_length: float
    width: float
    height: float

    def as_dict(self) -> dict:
        return asdict(self)

    def text(self) -> str:
        return (f"crossings: {self.crossings}\noverlaps: {self.overlaps}\n"
                f"wires through nodes: {self.wires_through_nodes}\n"
                f"labels in foreign boxes: {self.foreign_labels}\n"
                f"wire length: {self.wire_length:.0f} pt\n"
                f"size: {self.width:.0f} × {self.height:.0f} pt")


EPS = 1e-6


def _cross(a: Point, b: Point, c: Point, d: Point) -> Point | None:
    """Where segments ab and cd meet (None when they do not or are parallel)."""
    r = (b[0] - a[0], b[1] - a[1])
    s = (d[0] - c[0], d[1] - c[1])
    den = r[0] * s[1] - r[1] * s[0]
    if abs(den) < 1e-12:
        return None
    t = ((c[0] - a[0]) * s[1] - (c[1] - a[1]) * s[0]) / den
    u = ((c[0] - a[0]) * r[1] - (c[1] - a[1]) * r[0]) / den
    if -EPS <= t <= 1 + EPS and -EPS <= u <= 1 + EPS:
        return (a[0] + t * r[0], a[1] + t * r[1])
    return None


def _segments(pts: list[Point]) -> list[tuple[Point, Point]]:
    return [(p, q) for p, q in zip(pts, pts[1:]) if math.dist(p, q) > 1e-9]


def _box(pts: list[Point]) -> tuple[float, float, float, float]:
    return (min(p[0] for p in pts), min(p[1] for p in pts), max(p[0] for p in pts), max(p[1] for p in pts))


def _meet(b1, b2, pad: float = 0.0) -> bool:
    return b1[0] <= b2[2] + pad and b2[0] <= b1[2] + pad and b1[1] <= b2[3] + pad and b2[1] <= b1[3] + pad


def _crossings(lines: list[list[Point]]) -> list[tuple[int, int]]:
    """Meeting points of two wires other than a point both end at: the pair
    of wire indices once per meeting point."""
    boxes = [_box(p) for p in lines]
    total: list[tuple[int, int]] = []
    for i in range(len(lines)):
        for j in range(i + 1, len(lines)):
            if not _meet(boxes[i], boxes[j], 1e-6):
                continue
            shared = [p for p in (lines[i][0], lines[i][-1])
                      if any(math.dist(p, q) < 1e-3 for q in (lines[j][0], lines[j][-1]))]
            seen: list[Point] = []
            for a, b in _segments(lines[i]):
                for c, d in _segments(lines[j]):
                    p = _cross(a, b, c, d)
                    if p is None or any(math.dist(p, q) < 1e-3 for q in shared + seen):
                        continue
                    seen.append(p)
            total += [(i, j)] * len(seen)
    return total


def _related(a: str, b: str) -> bool:
    """Whether one id is the other or holds it (a bubble and its inside)."""
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def _inside(s: Shape, p: Point, shrink: float = 0.8) -> bool:
    """Whether p lies inside the shape scaled by `shrink` about its centre
    (so that a wire grazing an outline is not counted as running through)."""
    cx, cy = s.centre
    if s.form in ("circle", "dot"):
        return math.dist(p, s.centre) < s.radius * shrink
    if s.form in ("ellipse", "box"):
        a, b = s.width / 2 * shrink, s.height / 2 * shrink
        if s.form == "box":
            return abs(p[0] - cx) < a and abs(p[1] - cy) < b
        return ((p[0] - cx) / a) ** 2 + ((p[1] - cy) / b) ** 2 < 1.0
    vs = [(cx + shrink * (x - cx), cy + shrink * (y - cy)) for x, y in s.vertices]
    sign = 0.0
    for q, r in zip(vs, vs[1:] + vs[:1]):
        z = (r[0] - q[0]) * (p[1] - q[1]) - (r[1] - q[1]) * (p[0] - q[0])
        if abs(z) < 1e-12:
            continue
        if sign and (z > 0) != (sign > 0):
            return False
        sign = z
    return True


def _through(lines: list[list[Point]], ends: list[tuple[str, str]], shapes: list[Shape]) -> int:
    step = 0.04
    count = 0
    bounds = [_bounds(s) for s in shapes]
    for pts, (a, b) in zip(lines, ends):
        for s, bb in zip(shapes, bounds):
            if _related(s.node, a) or _related(s.node, b) or not _meet(_box(pts), bb):
                continue
            hit = False
            for p, q in _segments(pts):
                n = max(1, int(math.dist(p, q) / step))
                if any(_inside(s, (p[0] + (q[0] - p[0]) * m / n, p[1] + (q[1] - p[1]) * m / n))
                       for m in range(n + 1)):
                    hit = True
                    break
            count += hit
    return count


def _overlaps(shapes: list[Shape]) -> int:
    """Pairs of outlines whose boxes overlap by more than a hair (bubbles and
    what they hold excepted)."""
    bounds = [_bounds(s) for s in shapes]
    count = 0
    for i in range(len(shapes)):
        for j in range(i + 1, len(shapes)):
            if _related(shapes[i].node, shapes[j].node):
                continue
            (a0, a1, a2, a3), (b0, b1, b2, b3) = bounds[i], bounds[j]
            w = min(a2, b2) - max(a0, b0)
            h = min(a3, b3) - max(a1, b1)
            if w > 0.02 and h > 0.02:
                count += 1
    return count


def _foreign(sc: Scene) -> int:
    boxes = [s for s in sc.shapes if s.form == "box"]
    count = 0
    for t in sc.texts:
        (x0, y0), (x1, y1) = t.extent()
        mid = ((x0 + x1) / 2, (y0 + y1) / 2)
        owner = t.node
        for b in boxes:
            if _inside(b, mid, 1.0) and not (owner == b.node or owner.startswith(b.node + "/")):
                count += 1
    return count


def scene_stats(sc: Scene) -> Stats:
    """The measures of a scene (see `Stats`)."""
    _, width, height = _frame(sc)
    lines = [_bezier(w.points) for w in sc.wires]
    length = sum(math.dist(p, q) for pts in lines for p, q in zip(pts, pts[1:]))
    shapes = list(sc.shapes)
    return Stats(crossings=len(_crossings(lines)), overlaps=_overlaps(shapes),
                 wires_through_nodes=_through(lines, [w.ends for w in sc.wires], shapes),
                 foreign_labels=_foreign(sc), wire_length=round(length * PT, 1),
                 width=round(width, 1), height=round(height, 1))


def picture_stats(x: Union[Diagram, Sum], widths: bool = False, strip=None, arrange: str = "auto") -> Stats:
    """How clean `draw`'s picture of x is: crossings, overlaps, size."""
    return scene_stats(scene(x, widths, strip, arrange))


def crossing_wires(x: Union[Diagram, Sum]) -> list[tuple[tuple[str, str], tuple[str, str]]]:
    """The (from, to) ids of the two wires at every crossing in the picture of
    x: which parts of a drawing that cannot be planar (a large PEPS norm)
    cross each other."""
    sc = scene(x)
    pairs = _crossings([_bezier(w.points) for w in sc.wires])
    return [(sc.wires[i].ends, sc.wires[j].ends) for i, j in pairs]
