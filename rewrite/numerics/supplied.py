"""Instances from the user's own arrays: checked, never silently completed.

`sample` makes random instances that honour every kind; this module turns
arrays a person supplies (numpy arrays, torch or jax tensors, nested lists:
anything `numpy.asarray` takes) into the same `Instance`, so evaluation,
contraction paths and bubbles are shared with the rest of the tool.  Before
anything is contracted it checks what a random instance gets right by
construction:

* completeness: every tensor the expression uses has an array (the built-in
  fixed matrices `shift`, `tril`, `triu` and fuses excepted);
* shapes: one axis per declared leg; concrete sizes must match, symbolic sizes
  are bound from the arrays, and two arrays that give one size different
  values are an error naming both;
* kinds: an isometry must be isometric, a symmetric tensor symmetric, a
  diagonal one diagonal, a real one real, an invertible one invertible, within
  `tolerance` relative to the array's largest entry, and the error states the
  deviation;
* the size relations the program states (`Env.constraints`).

What the kinds let one write besides the tensor (`inv(X)`, `diag(D)`) is
computed from the supplied array (`sample.derived_arrays`).  Nothing supplied
is replaced.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

import numpy as np
import sympy

from ..core.errors import InputError
from ..core.kinds import Decl, Kind
from .sample import Instance, derived_arrays

#: Default tolerance of the kind checks, relative to the array's largest entry
#: (float32 weights pass; a random matrix is nowhere near).
TOLERANCE = 1e-5


def as_array(name: str, value: Any) -> np.ndarray:
    """A numpy array of `value`: torch tensors leave autograd and the GPU first,
    integers and booleans become float64; anything else goes through
    `numpy.asarray`.  A value with no numeric array is an InputError naming it."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # torch
        value = value.detach().cpu().numpy()
    try:
        a = np.asarray(value)
    except Exception as e:  # noqa: BLE001 - any conversion failure is the caller's input
        raise InputError(f"the array given for {name} is not numeric: {e}") from None
    if a.dtype.kind in "biu":
        a = a.astype(np.float64)
    if a.dtype.kind not in "fc":
        raise InputError(f"the array given for {name} is not numeric (dtype {a.dtype})")
    return a


def _where(decl: Decl) -> str:
    return f" (declared at line {decl.pos[0]})" if decl.pos else ""


def _legs(decl: Decl) -> str:
    return ", ".join(f"{leg}: {size}" for leg, size in zip(decl.legs, decl.sizes))


@dataclass
class _Binder:
    """Size symbols bound from the arrays, remembering which array bound each."""

    values: dict[str, int] = field(default_factory=dict)
    source: dict[str, str] = field(default_factory=dict)

    def bind(self, name: str, value: int, where: str) -> None:
        old = self.values.get(name)
        if old is None:
            self.values[name] = value
            self.source[name] = where
        elif old != value:
            raise InputError(f"the size {name} is {old} from {self.source[name]} but {value} "
                             f"from {where}")


def _bind_shapes(used: list[Decl], arrays: dict[str, np.ndarray], given: Mapping[str, int]
                 ) -> dict[str, int]:
    """Check every array's shape against its declaration; the size symbols' values."""
    b = _Binder()
    for name, value in given.items():
        b.bind(name, value, "the sizes given")
    pending: list[tuple[Any, int, str]] = []
    for d in used:
        a = arrays[d.name]
        if a.ndim != d.arity:
            raise InputError(f"the array for {d.name} has {a.ndim} axes {a.shape}, but {d.name} "
                             f"is declared with {d.arity} legs [{_legs(d)}]{_where(d)}")
        for leg, size, n in zip(d.legs, d.sizes, a.shape):
            where = f"{d.name} (leg {leg}, axis of length {n})"
            e = sympy.sympify(size)
            if e.is_Integer:
                if int(e) != n:
                    raise InputError(f"the array for {d.name} has length {n} on leg {leg}, "
                                     f"declared {size}{_where(d)}")
            elif e.is_Symbol:
                b.bind(str(e), int(n), where)
            else:
                pending.append((e, int(n), where))
    # Composite sizes (`2*n`, `n*m`): solve those with one unknown left, then check all.
    changed = True
    while changed:
        changed = False
        for e, n, where in pending:
            unknown = [s for s in e.free_symbols if str(s) not in b.values]
            if len(unknown) != 1:
                continue
            known = e.xreplace({s: b.values[str(s)] for s in e.free_symbols if str(s) in b.values})
            roots = [r for r in sympy.solve(sympy.Eq(known, n), unknown[0])
                     if r.is_Integer and r > 0]
            if not roots:
                raise InputError(f"no positive integer {unknown[0]} makes the size {e} equal "
                                 f"{n}, as {where} needs")
            b.bind(str(unknown[0]), int(roots[0]), where)
            changed = True
    for e, n, where in pending:
        v = e.xreplace({s: b.values[str(s)] for s in e.free_symbols})
        if v != n:
            raise InputError(f"the size {e} is {v} with "
                             + ", ".join(f"{s}={b.values[str(s)]}" for s in sorted(e.free_symbols, key=str))
                             + f", but {where} has length {n}")
    return b.values


def _deviation(a: np.ndarray) -> float:
    return float(np.max(np.abs(a))) if a.size else 0.0


def _check_kind(d: Decl, a: np.ndarray, tolerance: float) -> None:
    """Raise InputError when `a` breaks a promise of d's kind (see module docstring)."""
    scale = max(1.0, _deviation(a))
    limit = tolerance * scale

    def refuse(what: str, dev: float, relative: bool = True) -> None:
        how = " relative to its largest entry" if relative else ""
        raise InputError(f"{d.name} is declared {what}, but its array deviates by {dev:.3g} "
                         f"(tolerance {tolerance:g}{how}){_where(d)}")

    if d.real and np.iscomplexobj(a):
        dev = _deviation(a.imag)
        if dev > limit:
            refuse("real (no imaginary part)", dev)
    if d.is_a(Kind.ISOMETRY):
        s = d.split
        rows, cols = int(np.prod(a.shape[:s])), int(np.prod(a.shape[s:]))
        m = a.reshape(rows, cols)
        dev = _deviation(m.conj().T @ m - np.eye(cols))
        if dev > tolerance:  # an isometry's entries are at most 1: an absolute test
            refuse("an isometry (conj(U)ᵀ U = I)" if d.kind is Kind.ISOMETRY
                   else "unitary (conj(U)ᵀ U = I)", dev, relative=False)
    if d.is_a(Kind.DIAGONAL) and a.ndim > 1:
        off = a.copy()
        idx = np.arange(a.shape[0])
        off[(idx,) * a.ndim] = 0
        dev = _deviation(off)
        if dev > limit:
            refuse("diagonal (zero off the diagonal)", dev)
    if d.is_a(Kind.SYMMETRIC) and a.ndim > 1:
        dev = max(_deviation(a - np.swapaxes(a, i, i + 1)) for i in range(a.ndim - 1))
        if dev > limit:
            refuse("symmetric (unchanged by swapping legs)", dev)
    if a.ndim == 2:
        m = a
        if d.is_a(Kind.HERMITIAN):
            dev = _deviation(m - m.conj().T)
            if dev > limit:
                refuse("hermitian (equal to its conjugate transpose)", dev)
        if d.is_a(Kind.ANTISYMMETRIC):
            dev = _deviation(m + m.T)
            if dev > limit:
                refuse("antisymmetric (K = -Kᵀ)", dev)
        if d.is_a(Kind.PSD):
            low = float(np.linalg.eigvalsh((m + m.conj().T) / 2).min()) if m.size else 0.0
            if -low > limit:
                refuse("positive semidefinite (no negative eigenvalue)", -low)
        if d.is_a(Kind.PROJECTOR):
            dev = _deviation(m @ m - m)
            if dev > limit:
                refuse("a projector (P P = P)", dev)
    if d.is_a(Kind.INVERTIBLE) and not d.is_a(Kind.UNITARY):
        from .sample import rows_cols

        r, _ = rows_cols(d)
        m = a.reshape(int(np.prod(a.shape[:r])), -1)
        cond = float(np.linalg.cond(m)) if m.size else 1.0
        if not np.isfinite(cond) or cond * np.finfo(float).eps > tolerance:
            raise InputError(f"{d.name} is declared invertible, but its array is singular or "
                             f"nearly so (condition number {cond:.3g}){_where(d)}")


def supplied_instance(used: Iterable[Decl], arrays: Mapping[str, Any], *,
                      declared: Mapping[str, Decl] | None = None,
                      sizes: Mapping[str, int] | None = None,
                      size_symbols: Iterable[Any] = (), constraints: Iterable[Any] = (),
                      tolerance: float = TOLERANCE) -> Instance:
    """An `Instance` holding exactly the caller's arrays, after every check.

    `used` are the declarations the expression needs; `arrays` maps tensor
    names to arrays; `declared` (all declarations of the program) lets a name
    that is declared but unused pass, while a name declared nowhere is an
    error (a typo must not be ignored).  `sizes` gives values for size symbols
    no array fixes; `size_symbols` are the symbols the expression needs
    (deltas, scalars), each of which must end up with a value.
    """
    used = [d for d in {d.name: d for d in used}.values() if not d.builtin]
    declared = dict(declared or {d.name: d for d in used})
    unknown = sorted(set(arrays) - set(declared))
    if unknown:
        raise InputError(f"arrays were given for {', '.join(unknown)}, which "
                         f"{'is' if len(unknown) == 1 else 'are'} not declared "
                         f"(declared tensors: {', '.join(sorted(declared)) or 'none'})")
    missing = [d.name for d in used if d.name not in arrays]
    if missing:
        raise InputError(f"no array for {', '.join(missing)}: every tensor the expression uses "
                         f"needs one (pass {missing[0]}=...)")
    converted = {name: as_array(name, a) for name, a in arrays.items()}
    checked = [declared[n] for n in converted] + [d for d in used if d.name not in converted]
    values = _bind_shapes(list({d.name: d for d in checked}.values()), converted, sizes or {})
    needed = {str(s) for s in size_symbols}
    for d in used:
        needed |= {str(s) for e in d.sizes for s in sympy.sympify(e).free_symbols}
    unbound = sorted(needed - set(values))
    if unbound:
        raise InputError(f"no array fixes the size {', '.join(unbound)}: give "
                         + ", ".join(f"{u}=..." for u in unbound))
    for rel in constraints:
        if not isinstance(rel, sympy.Basic) or any(str(s) not in values for s in rel.free_symbols):
            continue
        subs = {s: values[str(s)] for s in rel.free_symbols}
        if rel.xreplace(subs) is sympy.false:
            shown = ", ".join(f"{k}={v}" for k, v in sorted((str(s), v) for s, v in subs.items()))
            raise InputError(f"the arrays' sizes ({shown}) break the declared relation {rel}")
    for name, a in converted.items():
        _check_kind(declared[name], a, tolerance)
    symbols = {sympy.Symbol(k, positive=True, integer=True): v for k, v in values.items()}
    inst = Instance(seed=0, sizes=symbols)
    for name, a in converted.items():
        d = declared[name]
        inst.decls[name] = d
        inst.arrays[name] = a
        for key, extra in derived_arrays(d, a).items():
            inst.arrays.setdefault(key, extra)
    return inst


def used_decls(*values: Any) -> list[Decl]:
    """The declarations a Diagram/Sum uses (inside bubbles too), builtins included."""
    from .evaluate import collect_decls

    return list(collect_decls(*values).values())




def load_arrays(path: str) -> dict[str, np.ndarray]:
    """Tensor name -> array from a `.npz` file, or a `.safetensors` file when the
    `safetensors` package is installed.  Unreadable files are an InputError."""
    import os

    if not os.path.isfile(path):
        raise InputError(f"no such arrays file: {path}")
    lower = path.lower()
    try:
        if lower.endswith(".npz"):
            with np.load(path, allow_pickle=False) as data:
                return {k: data[k] for k in data.files}
        if lower.endswith(".safetensors"):
            try:
                from safetensors.numpy import load_file
            except ImportError:
                raise InputError(f"reading {path} needs the safetensors package "
                                 "(pip install safetensors)") from None
            return dict(load_file(path))
    except InputError:
        raise
    except Exception as e:  # noqa: BLE001 - a corrupt file is the user's input
        raise InputError(f"cannot read arrays from {path}: {e}") from None
    raise InputError(f"cannot read arrays from {path}: use a .npz or .safetensors file")


def compare_supplied(left: Any, right: Any, inst: Instance) -> tuple[bool, float, Any, Any]:
    """(close?, largest difference, left value, right value) of two sides on one
    instance, legs matched as `evaluate.compare` matches them."""
    from ..core.diagram import as_sum
    from .evaluate import allclose_rel, evaluate, leg_matching, not_finite

    ls, rs = as_sum(left), as_sum(right)
    perm = leg_matching(ls, rs)
    if perm is None:
        raise InputError(f"cannot compare: the left side has {len(ls.free)} free legs and the "
                         f"right side {len(rs.free)}")
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        a, b = evaluate(ls, inst), evaluate(rs, inst)
    b = np.transpose(b, perm) if np.ndim(b) else b
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        # inf - inf and NaN are no difference and no agreement: say so
        # rather than call two NaN results equal.
        raise not_finite(inst, "the sides cannot be compared numerically")
    ok, diff = allclose_rel(a, b)
    return ok, diff, a, b
