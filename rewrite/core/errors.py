"""Input errors: one exception type, always with a place to point at.

Everything a user can get wrong (syntax, unknown names, sizes, leg counts,
rules whose sides disagree) raises `InputError`.  The command line prints it as

    FILE:LINE:COL: error: message
        the source line
              ^

and exits with code 2; the REPL prints the same and carries on.  Nothing else
may escape to the user as a traceback.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Iterable


class InputError(Exception):
    """A mistake in the user's input, located at (line, column), 1-based."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None,
                 source: str | None = None, filename: str | None = None,
                 width: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.source = source  # the whole text, or None
        self.filename = filename
        self.width = max(1, width)

    @property
    def col(self) -> int | None:
        """The 1-based column (the library's name for `column`)."""
        return self.column

    def located(self, source: str | None = None, filename: str | None = None,
                line_offset: int = 0) -> "InputError":
        """Fill in the text and file name where the raiser did not know them."""
        if self.source is None and source is not None:
            self.source = source
        if self.filename is None and filename is not None:
            self.filename = filename
        if line_offset and self.line is not None:
            self.line += line_offset
        return self

    def format(self) -> str:
        where = self.filename or "<input>"
        if self.line is None:
            return f"{where}: error: {self.message}"
        col = self.column or 1
        head = f"{where}:{self.line}:{col}: error: {self.message}"
        if not self.source:
            return head
        lines = source_lines(self.source)
        if not 1 <= self.line <= len(lines):
            return head
        text = lines[self.line - 1].expandtabs(1)
        caret = " " * (col - 1) + "^" * min(self.width, max(1, len(text) - col + 1))
        return f"{head}\n    {text}\n    {caret}"

    def __str__(self) -> str:
        return self.format()


@lru_cache(maxsize=4)
def source_lines(text: str) -> tuple[str, ...]:
    """The lines of a program's text, split once per text.

    Every statement's source line (for results) and every error's caret line
    is looked up in the same text; splitting it anew each time made a file
    of N statements cost N times its length (a 20 MB file: minutes).  A
    string keeps its hash, so a hit costs nothing.

    Lines end at "\n" only, as the parser counts them (a form feed or a
    U+2028 inside a comment is not a line break); a CRLF's "\r" is dropped.
    """
    return tuple(line[:-1] if line.endswith("\r") else line for line in text.split("\n"))


def near(name: str, known: Iterable[str]) -> str:
    """` (did you mean 'X'?)` for the known name closest to a mistyped one, or ''.

    difflib's ratio, so a slip of a letter or two (`tenosr`, `relu2`) finds
    its name, and a name like nothing known gets no guess rather than a wrong one.
    """
    import difflib
    import unicodedata

    known = [k for k in known if k != name]
    plain = unicodedata.normalize("NFKC", name)  # a look-alike: fullwidth Ａ, the ligature ﬁ
    if plain != name and plain in known:
        return f" (did you mean '{plain}'? '{name}' is a look-alike character)"
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if not close:  # a case slip (`a` for `A`) is near whatever its length
        close = [k for k in known if k.lower() == name.lower()][:1]
    return f" (did you mean '{close[0]}'?)" if close else ""


def error_at(message: str, node: object) -> InputError:
    """An InputError pointing at a syntax node (anything with `line`/`column`,
    and `end_line`/`end_column` when it knows its width)."""
    line = getattr(node, "line", None) or None
    col = getattr(node, "column", None) or None
    width = 1
    if line and getattr(node, "end_line", line) == line and getattr(node, "end_column", 0):
        width = max(1, node.end_column - node.column)  # type: ignore[attr-defined]
    return InputError(message, line, col, width=width)


class UsageError(Exception):
    """A command-line mistake (missing file, bad option): exit code 2."""


class OverBudget(InputError):
    """A numeric check that would not fit its memory budget.

    Raised by the numeric layer before anything is allocated; callers that can
    do without numbers (`prove`, `check`) turn it into an `unknown` verdict
    that carries this message.
    """
