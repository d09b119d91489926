"""The README's examples work when pasted: its REPL transcript replays, answer
for answer, and its "From Python" snippet runs."""
import os
import pathlib
import re

import pytest

from rewrite.app.repl import ReplState

ROOT = pathlib.Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def transcript() -> list[tuple[str, str]]:
    """(input, expected answer) pairs of the README's `tn> ` block."""
    block = next(b for b in re.findall(r"```\n(.*?)```", README, re.S) if b.startswith("tn> "))
    pairs: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith("tn> "):
            pairs.append((line[4:], []))
        else:
            pairs[-1][1].append(line)
    return [(i, "\n".join(o)) for i, o in pairs]


def test_readme_repl_transcript_replays_exactly(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    state = ReplState()
    for line, expected in transcript():
        got = state.handle(line).rstrip()
        assert got == expected.rstrip(), f"after `{line}`"
    assert (tmp_path / "proof.tn").exists()


def test_colon_commands_accept_trailing_comments():
    state = ReplState()
    state.handle("dim n\ntensor A[i: n, j: n]")
    state.handle("A[i, j] A[j, k]")
    assert state.handle(":show   # the current diagram") == state.handle(":show")


def test_hash_inside_a_quoted_file_name_is_not_a_comment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    state = ReplState()
    state.handle("dim n\ntensor A[i: n, j: n]")
    state.handle("A[i, j]")
    state.handle(':save "a #1.tn"  # keep it')
    assert (tmp_path / "a #1.tn").exists()


def python_snippet() -> str:
    i = README.index("## From Python")
    return re.search(r"```python\n(.*?)```", README[i:], re.S).group(1)


def test_readme_python_snippet_runs(monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT)
    code = python_snippet().replace('"out.svg"', repr(os.fspath(tmp_path / "out.svg")))
    exec(compile(code, "README.md", "exec"), {})
