"""Hostile use of the command line: a reader that closes the pipe while help is
written, and syntax errors that must say what would have been accepted."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from rewrite.app.session import Session
from rewrite.core.errors import InputError

DECLS = "dim n = 3\ntensor A[i: n, j: n]\ntensor B[i: n, j: n]\n"


@pytest.mark.skipif(not hasattr(signal, "SIGPIPE"), reason="no SIGPIPE on this system")
@pytest.mark.parametrize("args", [["--help"], ["run", "--help"], ["prove", "-h"], ["--version"]])
def test_help_written_to_a_closed_pipe_ends_quietly_by_sigpipe(args):
    # The reader closes the pipe before anything is written (`rewrite --help | true`).
    read, write = os.pipe()
    os.close(read)
    p = subprocess.run([sys.executable, "-m", "rewrite", *args], stdout=write,
                       stderr=subprocess.PIPE, text=True)
    os.close(write)
    assert p.returncode == -signal.SIGPIPE  # 141 in a shell, as for every other command
    assert p.stderr == ""


def _message(statement: str) -> str:
    with pytest.raises(InputError) as e:
        Session().run(DECLS + statement + "\n")
    return e.value.message


@pytest.mark.parametrize("statement, message", [
    ("show A - - B", "unexpected '-': expected an expression (a name, a number, a call or '(')"),
    ("show A @ @ B", "unexpected '@': expected an expression"),
    ("show 2 * * A", "unexpected '*': expected an expression"),
    ("prove A == == B", "unexpected '==': expected an expression"),
    ("show A +", "unexpected end of line: expected an expression"),
    ("show A B ==", "unexpected '==': expected the end of the line"),
    ("dim p q", "unexpected name 'q': expected ',', '=' or the end of the line"),
    ("tensor C[i n]", "unexpected name 'n': expected ':'"),
    ("let = A", "unexpected '=': expected a name"),
    ("show A[i, j] -> ", "unexpected end of line: expected '['"),
    ("draw A to B", "unexpected name 'B': expected a string"),
    ("function f(x)", "unexpected name 'x': expected a size"),
])
def test_a_syntax_error_says_what_was_expected_there(statement, message):
    assert _message(statement).startswith(message)


def test_the_expected_list_is_left_out_when_it_would_be_too_long_to_help():
    # After `relu(` almost anything may come; the message stays one short line.
    message = _message("show relu(,)")
    assert message.startswith("unexpected ','") and message.count(",") <= 6


def test_a_byte_that_is_not_utf8_piped_into_the_repl_is_named_as_a_byte():
    p = subprocess.run([sys.executable, "-m", "rewrite", "repl"], input=b"dim n\n\xff\xfe\n",
                       capture_output=True)
    out = (p.stdout + p.stderr).decode("utf-8", "replace")
    assert "unexpected character byte 0xFF (the input is not UTF-8 text)" in out
    assert p.returncode == 0 and "Traceback" not in out


def test_a_failed_redeclaration_does_not_block_the_name_that_still_stands():
    # `tensor n` fails (n is a dim), but the dim n is fine: what uses it runs.
    program = "dim n\ntensor n[i: n]\ntensor A[i: n, j: n]\nshow A[i, i]\n"
    outcomes = Session(keep_going=True).run(program)
    assert [o.status for o in outcomes] == ["error", "ok"]
    assert outcomes[-1].text.strip() == "A[i, i]"


def test_a_failed_first_declaration_still_blocks_what_uses_it():
    outcomes = Session(keep_going=True).run("dim n\ntensor A[i: n, j: q]\nshow A[i, j]\n")
    assert [o.status for o in outcomes] == ["error", "skipped"]


@pytest.mark.parametrize("declaration", ["tensor to[i: n]", "tensor boxed[i: n]",
                                         "tensor softmax[i: n]", "dim to", "function boxed",
                                         "let to = A[i, j]"])
def test_a_keyword_that_can_follow_a_factor_cannot_be_declared(declaration):
    # Declared, `v[i] to[i]` would read as `draw ... to`: refused where it is declared.
    message = _message(declaration)
    assert "is a keyword of the language" in message and "choose another name" in message


@pytest.mark.parametrize("kind", ["tensor", "isometry", "unitary", "orthogonal"])
def test_a_kind_word_used_as_a_tensor_name_is_named_as_such(kind):
    with pytest.raises(InputError) as e:
        Session().run(f"dim n\ntensor {kind}[i: n]\n")
    assert e.value.message == (f"'{kind}' is a kind word of the language: it cannot name a "
                               "tensor; choose another name")
    assert (e.value.line, e.value.column) == (2, 8)
