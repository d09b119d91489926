"""The REPL's `:commands`: one registry that gives dispatch, help and completion.

Each command is a function `(state, argument text) -> what to print`,
registered with `@command(name, usage, help)`.  `ReplState.handle` looks
commands up here; `:help` lists them from here; completion offers their
names and, where a command says how (`complete=`), its arguments; the
prompt completes file names for the commands marked `takes_path`.  Adding a
command is one decorated function (docs/design.md shows one).

The operations themselves live below (`rewriting.simplify.apply_at`,
`gauge_sum`, `transforms.expand`); a command parses its argument, calls one,
records an undoable `Action` and says what happened.
"""
from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable

from ..core.diagram import BOUNDARY, DeltaNode, Diagram, Sum
from ..core.errors import InputError, near

if TYPE_CHECKING:
    from .repl import ReplState


# ------------------------------------------------------------------- timeline


@dataclass(frozen=True)
class StepRecord:
    """One rewrite as the user sees it: the rule, where, and the result as text."""

    rule: str
    where: str
    after: str


@dataclass(frozen=True)
class Action:
    """One undoable change of the current diagram.

    `kind` is "set" for a new starting diagram (the start of a proof) or
    "rewrite" for anything derived from the previous value.
    """

    kind: str
    name: str
    value: Sum
    steps: tuple[StepRecord, ...] = ()


# ------------------------------------------------------------------- registry


@dataclass(frozen=True)
class Command:
    """One `:command`: how it is written, what it does, and how it runs."""

    name: str
    usage: str
    help: str
    run: Callable[["ReplState", str], str]
    aliases: tuple[str, ...] = ()
    complete: Callable[["ReplState", str], list[str]] | None = None  # the argument so far
    takes_path: bool = False  # its argument is a file name (the prompt completes paths)


COMMANDS: dict[str, Command] = {}  # by name, in the order `:help` lists them
_BY_WORD: dict[str, Command] = {}  # by name and alias


def command(name: str, usage: str, help: str, aliases: tuple[str, ...] = (),
            complete: Callable[["ReplState", str], list[str]] | None = None,
            takes_path: bool = False) -> Callable:
    """Register a `:command` (see the module docstring)."""

    def add(run: Callable[["ReplState", str], str]) -> Callable[["ReplState", str], str]:
        cmd = Command(name, usage, help, run, aliases, complete, takes_path)
        COMMANDS[name] = cmd
        for word in (name, *aliases):
            _BY_WORD[word] = cmd
        return run

    return add


def run_command(state: "ReplState", text: str) -> str:
    """Run `:word rest` (text without leading blanks; a trailing `# comment` is dropped)."""
    text = _without_comment(text)
    word, _, rest = text[1:].partition(" ")
    word = word.strip()
    cmd = _BY_WORD.get(word)
    if cmd is None:
        close = [c for c in COMMANDS if c.startswith(word[:2])] if word else []
        hint = f" (did you mean :{close[0]}?)" if close else ""
        raise InputError(f"unknown command ':{word}'{hint}; :help lists the commands",
                         1, 1, source=text, width=len(word) + 1)
    arg = rest.strip()
    try:
        return cmd.run(state, arg)
    except InputError as e:
        if e.line is None and e.filename is None:
            _locate_in_command(e, text, len(text) - len(rest.lstrip()) + 1, arg)
        raise


def _locate_in_command(e: InputError, text: str, arg_col: int, arg: str) -> None:
    """Point an error of a colon command at its place in the command line.

    A command raises its errors without a line; a `column` it gives counts
    within its argument (the quote left open in `:load "x`), and without
    one the caret underlines the whole argument, or the command word when
    there is none.
    """
    if e.column is not None:
        col, width = arg_col + e.column - 1, e.width
    elif arg:
        col, width = arg_col, len(arg)
    else:
        col, width = 1, len(text.split(" ", 1)[0])
    e.line, e.column, e.width, e.source = 1, col, max(1, width), text


def complete_command(state: "ReplState", line: str) -> list[str] | None:
    """Completions on a `:command` line, or None when `line` is not one."""
    if m := re.fullmatch(r"\s*:(\w*)", line):
        return [":" + c for c in COMMANDS if c.startswith(m.group(1))]
    m = re.match(r"\s*:(\w+)\s+(.*)", line, re.S)
    if not m:
        return None
    cmd = _BY_WORD.get(m.group(1))
    if cmd is None or cmd.complete is None:
        return []
    return cmd.complete(state, m.group(2))


def _complete_help(state: "ReplState", arg: str) -> list[str]:
    if not re.fullmatch(r"\w*", arg):
        return []
    return [c for c in COMMANDS if c.startswith(arg)]


def _complete_apply(state: "ReplState", arg: str) -> list[str]:
    m = re.fullmatch(r"(-?)(\w*)", arg)
    if not m:
        return []
    dash, word = m.groups()
    rules = sorted({r.name for r in _all_rules(state)})
    return [dash + r for r in rules if r.startswith(word)]


def _complete_gauge(state: "ReplState", arg: str) -> list[str]:
    if m := re.fullmatch(r"(\w*)", arg):
        from ..core.kinds import Kind

        return sorted(n for n, d in state.session.env.decls.items()
                      if d.is_a(Kind.INVERTIBLE) and n.startswith(m.group(1)))
    if m := re.fullmatch(r"\S+\s+(\w*)", arg):
        return ["on"] if "on".startswith(m.group(1)) else []
    if m := re.fullmatch(r"\S+\s+on\s+(\w*)", arg):
        return [n for n in state.index_names() if n.startswith(m.group(1))]
    return []


# ------------------------------------------------------------------- commands


@command("set", ":set EXPR",
         "make EXPR the current diagram (entering a bare expression does the same)")
def _set(state: ReplState, arg: str) -> str:
    from ..language.expressions import build_expr
    from ..language.parse import parse_expr
    from ..views.printer import format_sum

    if not arg:
        raise InputError("usage: :set EXPR")
    try:
        value = build_expr(parse_expr(arg, "<input>"), state.session.env)
    except InputError as e:
        raise e.located(arg, "<input>")
    state.push(Action("set", arg, value))
    return format_sum(value)


@command("show", ":show",
         "print the current diagram; its index names are the ones :gauge accepts")
def _show(state: ReplState, arg: str) -> str:
    from ..views.printer import format_sum

    return format_sum(state.need_current())


def _rewrite_action(state: ReplState, name: str, cur: Sum, res: Any) -> Action:
    from ..views.printer import format_diagram

    many = len(cur.terms) > 1
    steps = []
    for s in res.steps:
        where = ", ".join(s.where) if not isinstance(s.where, str) else s.where
        after = format_diagram(s.after) if s.after is not None else ""
        if many:
            where = f"{where} (term {s.term + 1})"
        steps.append(StepRecord(s.rule, where, after))
    return Action("rewrite", name, res.sum, tuple(steps))


@command("simplify", ":simplify",
         "rewrite the current diagram to normal form, printing the steps")
def _simplify(state: ReplState, arg: str) -> str:
    from ..rewriting.simplify import simplify
    from ..views.printer import format_sum

    cur = state.need_current()
    res = simplify(cur, state.session.core_rules, trace=True)
    if not res.steps:
        return "already in normal form\n= " + format_sum(cur)
    action = _rewrite_action(state, "simplify", cur, res)
    state.push(action)
    text = _format_steps(action.steps) + "\n= " + format_sum(res.sum)
    if res.stopped:
        text += f"\n(stopped early: {res.stopped})"
    return text


@command("step", ":step",
         "apply one rewrite with the simplification rules")
def _step(state: ReplState, arg: str) -> str:
    from ..rewriting.simplify import simplify
    from ..views.printer import format_sum

    cur = state.need_current()
    res = simplify(cur, state.session.core_rules, trace=True, max_steps=1)
    if not res.steps:
        return "already in normal form\n= " + format_sum(cur)
    action = _rewrite_action(state, "step", cur, res)
    state.push(action)
    s = action.steps[0]
    return f"{s.rule} at {s.where}\n= {format_sum(res.sum)}"


def _all_rules(state: ReplState) -> list:
    return list(state.session.core_rules) + list(state.session.expansion_rules)


def _find_rule(state: ReplState, name: str):
    converse = name.startswith("-")
    base = name[1:] if converse else name
    # A user's rule shadows a built-in one of the same name: search the newest first.
    for r in reversed(_all_rules(state)):
        if r.name == base:
            return r.converse() if converse else r
    known = sorted({r.name for r in _all_rules(state)})
    raise InputError(f"no rule named '{base}'{near(base, known)}; "
                     f"known rules: {', '.join(known)}", column=1 + converse, width=len(base))


def _matches_of(state: ReplState, rule: Any, cur: Sum) -> list[tuple[int, Any]]:
    """(term index, match) for every match of `rule`, in a stable order."""
    from ..rewriting.simplify import matches_in

    return matches_in(rule, cur)


@command("matches", ":matches",
         "list, per rule, the numbered places where a rule applies now")
def _matches(state: ReplState, arg: str) -> str:
    cur = state.need_current()
    lines: list[str] = []
    seen: set[str] = set()
    for rule in reversed(_all_rules(state)):
        if rule.name in seen:
            continue  # shadowed by a newer rule of the same name
        seen.add(rule.name)
        ms = _matches_of(state, rule, cur)
        if not ms:
            continue
        block = [rule.name]
        for n, (k, m) in enumerate(ms, 1):
            where = _where(cur.terms[k], m.nodes)
            if len(cur.terms) > 1:
                where += f"   (term {k + 1})"
            block.append(f"  {n}. {where}")
        lines += block
    if not lines:
        return "no rule matches (the gauge rule applies on any wire: :gauge X on INDEX)"
    lines.append("(:apply RULE N applies one; -RULE its converse; :gauge X on INDEX)")
    return "\n".join(lines)


@command("apply", ":apply RULE [N]",
         "apply the N-th match (default 1) of RULE; -RULE applies its converse", complete=_complete_apply)
def _apply(state: ReplState, arg: str) -> str:
    from ..rewriting.simplify import apply_at, check_applicable
    from ..views.printer import format_diagram, format_sum

    parts = arg.split()
    if not 1 <= len(parts) <= 2:
        raise InputError("usage: :apply RULE [N]  (-RULE for the converse)")
    rule = _find_rule(state, parts[0])
    try:
        n = int(parts[1]) if len(parts) == 2 else 1
    except ValueError:
        raise InputError(f"'{parts[1]}' is not a match number") from None
    check_applicable(rule)
    cur = state.need_current()
    done = apply_at(rule, cur, n)
    value = done.value
    where = _where(cur.terms[done.term], done.match.nodes)
    if len(cur.terms) > 1:
        where += f" (term {done.term + 1})"
    step = StepRecord(rule.name, where, format_diagram(done.after))
    state.push(Action("rewrite", f"apply {rule.name}", value, (step,)))
    return f"{rule.name} at {where}\n= {format_sum(value)}"


@command("gauge", ":gauge X on INDEX",
         "insert X inv(X) on the wire named INDEX (X invertible)", complete=_complete_gauge)
def _gauge(state: ReplState, arg: str) -> str:
    from ..rewriting.simplify import gauge_sum
    from ..views.printer import format_sum, index_names
    from ..core.kinds import Kind

    m = re.fullmatch(r"(\S+)\s+on\s+(\S+)", arg)
    if not m:
        raise InputError("usage: :gauge X on INDEX")
    xname, index = m.groups()
    decls = state.session.env.decls
    decl = decls.get(xname)
    if decl is None:
        raise InputError(f"unknown tensor '{xname}'{near(xname, decls)}", column=1,
                         width=len(xname))
    if not decl.is_a(Kind.INVERTIBLE):
        raise InputError(f"{xname} is not invertible: the gauge inserts X inv(X)", column=1,
                         width=len(xname))
    cur = state.need_current()
    if not cur.terms:
        raise InputError("the current diagram is zero: there is no wire")
    names = [index_names(t) for t in cur.terms]
    if index not in names[0]:
        raise InputError(f"no index '{index}' in the current diagram{near(index, names[0])}; "
                         f"its indices are {', '.join(sorted(names[0]))}",
                         column=m.start(2) + 1, width=len(index))
    port = names[0][index]
    if len(cur.terms) > 1 and port[0] != BOUNDARY:
        raise InputError("internal index names differ from term to term: in a sum, "
                         "gauge a free leg (each term gets X inv(X) on it)")
    value = gauge_sum(cur, [nm[index] for nm in names], decl)
    after = format_sum(value)
    step = StepRecord(f"gauge {xname}", index, after)
    state.push(Action("rewrite", f"gauge {xname} on {index}", value, (step,)))
    return f"inserted {xname} inv({xname}) on {index}\n= {after}"


@command("expand", ":expand",
         "distribute products over parenthesised sums")
def _expand(state: ReplState, arg: str) -> str:
    from ..transforms.expand import expand
    from ..views.printer import format_sum

    cur = state.need_current()
    value = expand(cur)
    after = format_sum(value)
    state.push(Action("rewrite", "expand", value,
                      (StepRecord("expand", "every parenthesised sum", after),)))
    return f"= {after}\n({len(value.terms)} terms)"


@command("undo", ":undo",
         "take back the last change of the current diagram")
def _undo(state: ReplState, arg: str) -> str:
    from ..views.printer import format_sum

    if not state.done:
        raise InputError("nothing to undo")
    a = state.done.pop()
    state.undone.append(a)
    cur = state.current
    return f"undid {a.name}\n= " + (format_sum(cur) if cur is not None else "(no current diagram)")


@command("redo", ":redo",
         "redo what :undo took back")
def _redo(state: ReplState, arg: str) -> str:
    from ..views.printer import format_sum

    if not state.undone:
        raise InputError("nothing to redo")
    a = state.undone.pop()
    state.done.append(a)
    return f"redid {a.name}\n= {format_sum(a.value)}"


@command("history", ":history",
         "the steps since the start, as a proof")
def _history(state: ReplState, arg: str) -> str:
    from ..views.printer import format_sum

    start, cur = state.start, state.current
    if start is None or cur is None:
        raise InputError("no current diagram: enter an expression or use :set EXPR")
    steps = state.proof_steps()
    lines = [f"start:   {format_sum(start)}"]
    if steps:
        lines.append(_format_steps(steps))
    else:
        lines.append("(no steps yet)")
    lines.append(f"current: {format_sum(cur)}")
    return "\n".join(lines)


def saved_text(state: ReplState) -> str:
    """The session as a program `rewrite run` replays and proves."""
    from ..views.printer import format_sum

    start, cur = state.start, state.current
    if start is None or cur is None:
        raise InputError("no current diagram to save: enter an expression first")
    lines = ["# Saved from the penrose-rewrite REPL.", *state.declarations, ""]
    steps = state.proof_steps()
    if steps:
        lines.append("# steps: " + ", ".join(s.rule for s in steps))
    lines.append(f"prove {format_sum(start)} == {format_sum(cur)}")
    return "\n".join(lines) + "\n"


@command("save", ":save FILE",
         "write the declarations and `prove START == CURRENT` as a .tn file", takes_path=True)
def _save(state: ReplState, arg: str) -> str:
    if not arg:
        raise InputError("usage: :save FILE")
    from ..core.files import write_text

    path = _one_path(arg)
    write_text(path, saved_text(state))
    return f"wrote {path}"


@command("draw", ":draw [FILE]",
         "draw the current diagram (SVG unless FILE says .png or .tex)", takes_path=True)
def _draw(state: ReplState, arg: str) -> str:
    from ..views.draw import Strip, draw

    cur = state.need_current()
    state.draws += 1
    path = _one_path(arg) if arg else f"repl-{state.draws}.svg"
    state.strip = state.strip or Strip()
    draw(cur, path, strip=state.strip)
    return f"wrote {path}"


@command("rules", ":rules",
         "list the rules: simplification rules and rules applied on request")
def _rules(state: ReplState, arg: str) -> str:
    lines = ["simplification (used by :simplify, :step):"]
    lines += [f"  {_rule_text(r)}" for r in state.session.core_rules]
    lines.append("on request (:apply, :gauge):")
    lines += [f"  {_rule_text(r)}" for r in state.session.expansion_rules]
    return "\n".join(lines)


@command("load", ":load FILE",
         "run a .tn file here: its declarations stay, its commands print", takes_path=True)
def _load(state: ReplState, arg: str) -> str:
    if not arg:
        raise InputError("usage: :load FILE")
    from ..core.files import read_text

    path = _one_path(arg)
    out = state.run_text(read_text(path), path)
    return out if out else f"loaded {path}"


@command("help", ":help [TOPIC]",
         "this list, or one command in detail", complete=_complete_help)
def _help(state: ReplState, arg: str) -> str:
    topic = arg.strip().lstrip(":")
    if topic:
        cmd = _BY_WORD.get(topic)
        if cmd is None:
            raise InputError(f"no help on '{arg}'; :help lists the commands")
        usage, what = cmd.usage, cmd.help
        return f"{usage}\n  {what}"
    width = max(len(c.usage) for c in COMMANDS.values())
    body = "\n".join(f"  {c.usage.ljust(width)}  {c.help}" for c in COMMANDS.values())
    return _GENERAL_HELP + body


@command("quit", ":quit",
         "leave (Ctrl-D does the same)", aliases=("q", "exit"))
def _quit(state: ReplState, arg: str) -> str:
    state.finished = True
    return ""



# -------------------------------------------------------------------- helpers


_GENERAL_HELP = """\
Type any statement of the language: declarations (dim, tensor, let, rule)
accumulate; commands (simplify, prove, check, show, draw, expand, cost) print
their results; a bare expression becomes the current diagram.  A statement
continues on the next line while a bracket is open.

Commands on the current diagram:
"""


def _format_steps(steps: Iterable[StepRecord]) -> str:
    lines = []
    for k, s in enumerate(steps, 1):
        lines.append(f"  {k}. {s.rule}" + (f" at {s.where}" if s.where else ""))
        if s.after:
            lines.append(f"       ⇒ {s.after}")
    return "\n".join(lines)


def _where(d: Diagram, nodes: Iterable[int]) -> str:
    """Matched nodes written with the index names `show` prints for `d`."""
    from ..views.printer import index_names

    names: dict[tuple[int, int], str] = {}
    for n, p in index_names(d).items():
        names[p] = n
        names[d.link[p]] = n
    parts = []
    for v in nodes:
        node = d.nodes[v]
        title = "δ" if isinstance(node, DeltaNode) else node.title
        slots = ", ".join(names.get((v, i), "?") for i in range(node.arity))
        parts.append(f"{title}[{slots}]" if node.arity else title)
    return " ".join(parts) or "a wire"


def _rule_text(r: Any) -> str:
    return (r.source or "").strip() or r.name


def _one_path(arg: str) -> str:
    """The one file name in a command's argument, shell-quoted or not."""
    try:
        parts = shlex.split(arg)
    except ValueError:  # an unclosed quote: never a file named after it
        raise InputError(f"unclosed quote: the file name has no closing {_open_quote(arg)[1]}",
                         column=_open_quote(arg)[0] + 1) from None
    if len(parts) != 1:
        raise InputError(f"expected one file name, got {len(parts)} words "
                         "(quote a name that has spaces: \"my file.tn\")")
    return os.path.expanduser(parts[0])


def _open_quote(text: str) -> tuple[int, str]:
    """Where (0-based) the quote left open in `text` starts, and which quote it is."""
    quote, at = "", 0
    for k, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote, at = ch, k
    return at, quote or '"'


def _without_comment(text: str) -> str:
    """A colon command without its trailing `# comment` (as in the language):
    a `#` at the start of a word and outside quotes starts the comment."""
    quote = None
    for k, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (k == 0 or text[k - 1].isspace()):
            return text[:k].rstrip()
    return text
