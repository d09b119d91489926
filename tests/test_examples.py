"""Every example program runs, and every statement gives the verdict its comment states.

A statement in `examples/*.tn` may end with `# expect: VERDICT` (proved,
refuted, unknown, holds, ok).  The test runs the file through the same
`Session` the command line uses and checks each annotated statement (`rewrite.app.expect`, the same check as
`rewrite run --expect`), so the
examples double as an acceptance suite.
"""
import pathlib

import pytest

from rewrite.app.expect import check, expectations
from rewrite.app.session import Session

EXAMPLES = sorted((pathlib.Path(__file__).parent.parent / "examples").glob("*.tn"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_gives_the_verdicts_its_comments_state(path, tmp_path):
    text = path.read_text(encoding="utf-8")
    assert expectations(text), f"{path.name} states no expectations"
    results = Session(out_dir=str(tmp_path), keep_going=True).run(text, str(path))
    _, mismatches = check(text, results)
    assert not mismatches, "\n".join(m.message(path.name) for m in mismatches)
