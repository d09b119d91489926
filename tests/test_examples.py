"""Every example program runs, and every statement gives the verdict its comment states.

A statement in `examples/*.tn` may end with `# expect: VERDICT` (proved,
refuted, unknown, holds, ok).  The test runs the file through the same
`Session` the command line uses and checks each annotated statement, so the
examples double as an acceptance suite.
"""
import pathlib
import re

import pytest

from rewrite.run import Session

EXAMPLES = sorted((pathlib.Path(__file__).parent.parent / "examples").glob("*.tn"))
EXPECT = re.compile(r"#\s*expect:\s*(\w+)")


def expectations(text: str) -> dict[int, str]:
    out = {}
    for k, line in enumerate(text.splitlines(), 1):
        m = EXPECT.search(line)
        if m:
            out[k] = m.group(1)
    return out


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_gives_the_verdicts_its_comments_state(path, tmp_path):
    text = path.read_text(encoding="utf-8")
    expected = expectations(text)
    results = Session(out_dir=str(tmp_path)).run(text, str(path))
    got = {}
    for r in results:
        # a statement spanning several lines may carry its comment on any of them
        for line in range(r.line, max(r.line, r.end_line) + 1):
            if line in expected:
                got[line] = r.status
    assert expected, f"{path.name} states no expectations"
    for line, verdict in expected.items():
        assert got.get(line) == verdict, f"{path.name}:{line}: expected {verdict}, got {got.get(line)}"
