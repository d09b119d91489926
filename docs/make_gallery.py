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
    """One diagram to draw: `slug` names its file, `caption` says what it is."""

    slug: str
    line: int
    source: str
    value: object

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


def run_example(path: pathlib.Path) -> tuple[list[Outcome], list[Picture]]:
    """Run one program statement by statement, as `Session.run` does, keeping
    the diagrams worth a picture as they are defined (a later `let` may reuse
    a name, so they are taken when the statement runs, not at the end)."""
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
                    pictures.append(Picture(f"line{r.line}", r.line, r.source, r.value))
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
    return results, pictures


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
        results, pictures = run_example(path)
        output, code = render_text(results), exit_code(results)
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
        svg = to_svg(pic.value)
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
    sections = [section(p) for p in paths]
    PAGE.write_text("\n\n".join([HEADER, "\n".join(toc)] + sections) + "\n", encoding="utf-8")
    print(f"wrote {PAGE.relative_to(ROOT)} and {len(list(PICTURES.glob('*.svg')))} pictures")
    return 0


def _anchor(title: str) -> str:
    """The anchor GitHub gives a heading."""
    return re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")


if __name__ == "__main__":
    sys.exit(main())
