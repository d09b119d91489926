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
}


def kind_is_a(kind: Kind, wanted: Kind) -> bool:
    """True when a tensor of `kind` satisfies every law of `wanted`."""
    return wanted is Kind.GENERIC or kind is wanted or wanted in _PARENTS[kind]


@dataclass(frozen=True)
class Decl:
    """A declared tensor: its name, kind, ordered legs and their sizes.

    `split` is the number of legs before `->` (the wide side of an isometry, the
    row side of an invertible); it equals `len(legs)` when no arrow was written.
    Sizes are sympy expressions (positive-integer symbols or integers).
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

    @property
    def arity(self) -> int:
        return len(self.legs)

    @property
    def symmetric_ports(self) -> bool:
        """Ports of symmetric and diagonal tensors are interchangeable."""
        return kind_is_a(self.kind, Kind.SYMMETRIC)

    def is_a(self, wanted: Kind) -> bool:
        return kind_is_a(self.kind, wanted)

    @property
    def key(self) -> tuple:
        """Identity of the tensor for matching and canonical forms."""
        return (self.name, self.kind.value, self.real, self.split,
                tuple(str(s) for s in self.sizes))


def fuse_decl(parts: tuple[Any, ...]) -> Decl:
    """The declaration of the fuse tensor joining legs of `parts` sizes into one.

    A fuse is the 0/1 tensor F[p1, ..., pk, w] with w = row-major index of
    (p1, ..., pk).  It is a real unitary from the parts to the whole, so the
    isometry and unitary rules cancel a fuse against its split; its name encodes
    the part sizes because two fuses are the same tensor exactly when those agree.
    """
    import sympy

    whole = sympy.Mul(*parts)
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
