"""Random instances that honour every kind.

A numeric check is only as honest as its instances: an isometry must really be
an isometry (and, unless square, really *not* a unitary), an invertible tensor
must be well conditioned so that `X inv(X) = I` holds to float64 accuracy, and
symbolic sizes must satisfy what the declarations imply.  This module is the
one place where a kind turns into numbers.

Reproducibility is by construction rather than by drawing order: every symbolic
size and every array comes from its own random stream, keyed by the seed and
the *name* of the size or tensor.  So an instance depends only on
(seed, the sizes, the declarations): adding an unrelated tensor to a program
does not change the others, and `sample_instance(decls, seed,
fixed_sizes=counterexample.sizes)` rebuilds a counterexample exactly.
"""
from __future__ import annotations

import itertools
import math
import zlib
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable, Iterable, Mapping

import numpy as np

from ..core import scalars
from ..core.diagram import TensorNode
from ..core.errors import InputError
from ..core.kinds import MATRIX_KINDS, Decl, Kind
from ..core.limits import LIMITS

#: Symbolic sizes are drawn from this range (inclusive).  Small sizes keep
#: every check cheap; avoiding 1 keeps a size-1 leg from hiding a transposition.
SIZE_RANGE = (2, 4)
#: Random attempts before the exhaustive search (or the error) takes over.
RANDOM_TRIES = 200
#: The systematic search gathers up to this many solutions (looking at most
#: SEARCH_MORE assignments past the first) and the seed picks one.
SEARCH_CHOICES = 8
#: The size search tries 1 only after every size up to this one.
ONE_AFTER = 8
SEARCH_MORE = 2_000
#: Singular values of sampled invertibles lie in this range: condition <= 4.
SINGULAR_RANGE = (0.5, 2.0)
#: No sampled tensor has more entries than this (2**27 complex entries: 2 GiB).
MAX_TENSOR_ELEMENTS = 2 ** 27
#: Symmetric tensors up to this arity are symmetrised over all k! permutations.
SYMMETRISE_ARITY = 6


def _stream(seed: int, *words: Any) -> np.random.Generator:
    """A random generator keyed by the seed and some names (stable across runs).

    `hash()` of a str is salted per process, so names go through crc32.
    """
    key = [int(seed) & 0xFFFFFFFF]
    for w in words:
        key.append(zlib.crc32(str(w).encode("utf-8")) if not isinstance(w, int) else w & 0xFFFFFFFF)
    return np.random.default_rng(key)


def _prod(xs: Iterable[int]) -> int:
    return math.prod(int(x) for x in xs)


# ------------------------------------------------------------------------ instance


@dataclass
class Instance:
    """Concrete sizes and arrays for one numeric trial.

    `arrays` is keyed by how a tensor is written without `conj`: the
    declaration's name for the tensor itself, `inv(X)` for an invertible's
    inverse, `diag(D)` for a diagonal tensor's vector.  Declarations met later
    (say inside a bubble) are sampled on demand from the same keyed streams, so
    the instance stays reproducible from its seed and sizes.
    """

    seed: int
    sizes: dict[sympy.Symbol, int]
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    decls: dict[str, Decl] = field(default_factory=dict)
    # size expression -> int; sympy evaluation is slow and a 10,000-site chain
    # asks for the same few sizes tens of thousands of times.
    _size_cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def sizes_by_name(self) -> dict[str, int]:
        return {str(s): v for s, v in self.sizes.items()}

    def size(self, expr: Any) -> int:
        """The integer value of a size expression (`n*m`, `2`, ...) here."""
        if isinstance(expr, int):
            return expr
        v = self._size_cache.get(expr)
        if v is None:
            z = self.value(expr)
            v = int(round(z.real))
            if z.imag != 0 or v != z.real or v < 1:
                raise InputError(f"the size {expr} is {z} here, not a positive integer")
            self._size_cache[expr] = v
        return v

    def value(self, expr: Any) -> complex:
        """A scalar (sizes, fractions; in sympy also I, sqrt, ...) evaluated with these sizes."""
        if isinstance(expr, scalars.CONCRETE):
            return _complex(expr)
        if isinstance(expr, scalars.Mono):
            return _complex(_size_fn(expr)(self.sizes_by_name))
        sympy = scalars.sympy()
        e = scalars.sympify(expr)
        by_name = self.sizes_by_name
        subs = {}
        for s in e.free_symbols:
            if str(s) not in by_name:
                raise InputError(f"the size {s} has no value in this instance "
                                 f"(known: {', '.join(sorted(by_name)) or 'none'})")
            subs[s] = by_name[str(s)]
        v = complex(sympy.N(e.xreplace(subs)))
        return v

    def array(self, key: str) -> np.ndarray:
        """The array stored under `key` (a name, `inv(X)` or `diag(D)`)."""
        if key not in self.arrays:
            raise InputError(f"no array for {key} in this instance")
        return self.arrays[key]

    def ensure(self, decl: Decl) -> None:
        """Sample `decl` into this instance if it is not there yet.

        An array already stored under the tensor's name (set by the caller) is
        never replaced: it is used as given, and only what follows from it
        (`inv(X)`, `diag(D)`) is derived from it, never sampled.
        """
        known = self.decls.get(decl.name)
        if known is not None:
            if known != decl:
                raise InputError(f"two different declarations are named {decl.name}")
            return
        self.decls[decl.name] = decl
        if decl.name in self.arrays:
            for key, a in derived_arrays(decl, self.arrays[decl.name]).items():
                self.arrays.setdefault(key, a)
            return
        self.arrays.update(_sample_arrays(decl, self))


def array_of(node: TensorNode, inst: Instance) -> np.ndarray:
    """The array of one tensor node: its op (`inv`, `diag`) applied, conjugated if asked."""
    inst.ensure(node.decl)
    key = node.decl.name if not node.op else f"{node.op}({node.decl.name})"
    a = inst.array(key)
    return a.conj() if node.conj and not node.decl.real else a


# ----------------------------------------------------------------- size sampling


#: A size constraint: (its description, made only for an error message; the test).
Constraint = tuple[Callable[[], str], Callable[[Callable[[Any], int]], bool]]


def _implied_constraints(decl: Decl) -> list[Constraint]:
    """What a declaration demands of its sizes."""
    out: list[Constraint] = []
    if decl.kind is Kind.GENERIC and not decl.also:
        return out  # a plain tensor demands nothing (and a network may have thousands)
    wide, tip = decl.sizes[: decl.split], decl.sizes[decl.split:]
    show = lambda xs: "*".join(f"({s})" if len(xs) > 1 else str(s) for s in xs) or "1"  # noqa: E731
    if decl.builtin == "fuse":
        return out
    if decl.kind is Kind.ISOMETRY:
        out.append((lambda: f"{decl.name}: tip {show(tip)} <= wide {show(wide)}",
                    lambda v: _prod(map(v, tip)) <= _prod(map(v, wide))))
    elif decl.is_a(Kind.UNITARY):
        out.append((lambda: f"{decl.name}: tip {show(tip)} == wide {show(wide)}",
                    lambda v: _prod(map(v, tip)) == _prod(map(v, wide))))
    elif decl.kind is Kind.INVERTIBLE:
        r, c = rows_cols(decl)
        rows, cols = decl.sizes[:r], decl.sizes[r:]
        out.append((lambda: f"{decl.name}: rows {show(rows)} == columns {show(cols)}",
                    lambda v: _prod(map(v, rows)) == _prod(map(v, cols))))
    elif decl.kinds & (MATRIX_KINDS | {Kind.SYMMETRIC, Kind.DIAGONAL}) and decl.arity > 1:
        sizes = decl.sizes
        out.append((lambda: f"{decl.name}: all legs of one size",
                    lambda v: len({v(s) for s in sizes}) == 1))
    return out


def rows_cols(decl: Decl) -> tuple[int, int]:
    """Row legs of an invertible: the legs before `->`, or the first half without one."""
    r = decl.split if 0 < decl.split < decl.arity else decl.arity // 2
    return r, decl.arity - r


def _complex(x: Any) -> complex:
    """An exact number as a complex float; past the float range it is ±inf (as
    sympy's evaluation gives), which the checks report as an overflow."""
    try:
        return complex(x)
    except OverflowError:
        return complex(math.inf if x > 0 else -math.inf)


def _symbols_of(exprs: Iterable[Any]) -> set[sympy.Symbol]:
    out: set[sympy.Symbol] = set()
    for e in exprs:
        out |= scalars.free_symbols(e)
    return out


def relation_test(rel: Any) -> Constraint:
    """A user constraint: a sympy relation (`n <= m`, `Eq(n, 2*k)`) or a callable."""
    if callable(rel) and not scalars.is_sympy(rel):
        return (lambda: getattr(rel, "__name__", "constraint"),
                lambda v, f=rel: bool(f(v)))
    sympy = scalars.sympy()
    r = sympy.sympify(rel)

    def test(v: Callable[[Any], int], r=r) -> bool:
        val = r.xreplace({s: v(s) for s in r.free_symbols})
        if val not in (sympy.true, sympy.false):
            raise InputError(f"constraint {rel} is not a yes/no relation of sizes")
        return bool(val)

    return (lambda: str(r)), test


def _size_fn(expr: Any) -> Callable[[Mapping[str, int]], int]:
    """A fast evaluator of one size expression on an assignment by name.

    Sizes are products of symbols and integers, so most become a coefficient
    and a list of (name, power); anything else falls back to sympy.  The
    search below evaluates the same few expressions thousands of times.
    """
    if isinstance(expr, int):
        return lambda a, v=expr: v
    hit = _SIZE_FNS.get(expr)
    if hit is not None:
        return hit
    if isinstance(expr, scalars.Mono):
        def mono(a: Mapping[str, int], c=expr.coeff, powers=expr.powers) -> Any:
            v = c
            for name, k in powers:
                v = v * Fraction(a[name]) ** k
            return scalars.normal(v)

        _SIZE_FNS[expr] = mono
        return mono
    if isinstance(expr, scalars.CONCRETE):
        return lambda a, v=scalars.normal(expr): v
    sympy = scalars.sympy()
    x = sympy.sympify(expr)
    coeff, rest = x.as_coeff_Mul()
    powers = []
    ok = coeff.is_Integer or coeff.is_Rational
    for f in sympy.Mul.make_args(rest) if ok else ():
        base, exp = f.as_base_exp()
        if base.is_Symbol and exp.is_Integer and exp > 0:
            powers.append((str(base), int(exp)))
        elif f != 1:
            ok = False
            break
    if ok:
        c = sympy.Rational(coeff)

        def fn(a: Mapping[str, int], c=c, powers=tuple(powers)) -> Any:
            v = c
            for name, k in powers:
                v = v * a[name] ** k
            return int(v) if v.is_Integer else v
    else:
        def fn(a: Mapping[str, int], x=x) -> Any:
            v = x.xreplace({s: a[str(s)] for s in x.free_symbols})
            return int(v) if v.is_Integer else v
    _SIZE_FNS[expr] = fn
    return fn


_SIZE_FNS: dict[Any, Callable] = {}


def _search_order(free: int, budget: int) -> Iterable[tuple[int, ...]]:
    """Assignments of `free` sizes in layers: values 2, 3, 4 first (SIZE_RANGE),
    then 5 ... ONE_AFTER, then 1, then larger ones - each layer the tuples
    that use its new value - until `budget` assignments have been offered.

    Small sizes keep checks cheap and avoid 1 (a size-1 leg hides a
    transposition), but some programs need a larger size (`isometry
    U[a: n -> b: 5]` needs n >= 5) or exactly 1, and the layers reach them.
    """
    lo, hi = SIZE_RANGE
    order = list(range(lo, max(hi, ONE_AFTER) + 1)) + [1]
    offered = 0
    if free == 0:
        yield ()
        return
    r = 0
    while offered < budget:
        r += 1
        while len(order) < r:
            order.append(max(order) + 1)
        newest, old = order[r - 1], order[: r - 1]
        # Exactly the tuples over order[:r] that use `newest`, each once: the
        # first position holding it is p.
        for p in range(free):
            for before in itertools.product(old, repeat=p):
                for after in itertools.product(order[:r], repeat=free - p - 1):
                    yield before + (newest,) + after
                    offered += 1
                    if offered >= budget:
                        return


def sample_sizes(symbols: Iterable[sympy.Symbol], seed: int,
                 tests: list[Constraint], fixed: Mapping[str, int] | None = None,
                 budget: int | None = None, smallest: bool = False) -> dict[sympy.Symbol, int]:
    """Values for `symbols` passing every test, or an InputError saying what was tried.

    First rejection sampling in SIZE_RANGE with per-symbol streams (so most
    instances are random and small), then a systematic search over positive
    integers in layers (`_search_order`) up to `budget` assignments
    (`LIMITS.size_search` by default): constraints that only larger sizes meet
    are met, and when the budget runs out the error says how far it looked.
    The search's solution is picked by the seed, or is the first one found
    with `smallest` (for a witness a reader should see).
    """
    budget = LIMITS.size_search if budget is None else budget
    fixed = dict(fixed or {})
    syms = sorted(set(symbols), key=str)
    free = [s for s in syms if str(s) not in fixed]
    lo, hi = SIZE_RANGE

    def passes(assign: dict[str, int]) -> bool:
        def v(e: Any) -> int:
            return _size_fn(e)(assign)

        return all(t(v) for _, t in tests)

    def result(assign: dict[str, int]) -> dict[sympy.Symbol, int]:
        return {s: assign[str(s)] for s in syms}

    base = {str(k): int(v) for k, v in fixed.items()}
    for attempt in range(RANDOM_TRIES if free else 1):
        assign = dict(base)
        for s in free:
            assign[str(s)] = int(_stream(seed, "size", attempt, str(s)).integers(lo, hi + 1))
        if passes(assign):
            return result(assign)
    described = [d() for d, _ in tests]
    what = "; ".join(described[:12] + (["..."] if len(described) > 12 else [])) or "none"
    fixed_note = f" (fixed: {', '.join(f'{k}={v}' for k, v in sorted(base.items()))})" if base else ""
    tried, largest = 0, 0
    found: list[dict[str, int]] = []
    for values in _search_order(len(free), budget):
        tried += 1
        largest = max((largest, *values))
        assign = dict(base)
        assign.update({str(s): x for s, x in zip(free, values)})
        if passes(assign):
            found.append(assign)
            stop_at = tried + SEARCH_MORE
        if found and (len(found) >= SEARCH_CHOICES or tried >= stop_at):
            break
    if found:
        # Several solutions, one chosen by the seed: trials with different
        # seeds then see different sizes (n = 5, 7, ... where n >= 5), not
        # only the smallest one, which may be a special case (a square isometry).
        pick = 0 if smallest else int(_stream(seed, "size-search").integers(len(found)))
        return result(found[pick])
    if not free:
        raise InputError(f"the size constraints cannot be met{fixed_note}: {what}")
    raise InputError(f"the size constraints cannot be met with sizes up to {largest}: "
                     f"{tried} assignments of {', '.join(map(str, free))} tried, the search "
                     f"budget (option --size-search){fixed_note}: {what}")


# ---------------------------------------------------------------- array sampling


def _gaussian(rng: np.random.Generator, shape: tuple[int, ...], real: bool) -> np.ndarray:
    if real:
        return rng.standard_normal(shape)
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) / math.sqrt(2)


def _orthonormalise(g: np.ndarray) -> np.ndarray:
    """Q of the QR of a (stack of) Gaussian matrices: orthonormal columns, Haar-like.

    R's diagonal phases are moved into Q so the distribution does not depend on
    numpy's sign convention.  Works on stacks, so a long chain of isometries is
    one LAPACK call instead of thousands.
    """
    q, r = np.linalg.qr(g)
    d = np.diagonal(r, axis1=-2, axis2=-1)
    a = np.abs(d)
    phases = np.where(a > 0, d / np.where(a > 0, a, 1), 1)
    return q * phases[..., None, :]


def _isometry_matrix(rng: np.random.Generator, rows: int, cols: int, real: bool) -> np.ndarray:
    """A rows x cols matrix with orthonormal columns (rows >= cols)."""
    return _orthonormalise(_gaussian(rng, (rows, cols), real))


def _fuse_array(parts: list[int]) -> np.ndarray:
    """F[p1..pk, w] = 1 iff w is the row-major index of (p1..pk): a reshaped identity."""
    whole = _prod(parts)
    return np.eye(whole).reshape(tuple(parts) + (whole,))


def _symmetric(rng: np.random.Generator, shape: tuple[int, ...], real: bool) -> np.ndarray:
    """A random tensor invariant under every permutation of its legs (all of one size).

    Up to SYMMETRISE_ARITY legs: a Gaussian averaged over all k! leg
    permutations (the projection onto symmetric tensors, so as generic as a
    symmetric tensor can be).  Beyond, k! transposes cost too much; a sum of
    symmetric rank-one terms v⊗...⊗v, as many as the symmetric space has
    dimensions, is symmetric by construction and generic with probability one.
    """
    k = len(shape)
    if k <= SYMMETRISE_ARITY:
        a = _gaussian(rng, shape, real)
        perms = list(itertools.permutations(range(k)))
        return sum(np.transpose(a, p) for p in perms) / len(perms)
    n = shape[0]
    terms = math.comb(n + k - 1, k)
    out = np.zeros(shape, dtype=float if real else complex)
    for _ in range(terms):
        v = _gaussian(rng, (n,), real)
        t = v
        for _ in range(k - 1):
            t = np.multiply.outer(t, v)
        out += t
    return out / math.sqrt(terms)


def _with_unitary_inverse(decl: Decl, shape: tuple[int, ...], q: np.ndarray) -> dict[str, np.ndarray]:
    """The tensor of a (wide x tip) matrix q, plus `inv` = q's conjugate transpose
    when the kind is unitary (a unitary is invertible, so `inv(Q)` may be written)."""
    out = {decl.name: q.reshape(shape)}
    if decl.is_a(Kind.UNITARY):
        s = decl.split
        out[f"inv({decl.name})"] = q.conj().T.reshape(shape[s:] + shape[:s])
    return out


def _sample_arrays(decl: Decl, inst: Instance) -> dict[str, np.ndarray]:
    """Arrays for one declaration, from its own stream (seed, name)."""
    shape = tuple(inst.size(s) for s in decl.sizes)
    if _prod(shape) > MAX_TENSOR_ELEMENTS:
        raise InputError(f"{decl.name} would have {_prod(shape)} entries with sizes "
                         f"{' x '.join(map(str, shape))}: too large to sample "
                         f"(limit 2**{math.log2(MAX_TENSOR_ELEMENTS):.0f})")
    real = decl.real
    rng = _stream(inst.seed, "tensor", decl.name)
    if decl.builtin in ("shift", "tril", "triu"):
        n = shape[0]
        ones = np.ones((n, n))
        fixed = {"shift": np.eye(n, k=-1), "tril": np.tril(ones), "triu": np.triu(ones)}
        return {decl.name: fixed[decl.builtin]}
    if decl.builtin == "fuse":
        f = _fuse_array(list(shape[:-1]))
        return _with_unitary_inverse(decl, shape, f.reshape(_prod(shape[:-1]), shape[-1]))
    kind = decl.kind
    if decl.kinds & MATRIX_KINDS or (decl.also and kind is not Kind.ISOMETRY):
        return _matrix_kind(decl, shape, rng, inst.seed)
    if kind is Kind.ORTHOGONAL:
        kind = Kind.UNITARY
    if kind in (Kind.ISOMETRY, Kind.UNITARY):
        wide, tip = _prod(shape[: decl.split]), _prod(shape[decl.split:])
        if tip > wide:
            raise InputError(f"isometry {decl.name} has tip size {tip} larger than its wide size {wide}")
        if kind is Kind.UNITARY and tip != wide:
            raise InputError(f"unitary {decl.name} has sides of sizes {wide} and {tip}")
        q = _isometry_matrix(rng, wide, tip, real)
        return _with_unitary_inverse(decl, shape, q)
    if kind is Kind.INVERTIBLE:
        r, _ = rows_cols(decl)
        rows, cols = _prod(shape[:r]), _prod(shape[r:])
        if rows != cols:
            raise InputError(f"invertible {decl.name} has {rows} rows and {cols} columns")
        u = _isometry_matrix(rng, rows, rows, real)
        v = _isometry_matrix(rng, rows, rows, real)
        s = rng.uniform(*SINGULAR_RANGE, size=rows)
        m = (u * s) @ v
        inv = np.linalg.inv(m)
        # inv(X) has X's column legs then its row legs (TensorNode.sizes for op="inv").
        return {decl.name: m.reshape(shape),
                f"inv({decl.name})": inv.reshape(shape[r:] + shape[:r])}
    if kind is Kind.DIAGONAL:
        n = shape[0] if shape else 1
        d = _gaussian(rng, (n,), real)
        t = np.zeros(shape, dtype=d.dtype)
        idx = np.arange(n)
        t[(idx,) * len(shape)] = d
        return {decl.name: t, f"diag({decl.name})": d}
    if kind is Kind.SYMMETRIC:
        return {decl.name: _symmetric(rng, shape, real)}
    return {decl.name: _gaussian(rng, shape, real)}


def derived_arrays(decl: Decl, a: np.ndarray) -> dict[str, np.ndarray]:
    """What a kind lets one write besides the tensor itself, computed from its array.

    `inv(X)` of an invertible (its matrix inverse, X's column legs first), of a
    unitary (the conjugate transpose), and `diag(D)` of a diagonal tensor.  A
    singular matrix raises InputError naming the tensor.
    """
    shape = a.shape
    if decl.is_a(Kind.UNITARY) or (decl.builtin == "fuse"):
        s = decl.split
        rows, cols = _prod(shape[:s]), _prod(shape[s:])
        m = a.reshape(rows, cols)
        return {f"inv({decl.name})": m.conj().T.reshape(shape[s:] + shape[:s])}
    if decl.is_a(Kind.INVERTIBLE):
        r, _ = rows_cols(decl)
        rows, cols = _prod(shape[:r]), _prod(shape[r:])
        m = a.reshape(rows, cols)
        try:
            inv = np.linalg.inv(m)
        except np.linalg.LinAlgError:
            raise InputError(f"{decl.name} is declared invertible, but its array is singular") \
                from None
        return {f"inv({decl.name})": inv.reshape(shape[r:] + shape[:r])}
    if decl.is_a(Kind.DIAGONAL):
        n = shape[0] if shape else 1
        idx = np.arange(n)
        return {f"diag({decl.name})": a[(idx,) * len(shape)] if shape else a.reshape(1)}
    return {}


def projector_rank(n: int, seed: int, name: str) -> int:
    """The rank of projector `name` of size n in the instance of `seed`.

    Projectors of different ranks lie on different components (`tr(P)` is the
    rank), so an equation can hold on one rank and fail on another:
    `tr(P) == 1` holds at rank 1 only.  A random rank let three trials all
    draw rank 1 (one time in eight at n = 3) and call that equation `holds`.
    Consecutive seeds therefore step through the ranks - the proper ones 1..n-1
    first, then n (the identity) and 0 - from an offset given by the name, so
    that two projectors of one instance need not share a rank.
    """
    ranks = list(range(1, n)) + [n, 0]
    return ranks[(int(seed) + zlib.crc32(name.encode("utf-8"))) % len(ranks)]


def _matrix_kind(decl: Decl, shape: tuple[int, ...], rng: np.random.Generator,
                 seed: int) -> dict[str, np.ndarray]:
    """A square matrix honouring a combination of kinds (see kinds.combine_kinds).

    Each kind is built so that it holds exactly and *only* what it promises:
    a psd matrix is B B† with B of rank n-1 (semidefinite, not definite, unless
    also declared invertible), a projector is Q Q† for an isometry Q of a rank
    that steps with the seed (`projector_rank`), a hermitian matrix has eigenvalues of both
    signs, an antisymmetric one is B - Bᵀ (i(B - Bᵀ) with B real when also
    hermitian).  Invertible combinations get singular values in SINGULAR_RANGE,
    so `inv` is as well conditioned as for a plain invertible.
    """
    n = shape[0]
    ks = decl.kinds
    real = decl.real
    inv = Kind.INVERTIBLE in ks
    cplx = complex if not real else float

    def spectrum(sign: bool) -> np.ndarray:
        s = rng.uniform(*SINGULAR_RANGE, size=n)
        return s * rng.choice([-1.0, 1.0], size=n) if sign else s

    if Kind.DIAGONAL in ks:
        if Kind.PROJECTOR in ks:
            d = (rng.permutation(n) < projector_rank(n, seed, decl.name)).astype(float)
        elif Kind.PSD in ks:
            d = spectrum(False) if inv else np.abs(_gaussian(rng, (n,), True))
        elif inv:
            d = spectrum(True) if real or Kind.HERMITIAN in ks else \
                spectrum(False) * np.exp(2j * np.pi * rng.random(n))
        else:
            d = _gaussian(rng, (n,), real)
        m = np.diag(d).astype(cplx if not real else float)
        return {decl.name: m, f"diag({decl.name})": np.asarray(d), **({f"inv({decl.name})": np.diag(1 / d)}
                                                                        if inv else {})}
    if Kind.PROJECTOR in ks:
        r = projector_rank(n, seed, decl.name)
        q = _isometry_matrix(rng, n, r, real) if r else np.zeros((n, 0))
        m = q @ q.conj().T
    elif Kind.HERMITIAN in ks and Kind.ANTISYMMETRIC in ks:
        b = rng.standard_normal((n, n))
        m = 1j * (b - b.T)
    elif Kind.ANTISYMMETRIC in ks:
        b = _gaussian(rng, (n, n), real)
        m = b - b.T
    elif Kind.HERMITIAN in ks:
        u = _isometry_matrix(rng, n, n, real)
        if Kind.PSD in ks:
            lam = spectrum(False) if inv else np.concatenate(
                [np.abs(rng.standard_normal(n - 1)) + 0.1, [0.0]]) if n > 1 else spectrum(False)
        else:
            lam = spectrum(True) if inv else rng.standard_normal(n)
        m = (u * lam) @ u.conj().T
    elif Kind.SYMMETRIC in ks and inv:
        # Takagi form U diag(s) Uᵀ: complex symmetric with singular values s.
        u = _isometry_matrix(rng, n, n, real)
        m = (u * spectrum(real)) @ u.T
    else:
        raise InputError(f"{decl.name}: cannot sample a '{decl.kind_words}' tensor")
    m = (m + m.conj().T) / 2 if Kind.HERMITIAN in ks and Kind.ANTISYMMETRIC not in ks else m
    m = (m + m.T) / 2 if Kind.SYMMETRIC in ks else m
    m = m.real if real else m.astype(complex)
    out = {decl.name: m}
    if inv:
        out[f"inv({decl.name})"] = np.linalg.inv(m)
    return out


# ----------------------------------------------------------------------- public


def implied_tests(decls: Iterable[Decl]) -> list[Constraint]:
    """Every size constraint the declarations imply."""
    return [t for d in decls for t in _implied_constraints(d)]


def sample_instance(decls: Iterable[Decl], seed: int, constraints: Iterable = (),
                    fixed_sizes: Mapping[Any, int] | None = None,
                    symbols: Iterable[sympy.Symbol] = (), arrays: bool = True) -> Instance:
    """A random instance of `decls`: sizes in 2–4 meeting every constraint, arrays by kind.

    With `arrays=False` only the sizes are drawn, so a caller can weigh what the
    arrays and the contraction would need before anything is allocated; then
    `fill_arrays` (or the on-demand sampling of `array_of`) adds them.

    `constraints` are extra sympy relations between sizes (`n <= m`,
    `Eq(n, 2*k)`) or callables taking a size evaluator; `fixed_sizes` pins some
    sizes (keys: symbols or their names); `symbols` adds sizes used outside the
    declarations (in scalars, say).  Raises InputError when the constraints
    cannot be met.
    """
    by_name = _by_name(decls)
    sizes = sample_size_values(by_name.values(), seed, constraints, fixed_sizes, symbols)
    inst = Instance(seed=seed, sizes=sizes)
    if arrays:
        fill_arrays(inst, by_name.values())
    return inst


def _by_name(decls: Iterable[Decl]) -> dict[str, Decl]:
    by_name: dict[str, Decl] = {}
    for d in decls:
        if d.name in by_name and by_name[d.name] != d:
            raise InputError(f"two different declarations are named {d.name}")
        by_name[d.name] = d
    return by_name


def sample_size_values(decls: Iterable[Decl], seed: int, constraints: Iterable = (),
                       fixed_sizes: Mapping[Any, int] | None = None,
                       symbols: Iterable[sympy.Symbol] = (), smallest: bool = False
                       ) -> dict[sympy.Symbol, int]:
    """The sizes `sample_instance` would pick, without sampling any array
    (cheap: for a shape check, or to look for a witness)."""
    by_name = _by_name(decls)
    constraints = list(constraints)
    tests = implied_tests(by_name.values()) + [relation_test(c) for c in constraints]
    syms = _symbols_of(s for d in by_name.values() for s in d.sizes)
    syms |= set(symbols)
    for c in constraints:
        if scalars.is_sympy(c):
            syms |= c.free_symbols
    fixed = {str(k): int(v) for k, v in (fixed_sizes or {}).items()}
    for name in fixed:
        if name not in {str(s) for s in syms}:
            syms.add(scalars.sympy_symbol(name))
    return sample_sizes(syms, seed, tests, fixed, smallest=smallest)


def fill_arrays(inst: Instance, decls: Iterable[Decl]) -> None:
    """Sample the arrays of `decls` into `inst` (those not there yet)."""
    decls = list(decls)
    _sample_isometries_batched(decls, inst)
    for d in decls:
        inst.ensure(d)


def _sample_isometries_batched(decls: list[Decl], inst: Instance) -> None:
    """Sample many isometries with one stacked QR per shape.

    Each Gaussian still comes from its tensor's own stream and QR is computed
    matrix by matrix inside LAPACK, so the arrays equal what `ensure` would
    give one at a time; only the Python overhead is shared.
    """
    groups: dict[tuple, list[Decl]] = {}
    for d in decls:
        if (d.builtin or d.kind not in (Kind.ISOMETRY, Kind.UNITARY, Kind.ORTHOGONAL)
                or d.name in inst.decls or d.name in inst.arrays):
            continue
        shape = tuple(inst.size(s) for s in d.sizes)
        groups.setdefault((shape, d.split, d.real), []).append(d)
    for (shape, split, real), ds in groups.items():
        if len(ds) < 2:
            continue
        wide, tip = _prod(shape[:split]), _prod(shape[split:])
        if tip > wide or (ds[0].is_a(Kind.UNITARY) and tip != wide):
            continue  # `ensure` raises the precise error
        g = np.stack([_gaussian(_stream(inst.seed, "tensor", d.name), (wide, tip), real) for d in ds])
        qs = _orthonormalise(g)
        for d, q in zip(ds, qs):
            inst.decls[d.name] = d
            inst.arrays.update(_with_unitary_inverse(d, shape, q))
