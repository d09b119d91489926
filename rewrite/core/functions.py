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

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any


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


# ------------------------------------------------------------------- pow(x, k)
#
# `pow(EXPR, k)` is one bubble per exponent: its `fn` is "pow[k]" (k a
# Fraction, written by `str`), so the canonical key, which includes `fn`,
# tells pow(x, 2) from pow(x, 3) with no extra field on the node.  Its
# derivative is k pow(x, k-1): a coefficient as well as a bubble, which is why
# `derivative` below returns both.

def pow_name(k: Any) -> str:
    """The bubble name of the elementwise power x^k (`pow[2]`, `pow[-1]`, `pow[1/2]`)."""
    return f"pow[{Fraction(str(k))}]"


def pow_exponent(fn: str) -> Any:
    """k for a bubble named `pow[k]`, else None."""
    if fn.startswith("pow[") and fn.endswith("]"):
        return Fraction(fn[4:-1])
    return None


# ------------------------------------------------------ declared functions
#
# `function f` and `function g(2)` declare opaque elementwise functions.  A
# bubble of one is named by the declared name with its derivative orders:
# `f`, `f'`, `f''` for one argument; for several, one `'k` per partial
# derivative by argument k (1-based), in increasing order, so `g'1'2` is
# d²g/dx₁dx₂ (mixed partials of a smooth function commute; the order a user
# writes them in does not matter).  Any bubble name that is neither a
# built-in nor `pow[k]` is such a function: the language refuses undeclared
# names, so the model needs no registry of them.

_PARTIAL = re.compile(r"'(\d*)")


@dataclass(frozen=True)
class Declared:
    """A declared function's bubble name read back: its base name and the
    argument (0-based) of each derivative taken, sorted."""

    base: str
    partials: tuple[int, ...] = ()


def parse_declared(name: str) -> Declared | None:
    """`g'2'1` -> Declared("g", (0, 1)); `f''` -> Declared("f", (0, 0)); None
    when the name is not of that shape."""
    m = re.match(r"([^\W\d]\w*)((?:'\d*)*)$", name)
    if m is None:
        return None
    parts = _PARTIAL.findall(m.group(2))
    if any(p == "0" for p in parts):
        return None
    return Declared(m.group(1), tuple(sorted(int(p) - 1 if p else 0 for p in parts)))


def declared_name(base: str, partials: tuple[int, ...], arity: int) -> str:
    """The canonical bubble name of a derivative of a declared function."""
    if arity == 1:
        return base + "'" * len(partials)
    return base + "".join(f"'{k + 1}" for k in sorted(partials))


def is_builtin(fn: str) -> bool:
    """Whether a bubble name is a built-in function (or a derivative of one, or pow)."""
    return fn in ("sum", "softmax") or pow_exponent(fn) is not None or lookup(fn) is not None


def derivative(fn: str, arity: int = 1, arg: int = 0) -> tuple[Any, str] | str | None:
    """The partial derivative of the elementwise function `fn` (of `arity`
    arguments) by argument `arg`: (coefficient, bubble name), or ZERO when it
    is zero almost everywhere, or None when none is known."""
    k = pow_exponent(fn)
    if k is not None:
        return ZERO if k == 0 else (k, pow_name(k - 1))
    if is_builtin(fn):
        entry = lookup(fn)
        if entry is None or entry.derivative is None:
            return None
        return ZERO if entry.derivative == ZERO else (1, entry.derivative)
    d = parse_declared(fn)
    if d is None:
        return None
    return (1, declared_name(d.base, d.partials + (arg,), arity))
