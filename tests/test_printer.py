"""The printer writes index notation that builds back into the same diagram."""
from collections import Counter

import pytest
import sympy
from hypothesis import given, strategies as st

from rewrite.language.env import build_program
from rewrite.language.expressions import build_expr
from rewrite.core.canon import isomorphic
from rewrite.core.diagram import DeltaNode, Diagram, Sum, TensorNode
from rewrite.language.parse import parse
from rewrite.views.printer import format_diagram, format_sum, scalar_text, size_text

PRELUDE = """
dim n, m
tensor A[i: n, j: n]
tensor B[i: n, j: n]
tensor v[i: n]
tensor T[i: n, j: n, l: n]
tensor M[i: n*m, j: n]
tensor s[q: n, k: n]
invertible X[a: n, b: n]
diagonal D[i: n, j: n]
"""

ENV = build_program(parse(PRELUDE))


def build(text):
    return build_expr(parse(text)[0].expr, ENV)


def roundtrip(text):
    s = build(text)
    printed = format_sum(s)
    return s, printed, build(printed)


def same_graph(a: Sum, b: Sum) -> bool:
    return len(a.terms) == len(b.terms) and all(
        isomorphic(x, y, by_position=True) for x, y in zip(a.terms, b.terms))


# ------------------------------------------------------------------ the text


def test_contraction_keeps_the_users_index_name():
    assert format_sum(build("A[i, j] B[j, k]")) == "A[i, j] B[j, k]"


def test_a_wire_without_a_users_name_gets_a_fresh_one_avoiding_free_names():
    s = build("A[a, j] B[j, b]")
    s.terms[0].names.clear()
    assert format_sum(s) == "A[a, c] B[c, b]"


def test_fresh_names_never_take_a_name_the_user_wrote():
    s = build("A[i, j] B[j, k] A[k, l]")
    d = s.terms[0]
    for p in [p for p, n in d.names.items() if n == "k"]:
        del d.names[p]
    assert format_sum(s) == "A[i, j] B[j, a] A[a, l]"


def test_two_wires_with_one_users_name_are_told_apart_visibly():
    """`psi conj(psi)`: each copy of psi's inner wire is named b1 by the user;
    the second is primed with a letter-like prime, and the text re-parses."""
    s = build("(A[i, b1] B[b1, k]) (A[k, b1] B[b1, l])")
    text = format_sum(s)
    assert text == "A[i, b1] B[b1, k] A[k, b1ʹ] B[b1ʹ, l]"
    assert isomorphic(build(text).terms[0], s.terms[0])


def test_hyperedge_with_a_free_leg_prints_as_written():
    assert format_sum(build("v[i] v[i] -> [i]")) == "v[i] v[i] -> [i]"


def test_hyperedge_prints_as_one_index_on_three_legs():
    assert format_sum(build("A[i, a] v[a] A[a, j]")) == "A[i, a] v[a] A[a, j]"


def test_delta_prints_with_one_size_annotation():
    assert format_sum(build("δ[i: n, j, k]")) == "δ[i: n, j, k]"


def test_two_free_legs_on_one_hyperedge_keep_the_explicit_delta():
    assert format_sum(build("v[a] δ[a, i, j]")) == "v[a] δ[a: n, i, j]"


def test_conj_and_inv_titles():
    assert format_sum(build("conj(A)[i, j] inv(X)[j, k]")) == "conj(A)[i, j] inv(X)[j, k]"


def test_output_order_printed_when_it_differs():
    assert format_sum(build("A[i, j] B[j, k] -> [k, i]")) == "A[i, j] B[j, k] -> [k, i]"


def test_coefficients_in_front():
    assert format_sum(build("2 A[i, j] + 1/2 B[i, j] - n n A[i, j]")) == \
        "2 A[i, j] + 1/2 B[i, j] - n n A[i, j]"


def test_bare_wire_between_free_legs():
    assert format_sum(build("δ[i: n, j]")) == "δ[i: n, j]"


def test_scalar_only_diagram():
    assert format_sum(build("δ[i: n, i]")) == "n"


def test_anonymous_legs_get_identifier_names():
    assert format_sum(build("A @ B")) == "A[a, j] B[j, b]"


def test_split_leg_prints_as_a_group():
    assert format_sum(build("M[(i: n l), j]")) == "M[(i: n l: m), j]"


def test_bubble_prints_its_inside():
    assert format_sum(build("relu(A[h, f] v[h])")) == "relu(A[h, f] v[h])[f]"


def test_sum_bubble_prints_in_parentheses():
    assert format_sum(build("(A[i, j] + B[i, j]) v[j]")) == "(A[i, j] + B[i, j])[i, j] v[j]"


def test_size_text_has_no_powers():
    n = sympy.Symbol("n")
    assert size_text(n ** 2 * 3) in ("3*n*n", "n*n*3")


def test_scalar_text_fraction_and_symbols():
    n = sympy.Symbol("n")
    assert scalar_text(-sympy.Rational(1, 2) * n) == (-1, "1/2 n")


def test_printing_is_the_same_in_processes_with_different_hash_seeds():
    """What can change between runs is iteration order over hashed names:
    print the same program in fresh interpreters with different PYTHONHASHSEED."""
    import os
    import subprocess
    import sys

    code = ("from rewrite.language.env import build_program\n"
            "from rewrite.language.expressions import build_expr\n"
            "from rewrite.language.parse import parse, parse_expr\n"
            "from rewrite.views.printer import format_sum\n"
            f"env = build_program(parse({PRELUDE!r}))\n"
            "for text in ['T[i, α, β] v[β] T[β, α, j]', 'A[i, j] B[j, k] + B[i, a] A[a, k]',\n"
            "             'δ[i: n, j, k] v[k]', 'relu(A[h, f] v[h])']:\n"
            "    print(format_sum(build_expr(parse_expr(text), env)))\n")
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout
            for seed in ("0", "1", "12345")}
    assert len(outs) == 1 and outs.pop().count("\n") == 4


def test_format_diagram_of_empty_diagram_is_one():
    assert format_diagram(Diagram()) == "1"


def test_long_chain_prints_every_tensor():
    text = " ".join(f"A[x{k}, x{k + 1}]" for k in range(2000))
    out = format_sum(build(text))
    assert out.count("A[") == 2000


# -------------------------------------------------------------- round trips


@pytest.mark.parametrize("text", [
    "A[i, j] B[j, k]",
    "A[i, i]",
    "v[i] v[i] -> [i]",
    "v[i] -> []",
    "T[i, α, β] v[β] T[β, α, j]",
    "2 A[i, j] + 1/2 B[i, j] - n A[i, j]",
    "A[i, j] + A[j, i]",
    "(A[i, j] + B[i, j]) v[j]",
    "relu(A[h, f] v[h])",
    "softmax[k](s[q, k])",
    "conj(relu(v[i]))",
    "tr(A @ B)",
    "A.H",
    "kron(A, B)",
    "eye(n)",
    "einsum(eye(5), eye(3), 'i j, k l -> (i k) (j l)')",
    "M[(i: n l), j] v[j]",
    "inv(X)[a, b] X[b, c]",
    "diag(D)[i]",
    "A[i, j] -> [(i j)]",
    "(v[i] v[i] -> [i]) v[i] v[i]",
])
def test_printed_text_builds_the_same_graph(text):
    s, printed, back = roundtrip(text)
    assert same_graph(s, back), printed


_TENSORS = {"A": 2, "B": 2, "v": 1, "T": 3, "δ": None}


@st.composite
def products(draw):
    idx = st.sampled_from(["i", "j", "k", "l", "p"])
    atoms = []
    for _ in range(draw(st.integers(1, 5))):
        name = draw(st.sampled_from(sorted(_TENSORS)))
        arity = _TENSORS[name] or draw(st.integers(1, 4))
        names = [draw(idx) for _ in range(arity)]
        if name == "δ":
            names[0] += ": n"
        if name != "δ" and draw(st.booleans()):
            name = f"conj({name})"
        atoms.append(f"{name}[{', '.join(names)}]")
    return " ".join(atoms)


def _census(d):
    return Counter(type(x).__name__ + (str(x.arity) if isinstance(x, DeltaNode) else "")
                   + (x.title if isinstance(x, TensorNode) else "") for x in d.nodes.values())


@given(products())
def test_printer_output_reparses_to_the_same_nodes_and_free_legs(text):
    s = build(text)
    back = build(format_sum(s))
    for a, b in zip(s.terms, back.terms):
        assert _census(a) == _census(b)
        assert len(a.free) == len(b.free)
        assert a.scalar == b.scalar
        assert isomorphic(a, b, by_position=True)
