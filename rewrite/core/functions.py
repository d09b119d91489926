"""Elementwise functions: the one table of what a bubble's `fn` may be.

A bubble (`BubbleNode`) applies a function to every entry of its inside.
Which functions exist, what their derivative is (for `diff`'s chain rule),
and how the language documents them is said once, here, in the model layer:
the language's function registry (`language.expressions.FUNCTIONS`) makes a
builder for each entry, `transforms.diff` reads the derivatives, and
`numerics.evaluate` and `views.export` give each name its numpy / torch code
(a test checks that they cover this table).
"""
from __future__ import annotations

from dataclasses import dataclass


ZERO = "0"


@dataclass(frozen=True)
class Elementwise:
    """One elementwise function.  `derivative` names another entry (the
    bubble `diff` writes for f'), or ZERO when f' is zero almost everywhere,
    or None when no derivative is known (diff then refuses, saying so)."""

    name: str
    derivative: str | None
    help: str
    user: bool = True  # False: written by `diff` (a derivative), still legal input


ELEMENTWISE: dict[str, Elementwise] = {e.name: e for e in (
    Elementwise("relu", "step", "max(x, 0), entry by entry"),
    Elementwise("gelu", "dgelu", "GELU (tanh approximation), entry by entry"),
    Elementwise("exp", "exp", "e^x, entry by entry"),
    Elementwise("tanh", "dtanh", "tanh x, entry by entry"),
    Elementwise("sigmoid", "dsigmoid", "1 / (1 + e^-x), entry by entry"),
    Elementwise("step", ZERO, "Heaviside step (relu's derivative), entry by entry", user=False),
    Elementwise("dtanh", None, "1 - tanh² x (tanh's derivative), entry by entry", user=False),
    Elementwise("dsigmoid", None, "σ(x)(1 - σ(x)) (sigmoid's derivative), entry by entry",
                user=False),
    Elementwise("dgelu", None, "gelu's derivative, entry by entry", user=False),
)}
