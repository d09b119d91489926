"""Every file the tool reads or writes goes through here.

Programs (`FILE`, `--decl`, `:load`, rule files) are read, and pictures,
pages and exported code (`draw ... to`, `:draw`, `:save`, `--html`,
`export -o`) are written, by the few functions below, so that every way a
path can be wrong - missing, a directory, a device, not UTF-8, too large, a
folder that does not exist, a full disk, no permission - becomes the same
`FileError`: an input error naming the path (exit code 2), never an
`OSError` escaping as an internal error.

Reading accepts a UTF-8 byte-order mark at the start, as editors on some
systems write one, and refuses anything but a regular file: `/dev/zero` or a
pipe has no end to wait for.  The size cap (`MAX_FILE_BYTES`, raised with the
command line's `--max-file-size`) keeps a mistaken argument from being read
whole before anything is said.
"""
from __future__ import annotations

import os
import stat

from .errors import InputError

MAX_FILE_BYTES = 64 * 2**20  # 64 MiB: far above any program a person writes
BOM = "\ufeff"


class FileError(InputError):
    """A path that cannot be read or written; the message names the path.

    Without a line it prints as `error: MESSAGE`; a decoding error carries the
    line and column of the first bad byte and prints with a caret like any
    other input error.
    """

    def __init__(self, message: str, path: str, line: int | None = None,
                 column: int | None = None, source: str | None = None) -> None:
        super().__init__(message, line, column, source=source,
                         filename=path if line is not None else None)
        self.path = path

    def format(self) -> str:
        if self.line is None and self.filename is None:
            return f"error: {self.message}"
        return super().format()


def _reason(e: OSError) -> str:
    return (e.strerror or str(e)).lower() if isinstance(e, OSError) else str(e)


def read_text(path: str, limit: int | None = None) -> str:
    """The text of the regular file at `path`, decoded as UTF-8 (BOM dropped).

    Raises `FileError` naming the path when it is missing, a directory, not
    a regular file, over `limit` bytes (default `MAX_FILE_BYTES`), unreadable
    or not UTF-8 (then located at the first bad byte).
    """
    limit = MAX_FILE_BYTES if limit is None else limit
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise FileError(f"no such file: {path}", path) from None
    except (OSError, ValueError) as e:
        raise FileError(f"cannot read {path}: {_reason(e)}", path) from None
    if stat.S_ISDIR(st.st_mode):
        raise FileError(f"{path} is a directory, not a file", path)
    if not stat.S_ISREG(st.st_mode):
        raise FileError(f"{path} is not a regular file (a device or a pipe cannot be read "
                        "as a program)", path)
    if st.st_size > limit:
        raise FileError(f"{path} is {_mb(st.st_size)}, over the file size limit of "
                        f"{_mb(limit)} (raise it with --max-file-size)", path)
    try:
        with open(path, "rb") as f:
            # Never ask for more than the file holds (and a little, to see it grow):
            # read(n) may allocate n bytes first, and a huge --max-file-size
            # does not fit in a read size at all.
            data = f.read(min(limit, st.st_size + 2**16) + 1)
    except OSError as e:
        raise FileError(f"cannot read {path}: {_reason(e)}", path) from None
    if len(data) > limit:  # the file grew after stat
        raise FileError(f"{path} is over the file size limit of {_mb(limit)} "
                        "(raise it with --max-file-size)", path)
    return decode(data, path)


def decode(data: bytes, path: str) -> str:
    """UTF-8 text of `data`; a leading BOM is dropped, a bad byte is located."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        before = data[:e.start]
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1:].decode("utf-8", "replace")) + 1
        # Control characters would garble the terminal the caret is shown on.
        shown = "".join(c if c.isprintable() or c in "\n\t" else "\ufffd"
                        for c in data.decode("utf-8", "replace"))
        raise FileError(f"{path} is not UTF-8 text: byte 0x{data[e.start]:02x} cannot be "
                        "decoded (is it a binary file?)", path, line, column, shown) from None
    return text[1:] if text.startswith(BOM) else text


def check_writable(path: str) -> None:
    """Refuse, before any work is done, a target that can never be written:
    an empty name, a directory, or a file in a folder that does not exist.
    (A full disk or a missing permission shows only when writing.)"""
    if not path or not path.strip():
        raise FileError("the output file name is empty", path)
    if "\0" in path:
        raise FileError(f"cannot write {path!r}: a file name cannot contain a NUL character",
                        path)
    if os.path.isdir(path):
        raise FileError(f"cannot write {path}: it is a directory", path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileError(f"cannot write {path}: no such folder {folder}", path)


def write_text(path: str, text: str) -> None:
    """Write `text` as UTF-8 to `path`, or raise `FileError` naming it."""
    write_bytes(path, text.encode("utf-8"))


def write_bytes(path: str, data: bytes) -> None:
    """Write `data` to `path`, or raise `FileError` naming the path and the reason."""
    check_writable(path)
    try:
        with open(path, "wb") as f:
            f.write(data)
    except (OSError, ValueError) as e:
        raise FileError(f"cannot write {path}: {_reason(e)}", path) from None


def _mb(n: int) -> str:
    return f"{n / 2**20:.1f} MB" if n >= 2**20 else f"{n} bytes"


def cache_dir() -> str | None:
    """The folder for the tool's caches (the analysed grammar, the shipped rules),
    created if need be; None when it cannot be written (then nothing is cached).

    `REWRITE_CACHE_DIR`, else `$XDG_CACHE_HOME/penrose-rewrite`, else
    `~/.cache/penrose-rewrite`.  Caches only save time: each entry is named by a
    hash of what it was made from and is rebuilt when missing or unreadable.
    """
    base = os.environ.get("REWRITE_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
        "penrose-rewrite")
    try:
        os.makedirs(base, exist_ok=True)
        if not os.access(base, os.W_OK | os.X_OK):
            return None
    except OSError:
        return None
    return base
