"""Canonical forms, `cost` and numeric checks at scale: one table against the targets.

Run: python benchmarks/bench_heavy.py [--quick]

CPU seconds (time.process_time), so that other work on a shared machine
counts less; `cost` is also given as a ratio to calling cotengra directly in
the same run.  Rows:

* canonical key of a random 3-regular network of 10,000 nodes (ports paired
  at random), with ordered legs and with symmetric tensors;
* `cost` of the footnote-5 ladder with 1,000 rungs (2,000 tensors), against
  cotengra's greedy tree and its cost for the same einsum;
* `rewrite run` of a numeric check on an isometric 10 x 10 PEPS norm (its
  norm against the one tensor that is not an isometry, equal by the isometry
  law but not by structure, so numbers are needed), in a subprocess: CPU
  seconds and peak memory.
"""
from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from typing import NamedTuple

import sympy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_startup_scale import print_table  # noqa: E402

from rewrite.core.canon import canonical
from rewrite.core.diagram import Diagram, TensorNode
from rewrite.core.kinds import Decl, Kind


def regular3(n: int, symmetric: bool, seed: int = 0) -> Diagram:
    chi = sympy.Symbol("chi", positive=True, integer=True)
    t = Decl("T", Kind.SYMMETRIC if symmetric else Kind.GENERIC, ("a", "b", "c"), (chi,) * 3, 3)
    rng = random.Random(seed)
    while True:
        ports = [(v, i) for v in range(n) for i in range(3)]
        rng.shuffle(ports)
        pairs = list(zip(ports[::2], ports[1::2]))
        if all(p[0] != q[0] for p, q in pairs):
            break
    d = Diagram()
    vs = [d.add_node(TensorNode(t)) for _ in range(n)]
    for p, q in pairs:
        d.connect((vs[p[0]], p[1]), (vs[q[0]], q[1]))
    return d


def cpu(f, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.process_time()
        f()
        best = min(best, time.process_time() - t)
    return best


def ladder_source(k: int) -> str:
    decls, top, bottom = ["dim d"], [], []
    for i in range(1, k + 1):
        for name, side, out in ((f"T{i}", "t", top), (f"B{i}", "b", bottom)):
            legs = ([f"{side}{i - 1}"] if i > 1 else []) + [f"r{i}"] + ([f"{side}{i}"] if i < k else [])
            decls.append(f"tensor {name}[{', '.join(f'x{j}: d' for j in range(len(legs)))}]")
            out.append(f"{name}[{', '.join(legs)}]")
    return "\n".join(decls) + f"\nlet ladder = {' '.join(top + bottom)}\n"


def peps_source(side: int) -> str:
    """An isometric PEPS: each site an isometry from (physical, left, up) to (right, down)."""
    lines, atoms = ["dim p = 4, chi = 2"], []
    for r in range(side):
        for c in range(side):
            wide, tip, wi, ti = ["s: p"], [], [f"s{r}_{c}"], []
            if c > 0:
                wide.append("l: chi"), wi.append(f"h{r}_{c - 1}")
            if r > 0:
                wide.append("u: chi"), wi.append(f"v{r - 1}_{c}")
            if c < side - 1:
                tip.append("r: chi"), ti.append(f"h{r}_{c}")
            if r < side - 1:
                tip.append("d: chi"), ti.append(f"v{r}_{c}")
            if tip:
                lines.append(f"isometry P{r}x{c}[{', '.join(wide)} -> {', '.join(tip)}]")
            else:
                lines.append(f"tensor P{r}x{c}[{', '.join(wide)}]")
            atoms.append(f"P{r}x{c}[{', '.join(wi + ti)}]")
    last = f"P{side - 1}x{side - 1}"
    legs = atoms[-1][atoms[-1].index("[") + 1:-1]
    lines.append("let psi = " + " ".join(atoms))
    lines.append(f"check psi conj(psi) == {last}[{legs}] conj({last})[{legs}]")
    return "\n".join(lines) + "\n"


class CostTimes(NamedTuple):
    """CPU seconds of `cost` on one ladder and of cotengra on the same network."""

    built: float      # contraction_cost(...): the report, orders chosen and costed
    formatted: float  # contraction_cost(...).format(): the text `rewrite cost` prints
    cotengra: float   # cotengra's greedy tree and its contraction_cost (the baseline)
    path_only: float  # cotengra's greedy path alone, no tree (for reference)


def cost_against_cotengra(rungs: int) -> CostTimes:
    """CPU seconds of `cost` on a ladder: building the report, building and
    formatting it, and cotengra's own greedy tree and cost on the same network
    (the baseline), each the best of a few runs in this process."""
    import cotengra as ctg

    from rewrite.app.session import Session
    from rewrite.numerics.cost import contraction_cost
    from rewrite.numerics.network import index_network

    session = Session()
    value = session.last_value(ladder_source(rungs) + "ladder\n", "<ladder>")
    env = session.env
    built = cpu(lambda: contraction_cost(value, env), repeat=3)
    shown = cpu(lambda: contraction_cost(value, env).format(), repeat=3)
    diagram = value.terms[0] if hasattr(value, "terms") else value
    net = index_network(diagram)
    inputs = [op.indices for op in net.operands]
    sizes = {i: 2 for i in net.sizes}

    def direct() -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ctg.array_contract_tree(inputs, net.output, size_dict=sizes, optimize="greedy")
            tree.contraction_cost()

    def path() -> None:
        ctg.array_contract_path(inputs, net.output, size_dict=sizes, optimize="greedy", cache=False)

    return CostTimes(built, shown, cpu(direct), cpu(path))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes")
    quick = ap.parse_args().quick
    rows: list[tuple[str, str, str, str]] = []
    nodes = 2000 if quick else 10000
    canonical(regular3(100, True))  # imports igraph outside the timings
    for sym, target, now in ((False, "< 0.2 s", "0.36 s"), (True, "< 1 s", "21 s")):
        d = regular3(nodes, sym)
        s = cpu(lambda: canonical(d))
        rows.append((f"canonical form, random 3-regular, {nodes} nodes, "
                     f"{'symmetric' if sym else 'ordered'} legs", now, target, f"{s:.3f} s"))


    rungs = 300 if quick else 1000
    c = cost_against_cotengra(rungs)
    rows.append((f"`cost`, ladder of {rungs} rungs, report built", "did not finish",
                 "< 2 s, <= 3x cotengra", f"{c.built:.3f} s, {c.built / c.cotengra:.1f}x cotengra "
                 f"({c.cotengra:.3f} s; its greedy path alone {c.path_only:.3f} s)"))
    rows.append((f"`cost`, ladder of {rungs} rungs, report formatted", "-", "< 2 s, <= 3x cotengra",
                 f"{c.formatted:.3f} s, {c.formatted / c.cotengra:.1f}x cotengra"))

    side = 6 if quick else 10
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "peps.tn")
        with open(path, "w") as f:
            f.write(peps_source(side))
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        out = subprocess.run([sys.executable, "-m", "rewrite", "run", path],
                             capture_output=True, text=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    secs = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    verdict = (out.stdout.strip().splitlines() or ["?"])[-1].strip().split(":")[0]
    rows.append((f"numeric check, isometric {side}x{side} PEPS norm ({2 * side * side} tensors)",
                 "7.8 s, 885 MB", "< 2 s, < 400 MB",
                 f"{secs:.2f} s, {after.ru_maxrss / 1024:.0f} MB, {verdict}"))

    print_table(rows, "now (issue)", head=("what", "now (issue)", "target", "measured (CPU)"))


if __name__ == "__main__":
    main()
