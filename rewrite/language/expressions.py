"""Expressions -> `Sum`s of diagrams, and the registry of built-in functions.

`build_expr` builds each term of a sum as one `Product` (see `product`):
plain indexed tensors and deltas become occurrences directly; everything
else (parenthesised expressions, let names, function calls, matrix sugar) is
built on its own first and embedded by its free legs.

Every built-in function is one `Function` in `FUNCTIONS`: its name, how it
is written, what it does, how many arguments it takes and how it is built.
The builder dispatches through it, the REPL completes and highlights from
it, and a test keeps docs/language.md listing every entry.  Elementwise
functions (bubbles) come from `core.functions.ELEMENTWISE`, which also says
their derivatives.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from . import sizes as Z
from . import sugar
from . import syntax as S
from ..core import scalars
from ..core.diagram import BubbleNode, Diagram, Sum, TensorNode
from ..core.errors import InputError, error_at, near
from ..core.functions import ELEMENTWISE, declared_name, lookup, parse_declared, pow_name
from ..core.kinds import FIXED_MATRICES, Decl, Kind, fixed_decl
from ..core.limits import check_number
from .product import Product, UnsizedIndex, checked_bubble

if TYPE_CHECKING:  # the environment sits above the builders (it runs them)
    from .env import Env

DELTA_NAMES = ("δ", "delta")


# ------------------------------------------------------------------ expressions


def _bare_let(expr: S.Expr, env: Env) -> str | None:
    """The let's name when `expr` is nothing but a let's name (`out`)."""
    if len(expr.terms) != 1 or expr.output is not None or expr.terms[0].sign < 0:
        return None
    factors = expr.terms[0].product.factors
    if len(factors) == 1 and isinstance(factors[0], S.Ref) and factors[0].indices is None:
        return factors[0].name if factors[0].name in env.let_exprs else None
    return None


def build_boxed(expr: S.Expr, env: Env) -> Sum:
    """The expression for a picture with every named let kept as one
    labelled box (`draw E boxed`, `rewrite draw --boxes`): a two-layer model
    then fits a page.  A bare let name is opened one level, so `draw out
    boxed` shows what `out` is made of.  The value is for drawing only: its
    boxes are opaque nodes, not the lets' tensors."""
    name = _bare_let(expr, env)
    target = env.let_exprs[name] if name else expr
    before, env.boxed = env.boxed, True
    try:
        return build_expr(target, env)
    finally:
        env.boxed = before


def build_picture(expr: S.Expr, env: Env, boxed: bool = False) -> Sum:
    """The value to draw for `expr`: with `boxed`, lets kept as boxes (see
    `build_boxed`); else a bare let name is the let's own sum, drawn as its
    terms rather than as one Σ box around them."""
    if boxed:
        return build_boxed(expr, env)
    name = _bare_let(expr, env)
    return env.lets[name] if name else build_expr(expr, env)


def picture_base(expr: S.Expr, env: Env) -> Sum | None:
    """For `diff(E, T)` alone: E, whose picture the derivative's follows, so
    that the hole keeps the place of the removed tensor.  Else None."""
    if len(expr.terms) != 1 or expr.output is not None:
        return None
    factors = expr.terms[0].product.factors
    if len(factors) == 1 and isinstance(factors[0], S.Call) and factors[0].fn == "diff" \
            and factors[0].indices is None and len(factors[0].args) == 2:
        return _arg_sum(factors[0], 0, env)
    return None


def build_expr(expr: S.Expr, env: Env, sizes: Mapping[str, Any] | None = None) -> Sum:
    """An expression as a `Sum` of diagrams with one ordered set of free legs.

    `sizes` gives sizes for free indices that nothing in the expression sizes
    (the lone `δ[b, c]` on one side of `prove L == δ[b, c]`); see `build_equation`.
    """
    terms: list[Diagram] = []
    order: list[str] | None = None
    first_set: set[str] = set()
    for term, diagrams in _sized_terms(expr, env, sizes):
        for d in diagrams:
            if term.sign < 0:
                d.scalar = -d.scalar
            if order is None:
                order = list(d.free)
                first_set = set(order)
            elif set(d.free) != first_set:
                if not _by_position(d.free, order):
                    raise error_at(f"the terms of a sum must have the same free indices: this "
                                   f"term has {sorted(d.free)}, the first has {sorted(first_set)}"
                                   f"{_ones_hint(d.free, order)}", term)
                _same_sizes(d.free_sizes, terms[0].free_sizes if terms else d.free_sizes, term)
                if _anonymous(d.free):
                    d = d.renamed(order)
                else:  # the earlier terms were sugar: they take this term's names
                    order = list(d.free)
                    first_set = set(order)
                    terms = [t.renamed(order) for t in terms]
            else:
                d = d.with_free(order)
                # Same legs, same sizes: a zero coefficient later must not
                # make `a[i] + 0 b[i]` with i of sizes 2 and 3 look well formed.
                for name, mine, first in zip(order, d.free_sizes, terms[0].free_sizes):
                    if not Z.same(mine, first):
                        raise error_at(f"the terms of a sum must give each index one size: "
                                       f"{name} has size {mine} here, {first} in the first "
                                       f"term", term)
            terms.append(d)
    if order is None:  # a derivative that is zero: the empty sum, legs of the diff
        zero = _diff(expr.terms[0].product.factors[0], env)
        return Sum((), zero.free, zero.sizes)
    return Sum(tuple(terms), tuple(order), tuple(terms[0].free_sizes))


def _sized_terms(expr: S.Expr, env: Env, sizes: Mapping[str, Any] | None
                 ) -> list[tuple[S.Term, list[Diagram]]]:
    """Each term of a sum with its diagrams.  A term with a free index that
    nothing in it sizes (the δ of `A[i, j] + δ[i, j]`) takes the size that the
    other terms give the index of that name (§2: a delta's legs take their
    sizes from what they connect to), after them; `sizes` (the other side of
    an equation) still comes first."""
    built: list[tuple[S.Term, list[Diagram] | None]] = []
    unsized: UnsizedIndex | None = None
    for term in expr.terms:
        try:
            built.append((term, _term_diagrams(term, expr.output, env, sizes)))
        except UnsizedIndex as e:
            if len(expr.terms) == 1:
                raise
            unsized = unsized or e
            built.append((term, None))
    if unsized is None:
        return built  # type: ignore[return-value]
    hints = dict(sizes or {})
    for _, diagrams in built:
        for d in diagrams or ():
            for name, size in zip(d.free, d.free_sizes):
                if not name.startswith("#"):
                    hints.setdefault(name, size)
    return [(term, diagrams if diagrams is not None
             else _term_diagrams(term, expr.output, env, hints)) for term, diagrams in built]


def _ones_hint(legs: Sequence[str], other: Sequence[str]) -> str:
    """What to write when a term without free legs meets terms with legs
    (`2 sigmoid(x[i]) - 1`, `tr(A) + x[i]`): nothing is broadcast; the
    all-ones tensor is a one-legged δ per leg."""
    if legs and other:
        return ""
    named = [x for x in (other or legs) if not x.startswith("#")]
    ones = (" ".join(f"δ[{x}]" for x in named) if len(named) == len(other or legs)
            else "a one-legged δ per leg")
    return (f"; a term without free legs is not spread over the others' legs: "
            f"multiply it by the all-ones tensor, {ones}")


def _anonymous(legs: Sequence[str]) -> bool:
    """Legs made by matrix sugar (`A.T`, `A @ B`, `eye(n)`) have no names of their own."""
    return all(x.startswith("#") for x in legs)


def _by_position(legs: Sequence[str], first: Sequence[str]) -> bool:
    """Whether a term meets the others by position (§10 "sugar meets names"):
    as many legs, and the term's or the earlier terms' legs all anonymous."""
    return len(legs) == len(first) and (_anonymous(legs) or _anonymous(first))


def _same_sizes(a: Sequence[Any], b: Sequence[Any], at: Any) -> None:
    for k, (x, y) in enumerate(zip(a, b)):
        if not scalars.equal(x, y):
            raise error_at(f"the terms of a sum meet by position, but leg {k + 1} has size {x} "
                           f"here and {y} in the first term", at)


def _term_diagrams(term: S.Term, output: Any, env: Env,
                   sizes: Mapping[str, Any] | None) -> list[Diagram]:
    """One diagram per term, except that a term that is only `diff(...)` gives
    the derivative's own terms (so `show diff(...)` prints a sum, not a box)."""
    factors = term.product.factors
    if (len(factors) == 1 and isinstance(factors[0], S.Call) and factors[0].fn == "diff"
            and factors[0].indices is None and output is None):
        return [t.copy() for t in _diff(factors[0], env).terms]
    return [_build_product(factors, output, env, term, sizes)]


def _build_product(factors: Sequence[Any], output: Sequence[Any] | None, env: Env,
                   at: Any, sizes: Mapping[str, Any] | None = None) -> Diagram:
    p = Product()
    for f in factors:
        _factor(f, p, env, sizes)
    return p.finish(output, env.dims, at, sizes)


def build_equation(stmt: S.Command, env: Env) -> tuple[Sum, Sum]:
    """Both sides of `prove L == R` / `check L == R`, each sizing the other's lone deltas.

    A side like `δ[b, c]` has no size of its own; it takes the sizes of the
    other side's free legs - by name when that side has the index, otherwise by
    position in the explicit output `-> [...]`.
    """
    assert stmt.rhs is not None
    for zero, other in ((stmt.rhs, stmt.expr), (stmt.expr, stmt.rhs)):
        if _bare_zero(zero, env) and not _bare_zero(other, env):
            built = build_expr(other, env)
            empty = Sum((), built.free, built.sizes)
            return (built, empty) if zero is stmt.rhs else (empty, built)
    try:
        left = build_expr(stmt.expr, env)
    except InputError as first:
        try:
            right = build_expr(stmt.rhs, env)
        except InputError:
            raise first from None
        return build_expr(stmt.expr, env, size_hints(right, stmt.expr)), right
    return left, build_expr(stmt.rhs, env, size_hints(left, stmt.rhs))


def _bare_zero(expr: S.Expr, env: Env) -> bool:
    """A side whose value is the number 0 (§10 "Zero": the other side's zero
    tensor): `0`, and equally `2 (0)`, `-(0)`, `1e0 (0)` or `0 - 0`, so that
    scaling a side never changes what it means."""
    if expr.output is not None:
        return False
    total: Any = 0
    for term in expr.terms:
        values = [scalar_of(f, env) for f in term.product.factors]
        if any(v is None for v in values):
            return False
        total = scalars.add(total, scalars.mul(term.sign, *values))
    return total == 0


def size_hints(other: Sum, expr: S.Expr) -> dict[str, Any]:
    """Sizes `other` gives to the free indices of `expr` (by name, or by position
    in `expr`'s explicit output): what sizes a lone delta on one side of an equation."""
    hints = dict(zip(other.free, other.sizes))
    lone = _lone_delta(expr)
    if lone is not None and len(lone) == len(other.free) and set(lone) != set(other.free):
        # a lone δ takes the other side's sizes by position when the names differ
        hints.update(zip(lone, other.sizes))
    if expr.output is not None and len(expr.output) == len(other.free):
        for item, size in zip(expr.output, other.sizes):
            if isinstance(item, S.Index):
                hints.setdefault(item.name, size)
    return hints


def _lone_delta(expr: S.Expr) -> list[str] | None:
    """The free index names, in order, of an expression that is one `δ[...]`."""
    if len(expr.terms) != 1 or len(expr.terms[0].product.factors) != 1:
        return None
    f = expr.terms[0].product.factors[0]
    if not (isinstance(f, S.Ref) and f.name in DELTA_NAMES and f.indices is not None):
        return None
    names = [s.name for s in f.indices.slots if isinstance(s, S.Index)]
    if len(names) != len(f.indices.slots):
        return None
    once = [n for n in names if names.count(n) == 1]
    return list(expr.output and [o.name for o in expr.output if isinstance(o, S.Index)] or once)


def _sum_of(factor: Any, env: Env) -> Sum:
    return Sum.of(_build_product([factor], None, env, factor))


def _slots(idx: S.IndexList | None) -> list[Any] | None:
    if idx is None:
        return None
    if idx.split is not None:
        raise error_at("'->' inside an index list is only allowed in rules", idx)
    for slot in idx.slots:
        if isinstance(slot, S.Stars):
            raise error_at("leg-group variables (*w) are only allowed in rules", slot)
    return list(idx.slots)


def _number(f: S.Num) -> Any:
    check_number(f.text, f.line, f.column)
    try:
        return scalars.number(f.text)
    except (ZeroDivisionError, ValueError, TypeError):
        raise error_at(f"'{f.text}' is not a number (division by zero?)", f) from None


def scalar_of(f: Any, env: Env) -> Any:
    """The value of a factor made only of numbers and sizes (`2`, `n`, `5*3`,
    `1/n`), or None when the factor has tensors in it."""
    if isinstance(f, S.Num):
        return _number(f)
    if isinstance(f, S.Ref) and f.indices is None and f.name in env.dims:
        return env.dims[f.name]
    if isinstance(f, S.Paren) and f.indices is None and f.expr.output is None \
            and len(f.expr.terms) == 1:
        values = [scalar_of(g, env) for g in f.expr.terms[0].product.factors]
        if all(v is not None for v in values):
            return scalars.mul(f.expr.terms[0].sign, *values)
        return None
    if isinstance(f, S.Scale):
        a, b = scalar_of(f.left, env), scalar_of(f.right, env)
        if a is None or b is None:
            return None
        if f.op == "*":
            return scalars.mul(a, b)
        if b == 0:
            raise error_at("division by zero", f.right)
        return scalars.div(a, b)
    return None


def _scale(f: S.Scale, p: Product, env: Env, sizes: Mapping[str, Any] | None = None) -> None:
    if f.op == "/":
        den = scalar_of(f.right, env)
        if den is None:
            raise error_at("only numbers and sizes can divide: the right side of '/' has "
                           "tensors in it", f.right)
        if den == 0:
            raise error_at("division by zero", f.right)
        p.d.scalar = scalars.div(p.d.scalar, den)
        _factor(f.left, p, env, sizes)
        return
    if scalar_of(f.left, env) is None and scalar_of(f.right, env) is None:
        raise error_at("'*' scales by numbers and sizes; write tensors side by side, as in "
                       "A[i, j] B[j, k], to multiply (and contract) them", f)
    _factor(f.left, p, env, sizes)
    _factor(f.right, p, env, sizes)


def _factor(f: Any, p: Product, env: Env, sizes: Mapping[str, Any] | None = None) -> None:
    """Add one factor to the product.  `sizes` (what sizes the product's free
    indices from outside: the other side of an equation, the other terms of a
    sum) reaches a parenthesised expression whose legs keep their names, so
    `2 (δ[b, c])` and `-(-δ[b, c])` are sized like `δ[b, c]`."""
    if isinstance(f, S.Num):
        p.d.scalar = p.d.scalar * _number(f)
    elif isinstance(f, S.Scale):
        _scale(f, p, env, sizes)
    elif isinstance(f, S.Ref):
        _ref(f, p, env)
    elif isinstance(f, S.Call):
        _call(f, p, env)
    elif isinstance(f, S.Softmax):
        FUNCTIONS["softmax"].build(f, p, env, _slots(f.indices))
    elif isinstance(f, S.Paren):
        inner = build_expr(f.expr, env, sizes if f.indices is None else None)
        p.embed(inner, _slots(f.indices), env.dims, f, "the parenthesised expression")
    elif isinstance(f, S.Attr):
        p.embed(sugar.transpose(_sum_of(f.base, env), f.attr, f), None, env.dims, f, "")
    elif isinstance(f, S.MatMul):
        operands = [(_sum_of(op, env), op) for op in f.operands]
        p.embed(sugar.matmul(operands, f), None, env.dims, f, "")
    else:  # pragma: no cover
        raise error_at("unexpected expression", f)


def _ref(f: S.Ref, p: Product, env: Env) -> None:
    name = f.name
    if name in DELTA_NAMES:
        if f.indices is None:
            raise error_at("δ needs its indices, as in δ[i, j]", f)
        p.delta(_slots(f.indices), env.dims, f)
    elif name in env.decls:
        p.tensor(TensorNode(env.decls[name]), _slots(f.indices), env.dims, f, name)
    elif name in env.lets and env.boxed:
        value = env.lets[name]
        box = Decl(name, Kind.GENERIC, tuple(value.free), tuple(value.sizes), len(value.free), builtin="let")
        p.tensor(TensorNode(box), _slots(f.indices), env.dims, f, name)
    elif name in env.lets:
        p.embed(env.lets[name], _slots(f.indices), env.dims, f, name)
    elif name in env.dims and f.indices is None:
        p.d.scalar = p.d.scalar * env.dims[name]
    elif name in env.functions:
        raise error_at(f"'{name}' is a function: call it, as in {name}(x[i])", f)
    else:
        raise error_at(f"unknown name '{name}'{near(name, [*env.decls, *env.lets, *env.dims])}", f)


# ---------------------------------------------------------------- function calls


Builder = Callable[[Any, Product, "Env", "list[Any] | None"], None]


@dataclass(frozen=True)
class Function:
    """A built-in function of the language.

    `build(call, product, env, slots)` places the call's value in the product
    being built, its legs bound to `slots` (None: its own leg names).
    `arity` is the number of arguments (None: any number, checked by the
    builder); `derivative` names the bubble `diff` writes for an elementwise
    function's derivative.
    """

    name: str
    usage: str
    help: str
    build: Builder
    arity: int | None = 1
    derivative: str | None = None


FUNCTIONS: dict[str, Function] = {}


def register(name: str, usage: str, help: str, arity: int | None = 1,
             derivative: str | None = None) -> Callable[[Builder], Builder]:
    """Decorator: add a builder to `FUNCTIONS` under `name`."""

    def add(build: Builder) -> Builder:
        FUNCTIONS[name] = Function(name, usage, help, build, arity, derivative)
        return build

    return add


def function_names() -> list[str]:
    """Every name the language calls like a function (completion, highlighting)."""
    return [*FUNCTIONS, *DELTA_NAMES]


def _call(f: S.Call, p: Product, env: Env) -> None:
    slots = _slots(f.indices)
    if _declared_call(f, p, env, slots):
        return
    fn = FUNCTIONS.get(f.fn)
    if fn is None and "'" in f.fn and lookup(f.fn) is not None:
        # a primed derivative written back (tanh''(x), log'(x)): its canonical bubble
        entry = lookup(f.fn)
        _nargs(f, 1)
        _elementwise(entry.name)(f, p, env, slots)
        return
    if fn is None:
        if f.fn in env.decls:
            raise error_at(f"'{f.fn}' is a tensor, not a function: write {f.fn}[...] (or declare "
                           f"'function {f.fn}' instead of a tensor)", f)
        raise error_at(f"unknown function '{f.fn}'{near(f.fn, [*FUNCTIONS, *env.functions])}", f)
    if fn.arity is not None:
        _nargs(f, fn.arity)
    fn.build(f, p, env, slots)


def _declared_call(f: S.Call, p: Product, env: Env, slots: list[Any] | None) -> bool:
    """`f(x)`, `f''(x)`, `g(x, y)`, `g'2(x, y)` for a declared `function` (§10):
    one bubble whose arguments all have the same free legs.  False when the
    name is not a declared function's."""
    d = parse_declared(f.fn)
    if d is None or d.base not in env.functions:
        return False
    arity = env.functions[d.base]
    marks = f.fn[len(d.base):]
    if arity == 1 and any(c.isdigit() for c in marks):
        raise error_at(f"{d.base} takes one argument: its derivatives are written with primes "
                       f"alone ({d.base}', {d.base}''), not numbered", f)
    if arity > 1 and ("''" in marks or marks.endswith("'")):
        raise error_at(f"{d.base} takes {arity} arguments: number each derivative by the "
                       f"argument it is taken by ({d.base}'1, {d.base}'2, {d.base}'1'2)", f)
    if any(k >= arity for k in d.partials):
        raise error_at(f"{f.fn}: {d.base} has {arity} argument{'s' if arity > 1 else ''}, so "
                       f"there is no argument {max(d.partials) + 1} to differentiate by", f)
    _nargs(f, arity)
    args = [_arg_sum(f, k, env) for k in range(arity)]
    first = args[0]
    for k, a in enumerate(args[1:], start=2):
        if a.free != first.free:
            if set(a.free) == set(first.free):
                a = Sum(tuple(t.with_free(list(first.free)) for t in a.terms), first.free,
                        tuple(first.sizes[list(first.free).index(n)] for n in first.free))
            elif len(a.free) == len(first.free) and (_anonymous(a.free) or _anonymous(first.free)):
                a = Sum(tuple(t.renamed(list(first.free)) for t in a.terms), first.free, a.sizes)
            else:
                raise error_at(f"the arguments of {d.base} must have the same free legs: "
                               f"argument {k} has {list(a.free)}, the first has "
                               f"{list(first.free)}", f.args[k - 1])
        _same_sizes(a.sizes, first.sizes, f.args[k - 1])
        args[k - 1] = a
    name = declared_name(d.base, d.partials, arity)
    node = checked_bubble(BubbleNode(name, args[0], args=tuple(args[1:])), f)
    p.tensor(node, slots, env.dims, f, name)
    return True


def _nargs(f: S.Call, n: int) -> None:
    if len(f.args) != n:
        raise error_at(f"{f.fn} takes {n} argument{'s' if n != 1 else ''}, "
                       f"but {len(f.args)} {'is' if len(f.args) == 1 else 'are'} given", f)


def single_ref(a: Any) -> S.Ref | None:
    """The bare name `a` is, when the argument is just a name (`inv(X)`)."""
    if (isinstance(a, S.SumExpr) and len(a.terms) == 1 and a.output is None
            and a.terms[0].sign == 1 and len(a.terms[0].product.factors) == 1):
        r = a.terms[0].product.factors[0]
        if isinstance(r, S.Ref) and r.indices is None:
            return r
    return None


def _decl_arg(f: S.Call, env: Env) -> Decl:
    a = f.args[0]
    ref = single_ref(a)
    if ref is None:
        raise error_at(f"{f.fn}(...) takes a declared tensor name", a)
    if ref.name not in env.decls:
        raise error_at(f"unknown name '{ref.name}'{near(ref.name, env.decls)}", ref)
    return env.decls[ref.name]


def _arg_sum(f: S.Call, k: int, env: Env) -> Sum:
    a = f.args[k]
    if isinstance(a, S.Str):
        raise error_at(f"{f.fn} takes an expression here, not a string", a)
    return build_expr(a, env)


@register("conj", "conj(X) or conj(EXPR)", "complex conjugate (of a tensor or an expression)")
def _conj(f: S.Call, p: Product, env: Env, slots: list[Any] | None) -> None:
    ref = single_ref(f.args[0])
    if ref is not None and ref.name in env.decls:  # fast path: conj(X)[...]
        d = env.decls[ref.name]
        p.tensor(TensorNode(d, conj=True), slots, env.dims, f, f"conj({d.name})")
        return
    p.embed(_arg_sum(f, 0, env).conjugate(), slots, env.dims, f, "conj(...)")


@register("inv", "inv(X)", "the inverse of an invertible tensor, or of an expression "
          "with two legs of one size (inv(X @ Y), inv(E -> [r, c]))")
def _inv(f: S.Call, p: Product, env: Env, slots: list[Any] | None) -> None:
    ref = single_ref(f.args[0]) if len(f.args) == 1 else None
    if ref is not None and ref.name in env.decls:
        d = env.decls[ref.name]
        if not d.is_a(Kind.INVERTIBLE):
            raise error_at(f"inv({d.name}): {d.name} is not declared invertible (or unitary)", f)
        node = TensorNode(d, op="inv")
        if slots is None and len(node.legs) == 2:
            # Used without indices, the inverse of a matrix is a matrix in
            # matrix order with anonymous legs, as inv(EXPR) is (§10):
            # `A + inv(X)` adds the matrices, where X's own names, read
            # backwards, would meet A's by name and add the transpose.  An
            # inverse of more legs keeps X's names, tip side first, for
            # `inv(W) -> [(c d), (a b)]`.
            slots = p.own_slots(["#", "#"], f)
        p.tensor(node, slots, env.dims, f, f"inv({d.name})")
        return
    from ..transforms.inverse import NotInvertible, inverse

    _nargs(f, 1)
    arg = _arg_sum(f, 0, env)
    if len(arg.free) != 2:
        raise error_at(f"inv(...) takes a matrix: this expression has {len(arg.free)} free "
                       f"legs (name two with inv(E -> [r, c]))", f.args[0])
    if not scalars.equal(arg.sizes[0], arg.sizes[1]):
        raise error_at(f"inv(...) takes a square matrix: its legs have sizes {arg.sizes[0]} "
                       f"and {arg.sizes[1]}", f.args[0])
    try:
        value = inverse(arg)
    except NotInvertible as e:
        what = f"{e.factor} is not known to be invertible" if e.factor else "not invertible"
        raise error_at(f"inv(...): {what}{' (' + e.why + ')' if e.why else ''}; invertibility "
                       f"is known for invertible, unitary and orthogonal tensors and their "
                       f"inverses, transposes, conjugates, products and Kronecker products",
                       f.args[0]) from None
    p.embed(value, slots, env.dims, f, "inv(...)")


@register("diag", "diag(X)", "a diagonal tensor's diagonal, as a vector")
def _diag(f: S.Call, p: Product, env: Env, slots: list[Any] | None) -> None:
    d = _decl_arg(f, env)
    if not d.is_a(Kind.DIAGONAL):
        raise error_at(f"diag({d.name}): {d.name} is not declared diagonal", f)
    p.tensor(TensorNode(d, op="diag"), slots, env.dims, f, f"diag({d.name})")


@register("eye", "eye(n)", "the n x n identity matrix (a wire)")
def _eye(f: S.Call, p: Product, env: Env, slots: list[Any] | None) -> None:
    size = _size_arg(f.args[0], env)
    d = Diagram()
    d.connect(d.add_free("#0", size), d.add_free("#1", size))
    p.embed(Sum.of(d), slots, env.dims, f, "eye(...)")


@register("tr", "tr(A)", "the trace of a square matrix")
def _tr(f: S.Call, p: Product, env: Env, slots: list[Any] | None) -> None:
    p.embed(sugar.trace(_arg_sum(f, 0, env), f.args[0], f), slots, env.dims, f, "tr(...)")


@register("kron", "kron(A, B, ...)", "Kronecker product of matrices or of vectors", arity=None)
def _kron(f: S.Call, p: Product, env: Env, slots: list[Any] | None) -> None:
    if len(f.args) < 2:
        raise error_at(f"kron takes two or more arguments, but {len(f.args)} "
                       f"{'is' if len(f.args) == 1 else 'are'} given", f)
    factors = [sugar.matrix(_arg_sum(f, k, env), f.args[k]) for k in range(len(f.args))]
    p.embed(sugar.kron(factors, f), slots, env.dims, f, "kron(...)")


@register("einsum", "einsum(A, B, 'i j, j k -> i k')",
          "contraction by a spec: numpy's (spec first) or einops' (spec last)", arity=None)
def _einsum(f: S.Call, p: Product, env: Env, slots: list[Any] | None) -> None:
    spec, operands, inputs, output = sugar.split_spec(f.args, f)
    built = [build_expr(a, env) for a in operands]
    p.embed(sugar.einsum(spec, operands, built, inputs, output), slots, env.dims, f,
            "einsum(...)")


@register("diff", "diff(EXPR, T)", "the derivative of EXPR by tensor T (T's legs appended)",
          arity=2)
def _diff_call(f: S.Call, p: Product, env: Env, slots: list[Any] | None) -> None:
    p.embed(_diff(f, env), slots, env.dims, f, "diff(...)")


def _diff(f: S.Call, env: Env) -> Sum:
    """`diff(EXPR, T)`: the derivative, T's legs appended (see transforms.diff)."""
    from ..transforms.diff import diff

    from ..transforms.diff import leg_names

    _nargs(f, 2)
    ref = single_ref(f.args[1])
    if ref is None:
        inner = _only_factor(f.args[1])
        if isinstance(inner, S.Call) and inner.fn == "conj":
            raise error_at("diff with respect to conj(T) (a Wirtinger derivative) is not "
                           "supported: diff(EXPR, T) treats conj(T) as an independent variable "
                           "(its occurrences give no terms unless T is real)", f.args[1])
        raise error_at("diff(EXPR, T) takes a declared tensor name second", f.args[1])
    if ref.name not in env.decls:
        raise error_at(f"unknown tensor '{ref.name}'{near(ref.name, env.decls)}", ref)
    arg = _arg_sum(f, 0, env)
    try:
        return diff(arg, ref.name)
    except InputError as e:
        if _has_diff(f.args[0]) and "does not contain" in e.message:
            # a nested diff removed the variable: the derivative is zero (§10)
            d = env.decls[ref.name]
            names = list(arg.free) + leg_names(arg.free, d.legs)
            return Sum((), tuple(names), tuple(arg.sizes) + tuple(d.sizes))
        raise error_at(e.message, ref) from None


def _only_factor(a: Any) -> Any:
    if (isinstance(a, S.SumExpr) and len(a.terms) == 1 and a.output is None
            and len(a.terms[0].product.factors) == 1):
        return a.terms[0].product.factors[0]
    return None


def _has_diff(node: Any) -> bool:
    """Whether a syntax tree contains a diff(...) call."""
    import dataclasses

    if isinstance(node, S.Call) and node.fn == "diff":
        return True
    if isinstance(node, (list, tuple)):
        return any(_has_diff(x) for x in node)
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        return any(_has_diff(getattr(node, fl.name)) for fl in dataclasses.fields(node))
    return False


@register("softmax", "softmax[i](EXPR)", "softmax of EXPR along its free index i")
def _softmax(f: S.Softmax, p: Product, env: Env, slots: list[Any] | None) -> None:
    if not isinstance(f, S.Softmax):  # called as softmax(EXPR): the axis is not said
        raise error_at("softmax needs the index it normalises along: softmax[k](EXPR)", f)
    inner = build_expr(f.arg, env)
    if f.axis.name not in inner.free:
        raise error_at(f"softmax axis '{f.axis.name}' is not a free index of its argument "
                       f"{list(inner.free)}", f.axis)
    node = checked_bubble(BubbleNode("softmax", inner, inner.free.index(f.axis.name)), f)
    p.tensor(node, slots, env.dims, f, "softmax")


def _elementwise(name: str) -> Builder:
    def build(f: S.Call, p: Product, env: Env, slots: list[Any] | None) -> None:
        p.tensor(checked_bubble(BubbleNode(name, _arg_sum(f, 0, env)), f), slots, env.dims, f, name)

    return build


for _e in ELEMENTWISE.values():
    register(_e.name, f"{_e.name}(EXPR)", _e.help, derivative=_e.derivative)(
        _elementwise(_e.name))


@register("pow", "pow(EXPR, k)", "EXPR to the power k (a number), entry by entry; "
          "pow(x, -1) is the reciprocal, a non-integer k takes the principal branch", arity=2)
def _pow(f: S.Call, p: Product, env: Env, slots: list[Any] | None) -> None:
    k = _only_factor(f.args[1]) if not isinstance(f.args[1], S.Str) else None
    sign = f.args[1].terms[0].sign if k is not None else 1
    value = scalar_of(k, env) if k is not None else None
    if value is None or not (isinstance(k, S.Num) or isinstance(k, S.Scale)
                             or isinstance(k, S.Paren)) or not scalars.is_concrete(value):
        raise error_at("pow(EXPR, k) takes a number second, as in pow(x[i], 2), "
                       "pow(x[i], -1) or pow(x[i], 1/2)", f.args[1])
    node = checked_bubble(BubbleNode(pow_name(sign * value), _arg_sum(f, 0, env)), f)
    p.tensor(node, slots, env.dims, f, "pow")


def _fixed(name: str) -> Builder:
    def build(f: S.Call, p: Product, env: Env, slots: list[Any] | None) -> None:
        node = TensorNode(fixed_decl(name, _size_arg(f.args[0], env, name)))
        if slots is None:  # used bare (`shift(n) @ A`): anonymous legs, like eye(n)
            d = Diagram()
            v = d.add_node(node)
            for k, size in enumerate(node.sizes):
                d.connect((v, k), d.add_free(f"#{k}", size))
            p.embed(Sum.of(d), None, env.dims, f, "")
        else:
            p.tensor(node, slots, env.dims, f, f"{name}(...)")

    return build


for _name, _rule in FIXED_MATRICES.items():
    register(_name, f"{_name}(n)", f"the n x n 0/1 matrix with entry [q, k] = 1 where {_rule}")(
        _fixed(_name))


def _size_arg(a: Any, env: Env, fn: str = "eye") -> Any:
    if isinstance(a, S.SumExpr) and len(a.terms) == 1 and a.terms[0].sign == 1:
        value: Any = 1
        for f in a.terms[0].product.factors:
            v = scalar_of(f, env)
            if v is None or not (scalars.is_size(v) or v == 0 or scalars.is_size(v) is None
                                 and scalars.sympify(v).is_integer):
                raise error_at(f"{fn}(...) takes a size: a whole number, a declared dim or a "
                               "product of them", f)
            value = value * v
        if value == 0:
            raise error_at(f"{fn}(...) takes a positive size", a)
        return value
    raise error_at(f"{fn}(...) takes a size: a number or a declared dim", a)
