"""Random instances obey the laws of their kinds, and sizes obey the constraints."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import sympy
from hypothesis import assume, given
from hypothesis import strategies as st

from rewrite.core.diagram import TensorNode
from rewrite.core.errors import InputError
from rewrite.core.kinds import Decl, Kind, fuse_decl
from rewrite.numerics.sample import Instance, array_of, sample_instance

n, m, k = sympy.symbols("n m k", positive=True, integer=True)


def decl(name, kind, sizes, split=None, real=False):
    legs = tuple(f"x{i}" for i in range(len(sizes)))
    sizes = tuple(sympy.sympify(s) for s in sizes)
    return Decl(name, kind, legs, sizes, len(sizes) if split is None else split, real)


def matrix(a: np.ndarray, split: int) -> np.ndarray:
    """The tensor as a (legs before split) x (legs after split) matrix."""
    rows = math.prod(a.shape[:split])
    return a.reshape(rows, -1)


side = st.lists(st.integers(2, 4), min_size=1, max_size=3)


# ---------------------------------------------------------------- isometries


@given(side, side, st.booleans(), st.integers(0, 2**16))
def test_isometry_is_identity_on_the_tip_when_contracted_over_all_wide_legs(wide, tip, real, seed):
    assume(math.prod(tip) <= math.prod(wide))
    U = decl("U", Kind.ISOMETRY, wide + tip, split=len(wide), real=real)
    u = sample_instance([U], seed).arrays["U"]
    assert u.shape == tuple(wide + tip)
    w = len(wide)
    axes = list(range(w))
    gram = np.tensordot(u.conj(), u, axes=(axes, axes)).reshape(math.prod(tip), -1)
    assert np.allclose(gram, np.eye(math.prod(tip)), atol=1e-12)


@given(side, side, st.integers(0, 2**16))
def test_non_square_isometry_contracted_over_its_tip_is_not_the_identity(wide, tip, seed):
    assume(math.prod(tip) < math.prod(wide))
    U = decl("U", Kind.ISOMETRY, wide + tip, split=len(wide))
    q = matrix(sample_instance([U], seed).arrays["U"], len(wide))
    projector = q @ q.conj().T
    assert not np.allclose(projector, np.eye(len(projector)), atol=1e-3)


@given(st.integers(2, 4), st.booleans(), st.integers(0, 2**16))
def test_unitary_is_an_isometry_both_ways(size, real, seed):
    Q = decl("Q", Kind.UNITARY, (size, size), split=1, real=real)
    q = sample_instance([Q], seed).arrays["Q"]
    assert np.allclose(q.conj().T @ q, np.eye(size), atol=1e-12)
    assert np.allclose(q @ q.conj().T, np.eye(size), atol=1e-12)


def test_unitary_inverse_is_its_conjugate_transpose():
    Q = decl("Q", Kind.UNITARY, (2, 3, 6), split=2)
    inst = sample_instance([Q], 4)
    q = inst.arrays["Q"]
    inv = array_of(TensorNode(Q, op="inv"), inst)
    assert inv.shape == (6, 2, 3)
    assert np.allclose(np.einsum("abw,wcd->abcd", q, inv), np.eye(6).reshape(2, 3, 2, 3))


def test_real_isometry_has_real_entries():
    U = decl("U", Kind.ISOMETRY, (4, 2), split=1, real=True)
    assert np.isrealobj(sample_instance([U], 0).arrays["U"])


# --------------------------------------------------------------- invertibles


@given(st.lists(st.integers(2, 4), min_size=1, max_size=2), st.booleans(), st.integers(0, 2**16))
def test_invertible_times_its_inverse_is_the_identity_in_both_orders(rows, real, seed):
    X = decl("X", Kind.INVERTIBLE, rows + rows[::-1], split=len(rows), real=real)
    inst = sample_instance([X], seed)
    r = math.prod(rows)
    x = matrix(inst.arrays["X"], len(rows))
    inv_node = TensorNode(X, op="inv")
    inv = array_of(inv_node, inst)
    assert inv.shape == tuple(inst.size(s) for s in inv_node.sizes)
    y = matrix(inv, len(rows))
    assert np.allclose(x @ y, np.eye(r), atol=1e-10)
    assert np.allclose(y @ x, np.eye(r), atol=1e-10)


def test_invertible_is_well_conditioned():
    X = decl("X", Kind.INVERTIBLE, (4, 4), split=1)
    for seed in range(20):
        assert np.linalg.cond(sample_instance([X], seed).arrays["X"]) <= 4 + 1e-9


def test_conj_of_inverse_is_the_conjugated_inverse():
    X = decl("X", Kind.INVERTIBLE, (3, 3), split=1)
    inst = sample_instance([X], 2)
    a = array_of(TensorNode(X, conj=True, op="inv"), inst)
    assert np.allclose(a, np.linalg.inv(inst.arrays["X"]).conj())


# ----------------------------------------------------- symmetric and diagonal


@given(st.integers(2, 4), st.integers(1, 4), st.integers(0, 2**16))
def test_symmetric_tensor_is_invariant_under_every_permutation_of_legs(arity, size, seed):
    S = decl("S", Kind.SYMMETRIC, (size,) * arity)
    s = sample_instance([S], seed).arrays["S"]
    for p in itertools.permutations(range(arity)):
        assert np.allclose(np.transpose(s, p), s)


@given(st.integers(2, 4), st.integers(0, 2**16))
def test_diagonal_tensor_is_its_vector_on_the_full_diagonal(arity, seed):
    D = decl("D", Kind.DIAGONAL, (n,) * arity)
    inst = sample_instance([D], seed)
    t, d = inst.arrays["D"], array_of(TensorNode(D, op="diag"), inst)
    size = inst.size(n)
    assert d.shape == (size,)
    expected = np.zeros((size,) * arity, dtype=complex)
    for i in range(size):
        expected[(i,) * arity] = d[i]
    assert np.array_equal(t, expected)


def test_generic_tensor_is_complex_and_real_one_is_real():
    A = decl("A", Kind.GENERIC, (3, 2))
    W = decl("W", Kind.GENERIC, (3, 2), real=True)
    inst = sample_instance([A, W], 0)
    assert np.iscomplexobj(inst.arrays["A"]) and np.abs(inst.arrays["A"].imag).max() > 0
    assert np.isrealobj(inst.arrays["W"])


def test_conj_of_a_real_tensor_is_itself():
    W = decl("W", Kind.GENERIC, (3, 2), real=True)
    inst = sample_instance([W], 0)
    assert np.array_equal(array_of(TensorNode(W, conj=True), inst), inst.arrays["W"])


# --------------------------------------------------------------------- fuse


@given(st.lists(st.integers(2, 4), min_size=1, max_size=3), st.integers(0, 3))
def test_fuse_contracted_with_a_tensor_is_the_row_major_reshape(parts, seed):
    F = fuse_decl(tuple(sympy.Integer(p) for p in parts))
    f = sample_instance([F], seed).arrays[F.name]
    t = np.random.default_rng(seed).standard_normal(tuple(parts) + (2,))
    axes = list(range(len(parts)))
    fused = np.tensordot(f, t, axes=(axes, axes))  # (whole, 2)
    assert np.array_equal(fused, t.reshape(math.prod(parts), 2))
    assert set(np.unique(f)) <= {0.0, 1.0}


def test_fuse_does_not_depend_on_the_seed():
    F = fuse_decl((n, m))
    a = sample_instance([F], 0, fixed_sizes={"n": 2, "m": 3}).arrays[F.name]
    b = sample_instance([F], 9, fixed_sizes={"n": 2, "m": 3}).arrays[F.name]
    assert np.array_equal(a, b)


# ---------------------------------------------------------------------- sizes


@given(st.integers(0, 2**16))
def test_symbolic_sizes_are_between_two_and_four(seed):
    A = decl("A", Kind.GENERIC, (n, m, k))
    sizes = sample_instance([A], seed).sizes
    assert set(sizes) == {n, m, k}
    assert all(2 <= v <= 4 for v in sizes.values())


@given(st.integers(0, 2**16))
def test_isometry_tip_never_exceeds_wide_side(seed):
    U = decl("U", Kind.ISOMETRY, (n, k * m), split=1)
    inst = sample_instance([U], seed)
    assert inst.size(k * m) <= inst.size(n)


@given(st.integers(0, 2**16))
def test_unitary_and_invertible_sides_have_equal_products(seed):
    Q = decl("Q", Kind.UNITARY, (n, m, k), split=1)
    X = decl("X", Kind.INVERTIBLE, (m, k), split=1)
    inst = sample_instance([Q, X], seed)
    assert inst.size(n) == inst.size(m * k) and inst.size(m) == inst.size(k)


@given(st.integers(0, 2**16))
def test_extra_sympy_constraints_are_honoured(seed):
    A = decl("A", Kind.GENERIC, (n, m))
    inst = sample_instance([A], seed, constraints=[n < m, sympy.Eq(k, 2)])
    assert inst.size(n) < inst.size(m) and inst.size(k) == 2


def test_unsatisfiable_constraints_are_an_input_error_naming_how_far_the_search_looked():
    U = decl("U", Kind.UNITARY, (n, 2 * n), split=1)
    with pytest.raises(InputError, match=r"cannot be met with sizes up to \d+: \d+ assignments"):
        sample_instance([U], 0)


def test_constraints_that_only_larger_sizes_meet_are_met():
    U = decl("U", Kind.ISOMETRY, (n, 5), split=1)
    for seed in range(4):
        assert sample_instance([U], seed).size(n) >= 5


def test_constraints_that_need_a_size_of_one_are_met():
    U = decl("U", Kind.ISOMETRY, (n, n * m), split=1)
    assert sample_instance([U], 0).size(m) == 1


def test_the_size_search_offers_different_solutions_to_different_seeds():
    U = decl("U", Kind.ISOMETRY, (n, 5), split=1)
    assert len({sample_instance([U], seed).size(n) for seed in range(12)}) > 1


def test_the_size_search_budget_is_reported_when_exhausted():
    from rewrite.numerics.sample import sample_sizes

    tests = [(lambda: "n == 50", lambda v: v(n) == 50)]
    with pytest.raises(InputError, match="10 assignments of n tried"):
        sample_sizes([n], 0, tests, budget=10)
    assert sample_sizes([n], 0, tests, budget=100) == {n: 50}


def test_fixed_sizes_are_kept():
    A = decl("A", Kind.GENERIC, (n, m))
    inst = sample_instance([A], 3, fixed_sizes={n: 4, "m": 2})
    assert inst.sizes == {n: 4, m: 2}
    assert inst.arrays["A"].shape == (4, 2)


@given(st.integers(0, 2**16))
def test_the_seed_reproduces_the_instance(seed):
    ds = [decl("A", Kind.GENERIC, (n, m)), decl("U", Kind.ISOMETRY, (n, k), split=1),
          decl("X", Kind.INVERTIBLE, (m, m), split=1)]
    a, b = sample_instance(ds, seed), sample_instance(ds, seed)
    assert a.sizes == b.sizes
    assert a.arrays.keys() == b.arrays.keys()
    assert all(np.array_equal(a.arrays[x], b.arrays[x]) for x in a.arrays)


def test_different_seeds_give_different_arrays():
    A = decl("A", Kind.GENERIC, (3, 3))
    assert not np.allclose(sample_instance([A], 1).arrays["A"], sample_instance([A], 2).arrays["A"])


def test_a_tensor_does_not_depend_on_the_other_declarations():
    A = decl("A", Kind.GENERIC, (3, 2))
    B = decl("B", Kind.GENERIC, (2, 2))
    alone = sample_instance([A], 5).arrays["A"]
    with_b = sample_instance([B, A], 5).arrays["A"]
    assert np.array_equal(alone, with_b)


def test_a_batch_of_isometries_equals_sampling_them_one_by_one():
    Us = [decl(f"U{i}", Kind.ISOMETRY, (2, 2, 2), split=2) for i in range(5)]
    batch = sample_instance(Us, 8)
    single = Instance(8, {})
    single.ensure(Us[3])
    assert np.array_equal(batch.arrays["U3"], single.arrays["U3"])


def test_two_declarations_with_one_name_are_an_input_error():
    with pytest.raises(InputError, match="two different declarations"):
        sample_instance([decl("A", Kind.GENERIC, (2,)), decl("A", Kind.GENERIC, (3,))], 0)


def test_size_evaluates_expressions_of_sizes():
    inst = sample_instance([decl("A", Kind.GENERIC, (n, m))], 0, fixed_sizes={"n": 3, "m": 2})
    assert inst.size(n * m + 1) == 7
    with pytest.raises(InputError, match="no value"):
        inst.size(k)


def test_high_arity_symmetric_tensor_is_symmetric_without_factorial_cost():
    S = decl("S", Kind.SYMMETRIC, (2,) * 8)
    s = sample_instance([S], 1).arrays["S"]
    for p in [(1, 0, 2, 3, 4, 5, 6, 7), (7, 6, 5, 4, 3, 2, 1, 0), (2, 3, 4, 5, 6, 7, 0, 1)]:
        assert np.allclose(np.transpose(s, p), s)
    assert np.linalg.norm(s) > 0


def test_a_tensor_too_large_to_sample_is_an_input_error():
    with pytest.raises(InputError, match="too large to sample"):
        sample_instance([decl("A", Kind.GENERIC, (1000,) * 4)], 0)
