"""Coefficients far from 1: a difference is zero or not whatever its scale, so
neither a tiny one (under any absolute tolerance) nor a huge one (past the
largest float) may hide it, and scaling must never refute a true identity."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from rewrite.app.session import Session

DECLS = ("dim n\nreal tensor u[i: n]\nreal tensor w[i: n]\ntensor x[i: n]\n"
         "tensor A[i: n, j: n]\ntensor B[i: n, j: n]\ntensor C[i: n, j: n]\n")


def _status(statement: str) -> str:
    [outcome] = Session().run(DECLS + statement + "\n")[-1:]
    return outcome.status


@pytest.mark.parametrize("verb", ["prove", "check"])
@pytest.mark.parametrize("c", ["1e-400", "3e-300", "1e-20", "1e20", "1e300", "7e400"])
def test_a_nonzero_multiple_of_a_random_vector_is_not_zero_at_any_scale(verb, c):
    # u is random with nonzero entries: c u - c w is not zero for c != 0.
    assert _status(f"{verb} {c} u[i] == {c} w[i]") == "refuted"
    assert _status(f"{verb} {c} u[i] == 0") == "refuted"


@pytest.mark.parametrize("verb", ["prove", "check"])
def test_a_difference_far_below_the_rounding_of_the_common_terms_still_refutes(verb):
    # x - (x + 1e-20 A x) is exactly -1e-20 A x, which is not zero.
    assert _status(f"{verb} x[i] == x[i] + 1e-20 A[i, j] x[j]") == "refuted"


@pytest.mark.parametrize("c", ["1e-400", "1e-300", "1", "1e300", "1e400"])
def test_scaling_never_refutes_a_true_identity(c):
    # The sides differ as written (a product of a sum against its expansion),
    # so the check is numeric; distributivity holds at every scale.
    assert _status(f"check {c} (A @ (B + C)) == {c} (A @ B) + {c} (A @ C)") == "holds"
    assert _status(f"check {c} (u[i] + w[i]) (u[i] - w[i]) == {c} u[i] u[i] - {c} w[i] w[i]") \
        == "holds"


def test_a_refutation_past_the_float_range_prints_its_size_in_decimal():
    [outcome] = Session().run(DECLS + "prove 1e400 u[i] == 1e400 w[i]\n")
    text = outcome.verdict.counterexample.format()
    assert "e+400" in text and "inf" not in text


def test_overflow_is_reported_in_words_without_a_python_warning(tmp_path):
    program = tmp_path / "p.tn"
    program.write_text(DECLS + "check exp(1000 u[i]) == exp(1000 w[i])\n", encoding="utf-8")
    p = subprocess.run([sys.executable, "-m", "rewrite", "run", str(program)],
                       capture_output=True, text=True)
    assert p.returncode == 2
    assert "overflow to inf or NaN" in p.stderr and "Warning" not in p.stderr


# ------------------------------------------------------- long numbers in programs


def _error(statement: str, decls: str = DECLS):
    from rewrite.core.errors import InputError

    with pytest.raises(InputError) as e:
        Session().run(decls + statement + "\n")
    return e.value


@pytest.mark.parametrize("statement, column", [
    ("show 1e99999999999999 u[i]", 6),        # would build a number of 10**14 digits
    ("show 1e-99999999999999 u[i]", 6),
    ("show " + "9" * 5000 + " u[i]", 6),       # past Python's own int-to-text cap
    ("show δ[i: " + "9" * 5000 + ", j]", 11),
    ("dim big = " + "9" * 5000, 11),
    ("function g(" + "9" * 5000 + ")", 12),
])
def test_a_number_past_the_digit_limit_is_a_located_input_error(statement, column):
    e = _error(statement)
    assert e.message.startswith("a number with too many digits")
    assert "--max-number-digits" in e.message
    assert (e.line, e.column) == (DECLS.count("\n") + 1, column)


def test_numbers_within_the_limit_stay_exact_however_long_their_products():
    # Five factors of 1e999 make a number of 4,996 digits: exact, printed, keyed.
    [outcome] = Session().run(DECLS + "prove 1e999 1e999 1e999 1e999 1e999 u[i] == "
                              "1e999 1e999 1e999 1e999 1e999 u[i]\n")
    assert outcome.status == "proved"


def test_the_digit_limit_is_an_option(tmp_path):
    program = tmp_path / "p.tn"
    program.write_text(DECLS + "prove 1e1500 u[i] == 1e1500 u[i]\n", encoding="utf-8")
    refused = subprocess.run([sys.executable, "-m", "rewrite", "run", str(program)],
                             capture_output=True, text=True)
    raised = subprocess.run([sys.executable, "-m", "rewrite", "--max-number-digits", "2000",
                             "run", str(program)], capture_output=True, text=True)
    assert refused.returncode == 2 and "--max-number-digits" in refused.stderr
    assert raised.returncode == 0 and "proved" in raised.stdout


# ------------------------------------------------------------ the user's arrays


@pytest.mark.parametrize("arrays, message", [
    ({"A": np.full((3, 3), np.nan)}, "the array for A has inf or NaN entries"),
    ({"A": np.full((3, 3), np.inf)}, "the array for A has inf or NaN entries"),
    ({"A": np.full((3, 3), 1e308), "B": np.full((3, 3), 1e308)},
     "the values overflow to inf or NaN"),
])
def test_check_on_arrays_whose_values_are_not_finite_is_an_input_error_not_holds(
        tmp_path, arrays, message):
    # NaN == NaN and inf - inf are neither agreement nor a difference.
    rng = np.random.default_rng(0)
    arrays = {"A": rng.standard_normal((3, 3)), "B": rng.standard_normal((3, 3)), **arrays}
    np.savez(tmp_path / "w.npz", **arrays)
    program = tmp_path / "p.tn"
    program.write_text("dim n = 3\nreal tensor A[i: n, j: n]\nreal tensor B[i: n, j: n]\n"
                       "check A @ B == B @ A\n", encoding="utf-8")
    p = subprocess.run([sys.executable, "-m", "rewrite", "check", str(program), "--arrays",
                        str(tmp_path / "w.npz")], capture_output=True, text=True)
    assert p.returncode == 2, p.stdout
    assert message in p.stderr and "holds" not in p.stdout and "Warning" not in p.stderr


def test_paths_contributions_on_arrays_with_nan_is_an_input_error(tmp_path):
    # A NaN share and "they add up to the network, largest difference nan" are no answer.
    np.savez(tmp_path / "w.npz", A=np.full((3, 3), np.nan), B=np.eye(3), x=np.ones(3))
    program = tmp_path / "p.tn"
    program.write_text("dim n = 3\nreal tensor A[i: n, j: n]\nreal tensor B[i: n, j: n]\n"
                       "real tensor x[i: n]\nlet out = (x[i] + A[i, j] x[j]) B[i, k]\n"
                       "paths out\n", encoding="utf-8")
    p = subprocess.run([sys.executable, "-m", "rewrite", "paths", str(program), "--arrays",
                        str(tmp_path / "w.npz")], capture_output=True, text=True)
    assert p.returncode == 2
    assert "the array for A has inf or NaN entries" in p.stderr and "nan" not in p.stdout



@pytest.mark.parametrize("statement", ["1e400 == 2e400", "1e-400 == 2e-400",
                                       "1e400 u[i] == 2e400 u[i]"])
def test_json_of_a_refutation_past_the_float_range_is_strict_json(tmp_path, statement):
    import json

    decls = tmp_path / "d.tn"
    decls.write_text(DECLS, encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "rewrite", "prove", statement, "--json",
                          "--decl", str(decls)], capture_output=True, text=True)

    def refuse(constant):
        raise ValueError(f"not JSON: {constant}")

    result = json.loads(run.stdout, parse_constant=refuse)["results"][0]
    assert result["status"] == "refuted"
    assert "e+400" in result["counterexample"]["reason"] \
        or "e-400" in result["counterexample"]["reason"]


def test_json_results_replace_inf_and_nan_by_null_everywhere():
    import json
    import math

    from rewrite.views.render import strict_json

    record = {"a": math.inf, "b": [1.0, -math.inf, {"c": math.nan}], "d": (2.5, "x"), "e": 3}
    assert strict_json(record) == {"a": None, "b": [1.0, None, {"c": None}], "d": [2.5, "x"],
                                   "e": 3}
    json.dumps(strict_json(record), allow_nan=False)  # strict JSON: no Infinity, no NaN
