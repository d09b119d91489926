"""The nesting limit: a default, an option (--max-depth) and a located message."""
import subprocess
import sys

import pytest

from rewrite.core.errors import InputError
from rewrite.core.limits import DEFAULTS
from rewrite.language.parse import parse
from rewrite.app.session import Session


def rewrite(*args):
    return subprocess.run([sys.executable, "-m", "rewrite", *args], capture_output=True,
                          text=True, timeout=120)


def nested(depth: int, inner: str = "A[i, j]", open_: str = "(") -> str:
    return open_ * depth + inner + ")" * depth


# ------------------------------------------------------------------ nesting


@pytest.mark.parametrize("opener", ["(", "relu(", "conj("])
def test_nesting_beyond_the_limit_is_a_located_input_error(opener):
    depth = DEFAULTS.max_depth + 1
    text = "show " + nested(depth, "x", opener)
    with pytest.raises(InputError) as e:
        parse(text)
    assert "nest more than" in e.value.message and "--max-depth" in e.value.message
    assert e.value.line == 1
    # the caret is at the first bracket past the limit
    assert text[e.value.column - 1] == "("
    assert text[:e.value.column].count("(") == depth


@pytest.mark.parametrize("depth", [1_000, 10_000])
def test_thousands_of_parentheses_give_exit_2_never_an_internal_error(tmp_path, depth):
    f = tmp_path / "deep.tn"
    f.write_text("tensor A[i: 2, j: 2]\nshow " + nested(depth) + "\n")
    r = rewrite("run", str(f))
    assert r.returncode == 2, r.stderr
    assert "nest more than" in r.stderr and "Traceback" not in r.stderr


def test_nesting_just_under_the_limit_is_simplified_printed_and_proved():
    depth = DEFAULTS.max_depth - 2  # the index list adds one level
    s = Session()
    [result] = s.run(f"tensor A[i: 2, j: 2]\nprove {nested(depth, 'A[i, j] + A[i, j]')} == 2 A[i, j]")
    assert result.status == "proved"
    [shown] = s.run(f"show {nested(depth, 'A[i, j]', 'relu(')}")
    assert shown.text.count("relu(") == depth


def test_bubbles_nested_through_let_definitions_meet_the_same_limit():
    lines = ["dim n", "real tensor x[i: n]", "let y0 = x[i]"]
    lines += [f"let y{k} = relu(y{k - 1}[i])" for k in range(1, DEFAULTS.max_depth + 2)]
    with pytest.raises(InputError) as e:
        Session().run("\n".join(lines))
    assert "nest more than" in e.value.message
    assert e.value.line == len(lines)


def test_max_depth_option_raises_the_limit(tmp_path):
    f = tmp_path / "deep.tn"
    f.write_text("tensor A[i: 2, j: 2]\nshow " + nested(1_000) + "\n")
    r = rewrite("--max-depth", "1001", "run", str(f))
    assert r.returncode == 0, r.stderr
    assert "A[i, j]" in r.stdout

