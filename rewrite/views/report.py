"""Proofs as pictures: one self-contained HTML page for a run's results.

Each statement gets its source, its verdict (styled by status) and, for
`prove` and `simplify`, the inputs, every rewrite step (rule, place, and the
diagram after it) and the normal forms, drawn by `draw.to_svg`.  The page
carries no script and loads nothing: the SVGs are inlined, so the file can be
mailed or archived as is.

matplotlib's SVGs are whole documents with their own ids (clip paths, groups);
several inlined into one page would clash, so each picture gets its ids
prefixed and its XML prologue dropped.
"""
from __future__ import annotations

import html
import re
from typing import Any, Iterable

from ..core.diagram import Diagram, Sum

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.4em; }
section.stmt { border: 1px solid #ddd; border-radius: 6px; padding: 0.8em 1.2em; margin: 1.2em 0; }
code.source { font-size: 1.05em; white-space: pre-wrap; }
.verdict { display: inline-block; font-weight: bold; padding: 0.1em 0.6em; border-radius: 4px;
           margin-left: 0.6em; }
.verdict.proved, .verdict.holds { background: #d9f2dd; color: #14621f; }
.verdict.refuted { background: #fadbd8; color: #8e1b10; }
.verdict.unknown { background: #fcf0cf; color: #7a5a00; }
.verdict.ok { background: #e4ecf7; color: #1f3f73; }
pre.output { background: #f7f7f7; padding: 0.5em; white-space: pre-wrap; }
ol.steps { padding-left: 1.5em; }
figure { margin: 0.6em 0; }
figure svg { max-width: 100%; height: auto; }
figcaption { font-size: 0.9em; color: #444; }
figcaption code { white-space: pre-wrap; }
.pictures { display: flex; flex-wrap: wrap; gap: 1.5em; align-items: flex-start; }
h3 { font-size: 1em; margin: 0.8em 0 0.2em; }
"""


def _esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


class Pictures:
    """Inline SVGs with ids unique on the page."""

    def __init__(self) -> None:
        self.count = 0

    def svg(self, x: Diagram | Sum, title: str, strip: Any = None) -> str:
        from .draw import to_svg

        self.count += 1
        prefix = f"p{self.count}-"
        text = to_svg(x, strip=strip)
        text = text[text.index("<svg"):]
        text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)
        text = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}{m.group(1)}"', text)
        text = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}{m.group(1)})", text)
        text = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}{m.group(1)}"', text)
        text = text.replace("<svg ", f'<svg class="diagram" role="img" aria-label="{_esc(title)}" ', 1)
        return text


def _figure(pics: Pictures, x: Any, caption_html: str, title: str, strip: Any = None) -> str:
    if x is None:
        return ""
    return f"<figure>{pics.svg(x, title, strip)}<figcaption>{caption_html}</figcaption></figure>"


def _strip() -> Any:
    """Pictures of one side's steps keep the places of surviving nodes."""
    from .draw import Strip

    return Strip()


def _text_of(x: Any) -> str:
    from .printer import format_diagram, format_sum

    return format_diagram(x) if isinstance(x, Diagram) else format_sum(x)


def _steps_html(pics: Pictures, steps: Iterable[Any], side: str | None, strip: Any = None) -> str:
    items = []
    for k, s in enumerate(steps, 1):
        where = s.where if isinstance(s.where, str) else ", ".join(s.where)
        head = f"<b>{_esc(s.rule)}</b>" + (f" at {_esc(where)}" if where else "")
        label = f"{side + ' ' if side else ''}step {k}: {s.rule}"
        pic = ""
        if getattr(s, "after", None) is not None:
            pic = _figure(pics, s.after, f"⇒ <code>{_esc(_text_of(s.after))}</code>", label, strip)
        items.append(f"<li class=\"step\">{head}{pic}</li>")
    if not items:
        return "<p>no steps: already in normal form</p>"
    return f"<ol class=\"steps\">{''.join(items)}</ol>"


def _statement(pics: Pictures, r: Any) -> str:
    parts = [f"<section class=\"stmt {_esc(r.verb)}\">",
             f"<div><code class=\"source\">{_esc(r.source)}</code>"
             f"<span class=\"verdict {_esc(r.status)}\">{_esc(r.status)}</span>"
             f" <small>line {int(r.line)}</small></div>",
             f"<pre class=\"output\">{_esc(r.text)}</pre>"]
    if r.status in ("error", "skipped"):  # nothing was computed: the message says why
        pass
    elif r.verb == "prove" and getattr(r, "verdict", None) is not None:
        v = r.verdict
        strips = {"left": _strip(), "right": _strip()}
        if r.left is not None and r.right is not None:
            parts.append("<h3>The two sides</h3><div class=\"pictures\">"
                         + _figure(pics, r.left, "left side", "left side", strips["left"])
                         + _figure(pics, r.right, "right side", "right side", strips["right"]) + "</div>")
        for side, steps in (("left", v.left_steps), ("right", v.right_steps)):
            if steps:
                parts.append(f"<h3>Steps on the {side} side</h3>")
                parts.append(_steps_html(pics, steps, side, strips[side]))
        if v.left_normal is not None and v.kind != "refuted":
            how = getattr(v, "how", "") or ""
            how = f" ({_esc(how)})" if how and how != "normal forms" else ""
            parts.append(f"<h3>Normal forms{how}</h3><div class=\"pictures\">"
                         + _figure(pics, v.left_normal,
                                   f"left: <code>{_esc(_text_of(v.left_normal))}</code>",
                                   "left normal form")
                         + _figure(pics, v.right_normal,
                                   f"right: <code>{_esc(_text_of(v.right_normal))}</code>",
                                   "right normal form") + "</div>")
    elif r.verb == "simplify":
        strip = _strip()
        if r.start is not None:
            parts.append("<h3>Start</h3>" + _figure(pics, r.start,
                                                    f"<code>{_esc(_text_of(r.start))}</code>",
                                                    "start", strip))
        parts.append("<h3>Steps</h3>" + _steps_html(pics, r.steps, None, strip))
        if r.value is not None:
            parts.append("<h3>Normal form</h3>" + _figure(
                pics, r.value, f"<code>{_esc(_text_of(r.value))}</code>", "normal form"))
    elif r.verb in ("show", "expand", "draw") and isinstance(r.value, (Sum, Diagram)):
        parts.append(_figure(pics, r.value, f"<code>{_esc(_text_of(r.value))}</code>", r.verb))
    parts.append("</section>")
    return "\n".join(parts)


def render_html(results: list[Any], title: str = "penrose-rewrite: proofs") -> str:
    """The page as a string (see the module docstring)."""
    pics = Pictures()
    body = "\n".join(_statement(pics, r) for r in results)
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "no statements"
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{_esc(title)}</title><style>{_CSS}</style></head>\n<body>"
            f"<h1>{_esc(title)}</h1><p class=\"summary\">{_esc(summary)}</p>\n"
            f"{body}\n</body></html>\n")


def write_html(results: list[Any], path: str) -> None:
    """Write the page of pictures for `results` (one session outcome per statement)."""
    from ..core.files import write_text

    write_text(path, render_html(results))
