"""How much each path term contributes, on given arrays.

`transforms.paths` expands a network into labelled path terms.  With the
user's arrays each term has a value, and the size of that value (its
Frobenius norm) says how much the path carries.

With softmax (or any other nonlinear) patterns that read the residual stream,
the path terms are the seed's perturbative bookkeeping, not summands:
softmax of a sum is not a sum of softmaxes.  So by default the patterns are
*frozen* first: every nonlinear bubble that reads a residual sum is evaluated
once on the arrays (the whole residual stream, as the network computes it)
and replaced by a fixed tensor holding that value.  The frozen network has
the same value as the original on these arrays, and it is linear in every
residual use site, so its path terms are exact summands: they add up to the
network's value, which `Contributions.residual` checks.  `freeze=False`
evaluates the unfrozen terms as they are instead (and says they are not
summands).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.diagram import BubbleNode, Diagram, Sum, TensorNode
from ..core.kinds import Decl, Kind
from ..transforms.paths import Path, has_sites, expand_paths
from .evaluate import bubble_array, evaluate, not_finite
from .sample import Instance


@dataclass(frozen=True)
class Contribution:
    """One path term on the arrays: `norm` is the Frobenius norm of its value,
    `share` its part of the sum of all terms' norms (the shares add up to 1)."""

    label: str
    norm: float
    share: float
    value: np.ndarray = field(repr=False, compare=False)
    term: Diagram = field(repr=False, compare=False)


class Contributions(list):
    """The terms' contributions (a list of `Contribution`), largest norm first.

    `exact` is True when the terms are summands of the network (no nonlinear
    pattern reads the residual stream, or the patterns were frozen); then
    `residual` is the largest entry of |Σ terms - network| and
    `network_norm` the network's own norm.  `frozen` names the patterns that
    were computed from the arrays and fixed.
    """

    def __init__(self, items: list[Contribution], exact: bool, frozen: list[str],
                 network_norm: float, residual: float | None) -> None:
        super().__init__(items)
        self.exact = exact
        self.frozen = frozen
        self.network_norm = network_norm
        self.residual = residual

    @property
    def items(self) -> list[Contribution]:
        return list(self)

    def __repr__(self) -> str:
        return self.format()

    def _repr_html_(self) -> str:
        import html

        rows = "".join(f"<tr><td>{k}</td><td>{html.escape(c.label)}</td><td>{c.norm:.4g}</td>"
                       f"<td>{c.share:.1%}</td></tr>" for k, c in enumerate(self, 1))
        return ("<table><thead><tr><th></th><th>path</th><th>norm</th><th>share</th></tr>"
                f"</thead><tbody>{rows}</tbody></table><p>network norm {self.network_norm:.4g}; "
                f"{html.escape(self.note())}</p>")

    def note(self) -> str:
        """One sentence on what the numbers mean."""
        if self.frozen:
            return (f"attention patterns computed from the arrays and frozen ({len(self.frozen)}: "
                    f"{', '.join(self.frozen)}); the terms are then exact summands "
                    f"(they add up to the network, largest difference {self.residual:.3g})")
        if self.exact:
            return ("every use site is linear: the terms are exact summands "
                    f"(they add up to the network, largest difference {self.residual:.3g})")
        return ("patterns not frozen: each term is a path to study, not a summand "
                "(softmax of a sum is not a sum of softmaxes)")

    def format(self) -> str:
        """A table: rank, label, norm, share."""
        width = max((len(c.label) for c in self.items), default=5)
        lines = [f"{'':>3} {'path':<{width}}  {'norm':>10}  {'share':>6}"]
        for k, c in enumerate(self.items, 1):
            lines.append(f"{k:>2}. {c.label:<{width}}  {c.norm:>10.4g}  {c.share:>6.1%}")
        lines.append(f"network norm {self.network_norm:.4g}; {self.note()}")
        return "\n".join(lines)

    def to_json(self) -> dict:
        return {"exact": self.exact, "frozen": self.frozen, "network_norm": self.network_norm,
                "residual": self.residual,
                "contributions": [{"label": c.label, "norm": c.norm, "share": c.share}
                                  for c in self.items]}


def _nonlinear_sites(s: Sum) -> bool:
    """Whether a nonlinear bubble anywhere in `s` reads a residual sum."""
    for t in s.terms:
        for n in t.nodes.values():
            if isinstance(n, BubbleNode):
                if n.fn != "sum" and has_sites(n):
                    return True
                if n.fn == "sum" and _nonlinear_sites(n.inside):
                    return True
    return False


def freeze(s: Sum, inst: Instance) -> tuple[Sum, list[str]]:
    """`s` with every nonlinear bubble that reads a residual sum replaced by a
    fixed tensor holding its value on `inst` (whose arrays gain the values)."""
    names: list[str] = []

    def walk(x: Sum) -> Sum:
        terms = []
        for t in x.terms:
            d = t
            for v, n in list(t.nodes.items()):
                if not isinstance(n, BubbleNode):
                    continue
                if n.fn == "sum":
                    new: Any = BubbleNode("sum", walk(n.inside), n.axis, n.conj)
                elif has_sites(n):
                    name = f"{n.fn}#{len(names) + 1}"
                    names.append(name)
                    decl = Decl(name, Kind.GENERIC, tuple(n.inside.free), tuple(n.sizes),
                                n.arity, real=False, builtin=None)
                    inst.decls[name] = decl
                    inst.arrays[name] = bubble_array(n, inst)
                    new = TensorNode(decl)
                else:
                    continue
                if d is t:
                    d = t.copy()
                d.nodes[v] = new
            terms.append(d)
        return Sum(tuple(terms), x.free, x.sizes)

    return walk(s), names


def contributions(value: Sum | Diagram, inst: Instance, *, freeze_patterns: bool = True
                  ) -> Contributions:
    """Each path term of `value` evaluated on `inst` (see the module docstring)."""

    s = Sum.of(value) if isinstance(value, Diagram) else value
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        network = np.asarray(evaluate(s, inst))
    nonlinear = _nonlinear_sites(s)
    frozen: list[str] = []
    if nonlinear and freeze_patterns:
        s, frozen = freeze(s, inst)
    paths: list[Path] = expand_paths(s)
    values = []
    for p in paths:
        t = p.term
        if list(t.free) != list(s.free) and sorted(t.free) == sorted(s.free):
            t = t.with_free(list(s.free))
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            values.append(np.asarray(evaluate(t, inst)))
    if not all(np.all(np.isfinite(v)) for v in [network, *values]):
        # a NaN share, or "they add up, largest difference nan", would be no answer
        raise not_finite(inst, "the contributions cannot be weighed")
    norms = [float(np.linalg.norm(v.ravel())) for v in values]
    total = sum(norms)
    items = [Contribution(p.label, n, (n / total) if total else 0.0, v, p.term)
             for p, n, v in zip(paths, norms, values)]
    items.sort(key=lambda c: -c.norm)
    exact = not nonlinear or freeze_patterns
    residual = None
    if exact:
        summed = sum(values) if values else np.zeros_like(network)
        residual = float(np.max(np.abs(summed - network))) if network.size else 0.0
    net_norm = float(np.linalg.norm(network.ravel()))
    if not math.isfinite(net_norm):
        net_norm = math.inf
    return Contributions(items, exact, frozen, net_norm, residual)
