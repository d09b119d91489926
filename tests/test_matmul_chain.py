"""A chain `A @ B @ ...` is built in one pass; it must mean what pairwise grouping means."""
from rewrite.app.session import Session


def test_a_long_matrix_chain_is_the_same_diagram_as_its_pairwise_grouping():
    s = Session()
    results = s.run("dim n\ntensor A[i: n, j: n]\ntensor B[i: n, j: n]\ntensor C[i: n, j: n]\n"
                    "prove A @ B @ C @ A == A @ (B @ (C @ A))\n"
                    "prove A @ B @ C @ A == (A[a, b] B[b, c] C[c, d] A[d, e]) -> [a, e]\n"
                    "prove A @ B @ C == A @ C @ B\n")
    assert [r.status for r in results] == ["proved", "proved", "refuted"]
