"""Matrix and einsum notation, as products over private index names.

`A @ B`, `A.T`, `A.H`, `tr(A)`, `kron(A, B)` and `einsum(..., spec)` are
sugar: each is one `Product` whose operands (already built sub-expressions,
`Sum`s) are joined over names nobody can write (`%r`, `%c`), with output
legs `#0`, `#1`, ... that take their names from where the result is used.
The builders in `expressions` build the operands and call these; nothing
here looks at the environment, so sugar cannot capture a user's index.

Einsum specs come in two spellings: numpy's (spec first, one letter per
index) and einops' (spec last, named indices, `(i j)` groups); both may use
`...` for the legs the named indices leave over, aligned as numpy does.
"""
from __future__ import annotations

import re
from typing import Any, Sequence

from . import syntax as S
from ..core.diagram import Sum
from ..core.errors import error_at
from .product import Product


def matrix(s: Sum, at: Any, allowed: tuple[int, ...] = (1, 2)) -> Sum:
    """`s` itself, after checking it is a vector or matrix (as `allowed` says)."""
    if len(s.free) not in allowed:
        want = " or ".join(str(a) for a in allowed)
        raise error_at(f"matrix notation needs {want} free leg{'s' if want != '1' else ''}, "
                       f"this has {len(s.free)}", at)
    return s


def _position(at: Any) -> dict:
    return dict(line=at.line, column=at.column, end_column=at.end_column, end_line=at.end_line)


def sugar(at: Any, atoms: list[tuple[Sum, list[str]]], out: list[Any]) -> Sum:
    """Build a product of sub-expressions over private names; output legs `#0`, `#1`...

    `out` items are a name or a tuple of names (a fused leg).
    """
    pos = _position(at)
    p = Product()
    for s, names in atoms:
        p.embed(s, [S.Index("%" + n, **pos) for n in names], {}, at, "")
    output: list[Any] = []
    for item in out:
        if isinstance(item, tuple):
            output.append(S.Group(tuple(S.Index("%" + n, **pos) for n in item), **pos))
        else:
            output.append(S.Index("%" + item, **pos))
    d = p.finish(output, {}, at)
    d = d.renamed([f"#{k}" for k in range(len(d.free))])
    return Sum.of(d)


def transpose(base: Sum, attr: str, at: Any) -> Sum:
    """`X.T` and `X.H` (the conjugate transpose); a vector stays a vector."""
    base = matrix(base, at)
    if attr not in ("T", "H"):
        raise error_at(f"unknown attribute '.{attr}' (matrix notation has .T and .H)", at)
    if attr == "H":
        base = base.conjugate()
    if len(base.free) == 1:
        return sugar(at, [(base, ["a"])], ["a"])
    return sugar(at, [(base, ["a", "b"])], ["b", "a"])


def matmul(operands: Sequence[tuple[Sum, Any]], at: Any) -> Sum:
    """`A @ B @ ...`, left to right; vectors are rows or columns as numpy's `@`.

    A chain of matrices is one product over fresh names (`k0 k1, k1 k2, ...`),
    built once: folding it pairwise re-embedded the growing left part at every
    step, quadratic in the length (4,000 factors took 35 s).  Chains with a
    vector somewhere fold pairwise, which gives numpy's row/column reading.
    """
    mats = [matrix(s, where) for s, where in operands]
    if len(mats) > 2 and all(len(m.free) == 2 for m in mats):
        return sugar(at, [(m, [f"k{i}", f"k{i + 1}"]) for i, m in enumerate(mats)],
                     ["k0", f"k{len(mats)}"])
    acc = matrix(*operands[0])
    for s, where in operands[1:]:
        right = matrix(s, where)
        left_names = ["r", "c"] if len(acc.free) == 2 else ["c"]
        right_names = ["c", "s"] if len(right.free) == 2 else ["c"]
        out = [n for n in ("r", "s") if n in left_names or n in right_names]
        acc = sugar(at, [(acc, left_names), (right, right_names)], out)
    return acc


def trace(m: Sum, where: Any, at: Any) -> Sum:
    """`tr(A)`: a square matrix's two legs joined."""
    return sugar(at, [(matrix(m, where, (2,)), ["a", "a"])], [])


def kron(factors: Sequence[Sum], at: Any) -> Sum:
    """`kron(A, B, ...)`: rows and columns fused in one group each, first factor
    outermost (row-major), so any grouping of a chain is the same diagram."""
    legs = {len(f.free) for f in factors}
    if len(legs) != 1:
        raise error_at("kron takes matrices only or vectors only", at)
    n = len(factors)
    if legs == {2}:
        return sugar(at, [(f, [f"r{k}", f"c{k}"]) for k, f in enumerate(factors)],
                     [tuple(f"r{k}" for k in range(n)), tuple(f"c{k}" for k in range(n))])
    return sugar(at, [(f, [f"r{k}"]) for k, f in enumerate(factors)],
                 [tuple(f"r{k}" for k in range(n))])


# ------------------------------------------------------------------- einsum

_NAME = re.compile(r"[^\W\d]\w*")  # the grammar's NAME
_TOKEN = re.compile(r"\(|\)|\.\.\.|[^\s(),.]+|\.")


def split_spec(args: Sequence[Any], at: Any) -> tuple[S.Str, list[Any], list[list[Any]], list[Any]]:
    """(spec node, operand nodes, input names per operand, output names) of an einsum call."""
    args = list(args)
    if not args or not any(isinstance(a, S.Str) for a in args):
        raise error_at("einsum needs a spec string, as in einsum(A, B, 'i j, j k -> i k')", at)
    if isinstance(args[0], S.Str):
        spec, operands = args[0], args[1:]
        inputs, output = _numpy_spec(spec)
    elif isinstance(args[-1], S.Str):
        spec, operands = args[-1], args[:-1]
        inputs, output = _einops_spec(spec)
    else:
        raise error_at("einsum's spec string goes first (numpy) or last (einops)", at)
    for a in operands:
        if isinstance(a, S.Str):
            raise error_at("einsum takes one spec string", a)
    if len(inputs) != len(operands):
        raise error_at(f"the einsum spec has {len(inputs)} operand{'s' if len(inputs) != 1 else ''}"
                       f" but {len(operands)} tensor{'s are' if len(operands) != 1 else ' is'} "
                       "given", spec)
    return spec, operands, inputs, output


def einsum(spec: S.Str, operands: Sequence[Any], built: list[Sum], inputs: list[list[Any]],
           output: list[Any]) -> Sum:
    """The contraction the spec describes, over the built operands."""
    pos = _position(spec)
    inputs, output = _expand_ellipsis(inputs, output, built, list(operands), spec)
    p = Product()
    for k, (a, s, names) in enumerate(zip(operands, built, inputs)):
        if len(names) != len(s.free):
            raise error_at(f"operand {k + 1} of einsum has {len(s.free)} leg"
                           f"{'s' if len(s.free) != 1 else ''} but the spec gives it "
                           f"{len(names)} ind{'ices' if len(names) != 1 else 'ex'}", a)
        p.embed(s, [_spec_slot(n, pos) for n in names], {}, a, f"operand {k + 1}")
    out = [_spec_slot(n, pos) for n in output]
    return Sum.of(p.finish(out, {}, spec))

ELLIPSIS = "..."


def _expand_ellipsis(inputs: list[list[Any]], output: list[Any], built: list[Sum],
                     operands: list[Any], spec: S.Str) -> tuple[list[list[Any]], list[Any]]:
    """Replace `...` by index names for the legs it stands for, as numpy broadcasts.

    An operand's `...` covers the legs its named indices leave over; the runs
    are aligned from the right (numpy's rule), so `'...ij,jk'` and
    `'...ij,...jk'` mean what they mean in numpy.  Size-1 broadcasting has no
    diagram meaning: legs that meet must have equal sizes, as for any index.
    Each covered leg takes the name its tensor gives it (`A[x: b, i, j]`
    contributes `x`), so the einsum's free legs read naturally; a name the
    spec already uses gets a number.  As in numpy, legs under `...` must
    reach the output (`'...ij->ij'` is an error, not a silent sum).
    """
    if not any(ELLIPSIS in names for names in inputs) and _dots(output) == 0:
        return inputs, output
    used = {x for names in [*inputs, output] for n in names
            for x in (n if isinstance(n, tuple) else (n,)) if x != ELLIPSIS}
    counts = []
    for k, (names, s) in enumerate(zip(inputs, built)):
        if names.count(ELLIPSIS) > 1:
            raise error_at(f"operand {k + 1}'s spec has '...' twice", spec)
        if ELLIPSIS not in names:
            counts.append(0)
            continue
        extra = len(s.free) - (len(names) - 1)
        if extra < 0:
            raise error_at(f"operand {k + 1} of einsum has {len(s.free)} leg"
                       f"{'s' if len(s.free) != 1 else ''} but the spec names "
                       f"{len(names) - 1} besides '...'", operands[k])
        counts.append(extra)
    width = max(counts, default=0)
    # Name each broadcast position after the first operand (from the right) that has it.
    names_at: list[str | None] = [None] * width
    for names, s, extra in zip(inputs, built, counts):
        if ELLIPSIS not in names:
            continue
        start = names.index(ELLIPSIS)
        for j in range(extra):
            slot = width - extra + j
            if names_at[slot] is None:
                names_at[slot] = _fresh(s.free[start + j], used)
    run = [n or _fresh("e", used) for n in names_at]
    if _dots(output) == 0 and width:
        raise error_at("the output drops the legs under '...'; write '...' in the output "
                   "(numpy does not sum them either)", spec)
    if _dots(output) > 1:
        raise error_at("the output has '...' twice", spec)

    def expand(names: list[Any], extra: int) -> list[Any]:
        out: list[Any] = []
        for n in names:
            if n == ELLIPSIS:
                out.extend(run[width - extra:])
            elif isinstance(n, tuple) and ELLIPSIS in n:  # '(... i)': group them too
                k = n.index(ELLIPSIS)
                out.append(tuple(n[:k]) + tuple(run[width - extra:]) + tuple(n[k + 1:]))
            else:
                out.append(n)
        return out

    return [expand(n, c) for n, c in zip(inputs, counts)], expand(output, width)


def _dots(names: list[Any]) -> int:
    """How many times `...` appears, at top level or inside a group."""
    return sum(n == ELLIPSIS or (isinstance(n, tuple) and ELLIPSIS in n) for n in names)


def _fresh(name: str, used: set[str]) -> str:
    out, k = name, 2
    while out in used:
        out, k = f"{name}{k}", k + 1
    used.add(out)
    return out


def _spec_slot(n: Any, pos: dict) -> Any:
    if isinstance(n, tuple):
        return S.Group(tuple(S.Index(x, **pos) for x in n), **pos)
    return S.Index(n, **pos)


def _words(text: str, spec: S.Str) -> list[Any]:
    out: list[Any] = []
    group: list[str] | None = None
    for t in _TOKEN.findall(text):
        if t == "(":
            if group is not None:
                raise error_at("nested groups in an einsum spec", spec)
            group = []
        elif t == ")":
            if group is None:
                raise error_at("unbalanced ')' in the einsum spec", spec)
            out.append(tuple(group))
            group = None
        elif t != ELLIPSIS and not _NAME.fullmatch(t):
            raise error_at(f"'{t}' is not an index name in the einsum spec "
                       "(names are words like i, batch, α1; '...' stands for the rest)", spec)
        elif group is not None:
            group.append(t)
        else:
            out.append(t)
    if group is not None:
        raise error_at("unbalanced '(' in the einsum spec", spec)
    return out


def _einops_spec(spec: S.Str) -> tuple[list[list[Any]], list[Any]]:
    text = spec.value
    if "->" not in text:
        raise error_at("an einops-style einsum spec needs '->', as in 'i j, j k -> i k'", spec)
    lhs, rhs = text.split("->", 1)
    parts = lhs.split(",")
    if len(parts) > 1 and not parts[-1].strip():
        parts = parts[:-1]  # trailing comma: 'i, j, -> i j'
    return [_words(x, spec) for x in parts], _words(rhs, spec)


def _numpy_spec(spec: S.Str) -> tuple[list[list[Any]], list[Any]]:
    text = spec.value.replace(" ", "")
    lhs, arrow, rhs = text.partition("->")
    inputs = lhs.split(",")
    for word in spec.value.partition("->")[0].split(","):
        if len(word.split()) > 1 and any(len(w) > 1 for w in word.split()):
            raise error_at("a numpy-style einsum spec (spec first) takes one letter per index; "
                       "for names, put the spec last (einops style)", spec)
    for ch in text.replace(ELLIPSIS, ""):
        if not (ch.isalpha() or ch in ",->"):
            raise error_at(f"unexpected '{ch}' in a numpy-style einsum spec", spec)
    ins = [_letters(x) for x in inputs]
    if arrow:
        out = _letters(rhs)
    else:
        counts: dict[str, int] = {}
        for x in ins:
            for ch in x:
                counts[ch] = counts.get(ch, 0) + 1
        out = sorted(ch for ch, c in counts.items() if c == 1 and ch != ELLIPSIS)
        if ELLIPSIS in counts:  # implicit mode: broadcast legs first, as numpy
            out = [ELLIPSIS, *out]
    return ins, out


def _letters(word: str) -> list[str]:
    """'...ij' → ['...', 'i', 'j']"""
    return re.findall(r"\.\.\.|.", word)

