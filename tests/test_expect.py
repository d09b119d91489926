"""Stated verdicts (`# expect:` comments) checked by `rewrite run --expect`."""
import subprocess
import sys

from rewrite.app.expect import check, expectations
from rewrite.app.session import Session

PROGRAM = """\
dim n, k
isometry U[a: n -> b: k]
prove conj(U)[a, b] U[a, c] == δ[b, c]      # expect: proved
prove U[a, b] conj(U)[c, b] == δ[a, c]      # expect: refuted
"""


def results(text):
    return Session().run(text, "t.tn")


def run_expect(tmp_path, text):
    p = tmp_path / "t.tn"
    p.write_text(text, encoding="utf-8")
    return subprocess.run([sys.executable, "-m", "rewrite", "run", "--expect", str(p)],
                          capture_output=True, text=True)


def test_expectations_are_read_per_line():
    assert expectations(PROGRAM) == {3: "proved", 4: "refuted"}


def test_a_refutation_that_was_stated_is_not_a_mismatch():
    stated, mismatches = check(PROGRAM, results(PROGRAM))
    assert stated == 2 and mismatches == []


def test_a_verdict_other_than_the_stated_one_is_a_mismatch():
    text = PROGRAM.replace("expect: refuted", "expect: proved")
    _, mismatches = check(text, results(text))
    assert [(m.line, m.expected, m.got) for m in mismatches] == [(4, "proved", "refuted")]


def test_an_unmarked_refutation_is_a_mismatch():
    text = PROGRAM.replace("# expect: refuted", "")
    _, mismatches = check(text, results(text))
    assert [(m.line, m.got) for m in mismatches] == [(4, "refuted")]


def test_a_comment_on_a_line_without_a_result_is_a_mismatch():
    text = PROGRAM.replace("dim n, k", "dim n, k   # expect: ok")
    _, mismatches = check(text, results(text))
    assert [(m.line, m.got) for m in mismatches] == [(1, None)]
    assert "no command is on this line (a declaration gives no verdict" in mismatches[0].message("t.tn")


def test_a_misspelt_verdict_names_the_valid_ones():
    text = PROGRAM.replace("expect: proved", "expect: proven")
    _, mismatches = check(text, results(text))
    assert "one of proved, refuted" in mismatches[0].message("t.tn")


def test_a_comment_may_sit_on_any_line_of_a_long_statement():
    text = PROGRAM + "prove (conj(U)[a, b]\n       U[a, c]) == δ[b, c]   # expect: proved\n"
    stated, mismatches = check(text, results(text))
    assert stated == 3 and mismatches == []


def test_cli_expect_exits_0_when_every_stated_verdict_is_given(tmp_path):
    r = run_expect(tmp_path, PROGRAM)
    assert r.returncode == 0, r.stderr
    assert "refuted" in r.stdout and "all 2 statements as expected" in r.stderr


def test_cli_expect_exits_1_and_names_the_line_of_a_broken_verdict(tmp_path):
    r = run_expect(tmp_path, PROGRAM.replace("expect: refuted", "expect: proved"))
    assert r.returncode == 1
    assert "t.tn:4: expected proved, got refuted" in r.stderr
