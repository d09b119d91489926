"""The environment: what the declarations so far have defined.

`Env` holds dims, tensor declarations, lets, rules and the size relations
kinds imply; `execute_declaration` runs one declaration statement against it.
It sits above the builders (`expressions`, `rules`), which it runs for `let`
and `rule`; they only read an `Env`.
"""
from __future__ import annotations

from typing import Any, Iterable, Sequence

from . import sizes as Z
from . import syntax as S
from ..core import scalars
from ..core.diagram import Sum
from ..core.errors import error_at
from ..core.kinds import ARROW_KINDS, MATRIX_KINDS, Decl, Kind, closure, combine_kinds
from ..core.pattern import Rule
from .expressions import DELTA_NAMES, FUNCTIONS, build_expr
from .rules import build_rule


#: Keywords that may follow a factor inside an expression, so that a tensor of
#: that name could be declared and then not used (`v[i] to[i]` reads as
#: `draw ... to`): declaring one is refused with the reason.
EXPRESSION_KEYWORDS = {
    "to": "draw EXPR to FILE",
    "boxed": "draw EXPR boxed",
    "softmax": "softmax[k](EXPR)",
}

class Env:
    """What the declarations so far have defined: dims, tensors, lets, rules.

    `constraints` collects the size relations kinds imply when sizes are
    symbolic (an isometry's wide side is at least its tip; a unitary's and an
    invertible's two sides are equal), for the sampler to honour.
    """

    def __init__(self) -> None:
        self.dims: dict[str, Any] = {}
        self.decls: dict[str, Decl] = {}
        self.lets: dict[str, Sum] = {}
        self.rules: list[Rule] = []
        # `function f` / `function g(2)`: declared elementwise functions -> arity
        self.functions: dict[str, int] = {}
        self.function_lines: dict[str, int] = {}
        self.constraints: list[Any] = []
        self.filename: str | None = None
        # While True, a let is built as one opaque node (drawn as a labelled
        # box) instead of being inlined: see `expressions.build_boxed`.
        self.boxed = False
        self.let_exprs: dict[str, S.Expr] = {}

    def execute_declaration(self, stmt: S.Stmt) -> None:
        if isinstance(stmt, S.DimStmt):
            for item in stmt.items:
                self._fresh_name(item.name, item)
            Z.declare_dims(stmt, self.dims)
        elif isinstance(stmt, S.DeclStmt):
            self._declare_tensor(stmt)
        elif isinstance(stmt, S.FunctionStmt):
            self._declare_function(stmt)
        elif isinstance(stmt, S.LetStmt):
            self._let(stmt)
        elif isinstance(stmt, S.RuleStmt):
            self.rules.append(build_rule(stmt, self))
        else:
            raise error_at("not a declaration", stmt)

    # -- helpers -------------------------------------------------------------

    def _fresh_name(self, name: str, node: Any, allow_let: bool = False) -> None:
        if name in DELTA_NAMES:
            raise error_at(f"'{name}' is the built-in delta and cannot be redefined", node)
        if name in EXPRESSION_KEYWORDS:
            raise error_at(f"'{name}' is a keyword of the language ({EXPRESSION_KEYWORDS[name]}): "
                           "a use of it in an expression would not parse, so it cannot be "
                           "declared; choose another name", node)
        if name in self.functions:
            raise error_at(f"duplicate declaration of '{name}': it is declared as a function "
                           f"(line {self.function_lines.get(name, '?')})", node)
        if name in self.decls or name in self.dims or (name in self.lets and not allow_let):
            raise error_at(f"duplicate declaration of '{name}'", node)

    def _declare_function(self, st: S.FunctionStmt) -> None:
        """`function f` / `function g(2)` (LANGUAGE.md §10 "Functions")."""
        at = S.Ref(st.name, line=st.name_pos[0], column=st.name_pos[1],
                   end_line=st.name_pos[0], end_column=st.name_pos[1] + len(st.name))
        if st.name in FUNCTIONS or st.name in ("softmax", "pow"):
            raise error_at(f"'{st.name}' is a built-in function and cannot be redeclared", at)
        if st.name in self.decls:
            pos = self.decls[st.name].pos
            raise error_at(f"'{st.name}' is already declared as a tensor"
                           f"{f' (line {pos[0]})' if pos else ''}; a name is a tensor or a "
                           f"function, not both", at)
        self._fresh_name(st.name, at)
        if st.arity < 1:
            raise error_at(f"function {st.name}({st.arity}): a function takes at least one "
                           f"argument", st)
        self.functions[st.name] = st.arity
        self.function_lines[st.name] = st.line

    def _declare_tensor(self, st: S.DeclStmt) -> None:
        at = S.Ref(st.name, line=st.name_pos[0], column=st.name_pos[1],
                   end_line=st.name_pos[0], end_column=st.name_pos[1] + len(st.name))
        self._fresh_name(st.name, at)
        try:
            ks = combine_kinds(((["real"] if st.real else []) + st.kind.split()))
        except ValueError as e:
            raise error_at(f"{st.name}: {e}", at) from None
        kind = ks.kind
        words = ("real " if st.real else "") + st.kind
        names = [leg.name for leg in st.legs]
        for k, leg in enumerate(st.legs):
            if leg.name in names[:k]:
                raise error_at(f"leg '{leg.name}' is declared twice", leg)
        sizes = tuple(Z.evaluate(leg.size, self.dims) for leg in st.legs)
        n = len(sizes)
        every = closure({kind} | set(ks.also))
        if st.split is not None:
            split = st.split
        elif kind in ARROW_KINDS and n % 2 == 0:
            split = n // 2  # no arrow: rows then columns, half and half
        else:
            split = n
        if kind in ARROW_KINDS:
            if split in (0, n):
                raise error_at(f"{kind.value} {st.name} needs legs on both sides of '->'", at)
            self._side_constraint(st, at, kind, scalars.prod(sizes[:split]), scalars.prod(sizes[split:]))
        if (every & MATRIX_KINDS or (ks.also and Kind.INVERTIBLE in every)) and n != 2:
            raise error_at(f"{words} {st.name} is a matrix: it needs exactly two legs", at)
        if every & (MATRIX_KINDS | {Kind.SYMMETRIC, Kind.DIAGONAL}) and any(s != sizes[0] for s in sizes):
            raise error_at(f"{words} {st.name} needs all legs of one size", at)
        self.decls[st.name] = Decl(st.name, kind, tuple(names), sizes, split, real=ks.real,
                                   pos=(st.line, st.column), also=ks.also)

    def _side_constraint(self, st: S.DeclStmt, at: Any, kind: Kind, wide: Any, tip: Any) -> None:
        if kind is Kind.ISOMETRY:
            msg = f"isometry {st.name}: its tip side ({tip}) is larger than its wide side ({wide})"
        else:
            msg = f"{kind.value} {st.name}: its two sides have different sizes ({wide} and {tip})"
        # Numbers and monomials decide here (building sympy relations for ten
        # thousand concrete declarations is what made long files slow).
        if scalars.is_concrete(wide) and scalars.is_concrete(tip):
            ok = wide >= tip if kind is Kind.ISOMETRY else wide == tip
            if not ok:
                raise error_at(msg, at)
            return
        if (scalars.at_least(wide, tip) if kind is Kind.ISOMETRY else wide == tip):
            return
        sympy = scalars.sympy()
        wide, tip = scalars.sympify(wide), scalars.sympify(tip)
        rel = sympy.Ge(wide, tip) if kind is Kind.ISOMETRY else sympy.Eq(wide, tip)
        if rel is sympy.false:
            raise error_at(msg, at)
        if rel is not sympy.true:
            self.constraints.append(rel)

    def _let(self, st: S.LetStmt) -> None:
        self._fresh_name(st.name, st, allow_let=True)
        value = build_expr(st.expr, self)
        if st.indices is not None:
            names = []
            for slot in st.indices.slots:
                if not isinstance(slot, S.Index):
                    raise error_at("a let's legs are plain index names", slot)
                names.append(slot.name)
            if len(names) != len(set(names)):
                raise error_at("an index is listed twice in the let's legs", st.indices)
            unnamed = [f for f in value.free if not f.isidentifier()]
            if set(names) == set(value.free):
                value = reorder(value, names)
            elif unnamed and len(names) == len(value.free) and \
                    set(value.free) - set(unnamed) <= set(names):
                # Legs without a name of their own - grouped `(i j)` or matrix
                # sugar's positional ones - take the let's remaining names in
                # order: `let M[r, k] = T[i, j, k] -> [(i j), k]`.
                spare = iter(n for n in names if n not in value.free)
                renamed = [f if f.isidentifier() else next(spare) for f in value.free]
                value = reorder(Sum(tuple(t.renamed(renamed) for t in value.terms),
                                    tuple(renamed), value.sizes), names)
            else:
                raise error_at(f"the let's legs {names} are not the free indices of its value "
                           f"{list(value.free)}", st.indices)
        self.lets[st.name] = value
        self.let_exprs[st.name] = st.expr


def reorder(s: Sum, order: Sequence[str]) -> Sum:
    if tuple(order) == s.free:
        return s
    terms = tuple(t.with_free(list(order)) for t in s.terms)
    pos = {n: k for k, n in enumerate(s.free)}
    return Sum(terms, tuple(order), tuple(s.sizes[pos[n]] for n in order))


def build_program(stmts: Iterable[S.Stmt], env: Env | None = None) -> Env:
    """Execute every declaration of a program (commands are left to the session)."""
    env = env or Env()
    for st in stmts:
        if not isinstance(st, S.Command):
            env.execute_declaration(st)
    return env
