"""A rule side made concrete: pattern atoms + a binding -> a `Diagram`.

One function serves two masters: the engine builds every rewrite's right-hand
side with it, and the rule checker builds *both* sides of a rule with it (under
random kinds and group lengths) to compare them numerically.  Keeping the two on
one code path means a rule is checked exactly as it will be applied.

Leg keys: an index is keyed by its name, the k-th leg of a group `*t` by the
pair `("t", k)`; free legs of the result are named `a` and `t.0, t.1, ...`.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from math import prod
from typing import Any, Iterable, Union

from ..core import scalars
from ..core.diagram import BubbleNode, DeltaNode, Diagram, Port, Sum, TensorNode
from ..core.kinds import Decl
from ..core.pattern import DELTA, Atom, Side, Slot
from ..core.unionfind import UnionFind

LegKey = Union[str, tuple[str, int]]


@dataclass(frozen=True)
class Binding:
    """What a match fixed: tensors, group lengths (with leg sizes), index sizes.

    `decls` maps pattern variables (and concrete head names) to declarations;
    `groups` maps a group to the sizes of its legs (its length is their count);
    `indices` maps index names to sizes.  `delta_size` is the size of the deltas
    the left side matched: the only size a zero-leg delta on the right (a loop,
    e.g. `δ[k] δ[k] => δ[]`) can take.
    """

    decls: dict[str, Decl] = field(default_factory=dict)
    groups: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    indices: dict[str, Any] = field(default_factory=dict)
    delta_size: Any = None
    # expression variables (`E: expression`) -> the bubble argument matched;
    # a rule check binds them to random tensors through `decls` instead
    exprs: dict[str, Sum] = field(default_factory=dict)


def leg_name(key: LegKey) -> str:
    return key if isinstance(key, str) else f"{key[0]}.{key[1]}"


def expand_slot(slot: Slot, lengths: dict[str, int]) -> list[LegKey]:
    """The leg keys of one argument slot, groups expanded leg by leg."""
    if not slot.group:
        return [slot.name]
    return [(g, k) for g in slot.names for k in range(lengths[g])]


def expand_names(names: Iterable[str], groups: Iterable[str], lengths: dict[str, int]) -> list[LegKey]:
    gs = set(groups)
    out: list[LegKey] = []
    for n in names:
        out.extend([(n, k) for k in range(lengths[n])] if n in gs else [n])
    return out


def side_groups(side: Side) -> set[str]:
    return {n for a in side.atoms for s in a.args if s.group for n in s.names}


def delta_legsets(atom: Atom, lengths: dict[str, int]) -> list[list[LegKey]]:
    """The deltas one δ atom stands for (pattern.py: groups in separate slots zip)."""
    group_slots = [s for s in atom.args if s.group]
    if len(group_slots) >= 2 and all(len(s.names) == 1 for s in group_slots):
        if len(group_slots) != len(atom.args):
            raise ValueError("a delta zipping groups cannot also take single indices")
        n = {lengths[s.name] for s in group_slots}
        if len(n) != 1:
            raise ValueError("groups zipped on one delta must have one length")
        return [[(s.name, k) for s in group_slots] for k in range(n.pop())]
    return [[key for s in atom.args for key in expand_slot(s, lengths)]]


def instantiate(side: Side, binding: Binding, decls: dict[str, Decl] | None = None,
                boundary: tuple[str, ...] | None = None) -> Diagram:
    """Build `side` under `binding`; free legs follow `boundary` (default: the side's).

    Two-leg deltas become wires and zero-leg ones scalars (`Diagram.settle_delta`),
    so a right side `δ[*t, *s]` is one bare wire per position.  Delta sizes come
    from the legs they touch: the binding's sizes, or a tensor port they wire to.
    """
    decls = {**(decls or {}), **binding.decls}
    lengths = {g: len(s) for g, s in binding.groups.items()}
    groups = side_groups(side) | set(binding.groups)
    names = side.boundary if boundary is None else boundary
    d = Diagram(side.coeff)

    size: dict[LegKey, Any] = dict(binding.indices)
    for g, sizes in binding.groups.items():
        for k, s in enumerate(sizes):
            size[(g, k)] = s
    occ: dict[LegKey, list[Port]] = {}
    deltas: list[list[LegKey]] = []

    for atom in side.atoms:
        if atom.head == DELTA:
            for legs in delta_legsets(atom, lengths):
                deltas.append(legs)
            continue
        legs = [key for s in atom.args for key in expand_slot(s, lengths)]
        if atom.fn:
            node: Any = bubble_of(atom, legs, binding, decls)
            if node.fn == "exp" and not node.inside.terms:
                # exp(0) is 1 on every entry: one ones-vector (a one-leg δ) per leg
                for key, s in zip(legs, node.sizes):
                    v = d.add_node(DeltaNode(s, 1))
                    occ.setdefault(key, []).append((v, 0))
                    size.setdefault(key, s)
                continue
        elif atom.head not in decls:
            raise ValueError(f"no declaration bound for {atom.head!r}")
        else:
            node = TensorNode(decls[atom.head], atom.conj, atom.op)
        if len(legs) != node.arity:
            raise ValueError(f"{node.title} has {node.arity} legs, the pattern gives {len(legs)}")
        v = d.add_node(node)
        for i, key in enumerate(legs):
            occ.setdefault(key, []).append((v, i))
            size.setdefault(key, node.sizes[i])

    # Delta sizes: from a leg of known size, propagating along delta-only chains.
    dsize: list[Any] = [None] * len(deltas)
    changed = True
    while changed:
        changed = False
        for n, legs in enumerate(deltas):
            if dsize[n] is None:
                known = [size[k] for k in legs if k in size]
                if known:
                    dsize[n] = known[0]
                    changed = True
            if dsize[n] is not None:
                for k in legs:
                    if k not in size:
                        size[k] = dsize[n]
                        changed = True
    ids = []
    for n, legs in enumerate(deltas):
        s = dsize[n] if legs else binding.delta_size
        if s is None:
            raise ValueError("cannot tell the size of a delta in the rule side")
        v = d.add_node(DeltaNode(s, len(legs)))
        ids.append(v)
        for i, key in enumerate(legs):
            occ.setdefault(key, []).append((v, i))

    for key in expand_names(names, groups, lengths):
        occ.setdefault(key, []).append(d.add_free(leg_name(key), size.get(key)))

    for key, ports in occ.items():
        if len(ports) == 2:
            d.connect(*ports)
        elif len(ports) >= 3:  # a hyperedge: all meet at one delta
            v = d.add_node(DeltaNode(size[key], len(ports)))
            ids.append(v)
            for i, p in enumerate(ports):
                d.connect(p, (v, i))
        else:
            raise ValueError(f"index {leg_name(key)} occurs once and is not on the boundary")
    for v in ids:
        d.settle_delta(v)
    return d


def bubble_of(atom: Atom, legs: list[LegKey], binding: Binding, decls: dict[str, Decl]) -> BubbleNode:
    """The bubble of a bubble atom: `fn` of the combination of the expression
    variables' bound arguments (`binding.exprs`, legs by position), or, in a
    rule check, of the random tensors standing for them (`decls`)."""
    names = [f"e{k}" for k in range(len(legs))]
    first = binding.exprs.get(atom.inner[0][1]) if atom.inner else None
    if first is not None and len(set(first.free)) == len(first.free) == len(legs):
        names = list(first.free)  # the user's own leg names, where there are some
    axis = None if atom.axis is None else legs.index(atom.axis)
    if atom.body is not None:
        # The argument is a product of its own: built from the same binding,
        # its indices its own (none of the outer side's sizes or groups apply).
        inner = instantiate(atom.body, Binding(binding.decls, {}, {}, binding.delta_size,
                                               binding.exprs), decls)
        if len(inner.free) != len(legs):
            raise ValueError(f"{atom.fn}(...) has {len(inner.free)} legs, the pattern gives {len(legs)}")
        return BubbleNode(atom.fn, Sum.of(inner.renamed(names)), axis)
    terms: list[Diagram] = []
    sizes: tuple[Any, ...] | None = None
    for coeff, var in atom.inner:
        if var in binding.exprs:
            s = binding.exprs[var]
        elif var in decls:
            d = Diagram()
            v = d.add_node(TensorNode(decls[var]))
            for k, size in enumerate(decls[var].sizes):
                d.connect((v, k), d.add_free(names[k], size))
            s = Sum.of(d)
        else:
            raise ValueError(f"no argument bound for {var!r}")
        if len(s.free) != len(legs):
            raise ValueError(f"{atom.fn}({var}) has {len(s.free)} legs, the pattern gives {len(legs)}")
        sizes = sizes or tuple(s.sizes)
        for t in s.terms:
            t = t.renamed(names) if list(t.free) != names else t.copy()
            t.scalar = scalars.mul(t.scalar, coeff)
            terms.append(t)
    # like terms collected (exp(x) ⊙ exp(x) is exp(2 x), not exp(x + x))
    from ..core.canon import collect_terms

    return BubbleNode(atom.fn, collect_terms(terms, tuple(names), sizes or ()), axis)


# ------------------------------------------------- random bindings for rule checks


def _flattened(sides: tuple[Side, ...]) -> tuple[list[Atom], list[tuple[LegKey, LegKey]]]:
    """Every atom of the sides, those inside a bubble's argument included with
    their indices renamed apart (`j@1`), and the pairs of legs that must have
    one size: each such argument's free legs with its bubble's legs."""
    atoms: list[Atom] = []
    joins: list[tuple[LegKey, LegKey]] = []
    tags = iter(range(1, 1 << 30))

    def walk(side: Side, rename: Any) -> None:
        for atom in side.atoms:
            atoms.append(replace(atom, args=tuple(
                Slot(tuple(rename(n) for n in s.names), s.group) for s in atom.args)))
            if atom.body is not None:
                tag = next(tags)

                def inner(n: str, tag: int = tag) -> str:
                    return f"{n}@{tag}"

                outer = [rename(n) for s in atom.args for n in s.names]
                joins.extend(zip(outer, [inner(n) for n in atom.body.boundary]))
                walk(atom.body, inner)

    for side in sides:
        walk(side, lambda n: n)
    return atoms, joins


def _decl_ports(atom: Atom, lengths: dict[str, int]) -> tuple[list[LegKey], int | None]:
    """The declaration's ports seen through an atom, and its split if the atom shows it."""
    pre = [k for s in (atom.args if atom.split is None else atom.args[: atom.split])
           for k in expand_slot(s, lengths)]
    post = [] if atom.split is None else [k for s in atom.args[atom.split:]
                                          for k in expand_slot(s, lengths)]
    if atom.op == "diag":
        return pre + pre, None
    if atom.op == "inv":
        return post + pre, (len(post) if atom.split is not None else None)
    return pre + post, (len(pre) if atom.split is not None else None)


def _honours(kind: Any, sizes: list[int], split: int, also: frozenset = frozenset()) -> bool:
    from ..core.kinds import MATRIX_KINDS, Kind, closure, kind_is_a

    every = closure({kind} | set(also))
    if every & MATRIX_KINDS or (also and Kind.INVERTIBLE in every):
        if len(sizes) != 2 or sizes[0] != sizes[1]:
            return False

    wide, tip = prod(sizes[:split]), prod(sizes[split:])
    if kind_is_a(kind, Kind.UNITARY):
        return wide == tip
    if kind_is_a(kind, Kind.ISOMETRY):
        return tip <= wide
    if kind_is_a(kind, Kind.INVERTIBLE):
        r = split if 0 < split < len(sizes) else len(sizes) // 2
        return prod(sizes[:r]) == prod(sizes[r:]) and len(sizes) >= 2
    if kind_is_a(kind, Kind.SYMMETRIC):
        return len(set(sizes)) == 1
    return True


def random_bindings(rule: Any, seed: int = 0, lengths: tuple[int, ...] = (1, 2, 3),
                    max_bindings: int = 6, tries: int = 300) -> list[Binding]:
    """Bindings of a rule's variables to random tensors of their declared kinds.

    Every group gets 1-3 legs (all equal first, then mixed lengths), sizes are
    random but consistent: legs on one delta or wire agree, and each variable's
    sizes honour its kind (an isometry's tip is never wider than its wide
    side).  Lengths that no declaration can satisfy (a variable used with two
    arities, zipped groups of different lengths) are skipped.
    """
    import itertools
    import random

    rng = random.Random(seed)
    sides = (rule.lhs, rule.rhs)
    groups = sorted(set().union(*(side_groups(s) for s in sides)))
    combos = [dict.fromkeys(groups, n) for n in lengths]
    others = [dict(zip(groups, c)) for c in itertools.product(lengths, repeat=len(groups))]
    rng.shuffle(others)
    combos += [c for c in others if c not in combos]
    out: list[Binding] = []
    for lens in combos:
        if len(out) >= max_bindings:
            break
        b = _bind_once(rule, sides, lens, rng, tries)
        if b is not None:
            out.append(b)
    return out


def _bind_once(rule: Any, sides: tuple[Side, Side], lens: dict[str, int], rng: Any,
               tries: int) -> Binding | None:
    cls: UnionFind[Any] = UnionFind()
    shape: dict[str, tuple[list[LegKey], int | None]] = {}
    deltas: list[list[LegKey]] = []
    atoms, joins = _flattened(sides)
    for a, b in joins:
        cls.union(cls.find(a), cls.find(b))
    try:
        for atom in atoms:
            if atom.head == DELTA:
                legs = delta_legsets(atom, lens)
                for ls in legs:
                    for k in ls:
                        cls.find(k)
                    for k in ls[1:]:
                        cls.union(k, ls[0])
                deltas.extend(legs)
                continue
            ports, split = _decl_ports(atom, lens)
            for k in ports:
                cls.find(k)
            if atom.fn:  # each expression variable: a tensor with the bubble's legs
                for _, var in atom.inner:
                    if var not in shape:
                        shape[var] = (ports, None)
                        continue
                    if len(shape[var][0]) != len(ports):
                        return None
                    for a, c in zip(shape[var][0], ports):
                        cls.union(c, a)
                continue
            if atom.head in rule.decls:
                known = rule.decls[atom.head]
                if known.arity != len(ports):
                    return None
            if atom.head not in shape:
                shape[atom.head] = (ports, split)
                continue
            ports0, split0 = shape[atom.head]
            if len(ports0) != len(ports) or (None not in (split, split0) and split != split0):
                return None
            if split0 is None:
                shape[atom.head] = (ports0, split)
            for a, c in zip(ports0, ports):
                cls.union(c, a)
    except ValueError:
        return None
    fixed: dict[Any, Any] = {}
    for head, (ports, _) in shape.items():
        if head in rule.decls:
            for k, s in zip(ports, rule.decls[head].sizes):
                fixed[cls.find(k)] = s
    roots = sorted({cls.find(k) for k in cls}, key=str)
    for _ in range(tries):
        size = {r: fixed.get(r, rng.randint(1, 4)) for r in roots}
        decls: dict[str, Decl] = {}
        ok = True
        for head, (ports, split) in shape.items():
            if head in rule.decls:
                decls[head] = rule.decls[head]
                continue
            var = rule.params.get(head)
            if var is None:
                raise ValueError(f"rule {rule.name}: {head} is neither a variable nor declared")
            sizes = [size[cls.find(k)] for k in ports]
            sp = len(sizes) if split is None else split
            if all(scalars.is_integer(s) for s in sizes) and not _honours(
                    var.kind, [int(s) for s in sizes], sp, var.also):
                ok = False
                break
            decls[head] = Decl(head, var.kind, tuple(f"{head.lower()}{i}" for i in range(len(sizes))),
                               tuple(sizes), sp, var.real, also=var.also)
        if not ok:
            continue
        groups = {g: tuple(size[cls.find((g, k))] for k in range(n)) for g, n in lens.items()}
        indices = {k: size[cls.find(k)] for k in cls if isinstance(k, str)}
        dsize = next((size[cls.find(ls[0])] for ls in deltas if ls), None)
        if dsize is None and roots:
            dsize = size[roots[0]]
        return Binding(decls, groups, indices, dsize)
    return None
