"""How many random instances a numeric check compares (numerics.evaluate.trial_count).

One instance where the difference of the two sides is a polynomial in the
entries of tensors drawn from connected families (every size a number, no
function, no projector rank or orthogonal determinant left to chance); three
elsewhere; the user's `--trials N` always wins.  False identities are still
refuted: a hypothesis property against an explicit numpy einsum.
"""
from __future__ import annotations

import copy
import subprocess
import sys

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from rewrite.core.diagram import Diagram, TensorNode
from rewrite.core.errors import InputError
from rewrite.core.limits import LIMITS
from rewrite.numerics.evaluate import collect_decls, compare, one_instance_suffices, trial_count
from rewrite.numerics.sample import sample_instance
from rewrite.rewriting.prove import check

from evaluation import session_with
from strategies import decls, diagrams, variants
from test_numeric import ref_diagram


def sides(program: str, equation: str):
    """The two sides of `equation` built after the declarations of `program`."""
    s = session_with(program)
    left, right = (s.last_value(side + "\n", "<test>") for side in equation.split("=="))
    return left, right


@pytest.fixture
def user_trials():
    """Set LIMITS.trials as `--trials N` would, restored afterwards."""
    saved = LIMITS.trials
    yield lambda n: setattr(LIMITS, "trials", n)
    LIMITS.trials = saved


# ------------------------------------------------------------------ the policy


def test_fixed_sizes_without_functions_need_one_instance():
    left, right = sides("tensor A[i: 3, j: 3]\nisometry V[a: 4 -> b: 3]",
                        "A[i, j] V[a, j] conj(V)[a, k] == A[i, k]")
    assert one_instance_suffices(left, right)
    assert trial_count(left, right) == 1


def test_a_symbolic_size_keeps_three_instances():
    left, right = sides("dim n\ntensor A[i: n, j: n]", "A[i, j] A[j, k] == A[i, k]")
    assert trial_count(left, right) == 3


def test_a_function_keeps_three_instances():
    left, right = sides("tensor A[i: 3]", "relu(A) == A")
    assert trial_count(left, right) == 3


def test_a_projector_keeps_three_instances():
    # Its rank is drawn at random: tr(P) == 1 holds at rank 1 only.
    left, right = sides("projector P[i: 3, j: 3]", "P[i, i] == 1")
    assert trial_count(left, right) == 3


def test_a_real_square_isometry_keeps_three_instances():
    # The orthogonal group has two components, det = +1 and det = -1.
    left, right = sides("real antisymmetric A[i: 2, j: 2]\northogonal Q[a: 2 -> b: 2]",
                        "A[i, j] Q[i, k] Q[j, l] == A[k, l]")
    assert trial_count(left, right) == 3


def test_a_real_isometry_that_is_not_square_needs_one_instance():
    # Real Stiefel manifolds of non-square isometries are connected.
    left, right = sides("real isometry V[a: 3 -> b: 2]", "V[a, b] V[a, c] == V[a, b] V[a, c]")
    assert trial_count(left, right) == 1


def test_the_users_trials_win_over_the_policy(user_trials):
    left, right = sides("tensor A[i: 3, j: 3]", "A[i, j] == A[j, i]")
    user_trials(5)
    assert trial_count(left, right) == 5
    assert trial_count(left, right, trials=2) == 2  # a caller's own count wins too


def test_the_verdict_records_how_many_instances_it_compared():
    left, right = sides("tensor A[i: 3, j: 3]\nunitary U[a: 3 -> b: 3]",
                        "A[i, j] U[j, b] conj(U)[k, b] == A[i, k]")
    assert check(left, right).kind == "holds"
    assert check(left, right).trials == 1
    left, right = sides("dim n\ntensor A[i: n, j: n]", "A[i, j] == A[i, j] + 0 A[j, i]")
    assert check(left, right).trials == 3


# ------------------------------------------- false identities are still refuted


@pytest.mark.parametrize("program, equation", [
    ("tensor A[i: 3, j: 3]", "A[i, j] == A[j, i]"),
    ("tensor T[i: 3, j: 3]", "T[i, j] conj(T)[i, j] == T[i, j] T[i, j]"),
    ("unitary U[a: 3 -> b: 3]", "U[a, b] U[c, b] == U[a, d] conj(U)[c, d]"),
    ("isometry V[a: 4 -> b: 2]", "V[a, b] conj(V)[c, b] == conj(V)[a, b] V[c, b]"),
    ("hermitian H[i: 3, j: 3]", "H[i, j] H[j, i] == H[i, i] H[j, j]"),
])
def test_a_false_identity_with_fixed_sizes_is_refuted_on_one_instance(program, equation):
    left, right = sides(program, equation)
    assert trial_count(left, right) == 1
    assert compare(left, right) is not None


def test_a_false_identity_on_a_real_orthogonal_is_refuted_where_det_is_minus_one():
    left, right = sides("real antisymmetric A[i: 2, j: 2]\northogonal Q[a: 2 -> b: 2]",
                        "A[i, j] Q[i, k] Q[j, l] == A[k, l]")
    assert compare(left, right) is not None


CONCRETE = (sympy.Integer(2), sympy.Integer(3))


@st.composite
def changed(draw, d: Diagram) -> Diagram:
    """d with one tensor conjugated or two wires of one size crossed: a change
    that usually (not always: a real or hermitian tensor) alters the value."""
    out = d.copy()
    cands = [v for v, x in out.nodes.items() if isinstance(x, TensorNode) and not x.real]
    wires = [(p, q) for p, q in out.wires()]
    pairs = [(w, u) for k, w in enumerate(wires) for u in wires[k + 1:]
             if str(out.port_size(w[0])) == str(out.port_size(u[0]))]
    if cands and (not pairs or draw(st.booleans())):
        v = draw(st.sampled_from(cands))
        x = out.nodes[v]
        out.nodes[v] = TensorNode(x.decl, not x.conj, x.op)
    elif pairs:
        (p, q), (r, t) = draw(st.sampled_from(pairs))
        out.disconnect(p)
        out.disconnect(r)
        out.connect(p, t)
        out.connect(r, q)
    return out


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(st.lists(decls(sizes=CONCRETE), min_size=1, max_size=3, unique_by=lambda x: x.name)
       .flatmap(lambda pool: diagrams(min_nodes=2, max_nodes=5, pool=pool, scalars=False)
                .flatmap(lambda d: st.tuples(st.just(d), st.one_of(variants(d), changed(d))))))
def test_one_instance_refutes_exactly_what_numpy_refutes(pair):
    """Whenever the policy allows one instance, the check refutes d == v exactly
    when a plain numpy einsum of both sides differs on some instance."""
    d, v = pair
    assume(one_instance_suffices(d, v))
    try:
        instances = [sample_instance(collect_decls(d, v).values(), seed) for seed in (11, 12, 13)]
    except InputError:  # sizes the kinds cannot meet (a tip larger than its wide side)
        assume(False)
    apart = 0.0
    for inst in instances:
        a, b = ref_diagram(d, inst), ref_diagram(v, inst)
        # Relative to the sums of absolute values, not to the results: an
        # identity between two zeros (an odd trace of antisymmetric matrices)
        # leaves only rounding, which must not count as apart.
        bound = copy.copy(inst)
        bound.arrays = {k: np.abs(x) for k, x in inst.arrays.items()}
        scale = max(np.max(ref_diagram(d, bound).real, initial=0.0),
                    np.max(ref_diagram(v, bound).real, initial=0.0))
        apart = max(apart, float(np.max(np.abs(a - b), initial=0.0)) / max(scale, 1e-300))
    assume(apart < 1e-9 or apart > 1e-3)  # clear either way
    refuted = compare(d, v) is not None
    event("refuted" if refuted else "holds")
    assert refuted == (apart > 1e-3)


# ------------------------------------------------------------------ the command


def rewrite(tmp_path, *args: str) -> subprocess.CompletedProcess:
    path = tmp_path / "check.tn"
    path.write_text(PROGRAM)
    return subprocess.run([sys.executable, "-m", "rewrite", *args, str(path)],
                          capture_output=True, text=True, timeout=120)


PROGRAM = ("tensor A[i: 3, j: 3]\nunitary U[a: 3 -> b: 3]\n"
           "check A[i, j] U[j, b] conj(U)[k, b] == A[i, k]\n")


def test_the_verdict_line_says_one_instance_and_why(tmp_path):
    out = rewrite(tmp_path, "run").stdout
    assert "the one random instance tried (all sizes fixed, no functions" in out
    assert "--trials N" in out


def test_trials_option_sets_the_count_and_json_reports_it(tmp_path):
    import json

    out = rewrite(tmp_path, "--trials", "4", "run", "--json").stdout
    (result,) = [r for r in json.loads(out)["results"] if r["statement"] == "check"]
    assert result["trials"] == 4
    assert "every instance tried" in result["output"]


def test_trials_option_refuses_zero(tmp_path):
    r = rewrite(tmp_path, "--trials", "0", "run")
    assert r.returncode == 2
    assert "--trials" in r.stderr
