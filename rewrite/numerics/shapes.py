"""Shapes of the two sides of an equation, checked before any number is drawn.

What `prove` needs before rewriting: whether the two sides can have different
shapes (`shape_mismatch`), and the pieces it is made of (`leg_matching`,
`leg_sizes`, `collect_decls`, `collect_symbols`) and `Counterexample`, the
record of a refutation.  None of it needs numpy, so a file whose sizes all
agree decides without importing it; numbers are drawn (`sample`) only when
sizes may differ.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from ..core import scalars
from ..core.diagram import DeltaNode, Diagram, Sum, TensorNode, as_sum, nested_sums
from ..core.errors import InputError
from ..core.kinds import Decl


def _fmt_number(z: complex) -> str:
    z = complex(z)
    if abs(z.imag) <= 1e-12 * max(1.0, abs(z.real)):
        return f"{z.real:.6g}"
    return f"{z.real:.6g}{z.imag:+.6g}i"


@dataclass(frozen=True)
class Counterexample:
    """An instance on which two sides differ; `seed` (with the same decls,
    constraints and these sizes as `fixed_sizes`) rebuilds it."""

    sizes: dict[str, int] = field(hash=False)
    seed: int | None
    difference: float
    left: complex | None = None   # the two values, when the sides are scalars
    right: complex | None = None
    reason: str = ""               # e.g. "shapes differ: (2, 3) vs (3, 2)"

    def format(self) -> str:
        sizes = ", ".join(f"{k}={v}" for k, v in sorted(self.sizes.items()))
        parts = [f"sizes {sizes}" if sizes else "sizes as declared"]
        if self.seed is not None:  # None: the caller's own arrays, not a sampled instance
            parts.append(f"seed {self.seed}")
        if self.reason:
            parts.append(self.reason)
        else:
            parts.append(f"largest difference {self.difference:.3g}")
        if self.left is not None and self.right is not None:
            parts.append(f"left {_fmt_number(self.left)}, right {_fmt_number(self.right)}")
        return "; ".join(parts)

    def __str__(self) -> str:
        return self.format()

    def to_json(self) -> dict:
        """The record that reproduces it, for `--json`."""
        # JSON has no inf or NaN: a number past the float range is null, and
        # `reason` says it in words.
        out: dict = {"sizes": dict(sorted(self.sizes.items())), "seed": self.seed,
                     "largest_difference": _finite(float(self.difference))}
        if self.reason:
            out["reason"] = self.reason
        for side in ("left", "right"):
            value = getattr(self, side)
            if value is not None:
                out[side] = [_finite(float(complex(value).real)),
                             _finite(float(complex(value).imag))]
        return out


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def collect_decls(*xs: Diagram | Sum) -> dict[str, Decl]:
    """Every declaration used by tensor nodes, inside bubbles too."""
    out: dict[str, Decl] = {}
    for x in xs:
        for s in nested_sums(x):
            for t in s.terms:
                for node in t.nodes.values():
                    if isinstance(node, TensorNode):
                        old = out.setdefault(node.decl.name, node.decl)
                        if old != node.decl:
                            raise InputError(f"two different declarations are named {node.decl.name}")
    return out


def _all_sizes(xs: Iterable[Diagram | Sum]) -> set[Any]:
    """Every distinct size or scalar anywhere: scalars, free legs, deltas,
    bubbles, declarations (a large network repeats a few)."""
    sizes: list[Any] = []
    for x in xs:
        for s in nested_sums(x):
            sizes.extend(s.sizes)
            for t in s.terms:
                sizes.append(t.scalar)
                sizes.extend(t.free_sizes)
                for node in t.nodes.values():
                    if isinstance(node, TensorNode):
                        sizes.extend(node.decl.sizes)
                    elif isinstance(node, DeltaNode):
                        sizes.append(node.size)
    return set(sizes)


def collect_symbols(*xs: Diagram | Sum) -> set[Any]:
    """Size symbols (sympy symbols) anywhere: scalars, free legs, deltas, bubbles, declarations."""
    out: set[Any] = set()
    for e in _all_sizes(xs):
        if not isinstance(e, scalars.CONCRETE):
            out.update(scalars.free_symbols(e))
    return out


def collect_symbol_names(*xs: Diagram | Sum) -> set[str]:
    """The names of `collect_symbols`, without sympy where every size is a
    number or a monomial (`dim n`, `n*m`)."""
    out: set[str] = set()
    for e in _all_sizes(xs):
        out |= scalars.symbol_names(e)
    return out


def leg_matching(left: Sum, right: Sum) -> list[int] | None:
    """Axis k of the left side pairs with axis perm[k] of the right side.

    By name when both sides name the same set of free legs, else by position
    (docs/language.md §8); None when the numbers of legs differ.
    """
    lf, rf = list(left.free), list(right.free)
    if len(lf) != len(rf):
        return None
    if set(lf) == set(rf) and len(set(lf)) == len(lf):
        pos = {name: k for k, name in enumerate(rf)}
        return [pos[name] for name in lf]
    return list(range(len(lf)))


def leg_sizes(s: Sum) -> tuple[Any, ...]:
    """The sizes of a sum's free legs (an empty sum keeps them in `sizes`)."""
    if s.sizes or not s.free:
        return tuple(s.sizes)
    return tuple(s.terms[0].free_sizes) if s.terms else ()


def check_wires(x: Diagram | Sum) -> None:
    """Refuse a diagram with a wire whose two ends have different sizes.

    The builder refuses such wires in what a user writes; this catches what is
    assembled elsewhere (a rule's sides, instantiated), before a zero
    coefficient lets the term vanish unseen.
    """
    for t in as_sum(x).terms:
        for p, q in t.wires():
            a, b = t.port_size(p), t.port_size(q)
            if not scalars.equal(a, b):
                raise InputError(f"inconsistent sizes on one wire: {a} and {b}")


def shape_mismatch(left: Diagram | Sum, right: Diagram | Sum,
                   decls: Mapping[str, Decl] | None = None, constraints: Iterable = (),
                   seed: int = 0) -> Counterexample | None:
    """Sizes on which the two sides have different shapes, or None if they never do.

    Checked before anything else, since a zero coefficient (`0 a[i]`) makes a
    side's normal form the empty sum, and empty sums with different legs must
    not compare equal.  Different numbers of free legs are an input error;
    legs whose sizes differ for some sizes meeting the constraints (2 vs 3,
    or n vs m) refute, with those sizes as the witness.
    """
    left, right = as_sum(left), as_sum(right)
    perm = leg_matching(left, right)
    if perm is None:
        raise InputError(
            f"cannot compare: the left side has {len(left.free)} free legs "
            f"[{', '.join(left.free)}] and the right side {len(right.free)} "
            f"[{', '.join(right.free)}]")
    ls, rs = leg_sizes(left), leg_sizes(right)
    if not ls or not rs:
        return None
    pairs = [(ls[k], rs[perm[k]]) for k in range(len(perm))]
    if all(scalars.equal(a, b) for a, b in pairs):
        return None
    if decls is None:
        decls = collect_decls(left, right)
    symbols = collect_symbols(left, right)

    def differ(v: Any) -> bool:
        return any(v(a) != v(b) for a, b in pairs)

    from .sample import sample_size_values

    try:
        sizes = sample_size_values(decls.values(), seed, list(constraints) + [differ],
                                   symbols=symbols, smallest=True)
    except InputError:
        return None  # the constraints force the sizes to agree
    by_name = {str(k): v for k, v in sizes.items()}
    value = lambda e: int(scalars.sympify(e).xreplace(  # noqa: E731
        {x: by_name[str(x)] for x in scalars.free_symbols(e)}))
    left_shape = tuple(value(a) for a, _ in pairs)
    right_shape = tuple(value(b) for _, b in pairs)
    shown = {k: v for k, v in by_name.items() if scalars.sympy_symbol(k) in symbols}
    return Counterexample(shown, seed, math.inf,
                          reason=f"shapes differ: left {left_shape}, right {right_shape}")
