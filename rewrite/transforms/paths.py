"""Path expansion: one term per choice of residual branch at every use site.

`transforms.expand` distributes products over linear `sum` bubbles but leaves
nonlinear bubbles whole, which is right for algebra and wrong for the seed's
"Composition and path expansion": there layer 2's attention pattern is a
softmax of its query-side and key-side inputs, and each of the query, key and
value inputs is the residual stream r = x + h1.  Path expansion picks, at
every *use site* of a residual sum (inside a bubble too), one of its terms
("branches"), and builds the term with those choices - a bubble's inside is
rebuilt with the chosen branches.  For r + head2(q=r, k=r, v=r) that gives
2 + 2·2·2 = 10 terms, the seed's three non-compositions, three single
compositions and four higher-order ones.

This is exact when every use site is linear (frozen attention patterns: the
terms add up to the network).  With a softmax it is the seed's perturbative
bookkeeping - softmax(q(x + h1)...) is not a sum - and each term is a separate
"path" to be studied, not a summand.

Site roles are read off the diagram, so no annotation is needed:

* a sum bubble that is a whole term by itself is the residual stream read
  out directly (role "");
* a sum bubble inside a softmax's argument is the query side ("q") when its
  legs reach the softmax's other legs, the key side ("k") when they reach the
  softmax's axis; inside any other bubble it is "in";
* a sum bubble in a product with other tensors is read by a head: "v".

Branch j of a residual sum is named by convention: branch 0 (written first)
is the input, the "direct path"; branch j ≥ 1 is "layer-j head".  A head that
reads a residual with L branches is a layer-L head.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, Callable

from ..core.diagram import BOUNDARY, BubbleNode, DeltaNode, Diagram, Sum, inline

Choice = tuple[str, int, int]  # (site role, branch chosen, branches available)
RoleOf = Callable[[Diagram, int], str]


@dataclass(frozen=True)
class Path:
    """One term of the path expansion, its label, and the choice made at each site."""

    label: str
    term: Diagram
    choices: tuple[Choice, ...]


def expand_paths(x: Sum | Diagram) -> list[Path]:
    """Every term of `x` expanded over every residual use site, labelled."""
    s = Sum.of(x) if isinstance(x, Diagram) else x
    out: list[Path] = []
    for t in s.terms:
        for d, choices in _expand(t, _outer_role):
            out.append(Path(label(choices), d, choices))
    return out


def paths_sum(paths: list[Path], like: Sum) -> Sum:
    """The path terms as one Sum (legs of `like`), e.g. to compare with the network."""
    return Sum(tuple(p.term.with_free(list(like.free)) for p in paths), like.free, like.sizes)


# --------------------------------------------------------------------- roles


def _outer_role(d: Diagram, v: int) -> str:
    return "" if len(d.nodes) == 1 else "v"


def _inner_role(bubble: BubbleNode) -> RoleOf:
    def role(t: Diagram, v: int) -> str:
        if bubble.fn != "softmax":
            return "in"
        legs = _boundary_legs(t, v)
        if bubble.axis in legs:
            return "k"
        return "q" if legs else "in"

    return role


def _boundary_legs(t: Diagram, v: int) -> set[int]:
    """Free legs of t that node v's ports reach, directly or through one delta."""
    legs: set[int] = set()
    for k in range(t.nodes[v].arity):
        u, i = t.link[(v, k)]
        if u == BOUNDARY:
            legs.add(i)
        elif isinstance(t.nodes[u], DeltaNode):
            legs |= {q[1] for p in t.ports(u) for q in [t.link[p]] if q[0] == BOUNDARY}
    return legs


# ----------------------------------------------------------------- expansion


def _expand(d: Diagram, role_of: RoleOf) -> list[tuple[Diagram, tuple[Choice, ...]]]:
    sums = [v for v, n in d.nodes.items() if isinstance(n, BubbleNode) and n.fn == "sum"]
    inner = [v for v, n in d.nodes.items() if isinstance(n, BubbleNode) and n.fn != "sum"
             and has_sites(n)]
    if not sums and not inner:
        return [(d, ())]
    results: list[tuple[Diagram, tuple[Choice, ...]]] = [(d, ())]
    # Bubbles first (their roles are read from the original diagram), then the
    # residual sums of this product; node ids of untouched nodes stay put.
    for w in inner:
        b = d.nodes[w]
        options = _expand_inside(b)
        results = [(_with_node(e, w, b.with_arguments((inside, *b.args))), ch + ch2)
                   for e, ch in results for inside, ch2 in options]
    for v in sums:
        b = d.nodes[v]
        role = role_of(d, v)
        n = len(b.inside.terms)
        results = [(_inlined(e, v, t, b.conj), ch + ((role, j, n),))
                   for e, ch in results for j, t in enumerate(b.inside.terms)]
    # A chosen branch may itself read a residual (deeper networks): go on.
    out = []
    for e, ch in results:
        for f, ch2 in (_expand(e, _outer_role) if sums else [(e, ())]):
            out.append((f, ch + ch2))
    return out


def has_sites(b: BubbleNode) -> bool:
    """Whether a bubble holds a sum (a place where paths branch), at any depth."""
    return any(isinstance(n, BubbleNode) and (n.fn == "sum" or has_sites(n))
               for t in b.inside.terms for n in t.nodes.values())


def _expand_inside(b: BubbleNode) -> list[tuple[Sum, tuple[Choice, ...]]]:
    """Each combination of choices over the sites of b's inside, as a new inside."""
    role = _inner_role(b)
    per_term = [_expand(t, role) for t in b.inside.terms]
    out = []
    for combo in itertools.product(*per_term):
        terms = tuple(t for t, _ in combo)
        choices = tuple(c for _, ch in combo for c in ch)
        out.append((Sum(terms, b.inside.free, b.inside.sizes), choices))
    return out


def _with_node(d: Diagram, v: int, node: Any) -> Diagram:
    e = d.copy()
    e.nodes[v] = node
    return e


def _inlined(d: Diagram, v: int, term: Diagram, conj: bool) -> Diagram:
    e = d.copy()
    inline(e, v, term, conj)
    return e


# -------------------------------------------------------------------- labels

_ORDER = {"q": 0, "k": 1, "v": 2}


def branch_name(j: int) -> str:
    return "direct path" if j == 0 else f"layer-{j} head"


def label(choices: tuple[Choice, ...]) -> str:
    """The seed's names: "direct path", "layer-1 head", "layer-2 head (no
    composition)", "Q-composition", ..., "QKV-composition"."""
    head_sites = [c for c in choices if c[0] in _ORDER]
    if not head_sites:
        plain = [c for c in choices if c[0] == ""]
        # the innermost choice: `paths out` first picks a summand of `out` itself
        return branch_name(plain[-1][1]) if plain else "no residual"
    layer = max(n for _, _, n in head_sites)
    composed = sorted({role for role, j, _ in head_sites if j != 0}, key=_ORDER.get)
    if not composed:
        return f"layer-{layer} head (no composition)"
    text = "".join(r.upper() for r in composed) + "-composition"
    sources = {j for _, j, _ in head_sites if j != 0}
    if layer > 2 or len(sources) > 1:
        text += " (" + ", ".join(f"{r}: {branch_name(j)}" for r, j, _ in head_sites) + ")"
    return text
