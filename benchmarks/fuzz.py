"""Fuzz `rewrite` with ~10^4 hostile inputs and print a table of outcomes.

    python benchmarks/fuzz.py                    # 10,000 inputs, forked runner
    python benchmarks/fuzz.py --count 2000 --jobs 2
    python benchmarks/fuzz.py --mode subprocess  # one `python -m rewrite` per input

The inputs are those of `tests/test_fuzz.py` (see `tests/fuzzing.py`): about
half drawn from the grammar, half mutated examples, and every resource case
once.  Each is given to one of the subcommands that read a program.

Two runners, the same isolation (a fresh folder, a timeout, a memory limit,
a process per input):

* `fork` (default): one parent imports the package once, then forks a child
  per input that calls the command line's entry point with the input's
  arguments, stdin and folder; an exception escaping it is printed as a
  traceback and counted as one.  About 50x cheaper than starting Python,
  which is what makes 10^4 inputs affordable on two cores.
* `subprocess`: exactly what a user runs, `python -m rewrite ...`, as the
  test suite does; about a second of interpreter start-up per input.

Outcomes: `exit 0/1/2` are answers (holds / refuted or unknown / input
error); `exit 3` (internal error), `traceback`, `timeout` and `other exit`
are bugs, listed after the table by their last line of output, each with a
shell reproducer (also written to --save DIR).
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import fuzzing as F  # noqa: E402

OUTCOMES = ["exit 0", "exit 1", "exit 2", "exit 3", "traceback", "timeout", "other exit"]


def grammar_texts(n: int, seed: int) -> list[str]:
    """n programs drawn by hypothesis from the grammar strategy."""
    if n <= 0:
        return []
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hyp_seed

    out: list[str] = []
    print(f"  drawing {n} programs from the grammar (about 0.1-0.3 s each)", file=sys.stderr,
          flush=True)

    @hyp_seed(seed)
    @settings(max_examples=n, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(F.grammar_programs())
    def collect(text: str) -> None:
        out.append(text)

    collect()
    return out


def cases(count: int, seed: int, families: set[str]) -> list[F.Case]:
    rng = random.Random(seed)
    resource = [rc.case for rc in F.resource_cases()] if "resource" in families else []
    rest = max(0, count - len(resource))
    n_grammar = rest // 2 if "mutation" in families else rest
    n_grammar = n_grammar if "grammar" in families else 0
    n_mutation = rest - n_grammar if "mutation" in families else 0
    out = [F.with_command(t.encode(), rng.randrange(len(F.COMMANDS)), "grammar")
           for t in grammar_texts(n_grammar, seed)]
    out += [F.mutated_case(seed * 1_000_003 + k) for k in range(n_mutation)]
    return out + resource


# ------------------------------------------------------------------ fork runner


def _child(case: F.Case, folder: str, timeout: float) -> None:  # pragma: no cover
    """In the forked child: run the command line as `python -m rewrite` would."""
    import resource as res
    import traceback

    code = 0
    try:
        os.chdir(folder)
        res.setrlimit(res.RLIMIT_AS, (F.MEMORY_LIMIT, F.MEMORY_LIMIT))
        res.setrlimit(res.RLIMIT_CPU, (int(timeout) + 1, int(timeout) + 2))
        for name, data in case.files.items():
            Path(name).write_bytes(data)
        Path(".stdin").write_text(case.stdin, encoding="utf-8", errors="surrogateescape")
        fd_in = os.open(".stdin", os.O_RDONLY)
        fd_out = os.open(".out", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(fd_in, 0)
        os.dup2(fd_out, 1)
        os.dup2(fd_out, 2)
        from rewrite.app.cli import main

        try:
            main.main(args=list(case.args), prog_name="rewrite", standalone_mode=True)
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException:  # what `python -m rewrite` would print and exit 1 with
        traceback.print_exc()
        code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def run_forked(all_cases: list[F.Case], jobs: int, timeout: float, progress) -> list[F.Result]:
    import signal

    # Warm the parent once: the children inherit every import and cache.
    from rewrite.app import cli, repl, session  # noqa: F401
    from rewrite.language.parse import parser
    from rewrite.rewriting.engine import core_rules, gauge_rules

    parser()
    core_rules()
    gauge_rules()
    os.environ.update({"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
                       "MPLBACKEND": "Agg", "PENROSE_REWRITE_HISTORY": os.devnull})
    os.environ.pop("REWRITE_DEBUG", None)
    results: list[F.Result | None] = [None] * len(all_cases)
    running: dict[int, tuple[int, float, tempfile.TemporaryDirectory]] = {}
    todo = list(range(len(all_cases)))[::-1]
    while todo or running:
        while todo and len(running) < jobs:
            k = todo.pop()
            tmp = tempfile.TemporaryDirectory(prefix="tn-fuzz-")
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                _child(all_cases[k], tmp.name, timeout)
            running[pid] = (k, time.monotonic(), tmp)
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            now = time.monotonic()
            for p, (k, start, tmp) in list(running.items()):
                if now - start > timeout:
                    os.kill(p, signal.SIGKILL)
                    os.waitpid(p, 0)
                    results[k] = F.Result(all_cases[k], None, _read(tmp.name))
                    tmp.cleanup()
                    del running[p]
                    progress()
            time.sleep(0.005)
            continue
        k, start, tmp = running.pop(pid)
        code = os.waitstatus_to_exitcode(status)
        if code == -signal.SIGXCPU or code == -signal.SIGKILL:
            code = None  # out of CPU time: a hang
        results[k] = F.Result(all_cases[k], code, _read(tmp.name))
        tmp.cleanup()
        progress()
    return results  # type: ignore[return-value]


def _read(folder: str) -> str:
    try:
        return Path(folder, ".out").read_bytes().decode("utf-8", "replace")[-4000:]
    except OSError:
        return ""


def run_subprocesses(all_cases: list[F.Case], jobs: int, timeout: float, progress):
    from concurrent.futures import ThreadPoolExecutor

    def one(c: F.Case) -> F.Result:
        r = F.run_case(c, timeout)
        progress()
        return r

    with ThreadPoolExecutor(jobs) as ex:
        return list(ex.map(one, all_cases))


# ------------------------------------------------------------------------ table


def table(results: list[F.Result]) -> str:
    by = defaultdict(Counter)
    for r in results:
        by[r.case.family][r.outcome] += 1
        by["all"][r.outcome] += 1
    head = f"| {'family':<9} | {'inputs':>6} | " + " | ".join(f"{o:>10}" for o in OUTCOMES) + " |"
    rule = "|" + "|".join("-" * (len(c)) for c in head.split("|")[1:-1]) + "|"
    lines = [head, rule]
    for fam in ["grammar", "mutation", "resource", "all"]:
        if fam not in by:
            continue
        c = by[fam]
        lines.append(f"| {fam:<9} | {sum(c.values()):>6} | "
                     + " | ".join(f"{c[o]:>10}" for o in OUTCOMES) + " |")
    return "\n".join(lines)


def signature(r: F.Result) -> str:
    """What kind of failure: the last non-blank output line, numbers blurred."""
    import re

    lines = [l for l in r.out.splitlines() if l.strip() and not l.startswith("(this is a bug")]
    last = lines[-1].strip() if lines else ""
    if "internal error:" in r.out:
        last = next(l for l in r.out.splitlines() if "internal error:" in l).strip()
    return f"{r.outcome}: {re.sub(r'[0-9]+', 'N', last)[:140]}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=10_000, help="number of inputs (default 10000)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2,
                    help="inputs run at once (default: the number of cores)")
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds per input (default 30)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--mode", choices=["fork", "subprocess"], default="fork")
    ap.add_argument("--families", default="grammar,mutation,resource")
    ap.add_argument("--save", metavar="DIR", help="write one reproducer per kind of bug here")
    args = ap.parse_args()

    all_cases = cases(args.count, args.seed, set(args.families.split(",")))
    done = [0]
    t0 = time.monotonic()

    def progress() -> None:
        done[0] += 1
        if done[0] % 200 == 0 or done[0] == len(all_cases):
            print(f"  {done[0]}/{len(all_cases)} inputs, {time.monotonic() - t0:.0f} s",
                  file=sys.stderr, flush=True)

    runner = run_forked if args.mode == "fork" else run_subprocesses
    results = runner(all_cases, args.jobs, args.timeout, progress)
    print(f"{len(results)} inputs, {args.mode} runner, {args.jobs} jobs, timeout "
          f"{args.timeout:g} s, seed {args.seed}, {time.monotonic() - t0:.0f} s\n")
    print(table(results))
    bugs = defaultdict(list)
    for r in results:
        if r.is_bug:
            bugs[signature(r)].append(r)
    if not bugs:
        print("\nno internal error, traceback or timeout")
        return
    print(f"\n{sum(map(len, bugs.values()))} bugs of {len(bugs)} kinds:")
    for k, (sig, rs) in enumerate(sorted(bugs.items(), key=lambda kv: -len(kv[1]))):
        small = min(rs, key=lambda r: sum(map(len, r.case.files.values())) + len(r.case.stdin))
        print(f"\n[{k + 1}] {len(rs)} x {sig}")
        print("    " + small.case.reproducer()[:600].replace("\n", "\n    "))
        if args.save:
            Path(args.save).mkdir(parents=True, exist_ok=True)
            Path(args.save, f"bug-{k + 1}.sh").write_text(small.case.reproducer() + "\n")


if __name__ == "__main__":
    main()
