"""Text to syntax tree, with syntax errors a person can act on.

The grammar (`grammar/tn.lark`, shipped as `rewrite.grammar`) is LALR(1) with
lark's contextual lexer; it is built once per process and kept in a module
global, and the analysed grammar is cached on disk (lark's `cache=`, in the
user's cache directory, keyed by a hash of the grammar and lark's version, so
an edited grammar is never served stale; an unwritable directory just means no
cache).  A tiny post-lexer drops line breaks while a bracket is open, which is
what lets a statement continue onto the next line, and refuses nesting deeper
than `MAX_DEPTH` with a located error (every later stage walks nested bubbles
recursively).

Long generated programs are mostly plain lines (declarations, products of
indexed tensors); `fastpath` reads those directly and hands every other line
to lark, so parsing stays linear and about ten times faster on such files
while the grammar remains the one definition of the language.

Lark's exceptions never escape: they are translated into `InputError` with a
message keyed on what the parser expected ("missing ']'", "expected an index
name", "unexpected ')'", "unterminated string").
"""
from __future__ import annotations

import gc
import hashlib
import os
import re
from dataclasses import replace
from importlib import resources
from typing import Any, Iterator

from lark import Lark, Token, Transformer
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError
from lark.lexer import LexerState, LexerThread, LineCounter
from lark.utils import TextSlice

from . import fastpath
from . import syntax as S
from ..core import heap
from ..core.errors import InputError
from ..core.files import cache_dir
from ..core.limits import LIMITS, check_number

_OPEN = {"LPAR": "RPAR", "LSQB": "RSQB"}
_CLOSE = {"RPAR", "RSQB"}
_CHAR = {"LPAR": "(", "RPAR": ")", "LSQB": "[", "RSQB": "]"}
_PARSER: Lark | None = None


class _Continuation:
    """Post-lexer: a line break inside brackets is whitespace, not a statement end.

    It also counts how deep brackets nest and stops at `LIMITS.max_depth`:
    building, simplifying, printing and drawing walk nested expressions
    recursively, so beyond that depth the answer is a located input error
    rather than a crash.
    """

    always_accept = ("_NL",)

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        depth = 0
        limit = LIMITS.max_depth
        for tok in stream:
            t = tok.type
            if t in _OPEN:
                depth += 1
                if depth > limit:
                    raise InputError(
                        f"brackets nest more than {limit} deep (the nesting limit; "
                        f"raise it with --max-depth)", tok.line, tok.column)
            elif t in _CLOSE:
                depth = max(0, depth - 1)
            elif t == "_NL" and depth:
                continue
            yield tok


def grammar_text() -> str:
    return (resources.files("rewrite.grammar") / "tn.lark").read_text(encoding="utf-8")


def _cache_file(grammar: str) -> str | bool:
    """Where the analysed grammar is cached (`files.cache_dir`), or False when no
    directory is writable.  The name carries a hash of the grammar and of lark's
    version; lark also checks its own hash inside the file.
    """
    import lark

    base = cache_dir()
    if base is None:
        return False
    key = hashlib.sha256(f"{lark.__version__}\n{grammar}".encode()).hexdigest()[:16]
    return os.path.join(base, f"tn-parser-{key}.lark")


def parser() -> Lark:
    global _PARSER
    if _PARSER is None:
        text = grammar_text()
        _PARSER = Lark(text, parser="lalr", lexer="contextual",
                       propagate_positions=False, maybe_placeholders=False,
                       postlex=_Continuation(), transformer=_TRANSFORMER,
                       cache=_cache_file(text))
    return _PARSER


# ------------------------------------------------------------------ tree -> syntax


def _first(x: Any) -> Any:
    if isinstance(x, (Token, S.Located)):
        return x
    if x is None:
        return None
    if isinstance(x, (tuple, list)):
        for y in x:
            f = _first(y)
            if f is not None:
                return f
    return None


def _last(x: Any) -> Any:
    if isinstance(x, (Token, S.Located)):
        return x
    if x is None:
        return None
    if isinstance(x, (tuple, list)):
        for y in reversed(x):
            f = _last(y)
            if f is not None:
                return f
    return None


def _span(items: Any) -> dict[str, int]:
    """Position of a node from its first and last located child.

    Positions are computed here rather than by lark's `propagate_positions`,
    which costs more than the whole parse on long expressions (an MPS of
    10,000 tensors) and is useless to an inline transformer anyway.
    """
    if not items:
        return {}
    a, b = items[0], items[-1]
    if not isinstance(a, (Token, S.Located)):
        a = _first(items)
    if not isinstance(b, (Token, S.Located)):
        b = _last(items)
    if a is None:
        return {}
    return {"line": a.line, "column": a.column,
            "end_line": b.end_line, "end_column": b.end_column}


class _ToSyntax(Transformer):
    """Lark rules -> `syntax` dataclasses, applied inline while parsing (LALR).

    Keeps positions, resolves nothing, and holds no state: the one instance
    lark calls back serves every parse, so parsing is reentrant (a rule's
    source text is filled in by `parse` afterwards, from the rule's lines).
    """

    # statements
    def start(self, items):
        return list(items)

    def dim_item(self, items):
        return S.DimItem(str(items[0]), items[1] if len(items) > 1 else None, **_span(items))

    def dim_stmt(self, items):
        return S.DimStmt(tuple(items), **_span(items))

    def real(self, items):
        return items[0]

    def kind(self, items):
        return items[0]

    verb = prove_verb = kind

    def decl_leg(self, items):
        return S.LegDecl(str(items[0]), items[1], **_span(items))

    def decl_legs(self, items):
        legs, split = [], None
        for it in items:
            if isinstance(it, Token):
                split = len(legs)
            else:
                legs.append(it)
        return (tuple(legs), split)

    def decl_stmt(self, items):
        loc = _span(items)
        real = isinstance(items[0], Token) and items[0].type == "REAL"
        rest = items[1:] if real else items
        k = next(i for i, t in enumerate(rest) if isinstance(t, Token) and t.type == "NAME")
        kind, name = " ".join(str(w) for w in rest[:k]), rest[k]
        legs, split = rest[k + 1] if len(rest) > k + 1 else ((), None)
        return S.DeclStmt(kind, real, str(name), legs, split, (name.line, name.column),
                          **loc)

    def func_stmt(self, items):
        name = items[0]
        if len(items) > 1:
            check_number(str(items[1]), items[1].line, items[1].column)
        arity = int(items[1]) if len(items) > 1 else 1
        return S.FunctionStmt(str(name), arity, (name.line, name.column), **_span(items))

    def let_stmt(self, items):
        name = str(items[0])
        if len(items) == 3:
            return S.LetStmt(name, items[1], items[2], **_span(items))
        return S.LetStmt(name, None, items[1], **_span(items))

    def param(self, items):
        return S.Param(str(items[0]), tuple(str(t) for t in items[1:]), **_span(items))

    def rule_stmt(self, items):
        loc = _span(items)
        name = str(items[0])
        params = tuple(it for it in items[1:] if isinstance(it, S.Param))
        arrow = next(it for it in items if isinstance(it, Token) and it.type == "RULE_ARROW")
        lhs, rhs = [it for it in items if isinstance(it, S.SumExpr)]
        return S.RuleStmt(name, params, lhs, rhs, (arrow.line, arrow.column), "", **loc)

    def cmd_stmt(self, items):
        return S.Command(str(items[0]), items[1], **_span(items))

    def prove_stmt(self, items):
        return S.Command(str(items[0]), items[1], items[3], **_span(items))

    def draw_stmt(self, items):
        boxed = any(isinstance(t, Token) and t.type == "BOXED" for t in items[1:])
        strings = [t for t in items[1:] if isinstance(t, Token) and t.type == "STRING"]
        target = strings[0][1:-1] if strings else None
        if target is not None and not target.strip():
            tok = strings[0]
            raise InputError("draw ... to needs a file name, not an empty string",
                             tok.line, tok.column, width=len(tok))
        return S.Command("draw", items[0], target=target, boxed=boxed, **_span(items))

    def expr_stmt(self, items):
        return S.Command("show", items[0], bare=True, **_span(items))

    # expressions
    def expr(self, items):
        s = items[0]
        if len(items) > 1:
            return S.SumExpr(s.terms, items[2], **_span(items))
        return s

    def out_list(self, items):
        return tuple(items)

    def sum(self, items):
        terms, sign = [], 1
        for it in items:
            if isinstance(it, Token):
                sign = -1 if it == "-" else 1
            else:
                terms.append(S.Term(sign, it, **_span([it])))
                sign = 1
        return S.SumExpr(tuple(terms), None, **_span(items))

    def product(self, items):
        return S.Product(tuple(items), **_span(items))

    def matmul(self, items):
        return S.MatMul(tuple(items), **_span(items))

    def attr(self, items):
        return S.Attr(items[0], str(items[1]), **_span(items))

    def number(self, items):
        return S.Num(str(items[0]), **_span(items))

    def times(self, items):
        return S.Scale(items[0], "*", items[1], **_span(items))

    def divide(self, items):
        return S.Scale(items[0], "/", items[1], **_span(items))

    def ref(self, items):
        return S.Ref(str(items[0]), items[1] if len(items) > 1 else None, **_span(items))

    def call(self, items):
        rest = items[1:]
        indices = rest[-1] if rest and isinstance(rest[-1], S.IndexList) else None
        if indices is not None:
            rest = rest[:-1]
        return S.Call(str(items[0]), tuple(rest), indices, **_span(items))

    def softmax(self, items):
        return S.Softmax(items[0], items[1], items[2] if len(items) > 2 else None, **_span(items))

    def paren(self, items):
        return S.Paren(items[0], items[1] if len(items) > 1 else None, **_span(items))

    def string(self, items):
        return S.Str(items[0][1:-1], **_span(items))

    # indices
    def index_list(self, items):
        slots, split = [], None
        for it in items:
            if isinstance(it, Token):
                if it.type == "ARROW":
                    split = len(slots)
                else:
                    slots.append(S.Index(str(it), None, line=it.line, column=it.column,
                                         end_line=it.end_line, end_column=it.end_column))
            else:
                slots.append(it)
        return S.IndexList(tuple(slots), split, **_span(items))


    def index(self, items):  # also `sized_index`
        return S.Index(str(items[0]), items[1] if len(items) > 1 else None, **_span(items))

    sized_index = index

    def group(self, items):
        return S.Group(tuple(items), **_span(items))

    def stars(self, items):
        return S.Stars(tuple(str(t) for t in items), **_span(items))

    def size(self, items):
        factors: list = []
        for it in items:
            if isinstance(it, S.Size):
                factors.extend(it.factors)
            elif it.type == "INT":
                check_number(str(it), it.line, it.column)
                factors.append(int(it))
            else:
                factors.append(str(it))
        return S.Size(tuple(factors), **_span(items))

_TRANSFORMER = _ToSyntax()


# ------------------------------------------------------------------------ errors


def _open_brackets(text: str, upto: int) -> list[tuple[str, int]]:
    """The brackets still open at offset `upto` (char, offset), outside strings/comments."""
    stack: list[tuple[str, int]] = []
    i, n = 0, min(upto, len(text))
    while i < n:
        c = text[i]
        if c == "#":
            j = text.find("\n", i)
            i = len(text) if j < 0 else j
            continue
        if c in "'\"":
            j = text.find(c, i + 1)
            i = n if j < 0 else j + 1
            continue
        if c in "([":
            stack.append((c, i))
        elif c in ")]":
            if stack:
                stack.pop()
        elif c == "\n" and not stack:
            stack = []
        i += 1
    return stack


def needs_more(text: str) -> bool:
    """Whether `text` is an unfinished statement that continues on the next line.

    A bracket or parenthesis left open, or a trailing backslash, means the
    statement goes on (docs/language.md: a statement continues while a bracket is
    open); the REPL asks this before sending a line to the parser.
    """
    if text.rstrip(" \t").endswith("\\"):
        return True
    return bool(_open_brackets(text, len(text)))


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    start = text.rfind("\n", 0, offset) + 1
    return line, offset - start + 1


def _describe(tok: Token) -> str:
    if tok.type == "$END":
        return "end of input"
    if tok.type == "_NL":
        return "end of line"
    if tok.type in ("NAME", "FUNC"):
        return f"name '{tok}'"
    if str(tok)[:1] in "'\"":
        return f"string {tok}"
    return f"'{tok}'"


def _char(ch: str) -> str:
    """A character as a message can show it: invisible and look-alike ones by
    code point and name (a zero-width space, a no-break space, a fullwidth
    letter), so the user can find what to delete."""
    import unicodedata

    if ch.isprintable() and not ch.isspace() and ch.isascii():
        return f"'{ch}'"
    if "\udc80" <= ch <= "\udcff":
        # a byte that was not UTF-8, kept by the surrogateescape error handler
        # (a REPL fed from a pipe): name the byte, not the stand-in character
        return f"byte 0x{ord(ch) - 0xDC00:02X} (the input is not UTF-8 text)"
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f" ({name.lower()})" if name else "") + \
        (f" '{ch}'" if ch.isprintable() and not ch.isspace() else "")


# What a message calls the terminals that are not a fixed string.
_TERMINAL_WORDS = {
    "NAME": "a name", "FUNC": "a function call", "NUMBER": "a number",
    "INT": "a size", "STRING": "a string", "SIGN": "'+' or '-'",
    "_NL": "the end of the line", "$END": "the end of the input",
}
# Tokens that can start a term: when all of the first three may come next,
# the message says "an expression" rather than listing them.
_TERM_START = ("NAME", "NUMBER", "LPAR", "FUNC", "SOFTMAX", "SIGN")


def _expected(e: UnexpectedToken) -> str:
    """What the parser would have accepted at the error, in words (empty when
    that is a long list, which would not help): ": expected a name or '='".

    The parser's own state is asked (`accepts`), so a line break that the
    continuation post-lexer always lets through is listed only where it is
    truly allowed.
    """
    try:
        accepted = set(e.interactive_parser.accepts())
    except Exception:  # pragma: no cover - an older lark without the state
        accepted = set(e.expected)
    words: list[str] = []
    if {"NAME", "NUMBER", "LPAR"} <= accepted:
        accepted -= set(_TERM_START)
        words.append("an expression (a name, a number, a call or '(')")
    patterns = {t.name: t.pattern for t in parser().terminals}
    for name in sorted(accepted, key=lambda n: (n in ("_NL", "$END"), n)):
        if name in _TERMINAL_WORDS:
            words.append(_TERMINAL_WORDS[name])
        elif name in patterns and patterns[name].type == "str":
            words.append(f"'{patterns[name].value}'")
    if not words or len(words) > 5:
        return ""
    listed = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]
    return f": expected {listed}"


def _syntax_error(e: UnexpectedInput, text: str, filename: str | None,
                  end: int | None = None) -> InputError:
    def err(msg: str, line: int, col: int, width: int = 1) -> InputError:
        return InputError(msg, line, col, text, filename, width)

    if isinstance(e, UnexpectedCharacters):
        ch = text[e.pos_in_stream] if e.pos_in_stream < len(text) else ""
        if ch in "'\"":
            return err("unterminated string", e.line, e.column)
        return err(f"unexpected character {_char(ch)}", e.line, e.column)
    if not isinstance(e, UnexpectedToken):
        return err(str(e).splitlines()[0], getattr(e, "line", None), getattr(e, "column", None))
    tok = e.token
    expected = set(e.expected)
    if tok.type == "$END" or getattr(tok, "start_pos", None) is None:
        offset = len(text[:end].rstrip())
    else:
        offset = tok.start_pos
    stack = _open_brackets(text, offset)
    line, col = _line_col(text, offset)
    width = max(1, len(str(tok))) if tok.type not in ("$END", "_NL") else 1
    matching = bool(stack) and _CHAR.get(tok.type) == (")" if stack[-1][0] == "(" else "]")
    if tok.type in _CLOSE and not matching:
        return err(f"unexpected '{tok}'", line, col)
    if tok.type == "LSQB":
        # `tensor tensor[i: n]`: the name is a kind word, read as one more kind
        word = re.search(r"(\w+)\s*$", text[:offset])
        if word and word.group(1) in fastpath.KIND_WORDS:
            start = word.start(1)
            wl, wc = _line_col(text, start)
            return err(f"'{word.group(1)}' is a kind word of the language: it cannot name "
                       "a tensor; choose another name", wl, wc, len(word.group(1)))
    if stack:
        ch, at = stack[-1]
        closer = ")" if ch == "(" else "]"
        closer_t = "RPAR" if ch == "(" else "RSQB"
        bl, bc = _line_col(text, at)
        if tok.type in ("$END", "_NL") or (closer_t in expected and line > bl):
            return err(f"missing '{closer}'", bl, bc)
        if "INT" in expected and "NUMBER" not in expected and "NAME" in expected:
            return err("expected a size", line, col, width)
        if ch == "[" and "NAME" in expected and tok.type != "NAME":
            return err("expected an index name", line, col, width)
        if ch == "[" and tok.type == "NAME" and "COMMA" in expected:
            return err(f"expected ',' or ']' before '{tok}' (indices are separated by "
                       "commas; a group of legs is written in parentheses, (i j))", line, col,
                       width)
    wanted = _expected(e)
    if tok.type == "$END":
        return err("unexpected end of input" + wanted, line, col)
    if tok.type == "_NL":
        return err("unexpected end of line" + wanted, line, col)
    return err(f"unexpected {_describe(tok)}" + wanted, line, col, width)


# ---------------------------------------------------------------------------- API


_BRACKET = re.compile(r"[()\[\]'\"#]")


def _line_state(text: str, pos: int, end: int, depth: int) -> int:
    """Bracket depth after the line `text[pos:end]`, starting from `depth`.

    Used only on lines the fast path left to lark, to find where their
    statement ends (strings and comments do not count; a string cannot span
    lines).
    """
    find = _BRACKET.search
    while True:
        m = find(text, pos, end)
        if m is None:
            return depth
        c = m.group()
        if c == "#":
            return depth
        if c in "'\"":
            close = text.find(c, m.end(), end)
            if close < 0:
                return depth
            pos = close + 1
            continue
        depth = depth + 1 if c in "([" else max(0, depth - 1)
        pos = m.end()


def _continues(text: str, pos: int, end: int) -> bool:
    """Whether the line ends in a line continuation `\\` (outside a comment)."""
    j = text.find("#", pos, end)
    stop = end if j < 0 else j
    k = stop
    while k > pos and text[k - 1] in " \t\r":
        k -= 1
    return k > pos and text[k - 1] == "\\"


def _lark_chunk(text: str, start: int, end: int, line: int, filename: str | None) -> list[S.Stmt]:
    """Parse `text[start:end]` (whole lines, from line `line`) with lark, positions absolute."""
    p = parser()
    frontend = p.parser
    counter = LineCounter("\n")
    counter.char_pos = counter.line_start_pos = start
    counter.line = line
    stream = LexerThread(frontend.lexer, LexerState(TextSlice(text, start, end), counter))
    try:
        return frontend.parser.parse(stream, "start")
    except UnexpectedInput as e:
        raise _syntax_error(e, text, filename, end) from None


def parse(text: str, filename: str | None = None) -> list[S.Stmt]:
    """Parse a whole program (or one REPL line) into statements.

    Line by line: `fastpath` takes the plain lines; every other statement (its
    lines up to where its brackets close) goes to lark, with positions in the
    whole text.  The work is linear in the length of the text.
    """
    return _parse(text, filename, fastpath.statement)


def parse_lark(text: str, filename: str | None = None) -> list[S.Stmt]:
    """The same as `parse`, with lark reading every line (the reference for tests and benchmarks)."""
    return _parse(text, filename, lambda text, pos, end, line: None)


def _parse(text: str, filename: str | None, fast) -> list[S.Stmt]:
    if not text.endswith("\n"):
        text = text + "\n"
    out: list[S.Stmt] = []
    # Parsing makes many small acyclic objects and no garbage cycles; the cyclic
    # collector would traverse the growing tree again and again (half the time
    # on a 10^4-site program), so it pauses while the tree is built.
    collecting = gc.isenabled()
    gc.disable()
    try:
        pos, line, n = 0, 1, len(text)
        chunk: tuple[int, int] | None = None  # (offset, line) of a statement left to lark
        depth = 0
        while pos < n:
            end = text.index("\n", pos)
            if chunk is None:
                stmt = fast(text, pos, end, line)
                if stmt is not None:
                    if stmt is not fastpath.BLANK:
                        out.append(stmt)
                    pos, line = end + 1, line + 1
                    continue
                chunk, depth = (pos, line), 0
            depth = _line_state(text, pos, end, depth)
            more = depth > 0 or _continues(text, pos, end)
            pos, line = end + 1, line + 1
            if not more:
                out.extend(_lark_chunk(text, chunk[0], pos, chunk[1], filename))
                chunk = None
        if chunk is not None:
            out.extend(_lark_chunk(text, chunk[0], n, chunk[1], filename))
        return _with_rule_sources(out, text)
    except InputError as e:
        raise e.located(text, filename) from None
    except VisitError as e:
        orig = e.orig_exc
        if isinstance(orig, InputError):
            raise orig.located(text, filename) from None
        raise InputError(f"cannot read this statement: {orig}", None, None, text, filename) from None
    except LarkError as e:
        raise InputError(str(e).splitlines()[0], None, None, text, filename) from None
    finally:
        # What was parsed lives as long as the run: inside a run, keep the
        # collector from walking it all when it starts again (core.heap).
        heap.settle()
        if collecting:
            gc.enable()


def _with_rule_sources(stmts: list[S.Stmt], text: str) -> list[S.Stmt]:
    """Each rule statement with its own lines of `text` as its source (the
    transformer keeps no text, so that parsing stays reentrant)."""
    if not any(isinstance(st, S.RuleStmt) for st in stmts):
        return stmts
    lines = text.splitlines()
    return [replace(st, source=" ".join(x.strip() for x in lines[st.line - 1:st.end_line]))
            if isinstance(st, S.RuleStmt) else st for st in stmts]


def parse_expr(text: str, filename: str | None = None) -> S.Expr:
    """Parse a single expression (helper for tests and the REPL)."""
    stmts = parse(text, filename)
    if len(stmts) != 1 or not isinstance(stmts[0], S.Command) or not stmts[0].bare:
        raise InputError("expected one expression", 1, 1, text, filename)
    return stmts[0].expr


#: `parse_each` gives up after this many syntax errors in one file.
MAX_SYNTAX_ERRORS = 100


def parse_each(text: str, filename: str | None = None
               ) -> tuple[list[S.Stmt], list[tuple[InputError, int, int]]]:
    """Parse a program, reporting each syntax error instead of stopping at the first.

    Returns the statements that parse and, for every statement that does not,
    (its error, first line, last line).  The grammar parses a whole file at
    once, so a statement with a syntax error is blanked (its lines kept empty,
    so every later position stays true) and the file parsed again, up to
    MAX_SYNTAX_ERRORS times.
    """
    if not text.endswith("\n"):
        text = text + "\n"
    lines = text.split("\n")
    errors: list[tuple[InputError, int, int]] = []
    while True:
        try:
            return parse("\n".join(lines), filename), errors
        except InputError as e:
            if e.line is None or not 1 <= e.line <= len(lines):
                raise
            e.source = text
            # The error's traceback and context hold the frames of the failed
            # parse, each with its own copy of the text: kept for 100 errors
            # in a 20 MB file, that is 2 GB.
            e.__traceback__ = e.__context__ = e.__cause__ = None
            first, last = _statement_lines(lines, e.line)
            if len(errors) >= MAX_SYNTAX_ERRORS:
                # The errors so far stay reported and the statements before
                # this one still run; the rest of the file is not read.
                stop = InputError(f"too many syntax errors: {MAX_SYNTAX_ERRORS} reported, so "
                                  f"lines {first}-{len(lines) - 1} were not read (fix those "
                                  "first)", first, 1, text, filename)
                errors.append((stop, first, first))
                lines[first - 1:] = [""] * (len(lines) - first + 1)
                continue
            errors.append((e, first, last))
            for k in range(first, last + 1):
                lines[k - 1] = ""


def _statement_lines(lines: list[str], line: int) -> tuple[int, int]:
    """The first and last line (1-based) of the statement that holds `line`."""
    def open_at(k: int) -> bool:  # brackets still open at the start of line k
        return bool(_open_brackets("\n".join(lines[: k - 1]) + "\n", 10 ** 9))

    def starts(k: int) -> bool:  # line k begins a statement by its keyword, unindented
        return bool(_STATEMENT_START.match(lines[k - 1]))

    first = line
    while first > 1 and not starts(first) and (
            open_at(first) or lines[first - 2].rstrip().endswith("\\")):
        first -= 1
    last = line
    while last < len(lines) and not starts(last + 1) and (
            open_at(last + 1) or lines[last - 1].rstrip().endswith("\\")):
        last += 1
    return first, last


# An unclosed bracket would run a broken statement on to the end of the file;
# an unindented line starting with a statement keyword ends it instead.
_STATEMENT_START = re.compile(
    r"(dim|let|rule|function|prove|check|show|simplify|expand|cost|paths|draw|real|tensor|"
    r"isometry|unitary|invertible|symmetric|diagonal|hermitian|psd|projector|antisymmetric|"
    r"orthogonal)\b")
