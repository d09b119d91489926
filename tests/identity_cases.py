"""Hand-written identities, as a newcomer writes them, each with its truth
decided by numpy written here from the mathematics (matmul, einsum, kron,
linear algebra), never through the product's builder or evaluator.

The families: traces, matrix calculus, Kronecker products and vec, einsum
contractions, tensor-train (MPS) gauges and canonical forms, unitary /
isometry / projector / hermitian / antisymmetric laws, SVD, Tucker and CP
reconstructions, attention with softmax, and elementwise-function laws; each
true law comes with the mistakes people make writing it.

Every case shares one declaration block (`DECLS`) and one sampler
(`instance`), which builds arrays meeting the declared kinds with the sizes
`N`, `M`, `K` below.  `Case.sides(a)` gives the two sides as arrays with
their legs in the same order; whether they agree on a few random instances is
the ground truth the product's verdict is compared with.

`Case.gap` names, for a true identity that the product does not yet prove,
why (the list a closing note quotes); such a case may end `unknown`, never
`refuted`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

N, M, K = 3, 4, 2

DECLS = """\
dim n, m, k
tensor A[i: n, j: n]
tensor B[i: n, j: n]
tensor C[i: n, j: n]
tensor D[i: n, j: n]
tensor P[i: n, j: m]
tensor R[j: m, i: n]
tensor x[i: n]
tensor y[i: n]
tensor z[i: n]
real tensor u[i: n]
real tensor w[i: n]
real tensor W[o: m, i: n]
real tensor v[o: m]
real tensor t[o: m]
real tensor E[i: n, j: n]
invertible X[i: n, j: n]
invertible Y[i: n, j: n]
symmetric S[i: n, j: n]
symmetric invertible Sy[i: n, j: n]
hermitian H[i: n, j: n]
psd F[i: n, j: n]
projector Pr[i: n, j: n]
antisymmetric Ka[i: n, j: n]
unitary Q[a: n -> b: n]
orthogonal O[a: n -> b: n]
isometry U[a: n -> b: k]
isometry V[a: m -> b: k]
tensor sv[r: k]
tensor T3[i: n, j: m, l: k]
tensor Ba[b: k, i: n, j: n]
tensor Bb[b: k, j: n, l: n]
tensor G[a: k, b: k, c: k]
isometry U1[a: n -> b: k]
isometry U2[a: m -> b: k]
isometry U3[a: n -> b: k]
tensor lam[r: k]
tensor Fa[i: n, r: k]
tensor Fb[j: m, r: k]
tensor Fc[l: k, r: k]
real tensor sc[q: n, p: m]
real tensor c[q: n]
real tensor Wq[d: n, h: k]
real tensor Wk[d: n, h: k]
real tensor Xs[p: m, d: n]
real tensor Vs[p: m, e: k]
tensor M1[s: n, a: k]
tensor M2[a: k, s: n, b: k]
tensor M3[b: k, s: n]
invertible Z[a: k, b: k]
invertible Z2[a: k, b: k]
isometry L1[s: n -> b: k]
isometry L2[a: k, s: n -> b: k]
tensor Cc[a: k, s: n]
tensor Op[s: n, t: n]
function f
"""

Arrays = dict[str, np.ndarray]


def instance(rng: np.random.Generator) -> Arrays:
    """Random arrays meeting DECLS's kinds, sampled with numpy alone."""
    def cx(*shape: int) -> np.ndarray:
        return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)

    def re(*shape: int) -> np.ndarray:
        return rng.standard_normal(shape)

    def iso(rows: int, cols: int) -> np.ndarray:
        q, _ = np.linalg.qr(cx(rows, cols))
        return q  # orthonormal columns: q^H q = I

    def inv_able(size: int) -> np.ndarray:
        return cx(size, size) + 3 * np.eye(size)

    h = cx(N, N)
    g = cx(N, N - 1)
    pr_basis = iso(N, 1)
    ka = cx(N, N)
    ortho, _ = np.linalg.qr(re(N, N))
    return {
        "A": cx(N, N), "B": cx(N, N), "C": cx(N, N), "D": cx(N, N),
        "P": cx(N, M), "R": cx(M, N), "x": cx(N), "y": cx(N), "z": cx(N),
        "u": re(N), "w": re(N), "W": re(M, N), "v": re(M), "t": re(M), "E": re(N, N),
        "X": inv_able(N), "Y": inv_able(N), "S": h + h.T, "Sy": (lambda g: g + g.T)(cx(N, N)) + 5 * I_N, "H": h + h.conj().T,
        "F": g @ g.conj().T, "Pr": pr_basis @ pr_basis.conj().T, "Ka": ka - ka.T,
        "Q": iso(N, N), "O": ortho, "U": iso(N, K), "V": iso(M, K), "sv": cx(K),
        "T3": cx(N, M, K), "Ba": cx(K, N, N), "Bb": cx(K, N, N), "G": cx(K, K, K),
        "U1": iso(N, K), "U2": iso(M, K), "U3": iso(N, K),
        "lam": cx(K), "Fa": cx(N, K), "Fb": cx(M, K), "Fc": cx(K, K),
        "sc": re(N, M), "c": re(N), "Wq": re(N, K), "Wk": re(N, K), "Xs": re(M, N),
        "Vs": re(M, K), "M1": cx(N, K), "M2": cx(K, N, K), "M3": cx(K, N),
        "Z": inv_able(K), "Z2": inv_able(K), "L1": iso(N, K),
        "L2": iso(K * N, K).reshape(K, N, K), "Cc": cx(K, N), "Op": cx(N, N),
    }


@dataclass(frozen=True)
class Case:
    """`prove LEFT == RIGHT`; `sides` computes both from arrays; `gap`, for a
    true identity not yet proved, says why it may end `unknown`."""

    family: str
    statement: str
    sides: Callable[[Arrays], tuple]
    gap: str = ""

    def truth(self, trials: int = 3) -> bool:
        """Whether the two sides agree on `trials` random instances (numpy only)."""
        for seed in range(trials):
            a = instance(np.random.default_rng(1000 + seed))
            left, right = (np.asarray(s, dtype=complex) for s in self.sides(a))
            if left.shape != right.shape:
                return False
            scale = max(1.0, float(np.max(np.abs(left), initial=0)),
                        float(np.max(np.abs(right), initial=0)))
            if not np.allclose(left, right, atol=1e-9 * scale, rtol=1e-9):
                return False
        return True


def _sig(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def _softmax(s: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(s - s.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0)


ein = np.einsum
I_N = np.eye(N)
T_ = lambda m: m.T  # noqa: E731
H_ = lambda m: m.conj().T  # noqa: E731
inv = np.linalg.inv
kron = np.kron


def vec(m: np.ndarray) -> np.ndarray:
    """Column-major vec, as the vec-trick identity is stated."""
    return m.reshape(-1, order="F")


CASES: list[Case] = [
    # ------------------------------------------------------------ traces
    Case("trace", "tr(A @ B @ C) == tr(B @ C @ A)",
         lambda a: (np.trace(a["A"] @ a["B"] @ a["C"]), np.trace(a["B"] @ a["C"] @ a["A"]))),
    Case("trace", "tr(A @ B @ C) == tr(B @ A @ C)",
         lambda a: (np.trace(a["A"] @ a["B"] @ a["C"]), np.trace(a["B"] @ a["A"] @ a["C"]))),
    Case("trace", "tr(A @ B @ C @ D) == tr(D @ A @ B @ C)",
         lambda a: (np.trace(a["A"] @ a["B"] @ a["C"] @ a["D"]),
                    np.trace(a["D"] @ a["A"] @ a["B"] @ a["C"]))),
    Case("trace", "tr(A @ B @ C @ D) == tr(A @ C @ B @ D)",
         lambda a: (np.trace(a["A"] @ a["B"] @ a["C"] @ a["D"]),
                    np.trace(a["A"] @ a["C"] @ a["B"] @ a["D"]))),
    Case("trace", "tr(A.T) == tr(A)", lambda a: (np.trace(a["A"].T), np.trace(a["A"]))),
    Case("trace", "tr(A.H) == tr(A)", lambda a: (np.trace(H_(a["A"])), np.trace(a["A"]))),
    Case("trace", "tr(A + B) == tr(A) + tr(B)",
         lambda a: (np.trace(a["A"] + a["B"]), np.trace(a["A"]) + np.trace(a["B"]))),
    Case("trace", "tr(2 A - 3 B) == 2 tr(A) - 3 tr(B)",
         lambda a: (np.trace(2 * a["A"] - 3 * a["B"]),
                    2 * np.trace(a["A"]) - 3 * np.trace(a["B"]))),
    Case("trace", "tr(P @ R) == tr(R @ P)",
         lambda a: (np.trace(a["P"] @ a["R"]), np.trace(a["R"] @ a["P"]))),
    Case("trace", "tr(A @ B) == tr(A) tr(B)",
         lambda a: (np.trace(a["A"] @ a["B"]), np.trace(a["A"]) * np.trace(a["B"]))),
    Case("trace", "tr(A @ B) == tr(A.T @ B.T)",
         lambda a: (np.trace(a["A"] @ a["B"]), np.trace(a["A"].T @ a["B"].T))),
    Case("trace", "tr(A @ B) == tr(A.T @ B)",
         lambda a: (np.trace(a["A"] @ a["B"]), np.trace(a["A"].T @ a["B"]))),
    Case("trace", "tr(A.T @ B) == A[i, j] B[i, j]",
         lambda a: (np.trace(a["A"].T @ a["B"]), np.sum(a["A"] * a["B"]))),
    Case("trace", "tr(X @ A @ inv(X)) == tr(A)",
         lambda a: (np.trace(a["X"] @ a["A"] @ inv(a["X"])), np.trace(a["A"]))),
    Case("trace", "tr(X @ A @ inv(Y)) == tr(A)",
         lambda a: (np.trace(a["X"] @ a["A"] @ inv(a["Y"])), np.trace(a["A"]))),
    Case("trace", "tr(eye(n)) == n", lambda a: (np.trace(I_N), N)),
    Case("trace", "x @ A @ y == y @ A.T @ x",
         lambda a: (a["x"] @ a["A"] @ a["y"], a["y"] @ a["A"].T @ a["x"])),
    Case("trace", "x @ A @ y == y @ A @ x",
         lambda a: (a["x"] @ a["A"] @ a["y"], a["y"] @ a["A"] @ a["x"])),
    Case("trace", "tr(A @ (x[i] y[j])) == y @ A @ x",
         lambda a: (np.trace(a["A"] @ np.outer(a["x"], a["y"])), a["y"] @ a["A"] @ a["x"])),
    Case("trace", "x @ A @ x == 1/2 x @ (A + A.T) @ x",
         lambda a: (a["x"] @ a["A"] @ a["x"], 0.5 * a["x"] @ (a["A"] + a["A"].T) @ a["x"])),
    Case("trace", "x @ (A - A.T) @ x == 0",
         lambda a: (a["x"] @ (a["A"] - a["A"].T) @ a["x"], 0)),
    Case("trace", "y @ (A - A.T) @ x == 0",
         lambda a: (a["y"] @ (a["A"] - a["A"].T) @ a["x"], 0)),
    Case("trace", "(A @ B).T == B.T @ A.T",
         lambda a: ((a["A"] @ a["B"]).T, a["B"].T @ a["A"].T)),
    Case("trace", "(A @ B).T == A.T @ B.T",
         lambda a: ((a["A"] @ a["B"]).T, a["A"].T @ a["B"].T)),
    Case("trace", "(A @ B).H == B.H @ A.H",
         lambda a: (H_(a["A"] @ a["B"]), H_(a["B"]) @ H_(a["A"]))),
    Case("trace", "(A @ B @ C).H == C.H @ B.H @ A.H",
         lambda a: (H_(a["A"] @ a["B"] @ a["C"]), H_(a["C"]) @ H_(a["B"]) @ H_(a["A"]))),
    Case("trace", "(A + B) @ (A - B) == A @ A - B @ B",
         lambda a: ((a["A"] + a["B"]) @ (a["A"] - a["B"]), a["A"] @ a["A"] - a["B"] @ a["B"])),
    Case("trace", "(A + B) @ (A - B) == A @ A - A @ B + B @ A - B @ B",
         lambda a: ((a["A"] + a["B"]) @ (a["A"] - a["B"]),
                    a["A"] @ a["A"] - a["A"] @ a["B"] + a["B"] @ a["A"] - a["B"] @ a["B"])),
    Case("trace", "tr((A + B) @ (A + B)) == tr(A @ A) + 2 tr(A @ B) + tr(B @ B)",
         lambda a: (np.trace((a["A"] + a["B"]) @ (a["A"] + a["B"])),
                    np.trace(a["A"] @ a["A"]) + 2 * np.trace(a["A"] @ a["B"])
                    + np.trace(a["B"] @ a["B"]))),
    Case("trace", "(A @ B) @ C == A @ (B @ C)",
         lambda a: ((a["A"] @ a["B"]) @ a["C"], a["A"] @ (a["B"] @ a["C"]))),
    Case("trace", "A @ B == B @ A", lambda a: (a["A"] @ a["B"], a["B"] @ a["A"])),
    Case("trace", "tr(S @ A) == tr(S @ A.T)",
         lambda a: (np.trace(a["S"] @ a["A"]), np.trace(a["S"] @ a["A"].T))),
    Case("trace", "tr(H @ A) == tr(H @ A.T)",
         lambda a: (np.trace(a["H"] @ a["A"]), np.trace(a["H"] @ a["A"].T))),
    Case("trace", "tr(Ka @ S) == 0", lambda a: (np.trace(a["Ka"] @ a["S"]), 0)),
    Case("trace", "tr(Ka @ A) == 0", lambda a: (np.trace(a["Ka"] @ a["A"]), 0)),
    Case("trace", "tr(Ka @ Ka) == 0", lambda a: (np.trace(a["Ka"] @ a["Ka"]), 0)),
    Case("trace", "tr(Ka) == 0", lambda a: (np.trace(a["Ka"]), 0)),
    # an odd power of an antisymmetric matrix is antisymmetric: nine orientations to try
    Case("trace", "tr(" + " @ ".join(["Ka"] * 9) + ") == 0",
         lambda a: (np.trace(np.linalg.matrix_power(a["Ka"], 9)), 0)),
    Case("trace", "tr(" + " @ ".join(["Ka"] * 10) + ") == 0",
         lambda a: (np.trace(np.linalg.matrix_power(a["Ka"], 10)), 0)),
    Case("trace", "x @ Ka @ x == 0", lambda a: (a["x"] @ a["Ka"] @ a["x"], 0)),
    Case("trace", "x @ Ka @ y == y @ Ka @ x",
         lambda a: (a["x"] @ a["Ka"] @ a["y"], a["y"] @ a["Ka"] @ a["x"])),
    Case("trace", "x @ Ka @ y == -(y @ Ka @ x)",
         lambda a: (a["x"] @ a["Ka"] @ a["y"], -(a["y"] @ a["Ka"] @ a["x"]))),

    # ------------------------------------------------------- matrix calculus
    Case("calculus", "diff(tr(A @ B), A) == B[j, i]",
         lambda a: (a["B"].T, a["B"].T)),
    Case("calculus", "diff(tr(A @ B), A) == B[i, j]",
         lambda a: (a["B"].T, a["B"])),
    Case("calculus", "diff(A[i, j] A[i, j], A) == 2 A[i, j]",
         lambda a: (2 * a["A"], 2 * a["A"])),
    Case("calculus", "diff(A[i, j] A[i, j], A) == A[i, j]",
         lambda a: (2 * a["A"], a["A"])),
    Case("calculus", "diff(x @ A @ x, x) == A[i, j] x[j] + A[j, i] x[j]",
         lambda a: ((a["A"] + a["A"].T) @ a["x"], a["A"] @ a["x"] + a["A"].T @ a["x"])),
    Case("calculus", "diff(x @ A @ x, x) == 2 A[i, j] x[j]",
         lambda a: ((a["A"] + a["A"].T) @ a["x"], 2 * a["A"] @ a["x"])),
    Case("calculus", "diff(x @ S @ x, x) == 2 S[i, j] x[j]",
         lambda a: ((a["S"] + a["S"].T) @ a["x"], 2 * a["S"] @ a["x"])),
    Case("calculus", "diff(y @ A @ x, x) == y[j] A[j, i]",
         lambda a: (a["A"].T @ a["y"], a["A"].T @ a["y"])),
    Case("calculus", "diff(tr(A @ X @ B), X) == B[j, a] A[a, i]",
         # d tr(A X B) / dX[i, j] = (B A)[j, i]
         lambda a: ((a["B"] @ a["A"]).T, (a["B"] @ a["A"]).T)),
    Case("calculus", "diff(tr(A @ X @ B), X) == A[j, a] B[a, i]",
         lambda a: ((a["B"] @ a["A"]).T, (a["A"] @ a["B"]).T)),
    Case("calculus", "diff(tr(inv(X) @ A), X) == -inv(X)[j, a] A[a, b] inv(X)[b, i]",
         # d tr(X^-1 A) / dX[i, j] = -(X^-1 A X^-1)[j, i]
         lambda a: (-(inv(a["X"]) @ a["A"] @ inv(a["X"])).T,
                    -(inv(a["X"]) @ a["A"] @ inv(a["X"])).T)),
    Case("calculus", "diff(tr(inv(X) @ A), X) == -inv(X)[i, a] A[a, b] inv(X)[b, j]",
         lambda a: (-(inv(a["X"]) @ a["A"] @ inv(a["X"])).T,
                    -(inv(a["X"]) @ a["A"] @ inv(a["X"])))),
    Case("calculus",
         "diff((W[o, i] u[i] - v[o]) (W[o, j] u[j] - v[o]), W) == 2 (W[o, j] u[j] - v[o]) u[i]",
         lambda a: (2 * np.outer(a["W"] @ a["u"] - a["v"], a["u"]),
                    2 * np.outer(a["W"] @ a["u"] - a["v"], a["u"]))),
    Case("calculus",
         "diff((W[o, i] u[i] - v[o]) (W[o, j] u[j] - v[o]), W) == (W[o, j] u[j] - v[o]) u[i]",
         lambda a: (2 * np.outer(a["W"] @ a["u"] - a["v"], a["u"]),
                    np.outer(a["W"] @ a["u"] - a["v"], a["u"]))),
    Case("calculus", "diff(relu(W[o, i] u[i]) t[o], W) == step(W[o, j] u[j]) t[o] u[i] -> [o, i]",
         lambda a: (np.outer((a["W"] @ a["u"] > 0) * a["t"], a["u"]),
                    np.outer((a["W"] @ a["u"] > 0) * a["t"], a["u"]))),
    Case("calculus", "diff(relu(W[o, i] u[i]) t[o], W) == t[o] u[i]",
         lambda a: (np.outer((a["W"] @ a["u"] > 0) * a["t"], a["u"]), np.outer(a["t"], a["u"]))),
    Case("calculus", "diff(sigmoid(u[i]), u) == dsigmoid(u[i]) δ[i, i'] -> [i, i']",
         lambda a: (np.diag(_sig(a["u"]) * (1 - _sig(a["u"]))),
                    np.diag(_sig(a["u"]) * (1 - _sig(a["u"]))))),
    Case("calculus", "diff(sigmoid(u[i]), u) == sigmoid(u[i]) δ[i, i'] -> [i, i']",
         lambda a: (np.diag(_sig(a["u"]) * (1 - _sig(a["u"]))), np.diag(_sig(a["u"])))),
    Case("calculus", "diff(diff(x @ A @ x, x), x) == A[i, i'] + A[i', i]",
         lambda a: (a["A"] + a["A"].T, a["A"] + a["A"].T)),
    Case("calculus", "diff(diff(x @ A @ x, x), x) == 2 A[i, i']",
         lambda a: (a["A"] + a["A"].T, 2 * a["A"])),
    Case("calculus", "diff(tanh(u[i]) w[i], u) == dtanh(u[i]) w[i] -> [i]",
         lambda a: ((1 - np.tanh(a["u"]) ** 2) * a["w"], (1 - np.tanh(a["u"]) ** 2) * a["w"])),
    Case("calculus", "diff(tanh(u[i]) w[i], u) == w[i] - tanh(u[i]) tanh(u[i]) w[i] -> [i]",
         lambda a: ((1 - np.tanh(a["u"]) ** 2) * a["w"], (1 - np.tanh(a["u"]) ** 2) * a["w"])),
    Case("calculus", "diff(exp(u[i]) w[i], u) == exp(u[i]) w[i] -> [i]",
         lambda a: (np.exp(a["u"]) * a["w"], np.exp(a["u"]) * a["w"])),
    Case("calculus", "diff(f(u[i]) w[i], u) == f'(u[i]) w[i] -> [i]",
         # any smooth f: take f = sin, f' = cos
         lambda a: (np.cos(a["u"]) * a["w"], np.cos(a["u"]) * a["w"])),
    Case("calculus", "diff(f(u[i]) w[i], u) == f(u[i]) w[i] -> [i]",
         lambda a: (np.cos(a["u"]) * a["w"], np.sin(a["u"]) * a["w"])),
    Case("calculus", "diff(pow(u[i], 3) w[i], u) == 3 pow(u[i], 2) w[i] -> [i]",
         lambda a: (3 * a["u"] ** 2 * a["w"], 3 * a["u"] ** 2 * a["w"])),

    # ------------------------------------------------------ Kronecker and vec
    Case("kron", "kron(A, B) @ kron(C, D) == kron(A @ C, B @ D)",
         lambda a: (kron(a["A"], a["B"]) @ kron(a["C"], a["D"]),
                    kron(a["A"] @ a["C"], a["B"] @ a["D"]))),
    Case("kron", "kron(A, B) @ kron(C, D) == kron(A @ D, B @ C)",
         lambda a: (kron(a["A"], a["B"]) @ kron(a["C"], a["D"]),
                    kron(a["A"] @ a["D"], a["B"] @ a["C"]))),
    Case("kron", "kron(A, B).T == kron(A.T, B.T)",
         lambda a: (kron(a["A"], a["B"]).T, kron(a["A"].T, a["B"].T))),
    Case("kron", "kron(A, B).H == kron(A.H, B.H)",
         lambda a: (H_(kron(a["A"], a["B"])), kron(H_(a["A"]), H_(a["B"])))),
    Case("kron", "kron(A, B) == kron(B, A)",
         lambda a: (kron(a["A"], a["B"]), kron(a["B"], a["A"]))),
    Case("kron", "tr(kron(A, B)) == tr(A) tr(B)",
         lambda a: (np.trace(kron(a["A"], a["B"])), np.trace(a["A"]) * np.trace(a["B"]))),
    Case("kron", "tr(kron(A, B)) == tr(A @ B)",
         lambda a: (np.trace(kron(a["A"], a["B"])), np.trace(a["A"] @ a["B"]))),
    Case("kron", "kron(A + B, C) == kron(A, C) + kron(B, C)",
         lambda a: (kron(a["A"] + a["B"], a["C"]), kron(a["A"], a["C"]) + kron(a["B"], a["C"]))),
    Case("kron", "kron(kron(A, B), C) == kron(A, kron(B, C))",
         lambda a: (kron(kron(a["A"], a["B"]), a["C"]), kron(a["A"], kron(a["B"], a["C"])))),
    Case("kron", "inv(kron(X, Y)) == kron(inv(X), inv(Y))",
         lambda a: (inv(kron(a["X"], a["Y"])), kron(inv(a["X"]), inv(a["Y"])))),
    Case("kron", "inv(kron(X, Y)) == kron(inv(Y), inv(X))",
         lambda a: (inv(kron(a["X"], a["Y"])), kron(inv(a["Y"]), inv(a["X"])))),
    Case("kron", "kron(x, y) == x[i] y[j] -> [(i j)]",
         lambda a: (kron(a["x"], a["y"]), kron(a["x"], a["y"]))),
    Case("kron", "kron(x, y) == x[i] y[j] -> [(j i)]",
         lambda a: (kron(a["x"], a["y"]), kron(a["y"], a["x"]))),
    Case("kron", "kron(A, B) @ kron(x, y) == kron(A @ x, B @ y)",
         lambda a: (kron(a["A"], a["B"]) @ kron(a["x"], a["y"]),
                    kron(a["A"] @ a["x"], a["B"] @ a["y"]))),
    Case("kron", "kron(A, B)[(i: n k: n), (j: n l: n)] == A[i, j] B[k, l]",
         # renaming with groups splits the fused legs again
         lambda a: (kron(a["A"], a["B"]).reshape(N, N, N, N).transpose(0, 2, 1, 3),
                    ein("ij,kl->ijkl", a["A"], a["B"]))),
    Case("kron", "kron(eye(n), eye(n)) == eye(n*n)",
         lambda a: (kron(I_N, I_N), np.eye(N * N))),
    Case("kron", "kron(Q, Q) @ kron(Q, Q).H == eye(n*n)",
         lambda a: (kron(a["Q"], a["Q"]) @ H_(kron(a["Q"], a["Q"])), np.eye(N * N))),
    Case("kron", "A[i, a] C[a, b] B[b, j] -> [(j i)] == kron(B.T, A) @ (C[a, b] -> [(b a)])",
         # vec(A C B) = (B^T ⊗ A) vec(C), column-major vec
         lambda a: (vec(a["A"] @ a["C"] @ a["B"]), kron(a["B"].T, a["A"]) @ vec(a["C"]))),
    Case("kron", "A[i, a] C[a, b] B[b, j] -> [(j i)] == kron(A, B.T) @ (C[a, b] -> [(b a)])",
         lambda a: (vec(a["A"] @ a["C"] @ a["B"]), kron(a["A"], a["B"].T) @ vec(a["C"]))),
    Case("kron", "A[i, a] C[a, b] B[b, j] -> [(i j)] == kron(A, B.T) @ (C[a, b] -> [(a b)])",
         # the row-major vec: vec_r(A C B) = (A ⊗ B^T) vec_r(C)
         lambda a: ((a["A"] @ a["C"] @ a["B"]).reshape(-1),
                    kron(a["A"], a["B"].T) @ a["C"].reshape(-1))),
    Case("kron", "tr(A.T @ C) == (A[a, b] -> [(b a)]) @ (C[a, b] -> [(b a)])",
         lambda a: (np.trace(a["A"].T @ a["C"]), vec(a["A"]) @ vec(a["C"]))),

    # --------------------------------------------------------------- einsum
    Case("einsum", "einsum('ij,jk,kl->il', A, B, C) == A @ B @ C",
         lambda a: (ein("ij,jk,kl->il", a["A"], a["B"], a["C"]), a["A"] @ a["B"] @ a["C"])),
    Case("einsum", "einsum('ij,jk,kl->li', A, B, C) == A @ B @ C",
         lambda a: (ein("ij,jk,kl->li", a["A"], a["B"], a["C"]), a["A"] @ a["B"] @ a["C"])),
    Case("einsum", "einsum('ij,jk,kl->li', A, B, C) == (A @ B @ C).T",
         lambda a: (ein("ij,jk,kl->li", a["A"], a["B"], a["C"]), (a["A"] @ a["B"] @ a["C"]).T)),
    Case("einsum", "einsum('ii->', A) == tr(A)", lambda a: (ein("ii->", a["A"]), np.trace(a["A"]))),
    Case("einsum", "einsum('ii->i', A) == A[i, i] -> [i]",
         lambda a: (ein("ii->i", a["A"]), np.diag(a["A"]))),
    Case("einsum", "einsum('ij->', A) == A[i, j] -> []",
         lambda a: (ein("ij->", a["A"]), a["A"].sum())),
    Case("einsum", "einsum('ij->i', A) == A[i, j] -> [i]",
         lambda a: (ein("ij->i", a["A"]), a["A"].sum(1))),
    Case("einsum", "einsum('ij->j', A) == A[i, j] -> [i]",
         lambda a: (ein("ij->j", a["A"]), a["A"].sum(1))),
    Case("einsum", "einsum('ij,ij->ij', A, B) == A[i, j] B[i, j] -> [i, j]",
         lambda a: (a["A"] * a["B"], a["A"] * a["B"])),
    Case("einsum", "einsum('ij,ji->ij', A, B) == A[i, j] B[i, j] -> [i, j]",
         lambda a: (a["A"] * a["B"].T, a["A"] * a["B"])),
    Case("einsum", "einsum('i,j->ij', x, y) == x[i] y[j]",
         lambda a: (np.outer(a["x"], a["y"]), np.outer(a["x"], a["y"]))),
    Case("einsum", "einsum('i,j->ij', x, y) == einsum('i,j->ji', y, x)",
         # both sides name the legs {i, j}, so they meet by name: x_i y_j against y_i x_j
         lambda a: (np.outer(a["x"], a["y"]), np.outer(a["y"], a["x"]))),
    Case("einsum", "einsum('i,j->ij', x, y) == einsum('a,b->ba', y, x)",
         # different names meet by position: x_p y_q against (y_a x_b)[b, a]
         lambda a: (np.outer(a["x"], a["y"]), ein("a,b->ba", a["y"], a["x"]))),
    Case("einsum", "einsum('i,j->ij', x, y) == einsum('i,j->ij', y, x)",
         lambda a: (np.outer(a["x"], a["y"]), np.outer(a["y"], a["x"]))),
    Case("einsum", "einsum('ij,kj->ik', A, B) == A @ B.T",
         lambda a: (ein("ij,kj->ik", a["A"], a["B"]), a["A"] @ a["B"].T)),
    Case("einsum", "einsum('ij,kj->ik', A, B) == A @ B",
         lambda a: (ein("ij,kj->ik", a["A"], a["B"]), a["A"] @ a["B"])),
    Case("einsum", "einsum('bij,bjk->bik', Ba, Bb) == Ba[b, i, j] Bb[b, j, l] -> [b, i, l]",
         lambda a: (ein("bij,bjk->bik", a["Ba"], a["Bb"]), ein("bij,bjl->bil", a["Ba"], a["Bb"]))),
    Case("einsum", "einsum('bij,bjk->bik', Ba, Bb) == Ba[b, i, j] Bb[b2, j, l] -> [b, i, l]",
         # b2 is summed on its own: not a batched product
         lambda a: (ein("bij,bjk->bik", a["Ba"], a["Bb"]),
                    ein("bij,cjl->bil", a["Ba"], a["Bb"]))),
    Case("einsum", "einsum('...ij,...jk->...ik', Ba, Bb) == einsum('bij,bjk->bik', Ba, Bb)",
         lambda a: (ein("...ij,...jk->...ik", a["Ba"], a["Bb"]),
                    ein("bij,bjk->bik", a["Ba"], a["Bb"]))),
    Case("einsum", "einsum('ij,jk,kl,li->', A, B, C, D) == tr(A @ B @ C @ D)",
         lambda a: (ein("ij,jk,kl,li->", a["A"], a["B"], a["C"], a["D"]),
                    np.trace(a["A"] @ a["B"] @ a["C"] @ a["D"]))),
    Case("einsum", "einsum('ij,jk,kl,li->', A, B, C, D) == tr(A @ C @ B @ D)",
         lambda a: (ein("ij,jk,kl,li->", a["A"], a["B"], a["C"], a["D"]),
                    np.trace(a["A"] @ a["C"] @ a["B"] @ a["D"]))),
    Case("einsum", "einsum('i,i,i->', x, y, z) == x[i] y[i] z[i] -> []",
         lambda a: (np.sum(a["x"] * a["y"] * a["z"]), np.sum(a["x"] * a["y"] * a["z"]))),
    Case("einsum", "einsum('i,i,i->i', x, y, z) == einsum('i,i->i', einsum('i,i->i', x, y), z)",
         lambda a: (a["x"] * a["y"] * a["z"], a["x"] * a["y"] * a["z"])),
    Case("einsum", "einsum('ijl->lji', T3) == T3[i, j, l] -> [l, j, i]",
         lambda a: (ein("ijl->lji", a["T3"]), ein("ijl->lji", a["T3"]))),
    Case("einsum", "einsum('ijl->lji', T3) == T3[i, j, l] -> [l, i, j]",
         # the same names on both sides: they meet by name, whatever the order
         lambda a: (ein("ijl->lji", a["T3"]).transpose(2, 1, 0),
                    ein("ijl->lij", a["T3"]).transpose(1, 2, 0))),
    Case("einsum", "einsum('ijl->lji', T3) == T3[a, b, c] -> [c, a, b]",
         # other names: by position, and the shapes (k, m, n) and (k, n, m) differ
         lambda a: (ein("ijl->lji", a["T3"]), ein("abc->cab", a["T3"]))),
    Case("einsum", "einsum(A, B, 'i j, j k -> i k') == A @ B",
         lambda a: (a["A"] @ a["B"], a["A"] @ a["B"])),
    Case("einsum", "einsum(T3, 'i j l -> (i j) l') == T3 -> [(i j), l]",
         lambda a: (a["T3"].reshape(N * M, K), a["T3"].reshape(N * M, K))),
    Case("einsum", "einsum('ij,j->i', A, x) + einsum('ij,j->i', B, x) == (A + B) @ x",
         lambda a: (a["A"] @ a["x"] + a["B"] @ a["x"], (a["A"] + a["B"]) @ a["x"])),
    Case("einsum", "einsum('ij,jk->', A, B) == (A @ B)[i, l] -> []",
         lambda a: ((a["A"] @ a["B"]).sum(), (a["A"] @ a["B"]).sum())),

    # ---------------------------------------------------- tensor trains (MPS)
    Case("mps", "M1[s1, a] Z[a, b] inv(Z)[b, c] M2[c, s2, d] M3[d, s3] "
                "== M1[s1, a] M2[a, s2, d] M3[d, s3]",
         lambda a: (ein("sa,ab,bc,ctd,du->stu", a["M1"], a["Z"], inv(a["Z"]), a["M2"], a["M3"]),
                    ein("sa,atd,du->stu", a["M1"], a["M2"], a["M3"]))),
    Case("mps", "M1[s1, a] Z[a, b] inv(Z2)[b, c] M2[c, s2, d] M3[d, s3] "
                "== M1[s1, a] M2[a, s2, d] M3[d, s3]",
         lambda a: (ein("sa,ab,bc,ctd,du->stu", a["M1"], a["Z"], inv(a["Z2"]), a["M2"], a["M3"]),
                    ein("sa,atd,du->stu", a["M1"], a["M2"], a["M3"]))),
    Case("mps", "(M1[s1, a] Z[a, b]) (inv(Z)[b, c] M2[c, s2, d] Z2[d, e]) (inv(Z2)[e, f] M3[f, s3]) "
                "== M1[s1, a] M2[a, s2, d] M3[d, s3]",
         lambda a: (ein("sa,ab,bc,ctd,de,ef,fu->stu", a["M1"], a["Z"], inv(a["Z"]), a["M2"],
                        a["Z2"], inv(a["Z2"]), a["M3"]),
                    ein("sa,atd,du->stu", a["M1"], a["M2"], a["M3"]))),
    Case("mps", "(M1[s1, a] Z[a, b]) (inv(Z)[b, c] M2[c, s2, d] Z2[d, e]) (inv(Z)[e, f] M3[f, s3]) "
                "== M1[s1, a] M2[a, s2, d] M3[d, s3]",
         lambda a: (ein("sa,ab,bc,ctd,de,ef,fu->stu", a["M1"], a["Z"], inv(a["Z"]), a["M2"],
                        a["Z2"], inv(a["Z"]), a["M3"]),
                    ein("sa,atd,du->stu", a["M1"], a["M2"], a["M3"]))),
    Case("mps", "L1[p1, b1] L2[b1, p2, b2] Cc[b2, p3] conj(L1)[p1, c1] conj(L2)[c1, p2, c2] "
                "conj(Cc)[c2, p3] == Cc[a, s] conj(Cc)[a, s]",
         lambda a: (ein("pb,bqc,cr,pd,dqe,er->", a["L1"], a["L2"], a["Cc"], a["L1"].conj(),
                        a["L2"].conj(), a["Cc"].conj()),
                    np.sum(np.abs(a["Cc"]) ** 2))),
    Case("mps", "L1[p1, b1] L2[b1, p2, b2] Cc[b2, p3] conj(L1)[p1, c1] conj(L2)[c1, p2, c2] "
                "conj(Cc)[c2, p3] == Cc[a, s] Cc[a, s]",
         lambda a: (ein("pb,bqc,cr,pd,dqe,er->", a["L1"], a["L2"], a["Cc"], a["L1"].conj(),
                        a["L2"].conj(), a["Cc"].conj()),
                    np.sum(a["Cc"] ** 2))),
    Case("mps", "conj(L2)[a, s, b] L2[a, s, c] == δ[b, c]",
         lambda a: (ein("asb,asc->bc", a["L2"].conj(), a["L2"]), np.eye(K))),
    Case("mps", "conj(L2)[a, s, b] L2[c, s, b] == δ[a, c]",
         lambda a: (ein("asb,csb->ac", a["L2"].conj(), a["L2"]), np.eye(K))),
    Case("mps", "L1[p1, b1] L2[b1, p2, b2] Cc[b2, p3] Op[p2, q2] conj(L1)[p1, c1] "
                "conj(L2)[c1, q2, c2] conj(Cc)[c2, p3] "
                "== L2[b1, p2, b2] Cc[b2, p3] Op[p2, q2] conj(L2)[b1, q2, c2] conj(Cc)[c2, p3]",
         # <psi|Op on site 2|psi>: the left isometry cancels, the right one cannot
         lambda a: (ein("pb,bqc,cr,qs,pd,dse,er->", a["L1"], a["L2"], a["Cc"], a["Op"],
                        a["L1"].conj(), a["L2"].conj(), a["Cc"].conj()),
                    ein("bqc,cr,qs,bse,er->", a["L2"], a["Cc"], a["Op"], a["L2"].conj(),
                        a["Cc"].conj()))),
    Case("mps", "L1[p1, b1] L2[b1, p2, b2] Cc[b2, p3] Op[p2, q2] conj(L1)[p1, c1] "
                "conj(L2)[c1, q2, c2] conj(Cc)[c2, p3] == Cc[b2, p3] Op[p2, p2] conj(Cc)[b2, p3]",
         lambda a: (ein("pb,bqc,cr,qs,pd,dse,er->", a["L1"], a["L2"], a["Cc"], a["Op"],
                        a["L1"].conj(), a["L2"].conj(), a["Cc"].conj()),
                    np.trace(a["Op"]) * np.sum(np.abs(a["Cc"]) ** 2))),
    Case("mps", "Q[q, p] Cc[a, p] conj(Q)[q, r] conj(Cc)[a, r] == Cc[a, p] conj(Cc)[a, p]",
         lambda a: (ein("qp,ap,qr,ar->", a["Q"], a["Cc"], a["Q"].conj(), a["Cc"].conj()),
                    np.sum(np.abs(a["Cc"]) ** 2))),
    Case("mps", "Q[p, q] Cc[a, p] conj(Q)[r, q] conj(Cc)[a, r] == Cc[a, p] conj(Cc)[a, p]",
         # Q Q^H = I as well for a square unitary
         lambda a: (ein("pq,ap,rq,ar->", a["Q"], a["Cc"], a["Q"].conj(), a["Cc"].conj()),
                    np.sum(np.abs(a["Cc"]) ** 2))),
    Case("mps", "U[q, p] x[q] conj(U)[r, p] conj(x)[r] == x[q] conj(x)[q]",
         # U U^H is a projector, not the identity
         lambda a: (ein("qp,q,rp,r->", a["U"], a["x"], a["U"].conj(), a["x"].conj()),
                    np.sum(np.abs(a["x"]) ** 2))),
    Case("mps", "M1[s1, a] M2[a, s2, b] M3[b, s3] -> [s3, s2, s1] "
                "== M3[b, s3] M2[a, s2, b] M1[s1, a] -> [s3, s2, s1]",
         lambda a: (ein("sa,atb,bu->uts", a["M1"], a["M2"], a["M3"]),
                    ein("sa,atb,bu->uts", a["M1"], a["M2"], a["M3"]))),
    Case("mps", "M2[a, s, b] M2[b, t, a] == M2[b, t, a] M2[a, s, b]",
         lambda a: (ein("asb,bta->st", a["M2"], a["M2"]), ein("bta,asb->st", a["M2"], a["M2"]))),
    Case("mps", "M2[a, s, b] M2[b, t, a] -> [s, t] == M2[a, t, b] M2[b, s, a] -> [s, t]",
         # a ring of two: swapping the sites is a cyclic shift of the trace
         lambda a: (ein("asb,bta->st", a["M2"], a["M2"]), ein("atb,bsa->st", a["M2"], a["M2"]))),
    Case("mps", "M2[a, s, b] M2[b, t, c] M2[c, r, a] -> [s, t, r] "
                "== M2[a, t, b] M2[b, s, c] M2[c, r, a] -> [s, t, r]",
         lambda a: (ein("asb,btc,cra->str", a["M2"], a["M2"], a["M2"]),
                    ein("atb,bsc,cra->str", a["M2"], a["M2"], a["M2"]))),

    # -------------------------------------------- unitary, isometry, projector
    Case("kinds", "Q @ Q.H == eye(n)", lambda a: (a["Q"] @ H_(a["Q"]), I_N)),
    Case("kinds", "Q.H @ Q == eye(n)", lambda a: (H_(a["Q"]) @ a["Q"], I_N)),
    Case("kinds", "U.H @ U == eye(k)", lambda a: (H_(a["U"]) @ a["U"], np.eye(K))),
    Case("kinds", "U @ U.H == eye(n)", lambda a: (a["U"] @ H_(a["U"]), I_N)),
    Case("kinds", "(U @ U.H) @ (U @ U.H) == U @ U.H",
         lambda a: (a["U"] @ H_(a["U"]) @ a["U"] @ H_(a["U"]), a["U"] @ H_(a["U"]))),
    Case("kinds", "O.T @ O == eye(n)", lambda a: (a["O"].T @ a["O"], I_N)),
    Case("kinds", "O @ O.T == eye(n)", lambda a: (a["O"] @ a["O"].T, I_N)),
    Case("kinds", "Q.T @ Q == eye(n)", lambda a: (a["Q"].T @ a["Q"], I_N)),
    Case("kinds", "inv(Q) == Q.H", lambda a: (inv(a["Q"]), H_(a["Q"]))),
    Case("kinds", "inv(Q) == Q.T", lambda a: (inv(a["Q"]), a["Q"].T)),
    Case("kinds", "inv(X @ Y) == inv(Y) @ inv(X)",
         lambda a: (inv(a["X"] @ a["Y"]), inv(a["Y"]) @ inv(a["X"]))),
    Case("kinds", "inv(X @ Y) == inv(X) @ inv(Y)",
         lambda a: (inv(a["X"] @ a["Y"]), inv(a["X"]) @ inv(a["Y"]))),
    Case("kinds", "inv(X.T) == inv(X).T", lambda a: (inv(a["X"].T), inv(a["X"]).T)),
    Case("kinds", "inv(X.H) == inv(X).H", lambda a: (inv(H_(a["X"])), H_(inv(a["X"])))),
    Case("kinds", "inv(2 X) == 1/2 inv(X)", lambda a: (inv(2 * a["X"]), 0.5 * inv(a["X"]))),
    Case("kinds", "inv(2 X) == 2 inv(X)", lambda a: (inv(2 * a["X"]), 2 * inv(a["X"]))),
    Case("kinds", "X @ A @ inv(X) @ X @ B @ inv(X) == X @ A @ B @ inv(X)",
         lambda a: (a["X"] @ a["A"] @ inv(a["X"]) @ a["X"] @ a["B"] @ inv(a["X"]),
                    a["X"] @ a["A"] @ a["B"] @ inv(a["X"]))),
    Case("kinds", "tr(Q.H @ A @ Q) == tr(A)",
         lambda a: (np.trace(H_(a["Q"]) @ a["A"] @ a["Q"]), np.trace(a["A"]))),
    Case("kinds", "tr(U.H @ A @ U) == tr(A)",
         lambda a: (np.trace(H_(a["U"]) @ a["A"] @ a["U"]), np.trace(a["A"]))),
    Case("kinds", "inv(Sy).T == inv(Sy)", lambda a: (inv(a["Sy"]).T, inv(a["Sy"]))),
    Case("kinds", "inv(Sy).H == inv(Sy)", lambda a: (H_(inv(a["Sy"])), inv(a["Sy"]))),
    Case("kinds", "inv(X).T == inv(X)", lambda a: (inv(a["X"]).T, inv(a["X"]))),
    Case("kinds", "x @ inv(Sy) @ y == y @ inv(Sy) @ x",
         lambda a: (a["x"] @ inv(a["Sy"]) @ a["y"], a["y"] @ inv(a["Sy"]) @ a["x"])),
    Case("kinds", "x @ inv(X) @ y == y @ inv(X) @ x",
         lambda a: (a["x"] @ inv(a["X"]) @ a["y"], a["y"] @ inv(a["X"]) @ a["x"])),
    Case("kinds", "inv(Sy).T @ Sy == eye(n)", lambda a: (inv(a["Sy"]).T @ a["Sy"], I_N)),
    Case("kinds", "Sy[i, j] inv(Sy)[k, i] == δ[j, k]",
         lambda a: (ein("ij,ki->jk", a["Sy"], inv(a["Sy"])), I_N)),
    Case("kinds", "tr(inv(Sy) @ A) == tr(inv(Sy) @ A.T)",
         lambda a: (np.trace(inv(a["Sy"]) @ a["A"]), np.trace(inv(a["Sy"]) @ a["A"].T))),
    Case("kinds", "inv(Sy @ X).T == inv(X).T @ inv(Sy)",
         lambda a: (inv(a["Sy"] @ a["X"]).T, inv(a["X"]).T @ inv(a["Sy"]))),
    Case("kinds", "inv(Sy @ X).T == inv(X) @ inv(Sy)",
         lambda a: (inv(a["Sy"] @ a["X"]).T, inv(a["X"]) @ inv(a["Sy"]))),
    Case("kinds", "Pr @ Pr == Pr", lambda a: (a["Pr"] @ a["Pr"], a["Pr"])),
    Case("kinds", "Pr @ Pr @ Pr == Pr", lambda a: (a["Pr"] @ a["Pr"] @ a["Pr"], a["Pr"])),
    Case("kinds", "Pr.H == Pr", lambda a: (H_(a["Pr"]), a["Pr"])),
    Case("kinds", "Pr.T == Pr", lambda a: (a["Pr"].T, a["Pr"])),
    Case("kinds", "(eye(n) - Pr) @ (eye(n) - Pr) == eye(n) - Pr",
         lambda a: ((I_N - a["Pr"]) @ (I_N - a["Pr"]), I_N - a["Pr"])),
    Case("kinds", "(eye(n) - Pr) @ Pr == 0", lambda a: ((I_N - a["Pr"]) @ a["Pr"], 0 * I_N)),
    Case("kinds", "(eye(n) - 2 Pr) @ (eye(n) - 2 Pr) == eye(n)",
         lambda a: ((I_N - 2 * a["Pr"]) @ (I_N - 2 * a["Pr"]), I_N)),
    Case("kinds", "(eye(n) - Pr) @ (eye(n) - Pr) == eye(n)",
         lambda a: ((I_N - a["Pr"]) @ (I_N - a["Pr"]), I_N)),
    Case("kinds", "H.H == H", lambda a: (H_(a["H"]), a["H"])),
    Case("kinds", "H.T == conj(H)", lambda a: (a["H"].T, a["H"].conj())),
    Case("kinds", "H.T == H", lambda a: (a["H"].T, a["H"])),
    Case("kinds", "F.H == F", lambda a: (H_(a["F"]), a["F"])),
    Case("kinds", "x @ H @ conj(y) == conj(y) @ conj(H) @ x",
         lambda a: (a["x"] @ a["H"] @ a["y"].conj(), a["y"].conj() @ a["H"].conj() @ a["x"])),
    Case("kinds", "(A @ H @ A.H).H == A @ H @ A.H",
         lambda a: (H_(a["A"] @ a["H"] @ H_(a["A"])), a["A"] @ a["H"] @ H_(a["A"]))),
    Case("kinds", "(A @ H @ A.T).H == A @ H @ A.T",
         lambda a: (H_(a["A"] @ a["H"] @ a["A"].T), a["A"] @ a["H"] @ a["A"].T)),
    Case("kinds", "(A @ S @ A.T).T == A @ S @ A.T",
         lambda a: ((a["A"] @ a["S"] @ a["A"].T).T, a["A"] @ a["S"] @ a["A"].T)),
    Case("kinds", "Ka.T == -Ka", lambda a: (a["Ka"].T, -a["Ka"])),
    Case("kinds", "Ka.T == Ka", lambda a: (a["Ka"].T, a["Ka"])),
    Case("kinds", "(A @ Ka @ A.T).T == -(A @ Ka @ A.T)",
         lambda a: ((a["A"] @ a["Ka"] @ a["A"].T).T, -(a["A"] @ a["Ka"] @ a["A"].T))),
    Case("kinds", "S.T == S", lambda a: (a["S"].T, a["S"])),
    Case("kinds", "S.H == S", lambda a: (H_(a["S"]), a["S"])),
    Case("kinds", "conj(Q)[a, b] Q[a, c] == δ[b, c]",
         lambda a: (a["Q"].conj().T @ a["Q"], I_N)),
    Case("kinds", "conj(U)[a, b] U[c, b] == δ[a, c]",
         lambda a: (a["U"].conj() @ a["U"].T, I_N)),

    # ------------------------------------------------ SVD, Tucker, CP
    Case("decomp", "conj(U[i, r] sv[r] conj(V)[j, r])[i, j] (U[i, r] sv[r] conj(V)[j2, r]) "
                   "== V[j, r] conj(sv)[r] sv[r] conj(V)[j2, r]",
         # M = U diag(s) V^H; (M^H M)[j, j2] = V |s|^2 V^H
         lambda a: (ein("ij,ik->jk", (a["U"] * a["sv"] @ H_(a["V"])).conj(),
                        a["U"] * a["sv"] @ H_(a["V"])),
                    (a["V"] * np.abs(a["sv"]) ** 2) @ H_(a["V"]))),
    Case("decomp", "U[i, r] sv[r] conj(V)[j, r] conj(U)[i, r2] conj(sv)[r2] V[j, r2] "
                   "== sv[r] conj(sv)[r]",
         lambda a: (np.sum(np.abs(a["U"] * a["sv"] @ H_(a["V"])) ** 2),
                    np.sum(np.abs(a["sv"]) ** 2))),
    Case("decomp", "U[i, r] sv[r] conj(V)[j, r] conj(U)[i, r2] conj(sv)[r2] V[j, r2] "
                   "== sv[r] sv[r]",
         lambda a: (np.sum(np.abs(a["U"] * a["sv"] @ H_(a["V"])) ** 2), np.sum(a["sv"] ** 2))),
    Case("decomp", "conj(U)[i, r] U[i, r2] sv[r2] conj(V)[j, r2] == sv[r] conj(V)[j, r] -> [r, j]",
         # U^H M = diag(s) V^H
         lambda a: (H_(a["U"]) @ (a["U"] * a["sv"] @ H_(a["V"])), (a["sv"][:, None] * H_(a["V"])))),
    Case("decomp", "G[a, b, c] U1[i, a] U2[j, b] U3[l, c] conj(G)[a2, b2, c2] conj(U1)[i, a2] "
                   "conj(U2)[j, b2] conj(U3)[l, c2] == G[a, b, c] conj(G)[a, b, c]",
         lambda a: (np.sum(np.abs(ein("abc,ia,jb,lc->ijl", a["G"], a["U1"], a["U2"], a["U3"])) ** 2),
                    np.sum(np.abs(a["G"]) ** 2))),
    Case("decomp", "G[a, b, c] U1[i, a] Fb[j, b] U3[l, c] conj(G)[a2, b2, c2] conj(U1)[i, a2] "
                   "conj(Fb)[j, b2] conj(U3)[l, c2] == G[a, b, c] conj(G)[a, b, c]",
         lambda a: (np.sum(np.abs(ein("abc,ia,jb,lc->ijl", a["G"], a["U1"], a["Fb"], a["U3"])) ** 2),
                    np.sum(np.abs(a["G"]) ** 2))),
    Case("decomp", "conj(U1)[i, a2] G[a, b, c] U1[i, a] U2[j, b] "
                   "== G[a2, b, c] U2[j, b] -> [a2, j, c]",
         # projecting the first mode back onto the core
         lambda a: (ein("ia,abc,iA,jb->Ajc", a["U1"].conj(), a["G"], a["U1"], a["U2"]),
                    ein("abc,jb->ajc", a["G"], a["U2"]))),
    Case("decomp", "lam[r] Fa[i, r] Fb[j, r] Fc[l, r] == lam[r] Fa[i, r] Fc[l, r] Fb[j, r]",
         lambda a: (ein("r,ir,jr,lr->ijl", a["lam"], a["Fa"], a["Fb"], a["Fc"]),) * 2),
    Case("decomp", "(2 lam[r]) Fa[i, r] Fb[j, r] (1/2 Fc[l, r]) == lam[r] Fa[i, r] Fb[j, r] Fc[l, r]",
         lambda a: (ein("r,ir,jr,lr->ijl", a["lam"], a["Fa"], a["Fb"], a["Fc"]),) * 2),
    Case("decomp", "lam[r] Fa[i, r] Fb[j, r] Fc[l, r] == lam[r] Fa[i, r] Fb[j, r] Fc[r, l]",
         lambda a: (ein("r,ir,jr,lr->ijl", a["lam"], a["Fa"], a["Fb"], a["Fc"]),
                    ein("r,ir,jr,rl->ijl", a["lam"], a["Fa"], a["Fb"], a["Fc"]))),
    Case("decomp", "lam[r] Fa[i, r] Fb[j, r] Fc[l, r] x[i] == lam[r] (x[i] Fa[i, r]) Fb[j, r] Fc[l, r]",
         lambda a: (ein("r,ir,jr,lr,i->jl", a["lam"], a["Fa"], a["Fb"], a["Fc"], a["x"]),) * 2),
    Case("decomp", "A[i2, i] T3[i, j, l] Fc[l, l2] == Fc[l, l2] T3[i, j, l] A[i2, i] -> [i2, j, l2]",
         # mode products in different modes commute
         lambda a: (ein("ai,ijl->ajl", a["A"], a["T3"]) @ a["Fc"],
                    ein("ijb,ai->ajb", a["T3"] @ a["Fc"], a["A"]))),
    Case("decomp", "A[i2, i] T3[i, j, l] Fc[l, l2] == Fc[l, l2] T3[i, j, l] A[i, i2] -> [i2, j, l2]",
         lambda a: (ein("ai,ijl->ajl", a["A"], a["T3"]) @ a["Fc"],
                    ein("ijb,ia->ajb", a["T3"] @ a["Fc"], a["A"]))),
    Case("decomp", "T3 -> [i, (j l)] == (T3 -> [(j l), i]).T",
         lambda a: (a["T3"].reshape(N, M * K), a["T3"].transpose(1, 2, 0).reshape(M * K, N).T)),
    Case("decomp", "T3 -> [i, (j l)] == (T3 -> [(l j), i]).T",
         lambda a: (a["T3"].reshape(N, M * K), a["T3"].transpose(2, 1, 0).reshape(M * K, N).T)),

    # ----------------------------------------------------- attention, softmax
    Case("attention", "softmax[p](sc[q, p]) -> [q] == δ[q: n]",
         lambda a: (_softmax(a["sc"], 1).sum(1), np.ones(N))),
    Case("attention", "softmax[p](sc[q, p]) -> [p] == δ[p: m]",
         lambda a: (_softmax(a["sc"], 1).sum(0), np.ones(M))),
    Case("attention", "softmax[p](sc[q, p] + c[q] δ[p: m]) == softmax[p](sc[q, p])",
         lambda a: (_softmax(a["sc"] + a["c"][:, None], 1), _softmax(a["sc"], 1))),
    Case("attention", "softmax[p](2 sc[q, p]) == softmax[p](sc[q, p])",
         lambda a: (_softmax(2 * a["sc"], 1), _softmax(a["sc"], 1))),
    Case("attention", "softmax[p](sc[q, p]) == softmax[q](sc[q, p])",
         lambda a: (_softmax(a["sc"], 1), _softmax(a["sc"], 0))),
    Case("attention", "softmax[p](sc[q, p]) Vs[p, e] t[p2] -> [q, e, p2] "
                      "== softmax[p](sc[q, p]) t[p2] Vs[p, e] -> [q, e, p2]",
         lambda a: (ein("qp,pe,r->qer", _softmax(a["sc"], 1), a["Vs"], a["t"]),
                    ein("qp,r,pe->qer", _softmax(a["sc"], 1), a["t"], a["Vs"]))),
    Case("attention", "softmax[p](sc[q, p]) t[o] -> [q, o] == δ[q: n] t[o]",
         # the weights sum to one over the keys, whatever is carried along
         lambda a: (np.outer(_softmax(a["sc"], 1).sum(1), a["t"]), np.outer(np.ones(N), a["t"]))),
    Case("attention", "softmax[p](Xs[q2, d] Wq[d, h] Wk[d2, h] Xs[p, d2]) "
                      "== softmax[p](Xs[q2, d] (Wq[d, h] Wk[d2, h]) Xs[p, d2])",
         lambda a: (_softmax(a["Xs"] @ a["Wq"] @ a["Wk"].T @ a["Xs"].T, 1),
                    _softmax(a["Xs"] @ (a["Wq"] @ a["Wk"].T) @ a["Xs"].T, 1))),
    Case("attention", "softmax[p](Xs[q2, d] Wq[d, h] Wk[d2, h] Xs[p, d2]) "
                      "== softmax[p](Xs[q2, d] Wk[d, h] Wq[d2, h] Xs[p, d2])",
         lambda a: (_softmax(a["Xs"] @ a["Wq"] @ a["Wk"].T @ a["Xs"].T, 1),
                    _softmax(a["Xs"] @ a["Wk"] @ a["Wq"].T @ a["Xs"].T, 1))),
    Case("attention", "softmax[p](sc[q, p]) == exp(sc[q, p]) pow(exp(sc[q, p2]) -> [q], -1) "
                      "-> [q, p]",
         lambda a: (_softmax(a["sc"], 1),
                    np.exp(a["sc"]) / np.exp(a["sc"]).sum(1, keepdims=True))),
    Case("attention", "softmax[p](sc[q, p]) == exp(sc[q, p]) pow(exp(sc[q2, p]) -> [p], -1) "
                      "-> [q, p]",
         lambda a: (_softmax(a["sc"], 1),
                    np.exp(a["sc"]) / np.exp(a["sc"]).sum(0, keepdims=True))),
    Case("attention", "softmax[p](sc[q, p]) Vs[p, e] == softmax[p](sc[q, p]) Vs[p, e] -> [q, e]",
         lambda a: (_softmax(a["sc"], 1) @ a["Vs"], ein("qp,pe->qe", _softmax(a["sc"], 1), a["Vs"]))),
    Case("attention", "softmax[p](sc[q, p]) Vs[p, e] == softmax[q](sc[q, p]) Vs[p, e] -> [q, e]",
         lambda a: (_softmax(a["sc"], 1) @ a["Vs"], _softmax(a["sc"], 0) @ a["Vs"])),

    # ----------------------------------------------------- elementwise laws
    Case("elementwise", "relu(u[i]) - relu(-u[i]) == u[i]",
         lambda a: (_relu(a["u"]) - _relu(-a["u"]), a["u"])),
    Case("elementwise", "relu(u[i]) + relu(-u[i]) == u[i]",
         lambda a: (_relu(a["u"]) + _relu(-a["u"]), a["u"])),
    Case("elementwise", "relu(u[i]) + relu(-u[i]) == abs(u[i])",
         lambda a: (_relu(a["u"]) + _relu(-a["u"]), np.abs(a["u"]))),
    Case("elementwise", "relu(relu(u[i])) == relu(u[i])",
         lambda a: (_relu(_relu(a["u"])), _relu(a["u"]))),
    Case("elementwise", "relu(2 u[i]) == 2 relu(u[i])",
         lambda a: (_relu(2 * a["u"]), 2 * _relu(a["u"]))),
    Case("elementwise", "relu(-2 u[i]) == 2 relu(u[i])",
         lambda a: (_relu(-2 * a["u"]), 2 * _relu(a["u"]))),
    Case("elementwise", "relu(u[i]) relu(-u[i]) -> [i] == 0",
         lambda a: (_relu(a["u"]) * _relu(-a["u"]), 0 * a["u"])),
    Case("elementwise", "relu(E.T) == relu(E).T", lambda a: (_relu(a["E"].T), _relu(a["E"]).T)),
    Case("elementwise", "relu(E @ E) == relu(E) @ relu(E)",
         lambda a: (_relu(a["E"] @ a["E"]), _relu(a["E"]) @ _relu(a["E"]))),
    Case("elementwise", "exp(u[i] + w[i]) == exp(u[i]) exp(w[i]) -> [i]",
         lambda a: (np.exp(a["u"] + a["w"]), np.exp(a["u"]) * np.exp(a["w"]))),
    Case("elementwise", "exp(u[i] + w[i]) == exp(u[i]) + exp(w[i])",
         lambda a: (np.exp(a["u"] + a["w"]), np.exp(a["u"]) + np.exp(a["w"]))),
    Case("elementwise", "exp(2 u[i]) == exp(u[i]) exp(u[i]) -> [i]",
         lambda a: (np.exp(2 * a["u"]), np.exp(a["u"]) ** 2)),
    Case("elementwise", "exp(x[i]) exp(-x[i]) -> [i] == δ[i: n]",
         lambda a: (np.exp(a["x"]) * np.exp(-a["x"]), np.ones(N))),
    Case("elementwise", "exp(E[i, j]) exp(E[j, i]) -> [i, j] == exp(E[i, j] + E[j, i])",
         lambda a: (np.exp(a["E"]) * np.exp(a["E"].T), np.exp(a["E"] + a["E"].T))),
    Case("elementwise", "exp(log(x[i])) == x[i]", lambda a: (np.exp(np.log(a["x"])), a["x"])),
    Case("elementwise", "log(exp(u[i])) == u[i]", lambda a: (np.log(np.exp(a["u"])), a["u"])),
    Case("elementwise", "log(exp(4 x[i])) == 4 x[i]",
         # false for complex entries whose imaginary part leaves (-pi, pi]
         lambda a: (np.log(np.exp(4 * a["x"])), 4 * a["x"])),
    Case("elementwise", "sqrt(x[i]) sqrt(x[i]) -> [i] == x[i]",
         lambda a: (np.sqrt(a["x"]) ** 2, a["x"])),
    Case("elementwise", "sign(x[i]) abs(x[i]) -> [i] == x[i]",
         lambda a: (a["x"] / np.abs(a["x"]) * np.abs(a["x"]), a["x"])),
    Case("elementwise", "abs(-u[i]) == abs(u[i])", lambda a: (np.abs(-a["u"]), np.abs(a["u"]))),
    Case("elementwise", "abs(-x[i]) == abs(x[i])", lambda a: (np.abs(-a["x"]), np.abs(a["x"]))),
    Case("elementwise", "tanh(-u[i]) == -tanh(u[i])", lambda a: (np.tanh(-a["u"]), -np.tanh(a["u"]))),
    Case("elementwise", "tanh(-u[i]) == tanh(u[i])", lambda a: (np.tanh(-a["u"]), np.tanh(a["u"]))),
    Case("elementwise", "sigmoid(u[i]) + sigmoid(-u[i]) == δ[i: n]",
         lambda a: (_sig(a["u"]) + _sig(-a["u"]), np.ones(N))),
    Case("elementwise", "tanh(u[i]) == 2 sigmoid(2 u[i]) - δ[i: n]",
         lambda a: (np.tanh(a["u"]), 2 * _sig(2 * a["u"]) - 1)),
    Case("elementwise", "pow(u[i], 3) == u[i] u[i] u[i] -> [i]",
         lambda a: (a["u"] ** 3, a["u"] ** 3)),
    Case("elementwise", "pow(u[i] + w[i], 2) == pow(u[i], 2) + pow(w[i], 2)",
         lambda a: ((a["u"] + a["w"]) ** 2, a["u"] ** 2 + a["w"] ** 2)),
    Case("elementwise", "pow(x[i], 2) pow(x[i], 3) -> [i] == pow(x[i], 5)",
         lambda a: (a["x"] ** 5, a["x"] ** 5)),
    Case("elementwise", "pow(x[i], -1) x[i] -> [i] == δ[i: n]",
         lambda a: (a["x"] ** -1 * a["x"], np.ones(N))),
    Case("elementwise", "f(x[i] + y[i]) == f(y[i] + x[i])",
         lambda a: (np.sin(a["x"] + a["y"]), np.sin(a["y"] + a["x"]))),
    Case("elementwise", "f(-u[i]) == f(u[i])", lambda a: (np.sin(-a["u"]), np.sin(a["u"]))),
    Case("elementwise", "f(A @ x) == f(x @ A.T)",
         lambda a: (np.sin(a["A"] @ a["x"]), np.sin(a["x"] @ a["A"].T))),
    Case("elementwise", "f(A @ x) == f(x @ A)",
         lambda a: (np.sin(a["A"] @ a["x"]), np.sin(a["x"] @ a["A"]))),
    Case("elementwise", "(tanh(u[i]) tanh(u[i]) -> [i]) + dtanh(u[i]) == δ[i: n]",
         lambda a: (np.tanh(a["u"]) ** 2 + 1 - np.tanh(a["u"]) ** 2, np.ones(N))),
    Case("elementwise", "relu(W[o, i] u[i]) == relu(W @ u)",
         lambda a: (_relu(a["W"] @ a["u"]), _relu(a["W"] @ a["u"]))),
    Case("elementwise", "relu(W[o, i] u[i] + v[o]) == relu(W @ u) + relu(v[o])",
         lambda a: (_relu(a["W"] @ a["u"] + a["v"]), _relu(a["W"] @ a["u"]) + _relu(a["v"]))),
]
