"""Sizes: `dim` declarations, size expressions and the little algebra on them.

A size is an int, or a sympy expression when a symbol is in it: a
positive-integer symbol or a product of those and integers (`n*m`, `2*d`);
`core/scalars` is the arithmetic, and sympy is imported only for symbols.
`dim d = 2` binds `d` to 2 outright, so `A[i: d]` and `B[i: 2]` connect.
Products are compared with plain `==`: sympy keeps monomials canonical, so
`n*m == m*n` with no `simplify` call on the hot path of building large diagrams.
"""
from __future__ import annotations

from typing import Any, Mapping

from . import syntax as S
from ..core import scalars
from ..core.errors import InputError, near
from ..core.scalars import symbol


def evaluate(size: S.Size, dims: Mapping[str, Any]) -> Any:
    """A size expression under the declared dims; unknown names are errors."""
    value: Any = 1
    for f in size.factors:
        if isinstance(f, int):
            if f <= 0:
                raise InputError(f"a size must be positive, not {f}", size.line, size.column)
            value = value * f
        elif f in dims:
            value = value * dims[f]
        else:
            hint = near(f, dims) or f" (declare it with: dim {f})"
            raise InputError(f"unknown size '{f}'{hint}",
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
    """The one unknown factor of `whole` given the others (for grouped legs).

    Raises ValueError when there is no such size: a size is a positive whole
    number for every value of its symbols, and 8 / 3 or n / 3 is not.
    """
    part = scalars.simplify(scalars.div(whole, scalars.prod(known)))
    if not is_size(part):
        raise ValueError(f"a leg of size {whole} does not split into "
                         f"{' and '.join(map(str, known))} and a whole size: "
                         f"the rest would be {part}")
    return part


def is_size(x: Any) -> bool:
    """Whether `x` is a positive whole number for all positive whole values of
    its symbols (an integer, a dim, or a product of them)."""
    fast = scalars.is_size(x)
    if fast is not None:
        return fast
    sympy = scalars.sympy()
    x = scalars.sympify(x)
    coeff, rest = x.as_coeff_Mul()
    if not (coeff.is_Integer and coeff > 0):
        return False
    for f in sympy.Mul.make_args(rest):
        base, exp = f.as_base_exp()
        if not (base.is_Symbol and base.is_integer and base.is_positive
                and exp.is_Integer and exp > 0):
            return False
    return True


def same(a: Any, b: Any) -> bool:
    """Whether two sizes are equal (structural first, algebraic as a fallback)."""
    return scalars.equal(a, b)
