"""Benchmark: normalising the norm <psi|psi> of a left-canonical MPS.

N sites: A1..A(N-1) are isometries Ak[l, p -> r], the last site is generic;
the bra-ket has 2N tensors and simplify performs N-1 isometry cancellations,
each one enabling the next.  The engine must do this in O(N): the table prints
simplify's time for several N and the ratio time(10,000) / time(1,000), which
linear work keeps near 10 (the target is < 13, and < 1 s at N = 10,000).

Run: python benchmarks/bench_engine.py [N ...]
"""
from __future__ import annotations

import gc
import sys
import time

import sympy

from rewrite.core.diagram import Diagram, TensorNode
from rewrite.rewriting.simplify import simplify
from rewrite.core.kinds import Decl, Kind
from rewrite.core.pattern import DELTA, Atom, Rule, Side, Slot, VarKind


def mps_norm(n: int, bond: int = 2, phys: int = 2) -> Diagram:
    """<psi|psi> for an n-site left-canonical MPS, built directly as a port graph."""
    b, p = sympy.Integer(bond), sympy.Integer(phys)
    d = Diagram()
    left = None  # the (ket, bra) ports of the open bond on the left
    for k in range(1, n + 1):
        last = k == n
        if last:
            decl = Decl(f"A{k}", Kind.GENERIC, ("l", "p"), (b, p), 2)
        else:
            decl = Decl(f"A{k}", Kind.ISOMETRY, ("l", "p", "r"), (b, p, b), 2)
        ket = d.add_node(TensorNode(decl))
        bra = d.add_node(TensorNode(decl, conj=True))
        d.connect((ket, 1), (bra, 1))
        if left is None:
            d.connect((ket, 0), (bra, 0))  # the first site's left leg closes on itself
        else:
            d.connect(left[0], (ket, 0))
            d.connect(left[1], (bra, 0))
        left = None if last else ((ket, 2), (bra, 2))
    return d


def isometry_rule() -> Rule:
    """The core isometry rule, built directly so the benchmark times only the engine."""
    w, t, s = (Slot((x,), True) for x in "wts")
    lhs = Side((Atom("U", (w, t), conj=True, split=1), Atom("U", (w, s), split=1)), 1, ("t", "s"))
    rhs = Side((Atom(DELTA, (t, s)),), 1, ("t", "s"))
    return Rule("isometry", {"U": VarKind(Kind.ISOMETRY)}, lhs, rhs, {}, frozenset("wts"))


def time_simplify(n: int, rules: list[Rule], repeat: int = 3) -> tuple[float, Diagram]:
    best = float("inf")
    out = None
    for _ in range(repeat):
        d = mps_norm(n)
        gc.collect()
        t0 = time.perf_counter()
        r = simplify(d, rules)
        best = min(best, time.perf_counter() - t0)
        out = r.sum.terms[0]
    return best, out


def main(sizes: list[int]) -> None:
    try:
        from rewrite.rewriting.ruleset import core_rules

        rules, which = core_rules(), "core rules (rules/core.tn)"
    except Exception as e:  # the language front end is not available
        rules, which = [isometry_rule()], f"isometry rule only ({type(e).__name__})"
    print(f"MPS norm <psi|psi>, {which}")
    print(f"{'N':>8} {'tensors':>8} {'simplify s':>11} {'us/site':>8} {'left':>5}")
    times = {}
    for n in sizes:
        t, d = time_simplify(n, rules, repeat=3 if n <= 10_000 else 1)
        times[n] = t
        print(f"{n:>8} {2 * n:>8} {t:>11.4f} {1e6 * t / n:>8.1f} {len(d.nodes):>5}")
    if 1000 in times and 10_000 in times:
        print(f"time(10000) / time(1000) = {times[10_000] / times[1000]:.1f}")


if __name__ == "__main__":
    main([int(x) for x in sys.argv[1:]] or [100, 1000, 3000, 10_000])
