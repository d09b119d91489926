"""Edges that used to run away, as a table: simplify of nested bubbles (must
grow linearly with the depth, it grew exponentially) and expand/prove of a
product of binomials (must stop at the term limit with a message).

    python benchmarks/bench_edges.py

Quote ratios within one run (time at depth 2d over time at depth d), not
absolute times: the machine is shared.
"""
from __future__ import annotations

import time

from rewrite.app.session import Session
from rewrite.core.errors import InputError


def nested(depth: int) -> str:
    return "relu(" * depth + "x[i]" + ")" * depth


def timed(text: str) -> tuple[float, str]:
    start = time.perf_counter()
    try:
        rs = Session().run(text)
        outcome = ", ".join(r.status for r in rs)
    except InputError as e:
        outcome = "input error: " + e.message[:60]
    return time.perf_counter() - start, outcome


def main() -> None:
    timed("dim n\ntensor x[i: n]\nsimplify relu(x[i])\n")  # imports and parser set-up
    print(f"{'case':<34} {'seconds':>8}  outcome")
    for depth in (12, 25, 50, 90):
        text = "dim n\ntensor x[i: n]\nsimplify " + nested(depth) + "\n"
        t, out = timed(text)
        print(f"{f'simplify relu nested {depth} deep':<34} {t:>8.3f}  {out}")
    decls = "dim n\ntensor a[i: n]\ntensor b[i: n]\ntensor c[i: n]\n"
    for k in (10, 20, 30):
        left = " ".join(f"(a[i{j}] + b[i{j}]) c[i{j}]" for j in range(k))
        right = " ".join(f"(a[i{j}] c[i{j}] + b[i{j}] c[i{j}])" for j in range(k))
        t, out = timed(decls + f"expand {left}\n")
        print(f"{f'expand {k} binomials':<34} {t:>8.3f}  {out}")
        t, out = timed(decls + f"prove {left} == {right}\n")
        print(f"{f'prove {k} binomials':<34} {t:>8.3f}  {out}")


if __name__ == "__main__":
    main()
