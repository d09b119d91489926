"""Executing programs: statements in, one typed outcome per command out.

A `Session` owns the declarations seen so far (`language.env.Env`) and the
rule sets.  The whole text is parsed before anything runs, so a syntax error
anywhere means no partial answer.  Declarations (`dim`, `tensor`, `let`,
`rule`) change the session and give nothing; commands give one outcome each:

    show      -> Shown        value: the built Sum
    simplify  -> Normalised   start, value (normal form), steps, stopped, ...
    expand    -> Expanded     value: the expanded, simplified Sum
    paths     -> PathsFound   paths (labelled terms), value (their Sum), contributions
    cost      -> Costed       report (numerics.cost), value
    draw      -> Drawn        file, value
    prove     -> Decided      verdict (rewriting.prove.Verdict), left, right
    check     -> Decided      the same; with arrays: arrays_name, largest_difference

and, when a session goes on after errors (`keep_going`, the command line's
`run`), a statement that fails gives `Failed` (status "error", the
`InputError`) and one that depends on a failed name gives `Skipped`.

Every outcome has `verb`, `line`, `end_line`, `source` (the statement's
text) and `status` ("ok", or the verdict: proved / refuted / unknown / holds).
These are the stable interface for the command line, the REPL, the page of
pictures and the Python library; how they read as text or JSON is
`views.render`'s job.  Commands are found in `COMMANDS`, a registry filled by
the `command` decorator.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from ..core import heap
from ..core.errors import InputError, source_lines
from ..language import syntax as S
from ..views.render import BROKEN, FAILING, JSON_SCHEMA, exit_code, format_steps, json_of, \
    render_json, render_text, text_of

__all__ = ["BROKEN", "COMMANDS", "Costed", "Decided", "Drawn", "Expanded", "FAILING", "Failed",
           "JSON_SCHEMA", "Normalised", "Outcome", "PathsFound", "Session", "Shown", "Skipped",
           "exit_code", "format_steps", "render_json", "render_text"]


# ------------------------------------------------------------------ outcomes


@dataclass
class Outcome:
    """What one command produced.  `value` is the resulting Sum (None for a verdict)."""

    verb: str
    line: int
    source: str
    value: Any = None
    end_line: int = 0

    @property
    def status(self) -> str:
        return "ok"

    @property
    def text(self) -> str:
        """The answer as the command line prints it (see `views.render`)."""
        return text_of(self)

    def to_json(self) -> dict:
        """The outcome as `rewrite run --json` gives it."""
        return json_of(self)


@dataclass
class Shown(Outcome):
    """`show EXPR`: the built expression."""


@dataclass
class Normalised(Outcome):
    """`simplify EXPR`: `value` is the normal form reached from `start`.

    `steps` are the engine's steps (`rewriting.strategies.RewriteStep`, with the
    diagram after each when the session traces).  `stopped` is None when a
    normal form was reached, else the budget that ran out or "check failed";
    then `bad_step` and `counterexample` say which step changed the value.
    """

    start: Any = None
    steps: tuple = ()
    stopped: str | None = None
    bad_step: int | None = None
    counterexample: Any = None

    @property
    def status(self) -> str:
        return "refuted" if self.stopped == "check failed" else "ok"


@dataclass
class Expanded(Outcome):
    """`expand EXPR`: products distributed over sums, then simplified."""


@dataclass
class PathsFound(Outcome):
    """`paths EXPR`: the labelled path terms (`transforms.paths.Path`); `value`
    is their Sum.  With the user's arrays, `contributions` weighs each term."""

    paths: list = field(default_factory=list)
    contributions: Any = None
    arrays_name: str | None = None


@dataclass
class Costed(Outcome):
    """`cost EXPR`: the contraction cost report (`numerics.cost`)."""

    report: Any = None


@dataclass
class Drawn(Outcome):
    """`draw EXPR [to FILE]`: the file written (or, when the session writes no
    files, `written` is False and `file` is where `rewrite run` would write)."""

    file: str = ""
    written: bool = True


@dataclass
class Decided(Outcome):
    """`prove L == R` or `check L == R`: the verdict on the two built sides.

    `verdict.kind` is the status; `verdict.how` says which stage found a
    proof; `verdict.counterexample` refutes.  A check on the user's arrays
    names them (`arrays_name`) and gives the largest entrywise difference.
    """

    verdict: Any = None
    left: Any = None
    right: Any = None
    arrays_name: str | None = None
    largest_difference: float | None = None

    @property
    def status(self) -> str:
        return self.verdict.kind


@dataclass
class Failed(Outcome):
    """A statement that failed in place (the session went on): `error` says where and why."""

    error: Any = None

    @property
    def status(self) -> str:
        return "error"


@dataclass
class Skipped(Outcome):
    """A statement not run because a name it uses comes from one that failed."""

    message: str = ""

    @property
    def status(self) -> str:
        return "skipped"


CommandFn = Callable[["Session", S.Command, str, Any], Outcome]
COMMANDS: dict[str, CommandFn] = {}


def command(verb: str) -> Callable[[CommandFn], CommandFn]:
    """Register the function that executes `verb` on a built expression."""

    def add(fn: CommandFn) -> CommandFn:
        COMMANDS[verb] = fn
        return fn

    return add


def _statement_text(source: str, stmt: S.Located) -> str:
    return _lines_text(source, stmt.line, max(stmt.end_line or stmt.line, stmt.line))


def _lines_text(source: str, first: int, last: int) -> str:
    """Lines first..last (1-based) of `source` joined on one line, without the comment."""
    text = " ".join(l.strip() for l in source_lines(source)[first - 1:last])
    if "#" in text:
        text = text.split("#", 1)[0].rstrip()
    return text


class Session:
    """Declarations and rules accumulated over one file or one REPL session."""

    def __init__(self, trace: bool = False, out_dir: str | None = None,
                 check_steps: bool = False, write_files: bool = True,
                 keep_going: bool = False) -> None:
        from ..language.env import Env

        self.env = Env()
        self.check_steps = check_steps
        self.trace = trace
        self.out_dir = out_dir
        # `rewrite show|prove|check|simplify FILE` run a file's draw statements
        # without writing their pictures: only `run` (and the REPL) write files.
        self.write_files = write_files
        self._core = None
        self._gauge = None
        self._draw_count = 0
        self.last_base = None  # what the last drawn derivative was taken of (see picture_base)
        # The user's arrays (tensor name -> array), when given (`--arrays`):
        # `check` then compares on them, and `paths` weighs its terms on them.
        self.arrays: dict | None = None
        self.arrays_name = "the given arrays"
        self.freeze_patterns = True
        # Go on after a failing statement (the command line's `run`): each
        # error becomes an outcome in place instead of an exception.
        self.keep_going = keep_going

    # -- rule sets ---------------------------------------------------------------

    @property
    def core_rules(self) -> list:
        from ..rewriting.ruleset import loaded

        if self._core is None:
            from ..rewriting.ruleset import core_rules

            # A shipped law that does not shrink the diagram is an expansion:
            # prove's search uses it (`expansion_rules`), simplify must not.
            self._core = [r for r in core_rules() if loaded(r).simplifies]
        return self._core + [r for r in self.env.rules if loaded(r).simplifies]

    @property
    def expansion_rules(self) -> list:
        if self._gauge is None:
            from ..rewriting.ruleset import shipped_expansions

            self._gauge = list(shipped_expansions())
        from ..rewriting.ruleset import loaded

        return self._gauge + [r for r in self.env.rules if not loaded(r).simplifies]

    # -- running -----------------------------------------------------------------

    def load_declarations(self, text: str, filename: str) -> None:
        from ..language.parse import parse

        for stmt in parse(text, filename):
            if not isinstance(stmt, S.Command):
                self._declare(stmt, text, filename)

    def run(self, text: str, filename: str = "<input>", mode: str | None = None,
            only: set[str] | None = None) -> list[Outcome]:
        return list(self.iter_run(text, filename, mode, only))

    def iter_run(self, text: str, filename: str = "<input>",
                 mode: str | None = None, only: set[str] | None = None) -> Iterator[Outcome]:
        """Run each statement; with `only`, commands of other verbs are skipped
        (declarations always run).

        The run is a `heap.run_scope`: what each statement leaves behind is
        long-lived, and is kept out of the garbage collector's walks until
        the run ends (core/heap.py says why).
        """
        with heap.run_scope():
            yield from self._iter_run(text, filename, mode, only)

    def _iter_run(self, text: str, filename: str, mode: str | None,
                  only: set[str] | None) -> Iterator[Outcome]:
        from ..language.parse import parse

        if filename == "<expr>" and mode:
            # An expression given on the command line becomes one statement;
            # errors still point into what the user typed.
            original, text = text, f"{mode} {text}"
            try:
                stmts = parse(text, filename)
            except InputError as e:
                if e.line == 1 and e.column and e.column > len(mode) + 1:
                    e.column -= len(mode) + 1
                    e.source = original
                raise
        elif self.keep_going:
            yield from self._run_file(text, filename, mode, only)
            return
        else:
            original = None
            stmts = parse(text, filename)
        for stmt in stmts:
            try:
                if isinstance(stmt, S.Command):
                    verb = mode if stmt.bare and mode else stmt.verb
                    if only is None or verb in only:
                        yield self.command(stmt, text, mode)
                else:
                    self._declare(stmt, text, filename)
                heap.settle()
            except InputError as e:
                if original is not None and e.line == 1 and e.column and e.column > len(mode) + 1:
                    e.column -= len(mode) + 1
                    e.source = original
                raise e.located(text, filename)

    def _run_file(self, text: str, filename: str, mode: str | None,
                  only: set[str] | None) -> Iterator[Outcome]:
        """Run a program, going on after errors (LANGUAGE.md §10).

        Each failing statement gives a `Failed` outcome in its place; a
        statement that uses a name whose declaration failed gives `Skipped`,
        naming that line; the others run as usual.
        """
        from ..language.parse import parse_each
        from . import depends

        stmts, syntax = parse_each(text, filename)
        lines = source_lines(text)
        failed: dict[str, int] = {}
        events: list[tuple[int, Any]] = [(s.line, s) for s in stmts]
        events += [(first, (e, first, last)) for e, first, last in syntax]
        events.sort(key=lambda ev: ev[0])
        events.reverse()  # popped from the end: first line first
        del stmts, syntax
        while events:
            # Popped, so that a statement's syntax tree is freed once it has
            # run (a 10^5-site program's declarations hold 200 MB of it).
            line, ev = events.pop()
            if isinstance(ev, tuple):  # a syntax error
                e, first, last = ev
                for name in depends.guessed(lines[first - 1:last]):
                    failed.setdefault(name, first)
                yield self._failed(e.located(text, filename), first, last, text)
                continue
            stmt = ev
            # Only a failure earlier in the file can block a statement.
            blocked = sorted((failed[n], n) for n in depends.used(stmt) if n in failed) \
                if failed else None
            if blocked:
                for name in depends.defined(stmt):
                    failed.setdefault(name, stmt.line)
                at, name = blocked[0]
                verb = getattr(stmt, "verb", None) or type(stmt).__name__.replace("Stmt", "").lower()
                yield Skipped(verb, stmt.line, _statement_text(text, stmt),
                              end_line=max(stmt.line, stmt.end_line),
                              message=f"skipped: uses '{name}', whose statement on line {at} failed")
                continue
            try:
                if isinstance(stmt, S.Command):
                    verb = mode if stmt.bare and mode else stmt.verb
                    if only is None or verb in only:
                        yield self.command(stmt, text, mode)
                else:
                    self._declare(stmt, text, filename)
                heap.settle()
            except InputError as e:
                # A name the failing statement would have defined is blocked,
                # unless an earlier statement defined it and still stands
                # (`tensor n[i: n]` after `dim n` fails, yet `n` is fine).
                for name in depends.defined(stmt):
                    if not self._defined(name):
                        failed.setdefault(name, stmt.line)
                yield self._failed(e.located(text, filename), stmt.line,
                                   max(stmt.line, stmt.end_line), text)

    def _defined(self, name: str) -> bool:
        """Whether `name` is already a dim, tensor, let or function here."""
        env = self.env
        return any(name in table for table in (env.dims, env.decls, env.lets, env.functions))

    def _failed(self, e: InputError, first: int, last: int, text: str) -> Failed:
        return Failed("error", first, _lines_text(text, first, last), end_line=last, error=e)

    def last_value(self, text: str, filename: str, boxes: bool = False):
        """The value of the last expression in `text` (for `rewrite draw`);
        `boxes` keeps named lets as labelled boxes."""
        from ..language.expressions import build_picture, picture_base
        from ..language.parse import parse

        stmts = parse(text, filename)
        value = None
        try:
            for stmt in stmts:
                if isinstance(stmt, S.Command):
                    value = build_picture(stmt.expr, self.env, boxes or stmt.boxed)
                    self.last_base = picture_base(stmt.expr, self.env)
                else:
                    self._declare(stmt, text, filename)
        except InputError as e:
            raise e.located(text, filename)
        if value is None:
            raise InputError("nothing to draw: the input has no expression", source=text,
                             filename=filename)
        return value

    def declare(self, stmt, text: str, filename: str = "<input>") -> None:
        """Execute one declaration statement (the REPL feeds them one by one)."""
        self._declare(stmt, text, filename)

    def _declare(self, stmt, text: str, filename: str) -> None:
        try:
            if isinstance(stmt, S.RuleStmt):
                from ..rewriting.ruleset import checked_rule

                rule = checked_rule(stmt, self.env, filename=filename)
                self.env.rules.append(rule)
            else:
                self.env.execute_declaration(stmt)
        except InputError as e:
            raise e.located(text, filename)

    # -- commands ------------------------------------------------------------------

    def command(self, stmt: S.Command, text: str, mode: str | None = None) -> Outcome:
        """Execute one command statement of `text`; its outcome."""
        try:
            outcome = self._command(stmt, text, mode)
        except InputError as e:
            if e.line is None:  # raised where only the statement knows the place
                e.line, e.column = stmt.line, stmt.column
                if stmt.end_line in (0, stmt.line) and stmt.end_column > stmt.column:
                    e.width = stmt.end_column - stmt.column
            raise
        outcome.end_line = max(stmt.end_line, stmt.line)
        return outcome

    def _command(self, stmt: S.Command, text: str, mode: str | None = None) -> Outcome:
        from ..language.expressions import build_equation, build_expr, build_picture

        verb = stmt.verb
        if stmt.bare and mode in ("simplify", "show", "expand", "cost", "paths"):
            verb = mode
        src = _statement_text(text, stmt)
        if verb in ("prove", "check"):
            left, right = build_equation(stmt, self.env)
            heap.settle()  # the built sides live until the verdict
            return self.decide(verb, left, right, stmt.line, src)
        value = (build_picture(stmt.expr, self.env, stmt.boxed) if verb == "draw"
                 else build_expr(stmt.expr, self.env))
        return COMMANDS[verb](self, stmt, src, value)

    def decide(self, verb: str, left: Any, right: Any, line: int = 1,
               source: str = "") -> Decided:
        """`prove` or `check` two built sides (the library calls this directly)."""
        from ..rewriting.prove import check, prove

        if verb == "check" and self.arrays is not None:
            return self._check_supplied(line, source, left, right)
        if verb == "check":
            v = check(left, right, constraints=self.env.constraints)
        else:
            v = prove(left, right, self.core_rules, expansions=self.expansion_rules,
                      constraints=self.env.constraints, trace=self.trace,
                      recheck=[r.name for r in self.env.rules])
        return Decided(verb, line, source, verdict=v, left=left, right=right)

    def _check_supplied(self, line: int, source: str, left: Any, right: Any) -> Decided:
        """`check` on the user's arrays: one instance, theirs, instead of random ones."""
        from ..numerics.evaluate import Counterexample
        from ..numerics.supplied import compare_supplied
        from ..rewriting.prove import Verdict

        inst = self.supplied(left, right)
        ok, diff, a, b = compare_supplied(left, right, inst)
        sizes = {str(k): v for k, v in inst.sizes.items()}
        scalar = getattr(a, "ndim", 0) == 0
        cex = None if ok else Counterexample(
            sizes, None, diff, complex(a) if scalar else None, complex(b) if scalar else None,
            reason=f"with {self.arrays_name}: largest difference {diff:.3g}")
        return Decided("check", line, source, verdict=Verdict("holds" if ok else "refuted",
                                                              counterexample=cex),
                       left=left, right=right, arrays_name=self.arrays_name,
                       largest_difference=diff)

    def supplied(self, *values):
        """The checked instance of the user's arrays for these values (`--arrays`)."""
        from ..numerics.evaluate import collect_symbols
        from ..numerics.supplied import supplied_instance, used_decls

        # Tensors declared later in the file may have arrays too: only names
        # declared so far take part here (the command line reports names that
        # no declaration ever claimed).
        known = {k: v for k, v in self.arrays.items() if k in self.env.decls}
        return supplied_instance(used_decls(*values), known, declared=self.env.decls,
                                 size_symbols=collect_symbols(*values))


# ------------------------------------------------------------------ commands


@command("show")
def _show(session: Session, stmt: S.Command, src: str, value: Any) -> Shown:
    return Shown("show", stmt.line, src, value)


@command("simplify")
def _simplify(session: Session, stmt: S.Command, src: str, value: Any) -> Normalised:
    from ..rewriting.simplify import simplify

    res = simplify(value, session.core_rules, trace=session.trace, check=session.check_steps)
    return Normalised("simplify", stmt.line, src, res.sum, start=value, steps=res.steps,
                      stopped=res.stopped, bad_step=res.bad_step,
                      counterexample=res.counterexample)


@command("expand")
def _expand(session: Session, stmt: S.Command, src: str, value: Any) -> Expanded:
    from ..rewriting.simplify import simplify
    from ..transforms.expand import expand

    return Expanded("expand", stmt.line, src, simplify(expand(value), session.core_rules).sum)


@command("paths")
def _paths(session: Session, stmt: S.Command, src: str, value: Any) -> PathsFound:
    """The path expansion; with the user's arrays, each term's contribution."""
    from ..transforms.paths import expand_paths, paths_sum

    paths = expand_paths(value)
    weights = None
    if session.arrays is not None:
        from ..numerics.contributions import contributions

        weights = contributions(value, session.supplied(value),
                                freeze_patterns=session.freeze_patterns)
    return PathsFound("paths", stmt.line, src, paths_sum(paths, value), paths=paths,
                      contributions=weights,
                      arrays_name=session.arrays_name if weights is not None else None)


@command("cost")
def _cost(session: Session, stmt: S.Command, src: str, value: Any) -> Costed:
    from ..numerics.cost import contraction_cost

    return Costed("cost", stmt.line, src, value, report=contraction_cost(value, session.env))


@command("draw")
def _draw(session: Session, stmt: S.Command, src: str, value: Any) -> Drawn:
    from ..core.files import FileError
    from ..views.draw import draw

    session._draw_count += 1
    target = stmt.target if stmt.target is not None else f"diagram-{stmt.line}.svg"
    if session.out_dir and not os.path.isabs(target):
        target = os.path.join(session.out_dir, target)
    if not session.write_files:
        return Drawn("draw", stmt.line, src, value, file=target, written=False)
    from ..language.expressions import picture_base
    from ..views.draw import Strip

    try:
        draw(value, target, strip=Strip.after(picture_base(stmt.expr, session.env)))
    except FileError as e:
        # A file that cannot be written, or a format we do not draw: the
        # user's mistake, pointed at like any other.
        raise InputError(e.message, stmt.line, stmt.column,
                         width=max(1, stmt.end_column - stmt.column)) from None
    return Drawn("draw", stmt.line, src, value, file=target)
