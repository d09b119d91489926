"""Exact scalars and sizes, with sympy only where a value needs it.

A coefficient or a size takes the lightest exact form that holds it: a Python
`int` or `fractions.Fraction` for a number, a `Mono` for a monomial in size
symbols (`n`, `2*n*m`, `n/2`), and a sympy expression for anything else
(`n + 1`).  All are exact, so verdicts are the same whichever form a value
has; the point is start-up: importing sympy costs several times more than the
rest of a short command, and a file whose sizes are numbers or plain dims never
needs it.  Every layer goes through this module for arithmetic, comparison,
canonical keys and text of scalars, and it imports sympy lazily.

`normal` is the one conversion: a sympy number (the result of `n / n`, say)
comes back as an `int` or a `Fraction`, a sympy monomial as a `Mono`, so a
value never has two forms that print or key differently.  A `Mono` compares
equal to its sympy form but hashes differently: normalise before using values
of mixed origin as dict keys.  Floats are never produced here; a float passed
in by a caller stays a sympy Float, as before.
"""
from __future__ import annotations

import sys
from fractions import Fraction
from functools import lru_cache
from numbers import Rational
from typing import Any, Iterable

# Exact arithmetic prints and keys every integer it makes, however long (the
# product of a few 1e1000 literals has thousands of digits).  Python's cap on
# int-to-text conversion guards programs that parse untrusted integers; here
# the literals are bounded by `--max-number-digits` before they are parsed,
# so the cap would only turn an exact answer into a crash.
if hasattr(sys, "set_int_max_str_digits"):
    sys.set_int_max_str_digits(0)

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


class Mono:
    """c * x1**e1 * ... * xk**ek: a nonzero rational times size symbols to integer powers.

    Sizes and most symbolic coefficients are of this form (`n`, `n*m`, `2*d`,
    `1/n` after `A / n`), and with it a file with `dim n` runs without sympy.
    sympy has no lighter type (importing it is the cost), hence this one: products,
    quotients and powers stay monomials; anything else (a sum of unlike
    monomials, a comparison, an attribute that only sympy has) becomes the
    equal sympy expression.  Every symbol is a positive integer, as a `dim` is.
    `str` prints exactly as sympy prints the same expression.
    """

    __slots__ = ("coeff", "powers", "_hash")

    def __init__(self, coeff: Any, powers: tuple[tuple[str, int], ...]) -> None:
        self.coeff = coeff            # int or Fraction, nonzero
        self.powers = powers          # ((name, exponent), ...) sorted by name, exponents nonzero
        self._hash = hash(("Mono", coeff, powers))

    @staticmethod
    def make(coeff: Any, powers: dict[str, int]) -> Any:
        """The monomial, or the number when no symbol is left, or 0."""
        coeff = normal(coeff)
        if coeff == 0:
            return 0
        items = tuple(sorted((k, e) for k, e in powers.items() if e))
        return Mono(coeff, items) if items else coeff

    # -- sympy ---------------------------------------------------------------

    def _sympy_(self) -> Any:
        sp = sympy()
        factors = [sp.Pow(_sympy_symbol(k), e) for k, e in self.powers]
        return sp.Mul(sympify(self.coeff), *factors)

    def __getattr__(self, name: str) -> Any:
        # Attributes only sympy has (`xreplace`, `is_Integer`, `free_symbols`):
        # answered by the equal sympy expression.
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._sympy_(), name)

    # -- arithmetic ----------------------------------------------------------

    def _times(self, other: Any, sign: int) -> Any:
        if isinstance(other, CONCRETE):
            if sign < 0:
                if other == 0:
                    raise ZeroDivisionError("division by zero")
                return Mono.make(self.coeff / Fraction(other), dict(self.powers))
            return Mono.make(self.coeff * other, dict(self.powers))
        if isinstance(other, Mono):
            powers = dict(self.powers)
            for k, e in other.powers:
                powers[k] = powers.get(k, 0) + sign * e
            c = self.coeff * other.coeff if sign > 0 else Fraction(self.coeff) / other.coeff
            return Mono.make(c, powers)
        return NotImplemented

    def __mul__(self, other: Any) -> Any:
        out = self._times(other, 1)
        return self._sympy_() * other if out is NotImplemented else out

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> Any:
        out = self._times(other, -1)
        return self._sympy_() / other if out is NotImplemented else out

    def __rtruediv__(self, other: Any) -> Any:
        if isinstance(other, CONCRETE):
            return Mono.make(Fraction(other) / self.coeff, {k: -e for k, e in self.powers})
        return other / self._sympy_()

    def __pow__(self, k: Any) -> Any:
        if type(k) is int:
            if k < 0:
                return Mono.make(Fraction(1) / Fraction(self.coeff) ** -k,
                                 {n: e * k for n, e in self.powers})
            return Mono.make(self.coeff ** k, {n: e * k for n, e in self.powers})
        return self._sympy_() ** k

    def __neg__(self) -> "Mono":
        return Mono(-self.coeff, self.powers)

    def __pos__(self) -> "Mono":
        return self

    def __abs__(self) -> "Mono":
        return Mono(abs(self.coeff), self.powers)  # every symbol is positive

    def __add__(self, other: Any) -> Any:
        if isinstance(other, CONCRETE) and other == 0:
            return self
        if isinstance(other, Mono) and other.powers == self.powers:
            return Mono.make(self.coeff + other.coeff, dict(self.powers))
        return normal(self._sympy_() + other)

    __radd__ = __add__

    def __sub__(self, other: Any) -> Any:
        return self + (-other)

    def __rsub__(self, other: Any) -> Any:
        return (-self) + other

    # -- comparison ----------------------------------------------------------

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, Mono):
            return self.powers == other.powers and self.coeff == other.coeff
        if isinstance(other, CONCRETE):
            return False
        if _sympy_basic(other):
            return bool(self._sympy_() == other)
        return NotImplemented

    def __ne__(self, other: Any) -> bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def __hash__(self) -> int:
        return self._hash

    def __lt__(self, other: Any) -> Any:
        return self._sympy_() < other

    def __le__(self, other: Any) -> Any:
        return self._sympy_() <= other

    def __gt__(self, other: Any) -> Any:
        return self._sympy_() > other

    def __ge__(self, other: Any) -> Any:
        return self._sympy_() >= other

    def __bool__(self) -> bool:
        return True

    # -- text ----------------------------------------------------------------

    def __str__(self) -> str:
        """As sympy's `str` prints the same monomial."""
        c = self.coeff
        if c == 1 and len(self.powers) == 1:
            name, e = self.powers[0]
            if e == 1:
                return name
            if e == -1:
                return f"1/{name}"
            return f"{name}**{e}" if e > 0 else f"{name}**({e})"
        sign = "-" if c < 0 else ""
        c = abs(Fraction(c))
        num = [str(c.numerator)] if c.numerator != 1 else []
        den = [str(c.denominator)] if c.denominator != 1 else []
        for name, e in self.powers:
            (num if e > 0 else den).append(name if abs(e) == 1 else f"{name}**{abs(e)}")
        text = sign + "*".join(num or ["1"])
        if len(den) == 1:
            return f"{text}/{den[0]}"
        return f"{text}/({'*'.join(den)})" if den else text

    def __repr__(self) -> str:
        return str(self)

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def factors(self) -> list[tuple[str, int]]:
        """(name, exponent) in the order of sympy's `args` (and `as_powers_dict`):
        plain symbols by name, then powers by base name."""
        return ([(k, e) for k, e in self.powers if e == 1]
                + [(k, e) for k, e in self.powers if e != 1])

    def key(self) -> str:
        return "Mono(" + repr(normal(self.coeff)) + ", " + repr(self.powers) + ")"


@lru_cache(maxsize=None)
def _sympy_symbol(name: str) -> Any:
    return sympy().Symbol(name, positive=True, integer=True)


def _from_sympy(x: Any) -> Any:
    """A sympy monomial in positive-integer symbols as a Mono, else `x` unchanged."""
    coeff: Any = 1
    powers: dict[str, int] = {}
    for f in (x.args if x.is_Mul else (x,)):
        if f.is_Rational:
            coeff = coeff * normal(f)
            continue
        base, e = f.as_base_exp()
        if not (base.is_Symbol and e.is_Integer and base == _sympy_symbol(base.name)):
            return x
        powers[base.name] = powers.get(base.name, 0) + int(e)
    return Mono.make(coeff, powers)


def is_sympy(x: Any) -> bool:
    """Whether `x` is a sympy object (a relation, an expression), without importing sympy."""
    return _sympy_basic(x)


def normal(x: Any) -> Any:
    """`x` in its one form: an int or Fraction for a rational number, a `Mono`
    for a monomial in size symbols, else a sympy expression."""
    t = type(x)
    if t is int or t is Mono:  # the common cases first: `isinstance(x, Fraction)` is an ABC check
        return x
    if isinstance(x, Fraction):
        return x.numerator if x.denominator == 1 else x
    if isinstance(x, Mono):
        return x
    if _sympy_basic(x):
        if x.is_Rational:
            return int(x.p) if x.q == 1 else Fraction(int(x.p), int(x.q))
        if x.is_Mul or x.is_Symbol or x.is_Pow:
            return _from_sympy(x)
        return x
    if isinstance(x, Rational):  # bool, numpy integers, other rationals
        return normal(Fraction(x.numerator, x.denominator))
    return normal(sympy().sympify(x))


#: Values this module computes with without sympy.
FAST = (int, Fraction, Mono)


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
    if isinstance(x, Mono):
        return x._sympy_()
    sp = sympy()
    if isinstance(x, Fraction):
        return sp.Rational(x.numerator, x.denominator)
    return sp.sympify(x)


@lru_cache(maxsize=None)
def symbol(name: str) -> Mono:
    """The symbolic size `name` (a positive integer), without importing sympy."""
    return Mono(1, ((name, 1),))


def sympy_symbol(name: str) -> Any:
    """The sympy symbol of the size `name` (what `free_symbols` returns)."""
    return _sympy_symbol(name)


def free_symbols(x: Any) -> frozenset:
    """The size symbols in `x`, as sympy symbols (empty for a number)."""
    if isinstance(x, CONCRETE):
        return frozenset()
    return frozenset(sympify(x).free_symbols)


def symbol_names(x: Any) -> frozenset[str]:
    """The names of the size symbols in `x` (sympy only if `x` already is sympy)."""
    if isinstance(x, CONCRETE):
        return frozenset()
    if isinstance(x, Mono):
        return frozenset(name for name, _ in x.powers)
    return frozenset(str(s) for s in sympify(x).free_symbols)


def mul(*xs: Any) -> Any:
    """The product of scalars or sizes."""
    return prod(xs)


def prod(xs: Iterable[Any]) -> Any:
    """The product of scalars or sizes, exact (1 for none)."""
    xs = list(xs)
    if all(isinstance(x, FAST) for x in xs):
        out: Any = 1
        for x in xs:
            out = out * x
        return normal(out)
    return normal(sympy().Mul(*[sympify(x) for x in xs]))


def add(*xs: Any) -> Any:
    """The sum of scalars."""
    return total(xs)


def total(xs: Iterable[Any]) -> Any:
    """The sum of scalars, exact (0 for none)."""
    xs = list(xs)
    if all(isinstance(x, CONCRETE) for x in xs):
        return normal(sum(xs))
    if all(isinstance(x, FAST) for x in xs):
        like = {x.powers for x in xs if isinstance(x, Mono)}
        if len(like) == 1 and all(isinstance(x, Mono) for x in xs):
            out: Any = 0
            for x in xs:
                out = out + x
            return normal(out)
    return normal(sympy().Add(*[sympify(x) for x in xs]))


def div(a: Any, b: Any) -> Any:
    """a / b, exact (a Fraction, never a float)."""
    if isinstance(a, CONCRETE) and isinstance(b, CONCRETE):
        return normal(Fraction(a) / Fraction(b))
    if isinstance(a, FAST) and isinstance(b, FAST):
        return normal((Fraction(a) if isinstance(a, CONCRETE) else a) / b)
    return normal(sympify(a) / sympify(b))


def conjugate(x: Any) -> Any:
    """The complex conjugate (a rational number, or a size, is its own)."""
    if isinstance(x, FAST):
        return x
    return normal(sympy().conjugate(sympify(x)))


def expand(x: Any) -> Any:
    """Products of sums multiplied out (numbers and monomials unchanged)."""
    if isinstance(x, FAST):
        return x
    return normal(sympy().expand(sympify(x)))


def simplify(x: Any) -> Any:
    """sympy's simplify for symbolic values (numbers and monomials unchanged)."""
    if isinstance(x, FAST):
        return x
    return normal(sympy().simplify(sympify(x)))


def is_zero(x: Any) -> bool:
    """Whether a scalar (a number or a rational function of sizes) is zero."""
    if isinstance(x, CONCRETE):
        return x == 0
    if isinstance(x, Mono):
        return False
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
    a, b = normal(a), normal(b)
    if isinstance(a, FAST) and isinstance(b, FAST):
        return a == b  # one form per value: different forms, different values
    try:
        sp = sympy()
        return sp.simplify(sympify(a) - sympify(b)) == 0
    except (TypeError, ValueError):  # pragma: no cover - defensive
        return False


def key(x: Any) -> str:
    """A canonical string of a scalar: equal values, equal strings.

    Numbers print as sympy's `srepr` does (`Integer(3)`, `Rational(1, 2)`), so
    a value keys the same in either form; monomials key as `Mono`s, whatever
    form they arrive in; for other symbolic values `cancel` brings rational
    functions of the sizes to a unique p/q with expanded numerator and
    denominator (2*(n+1) and 2*n+2 agree), other expressions fall back to
    their expanded form.
    """
    x = normal(x)
    if type(x) is int:
        return f"Integer({x})"
    if isinstance(x, Fraction):
        return f"Rational({x.numerator}, {x.denominator})"
    if isinstance(x, Mono):
        return x.key()
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
    return key(y) if isinstance(y, FAST) else sp.srepr(y)


def is_integer(x: Any) -> bool:
    """Whether `x` is a whole number (not merely a size that is one for every value)."""
    x = normal(x)
    return type(x) is int


def is_size(x: Any) -> bool | None:
    """Whether `x` is a positive whole number for every value of its symbols:
    True or False when that shows without sympy (a number, a monomial), else None."""
    x = normal(x)
    if isinstance(x, CONCRETE):
        return type(x) is int and x > 0
    if isinstance(x, Mono):
        return type(x.coeff) is int and x.coeff > 0 and all(e > 0 for _, e in x.powers)
    return None


def at_least(a: Any, b: Any) -> bool | None:
    """Whether a >= b for every positive whole value of the symbols: True when that
    shows without sympy (b divides a with a whole quotient), False for numbers
    that fail, None when sympy has to decide."""
    a, b = normal(a), normal(b)
    if isinstance(a, CONCRETE) and isinstance(b, CONCRETE):
        return a >= b
    if isinstance(a, FAST) and isinstance(b, FAST) and b != 0:
        return True if is_size(div(a, b)) else None
    return None


def text(x: Any) -> str:
    """Plain text of a scalar or size, as sympy prints it (`2*n`, `1/2`)."""
    return str(normal(x))


def latex(x: Any) -> str:
    """LaTeX of a scalar or size."""
    x = normal(x)
    if type(x) is int:
        return str(x)
    return sympy().latex(sympify(x))
