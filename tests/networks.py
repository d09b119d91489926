"""Programs for the standard tensor networks, at any size, for picture tests.

Each function returns (declarations, expression): the text of a `.tn` file
declaring the tensors and a `let` for the state, and the expression to draw.
"""
from __future__ import annotations


def mps(n: int, norm: bool = True) -> tuple[str, str]:
    """An n-site tensor train (open boundary), or its norm."""
    lines = ["dim p = 2, chi = 3"]
    atoms = []
    for i in range(1, n + 1):
        legs = ([f"a: chi"] if i > 1 else []) + ["s: p"] + ([f"b: chi"] if i < n else [])
        lines.append(f"tensor A{i}[{', '.join(legs)}]")
        idx = ([f"b{i - 1}"] if i > 1 else []) + [f"s{i}"] + ([f"b{i}"] if i < n else [])
        atoms.append(f"A{i}[{', '.join(idx)}]")
    lines.append("let psi = " + " ".join(atoms))
    return "\n".join(lines) + "\n", "psi conj(psi)" if norm else "psi"


def mpo_norm(n: int) -> tuple[str, str]:
    """⟨ψ|O|ψ⟩ for an n-site tensor train ψ and an n-site operator train O."""
    decls, _ = mps(n)
    lines = [decls.rstrip()]
    atoms = []
    for i in range(1, n + 1):
        legs = ([f"l: chi"] if i > 1 else []) + ["i: p", "o: p"] + ([f"r: chi"] if i < n else [])
        lines.append(f"tensor W{i}[{', '.join(legs)}]")
        idx = ([f"w{i - 1}"] if i > 1 else []) + [f"s{i}", f"t{i}"] + ([f"w{i}"] if i < n else [])
        atoms.append(f"W{i}[{', '.join(idx)}]")
    lines.append("let O = " + " ".join(atoms))
    ket = " ".join(f"A{i}[{', '.join(([f'b{i - 1}'] if i > 1 else []) + [f's{i}'] + ([f'b{i}'] if i < n else []))}]"
                   for i in range(1, n + 1))
    bra = " ".join(f"conj(A{i})[{', '.join(([f'c{i - 1}'] if i > 1 else []) + [f't{i}'] + ([f'c{i}'] if i < n else []))}]"
                   for i in range(1, n + 1))
    return "\n".join(lines) + "\n", f"{ket} O {bra}"


def peps(rows: int, cols: int, norm: bool = True) -> tuple[str, str]:
    """A rows×cols PEPS (open boundary), or its norm."""
    lines = ["dim p = 2, chi = 3"]
    atoms = []
    for r in range(rows):
        for c in range(cols):
            legs, idx = ["s: p"], [f"s{r}_{c}"]
            for name, cond, bond in (("l", c > 0, f"h{r}_{c - 1}"), ("r", c < cols - 1, f"h{r}_{c}"),
                                     ("u", r > 0, f"v{r - 1}_{c}"), ("d", r < rows - 1, f"v{r}_{c}")):
                if cond:
                    legs.append(f"{name}: chi")
                    idx.append(bond)
            lines.append(f"tensor P{r}{c}[{', '.join(legs)}]")
            atoms.append(f"P{r}{c}[{', '.join(idx)}]")
    lines.append("let psi = " + " ".join(atoms))
    return "\n".join(lines) + "\n", "psi conj(psi)" if norm else "psi"


def ttn(depth: int, norm: bool = True) -> tuple[str, str]:
    """A binary tree tensor network with 2**depth physical legs: isometries
    pointing from the leaves (wide side) to the root tensor."""
    lines = ["dim p = 2, chi = 2"]
    atoms = []
    counter = [0]

    def node(level: int, up: str | None) -> None:
        counter[0] += 1
        k = counter[0]
        if level == depth:
            return
        kids = []
        for side in "ab":
            kid = f"x{k}{side}" if level + 1 < depth else f"s{k}{side}"
            kids.append(kid)
        if up is None:
            lines.append(f"tensor R[a: chi, b: chi]" if level + 1 < depth else "tensor R[a: p, b: p]")
            atoms.append(f"R[{kids[0]}, {kids[1]}]")
        else:
            size = "chi" if level + 1 < depth else "p"
            lines.append(f"isometry U{k}[a: {size}, b: {size} -> c: chi]")
            atoms.append(f"U{k}[{kids[0]}, {kids[1]}, {up}]")
        for kid in kids:
            if level + 1 < depth:
                node(level + 1, kid)

    node(0, None)
    lines.append("let psi = " + " ".join(atoms))
    return "\n".join(lines) + "\n", "psi conj(psi)" if norm else "psi"


def tucker() -> tuple[str, str]:
    """A Tucker decomposition: a core with a factor matrix on each of three legs."""
    return ("dim n = 4, r = 2\ntensor G[a: r, b: r, c: r]\nisometry U1[i: n -> a: r]\n"
            "isometry U2[i: n -> a: r]\nisometry U3[i: n -> a: r]\n",
            "G[a, b, c] U1[i, a] U2[j, b] U3[k, c]")


def cp() -> tuple[str, str]:
    """A CP decomposition: three factor matrices meeting at a delta with weights."""
    return ("dim n = 4, r = 2\ntensor F1[i: n, a: r]\ntensor F2[i: n, a: r]\ntensor F3[i: n, a: r]\n"
            "tensor lam[a: r]\n",
            "δ[a, b, c, e] lam[e] F1[i, a] F2[j, b] F3[k, c]")
