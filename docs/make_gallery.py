"""Regenerate docs/gallery.md and the pictures under docs/gallery/.

    python docs/make_gallery.py

For every example program `examples/*.tn` the page shows its text, the command
that runs it, the command's output and pictures drawn by the tool itself.  The
output comes from the same `Session` and `render_text` the command line uses,
so the page cannot drift from what a user sees; re-run this script whenever an
example or the printer changes and commit the result.

Which diagrams get a picture is decided by the example text, not by this
script: every named diagram (`let`), every `show`, `draw` and `simplify`
statement (for `simplify`, the input and its normal form) and every `paths`
statement (the sum of its path terms).  A file with none of
those gets the two sides of its first `prove`.  So an example author asks for a
picture by naming or showing the diagram.
"""
from __future__ import annotations

import os
import pathlib
import re
import sys
import tempfile
from dataclasses import dataclass

from rewrite.language import syntax as S
from rewrite.views.draw import to_svg
from rewrite.core.errors import InputError
from rewrite.language.parse import parse
from rewrite.app.session import Outcome, Session, exit_code, render_text

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
PAGE = ROOT / "docs" / "gallery.md"
PICTURES = ROOT / "docs" / "gallery"


@dataclass(frozen=True)
class Picture:
    """One diagram to draw: `slug` names its file, `caption` says what it is;
    `arrange` as `rewrite draw --arrange` (a path expansion's terms are
    alternatives to study, drawn side by side, not the layers of a backbone)."""

    slug: str
    line: int
    source: str
    value: object
    arrange: str = "auto"

    @property
    def caption(self) -> str:
        return f"line {self.line}: `{self.source}`"

    @property
    def alt(self) -> str:
        return f"diagram of line {self.line}"


def _slug(text: str) -> str:
    """A file-name-safe version of a name (Greek letters and all)."""
    ascii_ = text.encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9_]+", "-", ascii_).strip("-") or "x"


def _source_line(text: str, line: int) -> str:
    src = text.splitlines()[line - 1]
    return src.split("#", 1)[0].strip()


def run_example(path: pathlib.Path) -> tuple[list[Outcome], list[Picture], str]:
    """Run one program statement by statement, as `Session.run` does, keeping
    the diagrams worth a picture as they are defined (a later `let` may reuse
    a name, so they are taken when the statement runs, not at the end).
    Also returns the scratch folder `draw` statements wrote into, so that
    the page can leave it out of their messages (it differs every run)."""
    text = path.read_text(encoding="utf-8")
    filename = f"examples/{path.name}"
    with tempfile.TemporaryDirectory() as scratch:  # where `draw` statements write
        session = Session(out_dir=scratch)
        results: list[Outcome] = []
        pictures: list[Picture] = []
        proofs: list[Outcome] = []
        for stmt in parse(text, filename):
            if isinstance(stmt, S.Command):
                r = session.command(stmt, text)
                results.append(r)
                if r.verb in ("show", "draw", "paths"):
                    pictures.append(Picture(f"line{r.line}", r.line, r.source, r.value,
                                            "terms" if r.verb == "paths" else "auto"))
                elif r.verb == "simplify":
                    pictures.append(Picture(f"line{r.line}", r.line, r.source, r.start))
                    pictures.append(Picture(f"line{r.line}-normal-form", r.line,
                                            "its normal form, " + r.text.splitlines()[0], r.value))
                elif r.verb == "prove":
                    proofs.append(r)
            else:
                session.declare(stmt, text, filename)
                if isinstance(stmt, S.LetStmt):
                    pictures.append(Picture(f"{_slug(stmt.name)}-line{stmt.line}", stmt.line,
                                            _source_line(text, stmt.line),
                                            session.env.lets[stmt.name]))
    if not pictures and proofs:
        first = proofs[0]
        left, right = first.left, first.right
        pictures = [Picture(f"line{first.line}-left", first.line,
                            "left side of " + first.source, left),
                    Picture(f"line{first.line}-right", first.line, "its right side", right)]
    return results, pictures, scratch


def _title(text: str, stem: str) -> str:
    first = text.splitlines()[0] if text else ""
    if first.startswith("#"):
        return first.lstrip("# ").split(" (")[0].rstrip(".")
    return stem.replace("_", " ")


def _fence(body: str, lang: str = "") -> str:
    ticks = "````" if "```" in body else "```"
    return f"{ticks}{lang}\n{body.rstrip()}\n{ticks}"


def section(path: pathlib.Path) -> str:
    text = path.read_text(encoding="utf-8")
    stem = path.stem
    try:
        results, pictures, scratch = run_example(path)
        output, code = render_text(results).replace(scratch + os.sep, ""), exit_code(results)
    except InputError as e:  # shown as the command line shows it, not hidden
        output, code, pictures = e.format(), 2, []
    out = [f"## {_title(text, stem)}", "",
           f"[`examples/{path.name}`](../examples/{path.name})", "",
           _fence(text, "text"), "",
           "Command:", "", _fence(f"rewrite run examples/{path.name}", "sh"), "",
           f"Output (exit code {code}):", "",
           _fence(output, "text"), ""]
    drawn: set[str] = set()  # `let M` then `show M` would draw the same picture twice
    for pic in pictures:
        svg = to_svg(pic.value, arrange=pic.arrange)
        if svg in drawn:
            continue
        if not drawn:
            out += ["Pictures drawn by `rewrite.views.draw`:", ""]
        drawn.add(svg)
        name = f"{stem}-{pic.slug}.svg"
        (PICTURES / name).write_text(svg, encoding="utf-8")
        out += [f"{pic.caption}", "", f"![{pic.alt}](gallery/{name})", ""]
    return "\n".join(out)


HEADER = """# Gallery

Every example program in `examples/`, run through the tool: the program, the
command, what it prints, and pictures of its main diagrams drawn by the tool
itself (`rewrite.views.draw`).  Each statement's comment `# expect: VERDICT` is the
verdict the test suite (`tests/test_examples.py`) requires of it.  The examples
show what is false as well as what is true, so most contain a `refuted`
statement and the command exits with 1 (see [the language reference](language.md), "Verdicts and exit
codes").

This page is generated by `python docs/make_gallery.py`; edit the examples, not
this page.
"""


# The pictures the measures are reported for: (title, example, expression, boxed).
MEASURED = [
    ("PEPS norm, 3×3", "networks", "peps_norm", False),
    ("tree tensor network norm", "networks", "tree_norm", False),
    ("MPO·MPS sandwich", "networks", "sandwich", False),
    ("Tucker", "networks", "tucker", False),
    ("attention block", "transformers", "attention", False),
    ("transformer layer, attention then MLP", "transformers", "layer", False),
    ("induction head network", "induction_head", "out", False),
    ("two-layer transformer, lets boxed", "path_expansion", "out", True),
    ("two-layer transformer, inlined", "path_expansion", "out", False),
    ("two-layer transformer, frozen attention", "path_expansion", "frozen", False),
]

MEASURED_INTRO = """## Pictures, measured

Every picture can be checked without looking at it: `rewrite draw EXPR --decl
FILE --stats` (or `Diagram.stats()` in Python) counts wire crossings, node
overlaps, wires running through nodes they do not touch and labels inside a
box they do not belong to, and gives the size in points (the SVG's units).
These are the numbers for the standard structures; the pictures follow the
table and appear again with their examples below.

The transformers are drawn as the seed draws them, with the residual stream
as a backbone: the embedding on top, one vertical line below it with a blue +
for every block in layer order, each block (an attention head) to the right
of its + with its open legs wired into it, and the model's open legs leaving
the last +.  Between two + nodes the line carries all the stream's legs at
once, so it is drawn thick, like a fused leg.  A block reads pasted copies of
the stream (the seed's pink tensors), so the two-layer model's second layer
holds three copies of `r = x + h1`: kept whole with `--boxes`, inlined as Σ
boxes without.  `rewrite draw --arrange terms` draws the same sums with their
terms side by side."""

PEPS_NOTE = """A PEPS norm of 3×3 sites or more cannot be drawn without crossings: its
graph, the grid P_L × P_L doubled into two layers joined site by site
(P_L × P_L × P_2), is not planar for L ≥ 3 (networkx's `check_planarity`
says so, and `tests/test_pictures.py` checks it).  The picture is the one
drawn by hand in the field: the ket grid, the bra grid behind it shifted down
and to the right, the physical wires short between them.  A wire only ever
crosses a wire of the other layer (a ket bond crosses a bra bond; the
physical wires cross nothing), nothing overlaps, and the crossings are two
per plaquette, 2 (L − 1)², the bound the tests assert.  The 2×2 norm is the
cube graph, which is planar: its bra is drawn as a bigger square around the
ket, with no crossing.  (A 2×N norm, N ≥ 3, is planar too but is drawn as a
double layer, with 2 (N − 1) crossings.)"""


def _measured_value(example: str, expr: str, boxed: bool):
    session = Session()
    session.load_declarations((EXAMPLES / f"{example}.tn").read_text(encoding="utf-8"), f"{example}.tn")
    return session.last_value(expr, "<expr>", boxes=boxed)


def _peps_norm(side: int):
    """A side × side PEPS norm, built like tests/networks.py builds it."""
    sys.path.insert(0, str(ROOT / "tests"))
    import networks

    decls, expr = networks.peps(side, side)
    session = Session()
    session.load_declarations(decls, "peps.tn")
    return session.last_value(expr, "<expr>")


def measured() -> str:
    """The table of crossings and sizes of the standard pictures, their
    pictures, and the PEPS norms' crossings by size."""
    from rewrite.views.measure import picture_stats

    rows = ["| picture | expression | crossings | overlaps | wires through nodes | foreign labels | size (pt) |",
            "| --- | --- | --- | --- | --- | --- | --- |"]
    pics = []
    for n, (title, example, expr, boxed) in enumerate(MEASURED):
        value = _measured_value(example, expr, boxed)
        st = picture_stats(value)
        shown = f"`{expr}`" + (" boxed" if boxed else "") + f" in `examples/{example}.tn`"
        rows.append(f"| {title} | {shown} | {st.crossings} | {st.overlaps} | {st.wires_through_nodes} "
                    f"| {st.foreign_labels} | {st.width:.0f} × {st.height:.0f} |")
        name = f"measured-{n}-{_slug(title)}.svg"
        (PICTURES / name).write_text(to_svg(value), encoding="utf-8")
        pics += [f"{title}:", "", f"![{title}](gallery/{name})", ""]
    peps = ["| PEPS norm | planar | crossings | bound 2 (L − 1)² | overlaps | size (pt) |",
            "| --- | --- | --- | --- | --- | --- |"]
    for side in range(2, 7):
        st = picture_stats(_peps_norm(side))
        planar = "yes" if side == 2 else "no"
        bound = 0 if side == 2 else 2 * (side - 1) ** 2
        peps.append(f"| {side}×{side} | {planar} | {st.crossings} | {bound} | {st.overlaps} "
                    f"| {st.width:.0f} × {st.height:.0f} |")
    return "\n".join([MEASURED_INTRO, "", *rows, "", PEPS_NOTE, "", *peps, "", *pics])


# The seed document's order; examples not listed follow alphabetically.
SEED_ORDER = ["language_tour", "operations", "contractions", "special_tensors",
              "decompositions", "tensor_train", "networks", "neural_networks", "transformers",
              "path_expansion", "induction_head"]


def _reading_order(path: pathlib.Path) -> tuple[int, str]:
    stem = path.stem
    return (SEED_ORDER.index(stem) if stem in SEED_ORDER else len(SEED_ORDER), stem)


def main() -> int:
    PICTURES.mkdir(parents=True, exist_ok=True)
    for old in PICTURES.glob("*.svg"):
        old.unlink()
    paths = sorted(EXAMPLES.glob("*.tn"), key=_reading_order)
    toc = ["## Contents", ""] + [f"- [{_title(p.read_text(encoding='utf-8'), p.stem)}]"
                                  f"(#{_anchor(_title(p.read_text(encoding='utf-8'), p.stem))})"
                                  for p in paths]
    toc.insert(2, "- [Pictures, measured](#pictures-measured)")
    sections = [measured()] + [section(p) for p in paths]
    PAGE.write_text("\n\n".join([HEADER, "\n".join(toc)] + sections) + "\n", encoding="utf-8")
    print(f"wrote {PAGE.relative_to(ROOT)} and {len(list(PICTURES.glob('*.svg')))} pictures")
    return 0


def _anchor(title: str) -> str:
    """The anchor GitHub gives a heading."""
    return re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")


if __name__ == "__main__":
    sys.exit(main())
