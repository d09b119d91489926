"""Where the slices of a sliced contraction run, and how many BLAS threads contract.

A contraction too wide for the memory budget is sliced with cotengra (some
indices fixed in turn; `evaluate.footprint` decides); the slices are
independent, so they run on an executor: a Dask cluster's when the user
passes one (`--dask ADDRESS`, any `concurrent.futures.Executor` works), else
a local process pool of `--workers` processes (one per CPU by default), else,
with one worker, one after another in this process.

The slices are sent in as many chunks as there are workers, so the tree and
the arrays are pickled once per chunk rather than once per slice; each chunk
comes back as its list of slice values, which cotengra gathers in order (a
sum, or a stack where an output index was sliced).  Workers contract with one
BLAS thread each, so that processes and threads do not fight over the cores.
"""
from __future__ import annotations

import atexit
import multiprocessing
import os
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, nullcontext
from typing import Any, Iterator

_POOLS: dict[int, ProcessPoolExecutor] = {}


def default_workers() -> int:
    """One worker per CPU this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def local_pool(workers: int) -> ProcessPoolExecutor:
    """A process pool of `workers` processes, made once and shut down at exit.

    The processes are started by a fork server, not forked from this process:
    the REPL and the test runner have threads, and forking a threaded process
    is unsafe.
    """
    pool = _POOLS.get(workers)
    if pool is None:
        method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
        pool = _POOLS[workers] = ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context(method),
            initializer=_worker_start)
    return pool


@atexit.register
def _shutdown() -> None:
    for pool in _POOLS.values():
        pool.shutdown(wait=True, cancel_futures=True)
    _POOLS.clear()


def _worker_start() -> None:
    os.environ["OPENBLAS_NUM_THREADS"] = "1"


def contract_chunk(tree: Any, arrays: list, indices: list[int]) -> list:
    """The values of slices `indices` of `tree` (runs in a worker)."""
    with blas_threads(1):
        return [tree.contract_slice(arrays, i, implementation="autoray") for i in indices]


def run_slices(tree: Any, arrays: list, executor: Executor | None = None,
               workers: int | None = None) -> Any:
    """Every slice of `tree` contracted and gathered: on `executor` if given,
    else on a local pool of `workers` processes (None: one per CPU), or in
    this process with one worker."""
    n = tree.nslices
    if executor is None:
        workers = default_workers() if workers is None else workers
        if workers <= 1:
            return tree.gather_slices(tree.contract_slice(arrays, i, implementation="autoray")
                                      for i in range(n))
        executor = local_pool(workers)
        chunks = workers
    else:
        chunks = max(1, min(n, workers or default_workers()))
    parts = [p for p in (list(range(k, n, chunks)) for k in range(chunks)) if p]
    values: list[Any] = [None] * n
    try:
        futures = [executor.submit(contract_chunk, tree, arrays, part) for part in parts]
        for part, future in zip(parts, futures):
            for i, value in zip(part, future.result()):
                values[i] = value
    except BrokenProcessPool:
        # The workers could not start (a program read from stdin has no main
        # module to import) or died: the slices are contracted here instead.
        _POOLS.pop(chunks, None)
        values = [tree.contract_slice(arrays, i, implementation="autoray") for i in range(n)]
    return tree.gather_slices(values)


@contextmanager
def blas_threads(limit: int | None) -> Iterator[None]:
    """At most `limit` BLAS threads inside (threadpoolctl); None: unchanged."""
    if limit is None:
        with nullcontext():
            yield
        return
    global _CONTROLLER
    if _CONTROLLER is None:
        from threadpoolctl import ThreadpoolController

        _CONTROLLER = ThreadpoolController()  # finds the loaded BLAS once
    with _CONTROLLER.limit(limits=limit, user_api="blas"):
        yield


_CONTROLLER: Any = None
