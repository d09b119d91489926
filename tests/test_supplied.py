"""Evaluating with the caller's arrays: used as given, checked, never replaced.

Ground truth is numpy's einsum on the same arrays, never our own contraction."""
import numpy as np
import pytest
import sympy

import rewrite as rw
from rewrite.core.kinds import Decl, Kind
from rewrite.numerics.evaluate import evaluate
from rewrite.numerics.sample import Instance

DECLS = """dim n, m
tensor A[i: n, j: n]
tensor B[j: n, k: m]
tensor C[j: n]
tensor E[x: 2*n]
isometry U[a: n -> b: m]
symmetric S[i: n, j: n]
diagonal D[a: n, b: n]
invertible X[a: n, b: n]
real tensor R[i: n]
"""


@pytest.fixture(scope="module")
def prog():
    return rw.program(DECLS)


def rng():
    return np.random.default_rng(7)


def isometry(rows, cols):
    q, _ = np.linalg.qr(rng().standard_normal((rows, cols)))
    return q


def refusal(prog, expr, **arrays) -> str:
    with pytest.raises(rw.InputError) as e:
        prog.diagram(expr).eval(**arrays)
    return e.value.message


def test_eval_matches_numpy_einsum(prog):
    a, b = rng().standard_normal((3, 3)), rng().standard_normal((3, 5))
    got = prog.diagram("A[i, j] A[j, l] B[l, k]").eval(A=a, B=b)
    assert np.allclose(got, np.einsum("ij,jl,lk->ik", a, a, b))


def test_eval_axes_follow_legs_order(prog):
    b = rng().standard_normal((3, 4))
    d = prog.diagram("B[j, k] -> [k, j]")
    assert [leg.name for leg in d.legs] == ["k", "j"]
    assert np.allclose(d.eval(B=b), b.T)


def test_eval_of_a_sum_with_a_scalar(prog):
    a = rng().standard_normal((3, 3))
    got = prog.diagram("A[i, j] - 2 A[j, i]").eval(A=a)
    assert np.allclose(got, a - 2 * a.T)


def test_caller_set_instance_arrays_are_used_not_replaced():
    """The class of issue 9 item 6: an Instance built with the caller's arrays
    (decls not registered) used to be overwritten by fresh random ones."""
    prog = rw.program("dim n\nisometry U[a: n -> b: n]\ntensor A[i: n, j: n]")
    u, a = isometry(3, 3), rng().standard_normal((3, 3))
    value = prog.diagram("conj(U)[a, b] A[a, c] U[c, d]").value
    n = sympy.Symbol("n", positive=True, integer=True)
    inst = Instance(seed=5, sizes={n: 3}, arrays={"U": u, "A": a})
    got = evaluate(value, inst)
    assert np.allclose(got, u.conj().T @ a @ u)
    assert inst.arrays["U"] is u and inst.arrays["A"] is a


def test_inverse_is_derived_from_the_callers_array_not_sampled():
    n = sympy.Symbol("n", positive=True, integer=True)
    prog = rw.program("dim n\ninvertible X[a: n, b: n]")
    x = rng().standard_normal((3, 3)) + 3 * np.eye(3)
    inst = Instance(seed=1, sizes={n: 3}, arrays={"X": x})
    got = evaluate(prog.diagram("inv(X)[a, b]").value, inst)
    assert np.allclose(got, np.linalg.inv(x))


def test_torch_tensors_are_accepted(prog):
    torch = pytest.importorskip("torch")
    a = torch.randn(3, 3, requires_grad=True)
    got = prog.diagram("A[i, j] A[j, k]").eval(A=a)
    ref = a.detach().numpy()
    assert np.allclose(got, ref @ ref, atol=1e-5)


def test_nested_lists_are_accepted(prog):
    got = prog.diagram("A[i, j] C[j]").eval(A=[[1, 2], [3, 4]], C=[1, 1])
    assert np.allclose(got, [3, 7])


def test_symbolic_sizes_are_bound_from_the_arrays(prog):
    got = prog.diagram("E[x]").eval(E=np.arange(6.0))
    assert got.shape == (6,)


def test_wrong_number_of_axes_is_refused(prog):
    msg = refusal(prog, "A[i, j]", A=np.ones((3, 3, 3)))
    assert "A has 3 axes" in msg and "declared with 2 legs" in msg


def test_conflicting_sizes_name_both_tensors(prog):
    msg = refusal(prog, "A[i, j] C[j]", A=np.ones((3, 3)), C=np.ones(4))
    assert "n is 3 from A" in msg and "4 from C" in msg


def test_size_that_no_integer_meets_is_refused(prog):
    msg = refusal(prog, "E[x]", E=np.ones(5))
    assert "2*n" in msg and "5" in msg


def test_missing_array_is_named(prog):
    msg = refusal(prog, "A[i, j] B[j, k]", A=np.ones((3, 3)))
    assert "no array for B" in msg


def test_undeclared_array_name_is_refused(prog):
    msg = refusal(prog, "A[i, j]", A=np.ones((3, 3)), Q=np.ones(3))
    assert "Q" in msg and "not declared" in msg


def test_non_isometry_is_refused_with_its_deviation(prog):
    msg = refusal(prog, "U[a, b]", U=np.ones((4, 3)))
    assert "U is declared an isometry" in msg and "deviates by" in msg


def test_isometry_within_tolerance_is_accepted(prog):
    u = isometry(4, 3)
    got = prog.diagram("conj(U)[a, b] U[a, c]").eval(U=u)
    assert np.allclose(got, np.eye(3))


def test_float32_isometry_passes_the_default_tolerance(prog):
    u = isometry(4, 3).astype(np.float32)
    assert prog.diagram("U[a, b]").eval(U=u).shape == (4, 3)


def test_non_symmetric_is_refused(prog):
    msg = refusal(prog, "S[i, j]", S=np.arange(9.0).reshape(3, 3))
    assert "S is declared symmetric" in msg and "deviates by" in msg


def test_non_diagonal_is_refused(prog):
    msg = refusal(prog, "D[i, j]", D=np.ones((3, 3)))
    assert "D is declared diagonal" in msg


def test_singular_invertible_is_refused(prog):
    msg = refusal(prog, "X[i, j]", X=np.zeros((3, 3)))
    assert "X is declared invertible" in msg and "singular" in msg


def test_complex_array_for_real_tensor_is_refused(prog):
    msg = refusal(prog, "R[i]", R=np.array([1 + 1j, 2, 3]))
    assert "R is declared real" in msg


def test_size_no_array_fixes_must_be_given(prog):
    assert "no array fixes the size n" in refusal(prog, "δ[i: n, j]")
    assert np.allclose(prog.diagram("δ[i: n, j]").eval(n=3), np.eye(3))


def test_diag_of_a_supplied_diagonal_is_its_diagonal(prog):
    got = prog.diagram("diag(D)[i]").eval(D=np.diag([1.0, 2.0, 3.0]))
    assert np.allclose(got, [1, 2, 3])


def test_non_numeric_array_is_refused(prog):
    assert "not numeric" in refusal(prog, "A[i, j]", A="hello")


@pytest.mark.parametrize("decl, good, bad, word", [
    ("hermitian H[i: n, j: n]", np.array([[1, 2j], [-2j, 3]]), np.array([[1, 2j], [2j, 3]]),
     "hermitian"),
    ("psd P[i: n, j: n]", np.array([[2.0, 1], [1, 2]]), np.array([[1.0, 2], [2, 1]]),
     "positive semidefinite"),
    ("projector P[i: n, j: n]", np.array([[1.0, 0], [0, 0]]), np.array([[2.0, 0], [0, 0]]),
     "projector"),
    ("antisymmetric K[i: n, j: n]", np.array([[0.0, 1], [-1, 0]]), np.array([[0.0, 1], [1, 0]]),
     "antisymmetric"),
    ("orthogonal O[i: n -> j: n]", np.array([[0.0, 1], [1, 0]]), np.array([[1.0, 1], [0, 1]]),
     "conj(U)ᵀ U = I"),
])
def test_every_kind_is_checked(decl, good, bad, word):
    prog = rw.program("dim n\n" + decl)
    name = decl.split()[1].split("[")[0]
    d = prog.diagram(f"{name}[a, b]")
    assert np.allclose(d.eval(**{name: good}), good)
    with pytest.raises(rw.InputError) as e:
        d.eval(**{name: bad})
    assert word in e.value.message and name in e.value.message


def test_inverse_of_a_supplied_orthogonal_is_its_transpose():
    prog = rw.program("dim n\northogonal O[i: n -> j: n]")
    o = isometry(3, 3)
    assert np.allclose(prog.diagram("inv(O)[a, b]").eval(O=o), o.T)
