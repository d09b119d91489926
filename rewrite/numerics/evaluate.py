"""Numeric evaluation of diagrams, and comparison by random instances.

A diagram is contracted the way it is drawn: every wire is one index, and a
delta (copy tensor) is never materialised - all ports around a connected group
of deltas share one index, a hyperedge, which cotengra contracts natively.  So
a 10,000-site chain costs what its tensors cost, not what an explicit
10,000-index einsum would (numpy's einsum stops at 52 letters anyway).

Paths come from cotengra: greedy always (milliseconds, even for 20,000
inputs); when greedy's order is costly, also a search - cotengra's `auto` for
networks of up to `AUTO_LIMIT` inputs, seeded randomised greedy orders ranked
by time (flops and writes) and then reconfigured for larger ones - keeping the
faster tree.  The path is searched once per network shape and reused by every
trial and every term of the same shape.  The largest intermediate is known from
the contraction tree before anything is allocated; past `max_elements` the
evaluation is refused with `TooLarge`, never a MemoryError.

How many random instances a check compares is `trial_count`'s policy: one
where the difference is a polynomial in entries drawn from connected families
(one instance refutes a false identity with probability one), else three.

A numeric check (`compare`) has one memory budget, `LIMITS.max_memory`, for
everything it would allocate: the sampled arrays, the explicit `eye`/`ones`
operands, conjugated copies, bubble values and the contraction's
intermediates.  `footprint` weighs them from the sizes alone, before any array
exists; over the budget the check is not run (`OverBudget`, which names the
sizes), and `prove` rests on its symbolic side.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any, Hashable, Iterable, Mapping

import numpy as np

from .network import index_network
from ..core.diagram import BubbleNode, DeltaNode, Diagram, Sum, TensorNode, as_sum
from ..core import errors
from ..core.errors import InputError
from ..core.kinds import Decl
from ..core.limits import LIMITS
from .sample import Instance, array_of, sample_instance
from .shapes import (Counterexample, check_wires, collect_decls, collect_symbol_names, collect_symbols,  # noqa: F401
                     leg_matching, leg_sizes, shape_mismatch)

#: Refuse contractions whose largest intermediate has more elements than this
#: (2**27 complex128 elements are 2 GiB).
MAX_ELEMENTS = 2 ** 27
#: Networks with at most this many inputs get cotengra's `auto` search
#: (when greedy's order is costly); larger ones a randomised greedy search.
AUTO_LIMIT = 64
#: Tolerances of `allclose_rel` (see there).
RTOL = 1e-8
ATOL = 1e-10


#: Bytes per entry: arrays are complex128.
ITEM_BYTES = 16
#: A search for a better contraction order than greedy's is tried only when
#: greedy's order would cost more than this many multiply-adds: below it the
#: search (0.1 s) would cost more than it saves.
SEARCH_FLOPS = 1e7


def _mb(n: int) -> str:
    if n >= 2 ** 40:
        return f"{n / 2 ** 40:.3g} TB"
    if n >= 2 ** 30:
        return f"{n / 2 ** 30:.3g} GB"
    return f"{n / 2 ** 20:.3g} MB"


class TooLarge(InputError):
    """A contraction whose largest intermediate would not fit the memory limit."""

    def __init__(self, width: float, limit: int) -> None:
        super().__init__(
            f"too large to evaluate numerically: the contraction width is {width:.1f} "
            f"(largest intermediate 2**{width:.1f} elements), over the limit "
            f"2**{math.log2(limit):.1f}; try smaller sizes")
        self.width = width
        self.limit = limit


class OverBudget(TooLarge, errors.OverBudget):
    """A numeric check whose arrays and intermediates would not fit the memory budget."""

    def __init__(self, needed: int, budget: int, detail: str) -> None:
        InputError.__init__(
            self, f"the numeric check would need about {_mb(needed)}, over the memory budget "
                  f"of {_mb(budget)} ({detail}); raise it with --max-memory MB")
        self.needed, self.budget, self.detail = needed, budget, detail
        self.width = math.log2(max(needed // ITEM_BYTES, 1))
        self.limit = budget // ITEM_BYTES


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


_TREES: dict[tuple, Any] = {}
_TREE_CACHE = 64


def _tree(net: Network, optimize: Any = None):
    """The contraction tree of `net`, searched once per network shape.

    Trials of one check, and the two sides of `X == X`, meet the same
    inputs, output and sizes; the tree depends on nothing else.
    """
    if optimize is not None:
        return _search_tree(net, optimize)
    key = _tree_key(net)
    tree = _TREES.get(key)
    if tree is None:
        tree = _search_tree(net, None)
        if len(_TREES) >= _TREE_CACHE:
            _TREES.pop(next(iter(_TREES)))
        _TREES[key] = tree
    return tree


def _tree_key(net: Network) -> tuple:
    return (tuple(map(tuple, net.inputs)), tuple(net.output),
            tuple(sorted(net.size_dict.items(), key=repr)))


def _sliced(net: Network, tree: Any, elements: int) -> Any:
    """`tree` sliced so that its intermediates fit `elements`, registered for
    `contract_network`; None when that would take more than LIMITS.max_slices slices."""
    if elements < 2:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sliced = tree.slice(target_size=elements)
    if sliced.nslices > LIMITS.max_slices:
        return None
    _TREES[_tree_key(net)] = sliced
    return sliced


def _contract(tree: Any, arrays: list[np.ndarray]) -> np.ndarray:
    """Contract along `tree`, with at most `LIMITS.blas_threads` BLAS threads;
    a sliced tree's slices go to an executor (`slices.run_slices`)."""
    from .slices import blas_threads, run_slices

    # Small contractions never start BLAS threads: leave them be.
    costly = tree.contraction_cost() > SEARCH_FLOPS
    with blas_threads(LIMITS.blas_threads if costly else None):
        if tree.nslices > 1:
            return np.asarray(run_slices(tree, arrays, LIMITS.executor, LIMITS.workers))
        return np.asarray(tree.contract(arrays, implementation="autoray"))


def _search_tree(net: Network, optimize: Any = None):
    """The contraction tree: `optimize` if given, else the best of greedy and,
    when greedy's order is costly (over SEARCH_FLOPS), a search.

    The search's effort follows what the contraction would cost, not the
    number of inputs: cotengra's `auto` for networks of up to AUTO_LIMIT
    inputs (optimal for small ones), and `_searched_tree` (seeded randomised
    greedy orders, then subtree reconfiguration, about 0.4 s for 200 inputs)
    for larger ones.  `auto` on 200 inputs took 3 s to find less.  `auto` can
    come back worse than plain greedy (a 100-site chain once got width 19
    instead of 5), so every candidate is kept only if its `_time_score` is lower.
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
        if best.contraction_cost() <= SEARCH_FLOPS:
            return best
        if len(net.inputs) <= AUTO_LIMIT:
            other = tree(_auto_optimizer())
        else:
            other = _searched_tree(net, best)
        if _time_score(other) < _time_score(best):
            best = other
        return best


#: How many written entries cost as much time as one complex multiply-add, in
#: `_time_score`.  Contracting a network is mostly tensordot: each step
#: transposes its operands into matrices and writes its result, so an order
#: that writes large intermediates many times is slow even with few flops.  On
#: the 10 x 10 PEPS norm, with one BLAS thread, time ~ flops + 22 writes (a least-squares fit
#: over 40 orders, correlation 0.99); cotengra's combo score with factor 64
#: leaves room for the page faults of fresh large arrays.  Ranking by flops
#: alone picked an order 4x slower (3.4e9 flops but 2.8e8 writes: 2.7 s,
#: against 0.66 s for 3.8e9 flops and 2.9e7 writes).
WRITE_WEIGHT = 64
#: Randomised greedy orders tried by `_searched_tree`, for a network of at most
#: SEARCH_INPUTS inputs; larger networks get proportionally fewer (at least 8),
#: so that the search stays a fraction of a second.
SEARCH_REPEATS = 64
SEARCH_INPUTS = 200
#: Subtree reconfiguration (cotengra's, optimal re-orders of subtrees of this
#: many leaves) of the best order: it halved the PEPS norm's time again.
RECONF_SUBTREE = 6


def _time_score(tree: Any) -> float:
    """What contracting along `tree` costs, in multiply-adds: flops plus
    WRITE_WEIGHT times the entries written (cotengra's combo cost)."""
    return float(tree.combo_cost(factor=WRITE_WEIGHT))


def _candidates(net: Network) -> list[list[tuple[int, int]]]:
    """Randomised greedy orders of `net` (SSA paths), each from its own seed:
    the same network gets the same orders every run (cotengra's
    hyper-optimiser draws unseeded noise, so its trees differed from run to
    run, by 2x in time)."""
    import cotengra as ctg

    repeats = max(8, min(SEARCH_REPEATS, SEARCH_REPEATS * SEARCH_INPUTS // len(net.inputs)))
    inputs, output, sizes = _lettered(net)
    return [ctg.RandomGreedyOptimizer(max_repeats=1, seed=k, parallel=False)
            .ssa_path(inputs, output, sizes) for k in range(repeats)]


def _lettered(net: Network) -> tuple[list[tuple[str, ...]], tuple[str, ...], dict[str, int]]:
    """`net`'s inputs, output and sizes with one character per index, as
    cotengrust (cotengra's compiled path finder, also used when it
    reconfigures a tree) takes them; `array_contract_tree` does the same."""
    import cotengra as ctg

    label = {i: ctg.get_symbol(k) for k, i in enumerate(net.size_dict)}
    return ([tuple(label[i] for i in ix) for ix in net.inputs],
            tuple(label[i] for i in net.output),
            {label[i]: n for i, n in net.size_dict.items()})


def _tree_of_path(net: Network, ssa_path: list) -> Any:
    import cotengra as ctg

    inputs, output, sizes = _lettered(net)
    return ctg.ContractionTree.from_path(inputs, output, sizes, ssa_path=ssa_path)


def _path_cost(net: Network, ssa_path: list) -> tuple[float, float, float]:
    """(flops, entries written, largest intermediate) of contracting `net`
    step by step along `ssa_path`, as cotengra's tree would count them.

    Hand-written because ranking 64 orders through cotengra's ContractionTree
    (built and scored per order) took 10 ms each, this takes 1 ms: an index
    leaves a pair's result when neither the output nor any other operand holds it.
    """
    legs = [set(ix) for ix in net.inputs]
    count: dict[Hashable, int] = {}
    for ix in legs:
        for i in ix:
            count[i] = count.get(i, 0) + 1
    keep = set(net.output)
    sizes = net.size_dict
    flops = write = largest = 0.0
    for step in ssa_path:  # pairs, or a single operand reduced alone
        parts = [legs[k] for k in step]
        union = set().union(*parts)
        new = set()
        cost = 1.0
        for i in union:
            cost *= sizes[i]
            held = sum(i in part for part in parts)
            if i in keep or count[i] > held:
                new.add(i)
            count[i] -= held - (i in new)
        size = math.prod(sizes[i] for i in new)
        flops += cost
        write += size
        largest = max(largest, size)
        legs.append(new)
    return flops, write, largest


def _searched_tree(net: Network, greedy: Any) -> Any:
    """The order with the least `_time_score` among `_candidates` and greedy's,
    then reconfigured subtree by subtree under the same score (seeded)."""
    def score(path: list) -> float:
        flops, write, _ = _path_cost(net, path)
        return flops + WRITE_WEIGHT * write

    tree = _tree_of_path(net, min(_candidates(net), key=score))
    if _time_score(greedy) < _time_score(tree):
        tree = greedy
    return tree.subtree_reconfigure(subtree_size=RECONF_SUBTREE,
                                    minimize=f"combo-{WRITE_WEIGHT}", seed=0)


def _leaner_tree(net: Network) -> Any:
    """An order chosen for its largest intermediate, tried before slicing an
    order whose intermediates do not fit: slicing repeats work in every slice
    and needs processes, a costlier order that fits does not.  Among the
    `_candidates`, the least largest intermediate, ties broken by
    `_time_score`, then reconfigured for size."""
    def score(path: list) -> tuple[float, float]:
        flops, write, largest = _path_cost(net, path)
        return largest, flops + WRITE_WEIGHT * write

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tree = _tree_of_path(net, min(_candidates(net), key=score))
        return tree.subtree_reconfigure(subtree_size=RECONF_SUBTREE, minimize="size", seed=0)


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
    out = _contract(tree, net.arrays)
    if net.factor != 1:
        f = net.factor if net.factor.imag else net.factor.real
        out = out * f
    return out


# -------------------------------------------------------------------- budget


@dataclass
class Footprint:
    """What evaluating some diagrams would allocate, weighed from sizes alone.

    `arrays` are the sampled arrays by tensor name (kept for the whole check,
    shared by every term); `work` the most any one evaluation needs on top of
    them (eye/ones operands, conjugated copies, bubble values, the tree's
    intermediates, its result); `items` the largest single needs, described
    with their sizes for the message.
    """

    arrays: dict[str, int] = field(default_factory=dict)
    work: int = 0
    items: list[tuple[int, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.arrays.values()) + self.work

    def detail(self) -> str:
        biggest = sorted(dict((text, n) for n, text in self.items).items(),
                         key=lambda t: -t[1])[:2]
        biggest = [(n, text) for text, n in biggest]
        return "; ".join(f"{text}: {_mb(n)}" for n, text in biggest)


def _shape_text(shape: tuple[int, ...]) -> str:
    return " x ".join(str(n) for n in shape) if shape else "scalar"


def footprint(x: Diagram | Sum, inst: Instance, fp: Footprint | None = None,
              budget: int | None = None) -> Footprint:
    """Weigh the evaluation of `x` at the sizes of `inst` without allocating.

    Contraction trees are searched here (and cached for the evaluation), so
    the intermediates counted are the ones the evaluation will make; numpy's
    tensordot may copy both operands of a step to transpose them, so the
    tree's intermediates are counted twice.  With a `budget`, a tree whose
    intermediates would not fit what the arrays leave is sliced (cotengra's
    slicing: some indices are fixed in turn and the slices summed), and the
    sliced tree is what the evaluation then uses.
    """
    from ..core.kinds import Kind

    fp = fp or Footprint()
    for d in (x.terms if isinstance(x, Sum) else (x,)):
        net = index_network(d)
        sizes = {idx: inst.size(size) for idx, size in net.sizes.items()}
        work = 0
        inner = 0
        shell = Network(inputs=[op.indices for op in net.operands], output=net.output,
                        size_dict=sizes)
        for op in net.operands:
            shape = tuple(sizes[i] for i in op.indices)
            n = math.prod(shape) * ITEM_BYTES
            if op.kind in ("ones", "eye"):
                work += n
                fp.items.append((n, f"{op.kind}({sizes[op.indices[0]]})"))
                continue
            node = d.nodes[op.node]
            if isinstance(node, BubbleNode):
                work += n
                fp.items.append((n, f"the value of a {node.fn}(...) ({_shape_text(shape)})"))
                for a in node.arguments:
                    inner = max(inner, footprint(a, inst, Footprint(fp.arrays), budget).work)
                continue
            if isinstance(node, TensorNode):
                decl = node.decl
                full = math.prod(inst.size(z) for z in decl.sizes) * ITEM_BYTES
                copies = 2 if decl.is_a(Kind.INVERTIBLE) else 1
                if decl.name not in fp.arrays:
                    fp.arrays[decl.name] = full * copies
                    fp.items.append((full * copies, f"the array of {decl.name} "
                                                    f"({_shape_text(tuple(inst.size(z) for z in decl.sizes))})"))
                if node.conj and not decl.real:
                    work += n
        if shell.inputs:
            tree = _tree(shell)
            inputs = sum(math.prod(shape) for shape in
                         (tuple(sizes[i] for i in ix) for ix in shell.inputs))
            elements = _live_elements(tree, inputs)
            need = elements * ITEM_BYTES
            out_bytes = math.prod(inst.size(z) for z in d.free_sizes) * ITEM_BYTES
            room = (budget - sum(fp.arrays.values()) - work - inner - 2 * out_bytes
                    if budget is not None else None)
            if room is not None and need > room > 0 and tree.contraction_cost() > SEARCH_FLOPS:
                lean = _leaner_tree(shell)
                lean_need = _live_elements(lean, inputs) * ITEM_BYTES
                if lean_need < need:
                    tree, need = lean, lean_need
                    _TREES[_tree_key(shell)] = lean
            target = int(tree.max_size())
            while room is not None and need > room > 0 and target > 1:
                # Halve the largest intermediate until the live ones fit.
                target //= 2
                sliced = _sliced(shell, tree, target)
                if sliced is None:
                    break
                tree = sliced
                elements = _live_elements(tree, inputs)
                need = elements * ITEM_BYTES
            work += need
            fp.items.append((need, f"the contraction's intermediates (largest "
                                   f"2**{_width(tree, shell):.1f} entries"
                                   + (f", in {tree.nslices} slices)" if tree.nslices > 1 else ")")))
        out = math.prod(inst.size(z) for z in d.free_sizes) * ITEM_BYTES
        work += out
        fp.work = max(fp.work, work + inner + out)  # a sum keeps its running total
    return fp


def _live_elements(tree: Any, inputs: int) -> int:
    """Entries a contraction along `tree` holds at once on top of its inputs.

    cotengra's `peak_size` is the most that the intermediates alive at one
    step (both operands and the result of that step included) hold; numpy's
    tensordot may also copy the step's two operands to transpose them, so
    the largest pair of operands of any step is added.  (Counting every
    intermediate twice instead sliced a 10 x 10 PEPS norm that fits, at
    3.6 times the flops.)  Inputs are weighed with the arrays.
    """
    operands = max((tree.get_size(left) + tree.get_size(right)
                    for _, left, right in tree.traverse()), default=0)
    return max(int(tree.peak_size()) - inputs, 0) + int(operands)


def check_budget(sides: Iterable[Diagram | Sum], inst: Instance, budget: int | None = None) -> int:
    """The bytes evaluating `sides` at `inst`'s sizes needs; OverBudget past `budget`."""
    budget = LIMITS.max_memory if budget is None else budget
    fp = Footprint()
    work = 0
    for side in sides:
        part = footprint(side, inst, Footprint(fp.arrays, 0, fp.items), budget)
        work += part.work  # the first side's value is kept while the next is computed
    fp.work = work
    if fp.total > budget:
        raise OverBudget(fp.total, budget, fp.detail())
    return fp.total


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


def _sign(x: np.ndarray) -> np.ndarray:
    """numpy's sign for real entries; z/|z| (0 at 0) for complex ones (§10)."""
    if not np.iscomplexobj(x):
        return np.sign(x)
    a = np.abs(x)
    return np.where(a > 0, x / np.where(a > 0, a, 1), 0)


def _formula(base: str) -> "Any":
    """The sympy formula of an analytic built-in, in the symbol x."""
    import sympy

    x = sympy.Symbol("x")
    c = sympy.sqrt(2 / sympy.pi)
    return x, {"exp": sympy.exp(x), "tanh": sympy.tanh(x), "sigmoid": 1 / (1 + sympy.exp(-x)),
               "gelu": x / 2 * (1 + sympy.tanh(c * (x + sympy.Rational(44715, 10 ** 6) * x ** 3))),
               "log": sympy.log(x), "sqrt": sympy.sqrt(x)}[base]


_DERIVATIVES: dict[str, Any] = {}


def derivative_function(name: str) -> Any:
    """numpy code for a primed derivative of any order of an analytic built-in
    (`tanh''`, `log'''`, `dsigmoid'`), from sympy's exact derivative."""
    from ..core.functions import ANALYTIC, split_primes

    if name not in _DERIVATIVES:
        base, order = split_primes(name)
        if base not in ANALYTIC:
            return None
        import sympy

        x, f = _formula(base)
        _DERIVATIVES[name] = sympy.lambdify(
            x, sympy.diff(f, x, order), [{"sqrt": np.emath.sqrt, "log": np.emath.log}, "numpy"])
    return _DERIVATIVES[name]


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
    # principal branches: a negative real entry gives a complex value, not NaN
    "log": np.emath.log,
    "sqrt": np.emath.sqrt,
    "abs": np.abs,
    "sign": _sign,
}


def _power(x: np.ndarray, k: Any) -> np.ndarray:
    """x**k entry by entry: an integer k by repeated multiplication (a negative
    one through the reciprocal), any other through the principal branch, so a
    negative real entry gives a complex value rather than NaN (§10)."""
    if k.denominator == 1:
        x = x if np.iscomplexobj(x) else np.asarray(x, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.power(x, int(k))
    return np.emath.power(x, float(k))


def bubble_array(node: BubbleNode, inst: Instance, max_elements: int = MAX_ELEMENTS) -> np.ndarray:
    """The array of a bubble: its inside evaluated, `fn` applied elementwise, conj."""
    from ..core.functions import is_builtin, parse_declared, pow_exponent

    x = evaluate(node.inside, inst, max_elements=max_elements)
    if not is_builtin(node.fn):
        # a declared function: this trial's random stand-in (see numerics.opaque)
        from .opaque import function

        d = parse_declared(node.fn)
        if d is None:
            raise InputError(f"no numeric meaning for the function {node.fn}")
        rest = [evaluate(a, inst, max_elements=max_elements) for a in node.args]
        y = function(inst.seed, d.base, len(node.arguments), d.partials)(x, *rest)
        return np.conj(y) if node.conj else y
    k = pow_exponent(node.fn)
    if k is not None:
        y = _power(x, k)
    elif node.fn == "softmax":
        if node.axis is None:
            raise InputError("softmax needs the index it normalises along")
        y = _softmax(x, node.axis)
    elif node.fn in FUNCTIONS:
        y = FUNCTIONS[node.fn](x)
    elif derivative_function(node.fn) is not None:
        y = np.broadcast_to(derivative_function(node.fn)(x), x.shape).astype(x.dtype, copy=False) \
            if np.iscomplexobj(x) else np.broadcast_to(derivative_function(node.fn)(x), x.shape)
    elif node.fn.endswith("'"):  # a piecewise function's derivative past the first: zero a.e.
        y = np.zeros_like(x)
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


def difference(left: Diagram | Sum, right: Diagram | Sum) -> Sum:
    """left - right as one sum in the left side's legs, like terms added exactly.

    The right side's legs are matched to the left's as `leg_matching` says.
    Coefficients are exact (sympy), so terms that cancel are gone before any
    float is computed, and a coefficient that differs by 10**-9 stays a term
    of its own instead of vanishing in the rounding of a large value.
    """
    from ..core.canon import collect_terms

    left, right = as_sum(left), as_sum(right)
    perm = leg_matching(left, right)
    free = list(left.free)
    terms = []
    for t in left.terms:
        terms.append(t.with_free(free) if list(t.free) != free else t.copy())
    for t in right.terms:
        if list(t.free) != list(right.free):
            t = t.with_free(list(right.free))
        u = t.permute_free(perm).renamed(free)
        u.scalar = -u.scalar
        terms.append(u)
    return collect_terms(terms, tuple(free), leg_sizes(left))


def _term_values(diff: Sum, inst: Instance, max_elements: int) -> list[np.ndarray]:
    return [evaluate(t, inst, max_elements=max_elements) for t in diff.terms]


def _symbolic_coefficients(diff: Sum) -> list[Any]:
    return [t.scalar for t in diff.terms if getattr(t.scalar, "free_symbols", None)]


def _coefficient_scale(diff: Sum) -> Any:
    """The largest magnitude of the difference's numeric coefficients (exact),
    or 1 when there is none.

    The difference is divided by it before any float is computed: whether
    left - right is zero does not change, and the numbers come to about unit
    size.  So `1e-300 u == 0` is refuted rather than lost under the absolute
    tolerance, `1e400 u == 1e400 w` is refuted rather than overflowing, and
    `x == x + 1e-20 A x` (whose difference is one small term) is refuted,
    as exact arithmetic says.
    """
    from fractions import Fraction

    from ..core.scalars import Mono

    largest = Fraction(0)
    for t in diff.terms:
        c = t.scalar.coeff if isinstance(t.scalar, Mono) else t.scalar
        if isinstance(c, (int, Fraction)):
            largest = max(largest, abs(Fraction(c)))
    return largest if largest else 1


def _scaled(diff: Sum, scale: Any) -> Sum:
    """`diff` with every coefficient divided by `scale` (exactly)."""
    from ..core.scalars import div

    if scale == 1:
        return diff
    terms = []
    for t in diff.terms:
        u = t.copy()
        u.scalar = div(t.scalar, scale)
        terms.append(u)
    return Sum(tuple(terms), diff.free, diff.sizes)


def _difference_text(largest: float, scale: Any) -> tuple[float, str]:
    """The largest difference of the unscaled sides, and a reason to print
    when a float cannot hold it (below 1e-308 or above 1e308)."""
    from decimal import Decimal
    from fractions import Fraction

    if scale == 1:
        return largest, ""
    try:
        value = float(Fraction(largest) * scale)
    except OverflowError:
        value = math.inf
    if largest and (value == 0 or math.isinf(value)):
        exact = Decimal(scale.numerator) / Decimal(scale.denominator)
        power = exact.adjusted()
        mantissa = float(exact.scaleb(-power))
        return value, f"largest difference {largest * mantissa:.3g}e{power:+d}"
    return value, ""


#: Trials of a numeric check that `trial_count` does not lower to one.
DEFAULT_TRIALS = 3


def trial_count(left: Diagram | Sum, right: Diagram | Sum, trials: int | None = None) -> int:
    """How many random instances a numeric check of `left == right` compares.

    `trials` (a caller's, or the user's `--trials N`, `LIMITS.trials`) is
    always obeyed.  Otherwise the policy: one instance when `one_instance_suffices`,
    else DEFAULT_TRIALS.
    """
    if trials is not None:
        return trials
    if LIMITS.trials is not None:
        return LIMITS.trials
    return 1 if one_instance_suffices(left, right) else DEFAULT_TRIALS


def one_instance_suffices(left: Diagram | Sum, right: Diagram | Sum) -> bool:
    """Whether one random instance refutes a false `left == right` with
    probability one, so that more instances would only re-check it.

    When every size is a number and no term holds a bubble (a function), the
    difference of the two sides is a polynomial in the entries of the sampled
    tensors and their conjugates (a real polynomial in their real and
    imaginary parts).  Each tensor is drawn with a density on a connected,
    irreducible family: Gaussians on a linear space (general, symmetric,
    antisymmetric, diagonal tensors), Haar measure on a complex unitary group or
    Stiefel manifold (isometries), products of those with intervals
    (invertible, hermitian, positive tensors).  A polynomial that is not zero
    everywhere on such a family is zero only on a set of measure zero
    (Schwartz-Zippel, in its continuous form), so one instance almost surely
    refutes a false identity; a second only re-checks the same polynomial.

    Three instances stay wherever that argument fails:
    * a symbolic size: instances differ in their sizes, and an identity may
      hold at some sizes only;
    * a bubble: functions are not polynomials (`relu` is zero on half the line);
    * a discrete random choice in sampling: a projector's rank (`tr(P) == 1`
      holds at rank 1 only) and a real square isometry, whose orthogonal group
      has two components (`A[i,j] Q[i,k] Q[j,l] == A[k,l]` for an
      antisymmetric A holds exactly when det Q = +1).
    Rounding is the same with one instance or three: the tolerance
    (`differs`) is relative to the terms, not to the number of trials.
    """
    from ..core.kinds import Kind

    left, right = as_sum(left), as_sum(right)
    if collect_symbol_names(left, right):  # names: no sympy where sizes are monomials
        return False
    for side in (left, right):
        for t in side.terms:
            for node in t.nodes.values():
                if isinstance(node, BubbleNode):
                    return False
    for decl in collect_decls(left, right).values():
        if decl.builtin:
            continue  # shift, tril, triu and fuse are fixed arrays
        if decl.is_a(Kind.PROJECTOR):
            return False
        if decl.real and decl.is_a(Kind.ISOMETRY):  # orthogonal ones too
            sizes = [int(z) for z in decl.sizes]
            if math.prod(sizes[:decl.split]) == math.prod(sizes[decl.split:]):
                return False
    return True


def compare(left: Diagram | Sum, right: Diagram | Sum, decls: Mapping[str, Decl] | None = None,
            constraints: Iterable = (), trials: int | None = None, seed: int = 0,
            max_elements: int = MAX_ELEMENTS, max_memory: int | None = None
            ) -> Counterexample | None:
    """The first of `trials` random instances on which the sides differ, or None.

    `trials` None: as many as `trial_count` says (one where a single random
    instance refutes a false identity with probability one, else three).

    In order: the shapes (`shape_mismatch`); then the exact difference of the
    two sides (`difference`; empty means equal); then numbers.  Trial t uses
    seed `seed + t` (sizes and arrays both follow from it).  The difference
    refutes only when it is larger than what rounding in its largest term
    could explain (`differs`): a tolerance relative to the terms, not to the
    result.  When the difference has coefficients depending on sizes and they
    vanished at every size tried (`(n-2)(n-3)(n-4) A`), sizes where one does
    not vanish are searched for and tried too.  If a trial is too large to
    contract, it is retried with every size at its smallest (2) before giving
    up with `TooLarge`.

    Each trial's sizes are drawn first and the whole check weighed
    (`check_budget`) before any array is sampled; over `max_memory` (default
    `LIMITS.max_memory`) the trial is retried with every symbolic size at 2, and
    failing that the check gives up with `OverBudget`, naming the sizes.
    """
    left, right = as_sum(left), as_sum(right)
    if decls is None:
        decls = collect_decls(left, right)
    constraints = list(constraints)
    check_wires(left)
    check_wires(right)
    cex = shape_mismatch(left, right, decls, constraints, seed)
    if cex is not None:
        return cex
    diff = difference(left, right)
    if not diff.terms:
        return None
    scale = _coefficient_scale(diff)
    diff = _scaled(diff, scale)
    trials = trial_count(left, right, trials)
    symbols = collect_symbols(left, right)
    coefficients = _symbolic_coefficients(diff)
    nonzero_seen = not coefficients
    plans: list[tuple[int, Mapping[str, int] | None]] = [(seed + t, None) for t in range(trials)]
    k = 0
    while k < len(plans):
        s, fixed = plans[k]
        k += 1
        inst = _instance_within_budget((diff,), decls, s, constraints, symbols, max_memory, fixed)
        try:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                # overflow is reported below, in the user's words
                values = _term_values(diff, inst, max_elements)
        except TooLarge as too_large:
            smallest = {str(x): 2 for x in inst.sizes}
            try:
                inst = sample_instance(decls.values(), s, constraints, fixed_sizes=smallest,
                                       symbols=symbols)
            except InputError:
                raise too_large from None  # the constraints forbid all-2 sizes
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                values = _term_values(diff, inst, max_elements)
        if not nonzero_seen:
            nonzero_seen = any(inst.value(c) != 0 for c in coefficients)
        total = sum(values[1:], values[0])
        if not all(np.all(np.isfinite(v)) for v in values):
            # inf - inf is NaN, never "close": no numeric verdict can be honest here.
            raise not_finite(inst, f"the sides cannot be compared numerically (seed {s})")
        if differs(diff, inst, values, total, max_elements):
            sizes = {str(x): v for x, v in inst.sizes.items() if x in symbols}
            scalar = total.ndim == 0
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                a = complex(evaluate(left, inst, max_elements=max_elements)) if scalar else None
                b = complex(evaluate(right, inst, max_elements=max_elements)) if scalar else None
            largest, reason = _difference_text(float(np.max(np.abs(total))), scale)
            if reason or (a is not None and not (np.isfinite(a) and np.isfinite(b))):
                a = b = None  # values past the float range (1e±400): the reason speaks
            return Counterexample(sizes, s, largest, a, b, reason=reason)
        if k == len(plans) and not nonzero_seen:
            witness = _coefficient_witness(coefficients, decls, constraints, symbols, seed)
            if witness is not None:
                plans.append((seed + trials, witness))
            nonzero_seen = True
    return None


def not_finite(inst: Instance, consequence: str) -> InputError:
    """The error for values that came out inf or NaN on the user's arrays:
    naming the arrays with such entries, else saying the values overflowed."""
    bad = sorted(k for k, v in inst.arrays.items()
                 if np.issubdtype(np.asarray(v).dtype, np.number) and not np.all(np.isfinite(v)))
    why = ("the values overflow to inf or NaN" if not bad else
           f"the array for {bad[0]} has inf or NaN entries" if len(bad) == 1 else
           f"the arrays for {', '.join(bad)} have inf or NaN entries")
    return InputError(f"{why}; {consequence}")


def _coefficient_witness(coefficients: list[Any], decls: Mapping[str, Decl],
                         constraints: list, symbols: set, seed: int) -> dict[str, int] | None:
    """Sizes meeting the constraints at which some coefficient is not zero."""
    from .sample import sample_size_values

    def nonzero(v: Any) -> bool:
        return any(v(c) != 0 for c in coefficients)

    try:
        sizes = sample_size_values(decls.values(), seed, constraints + [nonzero],
                                   symbols=symbols, smallest=True)
    except InputError:
        return None  # zero wherever the constraints hold
    return {str(x): v for x, v in sizes.items()}


def differs(diff: Sum, inst: Instance, values: list[np.ndarray], total: np.ndarray,
            max_elements: int = MAX_ELEMENTS, rtol: float = RTOL, atol: float = ATOL) -> bool:
    """Whether the difference `total` (the sum of the term `values`) is more
    than rounding could make of a true zero.

    Relative to the terms, not to the result: rounding in a term of size
    10**16 leaves errors of order 1 in a sum whose true value is small, so
    the difference refutes only past rtol times the largest term.  Only if
    that fails, rounding that starts inside bubbles is added (`bubble_error`):
    `v[j] (relu(x + 1e16 w) - relu(-x - 1e16 w) - 1e16 w)` is small, but its
    bubble's terms are not.  Contractions of exact tensors are trusted to
    rtol of their largest value, as everywhere in the numeric checks.
    """
    if total.size == 0:
        return False
    diff_max = float(np.max(np.abs(total)))
    scale = max(float(np.max(np.abs(v))) if v.size else 0.0 for v in values)
    if diff_max <= rtol * scale + atol:
        return False
    bound = sum(np.abs(v) + bubble_error(t, inst, max_elements) for t, v in zip(diff.terms, values))
    return diff_max > rtol * float(np.max(bound)) + atol


# ------------------------------------------------------------ rounding bounds


#: How a function passes on an error of its input: from (input x, the input's
#: error scale m, output y) the output's error scale.  Functions with a slope
#: of at most about 1 pass m on (doubled for margin); exp scales it by its
#: value; a step can flip wherever its input is within rounding of 0, and
#: there nothing can be told apart (inf).
def _bounded_slope(x: np.ndarray, m: np.ndarray, y: np.ndarray) -> np.ndarray:
    return 2 * m


def _exponential(x: np.ndarray, m: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.abs(y) * m


def _jump(x: np.ndarray, m: np.ndarray, y: np.ndarray) -> np.ndarray:
    unsure = np.abs(np.real(x)) <= RTOL * m + ATOL
    return np.where(unsure, np.inf, 0.0)


def _branch(x: np.ndarray, m: np.ndarray, y: np.ndarray) -> np.ndarray:
    """log and sqrt: steep near 0 and cut along the negative reals, where
    rounding in the input can jump between branches: nothing is told apart there."""
    near = np.abs(x) <= 1e3 * (RTOL * m + ATOL)
    # Real-typed entries sit exactly on the cut and take its upper side every
    # time; only complex entries can be rounded across it.
    cut = ((np.real(x) < 0) & (np.abs(np.imag(x)) <= RTOL * m + ATOL)) if np.iscomplexobj(x) \
        else np.zeros(np.shape(x), dtype=bool)
    scale = 2 * m / np.maximum(np.abs(x), ATOL)
    return np.where(near | cut, np.inf, scale)


ERROR_PROPAGATION = {
    "relu": _bounded_slope, "gelu": _bounded_slope, "tanh": _bounded_slope,
    "sigmoid": _bounded_slope, "sum": _bounded_slope, "dtanh": _bounded_slope,
    "dsigmoid": _bounded_slope, "dgelu": _bounded_slope, "softmax": _bounded_slope,
    "exp": _exponential, "step": _jump,
    "abs": _bounded_slope, "sign": _jump, "log": _branch, "sqrt": _branch,
}


def bubble_error(t: Diagram, inst: Instance, max_elements: int = MAX_ELEMENTS) -> Any:
    """How large rounding inside `t`'s bubbles may make the error of `t`'s
    value, in units of the rounding scale (rtol is applied by the caller).

    Each bubble's error scale (`_bubble_scale`) is carried to the result by
    contracting it, with random signs, against the rest of the term as it
    is: a first-order estimate of what that error does, which neither ignores
    a bubble that swallowed a huge cancellation nor multiplies worst cases
    along a long product (a contraction of absolute values would, and then
    nothing large could ever be refuted).  0 for a term without bubbles.
    """
    bubbles = [v for v, n in t.nodes.items() if isinstance(n, BubbleNode)]
    if not bubbles:
        return 0.0
    net = build_network(t, inst, max_elements)
    where = {op.node: k for k, op in enumerate(index_network(t).operands)
             if op.kind not in ("ones", "eye")}
    rng = np.random.default_rng([inst.seed & 0xFFFFFFFF, len(bubbles)])
    total: Any = 0.0
    for v in bubbles:
        m = _bubble_scale(t.nodes[v], inst, max_elements)
        if not np.all(np.isfinite(m)):
            return np.inf
        if not np.any(m):
            continue
        arrays = list(net.arrays)
        arrays[where[v]] = m * rng.choice([-1.0, 1.0], size=m.shape)
        probe = Network(arrays, net.inputs, net.output, net.size_dict, net.factor)
        total = total + np.abs(contract_network(probe, max_elements))
    return total


def _bubble_scale(node: BubbleNode, inst: Instance, max_elements: int) -> np.ndarray:
    """The error scale of one bubble's array: its inside's terms' sizes plus
    their own bubble errors, passed through the function."""
    from ..core.functions import is_builtin, pow_exponent

    xs, ms = [], []
    for inside in node.arguments:
        values, scale = [], 0.0
        for t in inside.terms:
            if list(t.free) != list(inside.free) and sorted(t.free) == sorted(inside.free):
                t = t.with_free(list(inside.free))
            v = evaluate(t, inst, max_elements=max_elements)
            values.append(v)
            scale = scale + np.abs(v) + bubble_error(t, inst, max_elements)
        shape = tuple(inst.size(x) for x in inside.sizes)
        x = sum(values[1:], values[0]) if values else np.zeros(shape)
        xs.append(x)
        ms.append(np.broadcast_to(np.asarray(scale, dtype=float), x.shape))
    x, m = xs[0], ms[0]
    if node.fn == "softmax" and node.axis is not None:
        # softmax mixes a whole row: every output feels the row's largest error.
        m = np.broadcast_to(np.max(m, axis=node.axis, keepdims=True), m.shape)
    y = bubble_array(node, inst, max_elements)
    if not is_builtin(node.fn):
        return _declared_slope(node, inst, xs, ms)
    k = pow_exponent(node.fn)
    if k is not None:
        return _power_slope(k, x, m)
    return ERROR_PROPAGATION.get(node.fn, _bounded_slope)(x, m, y)


def _declared_slope(node: BubbleNode, inst: Instance, xs: list, ms: list) -> np.ndarray:
    """A declared function's error scale: its exact partials (of this trial's
    stand-in, see numerics.opaque) times each argument's error, doubled."""
    from ..core.functions import parse_declared
    from .opaque import function

    d = parse_declared(node.fn)
    assert d is not None
    total: Any = 0.0
    for k, m in enumerate(ms):
        slope = function(inst.seed, d.base, len(xs), d.partials + (k,))(*xs)
        total = total + np.abs(slope) * m
    return 2 * total + np.max([np.max(m, initial=0.0) for m in ms]) * RTOL


def _power_slope(k: Any, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """x**k: slope |k x^(k-1)|; a non-integer power is cut along the negative
    reals like sqrt, and below k = 1 it is steep near 0 (see `_branch`)."""
    if not k.denominator == 1:
        return np.maximum(_branch(x, m, x), 2 * abs(float(k)) * m *
                          np.abs(_power(np.where(x == 0, 1, x), k - 1)))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        slope = 2 * abs(float(k)) * np.abs(_power(x, k - 1)) * m if k != 0 else 0 * m
    if k < 0:
        near = np.abs(x) <= 1e3 * (RTOL * m + ATOL)
        return np.where(near | ~np.isfinite(slope), np.inf, slope)
    return slope


def _instance_within_budget(sides: tuple[Sum, ...], decls: Mapping[str, Decl], seed: int,
                            constraints: list, symbols: set, budget: int | None,
                            fixed: Mapping[str, int] | None = None) -> Instance:
    """An instance whose check fits the memory budget, arrays sampled only then."""
    from .sample import fill_arrays

    inst = sample_instance(decls.values(), seed, constraints, fixed_sizes=fixed,
                           symbols=symbols, arrays=False)
    try:
        check_budget(sides, inst, budget)
    except OverBudget as over:
        smallest = {str(k): 2 for k in inst.sizes}
        if fixed or not smallest or all(v == 2 for v in inst.sizes.values()):
            raise
        try:
            inst = sample_instance(decls.values(), seed, constraints, fixed_sizes=smallest,
                                   symbols=symbols, arrays=False)
            check_budget(sides, inst, budget)
        except InputError:
            raise over from None
    fill_arrays(inst, decls.values())
    return inst
