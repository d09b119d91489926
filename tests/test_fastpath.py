"""The parser's fast path reads exactly what lark reads, positions included.

`parse` takes plain lines itself and gives the rest to lark; `parse_lark` gives
every line to lark.  The grammar is the definition, so the two must agree on
every input: same statements with the same positions, or the same error.
"""
import dataclasses
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from rewrite.core.errors import InputError
from rewrite.language import fastpath
from rewrite.language.parse import parse, parse_lark

ROOT = Path(__file__).resolve().parent.parent


def full(x):
    """A node with every field, positions too (syntax equality ignores positions)."""
    if dataclasses.is_dataclass(x):
        return (type(x).__name__,) + tuple((f.name, full(getattr(x, f.name)))
                                           for f in dataclasses.fields(x))
    if isinstance(x, (tuple, list)):
        return tuple(full(y) for y in x)
    return x


def outcome(fn, text):
    try:
        return ("ok", full(fn(text)))
    except InputError as e:
        return ("error", e.message, e.line, e.column)


def agree(text):
    assert outcome(parse, text) == outcome(parse_lark, text)


@pytest.mark.parametrize("path", sorted((ROOT / "examples").glob("*.tn"))
                         + sorted((ROOT / "rules").glob("*.tn")), ids=lambda p: p.name)
def test_shipped_programs_parse_the_same_by_both_paths(path):
    agree(path.read_text(encoding="utf-8"))


def test_fast_path_takes_generated_mps_lines():
    lines = ["isometry A1[l: d, p: d -> r: 2]", "real tensor B[p: n, q: 3]",
             "prove A1[b0, p1, b1] conj(A1)[c0, p1, c1] δ[b0, c0] == A2[a, s]",
             "show X[i] Y", "A[i, j] B[j, k]  # a comment"]
    for k, line in enumerate(lines, 1):
        assert fastpath.statement(line + "\n", 0, len(line), k) is not None, line
    agree("\n".join(lines))


def test_fast_path_leaves_other_lines_to_lark():
    for line in ["show A[i] + B[i]", "show 2 A[i]", "show A @ B", "show A[(i j)]",
                 "show softmax[i](x[i])", "dim n", "show A[i:n]", "draw A[i] to 'x.svg'",
                 "show A[i]B[i]", "show A [i]", "show A[i,j]", "prove A[i]==B[i]",
                 "show (A[i]", "tensor T[]", "show relu(x[i])"]:
        assert fastpath.statement(line + "\n", 0, len(line), 1) is None, line
        agree(line)


def test_statements_spanning_lines_are_read_by_lark_between_fast_lines():
    agree("tensor A[i: 2, j: 2]\nshow A[i,\n  j] A[j, i]\nshow A[i, j]\nshow A[i, j] \\\n A[j, k]\n"
          "show A[i, j]\n")


def test_errors_after_fast_lines_point_at_the_right_line():
    text = "tensor A[i: 2, j: 2]\nshow A[i, j]\nshow A[i, j) B\nshow A[i, j]\n"
    assert outcome(parse, text)[:3] == ("error", "unexpected ')'", 3)
    agree(text)
    agree("show A[i, j]\nshow (A[i, j]\n")


_NAME = st.sampled_from(["i", "A", "ψ", "W_Q", "n", "δ", "to", "show", "softmax", "conj", "real",
                         "tensor", "2", "x1"])
_SEP = st.sampled_from([", ", ",", " ,", ", "])
_GAP = st.sampled_from([" ", "  ", "\t", "", " # c"])


@st.composite
def factor(draw):
    name = draw(_NAME)
    if draw(st.booleans()):
        name = f"{draw(_NAME)}({name})"
    if draw(st.booleans()):
        names = draw(st.lists(_NAME, min_size=0, max_size=3))
        name += "[" + draw(_SEP).join(names) + "]"
    return name


@st.composite
def line(draw):
    kind = draw(st.sampled_from(["bare", "verb", "prove", "decl"]))
    product = lambda: draw(_GAP).join(draw(st.lists(factor(), min_size=1, max_size=4)))  # noqa: E731
    if kind == "bare":
        return product()
    if kind == "verb":
        return draw(st.sampled_from(["show", "simplify", "expand", "cost"])) + " " + product()
    if kind == "prove":
        return f"{draw(st.sampled_from(['prove', 'check']))} {product()} {draw(st.sampled_from(['==', '=']))} {product()}"
    legs = draw(st.lists(st.tuples(_NAME, _NAME), min_size=1, max_size=3))
    body = draw(_SEP).join(f"{a}: {b}" for a, b in legs)
    if draw(st.booleans()):
        body += " -> " + f"{draw(_NAME)}: {draw(_NAME)}"
    kind = draw(st.sampled_from(["tensor", "isometry", "real tensor", "real  unitary", "dim"]))
    return f"{kind} {draw(_NAME)}[{body}]"


@settings(max_examples=100, deadline=None)
@given(st.lists(line(), min_size=1, max_size=4), st.sampled_from(["\n", "\r\n", "\n\n"]))
def test_fast_path_and_lark_agree_on_random_plain_programs(lines, newline):
    agree(newline.join(lines))


def test_fast_path_takes_its_keywords_from_the_grammar():
    from rewrite.language.parse import grammar_text

    for word in ["to", "softmax", "draw", "isometry", "real"]:
        assert f'"{word}"' in grammar_text() and word in fastpath.KEYWORDS


@pytest.mark.parametrize("line", ["A[i] to", "A[i] B[j] softmax[k]", "show A[i] draw",
                                  "isometry real[i: 2]", "tensor tensor[i: 2]",
                                  "real symmetric invertible S[i: 2, j: 2]"])
def test_keywords_in_a_names_place_are_read_by_lark(line):
    assert fastpath.statement(line + "\n", 0, len(line), 1) is None
    agree(line)
