"""The grammar: every construct of docs/language.md parses into the expected syntax."""
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra.lark import from_lark
from lark import Lark

from rewrite.language import syntax as S
from rewrite.core.errors import InputError
from rewrite.language.parse import grammar_text, parse, parse_expr


def one(text):
    [stmt] = parse(text)
    return stmt


def factors(text):
    e = parse_expr(text)
    assert len(e.terms) == 1
    return e.terms[0].product.factors


# ------------------------------------------------------------------ statements


def test_dim_symbolic_names():
    st_ = one("dim n, m, k")
    assert [i.name for i in st_.items] == ["n", "m", "k"]
    assert all(i.value is None for i in st_.items)


def test_dim_concrete_and_mixed():
    st_ = one("dim chi = 8, r")
    assert st_.items[0].value.factors == (8,)
    assert st_.items[1].value is None


def test_tensor_declaration_legs_and_sizes():
    d = one("tensor A[i: n, j: m]")
    assert (d.kind, d.real, d.name, d.split) == ("tensor", False, "A", None)
    assert [(leg.name, leg.size.factors) for leg in d.legs] == [("i", ("n",)), ("j", ("m",))]


def test_real_qualifier():
    d = one("real tensor W[h: d, f: m]")
    assert d.real and d.kind == "tensor"


def test_isometry_arrow_records_split():
    d = one("isometry V[a: n, b: m -> c: k]")
    assert d.kind == "isometry" and d.split == 2


def test_real_isometry():
    d = one("real isometry U[a: n -> b: k]")
    assert d.real and d.kind == "isometry" and d.split == 1


@pytest.mark.parametrize("kind", ["unitary", "invertible", "symmetric", "diagonal"])
def test_every_kind_keyword(kind):
    assert one(f"{kind} X[a: n, b: n]").kind == kind


def test_product_sizes():
    d = one("tensor Z[a: n*m, b: 2*d]")
    assert d.legs[0].size.factors == ("n", "m")
    assert d.legs[1].size.factors == (2, "d")


def test_let_without_and_with_legs():
    a = one("let psi = L1[p1, b1] L2[b1, p2]")
    assert a.name == "psi" and a.indices is None
    b = one("let M[i, j] = A[i, k] B[k, j]")
    assert [s.name for s in b.indices.slots] == ["i", "j"]


def test_rule_with_params_and_kinds():
    r = one("rule cancel(X: invertible, U: real isometry): X[a, b] inv(X)[b, c] => δ[a, c]")
    assert r.name == "cancel"
    assert [(p.name, p.kind) for p in r.params] == [("X", ("invertible",)),
                                                    ("U", ("real", "isometry"))]
    assert r.source.startswith("rule cancel(")
    assert r.arrow == (1, r.source.index("=>") + 1)


def test_rule_param_list_may_be_empty_or_absent():
    assert one("rule r(): A[i] => A[i]").params == ()
    assert one("rule r: A[i] => A[i]").params == ()


def test_rule_star_groups_and_arrow_in_index_list():
    r = one("rule iso(U: isometry): conj(U)[*w -> *t] U[*w -> *s] => δ[*t, *s]")
    conj_u = r.lhs.terms[0].product.factors[0]
    assert conj_u.indices.split == 1
    assert conj_u.indices.slots == (S.Stars(("w",)), S.Stars(("t",)))


def test_groups_side_by_side_in_one_slot():
    r = one("rule f: δ[*a, k] δ[k, *b] => δ[*a *b]")
    [slot] = r.rhs.terms[0].product.factors[0].indices.slots
    assert isinstance(slot, S.Stars) and slot.names == ("a", "b")


@pytest.mark.parametrize("verb", ["simplify", "show", "expand", "cost"])
def test_command_verbs(verb):
    c = one(f"{verb} A[i, j]")
    assert c.verb == verb and not c.bare


@pytest.mark.parametrize("verb", ["prove", "check"])
def test_equations(verb):
    c = one(f"{verb} A[i] == B[i]")
    assert c.verb == verb and c.rhs is not None


def test_output_in_prove_binds_to_right_side_only():
    c = one("prove L[r, s] == R[s, r] -> [r, s]")
    assert c.expr.output is None
    assert [i.name for i in c.rhs.output] == ["r", "s"]


def test_draw_with_and_without_target():
    assert one("draw A[i]").target is None
    assert one('draw A[i] to "pic.svg"').target == "pic.svg"


def test_bare_expression_is_show():
    c = one("A[i, j]")
    assert c.verb == "show" and c.bare


# ----------------------------------------------------------------- expressions


def test_juxtaposition_is_a_product():
    assert [f.name for f in factors("A[i, j] B[j, k]")] == ["A", "B"]


def test_explicit_output_order():
    e = parse_expr("A[i, j] B[j, k] -> [k, i]")
    assert [i.name for i in e.output] == ["k", "i"]


def test_sum_signs_and_coefficients():
    e = parse_expr("2 A[i, j] + 1/2 B[i, j] - n C[i, j]")
    assert [t.sign for t in e.terms] == [1, 1, -1]
    assert e.terms[0].product.factors[0] == S.Num("2")
    half = e.terms[1].product.factors[0]
    assert isinstance(half, S.Scale) and half.op == "/"
    assert (half.left.text, half.right.text) == ("1", "2")
    assert e.terms[2].product.factors[0].name == "n"


def test_leading_minus():
    assert parse_expr("-A[i, j]").terms[0].sign == -1


def test_parenthesised_sum_in_a_product():
    [p, c] = factors("(A[i, j] + B[i, j]) C[j, k]")
    assert isinstance(p, S.Paren) and len(p.expr.terms) == 2 and c.name == "C"


def test_index_sizes_and_groups():
    [m, d] = factors("M[(i: n k), j] δ[i: n, j]")
    g = m.indices.slots[0]
    assert isinstance(g, S.Group) and [p.name for p in g.parts] == ["i", "k"]
    assert g.parts[0].size.factors == ("n",)
    assert d.name == "δ" and d.indices.slots[0].size.factors == ("n",)


def test_grouped_output():
    e = parse_expr("A[i, j] -> [(i k), (j: n l)]")
    assert all(isinstance(o, S.Group) for o in e.output)


def test_conj_inv_diag_calls_take_indices():
    [c, i, d] = factors("conj(U)[a, b] inv(X)[b, c] diag(D)[c]")
    assert (c.fn, i.fn, d.fn) == ("conj", "inv", "diag")
    assert [s.name for s in c.indices.slots] == ["a", "b"]


def test_conj_of_any_expression():
    [c] = factors("conj(A[i, j] B[j, k])")
    assert isinstance(c, S.Call) and c.indices is None


@pytest.mark.parametrize("fn", ["relu", "gelu", "exp", "tanh", "sigmoid"])
def test_bubbles(fn):
    [b] = factors(f"{fn}(W[h, f] x[h])")
    assert b.fn == fn


def test_softmax_axis():
    [s] = factors("softmax[k](s[q, k])")
    assert isinstance(s, S.Softmax) and s.axis.name == "k"


def test_matrix_sugar():
    [m] = factors("A @ B @ v")
    assert isinstance(m, S.MatMul) and len(m.operands) == 3
    [t] = factors("A.T")
    assert isinstance(t, S.Attr) and t.attr == "T"
    [h] = factors("tr(A.H @ B)")
    assert h.fn == "tr"


def test_renaming_any_expression():
    [p] = factors("(A[i, k] B[k, j])[x, y]")
    assert isinstance(p, S.Paren) and [s.name for s in p.indices.slots] == ["x", "y"]


def test_name_followed_by_paren_with_space_is_a_product():
    [a, p] = factors("A (B[i] + C[i])")
    assert isinstance(a, S.Ref) and isinstance(p, S.Paren)


def test_einsum_einops_and_numpy_conventions():
    [e1] = factors("einsum(A, v, B, 'i α β, β, β α j -> i j')")
    assert isinstance(e1.args[-1], S.Str) and e1.args[-1].value == "i α β, β, β α j -> i j"
    [e2] = factors('einsum("ij,jk->ik", A, B)')
    assert isinstance(e2.args[0], S.Str)


@pytest.mark.parametrize("call", [
    "einsum(A,V,B,W,C,X,D,Y,E,Z,'i j, i r, j k l, r k s, l m n, s m t, n o p, t o u, p q, u q -> ')",
    "einsum(x, match, x, prev_token_head, 'seq0 hidden0, hidden0 hidden1, seq1 hidden1, "
    "seq1 seq2 -> seq2 seq0')",
    "einsum(λ, U, V, W, 's, i s, j s, k s -> i j k')",
    "einsum(C, U, V, W, 'a b c, i a, j b, k c -> i j k')",
    "einsum(eye(5), eye(3), 'i j, k l -> (i k) (j l)')",
    "einsum(U, λ, conj(V), ' i j, j, k j -> i k' )",
    "einsum(a, b, 'i, j, -> i j')",
    "einsum(a, b, 'i, i, -> ')",
])
def test_seed_einsum_calls_parse(call):
    [e] = factors(call)
    assert e.fn == "einsum"


def test_diff_parses():
    [d] = factors("diff(A[i] B[i], A)")
    assert d.fn == "diff" and len(d.args) == 2


def test_unicode_identifiers():
    [a, b] = factors("W_Q[seq0, α] ψ[α]")
    assert (a.name, b.name) == ("W_Q", "ψ")


def test_keywords_are_names_inside_expressions():
    [a] = factors("A[to, real]")
    assert [s.name for s in a.indices.slots] == ["to", "real"]


# -------------------------------------------------------------------- layout


def test_comments_and_blank_lines_are_ignored():
    stmts = parse("# a comment\n\ndim n  # trailing\n\n\nA[i]\n")
    assert [type(s) for s in stmts] == [S.DimStmt, S.Command]


def test_one_statement_per_line():
    assert len(parse("A[i]\nB[i]")) == 2


def test_statement_continues_while_a_bracket_is_open():
    [c] = parse("A[i,\n  j] B[j,\nk]\n")
    assert [f.name for f in c.expr.terms[0].product.factors] == ["A", "B"]


def test_positions_are_one_based_lines_and_columns():
    [_, c] = parse("dim n\n  A[i] B[i]")
    b = c.expr.terms[0].product.factors[1]
    assert (b.line, b.column) == (2, 8)
    assert b.end_column > b.column


# ------------------------------------------------------------------ fuzzing

_NAMES = st.sampled_from(["i", "j", "A", "ψ", "W_Q", "seq0", "n", "δ", "delta", "to"])
_FUNCS = st.sampled_from(["conj", "inv", "relu", "einsum", "eye", "tr", "kron", "foo"])


def _fuzz_grammar():
    return Lark(grammar_text(), parser="lalr", lexer="contextual")


@given(from_lark(_fuzz_grammar(), explicit={
    "NAME": _NAMES,
    "FUNC": _FUNCS,
    "STRING": st.sampled_from(["'i j -> j i'", '"ij->ji"', "''"]),
    "COMMENT": st.just("# c"),
    "NUMBER": st.sampled_from(["1", "2", "0.5"]),
    "INT": st.sampled_from(["1", "3"]),
    "_NL": st.just("\n"),
    "WS": st.just(" "),
    "LINE_CONT": st.just("\\\n"),
}))
def test_grammar_sentences_parse_or_fail_with_input_error(text):
    try:
        stmts = parse(text)
    except InputError:
        return
    assert isinstance(stmts, list)


@given(st.text(alphabet="A[]() ,:ij->*δ'\"#\n=+@.2", max_size=30))
def test_arbitrary_text_never_raises_anything_but_input_error(text):
    try:
        parse(text)
    except InputError as e:
        assert e.message


def test_parsing_is_reentrant_across_threads():
    """The parser keeps no per-parse state: rules parsed at once in several
    threads each keep their own source text."""
    from concurrent.futures import ThreadPoolExecutor

    texts = [f"dim n\ntensor A{k}[i: n, j: n]\nrule r{k}: A{k}[i, j] => A{k}[j, i]\n"
             for k in range(40)]
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(parse, texts))
    for k, stmts in enumerate(results):
        assert stmts[2].source == f"rule r{k}: A{k}[i, j] => A{k}[j, i]"
