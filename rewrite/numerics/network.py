"""One diagram as an einsum network: the shared view of contraction.

Numeric evaluation (`numeric`), code export (`export`) and contraction cost
(`cost`) all see a diagram the same way, so they share this one construction:

* each wire is an index, and all ports around a connected group of deltas share
  one index (a hyperedge), which einsum and cotengra accept natively (an index
  in three or more operands) - deltas are never arrays;
* an index that reaches no tensor but a free leg (a copy tensor with free legs,
  a bare line) gets an explicit `ones(n)` operand, because an output index must
  occur in some input;
* a second free leg on the same index gets an explicit `eye(n)` operand,
  because an output may not repeat an index;
* a delta component that reaches nothing at all is the scalar of its size,
  folded into `factor`.

The union-find is hand-written: a dict-based one is a dozen lines and faster
here than networkx components, which would need a graph built first.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

from ..core import scalars
from ..core.diagram import BOUNDARY, BubbleNode, DeltaNode, Diagram
from ..core.unionfind import UnionFind

@dataclass(frozen=True)
class Operand:
    """One einsum operand: a diagram node or an explicit array einsum needs.

    `kind` is "tensor" or "bubble" (then `node` is the diagram's node id),
    "ones" (a copy tensor reaching only free legs) or "eye" (ties a second
    free leg to an index).  `indices` are index ids, one per axis.
    """

    kind: str
    indices: tuple[int, ...]
    node: int | None = None


@dataclass
class IndexNetwork:
    """One diagram as einsum input: operands, output indices, symbolic sizes.

    `factor` is the diagram's scalar times the size of every closed delta
    component.  `names` gives each index a readable name: the free leg's name
    where it has one, a fresh short name otherwise.
    """

    diagram: Diagram
    operands: list[Operand] = field(default_factory=list)
    output: tuple[int, ...] = ()
    sizes: dict[int, Any] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    factor: Any = 1

    def title(self, k: int) -> str:
        """How operand k is written in a contraction order (`conj(U)`, `eye`)."""
        op = self.operands[k]
        if op.node is not None:
            return self.diagram.nodes[op.node].title
        return op.kind


def fresh_names(taken: set[str]) -> Iterator[str]:
    for c in "abcdefghjklmnopqrstuvwxyz" + "αβγδεζηθκλμνξπρστυφχψω":
        if c not in taken:
            yield c
    k = 1
    while True:
        if f"i{k}" not in taken:
            yield f"i{k}"
        k += 1


def index_network(d: Diagram) -> IndexNetwork:
    """The einsum network of one diagram (see the module docstring)."""
    deltas = [(v, node) for v, node in d.nodes.items() if isinstance(node, DeltaNode)]
    lines: UnionFind[Any] = UnionFind()  # ports joined by wires and deltas: one index each
    if deltas:
        for p, q in d.link.items():
            lines.union(q, p)
        for v, node in deltas:
            for i in range(1, node.arity):
                lines.union((v, i), (v, 0))
    link = d.link

    net = IndexNetwork(diagram=d, factor=scalars.normal(d.scalar))
    ids: dict[Any, int] = {}

    def index(port: Any, size: Any) -> int:
        # Without deltas a wire joins just two ports: the second end takes the
        # first's index, and no union-find is needed (most large networks).
        root = lines.find(port) if deltas else port
        k = ids.get(root)
        if k is None:
            k = ids[root] = len(net.sizes)
            net.sizes[k] = scalars.normal(size)
            if not deltas and port in link:
                ids[link[port]] = k
        return k

    with_input: set[int] = set()
    wanted: dict[int, str] = {}  # index -> the name the user wrote for it (Diagram.names)
    for v, node in d.nodes.items():
        if isinstance(node, DeltaNode):
            continue
        ix = tuple(index((v, i), node.sizes[i]) for i in range(node.arity))
        for i, idx in enumerate(ix):
            name = d.names.get((v, i))
            if name is not None:
                wanted.setdefault(idx, name)
        with_input.update(ix)
        net.operands.append(Operand("bubble" if isinstance(node, BubbleNode) else "tensor", ix, v))

    output: list[int] = []
    for k in range(len(d.free)):
        idx = index((BOUNDARY, k), d.free_sizes[k])
        if idx not in with_input:
            net.operands.append(Operand("ones", (idx,)))
            with_input.add(idx)
        if idx in output:
            fresh = len(net.sizes)
            net.sizes[fresh] = net.sizes[idx]
            net.operands.append(Operand("eye", (idx, fresh)))
            output.append(fresh)
        else:
            output.append(idx)
    net.output = tuple(output)

    closed: set[Any] = set()
    for v, node in deltas:
        if node.arity:
            root = lines.find((v, 0))
            if root not in ids and root not in closed:
                closed.add(root)
                net.factor = scalars.mul(net.factor, node.size)

    # Names: free legs keep theirs (when they are identifiers and unique).
    taken: set[str] = set()
    for k, idx in enumerate(net.output):
        name = d.free[k]
        if idx not in net.names and name.isidentifier() and name not in taken:
            net.names[idx] = name
            taken.add(name)
    users = set(wanted.values())
    for idx in sorted(net.sizes):
        name = wanted.get(idx)
        if idx not in net.names and name is not None and name.isidentifier():
            while name in taken:
                name += "\u02b9"  # a clash, renamed visibly (as the printer does)
            net.names[idx] = name
            taken.add(name)
    fresh = fresh_names(taken | set(d.free) | users)
    for idx in sorted(net.sizes):
        if idx not in net.names:
            net.names[idx] = next(fresh)
    return net
