"""penrose-rewrite as a Python library: programs and diagrams as values.

A thin layer over the same machinery the command line uses (`Session`, the
rule engine, `numerics`, `views`), for notebooks:

    import rewrite as rw
    prog = rw.program("dim n\\ntensor A[i: n, j: n]")
    d = prog.diagram("A[i, j] A[j, k]")
    d.simplify(); d.prove("A[i, j] A[j, k]"); d.eval(A=a); d.draw()

`Program` holds declarations, lets and rules; `Diagram` is an immutable value
(one diagram or a linear combination of diagrams, with the program that gives
its tensors meaning).  Results are plain objects (`Simplified`, `Verdict`,
`PathTerms`, `Contributions`) that show themselves in Jupyter as pictures.
Every mistake in the input raises `InputError` with `.line`, `.col` and
`.message`; nothing else is expected to escape.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, NamedTuple

from ..core.errors import InputError
from ..language import syntax as S
from .session import Session

__all__ = ["Program", "Diagram", "Leg", "Step", "Simplified", "Verdict", "PathTerm",
           "PathTerms", "load", "program"]


# --------------------------------------------------------------------- helpers


def _located(e: InputError, text: str, filename: str) -> InputError:
    return e.located(text, filename)


def _sum_of(x: Any):
    from ..core.diagram import Diagram as CoreDiagram, Sum

    if isinstance(x, Diagram):
        return x.value
    if isinstance(x, CoreDiagram):
        return Sum.of(x)
    if isinstance(x, Sum):
        return x
    raise TypeError(f"expected a Diagram or an expression string, not {type(x).__name__}")


def _size(e: Any) -> Any:
    """An int for a concrete size, the sympy expression for a symbolic one."""
    import sympy

    e = sympy.sympify(e)
    return int(e) if e.is_Integer else e


class Leg(NamedTuple):
    """A free leg: its name and size (an int, or a sympy expression when symbolic)."""

    name: str
    size: Any


@dataclass(frozen=True)
class Step:
    """One rewrite step: the rule, where it applied, and the diagram after it."""

    rule: str
    where: str
    after: "Diagram | None" = None
    side: str | None = None

    def __str__(self) -> str:
        side = f"{self.side}: " if self.side else ""
        where = f" at {self.where}" if self.where else ""
        after = f" ⇒ {self.after}" if self.after is not None else ""
        return f"{side}{self.rule}{where}{after}"


def _steps(prog: "Program", steps: Iterable[Any], side: str | None) -> list[Step]:
    from ..core.diagram import Sum

    out = []
    for s in steps:
        where = s.where if isinstance(s.where, str) else ", ".join(str(w) for w in s.where)
        after = getattr(s, "after", None)
        out.append(Step(s.rule, where, Diagram(prog, Sum.of(after)) if after is not None
                        else None, side))
    return out


# --------------------------------------------------------------------- program


class Program:
    """Declarations (`dim`, `tensor`, ...), lets and rules, ready to build diagrams.

    Build one with `rw.program(text)` or `rw.load(path)`.  Declarations run
    when the text is given (so mistakes surface at once, as `InputError`);
    commands in the text (`prove`, `show`, ...) run only when `run()` asks.
    """

    def __init__(self, text: str = "", filename: str = "<program>") -> None:
        self._session = Session(trace=True)
        self._parts: list[tuple[str, str]] = []
        self.extend(text, filename)

    # -- building ------------------------------------------------------------

    def extend(self, text: str, filename: str = "<program>") -> "Program":
        """Add more statements (declarations take effect now); returns the program."""
        if text.startswith("\ufeff"):
            text = text[1:]
        self._session.load_declarations(text, filename)
        self._parts.append((text, filename))
        return self

    @property
    def text(self) -> str:
        """The program's source, every part given so far."""
        return "\n".join(t for t, _ in self._parts)

    @property
    def env(self):
        """The declarations so far (the language's `Env`)."""
        return self._session.env

    @property
    def tensors(self) -> dict[str, Any]:
        """Declared tensors by name (their `Decl`: kind, legs, sizes)."""
        return dict(self.env.decls)

    @property
    def lets(self) -> list[str]:
        """Names of the lets, in the order they were defined."""
        return list(self.env.lets)

    def diagram(self, text: str, *, like: "Diagram | None" = None) -> "Diagram":
        """The value of an expression in this program's language.  With `like`,
        free indices that nothing sizes (a lone `δ[b, c]`) take the size of
        `like`'s leg of the same name, as the other side of an equation sizes them."""
        from ..language.expressions import build_expr, size_hints
        from ..language.parse import parse

        name = "<expr>"
        stmts = parse(text, name)
        if len(stmts) != 1 or not isinstance(stmts[0], S.Command) or not stmts[0].bare:
            raise InputError("expected one expression (declarations go to Program.extend)",
                             1, 1, text, name)
        hints = size_hints(like.value, stmts[0].expr) if like is not None else None
        try:
            return Diagram(self, build_expr(stmts[0].expr, self.env, hints))
        except InputError as e:
            raise _located(e, text, name)

    def __getitem__(self, name: str) -> "Diagram":
        """A let's value, or a declared tensor with its declared legs."""
        if name in self.env.lets:
            return Diagram(self, self.env.lets[name])
        if name in self.env.decls:
            d = self.env.decls[name]
            return self.diagram(f"{name}[{', '.join(d.legs)}]")
        raise KeyError(f"no let or tensor named {name!r} (lets: {', '.join(self.env.lets) or 'none'};"
                       f" tensors: {', '.join(self.env.decls) or 'none'})")

    def __contains__(self, name: str) -> bool:
        return name in self.env.lets or name in self.env.decls

    # -- commands --------------------------------------------------------------

    def _command(self, text: str):
        from ..language.parse import parse

        stmts = parse(text, "<expr>")
        stmt = stmts[0]
        try:
            return self._session.command(stmt, text)
        except InputError as e:
            raise _located(e, text, "<expr>")

    def prove(self, equation: str) -> "Verdict":
        """Prove `"L == R"`: proved, refuted (with a counterexample) or unknown."""
        r = self._command(f"prove {equation}")
        return Verdict._from(self, r)

    def check(self, equation: str) -> "Verdict":
        """Compare `"L == R"` numerically only: holds or refuted."""
        r = self._command(f"check {equation}")
        return Verdict._from(self, r)

    def paths(self, expr: str) -> "PathTerms":
        """The path expansion of an expression (often a let's name): labelled terms."""
        return self.diagram(expr).paths()

    def run(self) -> list[dict]:
        """Run every statement of the program's text, in a fresh session; each
        command's result as `rewrite run --json` gives it."""
        session = Session()
        out = []
        for text, filename in self._parts:
            out.extend(r.to_json() for r in session.run(text, filename))
        return out

    def __repr__(self) -> str:
        return (f"<Program: {len(self.env.decls)} tensors, {len(self.env.lets)} lets, "
                f"{len(self.env.rules)} rules>")


def program(text: str = "") -> Program:
    """A `Program` from text (declarations run now, commands when `run()` asks)."""
    return Program(text, "<program>")


def load(path: str | os.PathLike) -> Program:
    """A `Program` from a `.tn` file."""
    from ..core.files import read_text

    path = os.fspath(path)
    return Program(read_text(path), path)


# --------------------------------------------------------------------- diagram


class Diagram:
    """A diagram, or a linear combination of diagrams with one set of free legs.

    A value: operations return new diagrams.  `==` is isomorphism up to the
    renaming of inner indices and nodes, without rewriting (`prove` decides
    equality by rewriting); the hash agrees with it.  `value` is the core
    `Sum` the rest of the package works on.
    """

    __slots__ = ("program", "value", "_key")

    def __init__(self, program: Program, value: Any) -> None:
        self.program = program
        self.value = _sum_of(value)
        self._key = None

    # -- reading -----------------------------------------------------------------

    @property
    def legs(self) -> list[Leg]:
        """The free legs in order, with their sizes (eval's axes follow this order)."""
        return [Leg(n, _size(s)) for n, s in zip(self.value.free, self.value.sizes)]

    @property
    def terms(self) -> list["Diagram"]:
        """The terms of the linear combination, each a Diagram."""
        from ..core.diagram import Sum

        return [Diagram(self.program, Sum.of(t)) for t in self.value.terms]

    def __str__(self) -> str:
        from ..views.printer import format_sum

        return format_sum(self.value)

    def __repr__(self) -> str:
        return f"<Diagram {self}>"

    def _canonical(self):
        if self._key is None:
            from ..core.canon import canonical_sum

            self._key = canonical_sum(self.value)
        return self._key

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Diagram):
            return NotImplemented
        return self._canonical() == other._canonical()

    def __hash__(self) -> int:
        return hash(self._canonical())

    def _other(self, x: Any) -> "Diagram":
        if isinstance(x, str):
            return self.program.diagram(x, like=self)
        return Diagram(self.program, x)

    # -- rewriting ---------------------------------------------------------------

    def simplify(self) -> "Simplified":
        """The normal form under the core rules and the program's own, with every step."""
        from ..rewriting.simplify import simplify

        res = simplify(self.value, self.program._session.core_rules, trace=True)
        return Simplified(Diagram(self.program, res.sum), _steps(self.program, res.steps, None),
                          start=self, stopped=res.stopped)

    def expand(self) -> "Diagram":
        """Products of sums multiplied out, then simplified."""
        from ..rewriting.simplify import simplify
        from ..transforms.expand import expand

        return Diagram(self.program, simplify(expand(self.value),
                                              self.program._session.core_rules).sum)

    def prove(self, other: "Diagram | str") -> "Verdict":
        """Prove `self == other`: proved, refuted (with a counterexample) or unknown."""
        right = self._other(other).value
        r = self.program._session.decide("prove", self.value, right)
        return Verdict._from(self.program, r)

    def check(self, other: "Diagram | str") -> "Verdict":
        """Compare `self == other` numerically only: holds or refuted."""
        right = self._other(other).value
        r = self.program._session.decide("check", self.value, right)
        return Verdict._from(self.program, r)

    def diff(self, tensor: str) -> "Diagram":
        """The derivative with respect to a tensor: legs are self's, then the tensor's."""
        from ..transforms.diff import diff

        return Diagram(self.program, diff(self.value, tensor))

    def paths(self) -> "PathTerms":
        """The path expansion: one labelled term per choice of residual branch."""
        from ..transforms.paths import expand_paths

        terms = [PathTerm(p.label, Diagram(self.program, p.term)) for p in expand_paths(self.value)]
        return PathTerms(terms, source=self)

    # -- numbers -----------------------------------------------------------------

    def instance(self, arrays: Mapping[str, Any] | None = None, /, *,
                 tolerance: float | None = None, **named: Any):
        """The checked numeric instance `eval` uses (see `eval`)."""
        from ..numerics.evaluate import collect_symbols
        from ..numerics.supplied import TOLERANCE, supplied_instance, used_decls

        given = dict(arrays or {})
        given.update(named)
        env = self.program.env
        sizes = {k: v for k, v in given.items() if k in env.dims and isinstance(v, int)}
        for k in sizes:
            given.pop(k)
        return supplied_instance(used_decls(self.value), given, declared=env.decls,
                                 sizes=sizes, size_symbols=collect_symbols(self.value),
                                 tolerance=TOLERANCE if tolerance is None else tolerance)

    def eval(self, arrays: Mapping[str, Any] | None = None, /, *,
             tolerance: float | None = None, **named: Any):
        """The tensor this diagram stands for, with your arrays: axes in `legs` order.

        Arrays by tensor name, as keywords or a mapping (numpy arrays, torch or
        jax tensors, anything `numpy.asarray` takes); an int for a `dim` name
        fixes a size no array fixes.  Before contracting, shapes are checked
        against the declared sizes (symbolic sizes are bound from the arrays),
        kinds are checked within `tolerance` (relative to each array's largest
        entry; default `numerics.supplied.TOLERANCE`), and every tensor used
        must have an array: each failure is an `InputError` naming the tensor.
        Nothing supplied is replaced.  Contraction uses the tool's path
        optimiser (cotengra).
        """
        from ..numerics.evaluate import evaluate

        inst = self.instance(arrays, tolerance=tolerance, **named)
        return evaluate(self.value, inst)

    def cost(self, **sizes: int):
        """Contraction orders (as written, and the best found) with their flops,
        as `rewrite cost` reports them; sizes not given are sampled."""
        import sympy

        from ..numerics.cost import contraction_cost

        for name, value in sizes.items():
            if name not in self.program.env.dims:
                raise InputError(f"cost: no dim named {name!r} (dims: "
                                 f"{', '.join(self.program.env.dims) or 'none'})")
            declared = sympy.sympify(self.program.env.dims[name])
            if declared.is_Integer and int(declared) != value:
                raise InputError(f"cost: {name} is declared {declared}, not {value}")
        return CostReport(contraction_cost(self.value, self.program.env, sizes=sizes))

    # -- views -------------------------------------------------------------------

    def to_code(self, target: str = "numpy") -> str:
        """The diagram as a Python program for `target` ("numpy", "torch",
        "einops", "opt_einsum"), or "json" / "tex", as `rewrite export` writes it."""
        from ..views.export import export

        return export(self.value, target)

    def draw(self, path: str | os.PathLike | None = None, *, widths: bool = False, arrange: str = "auto"):
        """The Penrose picture: a matplotlib Figure, or written to `path`
        (.svg, .png or .tex, by extension) and the path returned.
        `arrange`: "auto" draws a residual network (x + blocks reading x) as
        a vertical backbone, "backbone" always (an input error when the sum
        has no stream), "terms" never - terms side by side."""
        from ..views.backend_matplotlib import RC, figure
        from ..views.draw import draw, scene

        if path is not None:
            draw(self.value, os.fspath(path), widths=widths, arrange=arrange)
            return os.fspath(path)
        import matplotlib

        with matplotlib.rc_context(RC):
            return figure(scene(self.value, widths, arrange=arrange))

    def layout(self, *, widths: bool = False, arrange: str = "auto") -> dict:
        """The picture's layout as plain data, the same dict `rewrite draw EXPR
        --json` prints: width, height, nodes (id, label, shape, x, y, w, h),
        wires (from, to, points) and labels (text, x, y, owner), in SVG points
        with y pointing down."""
        from ..views.measure import picture_json

        return picture_json(self.value, widths, arrange=arrange)

    def stats(self, *, widths: bool = False, arrange: str = "auto"):
        """How clean the picture is, as `rewrite draw --stats` reports it: a
        `views.measure.Stats` with crossings, overlaps, wires_through_nodes,
        foreign_labels, wire_length, width and height (lengths in points;
        `.as_dict()`, `.text()`)."""
        from ..views.measure import picture_stats

        return picture_stats(self.value, widths, arrange=arrange)

    def to_svg(self) -> str:
        """The picture as SVG text."""
        from ..views.draw import to_svg

        return to_svg(self.value)

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return self.value._repr_mimebundle_(include, exclude) | {"text/plain": repr(self)}

    def _repr_latex_(self) -> str:
        return self.value._repr_latex_()


# --------------------------------------------------------------------- results


@dataclass
class CostReport:
    """`rewrite cost`'s report: `.report` is the numerics `CostReport`."""

    report: Any

    @property
    def naive_flops(self) -> Any:
        """Flops of the order as written (symbolic in the sizes)."""
        return self.report.naive_flops

    @property
    def best_flops(self) -> Any:
        """Flops of the best order found (symbolic in the sizes)."""
        return self.report.best_flops

    def to_json(self) -> dict:
        """The report as `rewrite cost --json` writes it."""
        return self.report.to_json()

    def __str__(self) -> str:
        return self.report.format()

    def __repr__(self) -> str:
        return self.report.format()


@dataclass
class Simplified:
    """A simplification: `result` (the normal form, a Diagram) and `steps`."""

    result: Diagram
    steps: list[Step]
    start: Diagram | None = None
    stopped: str | None = None

    def __str__(self) -> str:
        lines = [f"= {self.result}"]
        lines += [f"  {k}. {s}" for k, s in enumerate(self.steps, 1)]
        if self.stopped:
            lines.append(f"(stopped early: {self.stopped})")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from ..views.strip import simplified_html

        return simplified_html(self.start.value if self.start else None,
                               [(s.rule, s.where, s.after.value if s.after else None)
                                for s in self.steps], self.result.value, self.stopped)


@dataclass
class Verdict:
    """A verdict on `L == R`: "proved" | "refuted" | "unknown" (or "holds" for
    `check`); `bool(v)` is True only when proved (or, for check, holds).

    `counterexample` (when refuted) gives the sizes and seed that reproduce the
    instance and the difference; `left` and `right` are the two sides,
    `normal_forms` their normal forms, `how` the stage that found a proof.
    """

    verdict: str
    steps: list[Step]
    counterexample: Any = None
    left: Diagram | None = None
    right: Diagram | None = None
    normal_forms: tuple = ()
    how: str = ""
    text: str = ""

    @staticmethod
    def _from(prog: Program, r: Any) -> "Verdict":
        v = r.verdict
        steps = _steps(prog, v.left_steps, "left") + _steps(prog, v.right_steps, "right")
        normal = ()
        if v.left_normal is not None:
            normal = (Diagram(prog, v.left_normal), Diagram(prog, v.right_normal))
        left = Diagram(prog, r.left) if r.left is not None else None
        right = Diagram(prog, r.right) if r.right is not None else None
        return Verdict(r.status, steps, v.counterexample, left, right, normal, v.how, r.text)

    def __bool__(self) -> bool:
        return self.verdict in ("proved", "holds")

    def __str__(self) -> str:
        return self.text or self.verdict

    def _repr_html_(self) -> str:
        from ..views.strip import verdict_html

        cex = self.counterexample.format() if self.counterexample is not None else None
        return verdict_html(self.verdict, self.how,
                            self.left.value if self.left else None,
                            self.right.value if self.right else None,
                            [(s.side, s.rule, s.where, s.after.value if s.after else None)
                             for s in self.steps],
                            [d.value for d in self.normal_forms], cex)


class PathTerm(NamedTuple):
    """One term of a path expansion: its label (the seed's names: "direct
    path", "K-composition", ...) and its diagram."""

    label: str
    diagram: Diagram

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        bundle = self.diagram._repr_mimebundle_(include, exclude)
        bundle["text/plain"] = f"{self.label}: {self.diagram}"
        return bundle


class PathTerms(list):
    """The terms of a path expansion (a list of `PathTerm`), able to weigh
    themselves on arrays with `contributions`."""

    def __init__(self, terms: Iterable[PathTerm], source: Diagram) -> None:
        super().__init__(terms)
        self.source = source

    def contributions(self, arrays: Mapping[str, Any] | None = None, /, *,
                      freeze: bool = True, tolerance: float | None = None, **named: Any):
        """Each term's value on your arrays: `.label`, `.norm` (Frobenius norm
        of its value), `.share` (its part of the sum of norms), largest first.

        Softmax patterns that read the residual stream are computed from the
        arrays and frozen first (`freeze=True`), which makes the terms exact
        summands of the network (`.residual` checks that they add up); with
        `freeze=False` the unfrozen terms are evaluated as they are, paths to
        study rather than summands.  Arrays are checked as `Diagram.eval`
        checks them.
        """
        from ..numerics.contributions import contributions

        inst = self.source.instance(arrays, tolerance=tolerance, **named)
        return contributions(self.source.value, inst, freeze_patterns=freeze)

    def __repr__(self) -> str:
        return "[" + ",\n ".join(f"PathTerm({t.label!r}, {t.diagram})" for t in self) + "]"
