"""Elementwise functions: the one table of what a bubble's `fn` may be.

A bubble (`BubbleNode`) applies a function to every entry of its inside.
Which functions exist, what their derivative is (for `diff`'s chain rule),
and how the language documents them is said once, here, in the model layer:
the language's function registry (`language.expressions.FUNCTIONS`) makes a
builder for each entry, `transforms.diff` reads the derivatives, and
`numerics.evaluate` and `views.export` give each name its numpy / torch code
(a test checks that they cover this table).
"""
from __future__ import annotations

from dataclasses import dataclass


ZERO = "0"


@dataclass(frozen=True)
class Elementwise:
    """One elementwise function.  `derivative` names another entry (the
    bubble `diff` writes for f'), or ZERO when f' is zero almost everywhere,
    or None when no derivative is known (diff then refuses, saying so)."""

    name: str
    derivative: str | None
    help: str
    user: bool = True  # False: written by `diff` (a derivative), still legal input


ELEMENTWISE: dict[str, Elementwise] = {e.name: e for e in (
    Elementwise("relu", "step", "max(x, 0), entry by entry"),
    Elementwise("gelu", "dgelu", "GELU (tanh approximation), entry by entry"),
    Elementwise("exp", "exp", "e^x, entry by entry"),
    Elementwise("tanh", "dtanh", "tanh x, entry by entry"),
    Elementwise("sigmoid", "dsigmoid", "1 / (1 + e^-x), entry by entry"),
    Elementwise("step", ZERO, "Heaviside step (relu's derivative), entry by entry", user=False),
    Elementwise("dtanh", "tanh''", "1 - tanh² x (tanh's derivative), entry by entry",
                user=False),
    Elementwise("dsigmoid", "sigmoid''", "σ(x)(1 - σ(x)) (sigmoid's derivative), entry by entry",
                user=False),
    Elementwise("dgelu", "gelu''", "gelu's derivative, entry by entry", user=False),
    Elementwise("log", "log'", "natural logarithm (principal branch), entry by entry"),
    Elementwise("sqrt", "sqrt'", "square root (principal branch), entry by entry"),
    Elementwise("abs", "sign", "|x|, entry by entry (its derivative sign(x) holds for real x)"),
    Elementwise("sign", ZERO, "x / |x| (0 at 0), entry by entry"),
)}

#: The first derivatives that keep their historical names: `dtanh` is
#: `tanh'`, `dsigmoid` is `sigmoid'`, `dgelu` is `gelu'`, `step` is `relu'`.
FIRST_DERIVATIVE = {"tanh": "dtanh", "sigmoid": "dsigmoid", "gelu": "dgelu", "relu": "step"}
_BASE_OF = {v: k for k, v in FIRST_DERIVATIVE.items()}

#: Functions whose derivatives of every order are elementwise functions given
#: by a formula (numerics evaluate them with sympy): the analytic built-ins.
ANALYTIC = ("exp", "tanh", "sigmoid", "gelu", "log", "sqrt")


def split_primes(name: str) -> tuple[str, int]:
    """`tanh` with two primes -> ("tanh", 2); `dtanh` with one -> ("tanh", 2)."""
    base = name.rstrip("'")
    order = len(name) - len(base)
    if base in _BASE_OF:
        return _BASE_OF[base], order + 1
    return base, order


def primed(base: str, order: int) -> str:
    """The canonical name of the order-th derivative of `base` (dtanh for tanh's first)."""
    if order == 0 or base == "exp":
        return base
    if base in FIRST_DERIVATIVE and order == 1:
        return FIRST_DERIVATIVE[base]
    return base + "'" * order


def lookup(name: str) -> Elementwise | None:
    """The entry for `name`, including primed derivatives of any order of the
    built-ins (made on demand), or None."""
    base, order = split_primes(name)
    if order == 0 or base not in ELEMENTWISE:
        return ELEMENTWISE.get(name)
    if base in ANALYTIC:
        return Elementwise(primed(base, order), primed(base, order + 1),
                           f"derivative {order} of {base}, entry by entry", user=False)
    # relu, abs, sign are piecewise: a first derivative, then zero almost everywhere.
    first = {"relu": "step", "abs": "sign", "sign": None}.get(base)
    if order == 1 and first is not None:
        return ELEMENTWISE[first]
    return Elementwise(name, ZERO, f"derivative {order} of {base} (zero almost everywhere)",
                       user=False)
