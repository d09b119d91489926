"""What a picture is made of: shapes, wires and texts in drawing units (y up).

The scene (`views.scene`) builds these and every backend (`backend_matplotlib`
for SVG and PNG, `backend_tikz` for TikZ) writes them out, so the backends
show the same thing and no backend decides geometry.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from .layout import Point


UNIT_INCH = 0.6  # one drawing unit in the matplotlib picture
BASE_WIDTH = 1.3  # line width of a wire, in points
FONT_SIZE = 11.0
CHAR_W = 0.16  # approximate width of one label character, in drawing units
LINE_H = 0.3


# Fill colours: (matplotlib, TikZ).  Isometries blue and diagonals grey, as in
# the usual pictures of decompositions.
COLOURS = {
    "generic": ("#ffffff", "white"),
    "isometry": ("#cfe2ff", "blue!15"),
    "invertible": ("#d5f0d5", "green!15"),
    "diagonal": ("#c8c8c8", "gray!40"),
    "bubble": ("#fff5d6", "yellow!15"),
    "stream": ("#9ecbff", "blue!35"),  # the + nodes of a residual stream, blue as in the seed
    "ink": ("#000000", "black"),
}


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


class Gids:
    """Unique element ids: the first use of a name keeps it, later ones get -2, -3."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}

    def __call__(self, name: str) -> str:
        n = self.seen.get(name, 0) + 1
        self.seen[name] = n
        return name if n == 1 else f"{name}-{n}"


def unique_ids(sc: Scene) -> Scene:
    """Give every element its own id: the first use of a name keeps it, later
    ones get -2, -3, in drawing order (wires, shapes, texts)."""
    gids = Gids()
    return Scene(tuple(replace(w, gid=gids(w.gid)) for w in sc.wires),
                 tuple(replace(s, gid=gids(s.gid)) for s in sc.shapes),
                 tuple(replace(t, gid=gids(t.gid)) for t in sc.texts))
