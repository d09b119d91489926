"""Every input mistake is an InputError with a message, a line and a column."""
import pytest

from rewrite.language.env import build_program
from rewrite.language.expressions import build_expr
from rewrite.core.errors import InputError
from rewrite.language.parse import parse

PRELUDE = """dim n, m, k
tensor A[i: n, j: n]
tensor B[i: m, j: m]
tensor v[i: n]
tensor M[i: n*m, j: n]
isometry U[a: n -> b: k]
invertible X[a: n, b: n]
diagonal D[i: n, j: n]
"""
LINES = PRELUDE.count("\n")


def run(text):
    """Run the prelude and then `text`; return the error raised by `text`."""
    env = build_program(parse(PRELUDE))
    with pytest.raises(InputError) as info:
        for st in parse(text):
            if hasattr(st, "verb"):
                build_expr(st.expr, env)
                if st.rhs is not None:
                    build_expr(st.rhs, env)
            else:
                env.execute_declaration(st)
    return info.value


def where(e):
    return (e.line, e.column)


# -------------------------------------------------------------------- syntax


def test_missing_closing_bracket():
    e = run("A[i, j")
    assert e.message == "missing ']'" and where(e) == (1, 2)


def test_missing_closing_bracket_across_lines():
    e = run("A[i, j\nB[j, k]")
    assert e.message == "missing ']'" and where(e) == (1, 2)


def test_missing_closing_paren():
    e = run("relu(A[i, j]")
    assert e.message == "missing ')'" and where(e) == (1, 5)


def test_expected_an_index_name():
    e = run("A[, j]")
    assert e.message == "expected an index name" and where(e) == (1, 3)


def test_unexpected_closing_paren():
    e = run("A[i, j])")
    assert e.message == "unexpected ')'" and where(e) == (1, 8)


def test_unterminated_string():
    e = run("einsum(A, 'i j -> i)")
    assert e.message == "unterminated string" and where(e) == (1, 11)


def test_expected_a_size():
    e = run("tensor Q[i: ]")
    assert e.message == "expected a size" and where(e) == (1, 13)


def test_unexpected_character():
    e = run("A[i, j] $")
    assert e.message == "unexpected character '$'" and where(e) == (1, 9)


def test_error_formats_with_caret():
    e = run("A[, j]")
    text = e.located("A[, j]\n").format()
    assert text.splitlines()[-1] == "      ^"


# ------------------------------------------------------------------ semantics


def test_unknown_tensor():
    e = run("A[i, j] Nope[j]")
    assert e.message == "unknown name 'Nope'" and where(e) == (1, 9)


def test_wrong_number_of_legs():
    e = run("A[i]")
    assert e.message == "wrong number of legs: A has 2, but 1 is given" and where(e) == (1, 1)


def test_size_mismatch_reports_both_sizes():
    e = run("A[i, j] B[j, k]")
    assert "size mismatch on index 'j'" in e.message
    assert "n" in e.message and "m" in e.message
    assert where(e) == (1, 11)


def test_annotated_size_mismatch():
    e = run("A[i: m, j]")
    assert e.message == "size mismatch on index 'i': annotated m, but the leg has size n"
    assert where(e) == (1, 3)


def test_terms_with_different_free_indices():
    e = run("A[i, j] + v[i]")
    assert e.message.startswith("the terms of a sum must have the same free indices")
    assert where(e) == (1, 11)


def test_isometry_tip_larger_than_wide_side():
    e = run("isometry Z[a: 2 -> b: 3]")
    assert e.message == "isometry Z: its tip side (3) is larger than its wide side (2)"
    assert where(e) == (1, 10)


def test_unitary_sides_must_match():
    e = run("unitary Q[a: 2 -> b: 3]")
    assert e.message.startswith("unitary Q: its two sides have different sizes")


def test_index_listed_twice_in_output():
    e = run("A[i, j] -> [i, i]")
    assert e.message == "index 'i' is listed twice in the output" and where(e) == (1, 16)


def test_output_index_not_in_expression():
    e = run("A[i, j] -> [i, z]")
    assert e.message == "index 'z' in the output does not occur in the expression"
    assert where(e) == (1, 16)


def test_unsized_lone_delta():
    e = run("δ[i, j]")
    assert e.message.startswith("cannot tell the size of index 'i'")
    assert where(e) == (1, 1)


def test_unknown_kind_in_rule():
    e = run("rule r(X: orthonormal): X[a] => X[a]")
    assert e.message.startswith("unknown kind 'orthonormal'") and where(e) == (1, 8)


def test_arrow_in_tensor_reference_outside_rules():
    e = run("U[a -> b]")
    assert e.message == "'->' inside an index list is only allowed in rules"
    assert where(e) == (1, 3)


def test_einsum_wrong_number_of_operands():
    e = run("einsum(A, 'i j, j k -> i k')")
    assert e.message == "the einsum spec has 2 operands but 1 tensor is given"
    assert where(e) == (1, 11)


def test_einsum_wrong_number_of_indices():
    e = run("einsum(A, v, 'i j, j k -> i k')")
    assert e.message == "operand 2 of einsum has 1 leg but the spec gives it 2 indices"
    assert where(e) == (1, 11)


def test_einops_spec_needs_an_arrow():
    e = run("einsum(A, 'i j')")
    assert e.message.startswith("an einops-style einsum spec needs '->'")


def test_numpy_spec_with_multi_letter_names():
    e = run("einsum('ab cd,cd->ab', A, A)")
    assert e.message.startswith("a numpy-style einsum spec (spec first) takes one letter")
    assert where(e) == (1, 8)


def test_inv_of_a_non_invertible():
    e = run("inv(A)[i, j]")
    assert e.message == "inv(A): A is not declared invertible (or unitary)" and where(e) == (1, 1)


def test_diag_of_a_non_diagonal():
    e = run("diag(A)[i]")
    assert e.message == "diag(A): A is not declared diagonal" and where(e) == (1, 1)


def test_duplicate_declaration():
    e = run("tensor A[i: n]")
    assert e.message == "duplicate declaration of 'A'" and where(e) == (1, 8)


def test_duplicate_dim():
    e = run("dim n")
    assert e.message == "duplicate declaration of 'n'" and where(e) == (1, 5)


def test_unknown_size_in_declaration():
    e = run("tensor Q[i: p]")
    assert e.message.startswith("unknown size 'p'") and where(e) == (1, 13)


def test_unknown_function():
    e = run("frob(A)")
    assert e.message == "unknown function 'frob'" and where(e) == (1, 1)


def test_diff_with_respect_to_an_unknown_tensor():
    e = run("diff(A[i, j] v[j], Q)")
    assert e.message == "unknown tensor 'Q'" and where(e) == (1, 20)


def test_diff_with_respect_to_a_tensor_the_expression_lacks():
    e = run("diff(A[i, j] v[j], B)")
    assert "does not contain the tensor 'B'" in e.message and where(e) == (1, 20)


def test_rule_sides_with_different_boundaries():
    e = run("rule bad: A[i, j] => A[i, k]")
    assert "j only on the left" in e.message and "k only on the right" in e.message
    assert where(e) == (1, 19)


def test_rule_names_must_be_declared_or_parameters():
    e = run("rule r: Q[i] => Q[i]")
    assert e.message.startswith("unknown name 'Q'") and where(e) == (1, 9)


def test_group_sizes_that_cannot_be_inferred():
    e = run("M[(i l), j]")
    assert e.message.startswith("cannot tell the sizes of this group's parts")
    assert where(e) == (1, 4)


def test_grouped_leg_size_mismatch():
    e = run("M[(i: n l: n), j]")
    assert e.message.startswith("size mismatch on a grouped leg") and where(e) == (1, 4)


def test_softmax_axis_must_be_free():
    e = run("softmax[z](A[i, j])")
    assert e.message.startswith("softmax axis 'z' is not a free index")


def test_matrix_sugar_needs_one_or_two_legs():
    e = run("tensor T3[i: n, j: n, l: n]\nT3 @ A")
    assert e.message.startswith("matrix notation needs 1 or 2 free legs") and e.line == 2


def test_leg_groups_only_in_rules():
    e = run("A[*w]")
    assert e.message == "leg-group variables (*w) are only allowed in rules"


def test_division_by_zero_in_a_coefficient():
    e = run("show 1/0 A[i, j]")
    assert e.message == "division by zero"
    assert where(e) == (1, 8)


def test_eye_of_size_zero():
    e = run("show eye(0)")
    assert e.message == "eye(...) takes a positive size"


def test_delta_without_legs():
    e = run("show δ[]")
    assert e.message == "a delta needs at least one leg"
