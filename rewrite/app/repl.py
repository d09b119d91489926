"""The interactive prompt: `rewrite repl [FILE]`.

Two layers, so the logic can be tested without a terminal:

* `ReplState` holds a `session.Session` (declarations and rules), the *current
  diagram* and an undo/redo timeline of actions; its `:commands` are the
  registry in `app.commands`.  `handle(line) -> str` runs
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
from pathlib import Path
from typing import Any, Callable, Iterable

from ..core.diagram import BOUNDARY, Sum
from ..core.errors import InputError
from ..language import syntax as S
from .commands import COMMANDS, Action, StepRecord, complete_command, run_command

HISTORY_ENV = "PENROSE_REWRITE_HISTORY"

KEYWORDS = ("dim", "tensor", "real", "isometry", "unitary", "invertible", "symmetric",
            "diagonal", "let", "rule", "simplify", "show", "expand", "cost", "paths", "prove",
            "check", "draw", "to")


# ------------------------------------------------------------------ the state


class ReplState:
    """Everything the REPL knows; `handle` is the whole command language.

    The `:commands` themselves are in `app.commands` (one registry gives
    their dispatch, help and completion); this class keeps the session, the
    current diagram and the undo/redo timeline they act on.
    """

    def __init__(self, session: Any = None) -> None:
        from .session import Session

        self.session = session if session is not None else Session()
        self.declarations: list[str] = []  # source text of each declaration, in order
        self.done: list[Action] = []
        self.undone: list[Action] = []
        self.finished = False
        self.draws = 0  # pictures drawn without a file name (repl-1.svg, ...)
        self.strip = None  # successive :draw pictures keep surviving nodes in place

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

    def need_current(self) -> Sum:
        cur = self.current
        if cur is None:
            raise InputError("no current diagram: enter an expression or use :set EXPR")
        return cur

    def push(self, action: Action) -> None:
        """Record a change of the current diagram (it clears what :redo could redo)."""
        self.done.append(action)
        self.undone.clear()

    def proof_steps(self) -> list[StepRecord]:
        """The steps since the most recent `set`, in order."""
        out: list[StepRecord] = []
        for a in reversed(self.done):
            if a.kind == "set":
                break
            out[:0] = list(a.steps)
        return out

    # -- entry point -----------------------------------------------------------

    def handle(self, line: str) -> str:
        """Run one input and return what to print (errors included, never raised)."""
        if not line.strip():
            return ""
        try:
            text = line.strip()
            if text.startswith(":"):
                return run_command(self, text)
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

    def run_text(self, text: str, filename: str) -> str:
        """Statements of the language: declarations stay, commands print, a bare
        expression becomes current."""
        from ..language.expressions import build_expr
        from ..language.parse import parse, parse_each
        from ..views.printer import format_sum
        from ..views.render import answer

        typed = filename == "<input>"
        if typed:
            stmts, syntax = parse(text, filename), []
        else:  # a file goes on after its errors, as `run` does (LANGUAGE.md §10)
            stmts, syntax = parse_each(text, filename)
        events: list[Any] = sorted([(st.line, k, st) for k, st in enumerate(stmts)]
                                   + [(first, -1, e) for e, first, _ in syntax],
                                   key=lambda ev: ev[:2])
        out: list[str] = []
        for _, _, st in events:
            if isinstance(st, InputError):
                out.append(st.located(text, filename).format())
                continue
            try:
                if isinstance(st, S.Command) and st.bare:
                    value = build_expr(st.expr, self.session.env)
                    self.push(Action("set", _source_of(st, text), value))
                    out.append(format_sum(value))
                elif isinstance(st, S.Command):
                    out.append(answer(self.session.command(st, text)))
                else:
                    self.session.declare(st, text, filename)
                    self.declarations.append(_source_of(st, text))
            except InputError as e:
                # Earlier statements have taken effect; report where this one failed.
                if typed:
                    raise e.located(text, filename) from None
                out.append(e.located(text, filename).format())
        return "\n".join(out)

    # -- completion --------------------------------------------------------------

    def names(self) -> list[str]:
        env = self.session.env
        return sorted(set(env.decls) | set(env.lets) | set(env.dims))

    def completions(self, before: str) -> list[str]:
        """Candidates for the word ending at the cursor (`before` is the text up to it)."""
        from ..language.expressions import function_names

        line = before.rsplit("\n", 1)[-1]
        got = complete_command(self, line)
        if got is not None:
            return got
        m = re.search(r"([^\W\d]\w*)$", line)
        word = m.group(1) if m else ""
        if not word:
            return []
        pool = set(self.names()) | set(function_names())
        if not line[: len(line) - len(word)].strip():
            pool |= set(KEYWORDS)
        return sorted(c for c in pool if c.startswith(word) and c != word)

    def index_names(self) -> list[str]:
        """The index names `:show` prints (free legs only when the diagram is a sum)."""
        from ..views.printer import index_names

        cur = self.current
        if cur is None or not cur.terms:
            return []
        if len(cur.terms) == 1:
            return sorted(index_names(cur.terms[0]))
        return sorted(n for n, p in index_names(cur.terms[0]).items() if p[0] == BOUNDARY)


def _source_of(st: S.Located, text: str) -> str:
    """The statement's own lines, verbatim (a rule or let may span lines)."""
    lines = text.splitlines()
    last = max(st.end_line or st.line, st.line)
    return "\n".join(lines[st.line - 1:last]).strip()


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

    from ..language.expressions import function_names
    from ..language.parse import parser

    functions = set(function_names())
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
                         # a call of a name the language does not know reads as a name
                         else "class:name" if tok.type == "FUNC" and str(tok) not in functions
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
            m = re.fullmatch(r"\s*:(\w+)\s+(\S*)", line)
            if m and m.group(1) in COMMANDS and COMMANDS[m.group(1)].takes_path:
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
