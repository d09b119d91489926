"""Timing of canonical keys on the families `prove` meets: prints family x size x seconds.

Run: python benchmarks/bench_canon.py [--quick]

Each row builds its diagrams with the Diagram API (building is not timed) and
times `canonical` (or, for the "vs" rows, deciding equality of two diagrams by
their keys).  Targets: the norm of a 10,000-site MPS in under 1 s;
tr(A^1000) vs its rotation and one 1000-cycle vs two 500-cycles decided in
under 0.5 s each.
"""
from __future__ import annotations

import argparse
import time
from typing import Callable

import sympy

from rewrite.core.canon import canonical
from rewrite.core.diagram import Diagram, TensorNode
from rewrite.core.kinds import Decl, Kind

d_ = sympy.Symbol("d", positive=True, integer=True)
chi = sympy.Symbol("chi", positive=True, integer=True)


def decl(name: str, sizes: tuple, kind: Kind = Kind.GENERIC) -> Decl:
    return Decl(name, kind, tuple(f"l{i}" for i in range(len(sizes))), sizes, len(sizes))


def mps_norm(n: int, distinct: bool) -> Diagram:
    """<psi|psi> for an open MPS: ends L[p, b], bulk A[b, p, b'], end R[b, p].

    With `distinct`, site k is its own tensor Ak; otherwise every bulk site is A.
    """
    d = Diagram()
    end_l, end_r = decl("L", (d_, chi)), decl("R", (chi, d_))
    bulk = decl("A", (chi, d_, chi))

    def sites(conj: bool) -> list[int]:
        vs = [d.add_node(TensorNode(end_l, conj))]
        for k in range(1, n - 1):
            x = decl(f"A{k}", (chi, d_, chi)) if distinct else bulk
            vs.append(d.add_node(TensorNode(x, conj)))
        vs.append(d.add_node(TensorNode(end_r, conj)))
        return vs

    top, bottom = sites(False), sites(True)
    for vs in (top, bottom):
        d.connect((vs[0], 1), (vs[1], 0))
        for a, b in zip(vs[1:-1], vs[2:]):
            d.connect((a, 2), (b, 0))
    d.connect((top[0], 0), (bottom[0], 0))
    for a, b in zip(top[1:-1], bottom[1:-1]):
        d.connect((a, 1), (b, 1))
    d.connect((top[-1], 1), (bottom[-1], 1))
    return d


def grid(size: int, torus: bool) -> Diagram:
    """An L x L grid of one tensor G[up, right, down, left]; open edges are free legs
    (named by their place) or, on a torus, wrap around."""
    d = Diagram()
    g = decl("G", (chi,) * 4)
    v = [[d.add_node(TensorNode(g)) for _ in range(size)] for _ in range(size)]
    for r in range(size):
        for c in range(size):
            if c + 1 < size or torus:
                d.connect((v[r][c], 1), (v[r][(c + 1) % size], 3))
            if r + 1 < size or torus:
                d.connect((v[r][c], 2), (v[(r + 1) % size][c], 0))
    if not torus:
        for k in range(size):
            d.connect(d.add_free(f"u{k}", chi), (v[0][k], 0))
            d.connect(d.add_free(f"d{k}", chi), (v[size - 1][k], 2))
            d.connect(d.add_free(f"l{k}", chi), (v[k][0], 3))
            d.connect(d.add_free(f"r{k}", chi), (v[k][size - 1], 1))
    return d


def cycles(lengths: list[int], names: Callable[[int], str], start: int = 0) -> Diagram:
    """One trace tr(M_0 M_1 ...) per length; the first is rotated by `start`."""
    d = Diagram()
    cache: dict[str, Decl] = {}
    for c, length in enumerate(lengths):
        seq = [names(k) for k in range(length)]
        if c == 0:
            seq = seq[start:] + seq[:start]
        vs = [d.add_node(TensorNode(cache.setdefault(x, decl(x, (chi, chi))))) for x in seq]
        for k in range(length):
            d.connect((vs[k], 1), (vs[(k + 1) % length], 0))
    return d


def timed(f: Callable[[], object], repeat: int = 3) -> tuple[float, object]:
    """Best of `repeat` runs, so one garbage collection does not make a row."""
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        out = f()
        best = min(best, time.perf_counter() - t)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="small sizes only")
    quick = ap.parse_args().quick
    # Import igraph and warm sympy outside the timings (a long ring takes the bliss path).
    canonical(cycles([100], lambda k: "A"))
    rows: list[tuple[str, int, float, str]] = []

    def key_row(family: str, size: int, d: Diagram) -> None:
        s, _ = timed(lambda: canonical(d))
        rows.append((family, size, s, ""))

    def vs_row(family: str, size: int, a: Diagram, b: Diagram) -> None:
        s, same = timed(lambda: canonical(a) == canonical(b))
        rows.append((family, size, s, "equal" if same else "different"))

    mps_sizes = [10, 100, 1000] if quick else [10, 100, 1000, 10000]
    for n in mps_sizes:
        key_row("MPS norm, sites A1..AN", n, mps_norm(n, True))
    for n in mps_sizes:
        key_row("MPS norm, one tensor A", n, mps_norm(n, False))
    for size in [4, 8, 16] if quick else [4, 8, 16, 32]:
        key_row("LxL grid of G, open", size, grid(size, False))
    for size in [4, 8, 16] if quick else [4, 8, 16, 32]:
        key_row("LxL grid of G, torus", size, grid(size, True))
    for n in [10, 100, 1000] if quick else [10, 100, 1000, 10000]:
        key_row("tr(M1 ... MN), distinct", n, cycles([n], lambda k: f"M{k}"))
    for n in [10, 100, 1000] if quick else [10, 100, 1000, 10000]:
        vs_row("tr(A^N) vs rotation", n, cycles([n], lambda k: "A"), cycles([n], lambda k: "A", start=n // 3))
    for n in [10, 100, 1000] if quick else [10, 100, 1000, 10000]:
        vs_row("N-cycle vs two N/2-cycles", n, cycles([n], lambda k: "A"), cycles([n // 2, n // 2], lambda k: "A"))

    w = max(len(r[0]) for r in rows)
    print(f"{'family':<{w}}  {'size':>6}  {'seconds':>8}  result")
    for family, size, s, note in rows:
        print(f"{family:<{w}}  {size:>6}  {s:8.4f}  {note}")


if __name__ == "__main__":
    main()
