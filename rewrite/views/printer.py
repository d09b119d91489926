"""Diagrams back to index notation that re-parses into the same graph.

Why the text has the shape it has:

* Internal wires get fresh short names (`a`, `b`, ..., then Greek, then
  `i1`, `i2`, ...), never a free leg's name, assigned in node order, so the
  output is deterministic and one pass (linear in the diagram).
* A delta whose legs all meet tensors (and at most one free leg) is written
  as users write it, one index on three or more legs: `A[i, a] v[a] B[a, j]`
  (with its free leg, if any, listed in `-> [...]`).  Any other delta node is
  `δ[a: n, b, c]` (one leg annotated, so a lone delta knows its size).  The builder merges deltas that share an index, so a delta next
  to another delta is written in parentheses, `(δ[a: n, b, c])`, whose inside
  is built on its own: the two stay two nodes.
* A fuse node (grouped legs) whose whole leg meets an ordinary tensor or
  bubble is written as a group in that tensor's slot, `M[(a: n b: m), c]`.
  Any other fuse is written in an explicit form that builds exactly one fuse
  node: `(δ[q0: n, p0] δ[q1: m, p1] -> [q0, q1, (p0 p1)])[a, b, c]`.
* A bubble is `relu(...)[a, b]`: its inside printed recursively, its legs
  renamed positionally; a linear "sum" bubble is `(t1 + t2)[a, b]`.
* Free legs whose names are not identifiers (`#0` of matrix sugar, `(i k)` of
  a grouped output) are given fresh names; `-> [...]` is added when the order
  of first appearance differs from the diagram's order.
"""
from __future__ import annotations

import re
from typing import Any

from ..core import scalars
from ..core.functions import pow_exponent
from ..core.diagram import BOUNDARY, BubbleNode, DeltaNode, Diagram, Sum, TensorNode

_IDENT = re.compile(r"[^\W\d]\w*\Z")
_GREEK = [c for c in "αβγεζηθικμνξοπρστυφχψω"]
_KEYWORDS = {"to", "softmax"}
#: Marks a user's index name renamed to avoid a clash: U+02B9 MODIFIER LETTER
#: PRIME looks like ' but is a letter, so `b1ʹ` is still a name the parser reads.
PRIME = "\u02b9"


def _names(taken: set[str]):
    """Fresh names a, b, ..., z, then Greek, then i1, i2, ... avoiding `taken`."""
    for c in "abcdefghijklmnopqrstuvwxyz":
        if c not in taken:
            yield c
    for c in _GREEK:
        if c not in taken:
            yield c
    k = 1
    while True:
        n = f"i{k}"
        if n not in taken:
            yield n
        k += 1


def size_text(size: Any) -> str:
    """A size as the language writes it: `n*m`, `2*d`, `n*n` (no powers)."""
    size = scalars.normal(size)
    if scalars.is_concrete(size):
        return scalars.text(size)
    if isinstance(size, scalars.Mono):
        if type(size.coeff) is not int or any(e < 0 for _, e in size.powers):
            return str(size)
        head = [str(size.coeff)] if size.coeff != 1 else []
        return "*".join(head + [k for k, e in size.factors() for _ in range(e)])
    s = scalars.sympify(size)
    if s.is_Integer:
        return str(int(s))
    factors: list[str] = []
    for base, exp in s.as_powers_dict().items():
        if not (exp.is_Integer and exp > 0 and (base.is_Symbol or base.is_Integer)):
            return str(s)
        factors.extend([str(base)] * int(exp))
    return "*".join(factors)


def scalar_text(c: Any) -> tuple[int, str]:
    """A coefficient as (sign, text) the grammar reads back: `2`, `1/2`, `1/2 n n`."""
    if c == 0:
        return 1, "0"
    c = scalars.normal(c)
    if scalars.is_concrete(c):
        return (-1 if c < 0 else 1), scalars.text(abs(c))
    if isinstance(c, scalars.Mono):
        words = [scalars.text(abs(c.coeff))] if abs(c.coeff) != 1 else []
        if all(e > 0 for _, e in c.powers):
            words += [k for k, e in c.factors() for _ in range(e)]
        else:
            words.append(f"({scalars.Mono(1, c.powers)})")
        return (-1 if c.coeff < 0 else 1), " ".join(words)
    c = scalars.sympify(c)
    num, rest = c.as_coeff_Mul()
    sign = -1 if num < 0 else 1
    num = abs(num)
    words: list[str] = []
    if num != 1 or rest == 1:
        words.append(str(num))
    if rest != 1:
        ok = True
        extra: list[str] = []
        for base, exp in rest.as_powers_dict().items():
            if base.is_Symbol and exp.is_Integer and exp > 0:
                extra.extend([str(base)] * int(exp))
            else:
                ok = False
        if ok:
            words.extend(extra)
        else:
            words.append(f"({rest})")
    return sign, " ".join(words)


class _Printer:
    def __init__(self, d: Diagram) -> None:
        self.d = d
        taken = {n for n in d.free if _IDENT.match(n)}
        # Fresh names never take a name the user wrote somewhere in the diagram.
        self.users = set(d.names.values())
        self.fresh = _names(taken | _KEYWORDS | self.users)
        self.used: set[str] = set()  # inner names given so far
        self.free_names: list[str] = []
        seen: set[str] = set()
        for n in d.free:
            if not _IDENT.match(n) or n in seen or n in _KEYWORDS:
                n = next(self.fresh)
            seen.add(n)
            self.free_names.append(n)
        self.wire: dict[tuple[int, int], str] = {}
        self.appear: list[str] = []
        self.appeared: set[str] = set()
        self.force_output = False

    def name(self, p: tuple[int, int]) -> str:
        d = self.d
        n = self.wire.get(p)
        if n is None:
            q = d.link[p]
            n = self.free_names[q[1]] if q[0] == BOUNDARY else self.inner(p, q)
            self.wire[p] = self.wire[q] = n
        if n not in self.appeared and n in self._free_set:
            self.appeared.add(n)
            self.appear.append(n)
        return n

    def inner(self, *ports: tuple[int, int]) -> str:
        """A name for an inner wire: the one the user wrote for it (`Diagram.names`)
        when it is free here, primed (`b1ʹ`, a modifier-letter prime, which is a
        letter, so the text re-parses) when another wire has it; else fresh."""
        want = next((self.d.names[p] for p in ports if p in self.d.names), None)
        if want is None or not _IDENT.match(want) or want in _KEYWORDS:
            n = next(self.fresh)
        else:
            n = want
            while n in self.used or n in self._free_set:
                n += PRIME
        self.used.add(n)
        return n

    def run(self) -> str:
        d = self.d
        self._free_set = set(self.free_names)
        grouped: dict[tuple[int, int], int] = {}  # port of a tensor -> fuse printed there
        for v, n in d.nodes.items():
            if _is_fuse(n):
                q = d.link[(v, n.arity - 1)]
                if q[0] != BOUNDARY and q[0] != v and _groupable(d.nodes[q[0]]):
                    grouped[q] = v
        hyper = self._hyperedges()
        parts: list[str] = []
        for v, n in d.nodes.items():
            if (_is_fuse(n) and v in grouped.values()) or v in hyper:
                continue
            if isinstance(n, DeltaNode):
                parts.append(self._delta(v, n))
            elif _is_fuse(n):
                parts.append(self._fuse(v, n))
            else:
                parts.append(self._atom(v, n, grouped))
        for k in range(len(d.free)):
            q = d.link[(BOUNDARY, k)]
            if q[0] == BOUNDARY and q[1] > k:
                a, b = self.free_names[k], self.free_names[q[1]]
                parts.append(f"δ[{a}: {size_text(d.free_sizes[k])}, {b}]")
                for x in (a, b):
                    if x not in self.appeared:
                        self.appeared.add(x)
                        self.appear.append(x)
        sign, coeff = scalar_text(d.scalar)
        if coeff and (coeff != "1" or not parts):
            parts.insert(0, coeff)
        text = " ".join(parts)
        if sign < 0:
            text = "-" + text
        if self.appear != self.free_names or self.force_output:
            text += " -> [" + ", ".join(self.free_names) + "]"
        return text

    def _hyperedges(self) -> set[int]:
        """Deltas written the way users write them: one index on three or more legs.

        A delta whose legs all meet tensors or bubbles (and at most one free
        leg) prints as a shared index name, `A[i, a] v[a] B[a, j]`, instead of
        `δ[a: n, b, c]`; with a free leg the index is also listed in the output,
        which counts as one more occurrence.  Deltas next to deltas, with
        self-loops or with two free legs keep the explicit form.
        """
        d = self.d
        out: set[int] = set()
        for v, n in d.nodes.items():
            if not isinstance(n, DeltaNode) or n.arity < 3:
                continue
            ends = [d.link[(v, i)] for i in range(n.arity)]
            if any(q[0] == v or isinstance(d.nodes.get(q[0]), DeltaNode) for q in ends):
                continue
            free = [q for q in ends if q[0] == BOUNDARY]
            if len(free) > 1:
                continue
            name = self.free_names[free[0][1]] if free else self.inner(
                *[q for q in ends if q[0] != BOUNDARY])
            for q in ends:
                if q[0] != BOUNDARY:
                    self.wire[q] = name
            self.force_output = self.force_output or bool(free)
            out.add(v)
        return out

    def _slots(self, v: int, arity: int, grouped: dict) -> list[str]:
        out = []
        for i in range(arity):
            f = grouped.get((v, i))
            if f is None:
                out.append(self.name((v, i)))
            else:
                fn = self.d.nodes[f]
                inner = [f"{self.name((f, k))}: {size_text(fn.sizes[k])}"
                         for k in range(fn.arity - 1)]
                out.append("(" + " ".join(inner) + ")")
        return out

    def _atom(self, v: int, n: Any, grouped: dict) -> str:
        slots = ", ".join(self._slots(v, n.arity, grouped))
        if isinstance(n, TensorNode):
            return f"{n.title}[{slots}]" if n.arity else n.title
        assert isinstance(n, BubbleNode)
        inside = format_sum(n.inside)
        if n.fn == "sum":
            head = f"({inside})"
        elif n.fn == "softmax":
            axis = _inner_free_names(n.inside)[n.axis]
            head = f"softmax[{axis}]({inside})"
        elif pow_exponent(n.fn) is not None:
            head = f"pow({inside}, {pow_exponent(n.fn)})"
        else:
            head = f"{n.fn}({', '.join([inside, *(format_sum(a) for a in n.args)])})"
        if n.conj:
            head = f"conj({head})"
        return f"{head}[{slots}]" if n.arity else head

    def _delta(self, v: int, n: DeltaNode) -> str:
        d = self.d
        names = [self.name((v, i)) for i in range(n.arity)]
        names[0] += f": {size_text(n.size)}"
        text = f"δ[{', '.join(names)}]"
        near = any(isinstance(d.nodes.get(d.link[(v, i)][0]), DeltaNode) for i in range(n.arity))
        return f"({text})" if near else text

    def _fuse(self, v: int, n: TensorNode) -> str:
        k = n.arity - 1
        inner = " ".join(f"δ[q{i}: {size_text(n.sizes[i])}, p{i}]" for i in range(k))
        out = ", ".join(f"q{i}" for i in range(k))
        group = "(" + " ".join(f"p{i}" for i in range(k)) + ")"
        slots = ", ".join(self.name((v, i)) for i in range(n.arity))
        return f"({inner} -> [{out}, {group}])[{slots}]"


def _is_fuse(n: Any) -> bool:
    return isinstance(n, TensorNode) and n.decl.builtin == "fuse" and n.op == "" and not n.conj


def _groupable(n: Any) -> bool:
    return (isinstance(n, TensorNode) and not _is_fuse(n)) or isinstance(n, BubbleNode)


def _inner_free_names(s: Sum) -> list[str]:
    if not s.terms:
        return list(s.free)
    return _Printer(s.terms[0]).free_names


def format_diagram(d: Diagram) -> str:
    """One diagram as index notation (see the module docstring for the shape)."""
    return _Printer(d).run()


def format_sum(s: Sum) -> str:
    """A sum of diagrams, terms joined by + and -, sharing one `-> [...]` if needed."""
    if not s.terms:
        return "0"
    texts: list[str] = []
    need_output = False
    free_names: list[str] | None = None
    for t in s.terms:
        p = _Printer(t)
        body = p.run()
        if " -> [" in body and body.endswith("]") and (p.appear != p.free_names
                                                       or p.force_output):
            body = body[: body.rindex(" -> [")]
            need_output = True
        free_names = free_names or p.free_names
        texts.append(body)
    if len(texts) == 1 and not need_output:
        return texts[0]
    out = texts[0]
    for t in texts[1:]:
        out += " - " + t[1:] if t.startswith("-") else " + " + t
    if need_output or len(texts) > 1:
        if need_output and free_names is not None:
            out += " -> [" + ", ".join(free_names) + "]"
    return out


def index_names(d: Diagram) -> dict[str, tuple[int, int]]:
    """The index names `format_diagram(d)` prints, each mapped to one port of its wire.

    Internal wires are renamed on every print, so a user who refers to a wire
    by the name `show` gave it (the REPL's `:gauge X on b`) needs the very same
    naming: this runs the printer and reads its choice back.  Free legs map to
    their boundary port.
    """
    p = _Printer(d)
    p.run()
    out: dict[str, tuple[int, int]] = {}
    for k, n in enumerate(p.free_names):
        out[n] = (BOUNDARY, k)
    for port, n in sorted(p.wire.items()):
        out.setdefault(n, port)
    return out
