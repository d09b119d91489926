"""The SVD diagram of examples/decompositions.tn, evaluated on concrete data.

The language has no SVD of concrete numbers, so the Eckart–Young facts the seed
states ("the error in this approximation is determined by the total weight of
the singular values thrown away") are checked here: the diagram
`einsum(U, λ, conj(V), ' i j, j, k j -> i k')` is built by the ordinary front
end, evaluated by `numeric.evaluate` with the arrays of U, λ and V set
explicitly, and compared with numpy's linear algebra.
"""
from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from rewrite.numerics.evaluate import collect_decls, collect_symbols, evaluate
from rewrite.app.session import Session
from rewrite.numerics.sample import Instance

SVD = """
dim m, n, r
isometry U[i: m -> j: r]
isometry V[k: n -> j: r]
real tensor λ[j: r]
einsum(U, λ, conj(V), ' i j, j, k j -> i k')
"""


def svd_diagram():
    return Session().last_value(SVD, "<svd>")


DIAGRAM = svd_diagram()


def evaluate_svd(u: np.ndarray, lam: np.ndarray, v: np.ndarray) -> np.ndarray:
    """M = U λ V† through our own contraction, with these arrays for U, λ, V."""
    symbols = {str(s): s for s in collect_symbols(DIAGRAM)}
    (m, r), n = u.shape, v.shape[0]
    inst = Instance(seed=0, sizes={symbols["m"]: m, symbols["n"]: n, symbols["r"]: r},
                    arrays={"U": u, "λ": lam, "V": v}, decls=collect_decls(DIAGRAM))
    return evaluate(DIAGRAM, inst)


def random_isometry(rng: np.random.Generator, rows: int, cols: int) -> np.ndarray:
    g = rng.normal(size=(rows, cols)) + 1j * rng.normal(size=(rows, cols))
    q, _ = np.linalg.qr(g)
    return q


def random_factors(seed: int, m: int, n: int, r: int):
    """Isometries U (m×r), V (n×r) and distinct descending singular values."""
    rng = np.random.default_rng(seed)
    lam = np.sort(rng.uniform(0.1, 10.0, size=r))[::-1]
    lam = lam + np.arange(r)[::-1] * 1e-3  # keep them distinct
    return random_isometry(rng, m, r), lam, random_isometry(rng, n, r)


def truncated(lam: np.ndarray, k: int) -> np.ndarray:
    out = lam.copy()
    out[k:] = 0.0
    return out


sizes = st.tuples(st.integers(2, 6), st.integers(2, 6)).flatmap(
    lambda mn: st.tuples(st.just(mn[0]), st.just(mn[1]), st.integers(1, min(mn))))
seeds = st.integers(0, 2**32 - 1)


def test_evaluated_svd_diagram_reconstructs_a_matrix_from_numpys_factors():
    rng = np.random.default_rng(7)
    a = rng.normal(size=(5, 3)) + 1j * rng.normal(size=(5, 3))
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    # numpy writes A = U diag(s) Vh; the diagram's V is the one with A = U λ V†
    assert np.allclose(evaluate_svd(u, s, vh.conj().T), a)


@given(sizes, seeds)
def test_the_diagram_of_isometries_and_descending_values_is_an_svd(mnr, seed):
    m, n, r = mnr
    u, lam, v = random_factors(seed, m, n, r)
    singular = np.linalg.svd(evaluate_svd(u, lam, v), compute_uv=False)
    assert np.allclose(singular[:r], lam)
    assert np.allclose(singular[r:], 0.0, atol=1e-9)


@given(sizes, seeds, st.data())
def test_truncation_frobenius_error_is_the_weight_of_the_discarded_values(mnr, seed, data):
    m, n, r = mnr
    k = data.draw(st.integers(0, r), label="kept rank")
    u, lam, v = random_factors(seed, m, n, r)
    error = evaluate_svd(u, lam, v) - evaluate_svd(u, truncated(lam, k), v)
    assert np.isclose(np.linalg.norm(error, "fro"), np.sqrt(np.sum(lam[k:] ** 2)))


@given(sizes, seeds, st.data())
def test_truncation_spectral_error_is_the_largest_discarded_value(mnr, seed, data):
    m, n, r = mnr
    k = data.draw(st.integers(0, r - 1), label="kept rank")
    u, lam, v = random_factors(seed, m, n, r)
    error = evaluate_svd(u, lam, v) - evaluate_svd(u, truncated(lam, k), v)
    assert np.isclose(np.linalg.norm(error, 2), lam[k])


@given(sizes, seeds, st.data())
def test_truncation_is_no_worse_than_another_matrix_of_the_same_rank(mnr, seed, data):
    """Eckart–Young: keeping the largest k values is the best rank-k approximation."""
    m, n, r = mnr
    k = data.draw(st.integers(1, r), label="kept rank")
    u, lam, v = random_factors(seed, m, n, r)
    full = evaluate_svd(u, lam, v)
    best = evaluate_svd(u, truncated(lam, k), v)
    rng = np.random.default_rng(seed + 1)
    other = rng.normal(size=(m, k)) @ rng.normal(size=(k, n))
    for norm in ("fro", 2):
        assert np.linalg.norm(full - best, norm) <= np.linalg.norm(full - other, norm) + 1e-9


@given(sizes, seeds, st.data())
def test_truncated_diagram_equals_numpys_best_rank_k_approximation(mnr, seed, data):
    m, n, r = mnr
    k = data.draw(st.integers(0, r), label="kept rank")
    u, lam, v = random_factors(seed, m, n, r)
    full = evaluate_svd(u, lam, v)
    uu, s, vh = np.linalg.svd(full, full_matrices=False)
    numpy_best = (uu[:, :k] * s[:k]) @ vh[:k]
    assert np.allclose(evaluate_svd(u, truncated(lam, k), v), numpy_best)
