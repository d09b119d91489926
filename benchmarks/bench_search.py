"""prove's search as a table: forms explored and CPU seconds for proofs that
need it, for an unknown that exhausts it, and per form as diagrams grow.

    python benchmarks/bench_search.py

The machine is shared: quote forms and ratios within one run (seconds per
form at 4 factors over 2), not absolute times.
"""
from __future__ import annotations

import time

from rewrite.app.session import Session

DIAG = "dim n, r\ninvertible diagonal D[a: r, b: r]\ninvertible diagonal E[a: r, b: r]\n"


def cp(factors: int) -> str:
    """A CP tensor of `factors` factors against itself with the first factor's
    columns scaled by D and the second's by inv(D): one gauge apart."""
    decls = "".join(f"tensor F{f}[i: n, a: r]\n" for f in range(factors))
    left = " ".join(f"F{f}[i{f}, a]" for f in range(factors))
    parts = [f"F{f}[i{f}, b{f}]" for f in range(factors)]
    parts[0] += " D[b0, c0]"
    parts[1] += " inv(D)[b1, c1]"
    ends = ["c0", "c1"] + [f"b{f}" for f in range(2, factors)]
    return DIAG + decls + f"prove {left} == {' '.join(parts)} δ[{', '.join(ends)}]\n"


CASES = {
    "diagonal through a copy tensor": DIAG + "prove δ[i: r, j, k] == inv(D)[i, a] δ[a, j, b] D[b, k]\n",
    "CP scaling, two gauges": DIAG + (
        "tensor A[i: n, a: r]\ntensor B[j: n, a: r]\ntensor C[k: n, a: r]\n"
        "prove A[i, a] B[j, a] C[k, a] == A[i, a] D[a, x] E[x, a2] B[j, b] inv(D)[b, b2] "
        "C[k, c] inv(E)[c, c2] δ[a2, b2, c2]\n"),
    "hermitian, expansion rule then law": (
        "dim n\nhermitian invertible H[a: n, b: n]\n"
        "rule hermitian_back(K: hermitian): K[i, j] => conj(K)[j, i]\n"
        "prove H[b, a] conj(inv(H))[b, c] == δ[a, c]\n"),
    "unknown, budget runs out": DIAG + (
        "tensor A[i: n, a: r]\ntensor B[j: n, a: r]\ntensor C[k: n, a: r]\n"
        "prove A[i, a] B[j, a] C[k, a] == A[i, a] D[a, x] inv(E)[x, a2] B[j, b] C[k, c] "
        "inv(D)[c, c1] E[c1, c2] δ[a2, b, c2]\n"),
}


def timed(text: str):
    start = time.process_time()
    (r,) = Session().run(text, "bench.tn")
    v = r.verdict
    return time.process_time() - start, r.status, (v.search.explored if v.search else 0)


def main() -> None:
    timed(CASES["diagonal through a copy tensor"])  # imports, parser, rules
    print(f"{'case':<40} {'verdict':>8} {'forms':>6} {'CPU s':>7} {'ms/form':>8}")
    rows = list(CASES.items()) + [(f"CP of {k} factors, one gauge", cp(k)) for k in (3, 6, 12, 24)]
    for name, text in rows:
        t, status, forms = timed(text)
        per = f"{1000 * t / forms:8.1f}" if forms else f"{'-':>8}"
        print(f"{name:<40} {status:>8} {forms:>6} {t:>7.2f} {per}")


if __name__ == "__main__":
    main()
