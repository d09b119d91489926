"""`rule` statements -> `pattern.Rule` values (rules as data).

A rule side is one product of indexed atoms: declared tensors, rule
parameters (pattern variables with a kind), δ, with conj/inv/diag around a
name and `*w` leg-group variables.  Both sides must have the same free
indices.  Whether a rule is sound, and whether it simplifies or expands, is
decided where rules are loaded (`rewriting.ruleset`), not here.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import syntax as S
from ..core.errors import InputError, error_at, near
from ..core.kinds import Decl, Kind, combine_kinds, kind_is_a
from ..core.pattern import DELTA, Atom, Rule, Side, Slot, VarKind, atoms_within, variables_of
from ..core.functions import lookup, pow_name
from .expressions import DELTA_NAMES, scalar_of
from ..core import scalars

if TYPE_CHECKING:
    from .env import Env

KINDS = {k.value: k for k in Kind}


def _var_kind(param: S.Param) -> VarKind:
    if param.kind == ("expression",):
        return VarKind(expression=True)
    try:
        ks = combine_kinds(list(param.kind))
    except ValueError as e:
        raise error_at(str(e), param) from None
    return VarKind(ks.kind, ks.real, ks.also)


def _rule_side(expr: S.Expr, params: dict[str, VarKind], env: Env,
               decls: dict[str, Decl]) -> tuple[Side, set[str], list[str]]:
    if len(expr.terms) != 1 or expr.output is not None:
        raise error_at("a rule side is one product of indexed tensors", expr)
    term = expr.terms[0]
    coeff: Any = term.sign
    atoms: list[Atom] = []
    counts: dict[str, int] = {}
    groups: set[str] = set()
    for f in term.product.factors:
        value = scalar_of(f, env)
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


def _bubble_atom(f: Any, params: dict[str, VarKind], env: Env,
                 decls: dict[str, Decl]) -> Atom | None:
    """`exp(E)[a]`, `relu(-E)[*a]`, `softmax[k](E)[q, k]`, `exp(E + F)[c]`,
    `pow(E, -1)[a]`: a bubble whose argument is a combination of expression
    variables - or one product of atoms, `pow(exp(E)[q, j] δ[j], -1)[q]` -
    or None when `f` is not a call of an elementwise function, pow or softmax."""
    if isinstance(f, S.Softmax):
        fn, arg, axis = "softmax", f.arg, f.axis.name
    elif isinstance(f, S.Call) and f.fn == "pow" and len(f.args) == 2:
        fn, arg, axis = pow_name(_exponent(f.args[1], env)), f.args[0], None
    elif isinstance(f, S.Call) and f.fn not in ("conj", "inv", "diag") and \
            lookup(f.fn) is not None and len(f.args) == 1:
        fn, arg, axis = lookup(f.fn).name, f.args[0], None
    else:
        return None
    slots = []
    for s in f.indices.slots if f.indices is not None else ():
        if isinstance(s, S.Index) and s.size is None:
            slots.append(Slot((s.name,)))
        elif isinstance(s, S.Stars):
            slots.append(Slot(tuple(s.names), group=True))
        else:
            raise error_at("a bubble's legs in a rule are indices or groups (*w)", s)
    if axis is not None and axis not in [s.name for s in slots if not s.group]:
        raise error_at(f"the softmax axis '{axis}' must be one of the bubble's legs", f)
    split = f.indices.split if f.indices is not None else None
    inner = _combination(arg, params, env)
    if not inner:
        body = _body(arg, params, env, decls)
        if body is None:
            raise error_at(f"in a rule, a bubble's argument is a sum of expression variables "
                           f"(declared 'E: expression'), as in {fn}(E) or exp(E + F), or one "
                           f"product of atoms, as in pow(exp(E)[q, j] δ[j], -1)", arg)
        if len(body.boundary) != len(slots) or any(s.group for s in slots):
            raise error_at(f"the bubble has {len(slots)} legs and its argument "
                           f"{len(body.boundary)} free indices; write one leg per free index "
                           f"(no groups)", f)
        head = next((a.head for a in atoms_within(body) if a.head != DELTA), DELTA)
        return Atom(head, tuple(slots), False, "", split, pos=(f.line, f.column), fn=fn,
                    axis=axis, body=body)
    if f.indices is None:
        raise error_at(f"a bubble in a rule needs its legs, as in {fn}(E)[*a]", f)
    return Atom(inner[0][1], tuple(slots), False, "", split,
                pos=(f.line, f.column), fn=fn, inner=tuple(inner), axis=axis)


def _exponent(a: Any, env: Env) -> Any:
    """The number k of `pow(..., k)` in a rule."""
    if isinstance(a, S.SumExpr) and len(a.terms) == 1 and a.output is None \
            and len(a.terms[0].product.factors) == 1:
        value = scalar_of(a.terms[0].product.factors[0], env)
        if value is not None and scalars.is_concrete(value):
            return a.terms[0].sign * value
    raise error_at("pow(EXPR, k) takes a number second, as in pow(E, -1)", a)


def _combination(arg: Any, params: dict[str, VarKind], env: Env) -> list[tuple[Any, str]]:
    """A bubble argument as (coefficient, expression variable) pairs, or []
    when it is not a sum of scaled expression variables."""
    inner: list[tuple[Any, str]] = []
    for term in arg.terms if isinstance(arg, S.SumExpr) and arg.output is None else ():
        coeff: Any = term.sign
        names = []
        for g in term.product.factors:
            value = scalar_of(g, env)
            if value is not None:
                coeff = coeff * value
            elif isinstance(g, S.Ref) and g.indices is None and g.name in params \
                    and params[g.name].expression:
                names.append(g.name)
            else:
                return []
        if len(names) != 1:
            return []
        inner.append((coeff, names[0]))
    return inner


def _body(arg: Any, params: dict[str, VarKind], env: Env, decls: dict[str, Decl]) -> Side | None:
    """A bubble's argument written as one product of atoms (its own indices;
    its free legs are those written once, in order), or None."""
    if not (isinstance(arg, S.SumExpr) and len(arg.terms) == 1 and arg.output is None
            and any(getattr(g, "indices", None) is not None
                    for g in arg.terms[0].product.factors)):
        return None
    side, groups, _ = _rule_side(arg, params, env, decls)
    if groups:
        raise error_at("leg groups (*w) are not allowed inside a bubble's argument in a rule", arg)
    return side


def _rule_atom(f: Any, params: dict[str, VarKind], env: Env, decls: dict[str, Decl]) -> Atom:
    bubble = _bubble_atom(f, params, env, decls)
    if bubble is not None:
        return bubble
    conj, op = False, ""
    node, idx = f, None
    if isinstance(f, (S.Ref, S.Call)):
        idx = f.indices
    while isinstance(node, S.Call) and node.fn in ("conj", "inv", "diag"):
        if len(node.args) != 1:
            raise error_at(f"{node.fn} takes one tensor name", node)
        if node.fn == "conj":
            conj = not conj
        elif op:
            raise error_at("inv and diag do not combine", node)
        else:
            op = node.fn
        inner = node.args[0]
        if not (isinstance(inner, S.SumExpr) and len(inner.terms) == 1
                and len(inner.terms[0].product.factors) == 1):
            raise error_at("a rule atom is a tensor name with conj/inv/diag around it", inner)
        node = inner.terms[0].product.factors[0]
        if isinstance(node, (S.Ref, S.Call)) and node.indices is not None:
            raise error_at("indices go outside conj(...)/inv(...)", node)
    if not isinstance(node, S.Ref) or idx is None:
        raise error_at("a rule side is a product of indexed tensors, as in X[a, b]", f)
    name = node.name
    head = DELTA if name in DELTA_NAMES else name
    slots = []
    for s in idx.slots:
        if isinstance(s, S.Index):
            if s.size is not None:
                raise error_at("sizes are not written in rules", s)
            slots.append(Slot((s.name,)))
        elif isinstance(s, S.Stars):
            slots.append(Slot(tuple(s.names), group=True))
        else:
            raise error_at("grouped legs (i k) are not allowed in rules", s)
    has_group = any(s.group for s in slots)
    if head == DELTA:
        if op or conj:
            raise error_at("δ takes no conj/inv/diag", f)
    elif name in params and params[name].expression:
        raise error_at(f"{name} is an expression variable: it stands for a bubble's argument, "
                       f"as in exp({name})[a]", f)
    elif name in params:
        # A variable stands for any tensor of its kind: inv and diag need the
        # kind to promise them, as they do for a declared tensor.
        kind, also = params[name].kind, params[name].also
        if op == "inv" and not kind_is_a(kind, Kind.INVERTIBLE, also):
            raise error_at(f"inv({name}): the variable {name} is '{kind.value}'; declare it "
                           f"'{name}: invertible' (or unitary)", f)
        if op == "diag" and not kind_is_a(kind, Kind.DIAGONAL, also):
            raise error_at(f"diag({name}): the variable {name} is '{kind.value}'; declare it "
                           f"'{name}: diagonal'", f)
    elif name in env.decls:
        decl = env.decls[name]
        decls[name] = decl
        arity = 1 if op == "diag" else decl.arity
        if not has_group and len(slots) != arity:
            raise error_at(f"wrong number of legs: {name} has {arity}, but {len(slots)} "
                       f"{'is' if len(slots) == 1 else 'are'} given", f)
        if op == "inv" and not decl.is_a(Kind.INVERTIBLE):
            raise error_at(f"inv({name}): {name} is not declared invertible (or unitary)", f)
        if op == "diag" and not decl.is_a(Kind.DIAGONAL):
            raise error_at(f"diag({name}): {name} is not declared diagonal", f)
    else:
        hint = near(name, [*params, *env.decls]) or " (declare it, or make it a rule parameter)"
        raise error_at(f"unknown name '{name}'{hint}", node)
    return Atom(head, tuple(slots), conj, op, idx.split, pos=(f.line, f.column))


def build_rule(stmt: S.RuleStmt, env: Env) -> Rule:
    """A `rule` statement as a `pattern.Rule` (both sides must share their boundary)."""
    params: dict[str, VarKind] = {}
    for prm in stmt.params:
        if prm.name in params:
            raise error_at(f"parameter '{prm.name}' is listed twice", prm)
        params[prm.name] = _var_kind(prm)
    decls: dict[str, Decl] = {}
    lhs, g1, b1 = _rule_side(stmt.lhs, params, env, decls)
    rhs, g2, b2 = _rule_side(stmt.rhs, params, env, decls)
    for atom in atoms_within(lhs):
        if atom.fn and atom.body is None and (len(atom.inner) != 1
                                              or atom.inner[0][0] not in (1, -1)):
            raise error_at("on a rule's left side a bubble's argument is one expression "
                           "variable, E or -E", stmt.lhs)
    # variables are bound wherever the left side names them, inside a
    # bubble's argument too (`exp(log(X[j])[k])[a]` binds X)
    bound = variables_of(lhs)
    for name in sorted(variables_of(rhs)):
        if name in params and params[name].expression and name not in bound:
            raise error_at(f"the expression variable {name} is not bound by the left side",
                           stmt.rhs)
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
