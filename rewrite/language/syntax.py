"""The syntax tree of the `.tn` language: plain frozen values with positions.

The tree says what was written, nothing more: names are not resolved and
sizes are not evaluated (that is `build`'s job, under an `Env`).  Keeping it
free of semantics lets the printer, the REPL and error messages share one
faithful record of the input.  Every node carries `line`, `column` (1-based)
and `end_column` (exclusive; on line `end_line`) of the text it came from, so any later error can
put a caret under the offending token.  Nodes have `__slots__`: a 10^5-site
program makes two million of them, 400 MB more with an instance dict each.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union


@dataclass(frozen=True, kw_only=True, slots=True)
class Located:
    # Positions are where a node was written, not what it is: equality ignores them.
    line: int = field(default=0, compare=False)
    column: int = field(default=0, compare=False)
    end_column: int = field(default=0, compare=False)
    end_line: int = field(default=0, compare=False)

    @property
    def pos(self) -> tuple[int, int]:
        return (self.line, self.column)


# ------------------------------------------------------------------- sizes


@dataclass(frozen=True, slots=True)
class Size(Located):
    """A product of size names and integers, `n*m` or `2*d`."""

    factors: tuple[Union[str, int], ...]


# ----------------------------------------------------------------- indices


@dataclass(frozen=True, slots=True)
class Index(Located):
    """An index `i`, optionally annotated with its size `i: n`."""

    name: str
    size: Size | None = None


@dataclass(frozen=True, slots=True)
class Group(Located):
    """Grouped legs `(i k)`: one leg of the product size, row-major."""

    parts: tuple[Index, ...]


@dataclass(frozen=True, slots=True)
class Stars(Located):
    """Leg-group variables in one slot, `*w` or `*a *b` (rules only)."""

    names: tuple[str, ...]


Slot = Union[Index, Group, Stars]


@dataclass(frozen=True, slots=True)
class IndexList(Located):
    """`[a, b -> c]`: the slots and where `->` was written (None if nowhere)."""

    slots: tuple[Slot, ...]
    split: int | None = None


# ------------------------------------------------------------- expressions


@dataclass(frozen=True, slots=True)
class Num(Located):
    """A number or fraction, kept as text for sympy (`2`, `0.5`, `1/2`)."""

    text: str


@dataclass(frozen=True, slots=True)
class Str(Located):
    """A string literal (einsum specs, file names), quotes removed."""

    value: str


@dataclass(frozen=True, slots=True)
class Ref(Located):
    """A name, bare (`psi`) or indexed (`A[i, j]`)."""

    name: str
    indices: IndexList | None = None


@dataclass(frozen=True, slots=True)
class Call(Located):
    """`fn(args...)`, optionally indexed: `conj(U)[a, b]`, `relu(x)`, `einsum(...)`."""

    fn: str
    args: tuple["Arg", ...]
    indices: IndexList | None = None


@dataclass(frozen=True, slots=True)
class Softmax(Located):
    """`softmax[k](expr)`: normalised along index `axis`."""

    axis: Index
    arg: "Expr"
    indices: IndexList | None = None


@dataclass(frozen=True, slots=True)
class Paren(Located):
    """`(expr)`, optionally with its free legs renamed positionally: `(expr)[i, j]`."""

    expr: "Expr"
    indices: IndexList | None = None


@dataclass(frozen=True, slots=True)
class Attr(Located):
    """Matrix sugar postfix `A.T` / `A.H`."""

    base: "Factor"
    attr: str


@dataclass(frozen=True, slots=True)
class MatMul(Located):
    """`A @ B @ v`."""

    operands: tuple["Factor", ...]


@dataclass(frozen=True, slots=True)
class Scale(Located):
    """`left * right` or `left / right`: scaling by numbers and sizes."""

    left: "Factor"
    op: str
    right: "Factor"


@dataclass(frozen=True, slots=True)
class Product(Located):
    """Juxtaposition: numbers, dims and tensors side by side."""

    factors: tuple["Factor", ...]


@dataclass(frozen=True, slots=True)
class Term(Located):
    sign: int
    product: Product


@dataclass(frozen=True, slots=True)
class SumExpr(Located):
    """Terms joined by `+`/`-`, with an optional explicit output `-> [k, i]`."""

    terms: tuple[Term, ...]
    output: tuple[Union[Index, Group], ...] | None = None


Factor = Union[Num, Ref, Call, Softmax, Paren, Attr, MatMul, Scale]
Expr = SumExpr
Arg = Union[SumExpr, Str]


# --------------------------------------------------------------- statements


@dataclass(frozen=True, slots=True)
class DimItem(Located):
    name: str
    value: Size | None = None


@dataclass(frozen=True, slots=True)
class DimStmt(Located):
    items: tuple[DimItem, ...]


@dataclass(frozen=True, slots=True)
class LegDecl(Located):
    name: str
    size: Size


@dataclass(frozen=True, slots=True)
class DeclStmt(Located):
    """`real isometry U[a: n -> b: k]`; `split` is None when no `->` was written."""

    kind: str
    real: bool
    name: str
    legs: tuple[LegDecl, ...]
    split: int | None = None
    name_pos: tuple[int, int] = field(default=(0, 0), compare=False)  # where NAME is


@dataclass(frozen=True, slots=True)
class FunctionStmt(Located):
    """`function g(2)`: an opaque elementwise function of `arity` arguments."""

    name: str
    arity: int = 1
    name_pos: tuple[int, int] = field(default=(0, 0), compare=False)  # where NAME is


@dataclass(frozen=True, slots=True)
class LetStmt(Located):
    name: str
    indices: IndexList | None
    expr: Expr


@dataclass(frozen=True, slots=True)
class Param(Located):
    """A rule parameter `X: real isometry`; kind words unresolved."""

    name: str
    kind: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RuleStmt(Located):
    name: str
    params: tuple[Param, ...]
    lhs: Expr
    rhs: Expr
    arrow: tuple[int, int] = (0, 0)  # where `=>` was written
    source: str = ""


@dataclass(frozen=True, slots=True)
class Command(Located):
    """`simplify/show/expand/cost/draw E`, `prove/check L == R`, or a bare `E`.

    A bare expression statement has verb "show" and `bare=True`.
    """

    verb: str
    expr: Expr
    rhs: Expr | None = None
    target: str | None = None
    bare: bool = False
    boxed: bool = False  # `draw E boxed`: named lets drawn as labelled boxes


Stmt = Union[DimStmt, DeclStmt, FunctionStmt, LetStmt, RuleStmt, Command]
