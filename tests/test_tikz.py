"""TikZ output compiles: a standalone document from `to_tikz` goes through
pdflatex and yields a PDF.  Skipped, saying why, where no LaTeX is installed
(CI installs Debian's texlive-latex-extra and texlive-pictures for it)."""
import shutil
import subprocess

import pytest

from rewrite.views.draw import to_tikz
from rewrite.app.session import Session

PROGRAM = """dim p = 2, chi
isometry L1[s: p -> b: chi]
isometry L2[a: chi, s: p -> b: chi]
tensor C[a: chi, s: p]
diagonal D[i: p, j: p]
let psi = L1[p1, b1] L2[b1, p2, b2] C[b2, p3]
"""

CASES = {
    "tensor train norm": "psi conj(psi)",
    "nested bubbles": "gelu(relu(C[a, s] conj(C)[a, t]) D[t, u])",
    "delta and sum": "δ[i: p, j, k] + δ[i: p, k, j]",
}


@pytest.mark.skipif(shutil.which("pdflatex") is None,
                    reason="pdflatex is not installed (Debian: texlive-latex-extra)")
@pytest.mark.parametrize("case", sorted(CASES))
def test_standalone_tikz_compiles_with_pdflatex(case, tmp_path):
    value = Session().last_value(PROGRAM + f"show {CASES[case]}\n", "tikz.tn")
    tex = tmp_path / "picture.tex"
    tex.write_text(to_tikz(value, standalone=True), encoding="utf-8")
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", tex.name],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-2000:]
    assert (tmp_path / "picture.pdf").stat().st_size > 0
