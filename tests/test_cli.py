"""The command line: exit codes, output forms and error reporting (docs/language.md §9)."""
import json
import subprocess
import sys

import pytest

from rewrite.rewriting.ruleset import checked_rule
from rewrite.language.parse import parse
from rewrite.app.session import Session

DECLS = "dim n, k\nisometry U[a: n -> b: k]\ntensor A[i: n, j: n]\ntensor B[i: n, j: n]\ntensor K[i: k, j: n]\n"


def rewrite(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "rewrite", *args], capture_output=True,
                          text=True, cwd=cwd)


@pytest.fixture
def decls(tmp_path):
    p = tmp_path / "decls.tn"
    p.write_text(DECLS, encoding="utf-8")
    return str(p)


def test_exit_code_is_0_when_every_statement_holds(decls):
    r = rewrite("prove", "conj(U)[a, b] U[a, c] == δ[b, c]", "--decl", decls)
    assert r.returncode == 0 and "proved" in r.stdout


def test_exit_code_is_1_when_a_statement_is_refuted(decls):
    r = rewrite("prove", "U[a, b] conj(U)[c, b] == δ[a, c]", "--decl", decls)
    assert r.returncode == 1 and "refuted" in r.stdout and "seed" in r.stdout


def test_exit_code_is_2_on_an_input_error_with_a_caret_and_no_traceback(decls):
    r = rewrite("prove", "A[i, j] == Z[i, j]", "--decl", decls)
    assert r.returncode == 2
    assert "<expr>:1:12: error: unknown name 'Z'" in r.stderr
    assert "^" in r.stderr and "Traceback" not in r.stderr


def test_exit_code_is_2_on_a_missing_file():
    r = rewrite("run", "no/such/file.tn")
    assert r.returncode == 2 and "no such file" in r.stderr


def test_a_syntax_error_is_reported_in_place_and_the_other_statements_still_run(tmp_path):
    p = tmp_path / "bad.tn"
    p.write_text(DECLS + "show A[i, j\nprove tr(A @ B) == tr(B @ A)\n", encoding="utf-8")
    r = rewrite("run", str(p))
    assert r.returncode == 2
    assert f"{p}:6:7: error: missing ']'" in r.stdout and "^" in r.stdout
    assert r.stdout.index("missing ']'") < r.stdout.index("proved")
    assert "1 statement failed (line 6)" in r.stderr


def test_a_statement_using_a_failed_declaration_is_skipped_naming_its_line(tmp_path):
    p = tmp_path / "bad.tn"
    p.write_text("dim n\nlet C = Z[i, j]\nshow C\nshow δ[i: n, j]\n", encoding="utf-8")
    r = rewrite("run", str(p))
    assert r.returncode == 2
    assert "unknown name 'Z'" in r.stdout
    assert "skipped: uses 'C', whose statement on line 2 failed" in r.stdout
    assert "[4] show δ[i: n, j]" in r.stdout
    assert "1 statement failed, 1 skipped (lines 2, 3)" in r.stderr


def test_a_failing_statement_in_json_output_has_status_error_and_exit_2(tmp_path):
    p = tmp_path / "bad.tn"
    p.write_text("dim n\nshow Z[i]\nshow δ[i: n, j]\n", encoding="utf-8")
    r = rewrite("run", str(p), "--json")
    data = json.loads(r.stdout)
    assert r.returncode == 2 and data["exit"] == 2
    assert [x["status"] for x in data["results"]] == ["error", "ok"]
    assert data["results"][0]["error"] == {"line": 2, "column": 6, "message": "unknown name 'Z'"}


def test_json_output_carries_a_schema_and_verdicts(decls):
    r = rewrite("prove", "tr(A @ B) == tr(B @ A)", "--decl", decls, "--json")
    data = json.loads(r.stdout)
    assert data["schema"] == "penrose-rewrite/results/1" and data["exit"] == 0
    assert data["results"][0]["verdict"] == "proved"


def test_json_counterexample_has_the_sizes_and_seed_that_reproduce_it(decls):
    r = rewrite("prove", "U[a, b] conj(U)[c, b] == δ[a, c]", "--decl", decls, "--json")
    cx = json.loads(r.stdout)["results"][0]["counterexample"]
    assert set(cx["sizes"]) == {"n", "k"} and isinstance(cx["seed"], int)
    assert cx["largest_difference"] > 0


def test_simplify_of_an_expression_prints_normal_form_and_steps(decls):
    r = rewrite("simplify", "conj(U)[a, b] U[a, c] K[c, d]", "--decl", decls)
    assert r.returncode == 0
    assert "= K[b, d]" in r.stdout and "1. isometry at conj(U), U" in r.stdout


def test_check_steps_names_the_first_step_that_changes_the_value():
    session = Session(check_steps=True)
    for stmt in parse(DECLS):
        session.env.execute_declaration(stmt)
    # An unsound rule smuggled past the load-time check: U U† is not the identity.
    (bad,) = parse("rule wrong(V: isometry): V[*w -> *t] conj(V)[*v -> *t] => δ[*w, *v]")
    session.env.rules.append(checked_rule(bad, session.env, check=False))
    (result,) = session.run("simplify U[a, b] conj(U)[c, b]")
    assert result.status == "refuted"
    assert result.text.startswith("check failed: step 1 (wrong at U, conj(U))")


def test_drawing_to_an_unwritable_place_is_an_input_error(tmp_path):
    p = tmp_path / "draw.tn"
    p.write_text(DECLS + 'draw A[i, j] to "/nonexistent/dir/x.svg"\n', encoding="utf-8")
    r = rewrite("run", str(p))
    assert r.returncode == 2 and "cannot write /nonexistent/dir/x.svg: no such folder" in r.stderr
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr


def test_drawing_to_an_unknown_format_is_an_input_error(tmp_path):
    p = tmp_path / "draw.tn"
    p.write_text(DECLS + 'draw A[i, j] to "x.pdf"\n', encoding="utf-8")
    r = rewrite("run", str(p), cwd=tmp_path)
    assert r.returncode == 2 and "use a .svg, .png or .tex file name" in r.stderr


def test_a_proof_through_an_unsound_user_rule_is_not_reported_proved():
    session = Session()
    for stmt in parse(DECLS):
        session.env.execute_declaration(stmt)
    (bad,) = parse("rule wrong(V: isometry): V[*w -> *t] conj(V)[*v -> *t] => δ[*w, *v]")
    session.env.rules.append(checked_rule(bad, session.env, check=False))
    (result,) = session.run("prove U[a, b] conj(U)[c, b] == δ[a, c]")
    assert result.status == "refuted" and "wrong" in result.text


def test_values_that_overflow_are_an_input_error_not_a_verdict(tmp_path):
    p = tmp_path / "nan.tn"
    # (a huge coefficient alone no longer overflows: the difference is scaled first)
    p.write_text("dim n\nreal tensor A[i: n]\nreal tensor B[i: n]\n"
                 "check exp(1000 A[i]) == exp(1000 B[i])\n", encoding="utf-8")
    r = rewrite("run", str(p))
    assert r.returncode == 2 and "overflow to inf or NaN" in r.stderr
