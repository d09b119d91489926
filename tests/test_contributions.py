"""Path contributions on real arrays, against a direct numpy computation of the
same terms: the seed's toy induction head with its hand-built weights."""
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import rewrite as rw

ROOT = pathlib.Path(__file__).parent.parent
EXAMPLE = ROOT / "examples" / "induction_head.tn"
WEIGHTS = ROOT / "examples" / "induction_weights.npz"


@pytest.fixture(scope="module")
def arrays():
    with np.load(WEIGHTS) as data:
        return {k: data[k] for k in data.files}


@pytest.fixture(scope="module")
def prog():
    return rw.load(EXAMPLE)


def softmax_rows(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def masked(scores):
    """The seed's mask: tril(scores) - 1e5 triu(ones)."""
    n = scores.shape[0]
    return np.tril(scores) - 1e5 * np.triu(np.ones((n, n)))


def numpy_terms(w):
    """The four exact summands of the frozen network, and the K-composition path."""
    n = w["x"].shape[0]
    shift = np.eye(n, k=-1)
    e = w["x"] @ w["E"]
    h1 = shift @ e @ w["WOV1"]
    r1 = e + h1
    pattern = softmax_rows(masked(r1 @ w["WQK2"] @ r1.T))
    frozen = {"direct path": e, "layer-1 head": h1,
              "layer-2 head (no composition)": pattern @ e @ w["WOV2"],
              "V-composition": pattern @ h1 @ w["WOV2"]}
    k_comp = softmax_rows(masked(e @ w["WQK2"] @ h1.T)) @ e @ w["WOV2"]
    return frozen, k_comp, r1 + pattern @ r1 @ w["WOV2"]


def test_weights_file_is_what_the_script_writes(arrays):
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        from induction_weights import weights
    finally:
        sys.path.pop(0)
    fresh = weights()
    assert set(fresh) == set(arrays)
    assert all(np.array_equal(fresh[k], arrays[k]) for k in fresh)


def test_network_value_matches_numpy(prog, arrays):
    _, _, network = numpy_terms(arrays)
    assert np.allclose(prog["out"].eval(arrays), network, atol=1e-12)


def test_frozen_contributions_match_numpy_terms(prog, arrays):
    frozen, _, _ = numpy_terms(arrays)
    got = prog.paths("out").contributions(**arrays)
    assert got.exact and got.frozen
    assert {c.label for c in got} == set(frozen)
    for c in got:
        assert np.allclose(c.value, frozen[c.label], atol=1e-12)
        assert c.norm == pytest.approx(np.linalg.norm(frozen[c.label]), abs=1e-12)


def test_frozen_terms_add_up_to_the_network(prog, arrays):
    got = prog.paths("out").contributions(**arrays)
    assert got.residual < 1e-12


def test_contributions_are_largest_first_and_shares_add_to_one(prog, arrays):
    got = prog.paths("out").contributions(**arrays)
    norms = [c.norm for c in got]
    assert norms == sorted(norms, reverse=True)
    assert sum(c.share for c in got) == pytest.approx(1.0)


def test_layer2_head_carries_the_induction_prediction(prog, arrays):
    """Position t of the later repeats predicts the token that followed t's
    token last time: the layer-2 term's third block holds it."""
    got = {c.label: c.value for c in prog.paths("out").contributions(**arrays)}
    pred = got["layer-2 head (no composition)"][:, 16:]
    x = arrays["x"]
    for t in range(6, 17):
        assert np.allclose(pred[t], x[t + 1], atol=1e-6)


def test_unfrozen_k_composition_matches_numpy(prog, arrays):
    _, k_comp, _ = numpy_terms(arrays)
    got = {c.label: c for c in prog.paths("out").contributions(arrays, freeze=False)}
    assert not got["K-composition"].value is None
    assert np.allclose(got["K-composition"].value, k_comp, atol=1e-12)
    assert len(got) == 10


def test_cli_paths_prints_contributions_and_says_exact():
    out = subprocess.run([sys.executable, "-m", "rewrite", "paths", str(EXAMPLE),
                          "--arrays", str(WEIGHTS)], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert "layer-2 head (no composition)" in out.stdout and "3.801" in out.stdout
    assert "frozen" in out.stdout and "exact summands" in out.stdout


def test_cli_check_uses_the_arrays(tmp_path):
    np.savez(tmp_path / "w.npz", A=np.array([[1.0, 2.0], [2.0, 5.0]]))
    def check(eq):
        return subprocess.run([sys.executable, "-m", "rewrite", "check", eq, "--decl",
                               str(tmp_path / "d.tn"), "--arrays", str(tmp_path / "w.npz")],
                              capture_output=True, text=True, cwd=tmp_path)
    (tmp_path / "d.tn").write_text("dim n\ntensor A[i: n, j: n]\n")
    same = check("A[i, j] == A[j, i]")       # false in general, true for this symmetric A
    assert same.returncode == 0 and "holds: equal on w.npz" in same.stdout
    (tmp_path / "w.npz").unlink()
    np.savez(tmp_path / "w.npz", A=np.array([[1.0, 2.0], [3.0, 5.0]]))
    differ = check("A[i, j] == A[j, i]")
    assert differ.returncode == 1 and "refuted" in differ.stdout


def test_cli_missing_array_is_an_input_error(tmp_path):
    (tmp_path / "d.tn").write_text("dim n\ntensor A[i: n, j: n]\ntensor B[i: n, j: n]\n")
    np.savez(tmp_path / "w.npz", A=np.eye(2))
    out = subprocess.run([sys.executable, "-m", "rewrite", "check", "A[i, j] == B[i, j]",
                          "--decl", str(tmp_path / "d.tn"), "--arrays", str(tmp_path / "w.npz")],
                         capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 2 and "no array for B" in out.stderr and "Traceback" not in out.stderr
