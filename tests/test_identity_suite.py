"""Hand-written identities of every family a user brings (tests/identity_cases.py),
each judged by numpy written from the mathematics: a true one is `proved` (or,
where the case names the missing law, `unknown`), a false one is `refuted`.
A wrong `proved` or `refuted` here is the worst bug the product can have."""
from __future__ import annotations

import pytest

from evaluation import prove_verdict, session_with
from identity_cases import CASES, DECLS, Case
from rewrite.app.session import Session


@pytest.fixture(scope="module")
def session() -> Session:
    return session_with(DECLS)


def _verdict(session: Session, case: Case) -> str:
    return prove_verdict(session, case.statement)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.family}: {c.statement[:60]}")
def test_the_verdict_agrees_with_numpy(session, case):
    verdict = _verdict(session, case)
    if not case.truth():
        assert verdict == "refuted"
    elif case.gap:
        assert verdict in ("proved", "unknown"), case.gap
    else:
        assert verdict == "proved"


def test_the_suite_holds_both_true_and_false_identities_in_every_family():
    families = {c.family for c in CASES}
    for family in families:
        truths = {c.truth() for c in CASES if c.family == family}
        assert truths == {True, False}, family
    assert len(CASES) >= 150
