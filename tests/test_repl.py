"""The REPL, driven headlessly: `ReplState.handle` for the command logic, and
prompt_toolkit's pipe input for one end-to-end session through `run_repl`."""
from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, strategies as st

from rewrite.app.repl import ReplState, highlight, history_path, run_repl
from rewrite.app.session import Session

DECLS = [
    "dim n",
    "invertible X[a: n, b: n]",
    "tensor A[i: n, j: n]",
    "unitary Q[a: n -> b: n]",
]


@pytest.fixture
def repl() -> ReplState:
    s = ReplState()
    for line in DECLS:
        assert s.handle(line) == ""
    return s


def run_lines(s: ReplState, *lines: str) -> list[str]:
    return [s.handle(line) for line in lines]


def replay(path) -> list:
    """What `rewrite run FILE` computes for a saved file."""
    return Session().run(path.read_text(encoding="utf-8"), str(path))


# ------------------------------------------------------------ statements


def test_declarations_accumulate_and_print_nothing(repl):
    assert set(repl.names()) >= {"n", "X", "A", "Q"}
    assert repl.declarations == DECLS


def test_a_bare_expression_becomes_current(repl):
    out = repl.handle("A[i, j] A[j, k]")
    assert out == "A[i, j] A[j, k]"
    assert repl.handle(":show") == "A[i, j] A[j, k]"


def test_commands_print_their_results_like_run(repl):
    out = repl.handle("prove Q[a, b] conj(Q)[c, b] == δ[a: n, c]")
    assert out.startswith("proved")
    assert "unitary" in out  # the step is listed


def test_error_prints_with_caret_and_the_session_continues(repl):
    out = repl.handle("A[i, j] B[j, k]")
    assert "error" in out and "B" in out and "^" in out
    assert repl.handle("A[i, j]") == "A[i, j]"


def test_syntax_error_points_at_the_missing_bracket(repl):
    out = repl.handle("A[i, j")
    assert "missing ']'" in out
    assert out.splitlines()[-1].strip() == "^"


def test_unknown_command_is_reported_not_raised(repl):
    assert "unknown command ':frobnicate'" in repl.handle(":frobnicate")


def test_commands_needing_a_current_diagram_say_so(repl):
    for cmd in (":show", ":simplify", ":step", ":matches", ":history", ":expand"):
        assert "no current diagram" in repl.handle(cmd), cmd


def test_load_adds_declarations_and_runs_commands(tmp_path):
    f = tmp_path / "decls.tn"
    f.write_text("dim n\ntensor B[i: n, j: n]\nshow B[i, j] B[j, k]\n", encoding="utf-8")
    s = ReplState()
    out = s.handle(f":load {f}")
    assert out == "B[i, j] B[j, k]"
    assert "B" in s.names()
    assert s.declarations == ["dim n", "tensor B[i: n, j: n]"]


def test_an_open_bracket_joins_lines_into_one_statement(repl):
    assert repl.handle("(A[i, j]\n A[j, k])") == "A[i, j] A[j, k]"
    assert repl.handle("A[i, j]\nA[j, k]") == "A[i, j]\nA[j, k]"  # two statements


# ------------------------------------------------------- working on a diagram


def test_step_applies_exactly_one_rewrite(repl):
    repl.handle("A[i, j] X[j, k] inv(X)[k, l] Q[l, m] conj(Q)[p, m]")
    out = repl.handle(":step")
    assert out.splitlines()[0].startswith(("inverse at", "unitary at"))
    assert len(repl.proof_steps()) == 1
    repl.handle(":step")
    assert repl.handle(":show") == "A[i, p]"
    assert repl.handle(":step").startswith("already in normal form")


def test_simplify_prints_every_step_and_the_normal_form(repl):
    repl.handle("A[i, j] X[j, k] inv(X)[k, l] Q[l, m] conj(Q)[p, m]")
    out = repl.handle(":simplify")
    assert "1. " in out and "2. " in out
    assert out.splitlines()[-1] == "= A[i, p]"


def test_matches_are_numbered_per_rule_with_printed_index_names(repl):
    repl.handle("X[i, j] inv(X)[j, k] X[k, l] inv(X)[l, m]")
    shown = repl.handle(":show")
    assert shown == "X[i, j] inv(X)[j, k] X[k, l] inv(X)[l, m]"
    out = repl.handle(":matches").splitlines()
    assert out[out.index("inverse") + 1] == "  1. X[i, j] inv(X)[j, k]"
    assert out[out.index("inverse") + 2] == "  2. X[k, l] inv(X)[l, m]"
    assert out[out.index("inverse_left") + 1] == "  1. inv(X)[j, k] X[k, l]"


def test_apply_takes_the_nth_match_of_the_rule(repl):
    repl.handle("X[i, j] inv(X)[j, k] X[k, l] inv(X)[l, m]")
    out = repl.handle(":apply inverse 2")
    assert out.splitlines()[0] == "inverse at X[k, l] inv(X)[l, m]"
    assert repl.handle(":show") == "X[i, j] inv(X)[j, m]"


def test_apply_refuses_a_match_number_out_of_range(repl):
    repl.handle("X[i, j] inv(X)[j, k]")
    assert "has 1 match(es)" in repl.handle(":apply inverse 3")
    assert repl.handle(":show") == "X[i, j] inv(X)[j, k]"


def test_apply_converse_rule_grows_the_diagram(repl):
    assert repl.handle("rule absorb: Q[a, b] conj(Q)[c, b] A[c, d] => A[a, d]") == ""
    repl.handle("A[i, k]")
    out = repl.handle(":apply -absorb")
    assert out.splitlines()[-1] == "= Q[i, a] conj(Q)[b, a] A[b, k]"


def test_apply_converse_that_needs_a_tensor_points_to_gauge(repl):
    repl.handle("A[i, j]")
    out = repl.handle(":apply -inverse")
    assert "error" in out and "internal" not in out


def test_gauge_inserts_on_an_internal_wire_named_as_shown(repl):
    repl.handle("A[i, j] A[j, k]")
    assert repl.handle(":show") == "A[i, j] A[j, k]"
    out = repl.handle(":gauge X on j")
    # the wire is cut in two: one end keeps j, the other is visibly renamed jʹ
    assert out.splitlines()[-1] == "= A[i, j] A[jʹ, k] X[j, a] inv(X)[a, jʹ]"


def test_gauge_on_a_free_leg_keeps_the_free_legs(repl):
    repl.handle("A[i, j]")
    repl.handle(":gauge X on j")
    assert repl.current.free == ("i", "j")
    assert "X[" in repl.handle(":show")


def test_gauge_refuses_an_unknown_index_and_a_non_invertible(repl):
    repl.handle("A[i, j]")
    assert "no index 'z'" in repl.handle(":gauge X on z")
    assert "not invertible" in repl.handle(":gauge A on i")


def test_expand_distributes_a_parenthesised_sum(repl):
    repl.handle("(A[i, j] + X[i, j]) A[j, k]")
    assert repl.handle(":expand").endswith("(2 terms)")
    assert len(repl.current.terms) == 2


# -------------------------------------------------------------- undo, history


def test_undo_and_redo_walk_the_timeline(repl):
    repl.handle("A[i, j] X[j, k] inv(X)[k, l]")
    before = repl.handle(":show")
    repl.handle(":simplify")
    after = repl.handle(":show")
    assert repl.handle(":undo").endswith(before)
    assert repl.handle(":show") == before
    assert repl.handle(":redo").endswith(after)
    assert repl.handle(":show") == after


def test_a_new_action_clears_redo(repl):
    repl.handle("A[i, j] X[j, k] inv(X)[k, l]")
    repl.handle(":step")
    repl.handle(":undo")
    repl.handle(":gauge X on i")
    assert "nothing to redo" in repl.handle(":redo")


@pytest.mark.parametrize("start, action", [
    ("X[i, j] inv(X)[j, k] A[k, l]", ":apply inverse"),
    ("A[i, j] A[j, k]", ":gauge X on j"),
    ("(A[i, j] + X[i, j]) A[j, k]", ":expand"),
    ("A[i, j]", ":set X[i, j] A[j, k]"),
])
def test_undo_takes_back_each_kind_of_action_and_redo_replays_it(repl, start, action):
    repl.handle(start)
    before = repl.handle(":show")
    out = repl.handle(action)
    assert "error" not in out
    after = repl.handle(":show")
    assert after != before
    assert repl.handle(":undo").endswith(before) and repl.handle(":show") == before
    assert repl.handle(":redo").endswith(after) and repl.handle(":show") == after


def test_undo_after_load_returns_to_the_diagram_before_the_file(repl, tmp_path):
    f = tmp_path / "more.tn"
    f.write_text("dim m\ntensor B[i: m, j: m]\nB[i, j] B[j, k]\n", encoding="utf-8")
    repl.handle("A[i, j]")
    repl.handle(":load " + str(f))
    assert repl.handle(":show") == "B[i, j] B[j, k]"
    repl.handle(":undo")
    assert repl.handle(":show") == "A[i, j]"
    assert "B" in repl.names()  # declarations are not undone, only the current diagram
    repl.handle(":redo")
    assert repl.handle(":show") == "B[i, j] B[j, k]"


@pytest.mark.parametrize("command, message", [
    (":apply", "usage: :apply RULE [N]"),
    (":apply inverse 1 2", "usage: :apply RULE [N]"),
    (":apply nosuchrule", "no rule named 'nosuchrule'"),
    (":apply inverse x", "'x' is not a match number"),
    (":apply inverse 0", "has 1 match(es); choose 1 to 1"),
    (":apply isometry", "isometry does not match the current diagram"),
    (":apply gauge", "matches any wire and needs a tensor to insert"),
])
def test_apply_errors_say_why_and_leave_the_diagram_unchanged(repl, command, message):
    repl.handle("X[i, j] inv(X)[j, k]")
    before = repl.handle(":show")
    out = repl.handle(command)
    assert "error" in out and message in out and "internal" not in out
    assert repl.handle(":show") == before
    assert "nothing to redo" in repl.handle(":redo")


def test_apply_without_a_current_diagram_says_so(repl):
    assert "no current diagram" in repl.handle(":apply inverse")


def test_undo_with_nothing_done_says_so(repl):
    assert "nothing to undo" in repl.handle(":undo")


def test_history_reads_as_a_proof(repl):
    repl.handle("A[i, j] X[j, k] inv(X)[k, l]")
    repl.handle(":simplify")
    repl.handle(":gauge X on i")
    lines = repl.handle(":history").splitlines()
    assert lines[0] == "start:   A[i, j] X[j, k] inv(X)[k, l]"
    assert lines[1].strip().startswith("1. inverse at")
    assert any(l.strip().startswith("2. gauge X at i") for l in lines)
    assert lines[-1].startswith("current: ")


# -------------------------------------------------------------------- saving


def test_scripted_session_saves_a_file_that_run_proves(tmp_path):
    """Declare, simplify step by step, undo, gauge, save; `rewrite run` proves it."""
    s = ReplState()
    f = tmp_path / "session.tn"
    outs = run_lines(
        s, *DECLS,
        "A[i, j] X[j, k] inv(X)[k, l] Q[l, m] conj(Q)[p, m]",
        ":step", ":step", ":undo", ":step",
        ":gauge X on p",
        f":save {f}",
    )
    assert not any("error" in o for o in outs), outs
    text = f.read_text(encoding="utf-8")
    assert text.count("prove ") == 1
    results = replay(f)
    assert [r.status for r in results] == ["proved"]


def test_saved_file_replays_through_the_command_line(tmp_path):
    s = ReplState()
    f = tmp_path / "cli.tn"
    run_lines(s, *DECLS, "A[i, j] A[j, k]", ":gauge X on j", ":gauge X on i", f":save {f}")
    proc = subprocess.run([sys.executable, "-m", "rewrite", "run", str(f)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "proved" in proc.stdout


def test_saved_file_keeps_user_rules_and_lets(tmp_path):
    s = ReplState()
    f = tmp_path / "lets.tn"
    run_lines(s, *DECLS, "let M[i, k] = A[i, j] A[j, k]", "M[x, y] X[y, z] inv(X)[z, w]",
              ":simplify", f":save {f}")
    assert "let M[i, k] = A[i, j] A[j, k]" in f.read_text(encoding="utf-8")
    assert [r.status for r in replay(f)] == ["proved"]


def test_save_without_a_current_diagram_is_an_error(tmp_path, repl):
    assert "no current diagram" in repl.handle(f":save {tmp_path / 'x.tn'}")


def test_draw_writes_an_svg(tmp_path, repl):
    repl.handle("A[i, j] A[j, k]")
    target = tmp_path / "pic.svg"
    assert repl.handle(f":draw {target}") == f"wrote {target}"
    assert target.read_text(encoding="utf-8").lstrip().startswith("<?xml")


# ---------------------------------------------------------------- completion


def test_completion_of_commands(repl):
    assert repl.completions(":ga") == [":gauge"]
    assert ":undo" in repl.completions(":u")


def test_completion_of_declared_names_and_functions(repl):
    repl.handle("let Mat = A[i, j] A[j, k]")
    assert repl.completions("A[i, j] Ma") == ["Mat"]
    assert "conj" in repl.completions("co")


def test_completion_of_rules_after_apply(repl):
    assert repl.completions(":apply inv") == ["inverse", "inverse_conj", "inverse_left",
                                              "inverse_left_conj"]
    assert repl.completions(":apply -unit") == ["-unitary", "-unitary_inverse",
                                                "-unitary_inverse_conj", "-unitary_real"]


def test_completion_of_gauge_tensors_and_indices(repl):
    repl.handle("A[i, j] A[j, k]")
    assert repl.completions(":gauge ") == ["Q", "X"]  # unitaries are invertible
    assert repl.completions(":gauge X on ") == ["i", "j", "k"]


# --------------------------------------------------------------- highlighting


def test_highlighting_styles_keywords_tensors_and_numbers():
    frags = dict((text, style) for style, text in highlight("prove A[i] == 2 A[i]", {"A"}))
    assert frags["prove"] == "class:keyword"
    assert frags["A"] == "class:tensor"
    assert frags["2"] == "class:number"
    assert frags["=="] == "class:operator"


def test_highlighting_styles_only_known_functions_as_functions():
    frags = dict((text, style) for style, text in highlight("relu(A[i]) frob(A[i])", {"A"}))
    assert frags["relu"] == "class:function"
    assert frags["frob"] == "class:name"


def test_highlighting_marks_a_meta_command():
    assert highlight(":gauge X on a")[0] == ("class:command", ":gauge")


@given(st.text(alphabet="AXδ[](),:'\"#=->@*/ \n12abcprovedimlet$", max_size=40))
def test_highlighting_never_raises_and_covers_the_input(text):
    assert "".join(t for _, t in highlight(text, {"A"})) == text


# ------------------------------------------------------- through prompt_toolkit


def test_history_file_location_is_overridable(monkeypatch, tmp_path):
    monkeypatch.setenv("PENROSE_REWRITE_HISTORY", str(tmp_path / "h"))
    assert history_path() == tmp_path / "h"
    monkeypatch.delenv("PENROSE_REWRITE_HISTORY")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert history_path() == tmp_path / "state" / "penrose-rewrite" / "history"


def test_end_to_end_through_prompt_toolkit(monkeypatch, tmp_path):
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    hist = tmp_path / "history"
    monkeypatch.setenv("PENROSE_REWRITE_HISTORY", str(hist))
    saved = tmp_path / "out.tn"
    printed: list[str] = []
    script = "\r".join([
        *DECLS,
        "",                                   # Enter on an empty line does nothing
        "A[i, j] X[j, k]",                    # an open bracket continues the statement
        "  inv(X)[k, l]",
        ":simplify",
        f":save {saved}",
        ":quit",
    ]) + "\r"
    # The continued statement is written with its bracket open across the line break.
    script = script.replace("A[i, j] X[j, k]\r", "(A[i, j] X[j, k]\r").replace(
        "inv(X)[k, l]\r", "inv(X)[k, l])\r")
    with create_pipe_input() as inp:
        inp.send_text(script)
        code = run_repl(None, input=inp, output=DummyOutput(), write=printed.append)
    assert code == 0
    assert "= A[i, l]" in "\n".join(printed)
    assert [r.status for r in replay(saved)] == ["proved"]
    entries = hist.read_text(encoding="utf-8")
    assert ":simplify" in entries and "inv(X)[k, l])" in entries


# ------------------------------------------------------------ from a pipe


def test_piped_session_prints_a_transcript_without_terminal_codes():
    script = ("dim n\ntensor A[i: n, j: n]\nlet M = A[i,\n  j] A[j, k]\n\n"
              "M\n:show\nshow Z\n:quit\nshow A\n")
    r = subprocess.run([sys.executable, "-m", "rewrite", "repl"], input=script,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0
    assert "\x1b" not in r.stdout  # no prompt_toolkit painting
    assert "tn> let M = A[i,\n...   j] A[j, k]" in r.stdout
    assert "tn> :show\nA[i, j] A[j, k]" in r.stdout
    assert "error: unknown name 'Z'" in r.stdout
    assert "show A" not in r.stdout  # :quit ends the session
