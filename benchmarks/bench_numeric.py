"""Timing of numeric evaluation: prints family x size x seconds (sampling, evaluation).

Run: python benchmarks/bench_numeric.py [--quick] [--big]

Diagrams are built with the Diagram API (building is not timed).  Two families:

* the norm <psi|psi> of an open MPS in left-canonical form - every site an
  isometry from (left bond, physical) to the right bond, bonds growing as
  min(chi, 2^s) from either end - so the exact value is 1 and each row checks
  its answer;
* the norm of an L x L PEPS (generic complex tensors, physical 2, bond 2),
  the wide networks where the path optimiser matters.

Target: the 10,000-site MPS norm in under 2 s, sampling included.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import sympy

from rewrite.core.diagram import Diagram, TensorNode
from rewrite.core.kinds import Decl, Kind
from rewrite.numerics.evaluate import build_network, contraction_plan, evaluate
from rewrite.numerics.sample import sample_instance

PHYS = 2


def mps_norm(sites: int, chi: int) -> tuple[Diagram, list[Decl]]:
    """<psi|psi> for a left-canonical MPS of `sites` isometries, bond at most chi."""
    bond = [min(chi, PHYS ** (s + 1), PHYS ** (sites - 1 - s)) for s in range(sites - 1)]
    decls = []
    for s in range(sites):
        legs, sizes = [], []
        if s > 0:
            legs.append("l")
            sizes.append(bond[s - 1])
        legs.append("p")
        sizes.append(PHYS)
        split = len(legs)
        if s < sites - 1:
            legs.append("r")
            sizes.append(bond[s])
        decls.append(Decl(f"L{s}", Kind.ISOMETRY, tuple(legs),
                          tuple(sympy.Integer(x) for x in sizes), split))
    d = Diagram()
    prev = None
    for s, x in enumerate(decls):
        k, b = d.add_node(TensorNode(x)), d.add_node(TensorNode(x, conj=True))
        phys = 0 if s == 0 else 1
        d.connect((k, phys), (b, phys))
        if prev is not None:
            d.connect((prev[0], prev[2]), (k, 0))
            d.connect((prev[1], prev[2]), (b, 0))
        prev = (k, b, phys + 1)
    return d, decls


def peps_norm(side: int, bond: int = 2) -> tuple[Diagram, list[Decl]]:
    """<psi|psi> for an L x L PEPS of generic tensors T_xy[p, neighbours...]."""
    def neighbours(x: int, y: int) -> list[tuple[int, int]]:
        return [(a, b) for a, b in ((x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1))
                if 0 <= a < side and 0 <= b < side]

    decls = {}
    for x in range(side):
        for y in range(side):
            nb = neighbours(x, y)
            legs = ("p",) + tuple(f"to{a}_{b}" for a, b in nb)
            sizes = (sympy.Integer(PHYS),) + (sympy.Integer(bond),) * len(nb)
            decls[x, y] = Decl(f"T{x}_{y}", Kind.GENERIC, legs, sizes, len(legs))
    d = Diagram()
    for conj in (False, True):
        ids = {xy: d.add_node(TensorNode(decls[xy], conj=conj)) for xy in decls}
        for (x, y), v in ids.items():
            for i, (a, b) in enumerate(neighbours(x, y)):
                if (a, b) > (x, y):
                    j = neighbours(a, b).index((x, y))
                    d.connect((v, 1 + i), (ids[a, b], 1 + j))
        if conj:
            for xy, v in ids.items():
                d.connect((v, 0), (kets[xy], 0))
        kets = ids
    return d, list(decls.values())


def timed(d: Diagram, decls: list[Decl]) -> tuple[float, float, complex, float]:
    t0 = time.perf_counter()
    inst = sample_instance(decls, seed=0)
    t1 = time.perf_counter()
    value = complex(evaluate(d, inst))
    t2 = time.perf_counter()
    width = contraction_plan(d, inst)[2]
    return t1 - t0, t2 - t1, value, width


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes only")
    ap.add_argument("--big", action="store_true", help="also the 10 x 10 PEPS")
    args = ap.parse_args()
    rows: list[tuple[str, str, float, float, float, str]] = []

    chains = [10, 100, 1000] + ([] if args.quick else [10000])
    for chi in (2, 4):
        for sites in chains:
            d, decls = mps_norm(sites, chi)
            ts, te, value, width = timed(d, decls)
            ok = "ok" if abs(value - 1) < 1e-8 else f"WRONG {value:.6g}"
            rows.append((f"MPS norm chi={chi}", f"N={sites}", ts, te, width, f"1 {ok}"))

    sides = [2, 3, 4] + ([] if args.quick else [5, 6, 8]) + ([10] if args.big else [])
    for side in sides:
        d, decls = peps_norm(side)
        ts, te, value, width = timed(d, decls)
        rows.append(("PEPS norm bond=2", f"L={side}", ts, te, width, f"{value.real:.4g}"))

    head = ("family", "size", "sample s", "evaluate s", "total s", "width", "value")
    print(f"{head[0]:<18} {head[1]:>8} {head[2]:>9} {head[3]:>11} {head[4]:>8} {head[5]:>6}  {head[6]}")
    for fam, size, ts, te, width, value in rows:
        print(f"{fam:<18} {size:>8} {ts:>9.3f} {te:>11.3f} {ts + te:>8.3f} {width:>6.1f}  {value}")


if __name__ == "__main__":
    main()
