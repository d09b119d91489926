"""The built-in functions are one registry: every entry is documented in
docs/language.md, every elementwise function can be evaluated, has a
derivative `diff` knows (or says it has none), and is offered by the REPL."""
import pathlib
import re

import pytest

from rewrite.app.repl import ReplState
from rewrite.core.functions import ELEMENTWISE, ZERO, lookup
from rewrite.language.expressions import FUNCTIONS
from rewrite.numerics.evaluate import FUNCTIONS as NUMPY_FUNCTIONS

LANGUAGE_MD = (pathlib.Path(__file__).resolve().parent.parent / "docs" / "language.md").read_text(
    encoding="utf-8")


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_every_built_in_function_is_documented(name):
    assert re.search(rf"\b{re.escape(name)}[(\[]", LANGUAGE_MD), name


@pytest.mark.parametrize("name", list(ELEMENTWISE))
def test_every_elementwise_function_is_a_registered_builder_with_numbers(name):
    assert name in FUNCTIONS and name in NUMPY_FUNCTIONS
    assert FUNCTIONS[name].derivative == ELEMENTWISE[name].derivative


@pytest.mark.parametrize("name", list(ELEMENTWISE))
def test_every_derivative_names_an_elementwise_function(name):
    d = ELEMENTWISE[name].derivative
    assert d is None or d == ZERO or lookup(d) is not None


def test_the_repl_completes_every_function_name():
    state = ReplState()
    for name in FUNCTIONS:
        assert name in state.completions("x = " + name[:-1]) or len(name) == 1, name
