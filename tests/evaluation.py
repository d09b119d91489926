"""Evaluate a `show` expression against a program's declarations, for tests
whose ground truth is numpy applied to the same sampled arrays."""
from __future__ import annotations

from rewrite.app.session import Session
from rewrite.language.expressions import build_expr
from rewrite.language.parse import parse
from rewrite.numerics.evaluate import evaluate
from rewrite.numerics.sample import sample_instance


def session_with(decls: str) -> Session:
    """A session that has run the declarations."""
    s = Session()
    s.run(decls)
    return s


def prove_verdict(session: Session, statement: str) -> str:
    """The verdict of `prove statement` in the session; an input error fails the test."""
    [r] = session.run(f"prove {statement}\n")
    assert r.status != "error", r.error.format()
    return r.status


def evaluate_shown(decls: str, text: str, seed: int = 0):
    """(value of `text`, the sampled arrays it was evaluated on)."""
    s = session_with(decls)
    (stmt,) = parse(f"show {text}")
    inst = sample_instance(s.env.decls.values(), seed)
    return evaluate(build_expr(stmt.expr, s.env), inst), inst
