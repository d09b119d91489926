"""Stated verdicts: `# expect: VERDICT` comments, checked like doctests.

A program documents what each statement must give by ending its line with
`# expect: proved` (or refuted, unknown, holds, ok; error and skipped for a
statement that fails in place or depends on one that did).  `rewrite run --expect`
then exits 0 exactly when every statement gives what its comment states, so a
file that deliberately refutes false identities (U U† = I for a non-square
isometry) can still be a green check in CI.  Statements without a comment keep
the default expectation: they must not be refuted or unknown.

The comment may sit on any line of a statement that spans several lines.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..core.errors import source_lines
from .session import BROKEN, FAILING, Outcome

VERDICTS = ("proved", "refuted", "unknown", "holds", "ok", "error", "skipped")
_EXPECT = re.compile(r"#\s*expect:\s*(\S+)")


@dataclass(frozen=True)
class Mismatch:
    line: int
    expected: str
    got: str | None

    def message(self, filename: str) -> str:
        if self.got is None:
            return (f"{filename}:{self.line}: expected {self.expected}, but no command is "
                    "on this line (a declaration gives no verdict: put the comment on the "
                    "prove, check or show that uses it)")
        if self.expected and self.expected not in VERDICTS:
            return (f"{filename}:{self.line}: `# expect: {self.expected}` is not a verdict "
                    f"(one of {', '.join(VERDICTS)})")
        if self.expected == "":
            return f"{filename}:{self.line}: {self.got} (no `# expect:` comment allows it)"
        return f"{filename}:{self.line}: expected {self.expected}, got {self.got}"


def expectations(text: str) -> dict[int, str]:
    """Line number → the verdict its `# expect:` comment states."""
    out = {}
    for k, line in enumerate(source_lines(text), 1):
        m = _EXPECT.search(line)
        if m:
            out[k] = m.group(1).rstrip(".,;").lower()
    return out


def check(text: str, results: list[Outcome]) -> tuple[int, list[Mismatch]]:
    """How many stated verdicts there are, and every statement that broke its word.

    An unknown verdict word is a mismatch too (it can never be met), so a typo
    like `# expect: proven` fails loudly instead of passing silently.
    """
    expected = expectations(text)
    seen: set[int] = set()
    mismatches: list[Mismatch] = []
    for r in results:
        lines = [k for k in range(r.line, max(r.line, r.end_line) + 1) if k in expected]
        if lines:
            for k in lines:
                seen.add(k)
                if expected[k] != r.status:
                    mismatches.append(Mismatch(k, expected[k], r.status))
        elif r.status in FAILING or r.status in BROKEN:
            mismatches.append(Mismatch(r.line, "", r.status))
    for k, verdict in expected.items():
        if k not in seen:
            mismatches.append(Mismatch(k, verdict, None))
    return len(expected), sorted(mismatches, key=lambda m: m.line)
