"""Rules ready for the engine: one `LoadedRule` per rule, and loading rule files.

A `pattern.Rule` is data (what the language built).  Before the engine uses
it, three things are worked out, each once per rule: the left side compiled
for matching, the right side built for a binding (cached, since along a
chain the same small diagram is built again and again), and whether the rule
simplifies (its right side is smaller in `Diagram.size_measure()` for every
group length tried) or expands.  All three live in the rule's `LoadedRule`,
found through `loaded(rule)`; whether it was checked numerically is recorded
there too.

Loading reads the language layer below (parse, build): rule files are text
in the language itself.  Nothing here imports the strategies above it.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import sys
from dataclasses import replace
from pathlib import Path
from typing import Union

from ..core.diagram import Diagram, TensorNode
from ..core.errors import InputError
from ..core.files import cache_dir, read_text
from ..core.kinds import Decl
from ..core.pattern import Rule
from ..language.env import Env
from ..language.parse import parse
from ..language.rules import build_rule
from ..language.syntax import RuleStmt
from .instantiate import instantiate, random_bindings
from .match import Compiled, Match, compile_side

SIMPLIFICATION = "simplification"
EXPANSION = "expansion"
RHS_CACHE_LIMIT = 4096  # right sides kept per rule before the cache starts over


class LoadedRule:
    """A rule with its compiled left side, right-side cache and classification.

    Made only by `loaded(rule)`, so each rule has one.  `compiled` and `kind`
    are computed on first use (compiling a converse may fail: a ValueError
    says why); `checked` is True once `check` has passed.
    """

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.checked = False
        self._compiled: Compiled | None = None
        self._kind: str | None = None
        self._rhs: dict[tuple, Diagram] = {}

    @property
    def name(self) -> str:
        return self.rule.name

    @property
    def compiled(self) -> Compiled:
        if self._compiled is None:
            self._compiled = compile_side(self.rule)
        return self._compiled

    @property
    def kind(self) -> str:
        """SIMPLIFICATION when the right side is smaller in `Diagram.size_measure()`
        for every group length tried, else EXPANSION."""
        if self._kind is None:
            # A delta atom instantiated with two legs is a wire, which no host
            # stores: such group lengths can never match, so they do not count.
            real = [(l, r) for l, r in sides(self.rule) if len(l.nodes) == len(self.rule.lhs.atoms)]
            shrinks = bool(real) and all(r.size_measure() < l.size_measure() for l, r in real)
            self._kind = SIMPLIFICATION if shrinks else EXPANSION
        return self._kind

    @property
    def simplifies(self) -> bool:
        return self.kind == SIMPLIFICATION

    def rhs(self, m: Match) -> Diagram:
        """The right side built for this match, legs in the left side's order.

        Memoised on what the right side depends on (group sizes, index sizes,
        the declarations it names); `substitute` only reads it, so sharing
        is safe.
        """
        r, b = self.rule, m.binding
        if b.exprs:  # built from the matched bubble arguments: nothing to share
            return instantiate(r.rhs, b, r.decls, boundary=r.lhs.boundary)
        heads = {a.head for a in r.rhs.atoms}
        key = (tuple(sorted(b.groups.items())), tuple(sorted(b.indices.items())),
               tuple((h, dc) for h, dc in sorted(b.decls.items()) if h in heads), b.delta_size)
        hit = self._rhs.get(key)
        if hit is None:
            if len(self._rhs) > RHS_CACHE_LIMIT:
                self._rhs.clear()
            hit = self._rhs[key] = instantiate(r.rhs, b, r.decls, boundary=r.lhs.boundary)
        return hit

    def check(self, seed: int = 0, trials: int = 2) -> None:
        """Refuse an unsound rule: both sides, instantiated with random tensors
        of the variables' kinds and 1-3 legs per group, must agree numerically."""
        from ..numerics.evaluate import compare

        for n, (lhs, rhs) in enumerate(sides(self.rule, seed)):
            try:
                cex = compare(lhs, rhs, trials=trials, seed=seed + 7 * n)
            except InputError as e:
                if e.line is not None:
                    raise
                raise rule_error(self.rule, f"rule {self.rule.name} is not well formed: "
                                            f"{e.message}") from None
            if cex is not None:
                legs = ", ".join(f"{v.name}: {v.arity} legs" for v in _vars_of(lhs))
                raise rule_error(self.rule, f"rule {self.rule.name} is unsound: the sides differ "
                                            f"for {legs or 'these sizes'}; {cex.format()}")
        self.checked = True


_LOADED: dict[int, LoadedRule] = {}


def loaded(rule: Rule) -> LoadedRule:
    """The rule's one `LoadedRule` (rules hold dicts, so they are found by identity;
    the entry keeps its rule alive, so an id is never reused while cached)."""
    hit = _LOADED.get(id(rule))
    if hit is None or hit.rule is not rule:
        hit = _LOADED[id(rule)] = LoadedRule(rule)
    return hit


def compiled(rule: Rule) -> Compiled:
    return loaded(rule).compiled


def classify(rule: Rule) -> str:
    return loaded(rule).kind


def rhs_of(m: Match) -> Diagram:
    return loaded(m.rule).rhs(m)


def check_rule(rule: Rule, seed: int = 0, trials: int = 2) -> None:
    loaded(rule).check(seed, trials)


def sides(rule: Rule, seed: int = 0) -> list[tuple[Diagram, Diagram]]:
    """Both sides instantiated for random group lengths and declarations."""
    try:
        bs = random_bindings(rule, seed)
    except ValueError as e:
        raise rule_error(rule, str(e)) from None
    if not bs:
        raise rule_error(rule, f"rule {rule.name}: no leg-group lengths make both sides well formed")
    return [(instantiate(rule.lhs, b, rule.decls),
             instantiate(rule.rhs, b, rule.decls, boundary=rule.lhs.boundary)) for b in bs]


def rule_error(rule: Rule, message: str) -> InputError:
    line, col = rule.pos or (None, None)
    return InputError(message, line, col, filename=rule.filename)


def _vars_of(d: Diagram) -> list[Decl]:
    seen: dict[str, Decl] = {}
    for n in d.nodes.values():
        if isinstance(n, TensorNode):
            seen.setdefault(n.decl.name, n.decl)
    return list(seen.values())


# ----------------------------------------------------------- loading rules


def load_rules(source: Union[str, Path], env: Env | None = None, filename: str | None = None,
               check: bool = True) -> list[Rule]:
    """Parse rule statements (from a path or text) and build them, checking each.

    Declarations in the text go to `env`; every rule is checked numerically
    and refused with an InputError at its position when unsound.
    """
    if isinstance(source, Path) or (isinstance(source, str) and "\n" not in source
                                   and source.endswith(".tn") and Path(source).exists()):
        filename = filename or str(source)
        text = read_text(str(source))
    else:
        text = str(source)
    return _load_text(text, Env() if env is None else env, filename, check)


def checked_rule(stmt: RuleStmt, env: Env, filename: str | None = None,
                 check: bool = True) -> Rule:
    """Build a rule statement, refuse it if unsound, and classify it (once)."""
    r = build_rule(stmt, env)
    if filename is not None and r.filename is None:
        r = replace(r, filename=filename)
    lr = loaded(r)
    if check:
        lr.check()
    lr.kind  # classified now, so a rule whose sides cannot be built is refused at load
    return r


def _load_text(text: str, env: Env, filename: str | None, check: bool) -> list[Rule]:
    rules = []
    try:
        for stmt in parse(text, filename):
            if isinstance(stmt, RuleStmt):
                rules.append(checked_rule(stmt, env, filename, check))
            else:
                env.execute_declaration(stmt)
    except InputError as e:
        raise e.located(text, filename)
    return rules


_SHIPPED: dict[str, list[Rule]] = {}
#: The rule files shipped in `rules/`, loaded (and cached) together.
SHIPPED_FILES = ("core", "kinds", "bubbles", "gauge", "definitions")


def shipped_rules(name: str) -> list[Rule]:
    """A rule file shipped with the package (`rules/NAME.tn`), loaded once."""
    if name not in _SHIPPED:
        _SHIPPED.update(_load_shipped())
    return _SHIPPED[name]


def _load_shipped() -> dict[str, list[Rule]]:
    """Every shipped rule file, from the cache when it is current, else built.

    The shipped rules are checked numerically by the test suite
    (tests/test_rules.py); re-checking them at every start would cost half a
    second of each command, and even parsing and classifying them is a third
    of a short command's time, so the built rules and their classes are kept
    in the cache folder (`files.cache_dir`) under a hash of the rule files,
    the grammar and the package's modules (path, size and modification time,
    as Python's own bytecode cache checks them).  User rules are always built
    and checked.
    """
    from importlib.resources import files

    texts = {name: files("rewrite.rules").joinpath(f"{name}.tn").read_text(encoding="utf-8")
             for name in SHIPPED_FILES}
    path = _shipped_cache_path(texts)
    if path is not None:
        try:
            with open(path, "rb") as f:
                rules, kinds = pickle.load(f)
            for name in SHIPPED_FILES:
                for r, k in zip(rules[name], kinds[name], strict=True):
                    loaded(r)._kind = k
            return rules
        except Exception:  # missing, damaged or half written: built again below
            pass
    rules = {name: _load_text(texts[name], Env(), f"rules/{name}.tn", False)
             for name in SHIPPED_FILES}
    if path is not None:
        kinds = {name: [loaded(r).kind for r in rs] for name, rs in rules.items()}
        _write_cache(path, pickle.dumps((rules, kinds), protocol=pickle.HIGHEST_PROTOCOL))
    return rules


def _shipped_cache_path(texts: dict[str, str]) -> str | None:
    base = cache_dir()
    if base is None:
        return None
    from ..language.parse import grammar_text

    h = hashlib.sha256(f"{sys.version}\n{grammar_text()}".encode())
    for name in SHIPPED_FILES:
        h.update(f"\0{name}\0{texts[name]}".encode())
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for folder, dirs, names in os.walk(package):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for n in sorted(names):
            if n.endswith(".py"):
                st = os.stat(os.path.join(folder, n))
                h.update(f"\0{folder}/{n}\0{st.st_size}\0{st.st_mtime_ns}".encode())
    return os.path.join(base, f"rules-{h.hexdigest()[:16]}.pickle")


#: Entries of the rules cache kept (other versions, other checkouts): the oldest go.
RULES_CACHE_ENTRIES = 16


def _write_cache(path: str, data: bytes) -> None:
    """Write atomically (a reader sees the old file or the whole new one) and
    keep the newest `RULES_CACHE_ENTRIES` entries, so that several installed
    versions or checkouts do not evict each other at every run; a failure only
    means no cache."""
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
        folder = os.path.dirname(path)
        entries = [os.path.join(folder, n) for n in os.listdir(folder)
                   if n.startswith("rules-") and n.endswith(".pickle")]
        entries.sort(key=os.path.getmtime, reverse=True)
        for old in entries[RULES_CACHE_ENTRIES:]:
            os.remove(old)
    except OSError:
        try:
            os.remove(tmp)
        except OSError:
            pass


def core_rules() -> list[Rule]:
    """The shipped simplification rules: rules/core.tn, the kinds' laws
    (rules/kinds.tn) and the bubble laws (rules/bubbles.tn)."""
    return shipped_rules("core") + shipped_rules("kinds") + shipped_rules("bubbles")


def gauge_rules() -> list[Rule]:
    return shipped_rules("gauge")


def definition_rules() -> list[Rule]:
    """rules/definitions.tn: bubbles unfolded into others (a softmax into exp
    and its partition function), each larger than what it unfolds."""
    return shipped_rules("definitions")


def shipped_expansions() -> list[Rule]:
    """The shipped rules `prove`'s search may use as expansions: the gauge rules,
    the definitions, and any shipped law that does not shrink the diagram
    (`simplify` skips it)."""
    return (gauge_rules() + definition_rules()
            + [r for r in core_rules() if not loaded(r).simplifies])


def unbound_variables(rule: Rule) -> list[str]:
    """Pattern variables the right side uses but the left side does not bind
    (such a rule cannot be applied by matching alone)."""
    left = {a.head for a in rule.lhs.atoms}
    return sorted({a.head for a in rule.rhs.atoms if a.head in rule.params and a.head not in left})
