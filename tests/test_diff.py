"""diff: derivatives by poking a hole, checked against finite differences."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

from rewrite.language.env import build_program
from rewrite.language.expressions import build_expr
from rewrite.transforms.diff import diff, leg_names
from rewrite.core.errors import InputError
from rewrite.numerics.evaluate import evaluate
from rewrite.language.parse import parse
from rewrite.numerics.sample import sample_instance

PRELUDE = """dim n, m
real tensor T[a: 2, b: 3]
real tensor A[a: 3, b: 2]
real tensor v[a: 2]
real tensor w[a: 3]
tensor Z[i: n, j: n]
tensor Y[i: n, j: n]
invertible X[a: n, b: n]
"""
ENV = build_program(parse(PRELUDE))
POOL = {"T": (2, 3), "A": (3, 2), "v": (2,), "w": (3,)}
NAMES = {2: ("i", "j", "k"), 3: ("p", "q", "r")}


def expr(text):
    return build_expr(parse(text)[0].expr, ENV)


def directional(x, name, seed=0, eps=1e-6):
    """(derivative contracted with a random direction E, central difference)."""
    d = diff(x, name)
    inst = sample_instance(ENV.decls.values(), seed)
    base = inst.arrays[name].copy()
    e = np.random.default_rng(seed).standard_normal(base.shape)
    t = e.ndim
    got = evaluate(d, inst)
    got = np.tensordot(got, e, axes=(list(range(got.ndim - t, got.ndim)), list(range(t))))

    def at(a):
        inst.arrays[name] = a
        if f"inv({name})" in inst.arrays:  # the sampler stores the inverse beside X
            inst.arrays[f"inv({name})"] = np.linalg.inv(a)
        return evaluate(x, inst)

    plus, minus = at(base + eps * e), at(base - eps * e)
    at(base)
    return got, (plus - minus) / (2 * eps)


# ------------------------------------------------------------------ strategies


@st.composite
def products(draw, need_t=True):
    names = draw(st.lists(st.sampled_from(sorted(POOL)), min_size=1, max_size=3))
    if need_t and "T" not in names:
        names.append("T")
    parts = []
    for nm in names:
        idx = [draw(st.sampled_from(NAMES[s])) for s in POOL[nm]]
        parts.append(f"{nm}[{', '.join(idx)}]")
    return " ".join(parts)


def free_of(text):
    return list(expr(text).free)


@st.composite
def with_one_bubble(draw):
    fn = draw(st.sampled_from(["relu", "tanh", "exp", "sigmoid", "gelu", "softmax"]))
    inner = draw(products(need_t=draw(st.booleans())))
    free = free_of(inner)
    outer = draw(products(need_t=False))
    if "T" not in inner:
        outer += " T[i, p]"
    if fn == "softmax":
        if not free:
            fn = "tanh"
        else:
            return f"softmax[{draw(st.sampled_from(free))}]({inner}) {outer}"
    return f"{fn}({inner}) {outer}"


# ----------------------------------------------------------------- properties


@given(products(), st.integers(0, 1000))
def test_derivative_of_a_linear_diagram_matches_finite_differences(text, seed):
    got, want = directional(expr(text), "T", seed)
    assert np.allclose(got, want, rtol=1e-6, atol=1e-8)


@given(with_one_bubble(), st.integers(0, 1000))
def test_chain_rule_through_one_bubble_matches_finite_differences(text, seed):
    got, want = directional(expr(text), "T", seed, eps=1e-7)
    assert np.allclose(got, want, rtol=1e-4, atol=1e-6)


@given(products(), products(), st.integers(0, 1000))
def test_derivative_is_linear_over_sums(p1, p2, seed):
    # a common free leg set: close both products to scalars
    x = expr(f"2 ({p1} -> []) - 1/3 ({p2} -> [])")
    got, want = directional(x, "T", seed)
    assert np.allclose(got, want, rtol=1e-6, atol=1e-8)


# ------------------------------------------------------------------- behaviour


def test_each_occurrence_gives_one_term_product_rule():
    assert len(diff(expr("Z[i, j] Z[j, k]"), "Z").terms) == 2


def test_new_legs_follow_the_expression_legs_named_by_the_declaration():
    assert diff(expr("T[i, p] v[i]"), "T").free == ("p", "a", "b")


def test_colliding_leg_names_are_primed():
    assert diff(expr("Z[i, j]"), "Z").free == ("i", "j", "i'", "j'")
    assert leg_names(("a", "a'"), ("a",)) == ["a''"]


def test_conj_of_a_complex_tensor_is_independent():
    assert len(diff(expr("conj(Z)[i, j] Z[j, k]"), "Z").terms) == 1


def test_conj_of_a_real_tensor_is_the_tensor():
    assert len(diff(expr("conj(T)[i, p] T[i, q]"), "T").terms) == 2


def test_derivative_of_a_step_is_zero():
    assert diff(expr("step(T[i, p] w[p])"), "T").terms == ()


def test_derivative_of_an_inverse_matches_finite_differences():
    got, want = directional(expr("inv(X)[a, b] Z[b, a]"), "X", seed=3)
    assert np.allclose(got, want, rtol=1e-6, atol=1e-8)


def test_hole_in_a_chain_leaves_the_neighbours():
    d = diff(expr("v[i] T[i, p] w[p]"), "T")
    assert len(d.terms) == 1 and {n.decl.name for n in d.terms[0].nodes.values()} == {"v", "w"}


def test_diff_as_an_expression_in_the_language():
    assert expr("diff(Z[i, j] Y[j, k], Y)").free == ("i", "k", "i'", "j")


def test_an_absent_tensor_is_an_input_error():
    with pytest.raises(InputError, match="does not contain"):
        diff(expr("Z[i, j]"), "Y")
