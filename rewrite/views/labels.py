"""The words in a picture: node labels, leg names and coefficients, as plain
text and as TeX, and how thick a leg of a given size is drawn."""
from __future__ import annotations

import math
import unicodedata
from typing import Any, Callable

import sympy

from ..core.diagram import BubbleNode, DeltaNode
from ..core.functions import pow_exponent
from .primitives import BASE_WIDTH


def tex_name(name: str, plain: Callable[[str], str] | None = None) -> str:
    """`name` in TeX math; a clash-renamed index (`b1ʹ`, modifier-letter
    primes) keeps its primes as math primes, `b_{1}'`.  `plain` writes the
    name without primes (pictures set long names upright; `export --to tex`
    passes its own, which subscripts)."""
    plain = plain or _tex_plain_name
    bare = name.rstrip("\u02b9")
    if bare != name:
        return plain(bare) + "'" * (len(name) - len(bare))
    return plain(name)


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


def coeff_text(c: Any) -> tuple[str, str]:
    """A coefficient as (plain text, TeX)."""
    plain = sympy.sstr(c).replace("**", "^").replace("*", "·")
    return plain, sympy.latex(c)


def signed(c: Any) -> tuple[bool, Any]:
    c = sympy.sympify(c)
    if c.could_extract_minus_sign():
        return True, -c
    return False, c


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
                tex += "[" + tex_name(node.inside.free[node.axis]) + "]"
        return (plain + "*", tex + "^{*}") if node.conj else (plain, tex)
    if node.decl.builtin == "fuse":
        return "", ""
    plain, tex = node.decl.name, tex_name(node.decl.name)
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


def anonymous(name: str) -> bool:
    """Whether an open leg's name was made up by the tool (`#0`, `#1`, for
    the legs of `kron(eye(5), eye(3))`): such names mean nothing to the reader,
    so the picture leaves those legs unnamed; their order is their position."""
    return name.startswith("#")


def leg_id(name: str) -> str:
    """A leg's name as it may appear in an element id (`#` is not allowed there)."""
    return "anon" + name[1:] if anonymous(name) else name
