"""Hostile inputs for `rewrite`, run as a user runs it: one subprocess each.

Shared by `tests/test_fuzz.py` (a modest count in CI) and
`benchmarks/fuzz.py` (10^4 inputs, a table of outcomes).  Three families:

* grammar: statements drawn by hypothesis's `from_lark` from the language's
  own grammar (`grammar/tn.lark`), with our strategies for names (declared,
  undeclared, keywords of Python and of the language, Greek, names Python
  reads alike), numbers, strings and comments, after a header of
  declarations so that many statements get past name resolution;
* mutation: excerpts of the programs of `examples/` (their declarations
  and a few commands) with bytes deleted, duplicated,
  swapped or inserted (brackets, quotes, NUL, a byte-order mark, invalid
  UTF-8), numbers made huge or zero, lines truncated;
* resource: deep nesting, huge sizes, long files and lines, and bad paths
  (directories, devices, missing folders, binary files) for every place a
  file is read or written.

Every input is run by `run_case`, under a timeout and an address-space
limit so that a hang or a runaway allocation is an outcome, not a stuck
machine.  `outcome()` names what happened; a bug is exit code 3 (internal
error), a traceback in the output, any other unexpected exit, or a timeout.
"""
from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.tn"))
MEMORY_LIMIT = 2 * 2**30  # address space of one run: a runaway allocation fails fast
BUGS = ("exit 3", "traceback", "timeout", "other exit")


@dataclass
class Case:
    """One input: the command's arguments (files named relative to a fresh
    folder it runs in), the files to create there, and text for stdin."""

    args: list[str]
    files: dict[str, bytes] = field(default_factory=dict)
    stdin: str = ""
    family: str = ""

    def reproducer(self) -> str:
        """Shell lines that recreate and run this input."""
        lines = []
        for name, data in self.files.items():
            lines.append(f"printf %b {_shell_bytes(data)} > {name}")
        cmd = "rewrite " + " ".join(_quote(a) for a in self.args)
        if self.stdin:
            cmd = f"printf %b {_shell_bytes(self.stdin.encode())} | {cmd}"
        return "\n".join(lines + [cmd])


@dataclass
class Result:
    case: Case
    code: int | None  # None: timed out
    out: str

    @property
    def outcome(self) -> str:
        if self.code is None:
            return "timeout"
        if "Traceback (most recent call last)" in self.out:
            return "traceback"
        if self.code in (0, 1, 2):
            return f"exit {self.code}"
        if self.code == 3:
            return "exit 3"
        return "other exit"

    @property
    def is_bug(self) -> bool:
        return self.outcome in BUGS


def _limit_memory() -> None:  # pragma: no cover - runs in the child
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_case(case: Case, timeout: float = 30.0) -> Result:
    """Run `python -m rewrite ARGS` in a fresh folder holding the case's files."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1",
           "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg",
           "PENROSE_REWRITE_HISTORY": os.devnull}
    env.pop("REWRITE_DEBUG", None)
    with tempfile.TemporaryDirectory(prefix="tn-fuzz-") as tmp:
        for name, data in case.files.items():
            Path(tmp, name).write_bytes(data)
        try:
            r = subprocess.run([sys.executable, "-m", "rewrite", *case.args], cwd=tmp,
                               input=case.stdin.encode("utf-8", "surrogateescape"),
                               capture_output=True, timeout=timeout, env=env,
                               preexec_fn=_limit_memory if os.name == "posix" else None)
        except subprocess.TimeoutExpired as e:
            out = (e.stdout or b"") + (e.stderr or b"")
            return Result(case, None, out.decode("utf-8", "replace")[-2000:])
    out = (r.stdout + r.stderr).decode("utf-8", "replace")
    return Result(case, r.returncode, out[-4000:])


# ------------------------------------------------------------------- commands

# What a user may do with a program file P: every subcommand that reads one.
COMMANDS: list[list[str]] = [
    ["run", "P"], ["run", "P", "--json"], ["show", "P"], ["prove", "P"], ["check", "P"],
    ["simplify", "P"], ["cost", "P"], ["export", "P", "--to", "numpy"],
    ["export", "P", "--to", "tex"], ["draw", "P", "-o", "out.svg"], ["repl"],
]


def with_command(text: bytes, pick: int, family: str) -> Case:
    """The program as file `p.tn` given to one of `COMMANDS` (the REPL reads it
    from stdin)."""
    args = COMMANDS[pick % len(COMMANDS)]
    if args == ["repl"]:
        return Case(["repl"], {}, text.decode("utf-8", "replace"), family)
    return Case([a if a != "P" else "p.tn" for a in args], {"p.tn": text}, "", family)


# -------------------------------------------------------------------- grammar

HEADER = """dim n, m
dim d = 3
tensor A[i: n, j: n]
tensor B[i: n, j: m]
real tensor v[i: n]
isometry U[a: n -> b: m]
unitary Q[a: n -> b: n]
invertible X[a: n, b: n]
symmetric S[i: n, j: n]
diagonal D[i: n, j: n]
"""

NAMES = ["A", "B", "v", "U", "Q", "X", "S", "D", "n", "m", "d", "i", "j", "k", "a", "b",
         "α", "β", "δ", "Z", "lambda", "np", "result", "None", "tensor", "dim", "ﬁ", "x_1"]
FUNCS = ["relu", "gelu", "conj", "inv", "diag", "tr", "exp", "tanh", "sigmoid", "softmax",
         "eye", "einsum", "kron", "delta", "δ", "diff", "shift", "tril", "triu", "frob"]
NUMBERS = ["0", "1", "2", "3", "0.5", "1e3", "1e400", "99999999999999999999", "1e-300"]
STRINGS = ["'i j -> j i'", "'i j, j k -> i k'", '"pic.svg"', '"pic.pdf"', "''", '""',
           '"/nonexistent/x.svg"', "'('"]
COMMENTS = ["", "", "", " # a comment", " # expect: proved", " # expect: refuted", " #"]


def grammar_statements():
    """A hypothesis strategy for one statement of the language, from its grammar."""
    from hypothesis import strategies as st
    from hypothesis.extra.lark import from_lark
    from lark import Lark

    from rewrite.language.parse import grammar_text

    starts = ["dim_stmt", "decl_stmt", "let_stmt", "rule_stmt", "cmd_stmt", "prove_stmt",
              "draw_stmt", "expr_stmt"]
    grammar = Lark(grammar_text(), parser="lalr", lexer="contextual", start=starts)
    # Tokens padded with spaces, so that juxtaposed names stay two names.
    explicit = {
        "NAME": st.sampled_from(NAMES).map(lambda s: f" {s} "),
        "FUNC": st.sampled_from(FUNCS).map(lambda s: f" {s}"),
        "INT": st.sampled_from(["0", "1", "2", "3", "7", "100000"]).map(lambda s: f" {s} "),
        "NUMBER": st.sampled_from(NUMBERS).map(lambda s: f" {s} "),
        "STRING": st.sampled_from(STRINGS),
        # Comments run to the end of the line: they are added after statements.
        "COMMENT": st.just(" "),
        "WS": st.just(" "),
        "LINE_CONT": st.sampled_from([" ", "\\\n"]),
    }
    return st.one_of([from_lark(grammar, start=s, explicit=explicit) for s in starts])


def grammar_programs():
    """Programs: the header, then one to three generated statements, each
    perhaps with a comment after it."""
    from hypothesis import strategies as st

    line = st.tuples(grammar_statements(), st.sampled_from(COMMENTS)).map(lambda t: t[0] + t[1])
    return st.lists(line, min_size=1, max_size=3).map(lambda ls: HEADER + "\n".join(ls) + "\n")


# ------------------------------------------------------------------- mutation

_INSERTS = ["(", ")", "[", "]", ",", ":", "@", "*", "-", "->", "=>", "==", "#", '"', "'",
            "\\\n", "\n", "\t", "\x00", "\ufeff", "δ", "α", "ﬁ", "0", "1e400", " relu(",
            " conj(", " inv(", "…", "\r"]


def mutate(text: str, rng: random.Random, rounds: int = 3) -> bytes:
    """`text` with a few random edits; sometimes the bytes are made invalid UTF-8."""
    for _ in range(rng.randint(1, rounds)):
        n = len(text)
        op = rng.randrange(8)
        a = rng.randrange(n + 1)
        b = min(n, a + rng.randint(1, 40))
        if op == 0:                                   # delete a span
            text = text[:a] + text[b:]
        elif op == 1:                                 # insert a token
            text = text[:a] + rng.choice(_INSERTS) + text[a:]
        elif op == 2:                                 # duplicate a span
            text = text[:b] + text[a:b] + text[b:]
        elif op == 3:                                 # swap two lines
            lines = text.split("\n")
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
        elif op == 4:                                 # change a number
            text = re.sub(r"\b\d+\b", lambda m: rng.choice(
                [m.group(0), "0", "1", "99999", "10000000000000000"]), text, count=rng.randint(1, 5))
        elif op == 5:                                 # rename a name
            names = re.findall(r"[^\W\d]\w*", text)
            if names:
                old = rng.choice(names)
                text = re.sub(rf"\b{re.escape(old)}\b", rng.choice(NAMES), text)
        elif op == 6:                                 # truncate
            text = text[:a]
        else:                                         # keep one statement's worth
            lines = text.split("\n")
            k = rng.randrange(len(lines))
            text = "\n".join(lines[:k] + lines[k + 1:])
    data = text.encode("utf-8")
    if rng.random() < 0.05 and data:
        k = rng.randrange(len(data))
        data = data[:k] + b"\xff" + data[k:]
    return data


_DECLARATION = re.compile(r"\s*(dim|real|tensor|isometry|unitary|invertible|symmetric|diagonal"
                          r"|let|rule)\b")


def excerpt(source: str, rng: random.Random, commands: int = 4) -> str:
    """An example's declarations and a few of its commands in a row: a whole
    example file is a minute of proofs, which would hide a hang among them."""
    lines = source.split("\n")
    keep = [l for l in lines if _DECLARATION.match(l)]
    rest = [l for l in lines if l.strip() and not _DECLARATION.match(l)]
    k = rng.randrange(max(1, len(rest) - commands + 1))
    return "\n".join(keep + rest[k:k + commands]) + "\n"


def mutated_case(seed: int) -> Case:
    """A mutated excerpt of an example program, given to a command chosen by `seed`."""
    rng = random.Random(seed)
    source = excerpt(rng.choice(EXAMPLES).read_text(encoding="utf-8"), rng)
    return with_command(mutate(source, rng), rng.randrange(len(COMMANDS)), "mutation")


# ---------------------------------------------------------------- adversarial

# One statement each, after HEADER: what a demanding new user tries across the
# whole language (LANGUAGE.md §1-§10): zero, negative, huge and NaN-like sizes
# and numbers, every function called in odd ways, kinds that cannot be met,
# names colliding with functions, kinds and keywords, rules whose sides
# disagree or loop, broken brackets and strings, invisible and look-alike
# characters.  Each must end in a result or a located input error.
ADVERSARIAL: list[str] = r"""
show A
show A[i, j] A[j, k] A[k, i]
show A[i, i, i]
show A[i]
show A[i, j, k]
show v[i] v[i] v[i] v[i]
show 0
show 0 A[i, j]
show 1
show -A[i, j]
show A[i, j] - - A[i, j]
show --A[i,j]
show 2 * 3 * A[i, j]
show A[i,j] * B[j,k]
show 1/0 A[i,j]
show 0/0 A[i, j]
show 1e400 A[i, j]
show 1e-400 A[i,j]
show 99999999999999999999999999999999999 A[i,j]
show nan A[i,j]
show inf A[i,j]
show A[i, j] + B[i, j]
show A[i, j] + v[i]
show A[i, j] + A[j, i]
show A + A.T
show A.T.T.T.H
show A @ A @ A @ v
show v @ v
show v @ A
show A @ B
show tr(v)
show tr(A @ A)
show tr(tr(A))
show kron()
show kron(A)
show kron(A, B, A)
show eye(0)
show eye(-1)
show eye(n*n)
show eye(n) @ eye(m)
show δ[i]
show δ[]
show δ[i, j]
show delta[i: n, j: m]
show δ[i: 0, j]
show A[(i j), k]
show A[(i: 2 j), k]
show A[(i: 0 j), k]
show A[i, j] -> [j, i]
show A[i, j] -> [k]
show A[i, j] -> [i, i]
show A[i, j] -> []
show A[i, j] -> [(i j)]
show A[i, j] -> [((i j))]
show A[i,j] -> [i, j] -> [j, i]
show einsum('ij,jk->ik', A, A)
show einsum('ij,jk->ik', A)
show einsum('ii->i', A)
show einsum('i j, j k -> i k', A, A)
show einsum('...', A)
show einsum('', A)
show einsum(A, 'i j -> (i j)')
show einsum(A, 'i j -> ')
show einsum(A, v, 'i j, j -> i')
show einsum('ij->ij->ij', A)
show einsum('ab', 1)
show relu(A[i, j])
show relu()
show relu(A[i, j], B[i, j])
show softmax[k](A[q, k])
show softmax[z](A[q, k])
show softmax(A[q, k])
show softmax[k]()
show exp(log(sqrt(abs(sign(v[i])))))
show pow(v[i], 2)
show pow(v[i], 0)
show pow(v[i], -1)
show pow(v[i], 1e308)
show pow(v[i], n)
show pow(v[i])
show pow(v[i], 2, 3)
show tanh''(v[i])
show tanh'''''''''(v[i])
show relu'(v[i])
show foo'(v[i])
show diff(v[i], v)
show diff(v[i], A)
show diff(diff(relu(A[i,j] v[j]), v), v)
show diff(v[i] v[i], v)
show diff(conj(v)[i] v[i], v)
show diff(A, A)
show diff(v[i], conj(v))
show diff(v[i], 2)
show inv(A)
show inv(X)
show inv(X @ X)
show inv(X @ A)
show inv(U)
show inv(Q)
show inv(inv(inv(X)))
show inv(v)
show inv(X -> [b, a])
show inv(X[a,b] X[b,c] -> [a, c])
show inv(eye(n))
show inv(0)
show conj(conj(conj(A)))
show conj(2)
show conj(v)[i]
show conj(relu(v[i]))
show (A[i, j])[j, i]
show (A[i, j] + B[i, j])[a, b]
show (A @ B)[x, y]
show (v[i])[i]
show ((((((((((v[i]))))))))))
show A[i, j] B[j, k] C[k, l]
show n
show n A[i, j]
show d A[i, j]
show n*m A[i, j]
show tril(n)
show shift(n) @ triu(n)
show ones(n)
show ones(0)
expand (A[i,j] + B[i,j]) (A[j,k] + B[j,k])
expand A[i,j]
expand 0
cost A @ A @ A
cost v[i] v[i]
cost 0
cost n
paths A @ v
paths 0
draw A @ v
simplify conj(U)[a, b] U[a, c]
simplify U[a, b] conj(U)[c, b]
simplify X[a,b] inv(X)[b,c]
simplify Q[a, b] conj(Q)[c, b]
simplify S[i, j] - S[j, i]
simplify δ[i, i]
simplify δ[i: n, i]
simplify δ[i: n, j] δ[j, i]
prove A == A
prove A[i, j] == A[j, i]
prove A[i, j] == B[i, j]
prove v[i] == v[j]
prove A[i, j] == v[i]
prove 0 == 0
prove 0 == A[i, j]
prove 1 == 1
prove 2 == 3
prove n == n
prove n == m
prove n A[i,j] == m A[i,j]
prove tr(A @ B) == tr(B @ A)
prove tr(A @ B @ A) == tr(B @ A @ A)
prove S[i, j] == S[j, i]
prove δ[i, i] == n
prove δ[i: n, i] == d
prove relu(2 v[i]) == 2 relu(v[i])
prove relu(v[i] + v[i]) == relu(v[i]) + relu(v[i])
prove exp(log(v[i])) == v[i]
prove sqrt(v[i]) sqrt(v[i]) -> [i] == v[i]
prove abs(v[i]) == v[i]
prove sign(v[i]) abs(v[i]) -> [i] == v[i]
prove inv(X @ X) == inv(X) @ inv(X)
prove inv(X.T) == inv(X).T
prove inv(Q) == Q.H
prove conj(U)[a, b] U[a, c] == δ[b, c]
prove U[a, b] conj(U)[c, b] == δ[a, c]
prove 1.0000000001 A[i, j] == A[i, j]
prove 1e-300 A[i,j] == 0
prove (n-2)(n-3) A[i,j] == 0 A[i,j]
prove A[i, j] == A[i, j] -> [j, i]
prove A == A.T
prove A @ A == A
prove A[i,j] + B[i,j] == B[i,j] + A[i,j]
prove A[i,j] + B[i,j] == B[j,i] + A[j,i]
prove pow(v[i], 2) == v[i] v[i] -> [i]
prove pow(v[i], -1) v[i] -> [i] == ones(n)[i]
prove diff(v[i] v[i], v)[j] == 2 v[j]
prove einsum('ij,jk->ik', A, B) == A @ B
prove kron(eye(2), eye(3)) == eye(6)
prove kron(eye(n), eye(m)) == eye(n*m)
prove kron(A, B) == kron(B, A)
check A[i, j] == A[j, i]
check A == A
check v[i] == 1e308 v[i]
check 1e308 v[i] == 1e308 v[i]
check 1e200 v[i] v[i] == 1e200 v[i] v[i]
check relu(1e300 v[i]) == 1e300 relu(v[i])
check exp(1000 v[i]) == exp(1000 v[i])
check log(0 v[i]) == log(0 v[i])
check sqrt(-1 v[i] v[i] -> [i]) == sqrt(-1 v[i] v[i] -> [i])
check pow(0 v[i], -1) == pow(0 v[i], -1)
check 0 == 0
rule r: A[i, j] => B[i, j]
rule r(Y: tensor): Y[i, j] => Y[j, i]
rule r(Y: tensor): Y[i, j] => 2 Y[i, j]
rule r(Y: tensor): Y[i, j] => Y[i, j]
rule r(Y: tensor): Y[i, j] => Y[i, k]
rule r(Y: tensor): Y[i, j] => δ[i, j]
rule r(Y: symmetric): Y[i, j] => Y[j, i]
rule r(Y: invertible): inv(Y)[a, b] => Y[a, b]
rule r(Y: tensor): inv(Y)[a, b] => Y[a, b]
rule r(Y: nokind): Y[a, b] => Y[a, b]
rule r(Y: tensor, Y: tensor): Y[a, b] => Y[a, b]
rule (Y: tensor): Y[a,b] => Y[a,b]
rule r(): => A[i,j]
rule r(Y: tensor): Y[*w] => Y[*w]
rule r(Y: tensor): Y[*w, *w] => Y[*w, *w]
rule relu(Y: tensor): Y[a, b] => Y[a, b]
let A = B[i, j]
let w = v[i]
let w = w[i]
let w[i] = v[i]
let w[i, i] = v[i]
let w[j] = v[i]
let relu = v[i]
let n = v[i]
let δ = v[i]
let prove = v[i]
dim n
dim q = 0
dim q = -1
dim q = 2.5
dim q = 1e10
dim q = n
dim q = n*n
dim q = 99999999999999999999
dim relu
dim A
tensor A[i: n]
tensor Z[i: n, i: n]
tensor Z[]
tensor Z
tensor Z[i: 0]
tensor Z[i: q]
tensor relu[i: n]
tensor exp[i: n]
tensor eye[i: n]
tensor conj[i: n]
tensor δ[i: n]
tensor delta[i: n]
tensor tr[i: n, j: n]
tensor ones[i: n]
tensor T[i: n]
tensor H[i: n]
isometry Z[a: n -> b: m]
isometry Z[a: 2 -> b: 3]
isometry Z[a: n -> ]
isometry Z[-> b: n]
unitary Z[a: 2 -> b: 3]
unitary Z[a: n -> b: m]
orthogonal Z[a: 2 -> b: 3]
antisymmetric psd Z[i: n, j: n]
symmetric Z[i: n, j: m]
diagonal Z[i: n, j: m, k: n]
invertible Z[i: n, j: m]
invertible Z[i: n]
hermitian Z[i: n, j: m]
real real tensor Z[i: n]
function f
function f(0)
function f(-1)
function f(1000)
function relu
function A
function f''
draw A @ v to "out.svg"
draw A @ v to "out.pdf"
draw A @ v to ""
draw A @ v to "/"
draw A @ v to "a/b/c.svg"
ξ[i]
αβγ = 3
show A[ι, ȷ]
show A[i,j]	# tab
show A[i,j]\
  B[j,k]
show A[i,j] \
show (
show )
show ]
show [
show A[i,j]]
show "
show 'abc'
show A[i j]
show A[i,,j]
show A[,]
show A[i,]
show @
show A @
show .T
show A.X
show A..T
show A.T[i,j]
prove A[i,j] == 
prove == A[i,j]
prove A[i,j] == B[i,j] == A[i,j]
prove A[i,j] = A[i,j]
check A[i,j] != A[i,j]
show ﬁ[i]
show Ａ[i, j]
show A[i, j]​
simplify
prove
""".strip("\n").split("\n")


# ------------------------------------------------------------------- resource

@dataclass
class Known:
    """A resource case that an open item of the issue tracker still fails."""

    item: str


def _nested(open_: str, close: str, depth: int, inner: str = "v[i]") -> str:
    return open_ * depth + inner + close * depth


@dataclass
class ResourceCase:
    """One resource input: what it is, the case, an open item it still fails
    (or None), and the exit codes it may end with (a bad path: exactly 2)."""

    name: str
    case: Case
    known: Known | None
    codes: tuple[int, ...]
    ci: bool = True  # False: only in benchmarks/fuzz.py (a second or more of work)


def resource_cases() -> list[ResourceCase]:
    """Each asserts the final behaviour: a result or a clear input or limit
    error, quickly, never exit 3."""
    decl = HEADER.encode()
    prog = lambda body: decl + body.encode()  # noqa: E731
    cases: list[ResourceCase] = []

    def add(name: str, case: Case, known: Known | None = None,
            codes: tuple[int, ...] = (0, 1, 2), ci: bool = True) -> None:
        case.family = "resource"
        if codes == (0, 1, 2) and name.split("-")[0] in ("file", "decl", "html", "export", "draw"):
            codes = (2,)  # every bad path is an input error
        cases.append(ResourceCase(name, case, known, codes, ci))

    add("parens-3000", Case(["show", "p.tn"], {"p.tn": prog("show " + _nested("(", ")", 3000) + "\n")}))
    add("relu-1000", Case(["show", "p.tn"], {"p.tn": prog("show " + _nested("relu(", ")", 1000) + "\n")}))
    add("conj-1000", Case(["show", "p.tn"], {"p.tn": prog("show " + _nested("conj(", ")", 1000) + "\n")}))
    add("unclosed-10000", Case(["show", "p.tn"], {"p.tn": prog("show " + "(" * 10000 + "\n")}))
    add("sizes-nested-2000", Case(["show", "p.tn"], {"p.tn": prog("dim q = " + _nested("(", ")", 2000, "2") + "\n")}))

    add("eye-100000", Case(["run", "p.tn"], {"p.tn": b"dim n = 100000\ncheck eye(n) == eye(n)\n"}))
    add("vector-1e8", Case(["run", "p.tn"], {"p.tn": b"dim n = 100000000\ntensor v[i: n]\n"
                                                      b"check v[i] v[i] == v[i] v[i]\n"}))
    add("size-1e30-symbolic", Case(["show", "p.tn"], {"p.tn": b"dim n = 1000000000000000000000000000000\n"
                                                              b"tensor v[i: n]\nshow v[i] v[i]\n"}))
    add("size-zero", Case(["run", "p.tn"], {"p.tn": b"dim n = 0\ntensor v[i: n]\ncheck v[i] == v[i]\n"}))
    # Numbers whose exact value is enormous: an exponent of 10**14 digits, and
    # 5,000-digit literals (past Python's own int-to-text cap) in every place.
    add("exponent-1e14", Case(["show", "p.tn"], {"p.tn": prog("show 1e99999999999999 v[i]\n")}))
    add("literal-5000-digits", Case(["run", "p.tn"], {"p.tn": prog(
        "show " + "9" * 5000 + " v[i]\nshow δ[i: " + "9" * 5000 + ", j]\ndim big = " + "9" * 5000
        + "\nfunction g(" + "9" * 5000 + ")\n")}))
    add("coefficients-1e-400-and-1e400", Case(["run", "p.tn"], {"p.tn": prog(
        "check 1e-400 v[i] == 0\nprove 1e400 v[i] == 2e400 v[i]\nprove 1e999 1e999 1e999 v[i] == "
        "1e999 1e999 1e999 v[i]\n")}))

    binomials = " ".join(f"(v[i{k}] + A[i{k}, j{k}] v[j{k}])" for k in range(20))
    add("expand-20-binomials", Case(["run", "p.tn"], {"p.tn": prog(f"expand {binomials}\n")}))
    add("relu-25-simplify", Case(["simplify", "p.tn"], {"p.tn": prog("simplify " + _nested("relu(", ")", 25, "A[i, j] v[j]") + "\n")}))

    add("comment-line-1MB", Case(["run", "p.tn"], {"p.tn": prog("# " + "x" * 2**20 + "\nshow v[i]\n")}))
    add("matmul-300", Case(["show", "p.tn"], {"p.tn": prog("show " + " @ ".join(["A"] * 300) + "\n")}))
    add("matmul-2000", Case(["show", "p.tn"], {"p.tn": prog("show " + " @ ".join(["A"] * 2000) + "\n")}),
        ci=False)
    add("statements-500", Case(["run", "p.tn"], {"p.tn": prog("show A[i, j] v[j]\n" * 500)}))
    add("statements-5000", Case(["run", "p.tn"], {"p.tn": prog("show A[i, j] v[j]\n" * 5000)}),
        ci=False)
    # 20 MB: one header, then 20,000 statements of 1 kB (fine, unknown names, unclosed brackets).
    add("file-20MB", Case(["run", "p.tn"], {"p.tn": prog(("show v[i]  # " + "x" * 1000 + "\n")
                                                         * 20000)}), codes=(0,), ci=False)
    add("file-20MB-errors", Case(["run", "p.tn"], {"p.tn": prog(("show w[i]  # " + "x" * 1000
                                                                 + "\n") * 20000)}), ci=False)
    add("file-20MB-syntax-errors", Case(["run", "p.tn"], {"p.tn": prog(("show v[i  # " + "x" * 1000
                                                                        + "\n") * 20000)}),
        ci=False)
    add("name-100000", Case(["show", "p.tn"], {"p.tn": prog("show " + "x" * 100000 + "[i]\n")}))

    # Bad paths: every place a file is read or written.
    binary = bytes(range(256)) * 4
    add("file-missing", Case(["run", "missing/p.tn"]))
    add("file-is-directory", Case(["show", "."]))
    add("file-device", Case(["run", "/dev/zero"]))
    add("file-binary", Case(["run", "p.tn"], {"p.tn": binary}))
    add("file-empty", Case(["run", "p.tn"], {"p.tn": b""}), codes=(0,))
    add("file-nul", Case(["run", "p.tn"], {"p.tn": prog("show v[i]\x00\n")}))
    add("file-bom", Case(["run", "p.tn"], {"p.tn": "\ufeff".encode() + prog("show v[i]\n")}),
        codes=(0,))
    add("file-crlf", Case(["run", "p.tn"], {"p.tn": prog("show v[i]\n").replace(b"\n", b"\r\n")}),
        codes=(0,))
    add("file-over-size-limit", Case(["--max-file-size", "0.0001", "run", "p.tn"], {"p.tn": prog("show v[i]\n")}))
    add("decl-device", Case(["show", "v[i]", "--decl", "/dev/zero"]))
    add("decl-directory", Case(["show", "v[i]", "--decl", "."]))
    add("decl-binary", Case(["show", "v[i]", "--decl", "b.tn"], {"b.tn": binary}))
    # Never a made-up name under /dev: a test run as root would create it.
    for where, out in (("directory", "."), ("missing-folder", "missing/out.EXT"),
                       ("proc", "/proc/out.EXT"), ("full-disk", "/dev/full")):
        add(f"html-to-{where}", Case(["run", "p.tn", "--html", out.replace("EXT", "html")],
                                     {"p.tn": prog("show v[i]\n")}))
        ci = where in ("missing-folder", "full-disk")
        add(f"export-to-{where}", Case(["export", "p.tn", "--to", "numpy", "-o",
                                        out.replace("EXT", "py")], {"p.tn": prog("show v[i]\n")}),
            ci=ci)
        add(f"draw-to-{where}", Case(["draw", "p.tn", "-o", out.replace("EXT", "svg")],
                                     {"p.tn": prog("show v[i]\n")}), ci=ci)
    add("draw-to-pdf", Case(["draw", "p.tn", "-o", "x.pdf"], {"p.tn": prog("show v[i]\n")}))
    add("draw-to-empty", Case(["draw", "p.tn", "-o", ""], {"p.tn": prog("show v[i]\n")}))
    add("draw-statement-to-empty", Case(["run", "p.tn"], {"p.tn": prog('draw v[i] to ""\n')}))
    add("draw-statement-to-missing", Case(["run", "p.tn"], {"p.tn": prog('draw v[i] to "no/x.svg"\n')}))
    add("draw-statement-to-nul", Case(["run", "p.tn"], {"p.tn": prog('draw v[i] to "a\x00.svg"\n')}))
    add("repl-files", Case(["repl"], {"b.tn": binary}, HEADER + "v[i]\n:save \"unclosed\n:draw x.pdf\n"
                           ":draw missing/x.svg\n:load /dev/zero\n:load .\n:load b.tn\n:save /dev/full\n"
                           ":save .\n:load \"a b\n"))
    return cases


# ---------------------------------------------------------------------- shell

def _quote(s: str) -> str:
    import shlex

    return shlex.quote(s) if s else "''"


def _shell_bytes(data: bytes) -> str:
    out = "".join(chr(b) if b < 128 and (chr(b).isalnum() or chr(b) in " .,:;[]()@*+-=_<>/")
                  else f"\\x{b:02x}" for b in data)
    return "'" + out.replace("'", "\\x27") + "'"
