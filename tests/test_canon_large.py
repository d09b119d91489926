"""Canonical keys of large components (more than `canon.SMALL` vertices).

Large components take their own path (numpy colour refinement, sphere sizes on
regular graphs, bliss on the compact encoding), so the laws of
`test_canon.py` are checked again here on networks big enough to take it:
random relabellings keep the key; a near-miss gets an equal key exactly when
the oracle (`canonical_bliss`: bliss on the whole port encoding, with no
refinement and no compact encoding) says the two are isomorphic.
"""
from __future__ import annotations

import random

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from rewrite.core import canon
from rewrite.core.canon import canonical, canonical_bliss
from rewrite.core.diagram import DeltaNode, Diagram, TensorNode
from rewrite.core.kinds import Decl, Kind

from strategies import relabelled

n = sympy.Symbol("n", positive=True, integer=True)
T = Decl("T", Kind.GENERIC, ("a", "b", "c"), (n, n, n), 3)
U = Decl("U", Kind.GENERIC, ("a", "b", "c"), (n, n, n), 3)
S = Decl("S", Kind.SYMMETRIC, ("a", "b", "c"), (n, n, n), 3)
A = Decl("A", Kind.GENERIC, ("i", "j"), (n, n), 2)
M = Decl("M", Kind.SYMMETRIC, ("i", "j"), (n, n), 2)
NODES = {"T": TensorNode(T), "U": TensorNode(U), "S": TensorNode(S), "δ": DeltaNode(n, 3)}


def network(kinds: list[str], seed: int, free: int = 0) -> Diagram:
    """Three-legged nodes of the given kinds, ports paired at random (loops and
    double wires allowed); `free` ports become free legs f0, f1, ..."""
    rng = random.Random(seed)
    d = Diagram()
    vs = [d.add_node(NODES[k]) for k in kinds]
    ports = [(v, i) for v in vs for i in range(3)]
    rng.shuffle(ports)
    for k in range(free):
        d.connect(d.add_free(f"f{k}", n), ports.pop())
    if len(ports) % 2:
        d.connect(d.add_free("odd", n), ports.pop())
    for p, q in zip(ports[::2], ports[1::2]):
        d.connect(p, q)
    return d


def shuffled(d: Diagram, seed: int) -> Diagram:
    """An isomorphic copy: nodes in another order, ports of interchangeable nodes permuted."""
    rng = random.Random(seed)
    order = list(d.nodes)
    rng.shuffle(order)
    perms = {}
    for v, node in d.nodes.items():
        if node.symmetric_ports:
            perm = list(range(node.arity))
            rng.shuffle(perm)
            perms[v] = perm
    return relabelled(d, order, perms)


def rewired(d: Diagram, seed: int) -> Diagram:
    """Two wires p-q, r-s swapped to p-s, r-q: often not isomorphic, sometimes so."""
    rng = random.Random(seed)
    wires = [w for w in d.wires() if w[0][0] >= 0 and w[1][0] >= 0]
    (p, q), (r, s) = rng.sample(wires, 2)
    out = d.copy()
    for x in (p, q, r, s):
        out.link.pop(x, None)
    out.connect(p, s)
    out.connect(r, q)
    return out


kinds_lists = st.integers(canon.SMALL + 2, 160).flatmap(
    lambda size: st.lists(st.sampled_from(sorted(NODES)), min_size=size, max_size=size))
alike = st.tuples(st.sampled_from(["T", "S", "δ"]), st.integers(canon.SMALL + 2, 200)).map(lambda t: [t[0]] * t[1])


@settings(max_examples=15)
@given(st.one_of(kinds_lists, alike), st.integers(0, 2**32), st.integers(0, 2**32), st.sampled_from([0, 0, 2]))
def test_large_networks_keep_their_key_under_relabelling(kinds, seed, shuffle_seed, free):
    d = network(kinds, seed, free)
    assert canonical(d) == canonical(shuffled(d, shuffle_seed))


@settings(max_examples=15)
@given(st.one_of(kinds_lists, alike), st.integers(0, 2**32), st.integers(0, 2**32))
def test_large_near_misses_get_equal_keys_exactly_when_isomorphic(kinds, seed, rewire_seed):
    d = network(kinds, seed)
    e = shuffled(rewired(d, rewire_seed), rewire_seed + 1)
    assert (canonical(d) == canonical(e)) == (canonical_bliss(d) == canonical_bliss(e))


@pytest.mark.parametrize("kind", ["T", "S"])
def test_large_random_regular_networks_with_different_wiring_differ(kind):
    a, b = network([kind] * 300, 1), network([kind] * 300, 2)
    assert canonical_bliss(a) != canonical_bliss(b)
    assert canonical(a) != canonical(b)


def ring(decl: Decl, lengths: list[int]) -> Diagram:
    d = Diagram()
    for length in lengths:
        vs = [d.add_node(TensorNode(decl)) for _ in range(length)]
        for k in range(length):
            d.connect((vs[k], 1), (vs[(k + 1) % length], 0))
    return d


@pytest.mark.parametrize("decl", [A, M], ids=["ordered", "symmetric"])
def test_one_thousand_cycle_differs_from_two_five_hundred_cycles(decl):
    assert canonical(ring(decl, [1000])) != canonical(ring(decl, [500, 500]))


@pytest.mark.parametrize("decl", [A, M], ids=["ordered", "symmetric"])
def test_long_rings_keep_their_key_under_relabelling(decl):
    d = ring(decl, [700])
    assert canonical(d) == canonical(shuffled(d, 7))


def test_interchangeable_ports_may_be_permuted_but_ordered_ones_may_not():
    sym, ordered = network(["S"] * 120, 3), network(["T"] * 120, 3)
    v = next(iter(sym.nodes))
    swap = {v: [1, 0, 2]}
    assert canonical(relabelled(sym, list(sym.nodes), swap)) == canonical(sym)
    swapped = relabelled(ordered, list(ordered.nodes), swap)
    assert (canonical(swapped) == canonical(ordered)) == (canonical_bliss(swapped) == canonical_bliss(ordered))


def port_swapped(d: Diagram, seed: int) -> Diagram:
    """Two ports of one node swapped: a different diagram unless ports are interchangeable
    (or the swap happens to be undone by an automorphism)."""
    rng = random.Random(seed)
    v = rng.choice(list(d.nodes))
    return relabelled(d, list(d.nodes), {v: [1, 0, 2]})


@settings(max_examples=15)
@given(kinds_lists, st.integers(0, 2**32), st.integers(0, 2**32))
def test_compact_bliss_encoding_decides_like_the_oracle(kinds, seed, swap_seed):
    """The bliss path on its own (every component forced through it) is complete
    and invariant: port indices, loops and double wires all reach the key."""
    d = network(kinds, seed)
    e = shuffled(port_swapped(d, swap_seed), swap_seed + 1)

    def forced(x: Diagram) -> tuple:
        flat = canon._Flat(x, False)
        return tuple(sorted(canon._bliss_key(flat, comp) for comp in flat.components()))

    assert (forced(d) == forced(e)) == (canonical_bliss(d) == canonical_bliss(e))
    assert forced(d) == forced(shuffled(d, seed + 2))
