"""Sizes: `dim` declarations, size expressions and the little algebra on them.

A size is a sympy expression: a positive-integer symbol, an integer, or a
product of those (`n*m`, `2*d`).  `dim d = 2` binds `d` to 2 outright, so
`A[i: d]` and `B[i: 2]` connect.  Products are compared with plain `==`:
sympy keeps monomials canonical, so `n*m == m*n` with no `simplify` call on
the hot path of building large diagrams.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Mapping

import sympy

from . import syntax as S
from ..core.errors import InputError


@lru_cache(maxsize=None)
def symbol(name: str) -> sympy.Symbol:
    """The symbolic size `name` (cached: sympy symbol creation is not free)."""
    return sympy.Symbol(name, positive=True, integer=True)


def evaluate(size: S.Size, dims: Mapping[str, Any]) -> Any:
    """A size expression under the declared dims; unknown names are errors."""
    value: Any = sympy.Integer(1)
    for f in size.factors:
        if isinstance(f, int):
            if f <= 0:
                raise InputError(f"a size must be positive, not {f}", size.line, size.column)
            value = value * f
        elif f in dims:
            value = value * dims[f]
        else:
            raise InputError(f"unknown size '{f}' (declare it with: dim {f})",
                             size.line, size.column, width=size.end_column - size.column)
    return value


def declare_dims(stmt: S.DimStmt, dims: dict[str, Any]) -> None:
    """Add each name of `dim n, d = 2, ...` to `dims` (duplicates are errors)."""
    for item in stmt.items:
        if item.name in dims:
            raise InputError(f"duplicate declaration of '{item.name}'", item.line, item.column,
                             width=len(item.name))
        dims[item.name] = symbol(item.name) if item.value is None else evaluate(item.value, dims)


def solve_part(whole: Any, known: list[Any]) -> Any:
    """The one unknown factor of `whole` given the others (for grouped legs)."""
    rest = sympy.Mul(*known)
    part = sympy.simplify(whole / rest)
    return part


def same(a: Any, b: Any) -> bool:
    """Whether two sizes are equal (structural first, algebraic as a fallback)."""
    if a == b:
        return True
    try:
        return sympy.simplify(sympy.sympify(a) - sympy.sympify(b)) == 0
    except (TypeError, ValueError):  # pragma: no cover - defensive
        return False
