"""Limits on the input that are not about files: each has a default, an option, a message.

A limit is never silent: hitting one is an input error that names the limit
and the option that raises it (docs/limits.md lists them all; the file-size
cap lives with the file helpers in `core.files`).  They live in one mutable
record so the command line can set them once, before anything runs.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Limits:
    # Brackets, parentheses and bubbles nested deeper than this are refused
    # (`--max-depth`): the stages after the parser walk nested expressions
    # recursively, and this default fits Python's default recursion limit.
    max_depth: int = 100


LIMITS = Limits()
DEFAULTS = Limits()
