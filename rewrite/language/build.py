"""Syntax tree -> diagrams (`Sum` of port graphs) and rules, under an `Env`.

The one idea: a product is a bag of *occurrences* of index names.  Every slot
of every atom is an occurrence - with a real port (a tensor's leg, a fuse's
leg) or without one (a delta's slot, which only says "these names are one
line").  Deltas therefore merge names with union-find, and each merged class
becomes, at the end, one wire (two endpoints), one copy node (one or three
and more), or a closed loop (none: the scalar of its size).  That single pass
gives index aliasing `δ[i, j]`, traces `A[i, i]`, hyperedges, delta fusion
and `δ[i, i] = n` without a special case each, and it is linear in the size
of the input (the 10,000-tensor requirement).

Sub-expressions that are not plain indexed tensors (parenthesised products,
let names, einsum calls, matrix sugar, bubbles) are built on their own first
and then embedded by their free legs: their internal names never meet the
outer ones (hygiene).  A parenthesised *sum* inside a product is kept whole as
a `BubbleNode("sum")`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

import sympy

from . import sizes as Z
from . import syntax as S
from ..core.diagram import BOUNDARY, BubbleNode, DeltaNode, Diagram, Port, Sum, TensorNode
from ..core.errors import InputError
from ..core.kinds import FIXED_MATRICES, Decl, Kind, fixed_decl, fuse_decl
from ..core.pattern import DELTA, Atom, Rule, Side, Slot, VarKind

DELTA_NAMES = ("δ", "delta")
BUBBLES = ("relu", "gelu", "exp", "tanh", "sigmoid",
           # derivatives of the above, as `diff` writes them (rewrite.diff)
           "step", "dtanh", "dsigmoid", "dgelu")
_KINDS = {k.value: k for k in Kind}


def _err(msg: str, node: Any) -> InputError:
    line = getattr(node, "line", None) or None
    col = getattr(node, "column", None) or None
    width = 1
    if line and getattr(node, "end_line", line) == line and getattr(node, "end_column", 0):
        width = max(1, node.end_column - node.column)
    return InputError(msg, line, col, width=width)


# ------------------------------------------------------------------------ env


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
        self.constraints: list[Any] = []
        self.filename: str | None = None

    def execute_declaration(self, stmt: S.Stmt) -> None:
        if isinstance(stmt, S.DimStmt):
            for item in stmt.items:
                self._fresh_name(item.name, item)
            Z.declare_dims(stmt, self.dims)
        elif isinstance(stmt, S.DeclStmt):
            self._declare_tensor(stmt)
        elif isinstance(stmt, S.LetStmt):
            self._let(stmt)
        elif isinstance(stmt, S.RuleStmt):
            self.rules.append(build_rule(stmt, self))
        else:
            raise _err("not a declaration", stmt)

    # -- helpers -------------------------------------------------------------

    def _fresh_name(self, name: str, node: Any, allow_let: bool = False) -> None:
        if name in DELTA_NAMES:
            raise _err(f"'{name}' is the built-in delta and cannot be redefined", node)
        if name in self.decls or name in self.dims or (name in self.lets and not allow_let):
            raise _err(f"duplicate declaration of '{name}'", node)

    def _declare_tensor(self, st: S.DeclStmt) -> None:
        at = S.Ref(st.name, line=st.name_pos[0], column=st.name_pos[1],
                   end_line=st.name_pos[0], end_column=st.name_pos[1] + len(st.name))
        self._fresh_name(st.name, at)
        kind = _KINDS[st.kind]
        names = [leg.name for leg in st.legs]
        for k, leg in enumerate(st.legs):
            if leg.name in names[:k]:
                raise _err(f"leg '{leg.name}' is declared twice", leg)
        sizes = tuple(Z.evaluate(leg.size, self.dims) for leg in st.legs)
        n = len(sizes)
        if st.split is not None:
            split = st.split
        elif kind in (Kind.INVERTIBLE, Kind.UNITARY, Kind.ISOMETRY) and n % 2 == 0:
            split = n // 2  # no arrow: rows then columns, half and half
        else:
            split = n
        if kind in (Kind.ISOMETRY, Kind.UNITARY, Kind.INVERTIBLE):
            if split in (0, n):
                raise _err(f"{kind.value} {st.name} needs legs on both sides of '->'", at)
            self._side_constraint(st, at, kind, sympy.Mul(*sizes[:split]), sympy.Mul(*sizes[split:]))
        if kind in (Kind.SYMMETRIC, Kind.DIAGONAL) and any(s != sizes[0] for s in sizes):
            raise _err(f"{kind.value} {st.name} needs all legs of one size", at)
        self.decls[st.name] = Decl(st.name, kind, tuple(names), sizes, split, real=st.real,
                                   pos=(st.line, st.column))

    def _side_constraint(self, st: S.DeclStmt, at: Any, kind: Kind, wide: Any, tip: Any) -> None:
        if wide.is_Integer and tip.is_Integer:
            # Concrete sizes: decide here (building sympy relations for ten
            # thousand concrete declarations is what made long files slow).
            ok = int(wide) >= int(tip) if kind is Kind.ISOMETRY else int(wide) == int(tip)
            if ok:
                return
        if kind is Kind.ISOMETRY:
            rel = sympy.Ge(wide, tip)
            msg = f"isometry {st.name}: its tip side ({tip}) is larger than its wide side ({wide})"
        else:
            rel = sympy.Eq(wide, tip)
            msg = f"{kind.value} {st.name}: its two sides have different sizes ({wide} and {tip})"
        if rel is sympy.false:
            raise _err(msg, at)
        if rel is not sympy.true:
            self.constraints.append(rel)

    def _let(self, st: S.LetStmt) -> None:
        self._fresh_name(st.name, st, allow_let=True)
        value = build_expr(st.expr, self)
        if st.indices is not None:
            names = []
            for slot in st.indices.slots:
                if not isinstance(slot, S.Index):
                    raise _err("a let's legs are plain index names", slot)
                names.append(slot.name)
            if len(names) != len(set(names)):
                raise _err("an index is listed twice in the let's legs", st.indices)
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
                raise _err(f"the let's legs {names} are not the free indices of its value "
                           f"{list(value.free)}", st.indices)
        self.lets[st.name] = value


def reorder(s: Sum, order: Sequence[str]) -> Sum:
    if tuple(order) == s.free:
        return s
    terms = tuple(t.with_free(list(order)) for t in s.terms)
    pos = {n: k for k, n in enumerate(s.free)}
    return Sum(terms, tuple(order), tuple(s.sizes[pos[n]] for n in order))


# ------------------------------------------------------------------ products


@dataclass
class _Fuse:
    node: int
    parts: list[str]
    whole: Any  # the whole's size if known
    at: Any
    gname: str | None  # the name the whole occurs as, when it meets a delta


class _Product:
    """One product being assembled: occurrences, union-find, then wiring."""

    def __init__(self) -> None:
        self.d = Diagram()
        self.parent: dict[str, str] = {}
        self.count: dict[str, int] = {}  # insertion order = first appearance
        self.ports: dict[str, list[Port]] = {}
        self.size: dict[str, tuple[Any, Any]] = {}  # name -> (size, where it was said)
        self.fuses: list[_Fuse] = []
        self.fresh = 0
        self.outputs: set[str] = set()

    # -- union-find -----------------------------------------------------------

    def find(self, a: str) -> str:
        p = self.parent
        root = a
        while p[root] != root:
            root = p[root]
        while p[a] != root:
            p[a], a = root, p[a]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra

    def new_name(self, stem: str = "") -> str:
        self.fresh += 1
        return f"%{stem}{self.fresh}"

    # -- occurrences -----------------------------------------------------------

    def occur(self, name: str, port: Port | None, size: Any, at: Any) -> None:
        if name not in self.parent:
            self.parent[name] = name
            self.count[name] = 0
            self.ports[name] = []
        self.count[name] += 1
        if port is not None:
            self.ports[name].append(port)
        if size is not None:
            old = self.size.get(name)
            if old is None:
                self.size[name] = (size, at)
            elif not Z.same(old[0], size):
                raise _err(f"size mismatch on index '{name.lstrip('%')}': {old[0]} here, "
                           f"but {size} at line {getattr(old[1], 'line', '?')}", at)

    def bind(self, slot: Any, port: Port | None, size: Any, env: Env) -> str | None:
        """One slot occurs at `port` (or nowhere, for a delta); returns its name."""
        if isinstance(slot, S.Index):
            if slot.size is not None:
                ann = Z.evaluate(slot.size, env.dims)
                if size is not None and not Z.same(ann, size):
                    raise _err(f"size mismatch on index '{slot.name}': annotated {ann}, "
                               f"but the leg has size {size}", slot)
                size = ann
            self.occur(slot.name, port, size, slot)
            return slot.name
        if isinstance(slot, S.Group):
            v = self.d.add_node(DeltaNode(1, 1))  # placeholder until sizes are known
            parts = []
            for k, part in enumerate(slot.parts):
                self.bind(part, (v, k), None, env)
                parts.append(part.name)
            if len(set(parts)) != len(parts):
                raise _err("an index is listed twice in a group", slot)
            whole = (v, len(parts))
            if port is not None:
                self.fuses.append(_Fuse(v, parts, size, slot, None))
                self.d.connect(whole, port)
                return None
            g = self.new_name("g")
            self.fuses.append(_Fuse(v, parts, size, slot, g))
            self.occur(g, whole, size, slot)
            self.occur(g, None, None, slot)
            return g
        if isinstance(slot, S.Stars):
            raise _err("leg-group variables (*w) are only allowed in rules", slot)
        raise _err("unexpected index", slot)  # pragma: no cover

    def delta(self, slots: Sequence[Any], env: Env, at: Any) -> None:
        if not slots:
            raise _err("a delta needs at least one leg", at)
        names = [self.bind(s, None, None, env) for s in slots]
        for a in names[1:]:
            self.union(names[0], a)

    def tensor(self, node: Any, slots: Sequence[Any] | None, env: Env, at: Any, title: str) -> None:
        legs = node.legs if isinstance(node, TensorNode) else node.inside.free
        sizes = node.sizes
        if slots is None:
            slots = [S.Index(n, line=at.line, column=at.column, end_column=at.end_column,
                             end_line=at.end_line) for n in legs]
        elif len(slots) != len(sizes):
            raise _err(f"wrong number of legs: {title} has {len(sizes)}, "
                       f"but {len(slots)} {'is' if len(slots) == 1 else 'are'} given", at)
        v = self.d.add_node(node)
        for k, (slot, size) in enumerate(zip(slots, sizes)):
            self.bind(slot, (v, k), size, env)

    def embed(self, s: Sum, slots: Sequence[Any] | None, env: Env, at: Any, title: str,
              bubble: bool = False) -> None:
        """Place a built sub-expression, its free legs bound to `slots` (or its own names)."""
        if slots is None:
            slots = [S.Index(self._anon(n), line=at.line, column=at.column,
                             end_column=at.end_column, end_line=at.end_line) for n in s.free]
        elif len(slots) != len(s.free):
            raise _err(f"wrong number of legs: {title} has {len(s.free)}, "
                       f"but {len(slots)} {'is' if len(slots) == 1 else 'are'} given", at)
        one = s.single
        if bubble or one is None:
            v = self.d.add_node(BubbleNode("sum", s))
            for k, (slot, size) in enumerate(zip(slots, s.sizes)):
                self.bind(slot, (v, k), size, env)
            return
        ids = {u: self.d.add_node(n) for u, n in one.nodes.items()}
        for (u, i), (w, j) in one.link.items():
            if u != BOUNDARY and w != BOUNDARY:
                self.d.link[(ids[u], i)] = (ids[w], j)
        self.d.scalar = self.d.scalar * one.scalar
        for k, slot in enumerate(slots):
            u, i = one.link[(BOUNDARY, k)]
            if u == BOUNDARY:
                if i > k:
                    a = self.bind(slot, None, one.free_sizes[k], env)
                    b = self.bind(slots[i], None, one.free_sizes[i], env)
                    self.union(a, b)
            else:
                self.bind(slot, (ids[u], i), one.free_sizes[k], env)

    def _anon(self, name: str) -> str:
        """Anonymous legs (`#0` of matrix sugar) never meet another atom's by name."""
        return self.new_name("#") if name.startswith("#") else name

    # -- finishing -------------------------------------------------------------

    def class_size(self, name: str) -> Any:
        got = self._class_sizes.get(self.find(name))
        return got[0] if got else None

    def _merge_sizes(self) -> None:
        """One size per line (class of names); disagreement is an input error."""
        self._class_sizes: dict[str, tuple[Any, Any]] = {}
        for name, (size, where) in self.size.items():
            r = self.find(name)
            old = self._class_sizes.get(r)
            if old is None:
                self._class_sizes[r] = (size, where)
            elif not Z.same(old[0], size):
                raise _err(f"size mismatch on index '{name.lstrip('%')}': {size} here, "
                           f"but {old[0]} for the same line at line "
                           f"{getattr(old[1], 'line', '?')}", where)

    def _unify_fuses(self) -> None:
        """Sizes of grouped legs: whole = product of parts, solving one unknown."""
        pending = list(self.fuses)
        while pending:
            progress, left = False, []
            for f in pending:
                part_sizes = [self.class_size(x) for x in f.parts]
                whole = f.whole
                if whole is None and f.gname is not None:
                    whole = self.class_size(f.gname)
                unknown = [k for k, sz in enumerate(part_sizes) if sz is None]
                if not unknown:
                    total = sympy.Mul(*part_sizes)
                    if whole is not None and not Z.same(total, whole):
                        raise _err(f"size mismatch on a grouped leg: the parts make {total}, "
                                   f"the leg has size {whole}", f.at)
                    self.d.nodes[f.node] = TensorNode(fuse_decl(tuple(part_sizes)))
                    if f.gname is not None and self.class_size(f.gname) is None:
                        self._class_sizes[self.find(f.gname)] = (total, f.at)
                    progress = True
                elif len(unknown) == 1 and whole is not None:
                    known = [sz for sz in part_sizes if sz is not None]
                    part = Z.solve_part(whole, known)
                    self._class_sizes[self.find(f.parts[unknown[0]])] = (part, f.at)
                    left.append(f)
                    progress = True
                else:
                    left.append(f)
            if not progress:
                raise _err("cannot tell the sizes of this group's parts: annotate them, "
                           "as in (i: n k: m)", left[0].at)
            pending = left

    def _output(self, output: Sequence[Any] | None, env: Env) -> list[tuple[str, Any]]:
        """The free legs: (name, None), or (label, fuse node) for a grouped output leg."""
        if output is None:
            return [(n, None) for n, c in self.count.items()
                    if c == 1 and (not n.startswith("%") or n.startswith("%#"))]
        free: list[tuple[str, Any]] = []
        seen: set[str] = set()
        for item in output:
            parts = [item] if isinstance(item, S.Index) else list(item.parts)
            for part in parts:
                if part.name in seen:
                    raise _err(f"index '{part.name}' is listed twice in the output", part)
                if part.name not in self.count:
                    raise _err(f"index '{part.name}' in the output does not occur in the "
                               "expression", part)
                seen.add(part.name)
                if part.size is not None:
                    self.occur(part.name, None, Z.evaluate(part.size, env.dims), part)
                    self.count[part.name] -= 1
            if isinstance(item, S.Index):
                free.append((item.name, None))
            else:
                v = self.d.add_node(DeltaNode(1, 1))  # placeholder: a fuse
                for k, part in enumerate(item.parts):
                    self.ports[part.name].append((v, k))
                self.fuses.append(_Fuse(v, [x.name for x in item.parts], None, item, None))
                free.append(("(" + " ".join(x.name for x in item.parts) + ")", v))
        return free

    def finish(self, output: Sequence[Any] | None, env: Env, at: Any,
               hints: Mapping[str, Any] | None = None) -> Diagram:
        d = self.d
        free = self._output(output, env)
        self._merge_sizes()
        if self.fuses:
            self._unify_fuses()
        ends: dict[str, list[Port]] = {}
        for name, ports in self.ports.items():
            r = self.find(name)
            lst = ends.get(r)
            if lst is None:
                ends[r] = list(ports)
            else:
                lst.extend(ports)
        anon = 0
        for name, grp in free:
            if grp is not None:
                node = d.nodes[grp]
                p = d.add_free(name, node.sizes[-1])
                d.connect(p, (grp, node.arity - 1))
                continue
            size = self.class_size(name)
            if size is None and hints and name in hints:
                size = hints[name]
                self._class_sizes[self.find(name)] = (size, at)
            if size is None:
                raise _err(f"cannot tell the size of index '{name}': annotate it, as in "
                           f"δ[{name}: n, ...]", at)
            label = name
            if name.startswith("%#"):
                label = f"#{anon}"
                anon += 1
            ends[self.find(name)].append(d.add_free(label, size))
        for r, ports in ends.items():
            if len(ports) == 2:
                d.connect(ports[0], ports[1])
                continue
            size = self.class_size(r)
            if size is None:
                raise _err(f"cannot tell the size of index '{r.lstrip('%')}': annotate one "
                           "leg, as in δ[i: n, j]", at)
            if not ports:
                d.scalar = d.scalar * size
                continue
            v = d.add_node(DeltaNode(size, len(ports)))
            for k, p in enumerate(ports):
                d.connect((v, k), p)
        return d


# --------------------------------------------------------------- expressions


def build_expr(expr: S.Expr, env: Env, sizes: Mapping[str, Any] | None = None) -> Sum:
    """An expression as a `Sum` of diagrams with one ordered set of free legs.

    `sizes` gives sizes for free indices that nothing in the expression sizes
    (the lone `δ[b, c]` on one side of `prove L == δ[b, c]`); see `build_equation`.
    """
    terms: list[Diagram] = []
    order: list[str] | None = None
    first_set: set[str] = set()
    for term in expr.terms:
        for d in _term_diagrams(term, expr.output, env, sizes):
            if term.sign < 0:
                d.scalar = -d.scalar
            if order is None:
                order = list(d.free)
                first_set = set(order)
            elif set(d.free) != first_set:
                raise _err(f"the terms of a sum must have the same free indices: this term has "
                           f"{sorted(d.free)}, the first has {sorted(first_set)}", term)
            else:
                d = d.with_free(order)
            terms.append(d)
    if order is None:  # a derivative that is zero: the empty sum, legs of the diff
        zero = _diff(expr.terms[0].product.factors[0], env)
        return Sum((), zero.free, zero.sizes)
    sizes = tuple(terms[0].free_sizes)
    return Sum(tuple(terms), tuple(order), sizes)


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
    p = _Product()
    for f in factors:
        _factor(f, p, env)
    return p.finish(output, env, at, sizes)


def build_equation(stmt: S.Command, env: Env) -> tuple[Sum, Sum]:
    """Both sides of `prove L == R` / `check L == R`, each sizing the other's lone deltas.

    A side like `δ[b, c]` has no size of its own; it takes the sizes of the
    other side's free legs - by name when that side has the index, otherwise by
    position in the explicit output `-> [...]`.
    """
    assert stmt.rhs is not None
    try:
        left = build_expr(stmt.expr, env)
    except InputError as first:
        try:
            right = build_expr(stmt.rhs, env)
        except InputError:
            raise first from None
        return build_expr(stmt.expr, env, _hints(right, stmt.expr)), right
    return left, build_expr(stmt.rhs, env, _hints(left, stmt.rhs))


def _hints(other: Sum, expr: S.Expr) -> dict[str, Any]:
    hints = dict(zip(other.free, other.sizes))
    if expr.output is not None and len(expr.output) == len(other.free):
        for item, size in zip(expr.output, other.sizes):
            if isinstance(item, S.Index):
                hints.setdefault(item.name, size)
    return hints


def _sum_of(factor: Any, env: Env) -> Sum:
    return Sum.of(_build_product([factor], None, env, factor))


def _slots(idx: S.IndexList | None, rule: bool = False) -> list[Any] | None:
    if idx is None:
        return None
    if idx.split is not None and not rule:
        raise _err("'->' inside an index list is only allowed in rules", idx)
    for slot in idx.slots:
        if isinstance(slot, S.Stars) and not rule:
            raise _err("leg-group variables (*w) are only allowed in rules", slot)
    return list(idx.slots)


def _number(f: S.Num) -> Any:
    try:
        return sympy.Rational(f.text)
    except (ZeroDivisionError, ValueError, TypeError):
        raise _err(f"'{f.text}' is not a number (division by zero?)", f) from None


def _scalar_of(f: Any, env: Env) -> Any:
    """The value of a factor made only of numbers and sizes (`2`, `n`, `5*3`,
    `1/n`), or None when the factor has tensors in it."""
    if isinstance(f, S.Num):
        return _number(f)
    if isinstance(f, S.Ref) and f.indices is None and f.name in env.dims:
        return env.dims[f.name]
    if isinstance(f, S.Paren) and f.indices is None and f.expr.output is None \
            and len(f.expr.terms) == 1:
        values = [_scalar_of(g, env) for g in f.expr.terms[0].product.factors]
        if all(v is not None for v in values):
            return sympy.Mul(f.expr.terms[0].sign, *values)
        return None
    if isinstance(f, S.Scale):
        a, b = _scalar_of(f.left, env), _scalar_of(f.right, env)
        if a is None or b is None:
            return None
        if f.op == "*":
            return a * b
        if b == 0:
            raise _err("division by zero", f.right)
        return a / b
    return None


def _scale(f: S.Scale, p: _Product, env: Env) -> None:
    if f.op == "/":
        den = _scalar_of(f.right, env)
        if den is None:
            raise _err("only numbers and sizes can divide: the right side of '/' has tensors "
                       "in it", f.right)
        if den == 0:
            raise _err("division by zero", f.right)
        p.d.scalar = p.d.scalar / den
        _factor(f.left, p, env)
        return
    if _scalar_of(f.left, env) is None and _scalar_of(f.right, env) is None:
        raise _err("'*' scales by numbers and sizes; write tensors side by side, as in "
                   "A[i, j] B[j, k], to multiply (and contract) them", f)
    _factor(f.left, p, env)
    _factor(f.right, p, env)


def _factor(f: Any, p: _Product, env: Env) -> None:
    if isinstance(f, S.Num):
        p.d.scalar = p.d.scalar * _number(f)
    elif isinstance(f, S.Scale):
        _scale(f, p, env)
    elif isinstance(f, S.Ref):
        _ref(f, p, env)
    elif isinstance(f, S.Call):
        _call(f, p, env)
    elif isinstance(f, S.Softmax):
        inner = build_expr(f.arg, env)
        if f.axis.name not in inner.free:
            raise _err(f"softmax axis '{f.axis.name}' is not a free index of its argument "
                       f"{list(inner.free)}", f.axis)
        node = BubbleNode("softmax", inner, inner.free.index(f.axis.name))
        p.tensor(node, _slots(f.indices), env, f, "softmax")
    elif isinstance(f, S.Paren):
        inner = build_expr(f.expr, env)
        p.embed(inner, _slots(f.indices), env, f, "the parenthesised expression")
    elif isinstance(f, S.Attr):
        p.embed(_attr(f, env), None, env, f, "")
    elif isinstance(f, S.MatMul):
        p.embed(_matmul(f, env), None, env, f, "")
    else:  # pragma: no cover
        raise _err("unexpected expression", f)


def _ref(f: S.Ref, p: _Product, env: Env) -> None:
    name = f.name
    if name in DELTA_NAMES:
        if f.indices is None:
            raise _err("δ needs its indices, as in δ[i, j]", f)
        p.delta(_slots(f.indices), env, f)
    elif name in env.decls:
        p.tensor(TensorNode(env.decls[name]), _slots(f.indices), env, f, name)
    elif name in env.lets:
        p.embed(env.lets[name], _slots(f.indices), env, f, name)
    elif name in env.dims and f.indices is None:
        p.d.scalar = p.d.scalar * env.dims[name]
    else:
        raise _err(f"unknown name '{name}'", f)


def _decl_arg(f: S.Call, env: Env) -> Decl:
    if len(f.args) != 1:
        raise _err(f"{f.fn} takes one tensor name", f)
    a = f.args[0]
    ref = _single_ref(a)
    if ref is None:
        raise _err(f"{f.fn}(...) takes a declared tensor name", a)
    if ref.name not in env.decls:
        raise _err(f"unknown name '{ref.name}'", ref)
    return env.decls[ref.name]


def _single_ref(a: Any) -> S.Ref | None:
    if (isinstance(a, S.SumExpr) and len(a.terms) == 1 and a.output is None
            and a.terms[0].sign == 1 and len(a.terms[0].product.factors) == 1):
        r = a.terms[0].product.factors[0]
        if isinstance(r, S.Ref) and r.indices is None:
            return r
    return None


def _arg_sum(f: S.Call, k: int, env: Env) -> Sum:
    a = f.args[k]
    if isinstance(a, S.Str):
        raise _err(f"{f.fn} takes an expression here, not a string", a)
    return build_expr(a, env)


def _nargs(f: S.Call, n: int) -> None:
    if len(f.args) != n:
        raise _err(f"{f.fn} takes {n} argument{'s' if n != 1 else ''}, "
                   f"but {len(f.args)} {'is' if len(f.args) == 1 else 'are'} given", f)


def _call(f: S.Call, p: _Product, env: Env) -> None:
    fn = f.fn
    slots = _slots(f.indices)
    if fn == "conj":
        _nargs(f, 1)
        ref = _single_ref(f.args[0])
        if ref is not None and ref.name in env.decls:  # fast path: conj(X)[...]
            d = env.decls[ref.name]
            p.tensor(TensorNode(d, conj=True), slots, env, f, f"conj({d.name})")
            return
        p.embed(_arg_sum(f, 0, env).conjugate(), slots, env, f, "conj(...)")
    elif fn == "inv":
        d = _decl_arg(f, env)
        if not d.is_a(Kind.INVERTIBLE):
            raise _err(f"inv({d.name}): {d.name} is not declared invertible (or unitary)", f)
        p.tensor(TensorNode(d, op="inv"), slots, env, f, f"inv({d.name})")
    elif fn == "diag":
        d = _decl_arg(f, env)
        if not d.is_a(Kind.DIAGONAL):
            raise _err(f"diag({d.name}): {d.name} is not declared diagonal", f)
        p.tensor(TensorNode(d, op="diag"), slots, env, f, f"diag({d.name})")
    elif fn == "eye":
        _nargs(f, 1)
        p.embed(_eye(f, env), slots, env, f, "eye(...)")
    elif fn in BUBBLES:
        _nargs(f, 1)
        inner = _arg_sum(f, 0, env)
        p.tensor(BubbleNode(fn, inner), slots, env, f, fn)
    elif fn == "tr":
        _nargs(f, 1)
        m = _matrix(_arg_sum(f, 0, env), f.args[0], (2,))
        p.embed(_sugar(f, [(m, ["a", "a"])], []), slots, env, f, "tr(...)")
    elif fn == "kron":
        _nargs(f, 2)
        a = _matrix(_arg_sum(f, 0, env), f.args[0])
        b = _matrix(_arg_sum(f, 1, env), f.args[1])
        if len(a.free) != len(b.free):
            raise _err("kron takes two matrices or two vectors", f)
        if len(a.free) == 2:
            res = _sugar(f, [(a, ["r1", "c1"]), (b, ["r2", "c2"])], [("r1", "r2"), ("c1", "c2")])
        else:
            res = _sugar(f, [(a, ["r1"]), (b, ["r2"])], [("r1", "r2")])
        p.embed(res, slots, env, f, "kron(...)")
    elif fn in FIXED_MATRICES:
        _nargs(f, 1)
        node = TensorNode(fixed_decl(fn, _size_arg(f.args[0], env, fn)))
        if slots is None:
            p.embed(Sum.of(_fixed_matrix(node)), None, env, f, "")
        else:
            p.tensor(node, slots, env, f, f"{fn}(...)")
    elif fn == "einsum":
        p.embed(_einsum(f, env), slots, env, f, "einsum(...)")
    elif fn == "diff":
        p.embed(_diff(f, env), slots, env, f, "diff(...)")
    else:
        raise _err(f"unknown function '{fn}'", f)


def _diff(f: S.Call, env: Env) -> Sum:
    """`diff(EXPR, T)`: the derivative, T's legs appended (see rewrite.diff)."""
    from ..transforms.diff import diff

    _nargs(f, 2)
    ref = _single_ref(f.args[1])
    if ref is None:
        raise _err("diff(EXPR, T) takes a declared tensor name second", f.args[1])
    if ref.name not in env.decls:
        raise _err(f"unknown tensor '{ref.name}'", ref)
    try:
        return diff(_arg_sum(f, 0, env), ref.name)
    except InputError as e:
        raise _err(e.message, ref) from None


# ------------------------------------------------------------- matrix sugar


def _matrix(s: Sum, at: Any, allowed: tuple[int, ...] = (1, 2)) -> Sum:
    if len(s.free) not in allowed:
        want = " or ".join(str(a) for a in allowed)
        raise _err(f"matrix notation needs {want} free leg{'s' if want != '1' else ''}, "
                   f"this has {len(s.free)}", at)
    return s


def _sugar(at: Any, atoms: list[tuple[Sum, list[str]]], out: list[Any]) -> Sum:
    """Build a product of sub-expressions over private names; output legs `#0`, `#1`...

    `out` items are a name or a tuple of names (a fused leg).
    """
    pos = dict(line=at.line, column=at.column, end_column=at.end_column, end_line=at.end_line)
    p = _Product()
    env = Env()
    for s, names in atoms:
        p.embed(s, [S.Index("%" + n, **pos) for n in names], env, at, "")
    output: list[Any] = []
    for item in out:
        if isinstance(item, tuple):
            output.append(S.Group(tuple(S.Index("%" + n, **pos) for n in item), **pos))
        else:
            output.append(S.Index("%" + item, **pos))
    d = p.finish(output, env, at)
    d = d.renamed([f"#{k}" for k in range(len(d.free))])
    return Sum.of(d)


def _eye(f: S.Call, env: Env) -> Sum:
    a = f.args[0]
    size = _size_arg(a, env)
    d = Diagram()
    x = d.add_free("#0", size)
    y = d.add_free("#1", size)
    d.connect(x, y)
    return Sum.of(d)


def _fixed_matrix(node: TensorNode) -> Diagram:
    """A built-in matrix used bare (`shift(n) @ A`): anonymous legs, like eye(n)."""
    d = Diagram()
    v = d.add_node(node)
    for k, size in enumerate(node.sizes):
        d.connect((v, k), d.add_free(f"#{k}", size))
    return d


def _size_arg(a: Any, env: Env, fn: str = "eye") -> Any:
    if isinstance(a, S.SumExpr) and len(a.terms) == 1 and a.terms[0].sign == 1:
        value: Any = sympy.Integer(1)
        for f in a.terms[0].product.factors:
            v = _scalar_of(f, env)
            if v is None or not (v.is_integer or v.is_Integer):
                raise _err(f"{fn}(...) takes a size: a whole number, a declared dim or a "
                           "product of them", f)
            value = value * v
        if value == 0:
            raise _err(f"{fn}(...) takes a positive size", a)
        return value
    raise _err(f"{fn}(...) takes a size: a number or a declared dim", a)


def _attr(f: S.Attr, env: Env) -> Sum:
    base = _matrix(_sum_of(f.base, env), f.base)
    if f.attr not in ("T", "H"):
        raise _err(f"unknown attribute '.{f.attr}' (matrix notation has .T and .H)", f)
    if f.attr == "H":
        base = base.conjugate()
    if len(base.free) == 1:
        return _sugar(f, [(base, ["a"])], ["a"])
    return _sugar(f, [(base, ["a", "b"])], ["b", "a"])


def _matmul(f: S.MatMul, env: Env) -> Sum:
    acc = _matrix(_sum_of(f.operands[0], env), f.operands[0])
    for op in f.operands[1:]:
        right = _matrix(_sum_of(op, env), op)
        left_names = ["r", "c"] if len(acc.free) == 2 else ["c"]
        right_names = ["c", "s"] if len(right.free) == 2 else ["c"]
        out = [n for n in ("r", "s") if n in left_names or n in right_names]
        acc = _sugar(f, [(acc, left_names), (right, right_names)], out)
    return acc


# ------------------------------------------------------------------- einsum

_NAME = re.compile(r"[^\W\d]\w*")  # the grammar's NAME
_TOKEN = re.compile(r"\(|\)|\.\.\.|[^\s(),.]+|\.")


def _einsum(f: S.Call, env: Env) -> Sum:
    args = list(f.args)
    if not args or not any(isinstance(a, S.Str) for a in args):
        raise _err("einsum needs a spec string, as in einsum(A, B, 'i j, j k -> i k')", f)
    if isinstance(args[0], S.Str):
        spec, operands = args[0], args[1:]
        inputs, output = _numpy_spec(spec)
    elif isinstance(args[-1], S.Str):
        spec, operands = args[-1], args[:-1]
        inputs, output = _einops_spec(spec)
    else:
        raise _err("einsum's spec string goes first (numpy) or last (einops)", f)
    for a in operands:
        if isinstance(a, S.Str):
            raise _err("einsum takes one spec string", a)
    if len(inputs) != len(operands):
        raise _err(f"the einsum spec has {len(inputs)} operand{'s' if len(inputs) != 1 else ''}"
                   f" but {len(operands)} tensor{'s are' if len(operands) != 1 else ' is'} "
                   "given", spec)
    pos = dict(line=spec.line, column=spec.column, end_column=spec.end_column,
               end_line=spec.end_line)
    built = [build_expr(a, env) for a in operands]
    inputs, output = _expand_ellipsis(inputs, output, built, operands, spec)
    p = _Product()
    for k, (a, s, names) in enumerate(zip(operands, built, inputs)):
        if len(names) != len(s.free):
            raise _err(f"operand {k + 1} of einsum has {len(s.free)} leg"
                       f"{'s' if len(s.free) != 1 else ''} but the spec gives it "
                       f"{len(names)} ind{'ices' if len(names) != 1 else 'ex'}", a)
        p.embed(s, [_spec_slot(n, pos) for n in names], env, a, f"operand {k + 1}")
    out = [_spec_slot(n, pos) for n in output]
    d = p.finish(out, env, spec)
    return Sum.of(d)


ELLIPSIS = "..."


def _expand_ellipsis(inputs: list[list[Any]], output: list[Any], built: list[Sum],
                     operands: list[Any], spec: S.Str) -> tuple[list[list[Any]], list[Any]]:
    """Replace `...` by index names for the legs it stands for, as numpy broadcasts.

    An operand's `...` covers the legs its named indices leave over; the runs
    are aligned from the right (numpy's rule), so `'...ij,jk'` and
    `'...ij,...jk'` mean what they mean in numpy.  Size-1 broadcasting has no
    diagram meaning: legs that meet must have equal sizes, as for any index.
    Each covered leg takes the name its tensor gives it (`A[x: b, i, j]`
    contributes `x`), so the einsum's free legs read naturally; a name the
    spec already uses gets a number.  As in numpy, legs under `...` must
    reach the output (`'...ij->ij'` is an error, not a silent sum).
    """
    if not any(ELLIPSIS in names for names in inputs) and _dots(output) == 0:
        return inputs, output
    used = {x for names in [*inputs, output] for n in names
            for x in (n if isinstance(n, tuple) else (n,)) if x != ELLIPSIS}
    counts = []
    for k, (names, s) in enumerate(zip(inputs, built)):
        if names.count(ELLIPSIS) > 1:
            raise _err(f"operand {k + 1}'s spec has '...' twice", spec)
        if ELLIPSIS not in names:
            counts.append(0)
            continue
        extra = len(s.free) - (len(names) - 1)
        if extra < 0:
            raise _err(f"operand {k + 1} of einsum has {len(s.free)} leg"
                       f"{'s' if len(s.free) != 1 else ''} but the spec names "
                       f"{len(names) - 1} besides '...'", operands[k])
        counts.append(extra)
    width = max(counts, default=0)
    # Name each broadcast position after the first operand (from the right) that has it.
    names_at: list[str | None] = [None] * width
    for names, s, extra in zip(inputs, built, counts):
        if ELLIPSIS not in names:
            continue
        start = names.index(ELLIPSIS)
        for j in range(extra):
            slot = width - extra + j
            if names_at[slot] is None:
                names_at[slot] = _fresh(s.free[start + j], used)
    run = [n or _fresh("e", used) for n in names_at]
    if _dots(output) == 0 and width:
        raise _err("the output drops the legs under '...'; write '...' in the output "
                   "(numpy does not sum them either)", spec)
    if _dots(output) > 1:
        raise _err("the output has '...' twice", spec)

    def expand(names: list[Any], extra: int) -> list[Any]:
        out: list[Any] = []
        for n in names:
            if n == ELLIPSIS:
                out.extend(run[width - extra:])
            elif isinstance(n, tuple) and ELLIPSIS in n:  # '(... i)': group them too
                k = n.index(ELLIPSIS)
                out.append(tuple(n[:k]) + tuple(run[width - extra:]) + tuple(n[k + 1:]))
            else:
                out.append(n)
        return out

    return [expand(n, c) for n, c in zip(inputs, counts)], expand(output, width)


def _dots(names: list[Any]) -> int:
    """How many times `...` appears, at top level or inside a group."""
    return sum(n == ELLIPSIS or (isinstance(n, tuple) and ELLIPSIS in n) for n in names)


def _fresh(name: str, used: set[str]) -> str:
    out, k = name, 2
    while out in used:
        out, k = f"{name}{k}", k + 1
    used.add(out)
    return out


def _spec_slot(n: Any, pos: dict) -> Any:
    if isinstance(n, tuple):
        return S.Group(tuple(S.Index(x, **pos) for x in n), **pos)
    return S.Index(n, **pos)


def _words(text: str, spec: S.Str) -> list[Any]:
    out: list[Any] = []
    group: list[str] | None = None
    for t in _TOKEN.findall(text):
        if t == "(":
            if group is not None:
                raise _err("nested groups in an einsum spec", spec)
            group = []
        elif t == ")":
            if group is None:
                raise _err("unbalanced ')' in the einsum spec", spec)
            out.append(tuple(group))
            group = None
        elif t != ELLIPSIS and not _NAME.fullmatch(t):
            raise _err(f"'{t}' is not an index name in the einsum spec "
                       "(names are words like i, batch, α1; '...' stands for the rest)", spec)
        elif group is not None:
            group.append(t)
        else:
            out.append(t)
    if group is not None:
        raise _err("unbalanced '(' in the einsum spec", spec)
    return out


def _einops_spec(spec: S.Str) -> tuple[list[list[Any]], list[Any]]:
    text = spec.value
    if "->" not in text:
        raise _err("an einops-style einsum spec needs '->', as in 'i j, j k -> i k'", spec)
    lhs, rhs = text.split("->", 1)
    parts = lhs.split(",")
    if len(parts) > 1 and not parts[-1].strip():
        parts = parts[:-1]  # trailing comma: 'i, j, -> i j'
    return [_words(x, spec) for x in parts], _words(rhs, spec)


def _numpy_spec(spec: S.Str) -> tuple[list[list[Any]], list[Any]]:
    text = spec.value.replace(" ", "")
    lhs, arrow, rhs = text.partition("->")
    inputs = lhs.split(",")
    for word in spec.value.partition("->")[0].split(","):
        if len(word.split()) > 1 and any(len(w) > 1 for w in word.split()):
            raise _err("a numpy-style einsum spec (spec first) takes one letter per index; "
                       "for names, put the spec last (einops style)", spec)
    for ch in text.replace(ELLIPSIS, ""):
        if not (ch.isalpha() or ch in ",->"):
            raise _err(f"unexpected '{ch}' in a numpy-style einsum spec", spec)
    ins = [_letters(x) for x in inputs]
    if arrow:
        out = _letters(rhs)
    else:
        counts: dict[str, int] = {}
        for x in ins:
            for ch in x:
                counts[ch] = counts.get(ch, 0) + 1
        out = sorted(ch for ch, c in counts.items() if c == 1 and ch != ELLIPSIS)
        if ELLIPSIS in counts:  # implicit mode: broadcast legs first, as numpy
            out = [ELLIPSIS, *out]
    return ins, out


def _letters(word: str) -> list[str]:
    """'...ij' → ['...', 'i', 'j']"""
    return re.findall(r"\.\.\.|.", word)


# --------------------------------------------------------------------- rules


def _var_kind(param: S.Param) -> VarKind:
    words = list(param.kind)
    real = False
    if words and words[0] == "real":
        real, words = True, words[1:]
    if len(words) != 1 or words[0] not in _KINDS:
        raise _err(f"unknown kind '{' '.join(param.kind)}' (kinds: "
                   f"{', '.join(_KINDS)}, optionally preceded by 'real')", param)
    return VarKind(_KINDS[words[0]], real)


def _rule_side(expr: S.Expr, params: dict[str, VarKind], env: Env,
               decls: dict[str, Decl]) -> tuple[Side, set[str], list[str]]:
    if len(expr.terms) != 1 or expr.output is not None:
        raise _err("a rule side is one product of indexed tensors", expr)
    term = expr.terms[0]
    coeff: Any = sympy.Integer(term.sign)
    atoms: list[Atom] = []
    counts: dict[str, int] = {}
    groups: set[str] = set()
    for f in term.product.factors:
        value = _scalar_of(f, env)
        if value is not None:
            coeff = coeff * value
            continue
        atom = _rule_atom(f, params, env, decls)
        for slot in atom.args:
            for n in slot.names:
                counts[n] = counts.get(n, 0) + 1
            if slot.group:
                groups.update(slot.names)
        atoms.append(atom)
    boundary = [n for n, c in counts.items() if c == 1]
    return Side(tuple(atoms), coeff, tuple(boundary)), groups, boundary


def _rule_atom(f: Any, params: dict[str, VarKind], env: Env, decls: dict[str, Decl]) -> Atom:
    conj, op = False, ""
    node, idx = f, None
    if isinstance(f, (S.Ref, S.Call)):
        idx = f.indices
    while isinstance(node, S.Call) and node.fn in ("conj", "inv", "diag"):
        if len(node.args) != 1:
            raise _err(f"{node.fn} takes one tensor name", node)
        if node.fn == "conj":
            conj = not conj
        elif op:
            raise _err("inv and diag do not combine", node)
        else:
            op = node.fn
        inner = node.args[0]
        if not (isinstance(inner, S.SumExpr) and len(inner.terms) == 1
                and len(inner.terms[0].product.factors) == 1):
            raise _err("a rule atom is a tensor name with conj/inv/diag around it", inner)
        node = inner.terms[0].product.factors[0]
        if isinstance(node, (S.Ref, S.Call)) and node.indices is not None:
            raise _err("indices go outside conj(...)/inv(...)", node)
    if not isinstance(node, S.Ref) or idx is None:
        raise _err("a rule side is a product of indexed tensors, as in X[a, b]", f)
    name = node.name
    head = DELTA if name in DELTA_NAMES else name
    slots = []
    for s in idx.slots:
        if isinstance(s, S.Index):
            if s.size is not None:
                raise _err("sizes are not written in rules", s)
            slots.append(Slot((s.name,)))
        elif isinstance(s, S.Stars):
            slots.append(Slot(tuple(s.names), group=True))
        else:
            raise _err("grouped legs (i k) are not allowed in rules", s)
    has_group = any(s.group for s in slots)
    if head == DELTA:
        if op or conj:
            raise _err("δ takes no conj/inv/diag", f)
    elif name in params:
        pass
    elif name in env.decls:
        decl = env.decls[name]
        decls[name] = decl
        arity = 1 if op == "diag" else decl.arity
        if not has_group and len(slots) != arity:
            raise _err(f"wrong number of legs: {name} has {arity}, but {len(slots)} "
                       f"{'is' if len(slots) == 1 else 'are'} given", f)
        if op == "inv" and not decl.is_a(Kind.INVERTIBLE):
            raise _err(f"inv({name}): {name} is not declared invertible (or unitary)", f)
        if op == "diag" and not decl.is_a(Kind.DIAGONAL):
            raise _err(f"diag({name}): {name} is not declared diagonal", f)
    else:
        raise _err(f"unknown name '{name}' (declare it, or make it a rule parameter)", node)
    return Atom(head, tuple(slots), conj, op, idx.split, pos=(f.line, f.column))


def build_rule(stmt: S.RuleStmt, env: Env) -> Rule:
    """A `rule` statement as a `pattern.Rule` (both sides must share their boundary)."""
    params: dict[str, VarKind] = {}
    for prm in stmt.params:
        if prm.name in params:
            raise _err(f"parameter '{prm.name}' is listed twice", prm)
        params[prm.name] = _var_kind(prm)
    decls: dict[str, Decl] = {}
    lhs, g1, b1 = _rule_side(stmt.lhs, params, env, decls)
    rhs, g2, b2 = _rule_side(stmt.rhs, params, env, decls)
    if set(b1) != set(b2):
        only_l = sorted(set(b1) - set(b2))
        only_r = sorted(set(b2) - set(b1))
        bits = []
        if only_l:
            bits.append(f"{', '.join(only_l)} only on the left")
        if only_r:
            bits.append(f"{', '.join(only_r)} only on the right")
        line, col = stmt.arrow
        raise InputError("the two sides of a rule must have the same free indices: "
                         + "; ".join(bits), line, col, width=2)
    return Rule(stmt.name, params, lhs, rhs, decls, frozenset(g1 | g2),
                pos=(stmt.line, stmt.column), filename=env.filename, source=stmt.source)


def build_program(stmts: Iterable[S.Stmt], env: Env | None = None) -> Env:
    """Execute every declaration of a program (commands are left to `run`)."""
    env = env or Env()
    for st in stmts:
        if not isinstance(st, S.Command):
            env.execute_declaration(st)
    return env


def declare(stmt: S.Stmt, env: Env) -> None:
    """Module-level spelling of `Env.execute_declaration` (for rule-file loaders)."""
    env.execute_declaration(stmt)
