"""The Python library's contract (docs/python.md): the names, their values, and
that they agree with independent computations."""
import inspect

import numpy as np
import pytest
from hypothesis import given, strategies as st

import rewrite as rw

DECLS = """dim n
tensor A[i: n, j: n]
tensor B[i: n, j: n]
real tensor W1[i: n, j: n]
real tensor x[i: n]
isometry U[a: n -> b: n]
"""


@pytest.fixture(scope="module")
def prog():
    return rw.program(DECLS)


def test_the_contract_snippet_runs_as_written(tmp_path, monkeypatch):
    """The issue's snippet, line by line, with declarations it needs."""
    import pathlib

    root = pathlib.Path(__file__).parent.parent
    prog = rw.load(root / "examples" / "tensor_train.tn")
    assert "psi" in prog.lets
    prog = rw.program("dim n\ntensor A[i: n, j: n]")
    prog.extend("tensor B[i: n, j: n]")
    d = prog.diagram("A[i, j] A[j, k]")
    assert [leg.name for leg in d.legs] == ["i", "k"]
    s = d.simplify()
    assert isinstance(s.result, rw.Diagram) and s.steps == []
    e = prog.diagram("A[j, k] A[i, j]")
    v = d.prove(e)
    assert v.verdict == "proved" and bool(v) and v.counterexample is None
    assert prog.prove("A[i, j] == B[i, j]").verdict == "refuted"
    assert d == e and hash(d) == hash(e)
    fig = d.draw()
    assert hasattr(fig, "savefig")
    d.draw(tmp_path / "out.svg")
    assert (tmp_path / "out.svg").read_text().lstrip().startswith("<?xml")
    a, b = np.random.default_rng(0).standard_normal((2, 3, 3))
    assert np.allclose(d.eval(A=a, B=b), a @ a)
    assert "einsum" in d.to_code("numpy") and "torch" in d.to_code("torch")
    assert "flops" in str(d.cost(n=64))
    assert isinstance(d.diff("A"), rw.Diagram)
    prog.extend("let out[i, k] = A[i, j] (A[j, k] + B[j, k])")
    terms = prog.paths("out")
    assert all(isinstance(t, rw.PathTerm) for t in terms)
    contributions = terms.contributions(A=a, B=b)
    assert [c.norm for c in contributions] == sorted((c.norm for c in contributions), reverse=True)
    prog.extend("prove A[i, j] A[j, k] == A[i, j] A[j, k]")
    assert prog.run()[-1]["status"] == "proved"


def test_program_getitem_gives_lets_and_tensors(prog):
    assert [leg.name for leg in prog["A"].legs] == ["i", "j"]
    with pytest.raises(KeyError):
        prog["nothing"]


def test_eval_of_a_let_matches_numpy():
    p = rw.program(DECLS + "let h = relu(W1[i, j] x[j])")
    w, x = np.random.default_rng(1).standard_normal((2, 3, 3))[0], np.arange(3.0) - 1
    assert np.allclose(p["h"].eval(W1=w, x=x), np.maximum(w @ x, 0))


def test_prove_gives_steps_and_normal_forms(prog):
    v = prog.prove("conj(U)[a, b] U[a, c] == δ[b, c]")
    assert v.verdict == "proved" and [s.rule for s in v.steps] == ["isometry"]
    assert v.steps[0].side == "left" and v.normal_forms


def test_refuted_verdict_is_false_and_has_a_counterexample(prog):
    v = prog.prove("A[i, j] == A[j, i]")
    assert v.verdict == "refuted" and not v and v.counterexample is not None


def test_check_holds_is_true(prog):
    assert prog.check("A[i, j] B[j, k] == B[j, k] A[i, j]")


def test_input_errors_carry_line_col_and_message(prog):
    with pytest.raises(rw.InputError) as e:
        prog.diagram("A[i, j] Z[j, k]")
    assert (e.value.line, e.value.col, e.value.message) == (1, 9, "unknown name 'Z'")
    with pytest.raises(rw.InputError) as e:
        rw.program("dim n\ntensor A[i: n, i: n]")
    assert e.value.line == 2 and "twice" in e.value.message


def test_cost_refuses_sizes_that_are_not_dims(prog):
    with pytest.raises(rw.InputError):
        prog.diagram("A[i, j]").cost(q=3)


NAMES = st.sampled_from(["i", "j", "k", "l"])


@given(st.permutations(["A[i, j]", "B[j, k]", "A[k, l]"]), NAMES.flatmap(lambda a: st.just(a)))
def test_equality_ignores_factor_order_and_inner_names(order, _):
    p = rw.program(DECLS)
    d = p.diagram("A[i, j] B[j, k] A[k, l]")
    e = p.diagram(" ".join(order))
    renamed = p.diagram("A[i, x] B[x, y] A[y, l]")
    assert d == e == renamed and hash(d) == hash(e) == hash(renamed)


def test_equality_does_not_rewrite(prog):
    d = prog.diagram("conj(U)[a, b] U[a, c]")
    assert d != prog.diagram("δ[b: n, c]") and d.prove("δ[b, c]")


def test_different_diagrams_are_not_equal(prog):
    assert prog.diagram("A[i, j] B[j, k]") != prog.diagram("B[i, j] A[j, k]")


def test_notebook_display_of_results(prog):
    d = prog.diagram("conj(U)[a, b] U[a, c]")
    assert "image/svg+xml" in d._repr_mimebundle_()
    html = d.simplify()._repr_html_()
    assert "rw-strip" in html and html.count("<svg") == 3  # start, one step, normal form
    refuted = prog.prove("A[i, j] == A[j, i]")._repr_html_()
    assert "refuted" in refuted and "counterexample" in refuted


def test_latex_is_index_notation_with_subscripts(prog):
    tex = prog.diagram("A[i, j] B[j, k]")._repr_latex_()
    assert tex.startswith("$") and "\\texttt" not in tex
    assert "A_{" in tex and "\\sum_{" in tex


def test_import_rewrite_loads_no_heavy_library():
    import subprocess
    import sys

    code = ("import sys, rewrite; heavy = {'sympy', 'numpy', 'matplotlib', 'lark'} & "
            "set(sys.modules); print(sorted(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_public_name_has_a_docstring():
    import rewrite.app.library as lib

    missing = []
    for name in rw.__all__:
        if name.startswith("__"):
            continue
        obj = getattr(rw, name)
        if not inspect.getdoc(obj):
            missing.append(name)
        if inspect.isclass(obj) and obj.__module__ == lib.__name__:
            for attr, member in vars(obj).items():
                if attr.startswith("_") or not callable(member) and not isinstance(member, property):
                    continue
                if not inspect.getdoc(member):
                    missing.append(f"{name}.{attr}")
    assert not missing, missing


def test_layout_is_the_dict_that_draw_json_prints(tmp_path):
    import json
    import pathlib
    import subprocess
    import sys

    decl = tmp_path / "d.tn"
    decl.write_text(DECLS, encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "rewrite", "draw", "A[i, j] U[j, k]", "--decl", str(decl),
                          "--json"], capture_output=True, text=True, check=True,
                         cwd=pathlib.Path(__file__).parent.parent)
    layout = rw.program(DECLS).diagram("A[i, j] U[j, k]").layout()
    assert layout == json.loads(out.stdout)
    assert sorted(n["label"] for n in layout["nodes"]) == ["A", "U"]
    assert [(w["from"], w["to"]) for w in layout["wires"] if not w["to"].startswith("free")] == [("0", "1")]


def test_stats_find_the_crossing_that_a_non_planar_network_must_have():
    """K3,3 (three tensors each wired to three others) has no drawing without
    a crossing (Kuratowski); a three-matrix trace is a cycle and has one."""
    text = "dim n\n" + "".join(f"tensor {t}[a: n, b: n, c: n]\n" for t in ("P", "Q", "R", "X", "Y", "Z"))
    prog = rw.program(text)
    k33 = prog.diagram("P[a, b, c] Q[d, e, f] R[g, h, k] X[a, d, g] Y[b, e, h] Z[c, f, k]")
    assert k33.stats().crossings >= 1
    cycle = rw.program(DECLS).diagram("A[i, j] B[j, k] A[k, i]")
    st = cycle.stats()
    assert (st.crossings, st.overlaps, st.wires_through_nodes) == (0, 0, 0)
    assert st.width == pytest.approx(cycle.layout()["width"], abs=0.1)
