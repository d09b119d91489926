"""A law of verdicts: multiplying both sides of an equation by the same
nonzero number, however small or large, never changes whether it holds.  The
numeric check scales the exact difference before evaluating, so a true
identity scaled by 1e-400 still holds and a false one scaled by 1e400 is still
refuted (not lost under a tolerance, nor in an overflow)."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from identity_cases import CASES, DECLS
from rewrite.app.session import Session

# Cases whose sides are plain expressions (no `->`), so `c (side)` is the side scaled.
PLAIN = [c for c in CASES if "->" not in c.statement and "diff(" not in c.statement
         and c.family in ("trace", "kron", "kinds", "einsum")]
SESSION = Session()
SESSION.run(DECLS)


def _check(statement: str) -> str:
    [outcome] = SESSION.run(f"check {statement}\n")
    return outcome.status


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=st.sampled_from(PLAIN), exponent=st.integers(-600, 600), mantissa=st.integers(1, 9))
def test_scaling_both_sides_by_one_number_keeps_the_verdict(case, exponent, mantissa):
    left, right = case.statement.split(" == ")
    c = f"{mantissa}e{exponent}"
    scaled = _check(f"{c} ({left}) == {c} ({right})")
    assert scaled == ("holds" if case.truth() else "refuted")
