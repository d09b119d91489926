"""Notebook display: the picture and index notation as text and LaTeX, for
Jupyter's `_repr_mimebundle_` and `_repr_latex_`."""
from __future__ import annotations

from typing import Union

import sympy

from ..core.diagram import BOUNDARY, BubbleNode, DeltaNode, Diagram, Sum, as_sum
from .backend_matplotlib import to_svg
from .labels import coeff_text, node_label, signed, tex_name


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
            fn = ("\\mathrm{" + tex_name(node.fn) + "}") if tex else node.fn
            if node.fn == "sum":
                fn = ""
            atom = f"{fn}\\left({arg}\\right)" if tex else f"{fn}({arg})"
            if node.conj:
                atom = f"{atom}^{{*}}" if tex else f"conj({atom})"
        elif tex:
            label = "\\delta" if isinstance(node, DeltaNode) else node_label(node)[1]
            atom = label + "_{" + " ".join(tex_name(n) for n in idx) + "}"
        else:
            atom = f"{node.title}[{', '.join(idx)}]"
        atoms.append(atom)
    for p, q in sorted(d.wires()):
        if p[0] == BOUNDARY and q[0] == BOUNDARY:
            a, b = d.free[p[1]], d.free[q[1]]
            atoms.append(f"\\delta_{{{tex_name(a)} {tex_name(b)}}}" if tex else f"δ[{a}, {b}]")
    return (" \\, " if tex else " ").join(atoms)


def _sum_text(s: Sum, tex: bool) -> str:
    if not s.terms:
        return "0"
    out = []
    for n, d in enumerate(s.terms):
        neg, mag = signed(d.scalar)
        body = _index_terms(d, tex)
        c = "" if mag == 1 else (sympy.latex(mag) if tex else coeff_text(mag)[0])
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
