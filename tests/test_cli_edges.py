"""The command line at its edges: closed pipes, huge and odd files, located
messages everywhere (colon commands too), near-name hints, and how `--expect`
and `--arrays` report themselves."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import numpy as np
import pytest

from rewrite.app.repl import ReplState
from rewrite.app.session import Session
from rewrite.core.errors import InputError, near, source_lines

DECLS = "dim n = 3\ntensor A[i: n, j: n]\ntensor B[i: n, j: n]\nreal tensor v[i: n]\n"


def rewrite(*args, cwd=None, stdin=None):
    return subprocess.run([sys.executable, "-m", "rewrite", *args], capture_output=True,
                          text=True, cwd=cwd, input=stdin)


def lines(repl: ReplState, *inputs: str) -> list[str]:
    return [repl.handle(x) for x in inputs]


# ------------------------------------------------------------- closed stdout


@pytest.mark.skipif(not hasattr(signal, "SIGPIPE"), reason="no SIGPIPE on this system")
@pytest.mark.parametrize("args", [["run", "P"], ["run", "P", "--json"], ["repl"], ["rules"]])
def test_a_reader_that_goes_away_ends_the_command_quietly_by_sigpipe(tmp_path, args):
    program = tmp_path / "p.tn"
    program.write_text(DECLS + "show A[i, j] B[j, k]\n" * 3000, encoding="utf-8")
    args = [str(program) if a == "P" else a for a in args]
    stdin = DECLS + "A[i, j]\n" * 3000 if args == ["repl"] else None
    # The reader closes the pipe before anything is written: the first write fails.
    read, write = os.pipe()
    os.close(read)
    p = subprocess.run([sys.executable, "-m", "rewrite", *args], stdout=write,
                       stderr=subprocess.PIPE, text=True, input=stdin)
    os.close(write)
    assert p.returncode == -signal.SIGPIPE  # a shell shows 141, as for `yes | head -1`
    assert p.stderr == ""


# --------------------------------------------------------------- big files


def test_many_statements_with_long_comments_run_in_one_pass_over_the_lines(tmp_path):
    program = tmp_path / "p.tn"
    program.write_text(DECLS + ("show v[i]  # " + "x" * 200 + "\n") * 2000, encoding="utf-8")
    r = rewrite("run", str(program))
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("\n  v[i]\n") == 2000  # each result once, without its comment


def test_a_summary_of_thousands_of_failures_names_ten_lines_and_counts_the_rest(tmp_path):
    program = tmp_path / "p.tn"
    program.write_text(DECLS + "show w[i]\n" * 500, encoding="utf-8")
    r = rewrite("run", str(program))
    assert r.returncode == 2
    summary = r.stderr.strip().splitlines()[-1]
    assert summary == "500 statements failed (lines 5, 6, 7, 8, 9, 10, 11, 12, 13, 14 and 490 more)"


def test_lines_are_split_at_newlines_only_as_the_parser_counts_them():
    text = "a\x0cb\u2028c\r\nd\n"
    assert source_lines(text) == ("a\x0cb\u2028c", "d", "")


@pytest.mark.parametrize("odd", ["\x0c", "\u2028", "\x1c", "\x85", "\r"])
def test_an_error_after_an_odd_line_separator_in_a_comment_shows_its_own_line(tmp_path, odd):
    program = tmp_path / "p.tn"
    program.write_text(f"dim n\n# one{odd}two\ntensor A[i: n]\nshow B[i]\n", encoding="utf-8",
                       newline="")
    r = rewrite("run", str(program))
    assert r.returncode == 2
    assert re.search(r"p\.tn:4:6: error: unknown name 'B'.*\n    show B\[i\]\n         \^",
                     r.stderr), r.stderr


# ------------------------------------------------------------- near names


@pytest.mark.parametrize("statement, hint", [
    ("show Aa[i, j]", "unknown name 'Aa' (did you mean 'A'?)"),
    ("show a[i, j]", "unknown name 'a' (did you mean 'A'?)"),
    ("show relu2(v[i])", "unknown function 'relu2' (did you mean 'relu'?)"),
    ("show sofmax(v[i])", "unknown function 'sofmax' (did you mean 'softmax'?)"),
    ("tensor C[i: nn]", "unknown size 'nn' (did you mean 'n'?)"),
    ("show inv(Bb)", "unknown name 'Bb' (did you mean 'B'?)"),
    ("rule r(X: tensor): Aa[i, j] => X[i, j]", "unknown name 'Aa' (did you mean 'A'?)"),
])
def test_an_unknown_name_suggests_the_near_declared_one(statement, hint):
    with pytest.raises(InputError) as e:
        Session().run(DECLS + statement + "\n")
    assert hint in e.value.message


def test_a_name_like_nothing_declared_gets_no_guess():
    assert near("zzzz", ["A", "B", "relu"]) == ""


def test_a_case_slip_is_near_whatever_the_length():
    assert near("u", ["U", "V"]) == " (did you mean 'U'?)"


# --------------------------------------------------------- REPL colon commands


def test_an_unclosed_quote_in_a_file_name_is_located_at_the_quote():
    out = ReplState().handle(':load "my file.tn')
    assert out.splitlines() == [
        '<input>:1:7: error: unclosed quote: the file name has no closing "',
        '    :load "my file.tn',
        "          ^"]


def test_colon_command_errors_underline_the_argument_or_the_command():
    repl = ReplState()
    lines(repl, DECLS, "A[i, j]")
    assert repl.handle(":load").splitlines()[1:] == ["    :load", "    ^^^^^"]
    out = repl.handle(":gauge Aa on i").splitlines()
    assert out[0] == "<input>:1:8: error: unknown tensor 'Aa' (did you mean 'A'?)"
    assert out[2] == "           ^^"
    out = repl.handle(":apply unitry").splitlines()
    assert out[0].startswith("<input>:1:8: error: no rule named 'unitry' (did you mean 'unitary'?)")


def test_the_file_size_limit_reaches_repl_load(tmp_path):
    program = tmp_path / "d.tn"
    program.write_text(DECLS, encoding="utf-8")
    r = rewrite("--max-file-size", "0.00001", "repl", stdin=f":load {program}\n")
    assert r.returncode == 0
    assert "over the file size limit of 10 bytes (raise it with --max-file-size)" in r.stdout
    r = rewrite("repl", stdin=f":load {program}\nA[i, j]\n")
    assert "error" not in r.stdout


# ------------------------------------------------------------------ --expect


def test_a_stated_verdict_on_a_declaration_line_is_one_mismatch_worded_so(tmp_path):
    program = tmp_path / "p.tn"
    program.write_text("dim n  # expect: proved\n", encoding="utf-8")
    r = rewrite("run", "--expect", str(program))
    assert r.returncode == 1
    assert "p.tn:1: expected proved, but no command is on this line" in r.stderr
    assert r.stderr.strip().splitlines()[-1] == (
        "1 mismatch between stated and given verdicts (0 statements with a result, "
        "1 stated verdict)")


# ------------------------------------------------------------------- --arrays


def test_check_file_with_arrays_compares_checks_on_them_and_notes_proofs_ignore_them(tmp_path):
    weights = tmp_path / "w.npz"
    np.savez(weights, A=2 * np.eye(3), B=np.arange(9.0).reshape(3, 3))
    program = tmp_path / "p.tn"
    program.write_text(DECLS + "check A @ B == B @ A\nprove A @ B == B @ A\n", encoding="utf-8")
    r = rewrite("check", str(program), "--arrays", str(weights))
    # On these arrays A = 2I commutes with B; as an identity for all arrays it is false.
    assert "holds: equal on w.npz" in r.stdout
    assert "refuted" in r.stdout.split("[6]")[1]
    assert ("note: prove is about every array, so w.npz was not used for the prove "
            "statement (line 6); write check to compare on your arrays") in r.stderr


# ----------------------------------------------------- every function, every form

FORMS = ["{f}(v[i])", "{f}()", "{f}(v[i], v[i])", "{f}[i](v[i])", "{f}(v[i])[j]", "{f}",
         "{f}[i]", "{f}(A)", "{f}(A, 'i j -> j i')", "{f}(2)", "{f}(v[i]).T", "{f}''(v[i])"]


def _function_names() -> list[str]:
    from rewrite.language.expressions import function_names

    return sorted(set(function_names()) | {"eye", "ones", "tr", "kron", "inv", "conj", "diag",
                                           "diff", "einsum", "pow"})


@pytest.mark.parametrize("name", _function_names())
def test_every_function_in_every_call_form_gives_a_result_or_a_located_error(name):
    # softmax(EXPR) without its axis was an internal error; every builder must
    # meet every shape of call the grammar lets through.
    for form in FORMS:
        text = DECLS + f"show {form.format(f=name)}\n"
        try:
            Session().run(text)
        except InputError as e:
            assert e.line == 5 and e.column, (form, e.format())


# ------------------------------------------------------ messages in the user's words


def _message(statement: str, decls: str = DECLS) -> str:
    with pytest.raises(InputError) as e:
        Session().run(decls + statement + "\n")
    return e.value.message


@pytest.mark.parametrize("statement, message", [
    ("show A[i, j]\u200b", "unexpected character U+200B (zero width space)"),
    ("show A[i,\u00a0j]", "unexpected character U+00A0 (no-break space)"),
    ("show 'abc'", "unexpected string 'abc'"),
    ("show A[i j]", "expected ',' or ']' before 'j' (indices are separated by commas"),
    ("show \uff21[i, j]", "unknown name '\uff21' (did you mean 'A'? '\uff21' is a look-alike character)"),
])
def test_syntax_and_name_errors_say_what_is_wrong_in_the_users_words(statement, message):
    assert _message(statement).startswith(message)


def test_a_size_mismatch_in_matrix_notation_names_no_index_the_user_never_wrote():
    message = _message("show eye(n) @ eye(m)", "dim n, m\n")
    assert message.startswith("size mismatch where matrix notation joins two legs")
    assert "index" not in message


# ------------------------------------------------------------------- options


@pytest.mark.parametrize("option", ["--max-memory", "--max-file-size", "--search-seconds"])
@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "0", "-1", "abc"])
def test_a_limit_that_is_not_a_positive_finite_number_is_a_usage_error(tmp_path, option, value):
    program = tmp_path / "p.tn"
    program.write_text(DECLS + "show A @ v\n", encoding="utf-8")
    r = rewrite(option, value, "run", str(program))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert f"Invalid value for '{option}'" in r.stderr


@pytest.mark.parametrize("arg", ["", "   "])
def test_an_empty_expression_argument_is_a_usage_error(arg):
    r = rewrite("prove", arg)
    assert r.returncode == 2
    assert "the FILE|EXPR argument is empty" in r.stderr


def test_a_huge_file_size_limit_reads_files_as_usual(tmp_path):
    program = tmp_path / "p.tn"
    program.write_text(DECLS + "show A @ v\n", encoding="utf-8")
    r = rewrite("--max-file-size", "1e300", "run", str(program))
    assert r.returncode == 0 and "A[a, j] v[j]" in r.stdout


def test_past_the_syntax_error_limit_the_errors_stay_reported_and_the_rest_is_named(tmp_path):
    program = tmp_path / "p.tn"
    program.write_text(DECLS + "show v[i]\n" + "show v[i\n" * 120, encoding="utf-8")
    r = rewrite("run", str(program))
    assert r.returncode == 2
    assert r.stdout.count("error: missing ']'") == 100
    assert "[5] show v[i]\n  v[i]" in r.stdout  # the statement before still ran
    assert ("p.tn:106:1: error: too many syntax errors: 100 reported, so lines 106-125 were "
            "not read (fix those first)") in r.stdout


def test_repl_load_goes_on_after_a_files_errors_as_run_does(tmp_path):
    program = tmp_path / "r.tn"
    program.write_text("dim n\ntensor A[i: n, j: n]\nshow B\nshow A[i\nshow A @ A\n",
                       encoding="utf-8")
    repl = ReplState()
    out = repl.handle(f":load {program}")
    assert "r.tn:3:6: error: unknown name 'B'" in out
    assert "r.tn:4:7: error: missing ']'" in out
    assert "A[a, j] A[j, b]" in out  # the statement after the errors ran
    assert repl.handle("A[i, j]") == "A[i, j]"  # and the declarations before them stayed
