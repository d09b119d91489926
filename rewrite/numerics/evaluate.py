"""Numeric evaluation of diagrams, and comparison by random instances.

A diagram is contracted the way it is drawn: every wire is one index, and a
delta (copy tensor) is never materialised - all ports around a connected group
of deltas share one index, a hyperedge, which cotengra contracts natively.  So
a 10,000-site chain costs what its tensors cost, not what an explicit
10,000-index einsum would (numpy's einsum stops at 52 letters anyway).

Paths come from cotengra: greedy always (milliseconds, even for 20,000
inputs), and for networks of up to `AUTO_LIMIT` inputs also its `auto` search
(optimal, or a short serial hyper-search), keeping the cheaper tree; beyond
that the search would cost more than it saves.  The largest intermediate is known from
the contraction tree before anything is allocated; past `max_elements` the
evaluation is refused with `TooLarge`, never a MemoryError.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any, Hashable, Iterable, Mapping

import numpy as np
import sympy

from .network import index_network
from ..core.diagram import BubbleNode, DeltaNode, Diagram, Sum, TensorNode
from ..core.errors import InputError
from ..core.kinds import Decl
from .sample import Instance, array_of, sample_instance

#: Refuse contractions whose largest intermediate has more elements than this
#: (2**27 complex128 elements are 2 GiB).
MAX_ELEMENTS = 2 ** 27
#: Networks with at most this many inputs get cotengra's `auto` search.
AUTO_LIMIT = 200
#: Tolerances of `allclose_rel` (see there).
RTOL = 1e-8
ATOL = 1e-10


class TooLarge(InputError):
    """A contraction whose largest intermediate would not fit the memory limit."""

    def __init__(self, width: float, limit: int) -> None:
        super().__init__(
            f"too large to evaluate numerically: the contraction width is {width:.1f} "
            f"(largest intermediate 2**{width:.1f} elements), over the limit "
            f"2**{math.log2(limit):.1f}; try smaller sizes")
        self.width = width
        self.limit = limit


# ---------------------------------------------------------------- network build


@dataclass
class Network:
    """One diagram as cotengra input: arrays, their index tuples, output, sizes.

    `factor` collects closed delta components (each the scalar of its size)
    and the diagram's own scalar.
    """

    arrays: list[np.ndarray] = field(default_factory=list)
    inputs: list[tuple[Hashable, ...]] = field(default_factory=list)
    output: tuple[Hashable, ...] = ()
    size_dict: dict[Hashable, int] = field(default_factory=dict)
    factor: complex = 1.0


def _node_array(node: Any, inst: Instance, max_elements: int) -> np.ndarray:
    if isinstance(node, TensorNode):
        return array_of(node, inst)
    if isinstance(node, BubbleNode):
        return bubble_array(node, inst, max_elements)
    raise TypeError(f"not an array node: {node!r}")


def build_network(d: Diagram, inst: Instance, max_elements: int = MAX_ELEMENTS) -> Network:
    """The cotengra network of one diagram: `network.index_network` with arrays
    (bubbles evaluated first), sizes made concrete and checked against the arrays."""
    net = index_network(d)
    out = Network()
    out.factor = inst.value(net.factor)
    out.size_dict = {idx: inst.size(size) for idx, size in net.sizes.items()}
    out.output = net.output
    for op in net.operands:
        if op.kind == "ones":
            a = np.ones(out.size_dict[op.indices[0]])
        elif op.kind == "eye":
            a = np.eye(out.size_dict[op.indices[0]])
        else:
            node = d.nodes[op.node]
            a = _node_array(node, inst, max_elements)
            if a.ndim != node.arity:
                raise InputError(f"{node.title} has {a.ndim} axes in this instance, "
                                 f"but {node.arity} legs in the diagram")
            for idx, n in zip(op.indices, a.shape):
                if out.size_dict[idx] != n:
                    raise InputError(f"inconsistent sizes on one wire: {out.size_dict[idx]} "
                                     f"and {n} ({node.title})")
        out.arrays.append(a)
        out.inputs.append(op.indices)
    return out


# ------------------------------------------------------------------ contraction


def _auto_optimizer() -> Any:
    """cotengra's `auto` preset, but serial, uncached and fresh for each network.

    The preset string forks a process pool that outlives the call (unsafe in
    the REPL's threads and in test workers, and pointless on small machines),
    and its tree cache grows with every distinct network a session meets.  An
    uncached AutoOptimizer must not be reused: its hyper-optimiser keeps the
    best tree of the previous network and hands it back for the next one.
    """
    import cotengra as ctg

    return ctg.AutoOptimizer(parallel=False, cache=False)


def _tree(net: Network, optimize: Any = None):
    """The contraction tree: `optimize` if given, else the better of greedy and
    (for up to AUTO_LIMIT inputs) cotengra's `auto`.

    `auto` runs a short randomised search for mid-sized networks and can come
    back worse than plain greedy (a 100-site chain once got width 19 instead
    of 5); greedy costs milliseconds, so both are tried and the cheaper kept
    by cotengra's combined flops-and-memory score.
    """
    import cotengra as ctg

    def tree(how: Any):
        return ctg.array_contract_tree(net.inputs, net.output, size_dict=net.size_dict,
                                       optimize=how)

    with warnings.catch_warnings():
        # cotengra warns once that optional optimisers (kahypar, ...) are missing.
        warnings.simplefilter("ignore")
        if optimize is not None:
            return tree(optimize)
        best = tree("greedy")
        if len(net.inputs) <= AUTO_LIMIT:
            other = tree(_auto_optimizer())
            if other.combo_cost() < best.combo_cost():
                best = other
        return best


def _width(tree: Any, net: Network) -> float:
    largest = max([tree.max_size()] + [a.size for a in net.arrays] + [1])
    return math.log2(largest) if largest > 0 else 0.0


def contraction_plan(d: Diagram, inst: Instance, optimize: Any = None
                     ) -> tuple[Any, float, float]:
    """(cotengra ContractionTree, flops, width) of one diagram, nothing contracted.

    flops is cotengra's `contraction_cost` (scalar multiply-adds summed over
    the tree); width is log2 of the largest intermediate.  For a `cost`
    command; bubbles inside are evaluated, since their arrays are inputs here.
    """
    net = build_network(d, inst)
    if not net.inputs:
        return None, 0.0, 0.0
    tree = _tree(net, optimize)
    return tree, float(tree.contraction_cost()), _width(tree, net)


def contract_network(net: Network, max_elements: int = MAX_ELEMENTS, optimize: Any = None
                     ) -> np.ndarray:
    """Contract a network, refusing (TooLarge) before allocating past the limit."""
    if not net.inputs:
        return np.asarray(net.factor if net.factor.imag else net.factor.real)
    tree = _tree(net, optimize)
    width = _width(tree, net)
    if tree.max_size() > max_elements:
        raise TooLarge(width, max_elements)
    # The "autoray" implementation (tensordot/einsum per pairwise step) has
    # the least Python overhead per step: it halves the time of a long chain.
    out = np.asarray(tree.contract(net.arrays, implementation="autoray"))
    if net.factor != 1:
        f = net.factor if net.factor.imag else net.factor.real
        out = out * f
    return out


# --------------------------------------------------------------------- bubbles


def _gelu(x: np.ndarray) -> np.ndarray:
    """GELU, tanh approximation (Hendrycks & Gimpel), as in GPT-2 and PyTorch's
    `approximate="tanh"`: numpy only, and analytic, so complex inputs work."""
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def _relu(x: np.ndarray) -> np.ndarray:
    """max(x, 0); on complex entries, a gate on the real part (x where Re x > 0)."""
    if np.iscomplexobj(x):
        return np.where(x.real > 0, x, 0)
    return np.maximum(x, 0)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def _softmax(x: np.ndarray, axis: int) -> np.ndarray:
    # Shifting by a constant along the axis leaves softmax unchanged; the real
    # maximum keeps exp from overflowing.
    e = np.exp(x - np.max(x.real, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _step(x: np.ndarray) -> np.ndarray:
    """Heaviside step, relu's derivative (1 where Re x > 0, else 0)."""
    return (np.real(x) > 0).astype(float)


def _dtanh(x: np.ndarray) -> np.ndarray:
    return 1 - np.tanh(x) ** 2


def _dsigmoid(x: np.ndarray) -> np.ndarray:
    s = _sigmoid(x)
    return s * (1 - s)


def _dgelu(x: np.ndarray) -> np.ndarray:
    """Derivative of the tanh-approximated `_gelu`."""
    c = math.sqrt(2 / math.pi)
    t = np.tanh(c * (x + 0.044715 * x ** 3))
    return 0.5 * (1 + t) + 0.5 * x * (1 - t ** 2) * c * (1 + 3 * 0.044715 * x ** 2)


FUNCTIONS = {
    "relu": _relu,
    "gelu": _gelu,
    "exp": np.exp,
    "tanh": np.tanh,
    "sigmoid": _sigmoid,
    "sum": lambda x: x,
    # derivatives, for `diff` (core.functions.ELEMENTWISE)
    "step": _step,
    "dtanh": _dtanh,
    "dsigmoid": _dsigmoid,
    "dgelu": _dgelu,
}


def bubble_array(node: BubbleNode, inst: Instance, max_elements: int = MAX_ELEMENTS) -> np.ndarray:
    """The array of a bubble: its inside evaluated, `fn` applied elementwise, conj."""
    x = evaluate(node.inside, inst, max_elements=max_elements)
    if node.fn == "softmax":
        if node.axis is None:
            raise InputError("softmax needs the index it normalises along")
        y = _softmax(x, node.axis)
    elif node.fn in FUNCTIONS:
        y = FUNCTIONS[node.fn](x)
    else:
        raise InputError(f"no numeric meaning for the function {node.fn}")
    return np.conj(y) if node.conj else y


# -------------------------------------------------------------------- evaluate


def evaluate(x: Diagram | Sum, inst: Instance, *, max_elements: int = MAX_ELEMENTS,
             optimize: Any = None) -> np.ndarray:
    """The tensor a diagram or sum stands for, axes in its free-leg order.

    Raises `TooLarge` (an InputError) instead of allocating past
    `max_elements`; `optimize` overrides the path finder (a cotengra preset or
    optimiser).
    """
    if isinstance(x, Diagram):
        return contract_network(build_network(x, inst, max_elements), max_elements, optimize)
    if not x.terms:
        return np.zeros(tuple(inst.size(s) for s in x.sizes))
    total = None
    for t in x.terms:
        if list(t.free) != list(x.free) and sorted(t.free) == sorted(x.free):
            t = t.with_free(list(x.free))
        a = evaluate(t, inst, max_elements=max_elements, optimize=optimize)
        total = a if total is None else total + a
    return total


# ------------------------------------------------------------------ comparison


def allclose_rel(a: Any, b: Any, rtol: float = RTOL, atol: float = ATOL) -> tuple[bool, float]:
    """(close?, largest absolute difference) with a tolerance relative to the norms.

    Close means max|a - b| <= rtol * max(|a|max, |b|max) + atol.  Relative to
    the largest entry rather than entrywise, because a contraction's rounding
    error scales with the magnitudes summed, not with the (possibly tiny)
    entry it lands in; rtol = 1e-8 leaves eight orders of magnitude above
    float64 rounding for sums of thousands of terms, and atol keeps two zero
    tensors that are zero up to rounding equal.  Shapes must agree (else False, inf).
    """
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False, math.inf
    if a.size == 0:
        return True, 0.0
    diff = float(np.max(np.abs(a - b)))
    if not math.isfinite(diff):
        same = bool(np.array_equal(a, b, equal_nan=True))
        return same, 0.0 if same else math.inf
    scale = max(float(np.max(np.abs(a))), float(np.max(np.abs(b))))
    return diff <= rtol * scale + atol, diff


def _fmt_number(z: complex) -> str:
    z = complex(z)
    if abs(z.imag) <= 1e-12 * max(1.0, abs(z.real)):
        return f"{z.real:.6g}"
    return f"{z.real:.6g}{z.imag:+.6g}i"


@dataclass(frozen=True)
class Counterexample:
    """An instance on which two sides differ; `seed` (with the same decls,
    constraints and these sizes as `fixed_sizes`) rebuilds it."""

    sizes: dict[str, int] = field(hash=False)
    seed: int | None
    difference: float
    left: complex | None = None   # the two values, when the sides are scalars
    right: complex | None = None
    reason: str = ""               # e.g. "shapes differ: (2, 3) vs (3, 2)"

    def format(self) -> str:
        sizes = ", ".join(f"{k}={v}" for k, v in sorted(self.sizes.items()))
        parts = [f"sizes {sizes}" if sizes else "sizes as declared"]
        if self.seed is not None:  # None: the caller's own arrays, not a sampled instance
            parts.append(f"seed {self.seed}")
        if self.reason:
            parts.append(self.reason)
        else:
            parts.append(f"largest difference {self.difference:.3g}")
        if self.left is not None and self.right is not None:
            parts.append(f"left {_fmt_number(self.left)}, right {_fmt_number(self.right)}")
        return "; ".join(parts)

    def __str__(self) -> str:
        return self.format()

    def to_json(self) -> dict:
        """The record that reproduces it, for `--json`."""
        out: dict = {"sizes": dict(sorted(self.sizes.items())), "seed": self.seed,
                     "largest_difference": float(self.difference)}
        if self.reason:
            out["reason"] = self.reason
        for side in ("left", "right"):
            value = getattr(self, side)
            if value is not None:
                out[side] = [float(complex(value).real), float(complex(value).imag)]
        return out


def _as_sum(x: Diagram | Sum) -> Sum:
    return Sum.of(x) if isinstance(x, Diagram) else x


def collect_decls(*xs: Diagram | Sum) -> dict[str, Decl]:
    """Every declaration used by tensor nodes, inside bubbles too."""
    out: dict[str, Decl] = {}

    def walk(s: Sum) -> None:
        for t in s.terms:
            for node in t.nodes.values():
                if isinstance(node, TensorNode):
                    old = out.setdefault(node.decl.name, node.decl)
                    if old != node.decl:
                        raise InputError(f"two different declarations are named {node.decl.name}")
                elif isinstance(node, BubbleNode):
                    walk(node.inside)

    for x in xs:
        walk(_as_sum(x))
    return out


def collect_symbols(*xs: Diagram | Sum) -> set[sympy.Symbol]:
    """Size symbols anywhere: scalars, free legs, deltas, bubbles, declarations."""
    out: set[sympy.Symbol] = set()

    def sym(e: Any) -> None:
        if isinstance(e, sympy.Basic):
            out.update(e.free_symbols)

    def walk(s: Sum) -> None:
        for e in s.sizes:
            sym(e)
        for t in s.terms:
            sym(t.scalar)
            for e in t.free_sizes:
                sym(e)
            for node in t.nodes.values():
                if isinstance(node, TensorNode):
                    for e in node.decl.sizes:
                        sym(e)
                elif isinstance(node, DeltaNode):
                    sym(node.size)
                elif isinstance(node, BubbleNode):
                    walk(node.inside)

    for x in xs:
        walk(_as_sum(x))
    return out


def leg_matching(left: Sum, right: Sum) -> list[int] | None:
    """Axis k of the left side pairs with axis perm[k] of the right side.

    By name when both sides name the same set of free legs, else by position
    (docs/language.md §8); None when the numbers of legs differ.
    """
    lf, rf = list(left.free), list(right.free)
    if len(lf) != len(rf):
        return None
    if set(lf) == set(rf) and len(set(lf)) == len(lf):
        pos = {name: k for k, name in enumerate(rf)}
        return [pos[name] for name in lf]
    return list(range(len(lf)))


def compare(left: Diagram | Sum, right: Diagram | Sum, decls: Mapping[str, Decl] | None = None,
            constraints: Iterable = (), trials: int = 3, seed: int = 0,
            max_elements: int = MAX_ELEMENTS) -> Counterexample | None:
    """The first of `trials` random instances on which the sides differ, or None.

    Trial t uses seed `seed + t` (sizes and arrays both follow from it).  If a
    trial is too large to contract, it is retried with every size at its
    smallest (2) before giving up with `TooLarge`.
    """
    left, right = _as_sum(left), _as_sum(right)
    perm = leg_matching(left, right)
    if perm is None:
        raise InputError(
            f"cannot compare: the left side has {len(left.free)} free legs "
            f"[{', '.join(left.free)}] and the right side {len(right.free)} "
            f"[{', '.join(right.free)}]")
    if decls is None:
        decls = collect_decls(left, right)
    constraints = list(constraints)
    symbols = collect_symbols(left, right)
    for t in range(trials):
        s = seed + t
        inst = sample_instance(decls.values(), s, constraints, symbols=symbols)
        try:
            a = evaluate(left, inst, max_elements=max_elements)
            b = evaluate(right, inst, max_elements=max_elements)
        except TooLarge as too_large:
            smallest = {str(k): 2 for k in inst.sizes}
            try:
                inst = sample_instance(decls.values(), s, constraints, fixed_sizes=smallest,
                                       symbols=symbols)
            except InputError:
                raise too_large from None  # the constraints forbid all-2 sizes
            a = evaluate(left, inst, max_elements=max_elements)
            b = evaluate(right, inst, max_elements=max_elements)
        b = np.transpose(b, perm) if b.ndim else b
        # Only the sizes the two sides use: the arrays depend on nothing else,
        # so these (with the seed) reproduce the instance, and a reader is not
        # shown sizes of tensors the statement never mentions.
        sizes = {str(k): v for k, v in inst.sizes.items() if k in symbols}
        if a.shape != b.shape:
            return Counterexample(sizes, s, math.inf,
                                  reason=f"shapes differ: left {a.shape}, right {b.shape}")
        if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
            # inf - inf is NaN, never "close": no numeric verdict can be honest here.
            raise InputError(f"the values overflow to inf or NaN (seed {s}); they cannot be "
                             "compared numerically")
        ok, diff = allclose_rel(a, b)
        if not ok:
            scalar = a.ndim == 0
            return Counterexample(sizes, s, diff,
                                  complex(a) if scalar else None,
                                  complex(b) if scalar else None)
    return None
