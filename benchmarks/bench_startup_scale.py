"""Start-up, parsing and scale (targets 1-3 of the "instant commands" issue): one table.

Every figure is CPU time (user + system, from `resource.getrusage`), not wall
time: the machine is shared, and CPU seconds are what a command costs.  Each
`rewrite run` is a fresh process, interpreter start-up and imports included;
its memory is that process's peak resident set (`ru_maxrss`).

Rows:
  start-up      `rewrite run` of a one-line file, concrete and symbolic sizes,
                against `python -c pass` measured in the same run, and of
                every examples/*.tn
  parse         a 10^4-site MPS norm program parsed by lark alone
                (`parse_lark`, the reference) and by `parse` (fast path for
                plain lines, lark for the rest), in this process
  scale         `rewrite run` proving the N-site MPS norm equal to its last
                site's norm, N = 10^3, 10^4, 10^5 (2N tensors), and the growth
                exponent log(t(10^5)/t(10^3)) / log(100)
  matmul chain  `show A @ A @ ... @ A` with 2,000 and 4,000 factors

Children run with their bytecode cached, as an installed package has it
(`PYTHONDONTWRITEBYTECODE` is dropped, and every file is run once first), and
with the parser cache filled.

With `--baseline DIR`, DIR is the source tree of an earlier version (for
instance `git archive <commit> | tar -x -C DIR`): the start-up rows measure it
in the same run, so "before" and "after" are ratios of one machine state.  The
source tree keeps the grammar and the rules beside the package (pyproject maps
them in); the script links them into DIR/rewrite so that DIR runs as it was.
Both versions run the current examples; a baseline that cannot run one shows
its exit code.

Run: python benchmarks/bench_startup_scale.py [--quick] [--startup] [--baseline DIR]
     (--quick stops at 10^4; --startup prints the start-up rows only)
"""
from __future__ import annotations

import glob
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

QUICK = "--quick" in sys.argv
STARTUP_ONLY = "--startup" in sys.argv
BASELINE = sys.argv[sys.argv.index("--baseline") + 1] if "--baseline" in sys.argv else None
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)


def child_env(tree: str | None = None) -> dict[str, str]:
    """The environment of a measured child: bytecode on, `tree` first on the path."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = tree or ROOT
    return env


def child_cpu(cmd: list[str], repeat: int = 1, env: dict[str, str] | None = None,
              cwd: str | None = None) -> tuple[float, float, int]:
    """Best CPU seconds of `repeat` runs of `cmd`, peak memory in MB, exit code."""
    best, peak, code = math.inf, 0.0, 0
    for _ in range(repeat):
        # ru_maxrss of RUSAGE_CHILDREN is the largest child so far: measure each
        # run in a fresh helper process so the figure is this command's alone.
        probe = ("import resource, subprocess, sys\n"
                 "p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
                 "r = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
                 "print(r.ru_utime + r.ru_stime, r.ru_maxrss, p.returncode)\n")
        out = subprocess.run([sys.executable, "-c", probe, *cmd], capture_output=True,
                             text=True, check=True, env=env or child_env(), cwd=cwd).stdout.split()
        best = min(best, float(out[0]))
        peak = max(peak, int(out[1]) / 1024)
        code = int(out[2])
    return best, peak, code


def rewrite_run(path: str, repeat: int = 1, tree: str | None = None) -> tuple[float, float, int]:
    """`rewrite run path` in its own folder (examples read files beside them)."""
    return child_cpu([sys.executable, "-m", "rewrite", "run", os.path.basename(path)], repeat,
                     env=child_env(tree), cwd=os.path.dirname(os.path.abspath(path)))


def startup_rows(tmp: str) -> list[tuple[str, str, str, str]]:
    """One-line files and every example: CPU before (the baseline tree, or the
    issue's figure) and now, best of a few runs each."""
    rows = []
    bare, _, _ = child_cpu([sys.executable, "-c", "pass"], repeat=5)
    conc = write(tmp, "conc.tn", "tensor A[i: 3, j: 3]\nprove tr(A) == A[i, i]\n")
    symb = write(tmp, "symb.tn", "dim n\ntensor A[i: n, j: n]\nprove tr(A) == A[i, i]\n")
    # A copy: examples that draw write their pictures beside themselves.
    shutil.copytree(os.path.join(ROOT, "examples"), os.path.join(tmp, "examples"))
    examples = sorted(glob.glob(os.path.join(tmp, "examples", "*.tn")))
    if BASELINE:
        for sub in ("grammar", "rules"):
            link = os.path.join(BASELINE, "rewrite", sub)
            if not os.path.exists(link):
                os.symlink(os.path.join("..", sub), link)
    trees = [None] + ([BASELINE] if BASELINE else [])
    for tree in trees:  # bytecode and the parser cache, as any earlier run would leave them
        for path in [conc, symb] + examples:
            rewrite_run(path, tree=tree)

    def before(path: str, repeat: int, figure: str) -> tuple[str, float | None]:
        if not BASELINE:
            return figure, None
        t, m, code = rewrite_run(path, repeat, BASELINE)
        return f"{t:.2f} s, {m:.0f} MB" + ("" if code == 0 else f" (exit {code})"), t

    rows.append(("`python -c pass`", "0.027 s", f"{bare:.3f} s", ""))
    for name, path, target in (("concrete", conc, "< 0.25 s"), ("symbolic", symb, "< 0.35 s")):
        was, t0 = before(path, 5, "0.83 s, 61 MB")
        t, m, _ = rewrite_run(path, repeat=5)
        ratio = f", {t0 / t:.1f}x faster" if t0 else ""
        rows.append((f"start-up, one line, {name} sizes", was,
                     f"{t:.2f} s, {m:.0f} MB ({t / bare:.0f}x python{ratio})", target))
    for path in examples:
        was, t0 = before(path, 2, "")
        t, m, code = rewrite_run(path, repeat=2)
        verdict = "" if code == 0 else f" (exit {code})"
        ratio = f", {t0 / t:.1f}x faster" if t0 else ""
        rows.append((f"`rewrite run` examples/{os.path.basename(path)}", was,
                     f"{t:.2f} s, {m:.0f} MB{verdict}{ratio}", ""))
    return rows


def mps_program(n: int) -> str:
    lines = ["dim d = 2"]
    lines += [f"isometry A{k}[l: d, p: d -> r: d]" for k in range(1, n)]
    lines.append(f"tensor A{n}[l: d, p: d]")
    ket = " ".join(["A1[b0, p1, b1]"] + [f"A{k}[b{k-1}, p{k}, b{k}]" for k in range(2, n)]
                   + [f"A{n}[b{n-1}, p{n}]"])
    bra = " ".join(["conj(A1)[c0, p1, c1]"] + [f"conj(A{k})[c{k-1}, p{k}, c{k}]"
                                                for k in range(2, n)]
                   + [f"conj(A{n})[c{n-1}, p{n}]"])
    lines.append(f"prove {ket} {bra} δ[b0, c0] == A{n}[a, s] conj(A{n})[a, s]")
    return "\n".join(lines) + "\n"


def write(folder: str, name: str, text: str) -> str:
    path = os.path.join(folder, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def main() -> None:
    rows: list[tuple[str, str, str, str]] = []  # what, now (the figure), measured, target
    with tempfile.TemporaryDirectory() as tmp:
        # ------------------------------------------------------------ start-up
        rows += startup_rows(tmp)
        if STARTUP_ONLY:
            print_table(rows, "before" if BASELINE else "issue's 'now'")
            return

        # --------------------------------------------------------------- parse
        t_lark, t_fast = parse_times(10_000)
        rows.append(("parse, 10^4-site MPS (lark alone vs parse)", "1.69 s",
                     f"{t_lark:.2f} s vs {t_fast:.2f} s: {t_lark / t_fast:.1f}x faster", ">= 5x"))

        # --------------------------------------------------------------- scale
        sizes = [1_000, 10_000] if QUICK else [1_000, 10_000, 100_000]
        times: dict[int, float] = {}
        now = {1_000: "", 10_000: "3.97 s", 100_000: "did not finish (>15 s, >330 MB)"}
        target = {1_000: "", 10_000: "< 2 s", 100_000: "< 15 s, < 1.5 GB"}
        for n in sizes:
            path = write(tmp, f"mps{n}.tn", mps_program(n))
            t, m, code = rewrite_run(path)
            times[n] = t
            verdict = "" if code == 0 else f" (exit {code})"
            rows.append((f"MPS norm, {n:,} sites, `rewrite run`", now[n],
                         f"{t:.2f} s, {m:.0f} MB{verdict}", target[n]))
        lo, hi = sizes[0], sizes[-1]
        exponent = math.log(times[hi] / times[lo]) / math.log(hi / lo)
        rows.append((f"growth exponent {lo:,} -> {hi:,}", "", f"{exponent:.2f}", "<= 1.1"))
        if len(sizes) > 2:
            # 10^3 is mostly start-up; the last decade shows the per-tensor cost.
            tail = math.log(times[sizes[-1]] / times[sizes[-2]]) / math.log(sizes[-1] / sizes[-2])
            rows.append((f"growth exponent {sizes[-2]:,} -> {hi:,}", "", f"{tail:.2f}", ""))

        # ------------------------------------------------------- matmul chains
        chain: dict[int, float] = {}
        for n in (2_000, 4_000):
            path = write(tmp, f"mm{n}.tn", "dim n\ntensor A[i: n, j: n]\nshow "
                         + " @ ".join(["A"] * n) + "\n")
            chain[n], _, _ = rewrite_run(path)
        rows.append(("`show A @ A @ ...`, 2,000 / 4,000 factors", "12 s / 35 s",
                     f"{chain[2000]:.2f} s / {chain[4000]:.2f} s "
                     f"(ratio {chain[4000] / chain[2000]:.1f})", "linear (ratio ~2)"))

    print_table(rows, "before / issue's 'now'" if BASELINE else "issue's 'now'")


def parse_times(sites: int) -> tuple[float, float]:
    """CPU seconds to parse an MPS program of `sites` sites: lark alone, then
    `parse` (the fast path, falling back to lark), both warmed up first."""
    from rewrite.language.parse import parse, parse_lark

    text = mps_program(sites)
    parse("x\n")
    parse_lark("x\n")
    t0 = time.process_time()
    parse_lark(text)
    t_lark = time.process_time() - t0
    t0 = time.process_time()
    parse(text)
    return t_lark, time.process_time() - t0


def print_table(rows: list[tuple[str, ...]], before: str,
                head: tuple[str, ...] | None = None) -> None:
    """Print rows as one Markdown table; every benchmark of #14 prints this way."""
    head = head or ("what", before, "measured (CPU)", "target")
    widths = [max(len(r[k]) for r in rows + [head]) for k in range(len(head))]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(head, widths)) + " |")
    print("| " + " | ".join("-" * w for w in widths) + " |")
    for r in rows:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |")


if __name__ == "__main__":
    main()
