"""Every example's TikZ pictures and LaTeX formulas compile with pdflatex.

Names like W1 and L1 are everywhere in this field; a writer that produces
`L_{1}_{ab}` fails only when someone compiles it, so this test compiles all of
them in one document.  It is skipped, with the reason, where pdflatex is not
installed (Debian: texlive-latex-base texlive-latex-extra texlive-pictures).
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from rewrite.app.session import Session
from rewrite.language import syntax as S
from rewrite.language.parse import parse
from rewrite.views.draw import to_tikz
from rewrite.views.export import export

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("pdflatex") is None,
                                reason="pdflatex is not installed (texlive-latex-base, texlive-pictures)")


def named_values():
    """Every `let` of every example, by (file, name)."""
    for path in sorted((ROOT / "examples").glob("*.tn")):
        text = path.read_text(encoding="utf-8")
        session = Session()
        session.load_declarations(text, path.name)
        for stmt in parse(text, path.name):
            if isinstance(stmt, S.LetStmt):
                yield f"{path.name}:{stmt.name}", session.last_value(stmt.name, "<expr>")


def compile_document(tmp_path: Path, body: list[str]) -> subprocess.CompletedProcess:
    doc = ("\\documentclass{article}\n\\usepackage{amsmath}\n\\usepackage{tikz}\n"
           "\\usepackage[paperwidth=200cm,paperheight=200cm]{geometry}\n\\begin{document}\n"
           + "\n\n".join(body) + "\n\\end{document}\n")
    (tmp_path / "all.tex").write_text(doc, encoding="utf-8")
    return subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "all.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)


def test_every_example_tikz_picture_and_tex_formula_compiles(tmp_path):
    body = []
    for label, value in named_values():
        body.append(f"% {label}\n" + to_tikz(value))
        body.append(f"% {label}\n\\[ {export(value, 'tex').strip()} \\]")
    run = compile_document(tmp_path, body)
    errors = [line for line in run.stdout.splitlines() if line.startswith("!")]
    assert run.returncode == 0, "\n".join(errors[:5]) or run.stdout[-2000:]
