"""One product of factors -> one port graph: occurrences, merged lines, wiring.

The one idea: a product is a bag of *occurrences* of index names.  Every slot
of every atom is an occurrence - with a real port (a tensor's leg, a fuse's
leg) or without one (a delta's slot, which only says "these names are one
line").  Deltas therefore merge names with union-find, and each merged class
becomes, at the end, one wire (two endpoints), one copy node (one or three
and more), or a closed loop (none: the scalar of its size).  That single pass
gives index aliasing `δ[i, j]`, traces `A[i, i]`, hyperedges, delta fusion
and `δ[i, i] = n` without a special case each, and it is linear in the size
of the input (the 10,000-tensor requirement).

Sub-expressions that are not plain indexed tensors are built on their own
first (by `expressions`) and placed here by their free legs (`embed`): their
internal names never meet the outer ones (hygiene).  A sum inside a product
is kept whole as a `BubbleNode("sum")`.

`Product` collects occurrences; `finish` turns them into a `Diagram` in four
passes (free legs, one size per line, grouped-leg sizes, wiring), each a
function of its own below.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from . import sizes as Z
from . import syntax as S
from ..core import scalars
from ..core.diagram import BOUNDARY, BubbleNode, DeltaNode, Diagram, Port, Sum, TensorNode
from ..core.errors import InputError, error_at
from ..core.kinds import fuse_decl
from ..core.limits import LIMITS
from ..core.unionfind import UnionFind

Dims = Mapping[str, Any]


def checked_bubble(node: BubbleNode, at: S.Located) -> BubbleNode:
    """`node`, unless bubbles now nest deeper than the nesting limit (see core/limits)."""
    if node.nesting > LIMITS.max_depth:
        raise error_at(f"bubbles nest more than {LIMITS.max_depth} deep (through let "
                       f"definitions; the nesting limit, raise it with --max-depth)", at)
    return node


def _on(name: str) -> str:
    """Where a size mismatch is, in the user's words: matrix notation's legs
    (`%`-names the user never wrote) are where two matrices meet."""
    if name.startswith("%"):
        return "where matrix notation joins two legs (a row against a column)"
    return f"on index '{name}'"


@dataclass
class Fuse:
    """A grouped leg `(i k)`: a fuse node whose sizes are settled at the end."""

    node: int
    parts: list[str]
    whole: Any  # the whole's size if known
    at: Any
    gname: str | None  # the name the whole occurs as, when it meets a delta


class Product:
    """One product being assembled: occurrences of names, merged by deltas."""

    def __init__(self) -> None:
        self.d = Diagram()
        self.lines: UnionFind[str] = UnionFind()
        self.count: dict[str, int] = {}  # insertion order = first appearance
        self.ports: dict[str, list[Port]] = {}
        self.size: dict[str, tuple[Any, Any]] = {}  # name -> (size, where it was said)
        self.class_sizes: dict[str, tuple[Any, Any]] = {}  # line -> (size, where); see finish
        self.fuses: list[Fuse] = []
        self.fresh = 0

    def find(self, name: str) -> str:
        return self.lines.find(name)

    def union(self, a: str, b: str) -> None:
        self.lines.union(a, b)

    def new_name(self, stem: str = "") -> str:
        self.fresh += 1
        return f"%{stem}{self.fresh}"

    # -- occurrences -----------------------------------------------------------

    def occur(self, name: str, port: Port | None, size: Any, at: Any) -> None:
        if name not in self.count:
            self.lines.add(name)
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
                raise error_at(f"size mismatch {_on(name)}: {old[0]} here, "
                               f"but {size} at line {getattr(old[1], 'line', '?')}", at)

    def bind(self, slot: Any, port: Port | None, size: Any, dims: Dims) -> str | None:
        """One slot occurs at `port` (or nowhere, for a delta); returns its name."""
        if isinstance(slot, S.Index):
            if slot.size is not None:
                ann = Z.evaluate(slot.size, dims)
                if size is not None and not Z.same(ann, size):
                    raise error_at(f"size mismatch on index '{slot.name}': annotated {ann}, "
                                   f"but the leg has size {size}", slot)
                size = ann
            self.occur(slot.name, port, size, slot)
            return slot.name
        if isinstance(slot, S.Group):
            return self._group(slot, port, size, dims)
        if isinstance(slot, S.Stars):
            raise error_at("leg-group variables (*w) are only allowed in rules", slot)
        raise error_at("unexpected index", slot)  # pragma: no cover

    def _group(self, slot: S.Group, port: Port | None, size: Any, dims: Dims) -> str | None:
        v = self.d.add_node(DeltaNode(1, 1))  # placeholder until sizes are known
        parts = []
        for k, part in enumerate(slot.parts):
            self.bind(part, (v, k), None, dims)
            parts.append(part.name)
        if len(set(parts)) != len(parts):
            raise error_at("an index is listed twice in a group", slot)
        whole = (v, len(parts))
        if port is not None:
            self.fuses.append(Fuse(v, parts, size, slot, None))
            self.d.connect(whole, port)
            return None
        g = self.new_name("g")
        self.fuses.append(Fuse(v, parts, size, slot, g))
        self.occur(g, whole, size, slot)
        self.occur(g, None, None, slot)
        return g

    def delta(self, slots: Sequence[Any], dims: Dims, at: Any) -> None:
        if not slots:
            raise error_at("a delta needs at least one leg", at)
        names = [self.bind(s, None, None, dims) for s in slots]
        for a in names[1:]:
            self.union(names[0], a)

    def tensor(self, node: Any, slots: Sequence[Any] | None, dims: Dims, at: Any,
               title: str) -> None:
        legs = node.legs if isinstance(node, TensorNode) else node.inside.free
        sizes = node.sizes
        if slots is None:
            slots = [S.Index(n, line=at.line, column=at.column, end_column=at.end_column,
                             end_line=at.end_line) for n in legs]
        elif len(slots) != len(sizes):
            raise error_at(f"wrong number of legs: {title} has {len(sizes)}, "
                           f"but {len(slots)} {'is' if len(slots) == 1 else 'are'} given", at)
        v = self.d.add_node(node)
        for k, (slot, size) in enumerate(zip(slots, sizes)):
            self.bind(slot, (v, k), size, dims)

    def embed(self, s: Sum, slots: Sequence[Any] | None, dims: Dims, at: Any, title: str,
              bubble: bool = False) -> None:
        """Place a built sub-expression, its free legs bound to `slots` (or its own names)."""
        if slots is None:
            slots = self.own_slots(s.free, at)
        elif len(slots) != len(s.free):
            raise error_at(f"wrong number of legs: {title} has {len(s.free)}, "
                           f"but {len(slots)} {'is' if len(slots) == 1 else 'are'} given", at)
        one = s.single
        if bubble or one is None:
            v = self.d.add_node(checked_bubble(BubbleNode("sum", s), at))
            for k, (slot, size) in enumerate(zip(slots, s.sizes)):
                self.bind(slot, (v, k), size, dims)
            return
        ids = {u: self.d.add_node(n) for u, n in one.nodes.items()}
        for (u, i), (w, j) in one.link.items():
            if u != BOUNDARY and w != BOUNDARY:
                self.d.link[(ids[u], i)] = (ids[w], j)
        for (u, i), name in one.names.items():
            if u in ids:
                self.d.names[(ids[u], i)] = name
        self.d.scalar = self.d.scalar * one.scalar
        for k, slot in enumerate(slots):
            u, i = one.link[(BOUNDARY, k)]
            if u == BOUNDARY:
                if i > k:
                    a = self.bind(slot, None, one.free_sizes[k], dims)
                    b = self.bind(slots[i], None, one.free_sizes[i], dims)
                    self.union(a, b)
            else:
                self.bind(slot, (ids[u], i), one.free_sizes[k], dims)

    def own_slots(self, legs: Sequence[str], at: Any) -> list[Any]:
        """Slots for an operand used without indices: its own leg names, each
        anonymous one (`#0` of matrix sugar) made fresh so it meets no other."""
        return [S.Index(self._anon(n), line=at.line, column=at.column,
                        end_column=at.end_column, end_line=at.end_line) for n in legs]

    def _anon(self, name: str) -> str:
        """Anonymous legs (`#0` of matrix sugar) never meet another atom's by name."""
        return self.new_name("#") if name.startswith("#") else name

    # -- finishing -------------------------------------------------------------

    def class_size(self, name: str) -> Any:
        got = self.class_sizes.get(self.find(name))
        return got[0] if got else None

    def finish(self, output: Sequence[Any] | None, dims: Dims, at: Any,
               hints: Mapping[str, Any] | None = None) -> Diagram:
        """The diagram: free legs, one size per line, fused sizes, then the wiring."""
        free = _output(self, output, dims)
        _merge_sizes(self)
        if self.fuses:
            _unify_fuses(self)
        return _wire(self, free, at, hints)


def _merge_sizes(p: Product) -> None:
    """One size per line (class of names); disagreement is an input error."""
    p.class_sizes.clear()
    for name, (size, where) in p.size.items():
        r = p.find(name)
        old = p.class_sizes.get(r)
        if old is None:
            p.class_sizes[r] = (size, where)
        elif not Z.same(old[0], size):
            raise error_at(f"size mismatch {_on(name)}: {size} here, "
                           f"but {old[0]} for the same line at line "
                           f"{getattr(old[1], 'line', '?')}", where)


def _unify_fuses(p: Product) -> None:
    """Sizes of grouped legs: whole = product of parts, solving one unknown."""
    pending = list(p.fuses)
    while pending:
        progress, left = False, []
        for f in pending:
            part_sizes = [p.class_size(x) for x in f.parts]
            whole = f.whole
            if whole is None and f.gname is not None:
                whole = p.class_size(f.gname)
            unknown = [k for k, sz in enumerate(part_sizes) if sz is None]
            if not unknown:
                total = scalars.prod(part_sizes)
                if whole is not None and not Z.same(total, whole):
                    raise error_at(f"size mismatch on a grouped leg: the parts make {total}, "
                                   f"the leg has size {whole}", f.at)
                p.d.nodes[f.node] = TensorNode(fuse_decl(tuple(part_sizes)))
                if f.gname is not None and p.class_size(f.gname) is None:
                    p.class_sizes[p.find(f.gname)] = (total, f.at)
                progress = True
            elif len(unknown) == 1 and whole is not None:
                known = [sz for sz in part_sizes if sz is not None]
                try:
                    part = Z.solve_part(whole, known)
                except ValueError as e:
                    raise error_at(str(e), f.at) from None
                p.class_sizes[p.find(f.parts[unknown[0]])] = (part, f.at)
                left.append(f)
                progress = True
            else:
                left.append(f)
        if not progress:
            raise error_at("cannot tell the sizes of this group's parts: annotate them, "
                           "as in (i: n k: m)", left[0].at)
        pending = left


def _output(p: Product, output: Sequence[Any] | None, dims: Dims) -> list[tuple[str, Any]]:
    """The free legs: (name, None), or (label, fuse node) for a grouped output leg."""
    if output is None:
        return [(n, None) for n, c in p.count.items()
                if c == 1 and (not n.startswith("%") or n.startswith("%#"))]
    free: list[tuple[str, Any]] = []
    seen: set[str] = set()
    for item in output:
        parts = [item] if isinstance(item, S.Index) else list(item.parts)
        for part in parts:
            if part.name in seen:
                raise error_at(f"index '{part.name}' is listed twice in the output", part)
            if part.name not in p.count:
                raise error_at(f"index '{part.name}' in the output does not occur in the "
                               "expression", part)
            seen.add(part.name)
            if part.size is not None:
                p.occur(part.name, None, Z.evaluate(part.size, dims), part)
                p.count[part.name] -= 1
        if isinstance(item, S.Index):
            free.append((item.name, None))
        else:
            v = p.d.add_node(DeltaNode(1, 1))  # placeholder: a fuse
            for k, part in enumerate(item.parts):
                p.ports[part.name].append((v, k))
            p.fuses.append(Fuse(v, [x.name for x in item.parts], None, item, None))
            free.append(("(" + " ".join(x.name for x in item.parts) + ")", v))
    return free



class UnsizedIndex(InputError):
    """A free index that nothing in its product sizes (`δ[i, j]` alone): a sum
    may still size it from its other terms (`expressions.build_expr`)."""

def _wire(p: Product, free: list[tuple[str, Any]], at: Any,
          hints: Mapping[str, Any] | None) -> Diagram:
    """Each line becomes a wire (two ends), a copy node (one, three or more) or a loop."""
    d = p.d
    ends: dict[str, list[Port]] = {}
    # The name the user wrote for each line (its first), kept on its ports so
    # that printing, cost and the REPL show the user's names (`Diagram.names`).
    label_of: dict[str, str] = {}
    for name, ports in p.ports.items():
        r = p.find(name)
        if r not in label_of and not name.startswith("%"):
            label_of[r] = name
        lst = ends.get(r)
        if lst is None:
            ends[r] = list(ports)
        else:
            lst.extend(ports)
    anon = 0
    for name, grp in free:
        if grp is not None:
            node = d.nodes[grp]
            port = d.add_free(name, node.sizes[-1])
            d.connect(port, (grp, node.arity - 1))
            continue
        size = p.class_size(name)
        if size is None and hints and name in hints:
            size = hints[name]
            p.class_sizes[p.find(name)] = (size, at)
        if size is None:
            e = error_at(f"cannot tell the size of index '{name}': annotate it, as in "
                         f"δ[{name}: n, ...]", at)
            raise UnsizedIndex(e.message, e.line, e.column, width=e.width)
        label = name
        if name.startswith("%#"):
            label = f"#{anon}"
            anon += 1
        ends[p.find(name)].append(d.add_free(label, size))
    for r, ports in ends.items():
        label = label_of.get(r)
        if label is not None:
            for port in ports:
                if port[0] != BOUNDARY:
                    d.names[port] = label
        if len(ports) == 2:
            d.connect(ports[0], ports[1])
            continue
        size = p.class_size(r)
        if size is None:
            raise error_at(f"cannot tell the size of index '{r.lstrip('%')}': annotate one "
                           "leg, as in δ[i: n, j]", at)
        if not ports:
            d.scalar = d.scalar * size
            continue
        v = d.add_node(DeltaNode(size, len(ports)))
        for k, port in enumerate(ports):
            d.connect((v, k), port)
    return d
