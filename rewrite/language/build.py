"""The language front end's public names, in one place.

Syntax trees become diagrams and rules in four modules, lowest first:
`product` (occurrences -> one port graph), `sugar` (matrix and einsum
notation), `expressions` (sums, products, the registry of built-in
functions), `rules` (rule statements), and `env` on top (declarations).
This module only re-exports their public names, so `from
rewrite.language.build import build_expr` keeps working.
"""
from __future__ import annotations

from .env import Env, build_program, reorder
from .expressions import DELTA_NAMES, FUNCTIONS, Function, build_equation, build_expr
from .rules import build_rule

__all__ = ["DELTA_NAMES", "Env", "FUNCTIONS", "Function", "build_equation", "build_expr",
           "build_program", "build_rule", "reorder"]
