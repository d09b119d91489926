"""Steps as a strip of pictures, for notebooks.

A simplification or a proof shows in Jupyter as one row per stage: the start
(or the two sides), each rewrite step's diagram with its rule, the normal
form(s), and the verdict with its counterexample.  The pictures are the ones
`draw.to_svg` makes, inlined with ids made unique by `report.Pictures` (the
same page-safety problem the HTML report solves), in a horizontally scrolling
row so a long proof stays one line of the notebook.
"""
from __future__ import annotations

import html
from typing import Any, Sequence

from .report import Pictures

_STYLE = ("<style>.rw-strip{display:flex;gap:1.2em;overflow-x:auto;align-items:flex-end;"
          "padding:0.3em 0}.rw-strip figure{margin:0;flex:none;text-align:center}"
          ".rw-strip svg{max-height:160px;width:auto}.rw-strip figcaption{font-size:0.85em;"
          "color:#444}.rw-verdict{font-weight:bold;padding:0.1em 0.5em;border-radius:4px}"
          ".rw-proved,.rw-holds{background:#d9f2dd;color:#14621f}.rw-refuted"
          "{background:#fadbd8;color:#8e1b10}.rw-unknown{background:#fcf0cf;color:#7a5a00}"
          "</style>")

#: A strip draws at most this many step pictures; the rest are listed by rule.
MAX_PICTURES = 24


def _esc(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _text(x: Any) -> str:
    from .printer import format_sum

    return format_sum(x)


def _fig(pics: Pictures, x: Any, caption: str, follow: Any = None) -> str:
    return (f"<figure>{pics.svg(x, caption, follow)}<figcaption>{_esc(caption)}<br><code>"
            f"{_esc(_text(x))}</code></figcaption></figure>")


def _strip(items: list[str]) -> str:
    return f"<div class=\"rw-strip\">{''.join(items)}</div>"


def _step_figures(pics: Pictures, steps: Sequence[tuple], side: bool, follow: dict) -> list[str]:
    """Step pictures; `follow` maps a side (None for a simplification) to the
    `draw.Strip` its pictures continue, so surviving nodes keep their places."""
    out, listed = [], []
    for k, step in enumerate(steps, 1):
        s, rule, where, after = step if side else (None,) + tuple(step)
        caption = f"{s + ' ' if s else ''}{k}. {rule}" + (f" at {where}" if where else "")
        if after is not None and len(out) < MAX_PICTURES:
            out.append(_fig(pics, after, caption, follow.get(s)))
        else:
            listed.append(caption)
    if listed:
        out.append("<figure><figcaption>… " + _esc("; ".join(listed[:20]))
                   + (" …" if len(listed) > 20 else "") + "</figcaption></figure>")
    return out


def simplified_html(start: Any, steps: Sequence[tuple], result: Any, stopped: str | None) -> str:
    """`(rule, where, after)` steps between the start and the normal form."""
    from .draw import Strip

    pics = Pictures()
    follow = {None: Strip()}
    items = [_fig(pics, start, "start", follow[None])] if start is not None else []
    items += _step_figures(pics, steps, side=False, follow=follow)
    items.append(_fig(pics, result, "normal form"))
    note = f"<p>stopped early: {_esc(stopped)}</p>" if stopped else ""
    head = f"<p>{len(steps)} step{'s' if len(steps) != 1 else ''}</p>"
    return _STYLE + head + _strip(items) + note


def verdict_html(verdict: str, how: str, left: Any, right: Any, steps: Sequence[tuple],
                 normal_forms: Sequence[Any], counterexample: str | None) -> str:
    """The verdict, the two sides, the `(side, rule, where, after)` steps, the
    normal forms, and the counterexample when refuted."""
    pics = Pictures()
    head = f"<span class=\"rw-verdict rw-{_esc(verdict)}\">{_esc(verdict)}</span>"
    if how and verdict == "proved":
        head += f" <small>({_esc(how)})</small>"
    if counterexample:
        head += f"<p>counterexample: {_esc(counterexample)}</p>"
    from .draw import Strip

    rows = [f"<p>{head}</p>"]
    follow = {"left": Strip(), "right": Strip()}
    if left is not None and right is not None:
        rows.append(_strip([_fig(pics, left, "left side", follow["left"]),
                            _fig(pics, right, "right side", follow["right"])]))
    if steps:
        rows.append(_strip(_step_figures(pics, steps, side=True, follow=follow)))
    if normal_forms and verdict != "refuted":
        rows.append(_strip([_fig(pics, normal_forms[0], "left normal form"),
                            _fig(pics, normal_forms[1], "right normal form")]))
    return _STYLE + "".join(rows)
