"""Edges that used to run away, as a table: simplify of nested bubbles (must
grow linearly with the depth, it grew exponentially), expand/prove of a
product of binomials (must stop at the term limit with a message), and files
of 2 and 20 MB - 2,000 and 20,000 statements with 1 kB comments, fine, with an
unknown name each, and with an unclosed bracket each (must grow linearly with
the file; the lines were split anew for every statement, and every syntax
error kept its own copy of the text).

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


def timed_file(text: str) -> tuple[float, str]:
    """`run` on a file's text, going on after errors as the command line does."""
    start = time.perf_counter()
    try:
        rs = Session(keep_going=True).run(text, "big.tn")
        counts: dict[str, int] = {}
        for r in rs:
            counts[r.status] = counts.get(r.status, 0) + 1
        outcome = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    except InputError as e:
        outcome = "input error: " + e.message[:60]
    return time.perf_counter() - start, outcome


def files() -> None:
    head = "dim n\nreal tensor v[i: n]\n"
    for kind, line in (("fine", "show v[i]  # "), ("unknown name", "show w[i]  # "),
                       ("unclosed bracket", "show v[i  # ")):
        for count in (2_000, 20_000):
            text = head + (line + "x" * 1000 + "\n") * count
            t, out = timed_file(text)
            label = f"{len(text) / 2**20:.0f} MB file, {kind}"
            print(f"{label:<34} {t:>8.3f}  {out}")


if __name__ == "__main__":
    main()
    files()
