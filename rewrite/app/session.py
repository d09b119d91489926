"""Executing programs: statements in, one `Result` per command out.

A `Session` owns the declarations seen so far (`build.Env`) and the rule sets.
The whole text is parsed before anything runs, so a syntax error anywhere
means no partial answer.  Declarations (`dim`, `tensor`, `let`, `rule`) change
the session and print nothing; commands (`simplify`, `prove`, `check`, `show`,
`draw`, `expand`, `cost`) each give one `Result`, which the command line prints
as text or JSON and the REPL shows as it comes.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Iterator

from ..language import syntax as S
from ..core.errors import InputError

JSON_SCHEMA = "penrose-rewrite/results/1"

# Statuses that make the command line exit with 1.
FAILING = {"refuted", "unknown"}


@dataclass
class Result:
    """What one command produced.

    `status` is "ok" for show/simplify/expand/draw/cost, or a verdict:
    "proved" / "refuted" / "unknown" for prove, "holds" / "refuted" for check.
    `value` is the resulting `Sum` (for drawing and the REPL), `steps` the
    rewrite steps as (side, rule, where, after-text) records.
    """

    verb: str
    line: int
    source: str
    status: str
    text: str
    steps: list[dict] = field(default_factory=list)
    data: dict = field(default_factory=dict)
    value: Any = None
    end_line: int = 0
    # For pictures (report, REPL), never serialised: the built input Sums
    # (one for simplify, left and right for prove/check) and simplify's engine
    # steps, whose `after` diagrams the text records above only print.
    inputs: tuple = ()
    trace: tuple = ()

    def to_json(self) -> dict:
        return {"statement": self.verb, "line": self.line, "source": self.source,
                "status": self.status, "output": self.text, "steps": self.steps, **self.data}


# Statuses that make the command line exit with 2: a statement that failed
# (an input error in place) or was skipped because one it depends on failed.
BROKEN = {"error", "skipped"}


def exit_code(results: list[Result]) -> int:
    if any(r.status in BROKEN for r in results):
        return 2
    return 1 if any(r.status in FAILING for r in results) else 0


def render_text(results: list[Result], trace: bool = False) -> str:
    blocks = []
    for r in results:
        src = r.source if len(r.source) <= 160 else r.source[:100] + " … " + r.source[-50:]
        head = f"[{r.line}] {src}"
        body = r.text
        if r.steps and (trace or r.verb in ("simplify", "prove")):
            body = body + "\n" + format_steps(r.steps, full=trace)
        blocks.append(head + "\n" + _indent(body))
    return "\n\n".join(blocks)


def render_json(results: list[Result]) -> str:
    return json.dumps({"schema": JSON_SCHEMA, "exit": exit_code(results),
                       "results": [r.to_json() for r in results]},
                      ensure_ascii=False, indent=2)


def format_steps(steps: list[dict], full: bool = False) -> str:
    """Steps one per line.  Unless `full`, a long run of one rule on one side
    (thousands of cancellations along a tensor train) is shown by its first
    and last steps and a count, so a person can still read it; `--json` and
    `--trace` keep every step."""
    if not steps:
        return "steps: none (already in normal form)"
    lines = ["steps:"]

    def line(k: int, s: dict) -> None:
        side = f"{s['side']}: " if s.get("side") else ""
        where = f" at {s['where']}" if s.get("where") else ""
        lines.append(f"  {k}. {side}{s['rule']}{where}")
        if s.get("after"):
            lines.append(f"       ⇒ {s['after']}")

    k = 0
    while k < len(steps):
        j = k
        while (j + 1 < len(steps) and steps[j + 1]["rule"] == steps[k]["rule"]
               and steps[j + 1].get("side") == steps[k].get("side")):
            j += 1
        run = j - k + 1
        if full or run <= 6:
            for i in range(k, j + 1):
                line(i + 1, steps[i])
        else:
            for i in range(k, k + 3):
                line(i + 1, steps[i])
            lines.append(f"     … {run - 4} more {steps[k]['rule']} steps …")
            line(j + 1, steps[j])
        k = j + 1
    return "\n".join(lines)


def _indent(text: str, by: str = "  ") -> str:
    return "\n".join(by + line if line else line for line in text.splitlines())


def _statement_text(source: str, stmt: S.Located) -> str:
    lines = source.splitlines()
    first = stmt.line - 1
    last = max(stmt.end_line or stmt.line, stmt.line) - 1
    chunk = lines[first:last + 1]
    text = " ".join(l.strip() for l in chunk)
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
        # error becomes a Result in place instead of an exception.
        self.keep_going = keep_going

    # -- rule sets ---------------------------------------------------------------

    @property
    def core_rules(self) -> list:
        if self._core is None:
            from ..rewriting.ruleset import core_rules

            self._core = list(core_rules())
        from ..rewriting.ruleset import loaded

        return self._core + [r for r in self.env.rules if loaded(r).simplifies]

    @property
    def expansion_rules(self) -> list:
        if self._gauge is None:
            from ..rewriting.ruleset import gauge_rules

            self._gauge = list(gauge_rules())
        from ..rewriting.ruleset import loaded

        return self._gauge + [r for r in self.env.rules if not loaded(r).simplifies]

    # -- running -----------------------------------------------------------------

    def load_declarations(self, text: str, filename: str) -> None:
        from ..language.parse import parse

        for stmt in parse(text, filename):
            if not isinstance(stmt, S.Command):
                self._declare(stmt, text, filename)

    def run(self, text: str, filename: str = "<input>", mode: str | None = None,
            only: set[str] | None = None) -> list[Result]:
        return list(self.iter_run(text, filename, mode, only))

    def iter_run(self, text: str, filename: str = "<input>",
                 mode: str | None = None, only: set[str] | None = None) -> Iterator[Result]:
        """Run each statement; with `only`, commands of other verbs are skipped
        (declarations always run)."""
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
            except InputError as e:
                if original is not None and e.line == 1 and e.column and e.column > len(mode) + 1:
                    e.column -= len(mode) + 1
                    e.source = original
                raise e.located(text, filename)

    def _run_file(self, text: str, filename: str, mode: str | None,
                  only: set[str] | None) -> Iterator[Result]:
        """Run a program, going on after errors (LANGUAGE.md §10).

        Each failing statement gives a Result with status "error" in its place;
        a statement that uses a name whose declaration failed gives "skipped",
        naming that line; the others run as usual.
        """
        from ..language.parse import parse_each
        from . import depends

        stmts, syntax = parse_each(text, filename)
        source_lines = text.split("\n")
        failed: dict[str, int] = {}
        events: list[tuple[int, Any]] = [(s.line, s) for s in stmts]
        events += [(first, (e, first, last)) for e, first, last in syntax]
        events.sort(key=lambda ev: ev[0])
        for line, ev in events:
            if isinstance(ev, tuple):  # a syntax error
                e, first, last = ev
                for name in depends.guessed(source_lines[first - 1:last]):
                    failed.setdefault(name, first)
                yield self._error_result(e.located(text, filename), first, last, text)
                continue
            stmt = ev
            blocked = sorted((failed[n], n) for n in depends.used(stmt) if n in failed)
            if blocked:
                for name in depends.defined(stmt):
                    failed.setdefault(name, stmt.line)
                at, name = blocked[0]
                yield self._result_of(stmt, text, "skipped",
                                      f"skipped: uses '{name}', whose statement on line {at} failed")
                continue
            try:
                if isinstance(stmt, S.Command):
                    verb = mode if stmt.bare and mode else stmt.verb
                    if only is None or verb in only:
                        yield self.command(stmt, text, mode)
                else:
                    self._declare(stmt, text, filename)
            except InputError as e:
                for name in depends.defined(stmt):
                    failed.setdefault(name, stmt.line)
                yield self._error_result(e.located(text, filename), stmt.line,
                                         max(stmt.line, stmt.end_line), text)

    def _result_of(self, stmt: Any, text: str, status: str, message: str) -> Result:
        verb = getattr(stmt, "verb", None) or type(stmt).__name__.replace("Stmt", "").lower()
        return Result(verb, stmt.line, _statement_text(text, stmt), status, message,
                      end_line=max(stmt.line, stmt.end_line))

    def _error_result(self, e: InputError, first: int, last: int, text: str) -> Result:
        src = " ".join(x.strip() for x in text.split("\n")[first - 1:last]).split("#", 1)[0].strip()
        return Result("error", first, src, "error", e.format(), end_line=last,
                      data={"error": {"line": e.line, "column": e.column, "message": e.message}})

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

    def command(self, stmt: S.Command, text: str, mode: str | None = None) -> Result:
        try:
            return self._command(stmt, text, mode)
        except InputError as e:
            if e.line is None:  # raised where only the statement knows the place
                e.line, e.column = stmt.line, stmt.column
                if stmt.end_line in (0, stmt.line) and stmt.end_column > stmt.column:
                    e.width = stmt.end_column - stmt.column
            raise

    def _command(self, stmt: S.Command, text: str, mode: str | None = None) -> Result:
        from ..language.expressions import build_equation, build_expr, build_picture

        verb = stmt.verb
        if stmt.bare and mode in ("simplify", "show", "expand", "cost", "paths"):
            verb = mode
        src = _statement_text(text, stmt)
        if verb in ("prove", "check"):
            left, right = build_equation(stmt, self.env)
            result = self._equation(verb, stmt, src, left, right)
            result.end_line = max(stmt.end_line, stmt.line)
            return result
        value = (build_picture(stmt.expr, self.env, stmt.boxed) if verb == "draw"
                 else build_expr(stmt.expr, self.env))
        result = getattr(self, "_" + verb)(stmt, src, value)
        result.end_line = max(stmt.end_line, stmt.line)
        return result

    def _show(self, stmt, src, value) -> Result:
        from ..views.printer import format_sum

        return Result("show", stmt.line, src, "ok", format_sum(value), value=value)

    def _simplify(self, stmt, src, value) -> Result:
        from ..rewriting.simplify import simplify
        from ..views.printer import format_sum

        res = simplify(value, self.core_rules, trace=self.trace, check=self.check_steps)
        steps = [_step_record(s, None) for s in res.steps]
        text = "= " + format_sum(res.sum)
        status = "ok"
        if res.stopped == "check failed":
            bad = res.steps[res.bad_step]
            status = "refuted"
            text = (f"check failed: step {res.bad_step + 1} ({bad.rule} at "
                    f"{', '.join(bad.where)}) changes the value: "
                    f"{res.counterexample.format()}\n" + text)
        elif res.stopped:
            text += f"\n(stopped early: {res.stopped})"
        return Result("simplify", stmt.line, src, status, text, steps=steps, value=res.sum,
                      data={"normal_form": format_sum(res.sum), "stopped": res.stopped},
                      inputs=(value,), trace=res.steps)

    def _expand(self, stmt, src, value) -> Result:
        from ..rewriting.simplify import simplify
        from ..transforms.expand import expand
        from ..views.printer import format_sum

        res = simplify(expand(value), self.core_rules)
        text = "= " + format_sum(res.sum) + f"\n({len(res.sum.terms)} terms)"
        return Result("expand", stmt.line, src, "ok", text, value=res.sum,
                      data={"terms": len(res.sum.terms)})

    def _paths(self, stmt, src, value) -> Result:
        """`paths EXPR`: the path expansion, one labelled term per line; the value
        is the Sum of the terms (drawable, and comparable with the network)."""
        from ..transforms.paths import expand_paths, paths_sum
        from ..views.printer import format_diagram

        paths = expand_paths(value)
        width = max((len(p.label) for p in paths), default=0)
        lines = [f"{k:>2}. {p.label:<{width}}  {format_diagram(p.term)}"
                 for k, p in enumerate(paths, 1)]
        lines.append(f"({len(paths)} terms)")
        data: dict = {"paths": [{"label": p.label, "term": format_diagram(p.term)}
                                for p in paths]}
        if self.arrays is not None:
            from ..numerics.contributions import contributions

            weights = contributions(value, self.supplied(value),
                                    freeze_patterns=self.freeze_patterns)
            lines.append(f"contributions on {self.arrays_name}:")
            lines.extend("  " + line for line in weights.format().splitlines())
            data.update(weights.to_json())
        return Result("paths", stmt.line, src, "ok", "\n".join(lines),
                      value=paths_sum(paths, value), data=data)

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

    def _cost(self, stmt, src, value) -> Result:
        from ..numerics.cost import contraction_cost

        report = contraction_cost(value, self.env)
        return Result("cost", stmt.line, src, "ok", report.format(), value=value,
                      data=report.to_json())

    def _draw(self, stmt, src, value) -> Result:
        from ..core.files import FileError
        from ..views.draw import draw

        self._draw_count += 1
        target = stmt.target if stmt.target is not None else f"diagram-{stmt.line}.svg"
        if self.out_dir and not os.path.isabs(target):
            target = os.path.join(self.out_dir, target)
        if not self.write_files:
            return Result("draw", stmt.line, src, "ok",
                          f"not written: only `rewrite run` writes {target}", value=value,
                          data={"file": None})
        from ..language.expressions import picture_base
        from ..views.draw import Strip

        try:
            draw(value, target, strip=Strip.after(picture_base(stmt.expr, self.env)))
        except FileError as e:
            # A file that cannot be written, or a format we do not draw: the
            # user's mistake, pointed at like any other.
            raise InputError(e.message, stmt.line, stmt.column,
                             width=max(1, stmt.end_column - stmt.column)) from None
        return Result("draw", stmt.line, src, "ok", f"wrote {target}", value=value,
                      data={"file": target})

    def _equation(self, verb: str, stmt, src, left, right) -> Result:
        from ..rewriting.prove import check, prove

        if verb == "check" and self.arrays is not None:
            return self._check_supplied(stmt, src, left, right)
        if verb == "check":
            v = check(left, right, constraints=self.env.constraints)
        else:
            v = prove(left, right, self.core_rules, expansions=self.expansion_rules,
                      constraints=self.env.constraints, trace=self.trace,
                      recheck=[r.name for r in self.env.rules])
        steps = ([_step_record(s, "left") for s in v.left_steps]
                 + [_step_record(s, "right") for s in v.right_steps])
        lines = [v.kind if verb == "prove" or v.kind == "refuted" else "holds"]
        status = lines[0]
        if v.kind == "refuted" and v.counterexample is not None:
            lines[0] += f": {v.counterexample.format()}"
            if v.how:
                lines.append(f"({v.how})")
        elif v.kind == "unknown":
            lines[0] += ": no proof found, yet numerically equal on every instance tried"
        elif verb == "check":
            lines[0] += ": numerically equal on every instance tried"
        if getattr(v, "note", ""):
            lines.append(f"({v.note})")
        if verb == "prove" and v.kind != "refuted" and v.left_normal is not None:
            from ..views.printer import format_sum

            if v.kind == "proved" and v.how == "normal forms":
                # Both sides reached isomorphic normal forms; printing them twice,
                # with their nodes in different orders, only invites doubt.
                lines.append(f"normal form: {format_sum(v.left_normal)}")
            else:
                lines.append(f"left normal form:  {format_sum(v.left_normal)}")
                lines.append(f"right normal form: {format_sum(v.right_normal)}")
        data: dict = {"verdict": status}
        if getattr(v, "note", ""):
            data["note"] = v.note
        if v.counterexample is not None:
            data["counterexample"] = v.counterexample.to_json()
        return Result(verb, stmt.line, src, status, "\n".join(lines), steps=steps, data=data,
                      value=v, inputs=(left, right))


    def _check_supplied(self, stmt, src, left, right) -> Result:
        """`check` on the user's arrays: one instance, theirs, instead of random ones."""
        from ..numerics.evaluate import Counterexample
        from ..numerics.supplied import compare_supplied
        from ..rewriting.prove import Verdict

        inst = self.supplied(left, right)
        ok, diff, a, b = compare_supplied(left, right, inst)
        status = "holds" if ok else "refuted"
        sizes = {str(k): v for k, v in inst.sizes.items()}
        scalar = getattr(a, "ndim", 0) == 0
        cex = None if ok else Counterexample(
            sizes, None, diff, complex(a) if scalar else None, complex(b) if scalar else None,
            reason=f"with {self.arrays_name}: largest difference {diff:.3g}")
        text = (f"holds: equal on {self.arrays_name} (largest difference {diff:.3g})" if ok
                else f"refuted: {cex.format()}")
        data: dict = {"verdict": status, "arrays": self.arrays_name, "largest_difference": diff}
        if cex is not None:
            data["counterexample"] = cex.to_json()
        return Result("check", stmt.line, src, status, text, data=data,
                      value=Verdict(status, counterexample=cex), inputs=(left, right))


def _step_record(step, side: str | None) -> dict:
    from ..views.printer import format_diagram, format_sum
    from ..core.diagram import Diagram

    after = getattr(step, "after", None)
    if isinstance(after, Diagram):
        after = format_diagram(after)
    elif after is not None and not isinstance(after, str):
        after = format_sum(after)
    where = getattr(step, "where", "") or ""
    if not isinstance(where, str):
        where = ", ".join(str(w) for w in where)
    return {"side": side, "rule": step.rule, "where": where, "after": after}
