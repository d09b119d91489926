"""The analysed grammar is cached between runs, and the grammar file stays the
single source of truth: the cache's name carries a hash of the grammar text
(and of lark's version), and a damaged cache is rebuilt, never trusted."""
import os
import subprocess
import sys

from rewrite.language import parse as P

PROGRAM = "tensor A[i: 3, j: 3]\nprove tr(A) == A[i, i]\n"


def run(tmp_path, cache) -> subprocess.CompletedProcess:
    src = tmp_path / "x.tn"
    src.write_text(PROGRAM, encoding="utf-8")
    env = {**os.environ, "REWRITE_CACHE_DIR": str(cache)}
    return subprocess.run([sys.executable, "-m", "rewrite", "run", str(src)], env=env,
                          capture_output=True, text=True, timeout=120)


def test_the_first_run_writes_the_cache_and_the_next_one_reads_it(tmp_path):
    cache = tmp_path / "cache"
    first = run(tmp_path, cache)
    (entry,) = cache.iterdir()
    stamp = entry.stat().st_mtime_ns
    second = run(tmp_path, cache)
    assert first.returncode == second.returncode == 0
    assert "proved" in second.stdout and second.stdout == first.stdout
    assert entry.stat().st_mtime_ns == stamp  # loaded, not rebuilt


def test_the_cache_name_follows_the_grammar_text(tmp_path, monkeypatch):
    monkeypatch.setenv("REWRITE_CACHE_DIR", str(tmp_path))
    text = P.grammar_text()
    assert P._cache_file(text) == P._cache_file(text)
    assert P._cache_file(text) != P._cache_file(text + "\n// one more line\n")


def test_a_damaged_cache_is_rebuilt_silently(tmp_path):
    cache = tmp_path / "cache"
    run(tmp_path, cache)
    (entry,) = cache.iterdir()
    data = entry.read_bytes()
    entry.write_bytes(data[: len(data) // 2])  # the hash line intact, the tables cut short
    again = run(tmp_path, cache)
    assert again.returncode == 0 and "proved" in again.stdout and again.stderr == ""
    assert entry.read_bytes() != data[: len(data) // 2]
