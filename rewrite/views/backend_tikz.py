"""TikZ code for a picture: one path writer per shape form; needs no matplotlib."""
from __future__ import annotations

from typing import Callable, Union

from ..core.diagram import Diagram, Sum
from .layout import Point
from .primitives import COLOURS, Shape
from .scene import Strip, scene


def _pt(p: Point) -> str:
    return f"({p[0]:.3f},{p[1]:.3f})"


def _box(s: Shape) -> str:
    a = (s.centre[0] - s.width / 2, s.centre[1] - s.height / 2)
    b = (s.centre[0] + s.width / 2, s.centre[1] + s.height / 2)
    return f"[rounded corners=4pt] {_pt(a)} rectangle {_pt(b)}"


# The TikZ path of each shape form (`primitives.Shape.form`).
PATHS: dict[str, Callable[[Shape], str]] = {
    "circle": lambda s: f"{_pt(s.centre)} circle ({s.radius:.3f})",
    "dot": lambda s: f"{_pt(s.centre)} circle ({s.radius:.3f})",
    "ellipse": lambda s: f"{_pt(s.centre)} ellipse ({s.width / 2:.3f} and {s.height / 2:.3f})",
    "box": _box,
    "polygon": lambda s: " -- ".join(_pt(p) for p in s.vertices) + " -- cycle",
}

# The node anchor that puts a text where `Text.ha` and `Text.va` say.
ANCHORS = {("left", "center"): "west", ("right", "center"): "east", ("center", "bottom"): "south",
           ("center", "top"): "north", ("left", "bottom"): "south west",
           ("right", "bottom"): "south east", ("left", "top"): "north west",
           ("right", "top"): "north east", ("center", "center"): "center"}


def _shape_line(s: Shape) -> str:
    return f"  \\filldraw[fill={COLOURS[s.fill][1]}, draw=black] {PATHS[s.form](s)}; % {s.gid}"


def to_tikz(x: Union[Diagram, Sum], standalone: bool = False, widths: bool = False,
            strip: Strip | None = None, arrange: str = "auto") -> str:
    """TikZ code for the picture: a `tikzpicture` to paste into a document, or
    (standalone=True) a whole LaTeX file that compiles on its own."""
    sc = scene(x, widths, strip, arrange)
    lines = ["\\begin{tikzpicture}[x=1cm,y=1cm,line cap=round,line join=round]"]

    # Bubbles first (outer before inner), under the wires they hold.
    lines += [_shape_line(s) for s in sc.shapes if s.form == "box"]
    for w in sc.wires:
        if len(w.points) == 2:
            path = f"{_pt(w.points[0])} -- {_pt(w.points[1])}"
        else:
            p0, c1, c2, p3 = w.points
            path = f"{_pt(p0)} .. controls {_pt(c1)} and {_pt(c2)} .. {_pt(p3)}"
        lines.append(f"  \\draw[line width={w.width:.2f}pt] {path}; % {w.gid}")
    lines += [_shape_line(s) for s in sc.shapes if s.form != "box"]
    for t in sc.texts:
        anchor = ANCHORS[(t.ha, t.va)]
        lines.append(f"  \\node[anchor={anchor}, inner sep=1pt] at {_pt(t.at)} {{${t.tex}$}}; % {t.gid}")
    lines.append("\\end{tikzpicture}")
    body = "\n".join(lines) + "\n"
    if not standalone:
        return body
    return ("\\documentclass[tikz,border=4pt]{standalone}\n"
            "\\usepackage{amsmath}\n"
            "\\begin{document}\n" + body + "\\end{document}\n")
