"""Limits on the input: each has a default, a command-line option, and a message.

A limit is never silent: hitting one is an input error that names the limit
and the option that raises it (docs/limits.md lists them all).  They live in one
mutable record so the command line can set them once, before anything runs.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Limits:
    # Brackets and parentheses nested deeper than this are refused by the parser
    # (`--max-depth`); the stages after it walk nested expressions recursively.
    max_depth: int = 200
    # Files larger than this are refused before reading (`--max-file-size`, in MB).
    max_file_bytes: int = 256 * 1024 * 1024


LIMITS = Limits()
DEFAULTS = Limits()
