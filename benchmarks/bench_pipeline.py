"""End-to-end benchmark: text in, verdicts out, stage by stage.

For each family and size the table gives the seconds spent in each stage of the
pipeline on diagrams written as text, the way a user writes them:

    parse+build   text -> syntax tree -> port graph
    canonical     canonical key of the built diagram
    equality      two presentations of the same diagram decided equal (or not)
    simplify      normal form with the core rules
    numeric       one random instance sampled and contracted
    run           `rewrite run` proving the MPS norm equal to its last site's
                  norm, as a separate process (imports, parsing, proof, output)

Families: the norm of a left-canonical MPS (N sites, 2N tensors, N-1 isometry
cancellations), an L x L grid (PEPS-like norm of one tensor), the trace of N
distinct matrices, tr(A^N) against its rotation, and one N-cycle against two
N/2-cycles (which must differ).

Run: python benchmarks/bench_pipeline.py [--quick]
Each figure is the best of a few runs in this process (the `run` column is one
process start, interpreter and imports included).
"""
from __future__ import annotations

import gc
import os
import subprocess
import sys
import tempfile
import time
from typing import Callable

QUICK = "--quick" in sys.argv


def best(fn: Callable[[], object], repeat: int = 3) -> tuple[float, object]:
    out, t_best = None, float("inf")
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        out = fn()
        t_best = min(t_best, time.perf_counter() - t0)
    return t_best, out


# ----------------------------------------------------------------- programs


def mps_program(n: int) -> tuple[str, str, str]:
    """Declarations, the norm, and the same norm written bra-first."""
    decl = ["dim d = 2"]
    for k in range(1, n):
        decl.append(f"isometry A{k}[l: d, p: d -> r: d]")
    decl.append(f"tensor A{n}[l: d, p: d]")
    ket = " ".join([f"A1[b0, p1, b1]"] + [f"A{k}[b{k-1}, p{k}, b{k}]" for k in range(2, n)]
                   + [f"A{n}[b{n-1}, p{n}]"])
    bra = " ".join([f"conj(A1)[c0, p1, c1]"] + [f"conj(A{k})[c{k-1}, p{k}, c{k}]"
                                                 for k in range(2, n)]
                   + [f"conj(A{n})[c{n-1}, p{n}]"])
    norm = f"{ket} {bra} δ[b0, c0]"
    other = f"{bra} {ket} δ[c0, b0]"
    return "\n".join(decl), norm, other


def grid_program(size: int) -> tuple[str, str, str]:
    """An L x L periodic grid of one four-leg tensor G, and a relabelled copy."""
    decl = "dim d = 2\ntensor G[u: d, r: d, dn: d, l: d]"

    def text(shift: int) -> str:
        parts = []
        for i in range(size):
            for j in range(size):
                a, b = (i + shift) % size, (j + shift) % size
                parts.append(f"G[v{a}_{b}, h{a}_{(b + 1) % size}, v{(a + 1) % size}_{b}, h{a}_{b}]")
        return " ".join(parts)

    return decl, text(0), text(1)


def trace_program(n: int) -> tuple[str, str, str]:
    decl = "dim d = 2\n" + "\n".join(f"tensor M{k}[i: d, j: d]" for k in range(n))
    a = " ".join(f"M{k}[x{k}, x{(k + 1) % n}]" for k in range(n))
    b = " ".join(f"M{(k + 7) % n}[y{k}, y{(k + 1) % n}]" for k in range(n))
    return decl, a, b


def power_program(n: int) -> tuple[str, str, str]:
    decl = "dim d = 2\ntensor A[i: d, j: d]"
    a = " ".join(f"A[x{k}, x{(k + 1) % n}]" for k in range(n))
    b = " ".join(f"A[y{(k + n // 3) % n}, y{(k + n // 3 + 1) % n}]" for k in range(n))
    return decl, a, b


def cycles_program(n: int) -> tuple[str, str, str]:
    decl = "dim d = 2\ntensor A[i: d, j: d]"
    one = " ".join(f"A[x{k}, x{(k + 1) % n}]" for k in range(n))
    h = n // 2
    two = (" ".join(f"A[y{k}, y{(k + 1) % h}]" for k in range(h)) + " "
           + " ".join(f"A[z{k}, z{(k + 1) % h}]" for k in range(h)))
    return decl, one, two


FAMILIES = [
    ("MPS norm", mps_program, [10, 100, 1000] if QUICK else [10, 100, 1000, 10000], True),
    ("LxL grid", grid_program, [4, 8] if QUICK else [4, 8, 16, 32], False),
    ("tr(M1...MN)", trace_program, [10, 100] if QUICK else [10, 100, 1000, 10000], True),
    ("tr(A^N) vs rotation", power_program, [100] if QUICK else [100, 1000], False),
    ("N-cycle vs two N/2", cycles_program, [100] if QUICK else [100, 1000], False),
]


def measure(name: str, program, n: int, numeric_ok: bool) -> list[str]:
    from rewrite.language.env import Env
    from rewrite.language.expressions import build_expr
    from rewrite.core.canon import canonical_sum
    from rewrite.rewriting.ruleset import core_rules
    from rewrite.rewriting.simplify import simplify
    from rewrite.language.parse import parse

    decls, left_text, right_text = program(n)
    env = Env()
    for stmt in parse(decls):
        env.execute_declaration(stmt)

    def build(text: str):
        (stmt,) = parse("show " + text)
        return build_expr(stmt.expr, env)

    t_build, left = best(lambda: build(left_text), 2)
    right = build(right_text)
    t_canon, _ = best(lambda: canonical_sum(left))
    t_eq, same = best(lambda: canonical_sum(left) == canonical_sum(right))
    rules = core_rules()
    t_simp, res = best(lambda: simplify(left, rules), 2)
    row = [name, str(n), f"{t_build:.3f}", f"{t_canon:.3f}",
           f"{t_eq:.3f} ({'same' if same else 'differ'})", f"{t_simp:.3f}"]
    if numeric_ok:
        from rewrite.numerics.evaluate import evaluate
        from rewrite.numerics.sample import sample_instance

        decl_list = list(env.decls.values())
        t_num, _ = best(lambda: evaluate(left, sample_instance(decl_list, seed=1)), 2)
        row.append(f"{t_num:.3f}")
    else:
        row.append("-")
    if name == "MPS norm":
        with tempfile.NamedTemporaryFile("w", suffix=".tn", delete=False, encoding="utf-8") as f:
            f.write(decls + f"\nprove {left_text} == A{n}[a, s] conj(A{n})[a, s]\n")
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "rewrite", "run", f.name],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        row.append(f"{time.perf_counter() - t0:.3f}")
        os.unlink(f.name)
    else:
        row.append("-")
    return row


def main() -> None:
    head = ["family", "size", "parse+build", "canonical", "equality", "simplify", "numeric", "run"]
    rows = [head]
    for name, program, sizes, numeric_ok in FAMILIES:
        for n in sizes:
            rows.append(measure(name, program, n, numeric_ok))
            print("  ".join(rows[-1]), file=sys.stderr)
    widths = [max(len(r[c]) for r in rows) for c in range(len(head))]
    for k, r in enumerate(rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths)))
        if k == 0:
            print("  ".join("-" * w for w in widths))


if __name__ == "__main__":
    main()
