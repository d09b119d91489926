"""A fast path for the plain lines of large programs; everything else goes to lark.

Generated programs (an MPS of 10^5 sites, a PEPS, a long trace) are long runs
of two kinds of line: declarations `isometry A7[l: d, p: d -> r: d]` and
statements whose expression is a plain product `A1[b0, p1, b1] conj(A1)[c0,
p1, c1] ...`.  Lark's LALR parser spends about 15 µs per token on them; this
module recognises exactly those lines with a few regular expressions and builds
the same `syntax` nodes, with the same positions, that `parse._ToSyntax` would
build from lark's tree (tests/test_parse.py checks the two agree on every line
the fast path accepts).

The grammar (grammar/tn.lark) stays the single definition of the language: the
fast path accepts a strict subset of it, written with no optional spacing, and
returns `None` for anything else (sums, numbers, `@`, sizes in indices, groups,
strings, `->` in index lists, multi-line statements, keywords where the
contextual lexer would read them), and `parse` hands such lines to lark.
Why hand-written rather than lark-cython: lark-cython has no post-lexer
support, which the continuation of statements inside brackets relies on.
"""
from __future__ import annotations

import dataclasses
import re
from typing import Any

from . import syntax as S
from ..core.limits import LIMITS

_NAME = r"[^\W\d]\w*"
# A factor: NAME[i, j], NAME, FN(NAME) or FN(NAME)[i, j]; the index list is
# plain names separated by ", ".
_FACTOR = re.compile(
    rf"(?P<name>{_NAME})(?:\((?P<arg>{_NAME})\))?(?:\[(?P<idx>{_NAME}(?:, {_NAME})*)\])?")
_SPACE = re.compile(r"[ \t]+")
_LEG = re.compile(rf"({_NAME}): ({_NAME}|\d+)")
_DECL = re.compile(
    rf"(?P<real>real )?(?P<kind>{_NAME}) (?P<name>{_NAME})\[(?P<legs>[^\]]+)\]")
_TAIL = re.compile(r"[ \t\r]*(?:#[^\n]*)?$")
_BLANK = re.compile(r"[ \t\r]*(?:#[^\n]*)?$")
_WORD = re.compile(_NAME)

def _grammar_words() -> tuple[frozenset[str], frozenset[str]]:
    """Every keyword of grammar/tn.lark, and the tensor kinds among them.

    Read from the grammar itself, so a keyword added there is never read as a
    name here.  The contextual lexer reads a word as a keyword wherever the
    parser state accepts it, and LALR states are shared (`to` of `draw E to
    "f"` is a keyword after any factor), so a line with a keyword in a name's
    place is left to lark.
    """
    from importlib import resources

    text = (resources.files("rewrite.grammar") / "tn.lark").read_text(encoding="utf-8")
    word = re.compile(r'"([^\W\d]\w*)"')
    kind_rule = re.search(r"^!kind:(.*?)^(?=\S)", text, re.S | re.M)
    assert kind_rule is not None, "grammar/tn.lark has no !kind rule"
    return frozenset(word.findall(text)), frozenset(word.findall(kind_rule.group(1)))


KEYWORDS, _KINDS = _grammar_words()
KIND_WORDS = _KINDS | {"real"}  # words that may start a declaration
_VERBS = frozenset({"simplify", "show", "expand", "cost", "paths"})
_PROVE_VERBS = frozenset({"prove", "check"})
assert _VERBS | _PROVE_VERBS | {"real"} <= KEYWORDS

BLANK = object()  # a line with no statement (empty or a comment)


class _NotPlain(Exception):
    """Raised inside the fast path when a line turns out to need lark."""

_new = object.__new__
_SETTERS: dict[type, dict[str, Any]] = {}


def _node(cls: type, fields: dict):
    """A frozen syntax node from its complete field dict.

    The dataclass `__init__` of a frozen class goes through keyword binding
    and a frozen check per field; setting each slot through its descriptor
    skips both (syntax nodes have `__slots__`: a 10^5-site program makes
    two million of them, and without slots they took 400 MB more).  Every
    call passes every field of `cls`.
    """
    o = _new(cls)
    setters = _SETTERS.get(cls)
    if setters is None:
        setters = _SETTERS[cls] = {f.name: getattr(cls, f.name).__set__
                                   for f in dataclasses.fields(cls)}
    for k, v in fields.items():
        setters[k](o, v)
    return o


def _loc(line: int, c0: int, c1: int) -> dict[str, int]:
    return {"line": line, "column": c0, "end_line": line, "end_column": c1}


def _index_list(text: str, start: int, line: int, col0: int) -> S.IndexList:
    """`i, j, k` starting at offset `start` of `text` (column = offset - col0)."""
    slots = []
    c = start - col0
    Index = S.Index
    for name in text.split(", "):
        if name in KEYWORDS:
            raise _NotPlain
        e = c + len(name)
        slots.append(_node(Index, {"name": name, "size": None, "line": line, "column": c,
                                   "end_line": line, "end_column": e}))
        c = e + 2
    return _node(S.IndexList, {"slots": tuple(slots), "split": None, "line": line,
                               "column": start - col0, "end_line": line, "end_column": c - 2})


def _product(src: str, pos: int, end: int, line: int, col0: int) -> tuple[S.SumExpr, int] | None:
    """A plain product starting at `pos`; returns the expression and where it stopped."""
    factors: list = []
    match = _FACTOR.match
    space = _SPACE.match
    while True:
        m = match(src, pos, end)
        if m is None:
            break
        name, arg, idx = m.group("name", "arg", "idx")
        if name in KEYWORDS:
            return None
        c = pos - col0
        indices = None
        if idx is not None:
            indices = _index_list(idx, m.start("idx"), line, col0)
        if arg is not None:
            if arg in KEYWORDS:
                return None
            ac = m.start("arg") - col0
            ae = ac + len(arg)
            ref = _node(S.Ref, {"name": arg, "indices": None, **_loc(line, ac, ae)})
            inner = _node(S.Product, {"factors": (ref,), **_loc(line, ac, ae)})
            term = _node(S.Term, {"sign": 1, "product": inner, **_loc(line, ac, ae)})
            arg_expr = _node(S.SumExpr, {"terms": (term,), "output": None, **_loc(line, ac, ae)})
            stop = indices.end_column if indices is not None else ae
            factors.append(_node(S.Call, {"fn": name, "args": (arg_expr,), "indices": indices,
                                          **_loc(line, c, stop)}))
        else:
            stop = indices.end_column if indices is not None else c + len(name)
            factors.append(_node(S.Ref, {"name": name, "indices": indices,
                                         **_loc(line, c, stop)}))
        pos = m.end()
        s = space(src, pos, end)
        if s is None:
            break
        pos = s.end()
    if not factors:
        return None
    c0, c1 = factors[0].column, factors[-1].end_column
    product = S.Product(tuple(factors), **_loc(line, c0, c1))
    expr = S.SumExpr((S.Term(1, product, **_loc(line, c0, c1)),), None, **_loc(line, c0, c1))
    # A factor must end at a token boundary: `A[i]B` or `A[i](` is lark's business.
    return expr, pos


def _decl(src: str, pos: int, end: int, line: int, col0: int) -> S.DeclStmt | None:
    m = _DECL.match(src, pos, end)
    if m is None or m.group("kind") not in _KINDS or _TAIL.match(src, m.end(), end) is None:
        return None
    body = m.group("legs")
    parts = body.split(" -> ")
    if len(parts) > 2:
        return None
    legs: list[S.LegDecl] = []
    split = None
    off = m.start("legs")
    for k, part in enumerate(parts):
        if k == 1:
            split = len(legs)
        for item in part.split(", "):
            lm = _LEG.fullmatch(item)
            if lm is None:
                return None
            leg, size = lm.group(1, 2)
            if leg in KEYWORDS or size in KEYWORDS:
                return None
            c = off - col0
            sc = c + len(leg) + 2
            if size.isdigit() and len(size) > LIMITS.max_number_digits:
                return None  # the parser reports the limit, with its place
            factor: str | int = int(size) if size.isdigit() else size
            se = sc + len(size)
            sz = _node(S.Size, {"factors": (factor,), **_loc(line, sc, se)})
            legs.append(_node(S.LegDecl, {"name": leg, "size": sz, **_loc(line, c, se)}))
            off += len(item) + 2
        off += 2  # " -> " is two characters longer than ", "
    if m.group("name") in KEYWORDS:
        return None
    kc = m.start("real" if m.group("real") else "kind") - col0
    name_col = m.start("name") - col0
    return S.DeclStmt(m.group("kind"), m.group("real") is not None, m.group("name"), tuple(legs),
                      split, (line, name_col), line=line, column=kc, end_line=line,
                      end_column=legs[-1].end_column)


def statement(src: str, pos: int, end: int, line: int):
    """The statement on the line `src[pos:end]`, `BLANK`, or None for lark to parse.

    `line` is the line's number; columns are 1-based from `pos`.
    """
    col0 = pos - 1
    if _BLANK.match(src, pos, end):
        return BLANK
    s = _SPACE.match(src, pos, end)
    if s is not None:
        pos = s.end()
    if "\\" in src[pos:end] or '"' in src[pos:end] or "'" in src[pos:end]:
        return None
    m = _WORD.match(src, pos, end)
    if m is None:
        return None
    word = m.group()
    if word in _KINDS or word == "real":
        return _decl(src, pos, end, line, col0)
    verb = None
    if word in _VERBS or word in _PROVE_VERBS:
        sp = _SPACE.match(src, m.end(), end)
        if sp is None:
            return None
        verb, vc = word, pos - col0
        pos = sp.end()
    try:
        return _command(src, pos, end, line, col0, verb, vc if verb else 0)
    except _NotPlain:
        return None


def _command(src: str, pos: int, end: int, line: int, col0: int, verb: str | None, vc: int):
    got = _product(src, pos, end, line, col0)
    if got is None:
        return None
    lhs, pos = got
    if verb in _PROVE_VERBS:
        if not src.startswith("== ", pos):
            return None
        got = _product(src, pos + 3, end, line, col0)
        if got is None:
            return None
        rhs, pos = got
        if _TAIL.match(src, pos, end) is None:
            return None
        return S.Command(verb, lhs, rhs, line=line, column=vc, end_line=line,
                         end_column=rhs.end_column)
    if _TAIL.match(src, pos, end) is None:
        return None
    if verb is None:
        return S.Command("show", lhs, bare=True, **_loc(line, lhs.column, lhs.end_column))
    return S.Command(verb, lhs, line=line, column=vc, end_line=line, end_column=lhs.end_column)
