"""The seed's toy induction head: our evaluation against a numpy transcription
of the seed's torch code, on a thrice-repeated random sequence."""
import pathlib

import numpy as np
import pytest

from rewrite.numerics.evaluate import evaluate
from rewrite.app.session import Session
from rewrite.numerics.sample import sample_instance

EXAMPLE = (pathlib.Path(__file__).parent.parent / "examples" / "induction_head.tn").read_text()
PATTERN_LEN, HIDDEN = 6, 768
SEQ = 3 * PATTERN_LEN


def seed_code(x, prev_token_head):
    """The seed's torch code, line by line in numpy."""
    match = np.eye(HIDDEN)
    attn = np.einsum("ah,hg,bg,bc->ca", x, match, x, prev_token_head, optimize=True)
    attn = np.tril(attn) - np.triu(np.ones_like(attn) * 1e5)
    e = np.exp(attn - attn.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@pytest.fixture(scope="module")
def setup():
    text = EXAMPLE.replace("dim seq = 18, hidden = 8", f"dim seq = {SEQ}, hidden = {HIDDEN}")
    s = Session()
    s.load_declarations(text, "induction_head.tn")
    inst = sample_instance(s.env.decls.values(), seed=0)
    x = np.random.default_rng(1).random((PATTERN_LEN, HIDDEN))
    inst.arrays["x"] = np.tile(x, (3, 1))  # repeat 'seq hidden -> (repeat seq) hidden'
    inst.arrays["match"] = np.eye(HIDDEN)
    return s, inst, evaluate(s.env.lets["pattern"], inst)


def test_shift_is_the_previous_token_pattern(setup):
    s, inst, _ = setup
    shift = np.eye(SEQ, k=-1)
    got = evaluate(Session().run(f"dim n = {SEQ}\nshow shift(n)")[0].value, inst)
    assert np.array_equal(got, shift) and all(shift[q, q - 1] == 1 for q in range(1, SEQ))


def test_pattern_equals_the_seeds_code(setup):
    s, inst, ours = setup
    theirs = seed_code(inst.arrays["x"], np.eye(SEQ, k=-1))
    assert np.allclose(ours, theirs, rtol=1e-9, atol=1e-12)


def test_pattern_attends_to_the_token_after_the_previous_occurrence(setup):
    s, inst, ours = setup
    for t in range(PATTERN_LEN, SEQ - 1):  # queries from the second repetition on
        earlier = [j for j in range(t) if j % PATTERN_LEN == (t + 1) % PATTERN_LEN]
        assert set(np.flatnonzero(ours[t] > 0.1)) == set(earlier)
        assert ours[t, earlier].sum() > 0.99


def test_pattern_rows_are_distributions_with_nothing_on_or_above_the_diagonal(setup):
    s, inst, ours = setup
    assert np.allclose(ours.sum(axis=-1), 1)
    for q in range(1, SEQ):  # the seed's mask also hides the diagonal itself
        assert np.all(ours[q, q:] < 1e-12)
