"""Outcomes as the user reads them: text for the terminal, JSON for tools.

The session (`app.session`) executes statements and returns typed outcomes
(`Shown`, `Normalised`, `Decided`, ...); this module writes them.  One
writer per verb, in `TEXT` and `DATA`, so a new command adds one entry here
and nothing in the session.  Outcomes are read by their fields only (this
layer does not import the app above it).
"""
from __future__ import annotations

import json
import math
from typing import Any, Callable, Iterable

from ..core.diagram import Diagram
from .printer import format_diagram, format_sum

JSON_SCHEMA = "penrose-rewrite/results/1"

# Statuses that make the command line exit with 1.
FAILING = {"refuted", "unknown"}

# Statuses that make the command line exit with 2: a statement that failed
# (an input error in place) or was skipped because one it depends on failed.
BROKEN = {"error", "skipped"}


def exit_code(outcomes: Iterable[Any]) -> int:
    outcomes = list(outcomes)
    if any(o.status in BROKEN for o in outcomes):
        return 2
    return 1 if any(o.status in FAILING for o in outcomes) else 0


# ---------------------------------------------------------------------- steps


def step_record(step: Any, side: str | None) -> dict:
    """A rewrite step as plain data: side, rule, where, and the diagram after it as text."""
    after = getattr(step, "after", None)
    if isinstance(after, Diagram):
        after = format_diagram(after)
    elif after is not None and not isinstance(after, str):
        after = format_sum(after)
    where = getattr(step, "where", "") or ""
    if not isinstance(where, str):
        where = ", ".join(str(w) for w in where)
    return {"side": side, "rule": step.rule, "where": where, "after": after}


def step_records(o: Any) -> list[dict]:
    """Every step of an outcome (simplify's, or prove's left then right), as records."""
    if o.status in BROKEN:
        return []
    if o.verb == "simplify":
        return [step_record(s, None) for s in o.steps]
    v = getattr(o, "verdict", None)
    if v is None:
        return []
    return ([step_record(s, "left") for s in v.left_steps]
            + [step_record(s, "right") for s in v.right_steps])


def format_steps(steps: list[dict], full: bool = False) -> str:
    """Steps one per line.  Unless `full`, a long run of one rule on one side
    (thousands of cancellations along a tensor train) is shown by its first
    and last steps and a count, so a person can still read it; `--json` and
    `--trace` keep every step."""
    if not steps:
        return "steps: none (already in normal form)"
    lines = ["steps:"]

    def line(k: int, s: dict) -> None:
        side = f"{s['side']}: " if s.get("side") else ""
        where = f" at {s['where']}" if s.get("where") else ""
        lines.append(f"  {k}. {side}{s['rule']}{where}")
        if s.get("after"):
            lines.append(f"       ⇒ {s['after']}")

    k = 0
    while k < len(steps):
        j = k
        while (j + 1 < len(steps) and steps[j + 1]["rule"] == steps[k]["rule"]
               and steps[j + 1].get("side") == steps[k].get("side")):
            j += 1
        run = j - k + 1
        if full or run <= 6:
            for i in range(k, j + 1):
                line(i + 1, steps[i])
        else:
            for i in range(k, k + 3):
                line(i + 1, steps[i])
            lines.append(f"     … {run - 4} more {steps[k]['rule']} steps …")
            line(j + 1, steps[j])
        k = j + 1
    return "\n".join(lines)


# ------------------------------------------------------------- text per verb


def _show_text(o: Any) -> str:
    return format_sum(o.value)


def _simplify_text(o: Any) -> str:
    text = "= " + format_sum(o.value)
    if o.stopped == "check failed":
        bad = o.steps[o.bad_step]
        return (f"check failed: step {o.bad_step + 1} ({bad.rule} at "
                f"{', '.join(bad.where)}) changes the value: "
                f"{o.counterexample.format()}\n" + text)
    if o.stopped:
        text += f"\n(stopped early: {o.stopped})"
    return text


def _expand_text(o: Any) -> str:
    return "= " + format_sum(o.value) + f"\n({len(o.value.terms)} terms)"


def _paths_text(o: Any) -> str:
    width = max((len(p.label) for p in o.paths), default=0)
    lines = [f"{k:>2}. {p.label:<{width}}  {format_diagram(p.term)}"
             for k, p in enumerate(o.paths, 1)]
    lines.append(f"({len(o.paths)} terms)")
    if o.contributions is not None:
        lines.append(f"contributions on {o.arrays_name}:")
        lines.extend("  " + line for line in o.contributions.format().splitlines())
    return "\n".join(lines)


def _cost_text(o: Any) -> str:
    return o.report.format()


def _draw_text(o: Any) -> str:
    if not o.written:
        return f"not written: only `rewrite run` writes {o.file}"
    return f"wrote {o.file}"


def _instances_text(v: Any) -> str:
    """Which random instances a numeric verdict rests on: one is said plainly,
    with the policy's reason when the policy chose it (numerics.evaluate.trial_count)."""
    from ..core.limits import LIMITS

    if getattr(v, "trials", 0) != 1:
        return "every instance tried"
    if LIMITS.trials is None:
        return ("the one random instance tried (all sizes fixed, no functions: one refutes "
                "a false identity with probability one; --trials N tries more)")
    return "the one random instance tried"


def _verdict_text(o: Any) -> str:
    v = o.verdict
    if o.arrays_name is not None:  # `check` on the user's arrays
        if v.kind == "holds":
            return (f"holds: equal on {o.arrays_name} "
                    f"(largest difference {o.largest_difference:.3g})")
        return f"refuted: {v.counterexample.format()}"
    lines = [v.kind]
    if v.kind == "refuted" and v.counterexample is not None:
        lines[0] += f": {v.counterexample.format()}"
        if v.how:
            lines.append(f"({v.how})")
    elif v.kind == "unknown" and v.how:
        # Numbers were needed and not computed (the memory budget): say why.
        lines[0] += (": no proof found; " if o.verb == "prove" else ": ") + v.how
    elif v.kind == "unknown":
        lines[0] += ": no proof found, yet numerically equal on " + _instances_text(v)
    elif o.verb == "check":
        lines[0] += ": numerically equal on " + _instances_text(v)
    elif v.kind == "proved" and v.how.startswith("search"):
        # The proof went through expansions: say which, in order (the steps
        # below show each one with the rewrites that followed it).
        lines.append(f"({v.how})")
    if getattr(v, "note", ""):
        lines.append(f"({v.note})")
    if o.verb == "prove" and v.kind != "refuted" and v.left_normal is not None:
        if v.kind == "proved" and v.how == "normal forms":
            # Both sides reached isomorphic normal forms; printing them twice,
            # with their nodes in different orders, only invites doubt.
            lines.append(f"normal form: {format_sum(v.left_normal)}")
        else:
            lines.append(f"left normal form:  {format_sum(v.left_normal)}")
            lines.append(f"right normal form: {format_sum(v.right_normal)}")
    return "\n".join(lines)


TEXT: dict[str, Callable[[Any], str]] = {
    "show": _show_text, "simplify": _simplify_text, "expand": _expand_text,
    "paths": _paths_text, "cost": _cost_text, "draw": _draw_text,
    "prove": _verdict_text, "check": _verdict_text,
    "error": lambda o: o.error.format(), "skipped": lambda o: o.message,
}


def _key(o: Any) -> str:
    """Which writer: the status for a failed or skipped statement, else the verb."""
    return o.status if o.status in BROKEN else o.verb


def text_of(o: Any) -> str:
    """The answer a person reads for one outcome (without its steps)."""
    return TEXT[_key(o)](o)


# ------------------------------------------------------------- JSON per verb


def _verdict_data(o: Any) -> dict:
    v = o.verdict
    data: dict = {"verdict": o.status}
    if o.arrays_name is not None:
        data.update(arrays=o.arrays_name, largest_difference=o.largest_difference)
    if getattr(v, "note", ""):
        data["note"] = v.note
    if getattr(v, "trials", 0):
        data["trials"] = v.trials
    if v.counterexample is not None:
        data["counterexample"] = v.counterexample.to_json()
    found = getattr(v, "search", None)
    if found is not None:
        data["search"] = {
            "found": found.found, "explored": found.explored, "distinct": found.distinct,
            "stopped": found.stopped,
            "moves": [{"side": side, "expansion": m.label}
                      for side, path in (("left", found.left_path), ("right", found.right_path))
                      for m in path]}
    return data


def _paths_data(o: Any) -> dict:
    data: dict = {"paths": [{"label": p.label, "term": format_diagram(p.term)} for p in o.paths]}
    if o.contributions is not None:
        data.update(o.contributions.to_json())
    return data


DATA: dict[str, Callable[[Any], dict]] = {
    "show": lambda o: {},
    "simplify": lambda o: {"normal_form": format_sum(o.value), "stopped": o.stopped},
    "expand": lambda o: {"terms": len(o.value.terms)},
    "paths": _paths_data,
    "cost": lambda o: o.report.to_json(),
    "draw": lambda o: {"file": o.file if o.written else None},
    "prove": _verdict_data, "check": _verdict_data,
    "error": lambda o: {"error": {"line": o.error.line, "column": o.error.column,
                                  "message": o.error.message}},
    "skipped": lambda o: {},
}


def json_of(o: Any) -> dict:
    """One outcome as `rewrite run --json` gives it (schema penrose-rewrite/results/1)."""
    return {"statement": o.verb, "line": o.line, "source": o.source, "status": o.status,
            "output": text_of(o), "steps": step_records(o), **DATA[_key(o)](o)}


# ------------------------------------------------------------------ whole runs


def render_text(outcomes: list[Any], trace: bool = False) -> str:
    blocks = []
    for o in outcomes:
        src = o.source if len(o.source) <= 160 else o.source[:100] + " … " + o.source[-50:]
        body = answer(o, full=trace, always=trace)
        blocks.append(f"[{o.line}] {src}\n" + _indent(body))
    return "\n\n".join(blocks)


def answer(o: Any, full: bool = False, always: bool = False) -> str:
    """The text and, for simplify and prove (or any verb when `always`), the steps."""
    body = text_of(o)
    steps = step_records(o)
    if steps and (always or o.verb in ("simplify", "prove")):
        body = body + "\n" + format_steps(steps, full=full)
    return body


def render_json(outcomes: list[Any]) -> str:
    return json.dumps(strict_json({"schema": JSON_SCHEMA, "exit": exit_code(outcomes),
                                   "results": [json_of(o) for o in outcomes]}),
                      ensure_ascii=False, indent=2, allow_nan=False)


def strict_json(value: Any) -> Any:
    """`value` with every float that JSON cannot write (inf, NaN) as null:
    Python's `json` would write `Infinity`, which strict readers refuse.
    Where such a number matters, the record also says it in words."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: strict_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict_json(v) for v in value]
    return value


def _indent(text: str, by: str = "  ") -> str:
    return "\n".join(by + line if line else line for line in text.splitlines())
