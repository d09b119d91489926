"""Which names a statement defines and which it uses, so that one failing
statement silences only the statements that depend on it (LANGUAGE.md §10
"Errors do not silence a file").

A failed declaration's names are marked failed; a later statement that uses one
of them is reported as skipped (naming the failed line) instead of failing with
a confusing "unknown name".  A statement that fails to parse has no syntax
tree, so the name it would have defined is read from its first words.
"""
from __future__ import annotations

import dataclasses
import re
from typing import Any, Iterable

from ..language import syntax as S


def defined(stmt: S.Stmt) -> list[str]:
    """The names a declaration statement defines (dims, a tensor, a let)."""
    if isinstance(stmt, S.DimStmt):
        return [item.name for item in stmt.items]
    if isinstance(stmt, (S.DeclStmt, S.LetStmt, S.FunctionStmt)):
        return [stmt.name]
    return []


def used(stmt: Any) -> set[str]:
    """Every name a statement mentions: tensors, lets, functions and sizes.

    An explicit stack rather than recursion: statements nest as deep as
    `--max-depth` allows, and a 10^5-tensor product is one long tuple.
    """
    out: set[str] = set()
    stack = [stmt]
    pop, push = stack.pop, stack.extend
    while stack:
        node = pop()
        if isinstance(node, (list, tuple)):
            push(node)
            continue
        if isinstance(node, S.Ref):
            out.add(node.name)
        elif isinstance(node, S.Call):
            out.add(node.fn)
            out.add(node.fn.split("'", 1)[0])  # f''(x) and g'2(x, y) use f and g
        elif isinstance(node, S.Size):
            out.update(f for f in node.factors if isinstance(f, str))
        names = _FIELDS.get(type(node))
        if names is None:
            if not dataclasses.is_dataclass(node) or isinstance(node, type):
                continue
            names = _FIELDS[type(node)] = tuple(f.name for f in dataclasses.fields(node))
        push(getattr(node, n) for n in names)
    return out


_FIELDS: dict[type, tuple[str, ...]] = {}


_LET = re.compile(r"\s*let\s+(\w+)")
_DIM = re.compile(r"\s*dim\s+(.*)")
_DECL = re.compile(r"\s*((?:\w+\s+)+?)(\w+)\s*\[")
_FUNCTION = re.compile(r"\s*function\s+(\w+)")
_KIND_WORDS = {"real", "tensor", "isometry", "unitary", "invertible", "symmetric", "diagonal",
               "hermitian", "psd", "projector", "antisymmetric", "orthogonal", "function"}


def guessed(lines: Iterable[str]) -> list[str]:
    """The names an unparseable statement was meant to define, from its first words."""
    text = " ".join(lines).split("#", 1)[0]
    m = _LET.match(text)
    if m:
        return [m.group(1)]
    m = _FUNCTION.match(text)
    if m:
        return [m.group(1)]
    m = _DIM.match(text)
    if m:
        return re.findall(r"(?:^|,)\s*(\w+)", m.group(1))
    m = _DECL.match(text)
    if m and set(m.group(1).split()) <= _KIND_WORDS:
        return [m.group(2)]
    return []
