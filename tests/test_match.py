"""Matching: a rule's left side found in host diagrams, by port, never across a projector."""
import re

import sympy

from rewrite.core.diagram import BOUNDARY, DeltaNode, Diagram, TensorNode
from rewrite.rewriting.instantiate import Binding, instantiate
from rewrite.core.kinds import Decl, Kind
from rewrite.rewriting.match import compile_side, find_matches, match_wire
from rewrite.core.pattern import DELTA, Atom, Rule, Side, Slot, VarKind

# ---------------------------------------------------------------- test helpers
# Rules and hosts are written in index notation and turned into values by a tiny
# reader, so each test states its pattern the way a user would.

_ATOM = re.compile(r"((?:conj|inv|diag)\()*([\wδ]+)\)*\[([^\]]*)\]")


def side(text: str, coeff=1) -> Side:
    atoms, order, count = [], [], {}
    for m in _ATOM.finditer(text):
        wrap = m.group(0)[: m.start(2) - m.start(0)]
        head = m.group(2)
        head = DELTA if head in ("δ", "delta") else head
        body = m.group(3)
        parts = body.split("->")
        slots, split = [], None
        for n, part in enumerate(parts):
            if n == 1:
                split = len(slots)
            for s in part.split(","):
                s = s.strip()
                if not s:
                    continue
                names = tuple(x.lstrip("*") for x in s.split())
                slots.append(Slot(names, s.startswith("*")))
                for x in names:
                    if x not in count:
                        order.append(x)
                    count[x] = count.get(x, 0) + 1
        op = "inv" if "inv(" in wrap else "diag" if "diag(" in wrap else ""
        atoms.append(Atom(head, tuple(slots), "conj(" in wrap, op, split))
    return Side(tuple(atoms), coeff, tuple(x for x in order if count[x] == 1))


def rule(name, params, lhs, rhs, decls=None, lcoeff=1, rcoeff=1) -> Rule:
    l, r = side(lhs, lcoeff), side(rhs, rcoeff)
    groups = frozenset(s.names[0] for a in l.atoms + r.atoms for s in a.args if s.group)
    ps = {k: (v if isinstance(v, VarKind) else VarKind(Kind(v))) for k, v in params.items()}
    return Rule(name, ps, l, Side(r.atoms, r.coeff, l.boundary), decls or {}, groups)


def decl(name, kind, wide, tip=(), real=False) -> Decl:
    sizes = tuple(sympy.Integer(s) for s in tuple(wide) + tuple(tip))
    legs = tuple(f"{name.lower()}{i}" for i in range(len(sizes)))
    return Decl(name, Kind(kind), legs, sizes, len(wide), real)


def host(text: str, *decls: Decl, **named: Decl) -> Diagram:
    """A concrete diagram in index notation; `named` binds heads to other decls."""
    return instantiate(side(text), Binding(decls={**{d.name: d for d in decls}, **named}))


ISOMETRY = rule("isometry", {"U": "isometry"}, "conj(U)[*w -> *t] U[*w -> *s]", "δ[*t, *s]")
UNITARY = rule("unitary", {"Q": "unitary"}, "Q[*w -> *t] conj(Q)[*v -> *t]", "δ[*w, *v]")
INVERSE = rule("inverse", {"X": "invertible"}, "X[*a -> *b] inv(X)[*b -> *c]", "δ[*a, *c]")
INVERSE2 = rule("inverse_left", {"X": "invertible"}, "inv(X)[*a -> *b] X[*b -> *c]", "δ[*a, *c]")
FUSION = rule("delta_fusion", {}, "δ[*a, k] δ[k, *b]", "δ[*a *b]")
LOOP = rule("delta_loop", {}, "δ[*a, k, k]", "δ[*a]")
DIAG = rule("diagonal", {"D": "diagonal"}, "D[i, j]", "diag(D)[k] δ[i, j, k]")
REAL = rule("conj_real", {"R": VarKind(Kind.GENERIC, True)}, "conj(R)[*l]", "R[*l]")
GAUGE = rule("gauge", {"X": "invertible"}, "δ[a, c]", "X[a, b] inv(X)[b, c]")


def all_matches(r, d):
    return list(find_matches(r, d))


# ----------------------------------------------------------------------- tests


def test_isometry_rule_matches_adjoint_times_isometry_of_every_arity():
    for wide, tip in [((3,), (2,)), ((2, 3), (2,)), ((2, 3), (2, 2)), ((2, 2, 2), (2, 3))]:
        U = decl("U", "isometry", wide, tip)
        w = ", ".join(f"w{i}" for i in range(len(wide)))
        t = ", ".join(f"t{i}" for i in range(len(tip)))
        s = ", ".join(f"s{i}" for i in range(len(tip)))
        d = host(f"conj(U)[{w}, {t}] U[{w}, {s}]", U)
        ms = all_matches(ISOMETRY, d)
        assert ms, (wide, tip)
        assert ms[0].groups == {"w": len(wide), "t": len(tip), "s": len(tip)}
        assert ms[0].remove == frozenset(d.nodes)


def test_isometry_rule_never_matches_the_tip_contracted_projector():
    U = decl("U", "isometry", (3,), (2,))
    d = host("U[a, t] conj(U)[b, t]", U)
    assert all_matches(ISOMETRY, d) == []
    assert all_matches(UNITARY, d) == []


def test_isometry_rule_needs_every_wide_leg_contracted():
    U = decl("U", "isometry", (2, 3), (2,))
    d = host("conj(U)[a, b, t] U[a, c, s]", U)
    assert all_matches(ISOMETRY, d) == []


def test_unitary_rule_matches_q_times_adjoint():
    Q = decl("Q", "unitary", (2, 3), (6,))
    d = host("Q[a, b, t] conj(Q)[c, e, t]", Q)
    (m, *_) = all_matches(UNITARY, d)
    assert m.groups == {"w": 2, "v": 2, "t": 1}


def test_variable_binds_one_declared_tensor():
    U = decl("U", "isometry", (3,), (2,))
    V = decl("V", "isometry", (3,), (2,))
    d = host("conj(U)[a, t] V[a, s]", U, V)
    assert all_matches(ISOMETRY, d) == []


def test_kind_is_checked():
    A = decl("A", "tensor", (3,), (2,))
    d = host("conj(A)[a, t] A[a, s]", A)
    assert all_matches(ISOMETRY, d) == []


def test_inverse_matches_in_both_orders():
    X = decl("X", "invertible", (3,), (3,))
    assert all_matches(INVERSE, host("X[a, b] inv(X)[b, c]", X))
    assert all_matches(INVERSE2, host("inv(X)[a, b] X[b, c]", X))
    assert not all_matches(INVERSE, host("inv(X)[a, b] X[b, c]", X))


def test_boundary_legs_may_close_into_a_trace():
    X = decl("X", "invertible", (3,), (3,))
    d = host("X[a, b] inv(X)[b, a]", X)
    (m, *_) = all_matches(INVERSE, d)
    assert m.outer == (("leg", 1), ("leg", 0))


def test_boundary_legs_on_free_legs_point_at_the_boundary():
    X = decl("X", "invertible", (3,), (3,))
    d = host("X[a, b] inv(X)[b, c]", X)
    (m, *_) = all_matches(INVERSE, d)
    assert all(p[0] == BOUNDARY for p in m.outer)


def test_delta_fusion_branches_over_delta_ports():
    d = Diagram()
    u, v = d.add_node(DeltaNode(2, 3)), d.add_node(DeltaNode(2, 3))
    d.connect((u, 2), (v, 0))
    for p in [(u, 0), (u, 1), (v, 1), (v, 2)]:
        d.connect(p, d.add_free(f"x{p}", 2))
    ms = all_matches(FUSION, d)
    assert ms and all(m.groups == {"a": 2, "b": 2} for m in ms)
    # From either anchor, whichever delta plays δ[*a, k]:
    assert {m.nodes for m in ms} == {(u, v), (v, u)}


def test_delta_loop_matches_a_self_loop_only():
    d = Diagram()
    u = d.add_node(DeltaNode(2, 3))
    d.connect((u, 0), (u, 2))
    d.connect((u, 1), d.add_free("x", 2))
    (m, *_) = all_matches(LOOP, d)
    assert m.groups == {"a": 1}
    e = Diagram()
    w = e.add_node(DeltaNode(2, 3))
    for i in range(3):
        e.connect((w, i), e.add_free(f"x{i}", 2))
    assert all_matches(LOOP, e) == []


def test_symmetric_tensor_ports_are_interchangeable():
    D = decl("D", "diagonal", (3, 3))
    d = host("D[i, j]", D)
    ms = all_matches(DIAG, d)
    assert len(ms) == 2  # i, j on ports (0, 1) or (1, 0)


def test_conjugate_of_real_tensor_needs_a_real_tensor():
    R = decl("R", "tensor", (2, 3), real=True)
    C = decl("C", "tensor", (2, 3))
    assert all_matches(REAL, host("conj(R)[a, b]", R))
    assert not all_matches(REAL, host("conj(C)[a, b]", C))
    assert not all_matches(REAL, host("R[a, b]", R))


def test_bubbles_are_never_matched_across():
    from rewrite.core.diagram import BubbleNode, Sum
    U = decl("U", "isometry", (3,), (2,))
    inner = host("U[a, s]", U)
    d = host("conj(U)[a, t]", U)
    b = d.add_node(BubbleNode("relu", Sum.of(inner)))
    (pu,) = [p for p, q in d.link.items() if p[0] != BOUNDARY and d.port_size(p) == 3]
    fa = d.link[pu]
    d.disconnect(pu)
    d.connect(pu, (b, 1))
    d.connect((b, 0), fa)
    assert all_matches(ISOMETRY, d) == []


def test_anchors_restrict_where_matches_start():
    U = decl("U", "isometry", (3,), (2,))
    d = host("conj(U)[a, t] U[a, s] conj(U)[b, r] U[b, q]", U)
    ms = list(find_matches(ISOMETRY, d, anchors=[0]))
    assert ms and all(0 in m.remove for m in ms)


def test_bare_wire_side_matches_only_on_request():
    X = decl("X", "invertible", (3,), (3,))
    d = host("X[a, b] X[b, c]", X)
    assert all_matches(GAUGE, d) == []
    assert compile_side(GAUGE).bare_wire
    m = match_wire(GAUGE, d, (0, 1))
    assert m.cut == (((0, 1), (1, 0)),) and m.outer == ((0, 1), (1, 0))
