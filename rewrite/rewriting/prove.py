"""Verdicts on `left == right` (docs/language.md §9): proved, refuted or unknown.

`proved` is symbolic and must never be wrong: both sides reach isomorphic
normal forms under sound rules (each rule is checked numerically when loaded),
compared by canonical key, so trace cycling, transposition and renaming are
free.  Failing that, `expand` is tried.  Then numbers speak: a numeric
counterexample refutes.  Only an equation that numbers cannot refute goes on
to the best-first search with expansions (gauge insertion, expansion rules;
`search.py`), whose proof path is reported as steps; numeric agreement
without a proof is `unknown`, saying how far the search went.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from ..core.canon import canonical_sum
from ..core.diagram import Diagram, Sum, TensorNode, as_sum
from ..core.errors import InputError, OverBudget
from ..core.kinds import Decl, Kind
from ..core.limits import LimitError
from ..core.pattern import Rule
from ..transforms.elementwise import elementwise_laws, mentions
from ..transforms.expand import expand
from ..transforms.parity import signs_fixed
from ..transforms.unfold import unfold_derivatives
from .ruleset import core_rules, loaded, shipped_expansions
from .search import SearchResult, search as best_first
from .simplify import X, simplify
from .strategies import RewriteStep


@dataclass(frozen=True)
class Verdict:
    """`kind` is "proved", "refuted", "unknown" (prove) or "holds" / "refuted" (check).

    `how` says which stage found the proof ("normal forms", "after expand",
    "search: ..."); `note` names a limit that stopped the symbolic side early
    (then the verdict is numeric).
    """

    kind: str
    left_steps: tuple[RewriteStep, ...] = ()
    right_steps: tuple[RewriteStep, ...] = ()
    counterexample: Any = None
    left_normal: Sum | None = None
    right_normal: Sum | None = None
    how: str = ""
    note: str = ""  # a limit that cut the symbolic search short, for the reader
    search: SearchResult | None = None  # what the search did, when it ran
    # Random instances the numeric check compared (numerics.evaluate.trial_count);
    # 0 when no numeric check decided the verdict.
    trials: int = 0


def align(left: Sum, right: Sum) -> Sum:
    """`right` with its free legs named and ordered as `left`'s.

    By name when both sides have the same set of free-leg names, else by
    position (docs/language.md §8).
    """
    if len(left.free) != len(right.free):
        raise InputError(f"the two sides have different numbers of free legs: "
                         f"[{', '.join(left.free)}] and [{', '.join(right.free)}]")
    if tuple(left.free) == tuple(right.free):
        return right
    if set(left.free) == set(right.free) and len(set(left.free)) == len(left.free):
        order = list(left.free)
        pos = {n: k for k, n in enumerate(right.free)}
        sizes = tuple(right.sizes[pos[n]] for n in order) if right.sizes else left.sizes
        return Sum(tuple(t.with_free(order) for t in right.terms), tuple(order), sizes)
    names = list(left.free)
    return Sum(tuple(t.renamed(names) for t in right.terms), tuple(names), right.sizes)


def same(left: Sum, right: Sum) -> bool:
    return canonical_sum(left) == canonical_sum(align(left, right))


def prove(left: X, right: X, rules: Sequence[Rule] | None = None,
          decls: Mapping[str, Decl] | None = None, constraints: Iterable = (),
          search: bool = True, expansions: Sequence[Rule] | None = None,
          search_budget: int | None = None, trials: int | None = None, trace: bool = False,
          recheck: Iterable[str] = ()) -> Verdict:
    """Decide `left == right`: proved symbolically, refuted numerically, or unknown.

    Every step is reported; the diagram after each step only with `trace`
    (keeping them costs a copy per step, quadratic on long chains).

    `recheck` names rules whose soundness rests only on random checks at load
    time (a user's rules): a proof that used one is confirmed numerically once
    more before it is reported, so that a rule which happened to pass its
    checks cannot make a false `proved`.
    """
    recheck = set(recheck)
    verdict = _prove(left, right, rules, decls, constraints, search, expansions,
                     search_budget, trials, trace, recheck)
    used = {s.rule.lstrip("-") for s in verdict.left_steps + verdict.right_steps}
    if verdict.kind == "proved" and (used & recheck or verdict.how.startswith("search")
                                     and recheck):
        try:
            cex = _numeric(as_sum(left), as_sum(right), decls, constraints, 1)
        except OverBudget as over:
            # The proof leans on a rule only random checks vouch for, and this
            # one cannot be checked again: no verdict either way.
            return Verdict("unknown", verdict.left_steps, verdict.right_steps, None,
                           verdict.left_normal, verdict.right_normal,
                           how="the proof uses " + ", ".join(sorted(used & recheck))
                               + f", which could not be confirmed numerically: {over.message}")
        if cex is not None:
            return Verdict("refuted", verdict.left_steps, verdict.right_steps, cex,
                           verdict.left_normal, verdict.right_normal,
                           how="numerically, after rewriting with a rule that is wrong here: "
                               + ", ".join(sorted(used & recheck)))
    return verdict


def _prove(left: X, right: X, rules: Sequence[Rule] | None, decls: Mapping[str, Decl] | None,
           constraints: Iterable, search: bool, expansions: Sequence[Rule] | None,
           search_budget: int | None, trials: int | None, trace: bool,
           recheck: set[str] = frozenset()
           ) -> Verdict:
    from ..numerics.shapes import shape_mismatch

    left, right = as_sum(left), as_sum(right)
    # Shapes first: a zero coefficient empties a normal form, and two empty
    # sums with different legs must never be "the same".
    cex = shape_mismatch(left, right, decls, constraints)
    if cex is not None:
        return Verdict("refuted", counterexample=cex)
    rules = [r for r in (core_rules() if rules is None else rules) if loaded(r).simplifies]
    lr, rr = simplify(left, rules, trace=trace), simplify(right, rules, trace=trace)
    ln, rn = lr.sum, align(lr.sum, rr.sum)
    steps = dict(left_steps=lr.steps, right_steps=rr.steps, left_normal=ln, right_normal=rn)
    if same(ln, rn):
        return Verdict("proved", how="normal forms", **steps)
    # Normal forms reached by rules proved sound (not a user's, checked only at
    # random) may stand in for the sides in the numeric verdict.
    used = {st.rule.lstrip("-") for st in lr.steps + rr.steps}
    trusted = not (used & recheck)
    try:
        # tanh' and sigmoid' as polynomials of the function (transforms.unfold)
        # and bubbles of a negated argument by parity (transforms.parity); the
        # signs once more after unfolding, which may change the argument of a
        # bubble around the unfolded one (relu(dsigmoid(x)) is relu(σ - σ²))
        # and the laws of elementwise functions (transforms.elementwise); tanh is
        # written through sigmoid when the equation has both
        tanh = any(mentions(x, "tanh") for x in (ln, rn)) and \
            any(mentions(x, "sigmoid") for x in (ln, rn))
        le = simplify(_laws_applied(ln, tanh), rules).sum
        re_ = simplify(_laws_applied(rn, tanh), rules).sum
    except LimitError as e:
        # Too many terms to expand: no symbolic verdict from here on, numbers decide.
        note = f"not expanded: {e.message}"
        cex = _numeric(left, right, decls, constraints, trials)
        if cex is None and trusted:
            cex = _numeric(ln, rn, decls, constraints, trials)
        if cex is not None:
            return Verdict("refuted", counterexample=cex, note=note, **steps)
        return Verdict("unknown", note=note, trials=_trials(left, right, trials), **steps)
    if same(le, re_):
        return Verdict("proved", how="after expand", **{**steps, "left_normal": le,
                                                         "right_normal": re_})
    try:
        cex = _numeric(left, right, decls, constraints, trials)
        if cex is None and trusted:
            # The expanded normal forms carry exact coefficients (polynomials in
            # the sizes): their difference is compared term by term, and sizes
            # where a coefficient does not vanish are searched for, so neither
            # 1.000000001 A == A nor (n-2)(n-3)(n-4) A == 0 hides in rounding or
            # in small sizes.
            cex = _numeric(le, re_, decls, constraints, trials)
    except OverBudget as over:
        cex, unchecked = None, f"numeric check not run: {over.message}"
    else:
        unchecked = ""
    if cex is not None:
        return Verdict("refuted", counterexample=cex, **steps)
    # Numbers could not refute it: search for a proof through expansions.
    found = None
    if search:
        found = best_first(le, re_, canonical_sum, lambda s: canonical_sum(align(le, s)),
                           rules, shipped_expansions() if expansions is None else list(expansions),
                           budget=search_budget, trace=trace)
        if found.found:
            return Verdict("proved", how=found.describe(), search=found,
                           **_with_path(steps, found))
    # Say what the search did when it did anything, and always when a budget
    # stopped it; with nothing to try (no invertible in sight, no expansion
    # rule) there is nothing to say.
    searched = (found.describe() if found is not None and (found.explored or found.stopped)
                else "")
    return Verdict("unknown", how=unchecked, note=searched, search=found,
                   trials=0 if unchecked else _trials(left, right, trials), **steps)


#: Rounds of parity, unfolding and the elementwise laws (each may open what
#: another acts on: relu(u) ⊙ relu(-u) needs parity, then the pair law).
LAW_ROUNDS = 4


def _laws_applied(s: Sum, tanh_as_sigmoid: bool = False) -> Sum:
    """`s` expanded, with the prove-time laws of bubbles applied (parity, then
    derivatives and powers unfolded, then parity again, then the laws of
    elementwise functions, and again while they change something), at every depth."""
    s = signs_fixed(expand(s))
    for _ in range(LAW_ROUNDS):
        u = unfold_derivatives(s)
        u = u if u is s else signs_fixed(u)
        e = elementwise_laws(u, tanh_as_sigmoid)
        if e is s:
            break
        s = signs_fixed(e)
    return s


def _with_path(steps: dict, found: SearchResult) -> dict:
    """The verdict's steps with the search's moves after each side's normalisation:
    each expansion as a step, then the rewrites that followed it."""
    def path(moves) -> tuple[RewriteStep, ...]:
        return tuple(st for m in moves for st in (m.expansion,) + m.steps)

    return {**steps,
            "left_steps": steps["left_steps"] + path(found.left_path),
            "right_steps": steps["right_steps"] + path(found.right_path),
            "left_normal": found.left_form, "right_normal": found.right_form}


def _trials(left: Sum, right: Sum, trials: int | None) -> int:
    """How many instances the numeric check of the two sides compared."""
    from ..numerics.evaluate import trial_count

    return trial_count(left, right, trials)


def _numeric(left: Sum, right: Sum, decls, constraints, trials) -> Any:
    from ..numerics.evaluate import compare

    return compare(left, right, decls=decls, constraints=constraints, trials=trials)


def check(left: X, right: X, decls: Mapping[str, Decl] | None = None,
          constraints: Iterable = (), trials: int | None = None) -> Verdict:
    """Numeric comparison only: "refuted" with a counterexample, else "holds";
    "unknown" (with the reason in `how`) when the check does not fit the memory budget.

    `trials` None: as many random instances as `trial_count` says (the
    verdict's `trials` records how many)."""
    left, right = as_sum(left), as_sum(right)
    trials = _trials(left, right, trials)
    try:
        cex = _numeric(left, right, decls, constraints, trials)
    except OverBudget as over:
        return Verdict("unknown", how=f"numeric check not run: {over.message}")
    return Verdict("refuted" if cex is not None else "holds", counterexample=cex,
                   trials=trials)
