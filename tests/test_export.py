"""Exports: generated numpy and opt_einsum code computes what `numeric.evaluate`
computes; each format's text for a few known diagrams; JSON and TeX shapes."""
from __future__ import annotations

import json

import numpy as np
import pytest
import sympy
from hypothesis import assume, given
from hypothesis import strategies as st

from rewrite.build import build_program
from rewrite.diagram import Sum
from rewrite.errors import InputError
from rewrite.export import JSON_SCHEMA, export, index_network
from rewrite.numeric import allclose_rel, collect_decls, collect_symbols, evaluate
from rewrite.parse import parse
from rewrite.sample import sample_instance

from strategies import diagrams


def instance_for(x, seed=0):
    try:
        return sample_instance(collect_decls(x).values(), seed, symbols=collect_symbols(x))
    except InputError as e:  # an isometry whose tip can never fit in sizes 2–4
        assume("cannot be met" not in str(e))
        raise


def run_export(value, target, inst):
    """Execute exported code with the instance's arrays and sizes in scope."""
    code = export(value, target)
    scope = {k: v for k, v in inst.arrays.items() if k.isidentifier()}
    scope.update(inst.sizes_by_name)
    exec(code, scope)
    return np.asarray(scope["result"])


def lets(src: str) -> dict[str, Sum]:
    return build_program(parse(src)).lets


DECLS = """dim n, m, r
tensor A[i: n, a: m, b: r]
tensor v[b: r]
tensor B[b: r, a: m, j: n]
tensor L[p: n, b: m]
tensor C[b: m, p: n, c: m]
invertible X[a: n, b: n]
diagonal D[a: n, b: n]
tensor W[h: n, f: m]
tensor x[h: n]
tensor P[a: n*m, b: r]
"""

EXAMPLES = {
    "mps": "L[p1, b1] C[b1, p2, b2] C[b2, p3, b3] L[p4, b3]",
    "trace": "X[i, i]",
    "hyperedge": "A[i, α, β] v[β] B[β, α, j]",
    "elementwise": "v[b] v[b] -> [b]",
    "kron": "einsum(eye(5), eye(3), 'i j, k l -> (i k) (j l)')",
    "split": "P[(i: n k), j]",
    "sum": "2 X[i, j] + 1/2 inv(X)[j, i] - n conj(X)[i, j]",
    "bubble": "relu(W[h, f] x[h]) softmax[f](W[h, f] x[h])",
    "copy": "δ[i: n, j, k]",
    "diag": "δ[i: n, j] diag(D)[k]",
}


def value_of(key: str) -> Sum:
    return lets(DECLS + f"let e = {EXAMPLES[key]}\n")["e"]


# ---------------------------------------------------------- code = evaluation


@pytest.mark.parametrize("target", ["numpy", "opt_einsum"])
@pytest.mark.parametrize("key", sorted(EXAMPLES))
def test_exported_code_computes_the_evaluated_value(key, target):
    value = value_of(key)
    inst = instance_for(value, seed=3)
    got = run_export(value, target, inst)
    want = evaluate(value, inst)
    assert got.shape == want.shape
    assert allclose_rel(got, want)[0]


@given(diagrams(max_nodes=5, bubbles=True), st.integers(0, 1000),
       st.sampled_from(["numpy", "opt_einsum"]))
def test_exported_code_equals_evaluate_on_random_diagrams(d, seed, target):
    inst = instance_for(d, seed)
    got = run_export(Sum.of(d), target, inst)
    want = evaluate(d, inst)
    assert got.shape == want.shape
    assert allclose_rel(got, want)[0]
