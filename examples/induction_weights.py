"""The toy induction head's hand-built weights, written to induction_weights.npz.

Run: python examples/induction_weights.py  (rewrites the .npz next to it)

Following the seed ("Example: toy induction head"): a sequence of
PATTERN_LEN random tokens repeated three times; `match` is the identity (a
semantic delta).  The residual stream has three blocks of `hidden` dimensions:

* E embeds each token into the first block;
* layer 1 (pattern shift(seq), the previous-token head) copies the token block
  into the second block with WOV1, so position t holds token t-1 there;
* layer 2's WQK2 = BETA * (first block against second block) matches the
  query's token with the key's *previous* token, so position t attends to the
  position after an earlier occurrence of its token (K-composition);
* WOV2 copies the attended token into the third block: the prediction.

Tokens are orthonormal, so a match scores exactly BETA and a mismatch 0.
"""
from __future__ import annotations

import pathlib

import numpy as np

PATTERN_LEN, HIDDEN, REPEATS = 6, 8, 3
SEQ, WIDTH = PATTERN_LEN * REPEATS, 3 * HIDDEN
BETA = 20.0


def block(i: int, j: int, scale: float = 1.0) -> np.ndarray:
    """WIDTH x WIDTH: maps block i of the residual stream onto block j."""
    m = np.zeros((WIDTH, WIDTH))
    m[i * HIDDEN:(i + 1) * HIDDEN, j * HIDDEN:(j + 1) * HIDDEN] = scale * np.eye(HIDDEN)
    return m


def weights(seed: int = 0) -> dict[str, np.ndarray]:
    """Every tensor of examples/induction_head.tn by name."""
    rng = np.random.default_rng(seed)
    tokens, _ = np.linalg.qr(rng.standard_normal((HIDDEN, PATTERN_LEN)))
    x = np.tile(tokens.T, (REPEATS, 1))            # (SEQ, HIDDEN), three repeats
    embed = np.zeros((HIDDEN, WIDTH))
    embed[:, :HIDDEN] = np.eye(HIDDEN)
    return {"x": x, "match": np.eye(HIDDEN), "E": embed, "WOV1": block(0, 1),
            "WQK2": block(0, 1, BETA), "WOV2": block(0, 2)}


if __name__ == "__main__":
    out = pathlib.Path(__file__).with_name("induction_weights.npz")
    np.savez(out, **weights())
    print(f"wrote {out}")
