"""Verdicts against an independent oracle: random matrix equations, judged by numpy.

Each equation is built twice from the same random choices: as text of the
language, and as a numpy function written here from the definitions (matmul,
transpose, conjugate, inverse, trace, Kronecker product), never through our
builder or evaluator.  numpy on a few independent random instances that meet
the kinds decides whether the equation is an identity.  The product may answer
`unknown`, never the wrong one of `proved`/`refuted` (`holds`/`refuted` for
`check`).

Every matrix is declared with the legs [i, j], so that a sum of bare names
meets leg by leg as matrices do (a sum matches named legs by name, §5).

Equations come from templates of true laws (trace cycling, transpose and
inverse of products, distributivity, adjoints) and their usual mistakes (the
order not reversed, a non-cyclic trace permutation, inv of a sum), with random
matrix expressions put in for the letters; so roughly half are identities.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from rewrite.app.session import Session

N = 3
DECLS = (f"dim n = {N}\ntensor A[i: n, j: n]\ntensor B[i: n, j: n]\n"
         "symmetric S[i: n, j: n]\ninvertible X[i: n, j: n]\ninvertible Y[i: n, j: n]\n"
         "unitary Q[i: n -> j: n]\nreal tensor R[i: n, j: n]\n")


def instance(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Arrays meeting the declared kinds, sampled here (not by the product)."""
    def cplx() -> np.ndarray:
        return rng.standard_normal((N, N)) + 1j * rng.standard_normal((N, N))

    m = cplx()
    q, _ = np.linalg.qr(cplx())
    return {"A": cplx(), "B": cplx(), "S": m + m.T, "X": cplx() + 3 * np.eye(N),
            "Y": cplx() + 3 * np.eye(N), "Q": q, "R": rng.standard_normal((N, N))}


Arrays = dict[str, np.ndarray]


@dataclass(frozen=True)
class Ex:
    """A matrix expression: its text and its numpy meaning; `inv` when known invertible."""

    text: str
    f: Callable[[Arrays], np.ndarray]
    invertible: bool = False


LEAVES = [Ex("A", lambda a: a["A"]), Ex("B", lambda a: a["B"]), Ex("S", lambda a: a["S"]),
          Ex("R", lambda a: a["R"]), Ex("X", lambda a: a["X"], True),
          Ex("Y", lambda a: a["Y"], True), Ex("Q", lambda a: a["Q"], True),
          Ex("eye(n)", lambda a: np.eye(N))]


def matrices(depth: int = 2) -> st.SearchStrategy[Ex]:
    leaf = st.sampled_from(LEAVES)
    if depth == 0:
        return leaf
    sub = matrices(depth - 1)

    def matmul(p: Ex, q: Ex) -> Ex:
        return Ex(f"({p.text} @ {q.text})", lambda a: p.f(a) @ q.f(a), p.invertible and q.invertible)

    def add(p: Ex, q: Ex) -> Ex:
        return Ex(f"({p.text} + {q.text})", lambda a: p.f(a) + q.f(a))

    def unary(p: Ex, op: str) -> Ex:
        fs = {"T": lambda a: p.f(a).T, "H": lambda a: p.f(a).conj().T,
              "conj": lambda a: p.f(a).conj(), "2": lambda a: 2 * p.f(a),
              "-": lambda a: -p.f(a), "inv": lambda a: np.linalg.inv(p.f(a))}
        text = {"T": f"{p.text}.T", "H": f"{p.text}.H", "conj": f"conj({p.text})",
                "2": f"(2 {p.text})", "-": f"(-{p.text})", "inv": f"inv({p.text})"}[op]
        # LANGUAGE.md §10: inverses, transposes and conjugates of invertibles are invertible.
        return Ex(text, fs[op], p.invertible and op in ("T", "H", "conj", "inv"))

    def unary_ok(p: Ex, op: str) -> Ex:
        return unary(p, op) if op != "inv" or p.invertible else p

    return st.one_of(
        leaf,
        st.builds(matmul, sub, sub),
        st.builds(add, sub, sub),
        st.builds(unary_ok, sub, st.sampled_from(["T", "H", "conj", "2", "-", "inv"])),
    )


def tr(p: Ex) -> Ex:
    return Ex(f"tr({p.text})", lambda a: np.trace(p.f(a)))


# (left, right) builders over three matrix expressions P, R, W: true laws and
# their common mistakes.
TEMPLATES: list[Callable[[Ex, Ex, Ex], tuple[Ex, Ex] | None]] = [
    lambda p, r, w: (tr(Ex(f"{p.text} @ {r.text}", lambda a: p.f(a) @ r.f(a))),
                     tr(Ex(f"{r.text} @ {p.text}", lambda a: r.f(a) @ p.f(a)))),
    lambda p, r, w: (tr(Ex(f"{p.text} @ {r.text} @ {w.text}", lambda a: p.f(a) @ r.f(a) @ w.f(a))),
                     tr(Ex(f"{w.text} @ {p.text} @ {r.text}", lambda a: w.f(a) @ p.f(a) @ r.f(a)))),
    lambda p, r, w: (tr(Ex(f"{p.text} @ {r.text} @ {w.text}", lambda a: p.f(a) @ r.f(a) @ w.f(a))),
                     tr(Ex(f"{r.text} @ {p.text} @ {w.text}", lambda a: r.f(a) @ p.f(a) @ w.f(a)))),
    lambda p, r, w: (Ex(f"({p.text} @ {r.text}).T", lambda a: (p.f(a) @ r.f(a)).T),
                     Ex(f"{r.text}.T @ {p.text}.T", lambda a: r.f(a).T @ p.f(a).T)),
    lambda p, r, w: (Ex(f"({p.text} @ {r.text}).T", lambda a: (p.f(a) @ r.f(a)).T),
                     Ex(f"{p.text}.T @ {r.text}.T", lambda a: p.f(a).T @ r.f(a).T)),
    lambda p, r, w: (Ex(f"({p.text} @ {r.text}).H", lambda a: (p.f(a) @ r.f(a)).conj().T),
                     Ex(f"{r.text}.H @ {p.text}.H", lambda a: r.f(a).conj().T @ p.f(a).conj().T)),
    lambda p, r, w: (Ex(f"({p.text} + {r.text}) @ {w.text}", lambda a: (p.f(a) + r.f(a)) @ w.f(a)),
                     Ex(f"{p.text} @ {w.text} + {r.text} @ {w.text}",
                        lambda a: p.f(a) @ w.f(a) + r.f(a) @ w.f(a))),
    lambda p, r, w: (Ex(f"({p.text} + {r.text}) @ {w.text}", lambda a: (p.f(a) + r.f(a)) @ w.f(a)),
                     Ex(f"{w.text} @ {p.text} + {w.text} @ {r.text}",
                        lambda a: w.f(a) @ p.f(a) + w.f(a) @ r.f(a))),
    lambda p, r, w: None if not (p.invertible and r.invertible) else (
        Ex(f"inv({p.text} @ {r.text})", lambda a: np.linalg.inv(p.f(a) @ r.f(a))),
        Ex(f"inv({r.text}) @ inv({p.text})", lambda a: np.linalg.inv(r.f(a)) @ np.linalg.inv(p.f(a)))),
    lambda p, r, w: None if not (p.invertible and r.invertible) else (
        Ex(f"inv({p.text} @ {r.text})", lambda a: np.linalg.inv(p.f(a) @ r.f(a))),
        Ex(f"inv({p.text}) @ inv({r.text})", lambda a: np.linalg.inv(p.f(a)) @ np.linalg.inv(r.f(a)))),
    lambda p, r, w: (Ex(f"conj({p.text}).T", lambda a: p.f(a).conj().T), Ex(f"{p.text}.H", lambda a: p.f(a).conj().T)),
    lambda p, r, w: (Ex(f"{p.text}.T", lambda a: p.f(a).T), Ex(f"{p.text}.H", lambda a: p.f(a).conj().T)),
    lambda p, r, w: (p, r),
    lambda p, r, w: (tr(p), tr(Ex(f"{p.text}.T", lambda a: p.f(a).T))),
    lambda p, r, w: (Ex(f"kron({p.text}, {r.text}) @ kron({w.text}, {w.text})",
                        lambda a: np.kron(p.f(a), r.f(a)) @ np.kron(w.f(a), w.f(a))),
                     Ex(f"kron({p.text} @ {w.text}, {r.text} @ {w.text})",
                        lambda a: np.kron(p.f(a) @ w.f(a), r.f(a) @ w.f(a)))),
    lambda p, r, w: (Ex(f"kron({p.text}, {r.text})", lambda a: np.kron(p.f(a), r.f(a))),
                     Ex(f"kron({r.text}, {p.text})", lambda a: np.kron(r.f(a), p.f(a)))),
]


def is_identity(left: Ex, right: Ex) -> bool:
    """numpy's word: equal on three independent instances (to rounding)."""
    for seed in (11, 12, 13):
        arrays = instance(np.random.default_rng(seed))
        lv, rv = np.asarray(left.f(arrays)), np.asarray(right.f(arrays))
        scale = max(1.0, float(np.max(np.abs(lv))), float(np.max(np.abs(rv))))
        if not np.allclose(lv, rv, atol=1e-9 * scale, rtol=1e-9):
            return False
    return True


@st.composite
def equations(draw) -> tuple[Ex, Ex]:
    p, r, w = draw(matrices()), draw(matrices()), draw(matrices())
    made = draw(st.sampled_from(TEMPLATES))(p, r, w)
    if made is None:
        made = (p, p)
    return made


def verdicts(text: str) -> list[str]:
    return [o.status for o in Session().run(DECLS + text)]


@settings(max_examples=40)
@given(equations())
def test_prove_and_check_never_contradict_numpy_on_matrix_equations(eq):
    left, right = eq
    true = is_identity(left, right)
    prove, check = verdicts(f"prove {left.text} == {right.text}\n"
                            f"check {left.text} == {right.text}\n")
    note = f"{left.text} == {right.text} is {'an identity' if true else 'false'} for numpy"
    assert prove in (("proved", "unknown") if true else ("refuted", "unknown")), note
    assert check == ("holds" if true else "refuted"), note
