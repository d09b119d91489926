"""Start-up stays light: heavy libraries are imported by the statements that need them.

Each check runs a fresh interpreter and looks at `sys.modules`, so an import
added anywhere on the way (a module's top level, `rewrite/__init__.py`) is
caught.  Plotting is never needed for a canonical form.
"""
import json
import subprocess
import sys

HEAVY = ("sympy", "numpy", "matplotlib", "igraph", "cotengra", "networkx", "scipy")


def loaded_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys, json\nprint(json.dumps(sorted(m.split('.')[0] for m in sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                         timeout=120).stdout
    return set(json.loads(out.splitlines()[-1])) & set(HEAVY)


def test_import_rewrite_loads_no_heavy_library():
    assert loaded_after("import rewrite") == set()


def test_the_command_line_module_loads_no_heavy_library():
    assert loaded_after("import rewrite.app.cli") == set()


def test_parsing_loads_no_heavy_library():
    assert loaded_after("from rewrite.language.parse import parse\n"
                        "parse('tensor A[i: 2, j: 2]\\nshow A[i, j] A[j, k]')") == set()


def test_a_canonical_form_that_needs_bliss_loads_no_plotting_library():
    # A cycle of identical tensors: every node alike, so colour refinement alone
    # cannot order them and the canonical form goes to bliss through igraph.
    code = ("from rewrite.language.parse import parse\n"
            "from rewrite.language.build import Env, build_program\n"
            "from rewrite.core.canon import canonical_sum\n"
            "env = Env()\n"
            "stmts = parse('dim d = 2\\ntensor A[i: d, j: d]\\n"
            "show ' + ' '.join(f'A[i{k}, i{(k + 1) % 40}]' for k in range(40)))\n"
            "build_program(stmts[:2], env)\n"
            "from rewrite.language.build import build_expr\n"
            "canonical_sum(build_expr(stmts[2].expr, env))\n")
    loaded = loaded_after(code)
    assert "igraph" in loaded  # the test reached bliss
    assert "matplotlib" not in loaded


def _run_file(text: str) -> str:
    return ("import sys, tempfile, os\n"
            "from rewrite.app.cli import main\n"
            "d = tempfile.mkdtemp()\n"
            "p = os.path.join(d, 'x.tn')\n"
            f"open(p, 'w').write({text!r})\n"
            "try:\n"
            "    main(['run', p], standalone_mode=False)\n"
            "except SystemExit:\n"
            "    pass\n")


def test_proving_with_concrete_sizes_loads_neither_sympy_nor_numpy():
    # Sizes and coefficients are ints and fractions; the normal forms meet, so
    # no numeric check runs and nothing needs sympy's algebra or numpy's arrays.
    code = _run_file("tensor A[i: 3, j: 3]\nprove tr(A) == A[i, i]\n"
                     "prove 1/2 A[i, j] + 1/2 A[i, j] == A[i, j]\n")
    assert loaded_after(code) == set()



def test_proving_with_symbolic_sizes_that_are_monomials_loads_neither_sympy_nor_numpy():
    # A dim is a scalars.Mono: sizes n, n*m and the loop's scalar n need no sympy.
    code = _run_file("dim n, m\ntensor A[i: n, j: n]\ntensor B[k: n, l: m]\n"
                     "prove tr(A) == A[i, i]\nprove δ[i: n, i] B[k, l] == n B[k, l]\n")
    assert loaded_after(code) == set()


def test_a_numeric_check_with_concrete_sizes_loads_numpy_but_not_sympy():
    # `check` is numeric by definition; its sizes are still plain ints.
    loaded = loaded_after(_run_file("tensor A[i: 3, j: 3]\ncheck A[i, j] A[j, k] == A[i, j] A[j, k]\n"))
    assert "numpy" in loaded and "sympy" not in loaded


def test_a_cost_with_symbolic_sizes_that_are_monomials_loads_no_sympy():
    # Orders are planned at sampled integer sizes and the counts are printed
    # from integer exponent vectors: `dim n` and `n*m` need no algebra.
    loaded = loaded_after(_run_file("dim n, m\ntensor A[i: n, j: n*m]\ntensor B[j: n*m, k: n]\n"
                                    "cost A[i, j] B[j, k] A[k, l]\n"))
    assert "cotengra" in loaded and "sympy" not in loaded
