"""Tensor declarations and what their kinds mean.

A declaration (`tensor A[i: n, j: m]`, `isometry U[a: n -> b: k]`, ...) is the
only place a tensor's legs, sizes and algebraic promises are written down.  Both
the rule engine (which law may fire) and the numeric sampler (which random
instance honours the law) read them from here, so a kind's meaning lives in one
module.

Kinds form a small hierarchy: a `unitary` is an `isometry` both ways, and the
`fuse` node made by grouped legs `(i k)` is a real unitary from its parts (wide
side) to the whole (tip side).  `is_a` answers "may a pattern variable of kind K
match this tensor".
"""
from __future__ import annotations

from functools import lru_cache
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Kind(str, Enum):
    GENERIC = "tensor"
    ISOMETRY = "isometry"
    UNITARY = "unitary"
    INVERTIBLE = "invertible"
    SYMMETRIC = "symmetric"
    DIAGONAL = "diagonal"
    HERMITIAN = "hermitian"
    PSD = "psd"
    PROJECTOR = "projector"
    ANTISYMMETRIC = "antisymmetric"
    ORTHOGONAL = "orthogonal"

    def __str__(self) -> str:  # pragma: no cover - cosmetic
        return self.value


# kind -> the kinds it also is (a unitary is an isometry and invertible).
_PARENTS: dict[Kind, frozenset[Kind]] = {
    Kind.GENERIC: frozenset(),
    Kind.ISOMETRY: frozenset(),
    Kind.UNITARY: frozenset({Kind.ISOMETRY, Kind.INVERTIBLE}),
    Kind.INVERTIBLE: frozenset(),
    Kind.SYMMETRIC: frozenset(),
    Kind.DIAGONAL: frozenset({Kind.SYMMETRIC}),
    Kind.HERMITIAN: frozenset(),
    Kind.PSD: frozenset({Kind.HERMITIAN}),
    Kind.PROJECTOR: frozenset({Kind.PSD, Kind.HERMITIAN}),
    Kind.ANTISYMMETRIC: frozenset(),
    # An orthogonal tensor is a real unitary (its declaration is always real).
    Kind.ORTHOGONAL: frozenset({Kind.UNITARY, Kind.ISOMETRY, Kind.INVERTIBLE}),
}

#: Kinds whose tensor is a square matrix: exactly two legs of one size.
MATRIX_KINDS = frozenset({Kind.HERMITIAN, Kind.PSD, Kind.PROJECTOR, Kind.ANTISYMMETRIC})
#: Kinds with two sides split by `->` (wide/tip, rows/columns).
ARROW_KINDS = frozenset({Kind.ISOMETRY, Kind.UNITARY, Kind.ORTHOGONAL, Kind.INVERTIBLE})
#: Which word is the primary kind of a combination (the one that fixes how the
#: legs split and how the tensor is drawn): earlier wins.
_PRIMARY = (Kind.ORTHOGONAL, Kind.UNITARY, Kind.ISOMETRY, Kind.DIAGONAL, Kind.PROJECTOR,
            Kind.PSD, Kind.HERMITIAN, Kind.ANTISYMMETRIC, Kind.INVERTIBLE, Kind.SYMMETRIC,
            Kind.GENERIC)


#: Kind by its word in a declaration.
_NAMES = {k.value: k for k in Kind}


def closure(kinds: frozenset[Kind] | set[Kind]) -> frozenset[Kind]:
    """The kinds together with every kind they imply."""
    return _closure(frozenset(kinds))


@lru_cache(maxsize=256)
def _closure(kinds: frozenset[Kind]) -> frozenset[Kind]:
    """The kinds together with every kind they imply."""
    out = set(kinds)
    for k in kinds:
        out |= _PARENTS[k]
    out.discard(Kind.GENERIC)
    return frozenset(out)


@dataclass(frozen=True)
class KindSet:
    """A resolved kind combination: primary kind, the others, and realness."""

    kind: Kind
    also: frozenset[Kind]
    real: bool


def combine_kinds(words: list[str] | tuple[str, ...]) -> KindSet:
    """Resolve declaration words (`real symmetric invertible`) into a KindSet
    (see `_combine_kinds`); remembered per combination of words, since a
    generated program declares 10^5 tensors with a handful of combinations."""
    return _combine_kinds(tuple(words))


@lru_cache(maxsize=256)
def _combine_kinds(words: tuple[str, ...]) -> KindSet:
    """Resolve declaration words (`real symmetric invertible`) into a KindSet.

    Raises ValueError with a user-facing sentence for unknown words and for
    combinations no nonzero tensor satisfies or that cannot be sampled
    honestly (`antisymmetric psd`, `projector invertible`, ...).  Some
    combinations imply more: a real hermitian matrix is symmetric, a symmetric
    hermitian one is real.
    """
    real = False
    kinds: set[Kind] = set()
    names = _NAMES
    for w in words:
        if w == "real":
            real = True
        elif w in names:
            kinds.add(names[w])
        else:
            raise ValueError(f"unknown kind '{w}' (kinds: {', '.join(names)}, and 'real')")
    c = closure(kinds)
    phrase = " ".join(words)

    def bad(why: str) -> ValueError:
        return ValueError(f"'{phrase}': {why}")

    if Kind.ORTHOGONAL in c:
        real = True
    if c & {Kind.ISOMETRY}:
        extra = c - {Kind.ISOMETRY, Kind.UNITARY, Kind.ORTHOGONAL, Kind.INVERTIBLE}
        if Kind.INVERTIBLE in kinds and Kind.UNITARY not in c:
            extra |= {Kind.INVERTIBLE}
        if extra:
            raise bad(f"{' and '.join(sorted(k.value for k in extra))} cannot be combined "
                      f"with {'an isometry' if Kind.UNITARY not in c else 'a unitary'}")
    if Kind.ANTISYMMETRIC in c:
        for other in (Kind.SYMMETRIC, Kind.PSD, Kind.DIAGONAL, Kind.INVERTIBLE):
            if other in c:
                why = ("an antisymmetric matrix of odd size is singular"
                       if other is Kind.INVERTIBLE else "only the zero tensor is both")
                raise bad(f"antisymmetric and {other.value} are incompatible ({why})")
        if Kind.HERMITIAN in c and real:
            raise bad("a real antisymmetric matrix is hermitian only when it is zero")
    if Kind.PROJECTOR in c and Kind.INVERTIBLE in c:
        raise bad("the only invertible projector is the identity")
    if Kind.HERMITIAN in c and (real or Kind.SYMMETRIC in c):
        # real hermitian = real symmetric; symmetric hermitian = real
        real = True
        c = c | {Kind.SYMMETRIC}
    primary = next(k for k in _PRIMARY if k in c or k is Kind.GENERIC)
    return KindSet(primary, frozenset(c - {primary} - _PARENTS[primary]), real)


def kind_is_a(kind: Kind, wanted: Kind, also: frozenset[Kind] = frozenset()) -> bool:
    """True when a tensor of `kind` (and the further kinds `also`) satisfies every law of `wanted`."""
    return (wanted is Kind.GENERIC or kind is wanted or wanted in _PARENTS[kind]
            or any(wanted is k or wanted in _PARENTS[k] for k in also))


@dataclass(frozen=True, slots=True)
class Decl:
    """A declared tensor: its name, kind, ordered legs and their sizes.

    `split` is the number of legs before `->` (the wide side of an isometry, the
    row side of an invertible); it equals `len(legs)` when no arrow was written.
    Sizes are ints, or sympy expressions where a size symbol appears (core/scalars).
    """

    name: str
    kind: Kind
    legs: tuple[str, ...]
    sizes: tuple[Any, ...]
    split: int
    real: bool = False
    # "fuse" for the grouped-leg tensor, whose entries are fixed, not sampled.
    builtin: str | None = None
    # Where the declaration was written (line, column), for messages.
    pos: tuple[int, int] | None = field(default=None, compare=False, hash=False)
    # Further kinds of a combination (`symmetric invertible`: kind INVERTIBLE,
    # also {SYMMETRIC}); see combine_kinds.
    also: frozenset[Kind] = frozenset()

    @property
    def arity(self) -> int:
        return len(self.legs)

    @property
    def symmetric_ports(self) -> bool:
        """Ports of symmetric and diagonal tensors are interchangeable."""
        return kind_is_a(self.kind, Kind.SYMMETRIC, self.also)

    def is_a(self, wanted: Kind) -> bool:
        return kind_is_a(self.kind, wanted, self.also)

    @property
    def kinds(self) -> frozenset[Kind]:
        """Every kind this tensor is, implied ones included."""
        return closure({self.kind} | set(self.also))

    @property
    def kind_words(self) -> str:
        """The declaration's kind as it would be written (`real symmetric invertible`)."""
        words = (["real"] if self.real and self.kind is not Kind.ORTHOGONAL else [])
        words += sorted(k.value for k in self.also) + [self.kind.value]
        return " ".join(words)

    @property
    def key(self) -> tuple:
        """Identity of the tensor for matching and canonical forms."""
        return (self.name, self.kind.value, self.real, self.split,
                tuple(str(s) for s in self.sizes)) + tuple(sorted(k.value for k in self.also))


def fuse_decl(parts: tuple[Any, ...]) -> Decl:
    """The declaration of the fuse tensor joining legs of `parts` sizes into one.

    A fuse is the 0/1 tensor F[p1, ..., pk, w] with w = row-major index of
    (p1, ..., pk).  It is a real unitary from the parts to the whole, so the
    isometry and unitary rules cancel a fuse against its split; its name encodes
    the part sizes because two fuses are the same tensor exactly when those agree.
    """
    from . import scalars

    whole = scalars.prod(parts)
    name = "fuse(" + ",".join(str(p) for p in parts) + ")"
    legs = tuple(f"p{i}" for i in range(len(parts))) + ("w",)
    return Decl(name=name, kind=Kind.UNITARY, legs=legs, sizes=tuple(parts) + (whole,),
                split=len(parts), real=True, builtin="fuse")


#: Fixed 0/1 matrices the language has built in, by name: entry [q, k] is 1 when
#: the test holds.  `shift(n)` is the previous-token attention pattern
#: (k = q - 1, an off-diagonal delta); `tril(n)`/`triu(n)` are the causal masks.
FIXED_MATRICES = {
    "shift": "k = q - 1",
    "tril": "k <= q",
    "triu": "k >= q",
}


def fixed_decl(which: str, size: Any) -> Decl:
    """The declaration of the built-in matrix `which(size)` (see FIXED_MATRICES).

    Like a fuse, its entries are fixed, not sampled, and its name says which
    matrix and size it is, so two uses of `shift(n)` are the same tensor.
    """
    if which not in FIXED_MATRICES:
        raise ValueError(f"no built-in matrix {which}")
    return Decl(name=f"{which}({size})", kind=Kind.GENERIC, legs=("q", "k"), sizes=(size, size),
                split=2, real=True, builtin=which)
