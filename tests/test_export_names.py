"""Exported code is valid Python whatever the user's names: keywords, builtins
and the program's own names (`np`, `result`, `einsum`, `oe`, `_t1`, ...) are
renamed, the header says how, and the code computes numpy's answer."""
from __future__ import annotations

import ast
import importlib.util
import keyword
import re

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from rewrite.core.errors import InputError
from rewrite.language.env import build_program
from rewrite.language.parse import parse
from rewrite.views.export import export

CODE_TARGETS = ["numpy", "einops", "opt_einsum"] + (
    ["torch"] if importlib.util.find_spec("torch") else [])


def value(src: str):
    return build_program(parse(src)).lets["e"]


def inputs_of(code: str) -> dict[str, str]:
    """User tensor name -> the name the code reads it by, from the header."""
    (line,) = [l for l in code.splitlines() if l.startswith("# inputs: arrays ")]
    out = {}
    for item in line[len("# inputs: arrays "):].split(", "):
        m = re.fullmatch(r"(\S+) \(the tensor (\S+)\)", item)
        out[m.group(2) if m else item] = m.group(1) if m else item
    return out


def run(code: str, arrays: dict[str, np.ndarray], target: str) -> np.ndarray:
    ast.parse(code)  # a syntax error fails here, with the line
    names = inputs_of(code)
    if target == "torch":
        import torch

        scope = {names[k]: torch.tensor(v) for k, v in arrays.items()}
    else:
        scope = {names[k]: v for k, v in arrays.items()}
    exec(compile(code, "<export>", "exec"), scope)
    return np.asarray(scope["result"])


HOSTILE = """dim lambda, np
tensor T[a: lambda, b: np]
tensor result[b: np]
tensor _t1[b: np]
tensor einsum[a: lambda]
tensor oe[a: lambda]
tensor math[a: lambda]
invertible tuple[a: lambda, c: lambda]
"""


@pytest.mark.parametrize("target", CODE_TARGETS)
def test_hostile_names_export_to_code_that_computes_numpys_value(target):
    e = value(HOSTILE + "let e = lambda T[a, b] result[b] + T[a, b] _t1[b] + einsum[a] "
                        "+ oe[a] + inv(tuple)[c, a] math[c]\n")
    rng = np.random.default_rng(1)
    lam, n = 3, 4
    arrays = {"T": rng.normal(size=(lam, n)), "result": rng.normal(size=n),
              "_t1": rng.normal(size=n), "einsum": rng.normal(size=lam),
              "oe": rng.normal(size=lam), "math": rng.normal(size=lam),
              "tuple": rng.normal(size=(lam, lam)) + 3 * np.eye(lam)}
    a = arrays
    want = (lam * a["T"] @ a["result"] + a["T"] @ a["_t1"] + a["einsum"] + a["oe"]
            + np.linalg.inv(a["tuple"]).T @ a["math"])
    got = run(export(e, target), arrays, target)
    assert np.allclose(got, want)


def test_renamed_names_are_listed_in_the_header():
    code = export(value(HOSTILE + "let e = T[a, b] result[b]\n"), "numpy")
    assert "result_ (the tensor result)" in code and "lambda_ = T.shape[0]" not in code
    assert inputs_of(code) == {"T": "T", "result": "result_"}


def test_a_size_named_by_a_keyword_is_renamed_where_it_is_used():
    code = export(value(HOSTILE + "let e = lambda T[a, b]\n"), "numpy")
    assert "lambda_ = T.shape[0]" in code and "result = lambda_ * " in code


def test_a_size_with_no_array_to_read_it_from_is_listed_under_its_new_name():
    code = export(value("dim None\nlet e = None eye(None)[i, j]\n"), "numpy")
    assert "# sizes to give: None_ (the size None)" in code
    scope = {"None_": 3}
    exec(code, scope)
    assert np.allclose(scope["result"], 3 * np.eye(3))


def test_einops_index_names_that_einops_refuses_are_renamed():
    e = value("dim n\ntensor M[lambda: n, _x: n]\nlet e = M[lambda, _x] M[_x, axis]\n")
    m = np.random.default_rng(2).normal(size=(3, 3))
    assert np.allclose(run(export(e, "einops"), {"M": m}, "einops"), m @ m)


def test_names_python_reads_alike_stay_distinct():
    # Python reads identifiers in NFKC form: `ﬁ` (a ligature) would be `fi`.
    e = value("dim n\ntensor ﬁ[i: n]\ntensor fi[i: n]\nlet e = ﬁ[i] - fi[i]\n")
    rng = np.random.default_rng(3)
    arrays = {"ﬁ": rng.normal(size=3), "fi": rng.normal(size=3)}
    got = run(export(e, "numpy"), arrays, "numpy")
    assert np.allclose(got, arrays["ﬁ"] - arrays["fi"])


POOL = sorted(set(keyword.kwlist) | {"np", "torch", "math", "oe", "einsum", "result", "_e",
                                     "_t1", "_t2", "tuple", "print", "len", "abs", "max",
                                     "A", "B", "n", "ﬁ", "fi", "ℌ", "H", "i", "j"})


@given(st.lists(st.sampled_from(POOL), min_size=3, max_size=3, unique=True),
       st.sampled_from(["numpy", "einops", "opt_einsum"]))
def test_any_names_export_to_valid_code_with_numpys_value(names, target):
    a, b, size = names
    src = (f"dim {size}\ntensor {a}[i: {size}, j: {size}]\ntensor {b}[j: {size}]\n"
           f"let e = 2 {a}[i, j] {b}[j] + {size} {b}[i]\n")
    try:
        e = value(src)
    except InputError:
        assume(False)  # a name the language itself reserves, or two names alike
    rng = np.random.default_rng(0)
    A, B = rng.normal(size=(3, 3)), rng.normal(size=3)
    got = run(export(e, target), {a: A, b: B}, target)
    assert np.allclose(got, 2 * A @ B + 3 * B)
