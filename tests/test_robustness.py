"""Whatever a user types, the answer is a result or the project's own InputError.

Random statements are assembled from the language's pieces over a fixed set of
declarations (right and wrong leg counts, unknown names, mismatched sizes,
every statement kind); running them may fail only with `InputError`, never
with any other exception, and never with a partial answer.
"""
from hypothesis import given, settings
from hypothesis import strategies as st

from rewrite.core.errors import InputError
from rewrite.app.session import Session

DECLS = """dim n, k
dim d = 2
tensor A[i: n, j: n]
tensor B[i: n, j: k]
real tensor w[i: n]
isometry U[a: n -> b: k]
unitary Q[a: n -> b: n]
invertible X[a: n, b: n]
symmetric S[i: n, j: n]
diagonal D[i: n, j: n]
"""

NAMES = ["A", "B", "w", "U", "Q", "X", "S", "D", "Z", "δ"]
INDICES = ["i", "j", "k", "a", "b", "α"]


@st.composite
def atoms(draw):
    name = draw(st.sampled_from(NAMES))
    legs = draw(st.lists(st.sampled_from(INDICES), min_size=0, max_size=3))
    wrap = draw(st.sampled_from(["{}", "conj({})", "inv({})", "diag({})"]))
    head = wrap.format(name)
    if draw(st.booleans()) and legs:
        legs[0] = legs[0] + ": " + draw(st.sampled_from(["n", "k", "2", "d"]))
    return f"{head}[{', '.join(legs)}]" if legs or draw(st.booleans()) else head


@st.composite
def expressions(draw, depth=2):
    kind = draw(st.integers(0, 6 if depth else 1))
    if kind <= 1:
        return " ".join(draw(st.lists(atoms(), min_size=1, max_size=3)))
    sub = expressions(depth=depth - 1)
    if kind == 2:
        return f"{draw(sub)} + {draw(st.sampled_from(['', '2 ', '1/2 ', 'n ']))}{draw(sub)}"
    if kind == 3:
        return f"{draw(st.sampled_from(['relu', 'exp', 'conj', 'tr']))}({draw(sub)})"
    if kind == 4:
        return f"{draw(sub)} -> [{', '.join(draw(st.lists(st.sampled_from(INDICES), max_size=3)))}]"
    if kind == 5:
        return f"{draw(st.sampled_from(NAMES))} @ {draw(st.sampled_from(NAMES))}"
    return f"({draw(sub)})[{', '.join(draw(st.lists(st.sampled_from(INDICES), max_size=2)))}]"


@st.composite
def statements(draw):
    verb = draw(st.sampled_from(["show", "simplify", "expand", "prove", "check", "cost", ""]))
    if verb in ("prove", "check"):
        return f"{verb} {draw(expressions())} == {draw(expressions())}"
    return f"{verb} {draw(expressions())}".strip()


@settings(max_examples=120)
@given(st.lists(statements(), min_size=1, max_size=3))
def test_random_programs_give_results_or_input_errors(lines):
    text = DECLS + "\n".join(lines) + "\n"
    try:
        results = Session().run(text, "fuzz.tn")
    except InputError as e:
        assert e.line is not None and e.format().startswith("fuzz.tn:")
        return
    assert len(results) == len(lines)
