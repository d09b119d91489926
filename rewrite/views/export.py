"""Diagrams out to other tools: einsum code (einops, numpy, torch, opt_einsum),
JSON and LaTeX index notation.

Every code target starts from one `network.IndexNetwork` per term - the
same view of a diagram that `numeric` contracts: deltas are hyperedges, and
explicit `ones`/`eye` operands appear only where einsum cannot say what a
delta means (see `network`).

Generated Python is a few assignments ending in `result = ...`; it reads the
input arrays by the tensors' names and takes symbolic sizes from their
shapes (`n = A.shape[0]`), so it runs in any namespace holding those arrays.
A name Python cannot take as it is (a keyword, a builtin, one of the
program's own names such as `np` or `result`) is renamed by appending `_`,
and the program's header says so (`python_names`).
A bubble's argument is computed first into a temporary, as the language
evaluates it; fuse tensors (grouped legs) are written as a reshaped identity,
and `inv(X)` as `linalg.inv` of the matricised tensor reshaped back.
"""
from __future__ import annotations

import builtins
import json
import keyword
import re
import string
import unicodedata
from dataclasses import dataclass
from typing import Any

import sympy

from ..core.functions import is_builtin, pow_exponent
from ..core.diagram import BOUNDARY, BubbleNode, DeltaNode, Diagram, Sum, TensorNode, as_sum
from ..core.errors import InputError
from .labels import tex_name
from ..numerics.network import IndexNetwork, Operand, fresh_names, index_network  # noqa: F401 (re-exported)

JSON_SCHEMA = "penrose-rewrite/diagram/1"
TARGETS = ("einops", "numpy", "torch", "opt_einsum", "json", "tex")

_GREEK = "αβγδεζηθικλμνξοπρστυφχψω"
_GREEK_TEX = dict(zip(_GREEK, (
    r"\alpha", r"\beta", r"\gamma", r"\delta", r"\epsilon", r"\zeta", r"\eta", r"\theta",
    r"\iota", r"\kappa", r"\lambda", r"\mu", r"\nu", r"\xi", "o", r"\pi", r"\rho",
    r"\sigma", r"\tau", r"\upsilon", r"\phi", r"\chi", r"\psi", r"\omega")))
_GREEK_TEX.update({"Γ": r"\Gamma", "Δ": r"\Delta", "Θ": r"\Theta", "Λ": r"\Lambda",
                   "Ξ": r"\Xi", "Π": r"\Pi", "Σ": r"\Sigma", "Φ": r"\Phi", "Ψ": r"\Psi",
                   "Ω": r"\Omega", "ς": r"\varsigma"})
_LETTERS = string.ascii_lowercase + string.ascii_uppercase


# ------------------------------------------------------------- Python names

# Names the generated code itself binds or reads: its modules, its result and
# temporaries, and every builtin (sympy's printer may call abs, max, ...).
# A user's tensor or size with one of these names, or a keyword, or a name
# Python would read differently (NFKC: `ﬁ` is `fi`), gets a `_` appended until
# it is free; the header of the program lists every such renaming.
_GENERATED = frozenset({"np", "torch", "math", "oe", "einsum", "result", "_e"})
_RESERVED = (frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | _GENERATED
             | frozenset(dir(builtins)))
_TEMP = re.compile(r"_t\d+")


def _reserved(name: str) -> bool:
    return name in _RESERVED or bool(_TEMP.fullmatch(name))


def python_names(names: set[str]) -> dict[str, str]:
    """A valid, distinct Python name for each user name (tensors and sizes
    share the generated program's one namespace); safe names stay as they are."""
    out: dict[str, str] = {}
    for name in sorted(names):
        if name.isidentifier() and unicodedata.normalize("NFKC", name) == name \
                and not _reserved(name):
            out[name] = name
    taken = set(out.values()) | set(names)
    for name in sorted(names):
        if name in out:
            continue
        base = unicodedata.normalize("NFKC", name)
        base = base if base.isidentifier() else "x"
        cand = base + "_"
        while _reserved(cand) or cand in taken:
            cand += "_"
        out[name] = cand
        taken.add(cand)
    return out


def _einops_axes(names: dict[int, str]) -> dict[int, str]:
    """Index names einops accepts: identifiers, no leading or trailing `_`, no
    keyword, not `axis`; others get fresh names."""
    def ok(n: str) -> bool:
        return (n.isidentifier() and not n.startswith("_") and not n.endswith("_")
                and not keyword.iskeyword(n) and n != "axis")

    out = {i: n for i, n in names.items() if ok(n)}
    fresh = fresh_names(set(names.values()))
    for i in sorted(names):
        if i not in out:
            out[i] = next(fresh)
    return out


# ------------------------------------------------------------- Python backends


@dataclass(frozen=True)
class _Backend:
    """How one array library spells the few operations around an einsum."""

    module: str      # `np` or `torch`
    imports: tuple[str, ...]

    def eye(self, n: str, like: str | None) -> str:
        if self.module == "torch" and like:
            return f"torch.eye({n}, dtype={like}.dtype)"
        return f"{self.module}.eye({n})"

    def ones(self, n: str, like: str | None) -> str:
        if self.module == "torch" and like:
            return f"torch.ones({n}, dtype={like}.dtype)"
        return f"{self.module}.ones({n})"

    def zeros(self, shape: str) -> str:
        return f"{self.module}.zeros({shape})"

    def inv(self, x: str, rows: int, arity: int) -> str:
        lin = f"{self.module}.linalg.inv"
        if arity == 2 and rows == 1:
            return f"{lin}({x})"
        return (f"{lin}({x}.reshape(math.prod({x}.shape[:{rows}]), -1))"
                f".reshape(tuple({x}.shape[{rows}:]) + tuple({x}.shape[:{rows}]))")

    def diag(self, x: str, arity: int) -> str:
        return f"{self.module}.einsum('{'i' * arity}->i', {x})"

    def bubble(self, fn: str, x: str, axis: int | None) -> list[str]:
        """Expressions computing fn(x); the last is the value, earlier ones are
        bound to `_e` first (softmax needs its exponentials twice)."""
        m = self.module
        if fn == "sum":
            return [x]
        if fn == "relu":
            return [f"{m}.where({x}.real > 0, {x}, 0)"]
        if fn == "gelu":
            if m == "torch":
                return [f"torch.nn.functional.gelu({x}, approximate='tanh')"]
            return [f"0.5 * {x} * (1 + np.tanh(math.sqrt(2 / math.pi) * ({x} + 0.044715 * {x} ** 3)))"]
        if fn in ("exp", "tanh", "log", "sqrt", "abs"):
            return [f"{m}.{fn}({x})"]
        if fn == "dtanh":
            return [f"1 - {m}.tanh({x}) ** 2"]
        if fn == "tanh''":
            return [f"{m}.tanh({x})", "-2 * _e * (1 - _e ** 2)"]
        if fn == "step":
            return [f"{m}.where({x}.real > 0, 1.0, 0.0) + 0 * {x}"]
        if fn == "sign":  # x / |x| (0 at 0) for complex x too, as numpy defines it
            return [f"torch.sgn({x})"] if m == "torch" else [f"np.sign({x})"]
        if fn == "sigmoid":
            return [f"torch.sigmoid({x})"] if m == "torch" else [f"1 / (1 + np.exp(-{x}))"]
        k = pow_exponent(fn)
        if k is not None:
            if k.denominator == 1:
                return [f"{x} ** {int(k)}" if k >= 0 else f"1 / {x} ** {int(-k)}"]
            # the principal branch (§10): complex for negative real entries
            if m == "torch":
                return [f"torch.pow({x}.to(torch.complex128), {float(k)!r})"]
            return [f"np.emath.power({x}, {float(k)!r})"]
        if fn == "softmax":
            if m == "torch":
                return [f"torch.softmax({x}, dim={axis})"]
            return [f"np.exp({x} - np.max({x}.real, axis={axis}, keepdims=True))",
                    f"_e / np.sum(_e, axis={axis}, keepdims=True)"]
        raise InputError(f"no {m} translation for the function {fn}")


_NUMPY = _Backend("np", ("import math", "import numpy as np"))
_TORCH = _Backend("torch", ("import math", "import torch"))


class _PyWriter:
    """Writes the assignments of one exported program (see the module docstring)."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.backend = _TORCH if target == "torch" else _NUMPY
        self.lines: list[str] = []
        self.symbols: set[sympy.Symbol] = set()
        self.arrays: dict[str, Any] = {}   # input array name -> Decl
        self.py: dict[str, str] = {}       # user name -> its name in the code
        self._temp = 0

    # -- small pieces ------------------------------------------------------------

    def temp(self) -> str:
        self._temp += 1
        return f"_t{self._temp}"

    def code(self, expr: Any) -> str:
        """A sympy size or scalar as Python, its symbols bound in the prelude."""
        e = sympy.sympify(expr)
        self.symbols |= e.free_symbols
        if e.is_Integer:
            return str(int(e))
        e = e.xreplace({x: sympy.Symbol(self.name(str(x))) for x in e.free_symbols})
        text = sympy.pycode(e, fully_qualified_modules=True)
        return text if e.is_Atom else f"({text})"

    def tensor(self, node: TensorNode, like: str | None) -> str:
        d = node.decl
        b = self.backend
        if d.builtin == "fuse":
            parts = ", ".join(self.code(s) for s in d.sizes[:-1])
            whole = self.code(d.sizes[-1])
            if node.op == "inv":
                return f"{b.eye(whole, like)}.reshape({whole}, {parts})"
            return f"{b.eye(whole, like)}.reshape({parts}, {whole})"
        if d.builtin in ("shift", "tril", "triu"):
            # The fixed 0/1 matrices of the language (kinds.FIXED_MATRICES).
            n = self.code(d.sizes[0])
            m = b.module
            if d.builtin == "shift":  # ones where k = q - 1: the first subdiagonal
                x = f"{m}.diag({b.ones(f'{n} - 1', like)}, -1)"
            else:
                x = f"{m}.{d.builtin}({b.ones(f'({n}, {n})', like)})"
            return f"{x}.conj()" if node.conj else x
        self.arrays[d.name] = d
        x = self.name(d.name)
        if node.op == "inv":
            from ..numerics.sample import rows_cols

            x = b.inv(x, rows_cols(d)[0], d.arity)
        elif node.op == "diag":
            x = b.diag(x, d.arity)
        if node.conj and not d.real:
            x = f"{x}.conj()"
        return x

    def name(self, user: str) -> str:
        """The code's name for a user's tensor or size (see `python_names`)."""
        return self.py.get(user, user)

    def like(self, d: Diagram) -> str | None:
        for node in d.nodes.values():
            if isinstance(node, TensorNode) and node.decl.builtin is None:
                return self.name(node.decl.name)
        return None

    # -- sums and terms ----------------------------------------------------------

    def sum_value(self, s: Sum) -> str:
        """An expression for the value of `s` (axes in `s.free` order)."""
        if not s.terms:
            shape = ", ".join(self.code(x) for x in s.sizes)
            return self.backend.zeros(f"({shape}{',' if len(s.sizes) == 1 else ''})")
        parts = []
        for k, t in enumerate(s.aligned_terms()):
            parts.append(self.term(t, k if len(s.terms) > 1 else None))
        return " + ".join(parts)

    def term(self, d: Diagram, k: int | None) -> str:
        net = index_network(d)
        if self.target == "einops":
            net = _without_repeats(net)
        like = self.like(d)
        exprs = []
        for op in net.operands:
            if op.kind == "tensor":
                exprs.append(self.tensor(d.nodes[op.node], like))
            elif op.kind == "bubble":
                exprs.append(self.bubble(d.nodes[op.node]))
            elif op.kind == "ones":
                exprs.append(self.backend.ones(self.code(net.sizes[op.indices[0]]), like))
            else:
                exprs.append(self.backend.eye(self.code(net.sizes[op.indices[0]]), like))
        call = self.einsum(net, exprs, k) if exprs else None
        coef = sympy.sympify(net.factor)
        if call is None:
            return self.code(coef) if coef.is_Atom else self.code(coef)
        if coef == 1:
            return call
        if coef == -1:
            return f"-{call}"
        return f"{self.code(coef)} * {call}"

    def bubble(self, node: BubbleNode) -> str:
        if not is_builtin(node.fn):
            raise InputError(f"{node.fn} is a declared function, which has no code to export: "
                             f"exported code needs every function to be a built-in one")
        inner = self.sum_value(node.inside)
        x = self.temp()
        self.lines.append(f"{x} = {inner}")
        steps = self.backend.bubble(node.fn, x, node.axis)
        for step in steps[:-1]:
            self.lines.append(f"_e = {step}")
        y = self.temp()
        self.lines.append(f"{y} = {steps[-1]}")
        return f"{y}.conj()" if node.conj else y

    def einsum(self, net: IndexNetwork, exprs: list[str], k: int | None) -> str:
        label = f"term {k + 1}: " if k is not None else ""
        if self.target == "opt_einsum":
            args = ", ".join(f"{e}, {list(op.indices)}" for e, op in zip(exprs, net.operands))
            legend = ", ".join(f"{i}={net.names[i]}" for i in sorted(net.sizes))
            self.lines.append(f"# {label}indices {legend}")
            return f"oe.contract({args}, {list(net.output)})"
        if self.target == "einops":
            axes = _einops_axes(net.names)
            spec = ", ".join(" ".join(axes[i] for i in op.indices) for op in net.operands)
            out = " ".join(axes[i] for i in net.output)
            return f"einsum({', '.join(exprs)}, '{spec} -> {out}')"
        letters = _letters(net)
        spec = ",".join("".join(letters[i] for i in op.indices) for op in net.operands)
        out = "".join(letters[i] for i in net.output)
        legend = ", ".join(f"{letters[i]}={net.names[i]}" for i in sorted(net.sizes)
                           if letters[i] != net.names[i])
        if legend:
            self.lines.append(f"# {label}letters {legend}")
        if self.target == "torch":
            return f"torch.einsum('{spec}->{out}', {', '.join(exprs)})"
        return f"np.einsum('{spec}->{out}', {', '.join(exprs)}, optimize=True)"

    # -- the program ---------------------------------------------------------------

    def program(self, s: Sum) -> str:
        from ..numerics.evaluate import collect_decls, collect_symbols

        users = {n for n, d in collect_decls(s).items() if d.builtin is None}
        users |= {str(x) for x in collect_symbols(s)}
        self.py = python_names(users)
        value = self.sum_value(s)
        self.lines.append(f"result = {value}")
        body = "\n".join(self.lines)
        head = [i for i in self.backend.imports if i != "import math" or "math." in body]
        if self.target == "opt_einsum":
            head.append("import opt_einsum as oe")
        if self.target == "einops":
            head.append("from einops import einsum")
        names = ", ".join(self._shown(n, "tensor") for n in sorted(self.arrays)) or "none"
        head.append(f"# inputs: arrays {names}")
        prelude = []
        given = []
        for sym in sorted(self.symbols, key=str):
            where = _shape_of(sym, self.arrays)
            if where is None:
                given.append(self._shown(str(sym), "size"))
            else:
                name, axis = where
                prelude.append(f"{self.name(str(sym))} = {self.name(name)}.shape[{axis}]")
        if given:
            head.append(f"# sizes to give: {', '.join(given)}")
        return "\n".join(head + prelude + self.lines) + "\n"

    def _shown(self, user: str, what: str) -> str:
        code = self.name(user)
        return code if code == user else f"{code} (the {what} {user})"


def _shape_of(sym: sympy.Symbol, arrays: dict[str, Any]) -> tuple[str, int] | None:
    """(array name, axis) of an input array whose axis has size `sym`."""
    for name in sorted(arrays):
        for i, size in enumerate(arrays[name].sizes):
            if sympy.sympify(size) == sym:
                return name, i
    return None


def _letters(net: IndexNetwork) -> dict[int, str]:
    """One letter per index for numpy/torch einsum: its own name when that is a
    free ASCII letter, else the next unused one; more than 52 is an error."""
    if len(net.sizes) > len(_LETTERS):
        raise InputError(f"{len(net.sizes)} indices do not fit einsum's 52 letters; "
                         "export with --to opt_einsum instead")
    out: dict[int, str] = {}
    used: set[str] = set()
    for i in sorted(net.sizes):
        n = net.names[i]
        if len(n) == 1 and n in _LETTERS and n not in used:
            out[i] = n
            used.add(n)
    spare = (c for c in _LETTERS if c not in used)
    for i in sorted(net.sizes):
        if i not in out:
            out[i] = next(spare)
    return out


def _without_repeats(net: IndexNetwork) -> IndexNetwork:
    """The network with no index twice on one operand (einops refuses that): the
    repeat gets a fresh index, tied to the first by an `eye` operand."""
    out = IndexNetwork(net.diagram, [], net.output, dict(net.sizes), dict(net.names), net.factor)
    taken = set(out.names.values())
    fresh = fresh_names(taken)
    for op in net.operands:
        seen: set[int] = set()
        ix = []
        for i in op.indices:
            if i in seen:
                j = max(out.sizes) + 1
                out.sizes[j] = out.sizes[i]
                out.names[j] = next(fresh)
                out.operands.append(Operand("eye", (i, j)))
                i = j
            seen.add(i)
            ix.append(i)
        out.operands.append(Operand(op.kind, tuple(ix), op.node))
    return out


# -------------------------------------------------------------------- JSON, TeX


def _size_json(s: Any) -> Any:
    s = sympy.sympify(s)
    return int(s) if s.is_Integer else str(s)


def _port_json(p: tuple[int, int]) -> dict:
    return {"free": p[1]} if p[0] == BOUNDARY else {"node": p[0], "port": p[1]}


def diagram_json(d: Diagram) -> dict:
    nodes = []
    for v, n in d.nodes.items():
        if isinstance(n, TensorNode):
            item = {"id": v, "kind": "tensor", "name": n.decl.name, "conj": n.conj,
                    "op": n.op, "tensor_kind": n.decl.kind.value, "real": n.decl.real,
                    "legs": list(n.legs), "sizes": [_size_json(s) for s in n.sizes]}
            if n.decl.builtin:
                item["builtin"] = n.decl.builtin
        elif isinstance(n, DeltaNode):
            item = {"id": v, "kind": "delta", "size": _size_json(n.size), "arity": n.arity}
        else:
            item = {"id": v, "kind": "bubble", "fn": n.fn, "axis": n.axis, "conj": n.conj,
                    "sizes": [_size_json(s) for s in n.sizes], "inside": sum_json(n.inside)}
            if n.args:
                item["args"] = [sum_json(a) for a in n.args]
        nodes.append(item)
    return {"scalar": str(d.scalar), "nodes": nodes,
            "wires": [[_port_json(p), _port_json(q)] for p, q in d.wires()],
            "free": list(d.free), "free_sizes": [_size_json(s) for s in d.free_sizes]}


def sum_json(s: Sum) -> dict:
    return {"free": list(s.free), "sizes": [_size_json(x) for x in s.sizes],
            "terms": [diagram_json(t) for t in s.terms]}


def _tex_name(name: str) -> str:
    """`name` in TeX math, subscripting as `export --to tex` does (`W_{Q}`)."""
    return tex_name(name, _tex_plain_name)


def _tex_plain_name(name: str) -> str:
    """`α` → `\\alpha`, `W_Q` → `W_{Q}`, `hidden` → `\\mathrm{hidden}`."""
    if name in _GREEK_TEX:
        return _GREEK_TEX[name]
    head, _, tail = name.partition("_")
    if head and tail and not tail.startswith("_"):
        return f"{_tex_name(head)}_{{{_tex_name(tail)}}}"
    if "_" in name:  # `_t`, `x_`, `a__b`: the underscores are letters of the name
        return r"\mathrm{" + "".join(_tex_char(c) for c in name) + "}"
    m = re.fullmatch(r"([^\W\d_]+)(\d+)", name)
    if m and len(m.group(1)) == 1:
        return f"{_tex_name(m.group(1))}_{{{m.group(2)}}}"
    if len(name) == 1:
        return name
    return r"\mathrm{" + "".join(_tex_char(c) for c in name) + "}"


def _tex_char(c: str) -> str:
    """One character of a name inside \\mathrm: a Greek letter's command braced
    (so `αb` is `{\\alpha}b`, not the unknown `\\alphab`), `_` escaped."""
    if c in _GREEK_TEX:
        return "{" + _GREEK_TEX[c] + "}"
    return r"\_" if c == "_" else c


def _tex_indices(names: list[str]) -> str:
    tex = [_tex_name(n) for n in names]
    if all(len(n) == 1 for n in names):
        return "".join(t if len(t) == 1 else t + " " for t in tex).strip()
    return ",".join(tex)


def _subscript(base: str, ix: str) -> str:
    """`base_{ix}`, with a base that already carries a subscript (`L_{1}`
    for L1, `L_{1}^{-1}`) braced first: TeX refuses a double subscript."""
    if "_" in base:
        base = "{" + base + "}"
    return f"{base}_{{{ix}}}"


def _tex_scalar(c: Any) -> str:
    return sympy.latex(sympy.sympify(c))


class _TexWriter:
    def sum_tex(self, s: Sum, names: list[str] | None = None) -> str:
        if not s.terms:
            return "0"
        out = ""
        for k, t in enumerate(s.aligned_terms()):
            body = self.term(t, names)
            if k and not body.startswith("-"):
                out += " + "
            elif k:
                out += " - "
                body = body[1:].lstrip()
            out += body
        return out

    def term(self, d: Diagram, names: list[str] | None) -> str:
        net = index_network(d)
        if names is not None:
            # A bubble's inside: its free indices are the bubble's outer names.
            for idx, name in zip(net.output, names):
                net.names[idx] = name
            taken = set(names)
            fresh = fresh_names(taken)
            for idx in net.names:
                if idx not in net.output and net.names[idx] in taken:
                    net.names[idx] = next(fresh)
        factors = []
        for op in net.operands:
            ix = _tex_indices([net.names[i] for i in op.indices])
            if op.kind == "tensor":
                node = d.nodes[op.node]
                base = _tex_name(node.decl.name) if node.decl.builtin is None else r"\mathrm{fuse}"
                if node.op == "inv":
                    base = f"{base}^{{-1}}"
                elif node.op == "diag":
                    base = rf"\operatorname{{diag}}({base})"
                if node.conj:
                    base = rf"\overline{{{base}}}"
                factors.append(_subscript(base, ix))
            elif op.kind == "bubble":
                node = d.nodes[op.node]
                legs = [net.names[i] for i in op.indices]
                inner = ", ".join(self.sum_tex(a, legs) for a in node.arguments)
                fn = rf"\operatorname{{{_tex_fn(node.fn)}}}" if node.fn != "sum" else ""
                if node.fn == "softmax":
                    fn += f"_{{{_tex_name(net.names[op.indices[node.axis]])}}}"
                b = rf"{fn}\left({inner}\right)"
                if pow_exponent(node.fn) is not None:
                    b = rf"\left({inner}\right)^{{{pow_exponent(node.fn)}}}"
                factors.append(rf"\overline{{{b}}}" if node.conj else b)
            elif op.kind == "ones":
                factors.append(rf"\mathbf{{1}}_{{{ix}}}")
            else:
                factors.append(rf"\delta_{{{ix}}}")
        summed = [i for i in sorted(net.sizes) if i not in net.output]
        body = " ".join(factors)
        if summed and factors:
            body = rf"\sum_{{{_tex_indices([net.names[i] for i in summed])}}} {body}"
        coef = sympy.sympify(net.factor)
        if coef == 1:
            return body or "1"
        if coef == -1 and body:
            return "-" + body
        c = _tex_scalar(coef)
        if isinstance(coef, sympy.Add):
            c = rf"\left({c}\right)"
        return f"{c} {body}".strip()


# ----------------------------------------------------------------------- public


def export(value: Diagram | Sum, target: str) -> str:
    """The value as text for `target` (one of `TARGETS`).

    Code targets give a Python program ending in `result = ...`; `json` a
    schema-versioned document; `tex` LaTeX index notation.
    """
    s = as_sum(value)
    if target == "json":
        doc = {"schema": JSON_SCHEMA, **sum_json(s)}
        return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    if target == "tex":
        return _TexWriter().sum_tex(s) + "\n"
    if target not in TARGETS:
        raise InputError(f"unknown export target {target!r}; choose one of {', '.join(TARGETS)}")
    return _PyWriter(target).program(s)


def _tex_fn(fn: str) -> str:
    """A function's name for \\operatorname: primes as TeX primes, `'2` as a
    subscript (`g'2` -> g'_{2})."""
    import re

    return re.sub(r"'(\d+)", r"'_{\1}", fn.replace("_", r"\_"))
