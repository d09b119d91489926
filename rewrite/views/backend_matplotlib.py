"""SVG and PNG through matplotlib: one patch maker per shape form.

matplotlib is an optional extra, imported only when a picture is rendered, and
without pyplot (a `Figure` of its own), so drawing leaves no global state.
"""
from __future__ import annotations

import io
from typing import Any, Callable, Union

from ..core.diagram import Diagram, Sum
from .primitives import COLOURS, UNIT_INCH, Scene, Shape
from .scene import Strip, scene


_MISSING_MPL = ("drawing SVG or PNG pictures needs matplotlib: "
                "pip install 'penrose-rewrite[draw]'")


def _matplotlib():
    try:
        import matplotlib
    except ImportError as e:  # pragma: no cover - depends on the installation
        raise ImportError(_MISSING_MPL) from e
    return matplotlib


RC = {
    "svg.hashsalt": "penrose-rewrite",
    "svg.id": None,
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "text.usetex": False,
    "path.simplify": False,
}


def _circle(s: Shape, style: dict):
    from matplotlib.patches import Circle

    return Circle(s.centre, s.radius, **style)


def _ellipse(s: Shape, style: dict):
    from matplotlib.patches import Ellipse

    return Ellipse(s.centre, s.width, s.height, **style)


def _box(s: Shape, style: dict):
    from matplotlib.patches import FancyBboxPatch

    return FancyBboxPatch((s.centre[0] - s.width / 2, s.centre[1] - s.height / 2), s.width, s.height,
                          boxstyle="round,pad=0,rounding_size=0.16", **style)


def _polygon(s: Shape, style: dict):
    from matplotlib.patches import Polygon

    return Polygon(s.vertices, closed=True, joinstyle="round", **style)


# The matplotlib patch for each shape form (`primitives.Shape.form`).
PATCHES: dict[str, Callable[[Shape, dict], Any]] = {
    "circle": _circle, "dot": _circle, "ellipse": _ellipse, "box": _box, "polygon": _polygon,
}


def figure(sc: Scene, margin: float = 0.25):
    """A matplotlib Figure (no pyplot, so no global backend state) with the scene."""
    _matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import PathPatch
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
        # A bubble's box lies under the wires it holds; nested boxes stack in list order.
        style = dict(fc=COLOURS[s.fill][0], ec="black", lw=1.2, zorder=0.5 if s.form == "box" else 2)
        patch = PATCHES[s.form](s, style)
        patch.set_gid(s.gid)
        ax.add_patch(patch)
    for t in sc.texts:
        va = {"center": "center_baseline"}.get(t.va, t.va)
        ax.text(t.at[0], t.at[1], t.text, ha=t.ha, va=va, fontsize=t.size, zorder=3,
                gid=t.gid, parse_math=False)
    return fig


def _save(sc: Scene, target, fmt: str, dpi: float) -> None:
    matplotlib = _matplotlib()
    with matplotlib.rc_context(RC):
        fig = figure(sc)
        metadata = ({"Date": None, "Creator": "penrose-rewrite"} if fmt == "svg"
                    else {"Software": "penrose-rewrite"})
        fig.savefig(target, format=fmt, dpi=dpi, metadata=metadata)


def to_svg(x: Union[Diagram, Sum], widths: bool = False, strip: Strip | None = None,
           arrange: str = "auto") -> str:
    """The picture as SVG text; the same input always gives the same bytes
    (`arrange`: see `scene.scene`)."""
    buf = io.StringIO()
    _save(scene(x, widths, strip, arrange), buf, "svg", 72)
    return buf.getvalue()


def png_bytes(x: Union[Diagram, Sum], widths: bool = False, dpi: float = 150,
              strip: Strip | None = None, arrange: str = "auto") -> bytes:
    """The picture as PNG bytes."""
    buf = io.BytesIO()
    _save(scene(x, widths, strip, arrange), buf, "png", dpi)
    return buf.getvalue()


def to_png(x: Union[Diagram, Sum], path: str, widths: bool = False, dpi: float = 150,
           strip: Strip | None = None) -> None:
    """Write the picture to `path` as PNG."""
    from ..core.files import write_bytes

    write_bytes(path, png_bytes(x, widths, dpi, strip))
