"""The kinds of §10 (hermitian, psd, projector, antisymmetric, orthogonal and
combinations): declarations, honest sampling checked against numpy, laws."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewrite.app.session import Session
from rewrite.core.errors import InputError
from rewrite.core.kinds import Kind, combine_kinds
from rewrite.language.build import Env
from rewrite.language.parse import parse
from rewrite.numerics.sample import sample_instance


def env_of(text: str) -> Env:
    env = Env()
    for stmt in parse(text, "<test>"):
        env.execute_declaration(stmt)
    return env


def array(decl_line: str, seed: int, name: str = "X") -> np.ndarray:
    env = env_of("dim n\n" + decl_line + "\n")
    inst = sample_instance(env.decls.values(), seed)
    return inst.array(name)


seeds = st.integers(0, 10**6)


@settings(max_examples=25, deadline=None)
@given(seeds)
def test_hermitian_samples_equal_their_conjugate_transpose_and_are_not_real(seed):
    h = array("hermitian X[i: n, j: n]", seed)
    assert np.allclose(h, h.conj().T) and np.abs(h.imag).max() > 1e-6


@settings(max_examples=25, deadline=None)
@given(seeds)
def test_psd_samples_have_nonnegative_eigenvalues_and_one_zero(seed):
    p = array("psd X[i: n, j: n]", seed)
    w = np.linalg.eigvalsh(p)
    assert np.allclose(p, p.conj().T) and w.min() > -1e-9 and abs(w.min()) < 1e-9


@settings(max_examples=25, deadline=None)
@given(seeds)
def test_psd_invertible_samples_are_positive_definite(seed):
    w = np.linalg.eigvalsh(array("psd invertible X[i: n, j: n]", seed))
    assert w.min() > 0.4


@settings(max_examples=25, deadline=None)
@given(seeds)
def test_projector_samples_are_idempotent_and_hermitian(seed):
    p = array("projector X[i: n, j: n]", seed)
    assert np.allclose(p @ p, p) and np.allclose(p, p.conj().T)


@pytest.mark.parametrize("kind", ["projector", "projector diagonal"])
def test_consecutive_seeds_give_a_projector_every_rank(kind):
    ranks = set()
    for seed in range(5):
        p = array(f"{kind} X[i: 4, j: 4]", seed)
        rank = int(round(np.trace(p).real))
        assert np.linalg.matrix_rank(p) == rank and np.allclose(p @ p, p)
        ranks.add(rank)
    assert ranks == {0, 1, 2, 3, 4}


@pytest.mark.parametrize("n", [2, 3, 4])
def test_an_equation_true_at_one_projector_rank_only_is_refuted(n):
    s = Session()
    [out] = s.run(f"dim n = {n}\nprojector P[i: n, j: n]\ncheck P[i, i] == 1\n")[-1:]
    assert out.status == "refuted"


@settings(max_examples=25, deadline=None)
@given(seeds)
def test_antisymmetric_samples_flip_sign_under_transposition(seed):
    k = array("antisymmetric X[i: n, j: n]", seed)
    assert np.allclose(k, -k.T) and np.abs(k).max() > 1e-6


@settings(max_examples=25, deadline=None)
@given(seeds)
def test_orthogonal_samples_are_real_and_orthogonal(seed):
    o = array("orthogonal X[a: n -> b: n]", seed)
    assert np.isrealobj(o) and np.allclose(o.T @ o, np.eye(len(o)))


@settings(max_examples=25, deadline=None)
@given(seeds)
def test_real_symmetric_invertible_samples_are_real_symmetric_and_well_conditioned(seed):
    s = array("real symmetric invertible X[i: n, j: n]", seed)
    assert np.isrealobj(s) and np.allclose(s, s.T) and np.linalg.cond(s) < 5


@settings(max_examples=25, deadline=None)
@given(seeds)
def test_complex_symmetric_invertible_samples_are_symmetric_not_hermitian(seed):
    s = array("symmetric invertible X[i: n, j: n]", seed)
    assert np.allclose(s, s.T) and not np.allclose(s, s.conj().T) and np.linalg.cond(s) < 5


def test_a_psd_tensor_is_hermitian_and_a_projector_is_psd():
    assert combine_kinds(["psd"]).kind is Kind.PSD
    env = env_of("dim n\nprojector P[i: n, j: n]\n")
    assert env.decls["P"].is_a(Kind.HERMITIAN) and env.decls["P"].is_a(Kind.PSD)


def test_orthogonal_is_a_real_unitary():
    d = env_of("dim n\northogonal O[a: n -> b: n]\n").decls["O"]
    assert d.real and d.is_a(Kind.UNITARY) and d.is_a(Kind.INVERTIBLE)


def test_a_real_hermitian_matrix_is_symmetric():
    d = env_of("dim n\nreal hermitian H[i: n, j: n]\n").decls["H"]
    assert d.symmetric_ports


@pytest.mark.parametrize("words, why", [
    ("antisymmetric psd", "incompatible"),
    ("antisymmetric symmetric", "incompatible"),
    ("projector invertible", "identity"),
    ("isometry hermitian", "cannot be combined"),
    ("real hermitian antisymmetric", "zero"),
])
def test_incompatible_combinations_are_input_errors_at_the_name(words, why):
    with pytest.raises(InputError) as e:
        env_of(f"dim n\n{words} X[i: n, j: n]\n")
    assert why in e.value.message and e.value.line == 2


def test_orthogonal_with_unequal_concrete_sides_is_an_input_error():
    with pytest.raises(InputError) as e:
        env_of("dim n = 2, m = 3\northogonal O[a: n -> b: m]\n")
    assert "different sizes" in e.value.message


def test_matrix_kinds_need_two_legs_of_one_size():
    with pytest.raises(InputError) as e:
        env_of("dim n, m\nhermitian H[i: n, j: m]\n")
    assert "one size" in e.value.message
    with pytest.raises(InputError) as e:
        env_of("dim n\nprojector P[i: n, j: n, k: n]\n")
    assert "two legs" in e.value.message


def test_rule_parameters_take_kind_combinations():
    from rewrite.rewriting.engine import load_rules

    (r,) = load_rules("rule flip(S: real symmetric invertible): S[i, j] => S[j, i]\n")
    assert r.params["S"].kind is Kind.INVERTIBLE and Kind.SYMMETRIC in r.params["S"].also


# ------------------------------------------------ the inverse of a hermitian matrix

HERMITIAN_INV = "dim n\nhermitian invertible H[a: n, b: n]\npsd invertible P[a: n, b: n]\n" \
                "invertible X[a: n, b: n]\n"


def test_the_inverse_of_a_hermitian_matrix_is_hermitian_in_numpy():
    h = array("hermitian invertible X[i: n, j: n]", 4)
    inv = np.linalg.inv(h)
    assert np.allclose(inv.conj(), inv.T)
    assert np.allclose(np.einsum("ba,bc->ac", h, inv.conj()), np.eye(len(h)))
    x = array("invertible X[i: n, j: n]", 4)  # not for a general invertible
    assert not np.allclose(np.einsum("ba,bc->ac", x, np.linalg.inv(x).conj()), np.eye(len(x)))


@pytest.mark.parametrize("equation, verdict", [
    ("H[b, a] conj(inv(H))[b, c] == δ[a, c]", "proved"),
    ("conj(inv(H))[a, b] H[a, c] == δ[b, c]", "proved"),
    ("P[b, a] conj(inv(P))[b, c] == δ[a, c]", "proved"),
    ("conj(inv(H))[a, b] == inv(H)[b, a]", "proved"),
    # the transpose on the wrong factor, and a matrix that is not hermitian
    ("H[a, b] conj(inv(H))[b, c] == δ[a, c]", "refuted"),
    ("X[b, a] conj(inv(X))[b, c] == δ[a, c]", "refuted"),
])
def test_the_transpose_of_a_hermitian_times_its_conjugate_inverse_is_the_identity(equation,
                                                                                   verdict):
    from rewrite.app.session import Session

    (r,) = Session().run(HERMITIAN_INV + f"prove {equation}\n")
    assert r.status == verdict
