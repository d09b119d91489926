"""Exact scalars and sizes, with sympy only where a size symbol appears.

A coefficient or a size is a Python `int` or `fractions.Fraction` when it is a
number, and a sympy expression only when a size symbol (`dim n`) is in it.
Both are exact, so verdicts are the same either way; the point is start-up:
importing sympy costs several times more than the rest of a short command, and
a file whose sizes are all numbers never needs it.  Every layer goes through
this module for arithmetic, comparison, canonical text and printing of
scalars, and it imports sympy lazily, the first time a symbolic value needs it.

`normal` is the one conversion: a sympy number (the result of `n / n`, say)
comes back as an `int` or a `Fraction`, so a value never has two forms that
print or key differently.  Floats are never produced here; a float passed in
by a caller stays a sympy Float, as before.
"""
from __future__ import annotations

import math
import sys
from fractions import Fraction
from functools import lru_cache
from numbers import Rational
from typing import Any, Iterable

#: The concrete forms of a scalar.
CONCRETE = (int, Fraction)


def sympy() -> Any:
    """The sympy module, imported on first use."""
    import sympy as module

    return module


def _sympy_basic(x: Any) -> bool:
    """Whether `x` is a sympy object (without importing sympy to find out)."""
    module = sys.modules.get("sympy")
    return module is not None and isinstance(x, module.Basic)


def normal(x: Any) -> Any:
    """`x` as an int or Fraction when it is a rational number, else as sympy."""
    if type(x) is int:
        return x
    if isinstance(x, Fraction):
        return x.numerator if x.denominator == 1 else x
    if _sympy_basic(x):
        if x.is_Rational:
            return int(x.p) if x.q == 1 else Fraction(int(x.p), int(x.q))
        return x
    if isinstance(x, Rational):  # bool, numpy integers, other rationals
        return normal(Fraction(x.numerator, x.denominator))
    return normal(sympy().sympify(x))


def is_concrete(x: Any) -> bool:
    """Whether `x` is a number (no size symbols): an int, a Fraction or a sympy number."""
    if isinstance(x, CONCRETE):
        return True
    return _sympy_basic(x) and bool(x.is_Rational)


def number(text: str) -> Any:
    """An exact number from its text (`2`, `0.5`, `1/2`, `1e-3`): never a float."""
    return normal(Fraction(text))


def sympify(x: Any) -> Any:
    """`x` as a sympy object (imports sympy): for code that needs sympy's algebra."""
    if _sympy_basic(x):
        return x
    sp = sympy()
    if isinstance(x, Fraction):
        return sp.Rational(x.numerator, x.denominator)
    return sp.sympify(x)


@lru_cache(maxsize=None)
def symbol(name: str) -> Any:
    """The symbolic size `name`: a positive-integer sympy symbol (cached)."""
    return sympy().Symbol(name, positive=True, integer=True)


def free_symbols(x: Any) -> frozenset:
    """The size symbols in `x` (empty for a number)."""
    if isinstance(x, CONCRETE):
        return frozenset()
    return frozenset(sympify(x).free_symbols)


def mul(*xs: Any) -> Any:
    """The product of scalars or sizes."""
    return prod(xs)


def prod(xs: Iterable[Any]) -> Any:
    """The product of scalars or sizes, exact (1 for none)."""
    xs = list(xs)
    if all(isinstance(x, CONCRETE) for x in xs):
        return normal(math.prod(xs))
    return normal(sympy().Mul(*[sympify(x) for x in xs]))


def add(*xs: Any) -> Any:
    """The sum of scalars."""
    return total(xs)


def total(xs: Iterable[Any]) -> Any:
    """The sum of scalars, exact (0 for none)."""
    xs = list(xs)
    if all(isinstance(x, CONCRETE) for x in xs):
        return normal(sum(xs))
    return normal(sympy().Add(*[sympify(x) for x in xs]))


def div(a: Any, b: Any) -> Any:
    """a / b, exact (a Fraction, never a float)."""
    if isinstance(a, CONCRETE) and isinstance(b, CONCRETE):
        return normal(Fraction(a) / Fraction(b))
    return normal(sympify(a) / sympify(b))


def conjugate(x: Any) -> Any:
    """The complex conjugate (a rational number, or a size, is its own)."""
    if isinstance(x, CONCRETE):
        return x
    return normal(sympy().conjugate(sympify(x)))


def expand(x: Any) -> Any:
    """Products of sums multiplied out (numbers unchanged)."""
    if isinstance(x, CONCRETE):
        return x
    return normal(sympy().expand(sympify(x)))


def simplify(x: Any) -> Any:
    """sympy's simplify for symbolic values (numbers unchanged)."""
    if isinstance(x, CONCRETE):
        return x
    return normal(sympy().simplify(sympify(x)))


def is_zero(x: Any) -> bool:
    """Whether a scalar (a number or a rational function of sizes) is zero."""
    if isinstance(x, CONCRETE):
        return x == 0
    sp = sympy()
    x = sympify(x)
    if x.is_Number:
        return x == 0
    try:
        return sp.cancel(sp.expand(x)) == 0
    except (sp.PolynomialError, TypeError, ValueError):  # pragma: no cover - exotic
        return sp.simplify(x) == 0


def equal(a: Any, b: Any) -> bool:
    """Whether two scalars or sizes are equal (structural first, algebraic as a fallback)."""
    if a == b:
        return True
    if isinstance(a, CONCRETE) and isinstance(b, CONCRETE):
        return False
    try:
        sp = sympy()
        return sp.simplify(sympify(a) - sympify(b)) == 0
    except (TypeError, ValueError):  # pragma: no cover - defensive
        return False


def key(x: Any) -> str:
    """A canonical string of a scalar: equal values, equal strings.

    Numbers print as sympy's `srepr` does (`Integer(3)`, `Rational(1, 2)`), so
    a value keys the same in either form; for symbolic values `cancel` brings
    rational functions of the sizes to a unique p/q with expanded numerator
    and denominator (2*(n+1) and 2*n+2 agree), other expressions fall back to
    their expanded form.
    """
    x = normal(x)
    if type(x) is int:
        return f"Integer({x})"
    if isinstance(x, Fraction):
        return f"Rational({x.numerator}, {x.denominator})"
    return _symbolic_key(x)


@lru_cache(maxsize=8192)
def _symbolic_key(x: Any) -> str:
    sp = sympy()
    if x.is_Number:
        return sp.srepr(x)
    try:
        y = sp.cancel(sp.expand(x))
    except (sp.PolynomialError, TypeError, ValueError):  # pragma: no cover - exotic
        y = sp.expand(x)
    y = normal(y)
    return key(y) if isinstance(y, CONCRETE) else sp.srepr(y)


def is_integer(x: Any) -> bool:
    """Whether `x` is a whole number (not merely a size that is one for every value)."""
    x = normal(x)
    return type(x) is int


def text(x: Any) -> str:
    """Plain text of a scalar or size, as sympy prints it (`2*n`, `1/2`)."""
    return str(normal(x))


def latex(x: Any) -> str:
    """LaTeX of a scalar or size."""
    x = normal(x)
    if type(x) is int:
        return str(x)
    return sympy().latex(sympify(x))
