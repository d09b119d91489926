"""Penrose-style pictures of diagrams: SVG and PNG (matplotlib) and TikZ.

A picture is built in two steps.  `scene` (views/scene.py) turns a diagram
and its `layout` into backend-neutral primitives (views/primitives.py) -
shapes (views/shapes.py), wires and texts in drawing units - and a backend
writes them out: views/backend_matplotlib.py (SVG, PNG), views/backend_tikz.py
(TikZ).  Keeping the geometry in one place means every backend shows the same
thing.  This module writes a picture to a file, the backend chosen by the
extension from one registry, and gathers the names callers use.
"""
from __future__ import annotations

import os
from typing import Callable, Union

from ..core.diagram import Diagram, Sum
from .backend_matplotlib import png_bytes, to_png, to_svg
from .backend_tikz import to_tikz
from .labels import leg_width, node_label
from .notebook import plain_text, repr_latex, repr_mimebundle
from .primitives import UNIT_INCH, Scene, Shape, Text, Wire
from .scene import ARRANGE_CHOICES, Strip, scene
from .shapes import holds, label_at, label_box, shape_gid

__all__ = ["ARRANGE_CHOICES", "DRAW_FORMATS", "WRITERS", "Scene", "Shape", "Strip", "Text", "UNIT_INCH", "Wire", "check_target", "draw",
           "holds", "label_at", "label_box", "leg_width", "node_label", "plain_text", "png_bytes",
           "repr_latex", "repr_mimebundle", "scene", "shape_gid", "to_png", "to_svg", "to_tikz"]


Writer = Callable[..., "str | bytes"]  # (x, widths=, strip=, arrange=) -> the file's text or bytes

# The backend writing each file format: a new format is one entry here.
WRITERS: dict[str, Writer] = {
    ".svg": to_svg,
    ".png": png_bytes,
    ".tex": lambda x, widths=False, strip=None, arrange="auto": to_tikz(x, standalone=True, widths=widths,
                                                                      strip=strip, arrange=arrange),
}
DRAW_FORMATS = tuple(WRITERS)


def check_target(path: str) -> None:
    """Refuse, before drawing, a file name whose extension we do not draw or
    a place that can never be written (`core.files.check_writable`)."""
    from ..core.files import FileError, check_writable

    check_writable(path)
    if os.path.splitext(path)[1].lower() not in WRITERS:
        raise FileError(f"cannot draw to {path!r}: use a .svg, .png or .tex file name", path)


def draw(x: Union[Diagram, Sum], path: str, widths: bool = False, strip: Strip | None = None,
         arrange: str = "auto") -> None:
    """Write a picture, the format chosen by the extension: .svg, .png or .tex;
    with a `strip`, as the next picture of a rewrite (see `Strip`);
    `arrange` as in `scene` ("backbone" draws a residual stream as one line).

    The picture is made in memory and written in one go, so a path that cannot
    be written raises `core.files.FileError` (an input error naming the path).
    """
    from ..core.files import write_bytes, write_text

    check_target(path)
    out = WRITERS[os.path.splitext(path)[1].lower()](x, widths=widths, strip=strip, arrange=arrange)
    if isinstance(out, bytes):
        write_bytes(path, out)
    else:
        write_text(path, out)
