"""What is cached between runs - the analysed grammar and the built shipped
rules - is named by a hash of what it was made from, so the grammar and the
rule files stay the single source of truth; a damaged entry is rebuilt, never
trusted."""
import os
import subprocess
import sys

from rewrite.language import parse as P
from rewrite.rewriting import ruleset
from rewrite.rewriting.ruleset import LoadedRule, loaded, shipped_rules

# Matrix sugar is read by lark (the fast path takes only plain lines).
PROGRAM = "tensor A[i: 3, j: 3]\nprove A @ A == (A[i, j] A[j, k])[i, k]\n"


def run(tmp_path, cache) -> subprocess.CompletedProcess:
    src = tmp_path / "x.tn"
    src.write_text(PROGRAM, encoding="utf-8")
    env = {**os.environ, "REWRITE_CACHE_DIR": str(cache)}
    return subprocess.run([sys.executable, "-m", "rewrite", "run", str(src)], env=env,
                          capture_output=True, text=True, timeout=120)


def test_the_first_run_writes_the_cache_and_the_next_one_reads_it(tmp_path):
    cache = tmp_path / "cache"
    first = run(tmp_path, cache)
    (entry,) = cache.glob("tn-parser-*")
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
    (entry,) = cache.glob("tn-parser-*")
    data = entry.read_bytes()
    entry.write_bytes(data[: len(data) // 2])  # the hash line intact, the tables cut short
    again = run(tmp_path, cache)
    assert again.returncode == 0 and "proved" in again.stdout and again.stderr == ""
    assert entry.read_bytes() != data[: len(data) // 2]


# ------------------------------------------------------------- shipped rules


def fresh_load(monkeypatch):
    """The shipped rules as a new process would load them."""
    monkeypatch.setattr(ruleset, "_SHIPPED", {})
    return [r for name in ruleset.SHIPPED_FILES for r in shipped_rules(name)]


def test_the_shipped_rules_come_back_from_the_cache_as_built(tmp_path, monkeypatch):
    monkeypatch.setenv("REWRITE_CACHE_DIR", str(tmp_path))
    built = fresh_load(monkeypatch)
    assert len(list(tmp_path.glob("rules-*.pickle"))) == 1

    def no_building(*args, **kwargs):
        raise AssertionError("the rules were built again instead of read from the cache")

    monkeypatch.setattr(ruleset, "_load_text", no_building)
    cached = fresh_load(monkeypatch)
    assert cached == built and cached is not built
    # each rule keeps its class, as classifying it afresh gives
    assert [loaded(r).kind for r in cached] == [LoadedRule(r).kind for r in built]


def test_a_damaged_rules_cache_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("REWRITE_CACHE_DIR", str(tmp_path))
    built = fresh_load(monkeypatch)
    (entry,) = tmp_path.glob("rules-*.pickle")
    entry.write_bytes(entry.read_bytes()[:100])
    assert fresh_load(monkeypatch) == built
    assert len(entry.read_bytes()) > 100


def test_the_rules_cache_name_follows_the_rule_files(tmp_path, monkeypatch):
    monkeypatch.setenv("REWRITE_CACHE_DIR", str(tmp_path))
    texts = {name: f"# {name}\n" for name in ruleset.SHIPPED_FILES}
    changed = {**texts, "core": texts["core"] + "rule r(X: tensor): X[i] => X[i]\n"}
    assert ruleset._shipped_cache_path(texts) == ruleset._shipped_cache_path(dict(texts))
    assert ruleset._shipped_cache_path(texts) != ruleset._shipped_cache_path(changed)


def test_the_rules_cache_keeps_a_bounded_number_of_versions(tmp_path, monkeypatch):
    monkeypatch.setenv("REWRITE_CACHE_DIR", str(tmp_path))
    for k in range(ruleset.RULES_CACHE_ENTRIES + 3):
        old = tmp_path / f"rules-old{k:02d}.pickle"
        old.write_bytes(b"another version")
        os.utime(old, (1_000_000 + k, 1_000_000 + k))
    fresh_load(monkeypatch)
    kept = sorted(p.name for p in tmp_path.glob("rules-*.pickle"))
    assert len(kept) == ruleset.RULES_CACHE_ENTRIES
    assert "rules-old00.pickle" not in kept and "rules-old18.pickle" in kept
