"""Every target of the "instant commands and 10^5-tensor diagrams" issue in one table.

Run: python benchmarks/bench_issue14.py [--quick]   (--quick: 10^4 sites at most, smaller networks)

Columns: the target, the figure the issue measured before ("before"), the
figure now, and whether the target is met.  Figures are CPU seconds (user +
system) - of a fresh `rewrite` process for whole commands (interpreter start-up
and imports included, peak resident memory beside), of this process for
in-process rows - because the machine is shared and wall time is noise.
Ratios (parsing speed-up, `cost` against cotengra, growth exponents) are
taken within this one run.  The helpers are those of `bench_startup_scale.py`
and `bench_heavy.py`, which print the longer tables of their own areas.
"""
from __future__ import annotations

import math
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

from bench_heavy import cost_against_cotengra, cpu, peps_source, regular3  # noqa: E402
from bench_startup_scale import child_cpu, mps_program, parse_times, print_table, rewrite_run, write  # noqa: E402

QUICK = "--quick" in sys.argv


def main() -> None:
    rows: list[tuple[str, str, str, str, str]] = []  # what, before, target, now, met

    def row(what: str, before: str, target: str, now: str, met: bool | None) -> None:
        rows.append((what, before, target, now, "" if met is None else ("yes" if met else "NO")))
        print(f"  {what}: {now}", file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        # 1. start-up
        bare, _, _ = child_cpu([sys.executable, "-c", "pass"], repeat=3)
        conc = write(tmp, "conc.tn", "tensor A[i: 3, j: 3]\nprove tr(A) == A[i, i]\n")
        symb = write(tmp, "symb.tn", "dim n\ntensor A[i: n, j: n]\nprove tr(A) == A[i, i]\n")
        rewrite_run(conc)  # fills the parser cache, as any earlier run would have
        t, m, _ = rewrite_run(conc, repeat=3)
        row("1. start-up, one-line file, concrete sizes", "0.83 s, 61 MB", "< 0.25 s",
            f"{t:.2f} s, {m:.0f} MB (python -c pass: {bare:.3f} s)", t < 0.25)
        t, m, _ = rewrite_run(symb, repeat=3)
        row("1. start-up, one-line file, symbolic sizes", "0.83 s, 61 MB", "< 0.35 s",
            f"{t:.2f} s, {m:.0f} MB", t < 0.35)

        # 2. parsing
        t_lark, t_fast = parse_times(10_000)
        row("2. parsing a 10^4-site MPS program (lark alone / parse)", "1.69 s",
            ">= 5x faster", f"{t_lark:.2f} s / {t_fast:.2f} s = {t_lark / t_fast:.1f}x",
            t_lark / t_fast >= 5)

        # 3. scale
        sizes = [1_000, 10_000] if QUICK else [1_000, 10_000, 100_000]
        times: dict[int, float] = {}
        for n in sizes:
            path = write(tmp, f"mps{n}.tn", mps_program(n))
            t, m, code = rewrite_run(path)
            times[n] = t
            ok = code == 0
            if n == 10_000:
                row("3. MPS norm, 10^4 sites, `rewrite run`", "3.97 s", "< 2 s",
                    f"{t:.2f} s, {m:.0f} MB" + ("" if ok else f" (exit {code})"), ok and t < 2)
            elif n == 100_000:
                row("3. MPS norm, 10^5 sites, `rewrite run`", "did not finish (>15 s, >330 MB)",
                    "< 15 s, < 1.5 GB", f"{t:.2f} s, {m:.0f} MB" + ("" if ok else f" (exit {code})"),
                    ok and t < 15 and m < 1536)
        lo, hi = sizes[0], sizes[-1]
        exponent = math.log(times[hi] / times[lo]) / math.log(hi / lo)
        row(f"3. growth exponent, {lo:,} -> {hi:,} sites", "-", "<= 1.1", f"{exponent:.2f}",
            exponent <= 1.1)

    # 4. canonical forms
    from rewrite.core.canon import canonical

    nodes = 2_000 if QUICK else 10_000
    canonical(regular3(100, True))  # imports igraph outside the timings
    for sym, target, limit, before in ((False, "< 0.2 s", 0.2, "0.36 s"), (True, "< 1 s", 1.0, "21 s")):
        d = regular3(nodes, sym)
        s = cpu(lambda: canonical(d))
        row(f"4. canonical form, random 3-regular, {nodes:,} nodes, "
            f"{'symmetric tensors' if sym else 'ordered legs'}", before, target, f"{s:.3f} s",
            s < limit)

    # 5. cost: the report built, and built and printed, against cotengra's
    # greedy tree and cost on the same network; growth from a third of the
    # rungs, but above SEARCH_LIMIT tensors: below it `cost` also runs its
    # randomised search, a different amount of work.
    from rewrite.numerics.cost import SEARCH_LIMIT

    rungs = 300 if QUICK else 1_000
    c = cost_against_cotengra(rungs)
    row(f"5. `cost` of the ladder, {rungs:,} rungs, report built", "did not finish",
        "< 2 s, within 3x of cotengra",
        f"{c.built:.3f} s = {c.built / c.cotengra:.1f}x cotengra's greedy tree and cost "
        f"({c.cotengra:.3f} s; its greedy path alone {c.path_only:.3f} s)",
        c.built < 2 and c.built / c.cotengra <= 3)
    row(f"5. `cost` of the ladder, {rungs:,} rungs, report formatted",
        "did not finish (last round, 1,000 rungs: 0.38 s, 10.8x)", "< 2 s, within 3x of cotengra",
        f"{c.formatted:.3f} s = {c.formatted / c.cotengra:.1f}x cotengra",
        c.formatted < 2 and c.formatted / c.cotengra <= 3)
    fewer = max(rungs // 3, SEARCH_LIMIT // 2 + 1)
    small = cost_against_cotengra(fewer)
    grow = math.log(c.formatted / small.formatted) / math.log(rungs / fewer)
    theirs = math.log(c.cotengra / small.cotengra) / math.log(rungs / fewer)
    # The report includes cotengra's greedy search, which is not quite linear itself.
    row(f"5. `cost` growth exponent, {fewer:,} -> {rungs:,} rungs, report formatted", "-",
        "<= 1.1, or cotengra's own + 0.1", f"{grow:.2f} (cotengra's own: {theirs:.2f})",
        grow <= max(1.1, theirs + 0.1))

    # 6. numeric check of an isometric PEPS norm
    side = 6 if QUICK else 10
    with tempfile.TemporaryDirectory() as tmp:
        path = write(tmp, "peps.tn", peps_source(side))
        # --workers 1: were the contraction sliced, its slices' CPU time would
        # be spent in pool processes that this measure cannot see.
        t, m, code = child_cpu([sys.executable, "-m", "rewrite", "--workers", "1", "run", path])
    row(f"6. numeric check, isometric {side}x{side} PEPS norm ({2 * side * side} tensors)",
        "7.8 s, 885 MB", "< 2 s, < 400 MB",
        f"{t:.2f} s, {m:.0f} MB" + ("" if code == 0 else f" (exit {code})"),
        code == 0 and t < 2 and m < 400)

    print_table(rows, "before (issue)", head=("target", "before (issue)", "goal", "now (CPU)", "met"))

if __name__ == "__main__":
    main()
