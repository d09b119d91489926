"""The rewriting engine's public names, in one place.

The engine is four modules: `ruleset` (rules loaded, compiled, classified,
checked), `strategies` (how rules are applied to a term, and the run
context), `simplify` (runs over sums: simplify, apply_at, gauge) and
`transforms.expand`.  This module only re-exports them, so
`from rewrite.rewriting.engine import simplify` keeps working.
"""
from __future__ import annotations

from ..core.canon import collect_terms as collect
from ..core.diagram import as_sum
from ..transforms.expand import expand, expanded_terms
from .ruleset import (LoadedRule, check_rule, checked_rule, classify, compiled, core_rules,
                      gauge_rules, load_rules, loaded, rhs_of, shipped_rules)
from .simplify import X, Applied, apply_at, apply_gauge, gauge_sum, matches_in, rewrite, simplify
from .strategies import (RunContext, RunResult, RewriteStep, Strategy, all_matches, apply,
                         apply_in_place, chain, exhaust, first_of, once)

__all__ = ["Applied", "LoadedRule", "RunContext", "RunResult", "RewriteStep", "Strategy", "X",
           "all_matches", "apply", "apply_at", "apply_gauge", "apply_in_place", "as_sum",
           "chain", "check_rule", "checked_rule", "classify", "collect", "compiled",
           "core_rules", "exhaust", "expand", "expanded_terms", "first_of", "gauge_rules", "gauge_sum",
           "load_rules", "loaded", "matches_in", "once", "rewrite", "rhs_of", "shipped_rules",
           "simplify"]
