"""Proofs as pictures: the HTML page, checked as text and rendered in a real
headless Chromium."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest

from rewrite.views.report import render_html, write_html
from rewrite.app.session import Drawn, Outcome, Session

PROGRAM = """\
dim n
invertible X[a: n, b: n]
tensor A[i: n, j: n]
unitary Q[a: n -> b: n]
prove A[i, j] X[j, k] inv(X)[k, l] Q[l, m] conj(Q)[p, m] == A[i, p]
prove A[i, j] == A[j, i]
simplify tr(A @ X @ inv(X))
"""


@pytest.fixture(scope="module")
def results() -> list[Outcome]:
    # Traced, as `rewrite run --html` runs it: every step keeps its diagram.
    return Session(trace=True).run(PROGRAM, "proofs.tn")


def svgs(page: str) -> list[str]:
    return re.findall(r"<svg\b.*?</svg>", page, flags=re.S)


def test_every_statement_has_its_source_and_styled_verdict(results):
    page = render_html(results)
    assert [r.status for r in results] == ["proved", "refuted", "ok"]
    for r in results:
        assert f'<code class="source">{r.source}</code>' in page
    assert '<span class="verdict proved">proved</span>' in page
    assert '<span class="verdict refuted">refuted</span>' in page


def test_a_proof_has_one_picture_per_step_plus_sides_and_normal_forms(results):
    proof = results[0]
    v = proof.verdict
    n_steps = len(v.left_steps) + len(v.right_steps)
    assert n_steps == 2
    page = render_html([proof])
    assert len(svgs(page)) == 2 + n_steps + 2
    for s in v.left_steps:
        assert f"<b>{s.rule}</b>" in page


def test_simplify_shows_start_steps_and_normal_form(results):
    page = render_html([results[2]])
    assert len(svgs(page)) == 1 + len(results[2].steps) + 1
    assert "Normal form" in page


def test_steps_without_diagrams_are_listed_without_pictures():
    untraced = Session().run(PROGRAM, "proofs.tn")[2]
    assert untraced.steps and all(s.after is None for s in untraced.steps)
    page = render_html([untraced])
    assert "<b>inverse</b>" in page
    assert len(svgs(page)) == 2  # start and normal form only


def test_svg_ids_are_unique_on_the_page(results):
    page = render_html(results)
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert ids and len(ids) == len(set(ids))
    for ref in re.findall(r"url\(#([^)]+)\)", page):
        assert ref in ids


def test_text_is_escaped():
    r = Drawn("draw", 1, "draw A[i] <b>", file="<script>alert(1)</script> & more")
    page = render_html([r])
    assert "<script>" not in page and "<b>" not in page.split("<body>")[1].split("<section")[1]
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page


def test_page_is_self_contained(results):
    page = render_html(results)
    assert "<?xml" not in page and "<!DOCTYPE svg" not in page
    assert not re.search(r'\b(src|href)="(https?:|//)', page)


def test_run_html_option_writes_the_page(tmp_path):
    prog = tmp_path / "p.tn"
    prog.write_text(PROGRAM, encoding="utf-8")
    out = tmp_path / "p.html"
    proc = subprocess.run([sys.executable, "-m", "rewrite", "run", str(prog), "--html", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1  # one statement is refuted
    assert out.read_text(encoding="utf-8").count('class="verdict') == 3


# --------------------------------------------------------- a real browser

_BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

# Added to a copy of the page by the test only: measures every drawn picture and
# writes the sizes into the DOM, which --dump-dom then prints.
_PROBE = """<script>
window.addEventListener('load', () => {
  const sizes = [...document.querySelectorAll('svg.diagram')].map(s => {
    const b = s.getBBox(), r = s.getBoundingClientRect();
    return {label: s.getAttribute('aria-label'), bbox: [b.width, b.height],
            box: [r.width, r.height], shapes: s.querySelectorAll('path').length};
  });
  const out = document.createElement('pre');
  out.id = 'probe';
  out.textContent = JSON.stringify(sizes);
  document.body.appendChild(out);
});
</script>"""


def _chromium() -> str | None:
    for name in _BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


def test_every_step_picture_renders_in_headless_chromium(results, tmp_path):
    browser = _chromium()
    if browser is None:
        pytest.skip("no chromium binary found (install Debian's 'chromium' to run this test)")
    page_path = tmp_path / "proofs.html"
    write_html(results, str(page_path))
    page = page_path.read_text(encoding="utf-8")
    expected = len(svgs(page))
    probed = tmp_path / "probed.html"
    probed.write_text(page.replace("</body>", _PROBE + "</body>"), encoding="utf-8")
    proc = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
         "--virtual-time-budget=2000", "--dump-dom", probed.as_uri()],
        capture_output=True, text=True, timeout=120)
    m = re.search(r'<pre id="probe">(.*?)</pre>', proc.stdout, flags=re.S)
    assert m, f"the page did not load: {proc.stderr[-2000:]}"
    sizes = json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert len(sizes) == expected
    labels = [s["label"] for s in sizes]
    assert sum(1 for l in labels if "step" in l) == sum(
        len(r.verdict.left_steps) + len(r.verdict.right_steps) for r in results if r.verb == "prove"
    ) + len(results[2].steps)
    for s in sizes:
        assert min(s["bbox"]) > 0 and min(s["box"]) > 0, s
        assert s["shapes"] > 0, s
