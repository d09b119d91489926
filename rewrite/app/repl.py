"""The interactive prompt: `rewrite repl [FILE]`.

Two layers, so the logic can be tested without a terminal:

* `ReplState` holds a `run.Session` (declarations and rules), the *current
  diagram* and an undo/redo timeline of actions.  `handle(line) -> str` runs
  one input (a statement of the language or a `:command`) and returns what to
  print; errors come back as text with a caret and the state carries on.
* `run_repl` is the prompt_toolkit loop around it: persistent history,
  completion, multi-line input decided by the parser's bracket rule
  (`parse.needs_more`) and highlighting by the grammar's own lexer
  (`highlight`).

Internal indices are renamed by the printer on every `show`; the REPL refers
to wires by exactly those names (`printer.index_names`), so `:gauge X on b`
means the `b` the user just read.
"""
from __future__ import annotations

import os
import re
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from ..language import syntax as S
from ..core.diagram import BOUNDARY, DeltaNode, Diagram, Sum
from ..core.errors import InputError

HISTORY_ENV = "PENROSE_REWRITE_HISTORY"

FUNCTIONS = ("conj", "inv", "diag", "einsum", "eye", "tr", "kron", "relu", "gelu", "exp",
             "tanh", "sigmoid", "softmax", "delta", "δ", "diff", "shift", "tril", "triu")
KEYWORDS = ("dim", "tensor", "real", "isometry", "unitary", "invertible", "symmetric",
            "diagonal", "let", "rule", "simplify", "show", "expand", "cost", "paths", "prove",
            "check", "draw", "to")


# ------------------------------------------------------------------- timeline


@dataclass(frozen=True)
class StepRecord:
    """One rewrite as the user sees it: the rule, where, and the result as text."""

    rule: str
    where: str
    after: str


@dataclass(frozen=True)
class Action:
    """One undoable change of the current diagram.

    `kind` is "set" for a new starting diagram (the start of a proof) or
    "rewrite" for anything derived from the previous value.
    """

    kind: str
    name: str
    value: Sum
    steps: tuple[StepRecord, ...] = ()


# ----------------------------------------------------------------------- help

_HELP: dict[str, tuple[str, str]] = {
    "set": (":set EXPR", "make EXPR the current diagram (entering a bare expression does the same)"),
    "show": (":show", "print the current diagram; its index names are the ones :gauge accepts"),
    "simplify": (":simplify", "rewrite the current diagram to normal form, printing the steps"),
    "step": (":step", "apply one rewrite with the simplification rules"),
    "matches": (":matches", "list, per rule, the numbered places where a rule applies now"),
    "apply": (":apply RULE [N]", "apply the N-th match (default 1) of RULE; -RULE applies its converse"),
    "gauge": (":gauge X on INDEX", "insert X inv(X) on the wire named INDEX (X invertible)"),
    "expand": (":expand", "distribute products over parenthesised sums"),
    "undo": (":undo", "take back the last change of the current diagram"),
    "redo": (":redo", "redo what :undo took back"),
    "history": (":history", "the steps since the start, as a proof"),
    "save": (":save FILE", "write the declarations and `prove START == CURRENT` as a .tn file"),
    "draw": (":draw [FILE]", "draw the current diagram (SVG unless FILE says .png or .tex)"),
    "rules": (":rules", "list the rules: simplification rules and rules applied on request"),
    "load": (":load FILE", "run a .tn file here: its declarations stay, its commands print"),
    "help": (":help [TOPIC]", "this list, or one command in detail"),
    "quit": (":quit", "leave (Ctrl-D does the same)"),
}

_GENERAL_HELP = """\
Type any statement of the language: declarations (dim, tensor, let, rule)
accumulate; commands (simplify, prove, check, show, draw, expand, cost) print
their results; a bare expression becomes the current diagram.  A statement
continues on the next line while a bracket is open.

Commands on the current diagram:
"""


# ------------------------------------------------------------------ the state


class ReplState:
    """Everything the REPL knows; `handle` is the whole command language."""

    def __init__(self, session: Any = None) -> None:
        from .session import Session

        self.session = session if session is not None else Session()
        self.declarations: list[str] = []  # source text of each declaration, in order
        self.done: list[Action] = []
        self.undone: list[Action] = []
        self.finished = False
        self._draws = 0
        self._strip = None  # successive :draw pictures keep surviving nodes in place
        self._commands: dict[str, Callable[[str], str]] = {
            "set": self.cmd_set, "show": self.cmd_show, "simplify": self.cmd_simplify,
            "step": self.cmd_step, "matches": self.cmd_matches, "apply": self.cmd_apply,
            "gauge": self.cmd_gauge, "expand": self.cmd_expand, "undo": self.cmd_undo,
            "redo": self.cmd_redo, "history": self.cmd_history, "save": self.cmd_save,
            "draw": self.cmd_draw, "rules": self.cmd_rules, "load": self.cmd_load,
            "help": self.cmd_help, "quit": self.cmd_quit, "q": self.cmd_quit,
            "exit": self.cmd_quit,
        }

    # -- the current diagram ---------------------------------------------------

    @property
    def current(self) -> Sum | None:
        return self.done[-1].value if self.done else None

    @property
    def start(self) -> Sum | None:
        """The value of the most recent `set`: where the current proof begins."""
        for a in reversed(self.done):
            if a.kind == "set":
                return a.value
        return None

    def _need_current(self) -> Sum:
        cur = self.current
        if cur is None:
            raise InputError("no current diagram: enter an expression or use :set EXPR")
        return cur

    def _push(self, action: Action) -> None:
        self.done.append(action)
        self.undone.clear()

    # -- entry point -----------------------------------------------------------

    def handle(self, line: str) -> str:
        """Run one input and return what to print (errors included, never raised)."""
        if not line.strip():
            return ""
        try:
            text = line.strip()
            if text.startswith(":"):
                return self._meta(text)
            return self.run_text(line, "<input>")
        except InputError as e:
            return e.format()
        except (OSError, UnicodeDecodeError) as e:
            return f"error: {e}"
        except Exception as e:  # a bug in penrose-rewrite must not end the session
            if os.environ.get("REWRITE_DEBUG"):
                raise
            return (f"internal error: {type(e).__name__}: {e}\n"
                    "(this is a bug in penrose-rewrite; set REWRITE_DEBUG=1 for the traceback)")

    def _meta(self, text: str) -> str:
        text = _without_comment(text)
        word, _, rest = text[1:].partition(" ")
        word = word.strip()
        fn = self._commands.get(word)
        if fn is None:
            close = [c for c in _HELP if c.startswith(word[:2])] if word else []
            hint = f" (did you mean :{close[0]}?)" if close else ""
            raise InputError(f"unknown command ':{word}'{hint}; :help lists the commands")
        return fn(rest.strip())

    def run_text(self, text: str, filename: str) -> str:
        """Statements of the language: declarations stay, commands print, a bare
        expression becomes current."""
        from ..language.expressions import build_expr
        from ..language.parse import parse
        from ..views.printer import format_sum

        stmts = parse(text, filename)
        out: list[str] = []
        for st in stmts:
            try:
                if isinstance(st, S.Command) and st.bare:
                    value = build_expr(st.expr, self.session.env)
                    self._push(Action("set", _source_of(st, text), value))
                    out.append(format_sum(value))
                elif isinstance(st, S.Command):
                    out.append(_render(self.session.command(st, text)))
                else:
                    self.session.declare(st, text, filename)
                    self.declarations.append(_source_of(st, text))
            except InputError as e:
                # Earlier statements have taken effect; report where this one failed.
                raise e.located(text, filename) from None
        return "\n".join(out)

    # -- commands ----------------------------------------------------------------

    def cmd_set(self, arg: str) -> str:
        from ..language.expressions import build_expr
        from ..language.parse import parse_expr
        from ..views.printer import format_sum

        if not arg:
            raise InputError("usage: :set EXPR")
        try:
            value = build_expr(parse_expr(arg, "<input>"), self.session.env)
        except InputError as e:
            raise e.located(arg, "<input>")
        self._push(Action("set", arg, value))
        return format_sum(value)

    def cmd_show(self, arg: str) -> str:
        from ..views.printer import format_sum

        return format_sum(self._need_current())

    def _rewrite_action(self, name: str, cur: Sum, res: Any) -> Action:
        from ..views.printer import format_diagram

        many = len(cur.terms) > 1
        steps = []
        for s in res.steps:
            where = ", ".join(s.where) if not isinstance(s.where, str) else s.where
            after = format_diagram(s.after) if s.after is not None else ""
            if many:
                where = f"{where} (term {s.term + 1})"
            steps.append(StepRecord(s.rule, where, after))
        return Action("rewrite", name, res.sum, tuple(steps))

    def cmd_simplify(self, arg: str) -> str:
        from ..rewriting.simplify import simplify
        from ..views.printer import format_sum

        cur = self._need_current()
        res = simplify(cur, self.session.core_rules, trace=True)
        if not res.steps:
            return "already in normal form\n= " + format_sum(cur)
        action = self._rewrite_action("simplify", cur, res)
        self._push(action)
        text = _format_steps(action.steps) + "\n= " + format_sum(res.sum)
        if res.stopped:
            text += f"\n(stopped early: {res.stopped})"
        return text

    def cmd_step(self, arg: str) -> str:
        from ..rewriting.simplify import simplify
        from ..views.printer import format_sum

        cur = self._need_current()
        res = simplify(cur, self.session.core_rules, trace=True, max_steps=1)
        if not res.steps:
            return "already in normal form\n= " + format_sum(cur)
        action = self._rewrite_action("step", cur, res)
        self._push(action)
        s = action.steps[0]
        return f"{s.rule} at {s.where}\n= {format_sum(res.sum)}"

    def _all_rules(self) -> list:
        return list(self.session.core_rules) + list(self.session.expansion_rules)

    def _find_rule(self, name: str):
        converse = name.startswith("-")
        base = name[1:] if converse else name
        # A user's rule shadows a built-in one of the same name: search the newest first.
        for r in reversed(self._all_rules()):
            if r.name == base:
                return r.converse() if converse else r
        known = sorted({r.name for r in self._all_rules()})
        raise InputError(f"no rule named '{base}'; known rules: {', '.join(known)}")

    def matches_of(self, rule: Any, cur: Sum) -> list[tuple[int, Any]]:
        """(term index, match) for every match of `rule`, in a stable order."""
        from ..rewriting.simplify import matches_in

        return matches_in(rule, cur)

    def cmd_matches(self, arg: str) -> str:
        cur = self._need_current()
        lines: list[str] = []
        seen: set[str] = set()
        for rule in reversed(self._all_rules()):
            if rule.name in seen:
                continue  # shadowed by a newer rule of the same name
            seen.add(rule.name)
            ms = self.matches_of(rule, cur)
            if not ms:
                continue
            block = [rule.name]
            for n, (k, m) in enumerate(ms, 1):
                where = _where(cur.terms[k], m.nodes)
                if len(cur.terms) > 1:
                    where += f"   (term {k + 1})"
                block.append(f"  {n}. {where}")
            lines += block
        if not lines:
            return "no rule matches (the gauge rule applies on any wire: :gauge X on INDEX)"
        lines.append("(:apply RULE N applies one; -RULE its converse; :gauge X on INDEX)")
        return "\n".join(lines)

    def cmd_apply(self, arg: str) -> str:
        from ..rewriting.simplify import apply_at, check_applicable
        from ..views.printer import format_diagram, format_sum

        parts = arg.split()
        if not 1 <= len(parts) <= 2:
            raise InputError("usage: :apply RULE [N]  (-RULE for the converse)")
        rule = self._find_rule(parts[0])
        try:
            n = int(parts[1]) if len(parts) == 2 else 1
        except ValueError:
            raise InputError(f"'{parts[1]}' is not a match number") from None
        check_applicable(rule)
        cur = self._need_current()
        done = apply_at(rule, cur, n)
        value = done.value
        where = _where(cur.terms[done.term], done.match.nodes)
        if len(cur.terms) > 1:
            where += f" (term {done.term + 1})"
        step = StepRecord(rule.name, where, format_diagram(done.after))
        self._push(Action("rewrite", f"apply {rule.name}", value, (step,)))
        return f"{rule.name} at {where}\n= {format_sum(value)}"

    def cmd_gauge(self, arg: str) -> str:
        from ..rewriting.simplify import gauge_sum
        from ..views.printer import format_sum, index_names
        from ..core.kinds import Kind

        m = re.fullmatch(r"(\S+)\s+on\s+(\S+)", arg)
        if not m:
            raise InputError("usage: :gauge X on INDEX")
        xname, index = m.groups()
        decl = self.session.env.decls.get(xname)
        if decl is None:
            raise InputError(f"unknown tensor '{xname}'")
        if not decl.is_a(Kind.INVERTIBLE):
            raise InputError(f"{xname} is not invertible: the gauge inserts X inv(X)")
        cur = self._need_current()
        if not cur.terms:
            raise InputError("the current diagram is zero: there is no wire")
        names = [index_names(t) for t in cur.terms]
        if index not in names[0]:
            raise InputError(f"no index '{index}' in the current diagram; "
                             f"its indices are {', '.join(sorted(names[0]))}")
        port = names[0][index]
        if len(cur.terms) > 1 and port[0] != BOUNDARY:
            raise InputError("internal index names differ from term to term: in a sum, "
                             "gauge a free leg (each term gets X inv(X) on it)")
        value = gauge_sum(cur, [nm[index] for nm in names], decl)
        after = format_sum(value)
        step = StepRecord(f"gauge {xname}", index, after)
        self._push(Action("rewrite", f"gauge {xname} on {index}", value, (step,)))
        return f"inserted {xname} inv({xname}) on {index}\n= {after}"

    def cmd_expand(self, arg: str) -> str:
        from ..transforms.expand import expand
        from ..views.printer import format_sum

        cur = self._need_current()
        value = expand(cur)
        after = format_sum(value)
        self._push(Action("rewrite", "expand", value,
                          (StepRecord("expand", "every parenthesised sum", after),)))
        return f"= {after}\n({len(value.terms)} terms)"

    def cmd_undo(self, arg: str) -> str:
        from ..views.printer import format_sum

        if not self.done:
            raise InputError("nothing to undo")
        a = self.done.pop()
        self.undone.append(a)
        cur = self.current
        return f"undid {a.name}\n= " + (format_sum(cur) if cur is not None else "(no current diagram)")

    def cmd_redo(self, arg: str) -> str:
        from ..views.printer import format_sum

        if not self.undone:
            raise InputError("nothing to redo")
        a = self.undone.pop()
        self.done.append(a)
        return f"redid {a.name}\n= {format_sum(a.value)}"

    def proof_steps(self) -> list[StepRecord]:
        """The steps since the most recent `set`, in order."""
        out: list[StepRecord] = []
        for a in reversed(self.done):
            if a.kind == "set":
                break
            out[:0] = list(a.steps)
        return out

    def cmd_history(self, arg: str) -> str:
        from ..views.printer import format_sum

        start, cur = self.start, self.current
        if start is None or cur is None:
            raise InputError("no current diagram: enter an expression or use :set EXPR")
        steps = self.proof_steps()
        lines = [f"start:   {format_sum(start)}"]
        if steps:
            lines.append(_format_steps(steps))
        else:
            lines.append("(no steps yet)")
        lines.append(f"current: {format_sum(cur)}")
        return "\n".join(lines)

    def saved_text(self) -> str:
        """The session as a program `rewrite run` replays and proves."""
        from ..views.printer import format_sum

        start, cur = self.start, self.current
        if start is None or cur is None:
            raise InputError("no current diagram to save: enter an expression first")
        lines = ["# Saved from the penrose-rewrite REPL.", *self.declarations, ""]
        steps = self.proof_steps()
        if steps:
            lines.append("# steps: " + ", ".join(s.rule for s in steps))
        lines.append(f"prove {format_sum(start)} == {format_sum(cur)}")
        return "\n".join(lines) + "\n"

    def cmd_save(self, arg: str) -> str:
        if not arg:
            raise InputError("usage: :save FILE")
        from ..core.files import write_text

        path = _one_path(arg)
        write_text(path, self.saved_text())
        return f"wrote {path}"

    def cmd_draw(self, arg: str) -> str:
        from ..views.draw import Strip, draw

        cur = self._need_current()
        self._draws += 1
        path = _one_path(arg) if arg else f"repl-{self._draws}.svg"
        self._strip = self._strip or Strip()
        draw(cur, path, strip=self._strip)
        return f"wrote {path}"

    def cmd_rules(self, arg: str) -> str:
        lines = ["simplification (used by :simplify, :step):"]
        lines += [f"  {_rule_text(r)}" for r in self.session.core_rules]
        lines.append("on request (:apply, :gauge):")
        lines += [f"  {_rule_text(r)}" for r in self.session.expansion_rules]
        return "\n".join(lines)

    def cmd_load(self, arg: str) -> str:
        if not arg:
            raise InputError("usage: :load FILE")
        from ..core.files import read_text

        path = _one_path(arg)
        out = self.run_text(read_text(path), path)
        return out if out else f"loaded {path}"

    def cmd_help(self, arg: str) -> str:
        topic = arg.strip().lstrip(":")
        if topic:
            if topic not in _HELP:
                raise InputError(f"no help on '{arg}'; :help lists the commands")
            usage, what = _HELP[topic]
            return f"{usage}\n  {what}"
        width = max(len(u) for u, _ in _HELP.values())
        body = "\n".join(f"  {u.ljust(width)}  {w}" for u, w in _HELP.values())
        return _GENERAL_HELP + body

    def cmd_quit(self, arg: str) -> str:
        self.finished = True
        return ""

    # -- completion --------------------------------------------------------------

    def names(self) -> list[str]:
        env = self.session.env
        return sorted(set(env.decls) | set(env.lets) | set(env.dims))

    def completions(self, before: str) -> list[str]:
        """Candidates for the word ending at the cursor (`before` is the text up to it)."""
        line = before.rsplit("\n", 1)[-1]
        if m := re.fullmatch(r"\s*:(\w*)", line):
            return [":" + c for c in _HELP if c.startswith(m.group(1))]
        if m := re.fullmatch(r"\s*:help\s+(\w*)", line):
            return [c for c in _HELP if c.startswith(m.group(1))]
        if m := re.fullmatch(r"\s*:apply\s+(-?)(\w*)", line):
            dash, word = m.groups()
            rules = sorted({r.name for r in self._all_rules()})
            return [dash + r for r in rules if r.startswith(word)]
        if m := re.fullmatch(r"\s*:gauge\s+(\w*)", line):
            from ..core.kinds import Kind

            return sorted(n for n, d in self.session.env.decls.items()
                          if d.is_a(Kind.INVERTIBLE) and n.startswith(m.group(1)))
        if m := re.fullmatch(r"\s*:gauge\s+\S+\s+(\w*)", line):
            return ["on"] if "on".startswith(m.group(1)) else []
        if m := re.fullmatch(r"\s*:gauge\s+\S+\s+on\s+(\w*)", line):
            return [n for n in self._index_names() if n.startswith(m.group(1))]
        if re.match(r"\s*:(load|save|draw|undo|redo|show|simplify|step|matches|expand"
                    r"|history|rules|quit)\b", line):
            return []
        m = re.search(r"([^\W\d]\w*)$", line)
        word = m.group(1) if m else ""
        if not word:
            return []
        pool = set(self.names()) | set(FUNCTIONS)
        if not line[: len(line) - len(word)].strip():
            pool |= set(KEYWORDS)
        return sorted(c for c in pool if c.startswith(word) and c != word)

    def _index_names(self) -> list[str]:
        from ..views.printer import index_names

        cur = self.current
        if cur is None or not cur.terms:
            return []
        if len(cur.terms) == 1:
            return sorted(index_names(cur.terms[0]))
        return sorted(n for n, p in index_names(cur.terms[0]).items() if p[0] == BOUNDARY)


# -------------------------------------------------------------------- helpers


def _source_of(st: S.Located, text: str) -> str:
    """The statement's own lines, verbatim (a rule or let may span lines)."""
    lines = text.splitlines()
    last = max(st.end_line or st.line, st.line)
    return "\n".join(lines[st.line - 1:last]).strip()


def _render(r: Any) -> str:
    from .session import format_steps

    body = r.text
    if r.steps and r.verb in ("simplify", "prove"):
        body += "\n" + format_steps(r.steps)
    return body


def _format_steps(steps: Iterable[StepRecord]) -> str:
    lines = []
    for k, s in enumerate(steps, 1):
        lines.append(f"  {k}. {s.rule}" + (f" at {s.where}" if s.where else ""))
        if s.after:
            lines.append(f"       ⇒ {s.after}")
    return "\n".join(lines)


def _where(d: Diagram, nodes: Iterable[int]) -> str:
    """Matched nodes written with the index names `show` prints for `d`."""
    from ..views.printer import index_names

    names: dict[tuple[int, int], str] = {}
    for n, p in index_names(d).items():
        names[p] = n
        names[d.link[p]] = n
    parts = []
    for v in nodes:
        node = d.nodes[v]
        title = "δ" if isinstance(node, DeltaNode) else node.title
        slots = ", ".join(names.get((v, i), "?") for i in range(node.arity))
        parts.append(f"{title}[{slots}]" if node.arity else title)
    return " ".join(parts) or "a wire"


def _rule_text(r: Any) -> str:
    return (r.source or "").strip() or r.name


def _one_path(arg: str) -> str:
    """The one file name in a command's argument, shell-quoted or not."""
    try:
        parts = shlex.split(arg)
    except ValueError:  # an unclosed quote: never a file named after it
        raise InputError(f"unclosed quote in the file name {arg}") from None
    if len(parts) != 1:
        raise InputError(f"expected one file name, got {arg!r}")
    return os.path.expanduser(parts[0])


# ----------------------------------------------------------------- highlighting

_STYLE_OF = {
    "NAME": "class:name", "FUNC": "class:function", "NUMBER": "class:number",
    "INT": "class:number", "STRING": "class:string", "COMMENT": "class:comment",
    "ARROW": "class:operator", "RULE_ARROW": "class:operator", "EQEQ": "class:operator",
    "SIGN": "class:operator", "AT": "class:operator", "STAR": "class:operator",
    "SLASH": "class:operator", "EQUAL": "class:operator",
    "LSQB": "class:bracket", "RSQB": "class:bracket", "LPAR": "class:bracket",
    "RPAR": "class:bracket",
}


def _keyword_types() -> set[str]:
    from ..language.parse import parser

    return {t.name for t in parser().terminals
            if t.pattern.type == "str" and t.pattern.value.isalpha()}


def highlight(text: str, tensors: Iterable[str] = ()) -> list[tuple[str, str]]:
    """(style, text) fragments covering `text`, from lark's lexer for the grammar.

    Partial input is the normal case at a prompt, so this never raises: a
    character the lexer refuses is marked "class:error" and lexing resumes
    after it (an unterminated string is a string to the end of its line).
    """
    from lark.exceptions import LarkError

    from ..language.parse import parser

    styles = [""] * len(text)
    tensors = set(tensors)
    offset = 0
    if m := re.match(r"(\s*)(:\w*)", text):
        for i in range(m.start(2), m.end(2)):
            styles[i] = "class:command"
        offset = m.end(2)
    try:
        lexer = parser()
        keywords = _keyword_types()
    except Exception:  # no grammar: plain text rather than a crash at the prompt
        return [("", text)] if text else []
    while offset < len(text):
        try:
            for tok in lexer.lex(text[offset:], dont_ignore=True):
                style = ("class:keyword" if tok.type in keywords
                         else "class:tensor" if tok.type == "NAME" and str(tok) in tensors
                         else _STYLE_OF.get(tok.type, ""))
                a = offset + tok.start_pos
                for i in range(a, min(a + len(str(tok)), len(text))):
                    styles[i] = style
            break
        except LarkError as e:
            pos = offset + getattr(e, "pos_in_stream", 0)
            if pos >= len(text):
                break
            if text[pos] in "'\"":
                end = text.find("\n", pos)
                end = len(text) if end < 0 else end
                for i in range(pos, end):
                    styles[i] = "class:string"
                offset = end
            else:
                styles[pos] = "class:error"
                offset = pos + 1
        except Exception:
            break
    out: list[tuple[str, str]] = []
    for ch, st in zip(text, styles):
        if out and out[-1][0] == st:
            out[-1] = (st, out[-1][1] + ch)
        else:
            out.append((st, ch))
    return out


# -------------------------------------------------------------- the prompt loop


STYLE = {
    "keyword": "ansiblue bold", "command": "ansiblue bold", "tensor": "ansigreen bold",
    "function": "ansicyan", "number": "ansimagenta", "string": "ansiyellow",
    "comment": "ansibrightblack italic", "operator": "ansired", "bracket": "",
    "error": "bg:ansired ansiwhite",
}


def history_path() -> Path:
    """$PENROSE_REWRITE_HISTORY, else $XDG_STATE_HOME (or ~/.local/state)/penrose-rewrite/history."""
    env = os.environ.get(HISTORY_ENV)
    if env:
        return Path(env)
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "penrose-rewrite" / "history"


def _prompt_parts(state: ReplState):
    from prompt_toolkit.completion import Completer, Completion, PathCompleter
    from prompt_toolkit.document import Document
    from prompt_toolkit.lexers import Lexer

    class TnCompleter(Completer):
        """Names, rules and commands from the state; file names after :load/:save/:draw."""

        paths = PathCompleter(expanduser=True)

        def get_completions(self, document, complete_event):
            before = document.text_before_cursor
            line = before.rsplit("\n", 1)[-1]
            m = re.fullmatch(r"\s*:(load|save|draw)\s+(\S*)", line)
            if m:
                yield from self.paths.get_completions(Document(m.group(2)), complete_event)
                return
            word = re.search(r"[-:]?[\w]*$", line).group(0)
            for c in state.completions(before):
                start = -len(word) if c.startswith(word[:1]) or not word else -len(word.lstrip("-:"))
                yield Completion(c, start_position=start)

    class TnLexer(Lexer):
        def lex_document(self, document):
            frags = highlight(document.text, state.session.env.decls)
            lines: list[list[tuple[str, str]]] = [[]]
            for style, text in frags:
                pieces = text.split("\n")
                for k, piece in enumerate(pieces):
                    if k:
                        lines.append([])
                    if piece:
                        lines[-1].append((style, piece))
            return lambda i: lines[i] if i < len(lines) else []

    return TnCompleter(), TnLexer()


def _key_bindings():
    from prompt_toolkit.key_binding import KeyBindings

    from ..language.parse import needs_more

    kb = KeyBindings()

    @kb.add("enter")
    @kb.add("c-j")
    def _(event) -> None:
        buf = event.current_buffer
        if not buf.text.strip():
            return  # Enter on an empty line does nothing
        if needs_more(buf.text):
            buf.insert_text("\n")
        else:
            buf.validate_and_handle()

    return kb


def _history():
    from prompt_toolkit.history import FileHistory, InMemoryHistory

    path = history_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(exist_ok=True)
        return FileHistory(str(path))
    except OSError:
        return InMemoryHistory()


def run_transcript(state: ReplState, lines: Iterable[str],
                   write: Callable[[str], None]) -> int:
    """The REPL fed from a pipe or a file (`rewrite repl < session.txt`).

    Terminal editing makes no sense without a terminal, and prompt_toolkit
    would paint its prompts into the output; instead each statement is echoed
    after a `tn> ` prompt with its answer below, so the output reads as a
    transcript.  Statements continue over lines while a bracket is open, as at
    the prompt.
    """
    from ..language.parse import needs_more

    def answer(buf: list[str]) -> None:
        write("tn> " + "\n... ".join(buf))
        out = state.handle("\n".join(buf))
        if out:
            write(out)

    buf: list[str] = []
    for raw in lines:
        line = raw.rstrip("\n")
        if not buf and not line.strip():
            continue
        buf.append(line)
        if needs_more("\n".join(buf)):
            continue
        answer(buf)
        buf = []
        if state.finished:
            return 0
    if buf:  # an unfinished statement at the end: let the parser say what is missing
        answer(buf)
    return 0


def run_repl(file: str | None = None, *, input: Any = None, output: Any = None,
             write: Callable[[str], None] | None = None) -> int:
    """The interactive loop; `input`/`output` are prompt_toolkit's (pipe input in tests)."""
    write = write or (lambda s: print(s, flush=True))
    state = ReplState()
    if file:
        out = state.handle(":load " + shlex.quote(file))
        if out:
            write(out)
    if input is None and not sys.stdin.isatty():
        return run_transcript(state, sys.stdin, write)

    from prompt_toolkit import PromptSession
    from prompt_toolkit.styles import Style

    completer, lexer = _prompt_parts(state)
    session = PromptSession(
        "tn> ", history=_history(), completer=completer, lexer=lexer,
        style=Style.from_dict(STYLE), key_bindings=_key_bindings(), multiline=True,
        prompt_continuation="... ", complete_while_typing=False, input=input, output=output)
    write("penrose-rewrite REPL; :help lists the commands, :quit leaves.")
    while not state.finished:
        try:
            text = session.prompt()
        except KeyboardInterrupt:
            continue
        except EOFError:
            break
        out = state.handle(text)
        if out:
            write(out)
    return 0


def _without_comment(text: str) -> str:
    """A colon command without its trailing `# comment` (as in the language):
    a `#` at the start of a word and outside quotes starts the comment."""
    quote = None
    for k, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (k == 0 or text[k - 1].isspace()):
            return text[:k].rstrip()
    return text
