"""Numbers for opaque functions: a declared `function f` is a random smooth function.

A declared function has no formula, so an equation about it must hold for
every f.  Each numeric trial therefore stands a fresh random function in for
f, drawn from the trial's seed and f's name, and uses that one function
(and its exact derivatives) everywhere f, f', f'', g'1, ... occur on both
sides.  A check that passes over several seeds has passed for several
unrelated functions, not for one lucky f.

The stand-in for a function of m arguments x = (x_1, ..., x_m) is

    F(x) = c + a·x + Σ_{i≤j} b_ij x_i x_j + Σ_{i≤j≤l} c_ijl x_i x_j x_l / 3
           + s sin(w·x + φ) + e exp(h·x)

with every coefficient drawn from a normal distribution (h small, so values
stay moderate).  Why this family:

* it is entire, so complex arguments need no branch cuts and every
  derivative exists everywhere;
* its derivatives of every order are known exactly (sympy differentiates the
  formula; no finite differences), so `f''` and `g'1'2` are checked against
  the true derivatives of the same F;
* no derivative vanishes identically and the mixed terms couple the
  arguments, so identities that hold only for polynomials, for linear or for
  separable functions (f''' = 0, g'1'2 = 0, f(a + b) = f(a) + f(b)) fail;
* it has real coefficients, but nothing in the prover relies on that (a
  declared function is not assumed to commute with conjugation).
"""
from __future__ import annotations

import itertools
import zlib
from typing import Any, Callable

import numpy as np
import sympy

_FORMULAS: dict[tuple[int, str, int], tuple[list[sympy.Symbol], Any]] = {}
_CODE: dict[tuple[int, str, int, tuple[int, ...]], Callable[..., Any]] = {}
#: Formulas are cached per (seed, name, arity); trials use a handful of seeds.
_MAX_CACHE = 4096


def formula(seed: int, name: str, arity: int) -> tuple[list[sympy.Symbol], Any]:
    """The random function standing in for `name` in the trial with `seed`:
    its symbols and its sympy formula (see the module docstring)."""
    key = (seed, name, arity)
    got = _FORMULAS.get(key)
    if got is not None:
        return got
    rng = np.random.default_rng([seed & 0xFFFFFFFF, zlib.crc32(name.encode()), arity])
    xs = [sympy.Symbol(f"x{k + 1}") for k in range(arity)]

    def num() -> sympy.Float:
        return sympy.Float(float(rng.normal()), 17)

    f: Any = num()
    f += sum((num() * x for x in xs), sympy.Integer(0))
    f += sum((num() * a * b for a, b in itertools.combinations_with_replacement(xs, 2)),
             sympy.Integer(0))
    f += sum((num() * a * b * c / 3 for a, b, c in itertools.combinations_with_replacement(xs, 3)),
             sympy.Integer(0))
    f += num() * sympy.sin(sum((num() * x for x in xs), sympy.Integer(0)) + num())
    f += num() / 2 * sympy.exp(sum((num() / 4 * x for x in xs), sympy.Integer(0)))
    if len(_FORMULAS) > _MAX_CACHE:
        _FORMULAS.clear()
        _CODE.clear()
    _FORMULAS[key] = (xs, f)
    return xs, f


def function(seed: int, name: str, arity: int, partials: tuple[int, ...] = ()
             ) -> Callable[..., np.ndarray]:
    """numpy code for the partial derivative by the arguments `partials`
    (0-based, any order) of the stand-in for `name`; takes `arity` arrays."""
    key = (seed, name, arity, tuple(sorted(partials)))
    code = _CODE.get(key)
    if code is None:
        xs, f = formula(seed, name, arity)
        for k in key[3]:
            f = sympy.diff(f, xs[k])
        raw = sympy.lambdify(xs, f, "numpy")

        def code(*args: np.ndarray, raw: Any = raw) -> np.ndarray:
            shape = np.broadcast_shapes(*(np.shape(a) for a in args))
            return np.broadcast_to(raw(*args), shape)

        _CODE[key] = code
    return code
