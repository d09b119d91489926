"""One memory budget for a numeric check, weighed before anything is allocated.

Over the budget a check is not run: `check` and `prove` say so with the sizes
and the verdict is `unknown` (never a MemoryError, never a guess).  A
contraction whose intermediates alone are too wide is sliced instead, and its
value is checked against numpy's einsum.
"""
from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import sympy

from rewrite.core.diagram import Diagram, TensorNode
from rewrite.core.kinds import Decl, Kind
from rewrite.core.limits import LIMITS
from rewrite.numerics import evaluate as ev
from rewrite.numerics.sample import sample_instance


def run(text: str, *options: str, tmp_path) -> subprocess.CompletedProcess:
    f = tmp_path / "check.tn"
    f.write_text(text)
    return subprocess.run([sys.executable, "-m", "rewrite", *options, "run", str(f)],
                          capture_output=True, text=True, timeout=120)


def test_check_of_a_huge_identity_is_decided_without_allocating_it(tmp_path):
    r = run("dim n = 100000\ncheck eye(n) == eye(n)\n", tmp_path=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "holds" in r.stdout and "internal error" not in r.stderr


def test_check_that_needs_a_huge_matrix_is_unknown_with_its_size(tmp_path):
    r = run("dim n = 100000\ntensor A[i: n, j: n]\ncheck A[i, j] == A[j, i]\n", tmp_path=tmp_path)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "unknown" in r.stdout and "memory budget" in r.stdout
    assert "the array of A (100000 x 100000)" in r.stdout
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr


def test_check_that_needs_a_huge_vector_is_refused_before_sampling_it(tmp_path):
    r = run("dim n = 100000000\ntensor v[i: n]\ncheck v[i] v[i] == v[i] conj(v)[i]\n",
            tmp_path=tmp_path)
    assert r.returncode == 1
    assert "unknown" in r.stdout and "the array of v (100000000)" in r.stdout


def test_prove_still_proves_symbolically_past_the_budget(tmp_path):
    r = run("dim n = 100000\ntensor A[i: n, j: n]\nprove A[i, j] eye(n)[j, k] == A[i, k]\n",
            tmp_path=tmp_path)
    assert r.returncode == 0 and "proved" in r.stdout, r.stdout + r.stderr


def test_prove_without_a_proof_past_the_budget_is_unknown_and_says_why(tmp_path):
    r = run("dim n = 100000\ntensor A[i: n, j: n]\nprove A[i, j] == A[j, i]\n", tmp_path=tmp_path)
    assert r.returncode == 1
    assert "unknown" in r.stdout and "numeric check not run" in r.stdout


def test_raising_the_budget_lets_the_check_run(tmp_path):
    text = "dim n = 3000\ntensor A[i: n, j: n]\ncheck A[i, j] == A[j, i]\n"
    assert "unknown" in run(text, "--max-memory", "1", tmp_path=tmp_path).stdout
    assert "refuted" in run(text, "--max-memory", "2000", tmp_path=tmp_path).stdout


def ring(n: int, size: int) -> tuple[Diagram, list[Decl]]:
    """A ring of n distinct three-leg tensors with chords across (k to k + n/2):
    every intermediate of a contraction is wider than the inputs."""
    s = sympy.Integer(size)
    decls = [Decl(f"M{k}", Kind.GENERIC, ("a", "b", "c"), (s, s, s), 3) for k in range(n)]
    d = Diagram()
    vs = [d.add_node(TensorNode(x)) for x in decls]
    for k in range(n):
        d.connect((vs[k], 1), (vs[(k + 1) % n], 0))
    for k in range(n // 2):
        d.connect((vs[k], 2), (vs[k + n // 2], 2))
    return d, decls


def einsum_value(d: Diagram, inst) -> complex:
    """Ground truth by numpy's einsum over the wires, independent of cotengra."""
    letters = iter("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    name = {}
    for p, q in d.wires():
        name[p] = name[q] = next(letters)
    terms, arrays = [], []
    for v, node in d.nodes.items():
        terms.append("".join(name[(v, i)] for i in range(node.arity)))
        arrays.append(inst.arrays[node.decl.name])
    return complex(np.einsum(",".join(terms) + "->", *arrays))


def _sliced_ring(seed: int):
    d, decls = ring(8, 3)
    inst = sample_instance(decls, seed=seed)
    fp = ev.footprint(d, inst)
    budget = sum(fp.arrays.values()) + fp.work // 4
    sliced = ev.footprint(d, inst, budget=budget)
    assert sliced.total <= budget
    assert any("slices" in text for _, text in sliced.items)
    return d, inst


@pytest.mark.parametrize("executor, workers", [(None, 1), ("threads", None), (None, 2)],
                         ids=["in-process", "given-executor", "local-process-pool"])
def test_a_contraction_too_wide_for_the_budget_is_sliced_and_still_exact(executor, workers):
    d, inst = _sliced_ring(seed=1)
    pool = ThreadPoolExecutor(2) if executor else None
    saved = (LIMITS.executor, LIMITS.workers)
    LIMITS.executor, LIMITS.workers = pool, workers
    try:
        value = complex(ev.evaluate(d, inst))
    finally:
        LIMITS.executor, LIMITS.workers = saved
        ev._TREES.clear()
        if pool:
            pool.shutdown()
    assert np.isclose(value, einsum_value(d, inst), rtol=1e-10)


def test_slices_run_on_a_local_dask_cluster():
    distributed = pytest.importorskip("distributed")
    d, inst = _sliced_ring(seed=2)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        saved = LIMITS.executor
        LIMITS.executor = client.get_executor()
        try:
            value = complex(ev.evaluate(d, inst))
        finally:
            LIMITS.executor = saved
            ev._TREES.clear()
    assert np.isclose(value, einsum_value(d, inst), rtol=1e-10)


def test_slices_are_contracted_in_process_when_workers_cannot_start():
    # A program read from stdin has no main module the pool's workers could
    # import: they die at start, and the slices are contracted in the process.
    program = (
        "import sys, numpy as np\n"
        f"sys.path.insert(0, {str(__import__('pathlib').Path(__file__).parent)!r})\n"
        "from test_budget import ring, einsum_value\n"
        "from rewrite.core.limits import LIMITS\n"
        "from rewrite.numerics import evaluate as ev\n"
        "from rewrite.numerics.sample import sample_instance\n"
        "d, decls = ring(8, 3)\n"
        "inst = sample_instance(decls, seed=4)\n"
        "fp = ev.footprint(d, inst)\n"
        "ev.footprint(d, inst, budget=sum(fp.arrays.values()) + fp.work // 4)\n"
        "LIMITS.workers = 2\n"
        "print(np.isclose(complex(ev.evaluate(d, inst)), einsum_value(d, inst), rtol=1e-10))\n")
    r = subprocess.run([sys.executable, "-"], input=program, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "True"
