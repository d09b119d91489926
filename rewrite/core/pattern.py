"""Rules as data: the two sides of `rule NAME(VAR: KIND, ...): LHS => RHS`.

A rule side is a product of indexed atoms with a scalar in front - the same
index notation as everywhere else, plus two things only patterns need:

* pattern variables (the parenthesised parameters) stand for any tensor of a
  kind; every other tensor name stands for itself;
* leg-group variables `*w` stand for a run of consecutive legs.  On a tensor,
  `U[*w -> *t]` splits the legs at the declared wide/tip border; `X[*l, a]`
  gives the group every leg the single indices leave.  On a delta (whose legs
  are unordered) a single group takes the remaining legs.  A delta whose
  argument slots hold two or more groups zips them: `δ[*t, *s]` is one
  identity line per position, `δ[*a, *b, *c]` one three-leg delta per
  position (all groups of one length).  Groups written side by side in one slot,
  `δ[*a *b]`, are concatenated: one delta with every leg of both.

An index (or group) written twice in a side is an internal wire (leg by leg);
written once it is on the boundary, and both sides of a rule must have the same
boundary.  These values are produced by the language front end (`build`) and
consumed by the matcher (`match`) and the engine (`engine`), which never look
at syntax.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .kinds import Decl, Kind

DELTA = "δ"


@dataclass(frozen=True)
class Slot:
    """One argument position: an index `a`, or a run `*w`, or several runs `*a *b`."""

    names: tuple[str, ...]
    group: bool = False

    @property
    def name(self) -> str:
        return self.names[0]


@dataclass(frozen=True)
class Atom:
    """`conj(inv(X))[a, *w -> *t]`: a head, its wrappers and its argument slots.

    `head` is a pattern variable, a declared tensor's name, or `DELTA`.  `split`
    is the index in `args` where `->` was written, or None.
    """

    head: str
    args: tuple[Slot, ...]
    conj: bool = False
    op: str = ""  # "", "inv", "diag"
    split: int | None = None
    pos: tuple[int, int] | None = field(default=None, compare=False)
    # A bubble atom, `exp(E)[a]` or `softmax[k](E)[q, k]`: `fn` is the
    # function, `inner` its argument as a combination of expression variables
    # (coefficient, name) - one variable with coefficient ±1 on a left side,
    # `exp(E + F)` on a right side - and `axis` the slot name of a softmax's
    # axis.  `head` is then the first variable's name.
    fn: str = ""
    inner: tuple[tuple[Any, str], ...] = ()
    axis: str | None = None
    # A bubble whose argument is itself a product of atoms, as the partition
    # function in `pow(exp(E)[q, j] δ[j], -1)[q]`: `inner` is then empty and
    # `body` that product, its indices its own (the argument's free legs are
    # the ones written once, in order, and meet the bubble's legs by position).
    body: "Side | None" = None


@dataclass(frozen=True)
class Side:
    """A product of atoms times `coeff`, with its boundary in first-appearance order."""

    atoms: tuple[Atom, ...]
    coeff: Any = 1
    boundary: tuple[str, ...] = ()  # names of boundary indices and groups


def atoms_within(side: Side) -> list[Atom]:
    """Every atom of a side, those inside bubble arguments (`Atom.body`) included."""
    out = []
    for a in side.atoms:
        out.append(a)
        if a.body is not None:
            out.extend(atoms_within(a.body))
    return out


def variables_of(side: Side) -> set[str]:
    """The names a side's atoms stand on, at any depth: tensor heads (variables
    and declared names) and expression variables; not δ."""
    out = set()
    for a in atoms_within(side):
        out.update(name for _, name in a.inner)
        if a.head != DELTA and not a.fn:
            out.add(a.head)
    return out


@dataclass(frozen=True)
class VarKind:
    """What a pattern variable may match: a kind, and optionally only real tensors."""

    kind: Kind = Kind.GENERIC
    real: bool = False
    also: frozenset[Kind] = frozenset()
    # `E: expression` stands for the whole argument of a bubble (any sum)
    expression: bool = False

    def admits(self, decl: "Decl") -> bool:
        """May a tensor declared as `decl` stand for this variable?"""
        return (decl.is_a(self.kind) and all(decl.is_a(k) for k in self.also)
                and (decl.real or not self.real))


@dataclass(frozen=True)
class Rule:
    """A rewrite rule, LHS => RHS, with its variables and the tensors it names.

    `decls` holds the declarations of concrete (non-variable) tensor names, so
    the rule stays meaningful wherever it is applied.  `converse()` swaps the
    sides; the engine decides whether a rule may be used by `simplify` (it must
    shrink every diagram it touches) or only on request (an expansion).
    """

    name: str
    params: dict[str, VarKind]
    lhs: Side
    rhs: Side
    decls: dict[str, Decl] = field(default_factory=dict)
    groups: frozenset[str] = frozenset()
    pos: tuple[int, int] | None = field(default=None, compare=False)
    filename: str | None = field(default=None, compare=False)
    source: str = field(default="", compare=False)

    def converse(self) -> "Rule":
        return Rule("-" + self.name if not self.name.startswith("-") else self.name[1:],
                    self.params, self.rhs, self.lhs, self.decls, self.groups,
                    self.pos, self.filename, self.source)
