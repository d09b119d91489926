"""The `rewrite` command.

Every subcommand reads a file or an expression, runs it through `session.Session`
and prints one result per statement.  Exit codes (docs/language.md §9): 0 when every
statement holds, 1 when one is refuted or unknown, 2 on an input or usage
error.  Heavy libraries (sympy, numpy, matplotlib) are imported only inside the
commands, so `rewrite --help` stays instant.
"""
from __future__ import annotations

import gc
import json
import os
import re
import sys
from typing import Callable

import click

from ..core.limits import DEFAULTS, LIMITS

EXIT_OK, EXIT_FAILED, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3


# An argument with no spaces or brackets that has a folder separator, starts
# with `~` or ends in a file extension (other than the .T/.H of matrix
# notation) names a file, even when there is none: "no such file" says more
# than a syntax error at the `/`.
_PATH_LIKE = re.compile(r"[^\s\[\]()@,*+=]*([/\\][^\s\[\]()@,*+=]*|\.(?![TH]$)[^\W\d]\w*)|~\S*")


def _source(arg: str) -> tuple[str, str]:
    """A FILE|EXPR argument: the file's text, or the argument itself as text.

    An existing path (a directory included) or a path-like argument is a
    file, read by `core.files.read_text` (which says "no such file" or why it
    cannot be read); anything else is an expression.
    """
    from ..core.files import read_text

    if os.path.lexists(arg) or _PATH_LIKE.fullmatch(arg):
        return read_text(arg), arg
    if not arg.strip():
        raise click.UsageError("the FILE|EXPR argument is empty: give a file or an expression")
    return arg, "<expr>"


def _decls(paths: tuple[str, ...]) -> list[tuple[str, str]]:
    from ..core.files import read_text

    return [(read_text(p), p) for p in paths]


def _guard(fn: Callable[[], int]) -> None:
    """Run a command body: input errors print with a caret and exit 2, never a traceback."""
    from ..core.errors import InputError

    try:
        code = fn()
    except InputError as e:
        click.echo(e.format(), err=True)
        code = EXIT_INPUT
    except click.UsageError:
        raise
    except BrokenPipeError:  # the reader went away (`rewrite run F | head -1`)
        _quit_on_closed_pipe()
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        code = 130
    except Exception as e:  # a bug in penrose-rewrite, not in the input
        if os.environ.get("REWRITE_DEBUG"):
            raise
        click.echo(f"internal error: {type(e).__name__}: {e}\n"
                   "(this is a bug in penrose-rewrite; set REWRITE_DEBUG=1 for the traceback)",
                   err=True)
        code = EXIT_INTERNAL
    sys.exit(code)


def _quit_on_closed_pipe() -> None:
    """End quietly, as `cat` or `yes` do when the reader closes the pipe.

    Nothing more can be said on stdout, and saying it on stderr would only
    clutter the reader's terminal.  The process ends by SIGPIPE, so a shell
    sees status 141 and `set -o pipefail` works as for any other tool; stdout
    is pointed at /dev/null first, so that Python's flush at exit does not
    raise the same error again.
    """
    import signal

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGPIPE)
    sys.exit(EXIT_FAILED)  # where there is no SIGPIPE (Windows)


def _arrays(path: str | None):
    """The `--arrays FILE` mapping (tensor name -> array), or None."""
    if path is None:
        return None
    from ..core.errors import InputError
    from ..numerics.supplied import load_arrays

    try:
        return load_arrays(path)
    except InputError as e:
        raise click.UsageError(e.message)


def _execute(text: str, filename: str, decls: tuple[str, ...], mode: str | None,
             trace: bool, as_json: bool, html: str | None = None, expect: bool = False,
             arrays: str | None = None, only: set[str] | None = None,
             freeze: bool = True) -> int:
    from .session import BROKEN, Session, exit_code, render_json, render_text

    # A page of pictures needs the diagram after every step, which only tracing keeps.
    if html is not None:
        from ..core.files import check_writable

        check_writable(html)  # before the work, not after it
    # Only `run` writes the pictures a file's `draw` statements ask for.
    session = Session(trace=trace or html is not None, check_steps=_OPTIONS["check_steps"],
                      write_files=mode is None, keep_going=filename != "<expr>")
    session.arrays = _arrays(arrays)
    if arrays is not None:
        session.arrays_name = os.path.basename(arrays)
    session.freeze_patterns = freeze
    for dtext, dname in _decls(decls):
        session.load_declarations(dtext, dname)
    results = session.run(text, filename, mode=mode, only=only)
    if only and not results:
        raise click.UsageError(f"{filename} has no {' or '.join(sorted(only))} statement")
    if session.arrays is not None:
        unused = sorted(set(session.arrays) - set(session.env.decls))
        if unused:
            click.echo(f"note: {session.arrays_name} has arrays for {', '.join(unused)}, "
                       "which no tensor declaration names; they were not used", err=True)
        proofs = [r for r in results if r.verb == "prove"]
        if proofs:  # docs/verdicts.md, "Your arrays"
            click.echo(f"note: prove is about every array, so {session.arrays_name} was not "
                       f"used for the prove statement{'s' * (len(proofs) != 1)} "
                       f"(line{'s' * (len(proofs) != 1)} {_some_lines(proofs)}); "
                       "write check to compare on your arrays", err=True)
    if as_json:
        click.echo(render_json(results))
    else:
        out = render_text(results, trace=trace)
        if out:
            click.echo(out)
    if html is not None:
        from ..views.report import write_html

        write_html(results, html)
    broken = [r for r in results if r.status in BROKEN]
    for r in broken:
        if r.status == "error":  # also on the error stream, as compilers print them
            click.echo(r.text, err=True)
    if broken and not expect:
        failed = sum(r.status == "error" for r in broken)
        click.echo(f"{failed} statement{'s' * (failed != 1)} failed"
                   + (f", {len(broken) - failed} skipped" if len(broken) > failed else "")
                   + f" (line{'s' * (len(broken) != 1)} {_some_lines(broken)})", err=True)
    if expect:
        return _check_expectations(text, filename, results)
    return exit_code(results)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' * (n != 1)}"


def _some_lines(results, shown: int = 10) -> str:
    """The line numbers of `results`, the first `shown` of them: a file with
    thousands of failing statements gets one readable summary line."""
    lines = [str(r.line) for r in results]
    more = len(lines) - shown
    return ", ".join(lines[:shown]) + (f" and {more} more" if more > 0 else "")


def _check_expectations(text: str, filename: str, results) -> int:
    """`run --expect`: the exit code says whether every stated verdict was given."""
    from .expect import check

    stated, mismatches = check(text, results)
    for m in mismatches:
        click.echo(m.message(filename), err=True)
    if mismatches:
        n = len(mismatches)
        click.echo(f"{n} mismatch{'es' * (n != 1)} between stated and given verdicts "
                   f"({_count(len(results), 'statement')} with a result, "
                   f"{_count(stated, 'stated verdict')})", err=True)
        return EXIT_FAILED
    click.echo(f"all {_count(len(results), 'statement')} as expected "
               f"({_count(stated, 'stated verdict')})", err=True)
    return EXIT_OK


def _set_limit(field: str) -> Callable:
    """A click callback that sets one of `core.limits.LIMITS` (docs/limits.md)."""

    def callback(ctx: click.Context, param: click.Parameter, value: int | None) -> None:
        if value is not None:
            from ..core.limits import LIMITS

            setattr(LIMITS, field, value)

    return callback


class _PositiveFinite(click.ParamType):
    """A positive, finite number (of megabytes, of seconds): `nan` and `inf`
    parse as floats but are no limit (`int(inf * 2**20)` fails after parsing,
    and a deadline of nan seconds is never reached)."""

    def __init__(self, name: str, unit: str) -> None:
        self.name, self.unit = name, unit

    def convert(self, value, param, ctx) -> float:
        import math

        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number of {self.unit}", param, ctx)
        if not math.isfinite(number) or number <= 0:
            self.fail(f"{value} is not a positive, finite number of {self.unit}", param, ctx)
        return number


MEGABYTES = _PositiveFinite("MB", "megabytes")
SECONDS = _PositiveFinite("S", "seconds")

_common = [
    click.option("--decl", "decls", multiple=True, metavar="FILE",
                 help="Load declarations (dim, tensor, let, rule) from FILE first."),
    click.option("--trace", is_flag=True, help="Print every rewrite step."),
    click.option("--json", "as_json", is_flag=True, help="Machine-readable results."),
]


def common(f):
    for opt in reversed(_common):
        f = opt(f)
    return f


_OPTIONS = {"check_steps": False}


class _Group(click.Group):
    """The command group; a reader that closes the pipe while help, a usage
    message or a command's output is written ends the process quietly by
    SIGPIPE (click's own handling would exit 1).  Both the parsing phase (help,
    `--version`) and the command itself are covered."""

    def make_context(self, *args, **kwargs):
        try:
            return super().make_context(*args, **kwargs)
        except BrokenPipeError:
            _quit_on_closed_pipe()

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            _quit_on_closed_pipe()


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="penrose-rewrite")
@click.option("--check-steps", is_flag=True,
              help="Debug mode: check every rewrite numerically and name the first step "
                   "that changes the value.")
@click.option("--max-file-size", "max_file_mb", type=MEGABYTES,
              default=None, metavar="MB",
              help="Refuse input files larger than this (default 64 MB).")
@click.option("--max-depth", type=click.IntRange(1, 100_000), default=DEFAULTS.max_depth,
              show_default=True, metavar="N",
              help="Refuse brackets, parentheses and bubbles nested deeper than N.")
@click.option("--max-number-digits", type=click.IntRange(1), default=DEFAULTS.max_number_digits,
              show_default=True, metavar="N", expose_value=False,
              callback=_set_limit("max_number_digits"),
              help="Refuse a number in a program with more than N digits, counting "
                   "its exponent (1e400 has 401).")
@click.option("--max-terms", type=click.IntRange(1), default=DEFAULTS.max_terms,
              show_default=True, metavar="N", expose_value=False,
              callback=_set_limit("max_terms"),
              help="Refuse to expand into more than N terms (prove then lets numbers decide).")
@click.option("--size-search", type=click.IntRange(1), default=DEFAULTS.size_search,
              show_default=True, metavar="N", expose_value=False,
              callback=_set_limit("size_search"),
              help="Try up to N size assignments to meet the size constraints.")
@click.option("--search-budget", type=click.IntRange(1), default=DEFAULTS.search_budget,
              show_default=True, metavar="N", expose_value=False,
              callback=_set_limit("search_budget"),
              help="Let prove's search make up to N forms (gauge insertions and expansion "
                   "rules, each normalised) before it says unknown.")
@click.option("--search-seconds", type=SECONDS,
              default=DEFAULTS.search_seconds, show_default=True, metavar="S",
              expose_value=False, callback=_set_limit("search_seconds"),
              help="Let prove's search run up to S seconds per equation.")
@click.option("--max-memory", "max_memory_mb", type=MEGABYTES,
              default=None, metavar="MB",
              help="Memory budget of each numeric check: arrays, intermediates and all "
                   "(default 256 MB); past it the check says so and the verdict is unknown.")
@click.option("--workers", type=click.IntRange(1), default=None, metavar="N",
              expose_value=False, callback=_set_limit("workers"),
              help="Processes that contract the slices of a contraction too wide for the "
                   "budget (default: one per CPU; 1 contracts them in this process).")
@click.option("--blas-threads", type=click.IntRange(0), default=DEFAULTS.blas_threads,
              show_default=True, metavar="N", expose_value=False,
              callback=lambda ctx, param, value: setattr(LIMITS, "blas_threads", value or None),
              help="BLAS threads while contracting (0: the BLAS library's own choice).")
@click.option("--trials", type=click.IntRange(1), default=None, metavar="N",
              expose_value=False,
              callback=lambda ctx, param, value: setattr(LIMITS, "trials", value),
              help="Random instances each numeric check compares (default: 1 where every "
                   "size is a number and no function occurs, else 3).")
@click.option("--dask", "dask_address", default=None, metavar="ADDRESS",
              help="Run the slices of contractions too wide for the budget on this Dask "
                   "scheduler instead of local processes (needs the 'dask' extra).")
def main(check_steps: bool, max_file_mb: float | None, max_depth: int,
         max_memory_mb: float | None, dask_address: str | None) -> None:
    """Simplify, prove and draw Penrose tensor diagrams written as text.

    \b
    rewrite run examples/special_tensors.tn     run every statement of a file
    rewrite prove 'tr(A @ B) == tr(B @ A)' --decl decls.tn
    rewrite repl                                 explore interactively
    """
    _OPTIONS["check_steps"] = check_steps
    # A run builds millions of small objects (10^5-site programs) and makes
    # little cyclic garbage; with the default threshold (700) the collector
    # re-walks the growing heap so often that it takes a third of the time.
    gc.set_threshold(100_000, 20, 20)
    if max_file_mb is not None:
        from ..core import files

        files.MAX_FILE_BYTES = int(max_file_mb * 2**20)
    LIMITS.max_depth = max_depth
    if max_depth > DEFAULTS.max_depth:
        # Later stages walk nested expressions recursively, a few frames a level.
        sys.setrecursionlimit(max(sys.getrecursionlimit(), 40 * max_depth + 1000))
    if max_memory_mb is not None:
        LIMITS.max_memory = int(max_memory_mb * 2 ** 20)
    if dask_address is not None:
        try:
            from distributed import Client
        except ImportError:
            raise click.UsageError("--dask needs the optional 'dask' extra: "
                                   "pip install 'penrose-rewrite[dask]'") from None
        LIMITS.executor = Client(dask_address).get_executor()


@main.command()
@click.argument("file")
@common
@click.option("--html", metavar="OUT.html", help="Also write the proofs as a page of pictures.")
@click.option("--expect", is_flag=True,
              help="Check `# expect: VERDICT` comments: exit 0 exactly when every statement "
                   "gives the verdict its comment states (unmarked ones must hold).")
def run(file: str, decls, trace: bool, as_json: bool, html: str | None, expect: bool) -> None:
    """Execute every statement of FILE (a .tn program)."""
    _guard(lambda: _execute(*_source(file), decls, None, trace, as_json, html, expect))


@main.command()
@click.argument("source", metavar="FILE|EXPR")
@common
def simplify(source: str, decls, trace: bool, as_json: bool) -> None:
    """Simplify to normal form, showing the rewrite steps."""
    _guard(lambda: _execute(*_source(source), decls, "simplify", trace, as_json))


@main.command()
@click.argument("source", metavar="FILE|'L == R'")
@common
@click.option("--html", metavar="OUT.html", help="Write the proof as a page of pictures.")
def prove(source: str, decls, trace: bool, as_json: bool, html: str | None) -> None:
    """Prove an equation: proved, refuted (with a counterexample) or unknown."""
    _guard(lambda: _execute(*_source(source), decls, "prove", trace, as_json, html))


_ARRAYS_HELP = ("Tensor name -> array file (.npz, or .safetensors with the safetensors "
                "package): evaluate with these arrays instead of random ones.")


@main.command()
@click.argument("source", metavar="FILE|'L == R'")
@common
@click.option("--arrays", metavar="WEIGHTS.npz", help=_ARRAYS_HELP)
def check(source: str, decls, trace: bool, as_json: bool, arrays: str | None) -> None:
    """Compare both sides numerically only (on your arrays with --arrays)."""
    _guard(lambda: _execute(*_source(source), decls, "check", trace, as_json, arrays=arrays))


@main.command()
@click.argument("source", metavar="FILE|EXPR")
@common
@click.option("--arrays", metavar="WEIGHTS.npz", help=_ARRAYS_HELP)
@click.option("--no-freeze", "no_freeze", is_flag=True,
              help="With --arrays: evaluate terms with their softmax patterns as they are "
                   "(paths to study, not summands) instead of freezing the patterns.")
def paths(source: str, decls, trace: bool, as_json: bool, arrays: str | None,
          no_freeze: bool) -> None:
    """Path expansion: the `paths` statements of FILE (or EXPR), one labelled term
    per line; with --arrays, each term's contribution (norm and share)."""
    _guard(lambda: _execute(*_source(source), decls, "paths", trace, as_json, arrays=arrays,
                            only={"paths"}, freeze=not no_freeze))


@main.command()
@click.argument("source", metavar="FILE|EXPR")
@common
def show(source: str, decls, trace: bool, as_json: bool) -> None:
    """Print a diagram as index notation."""
    _guard(lambda: _execute(*_source(source), decls, "show", trace, as_json))


@main.command()
@click.argument("source", metavar="FILE|EXPR")
@click.option("-o", "--output", "out", metavar="OUT.svg|png|tex",
              help="Where to write the picture; the format follows the extension.")
@click.option("--decl", "decls", multiple=True, metavar="FILE")
@click.option("--widths", is_flag=True, help="Draw larger legs as thicker lines.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the layout (nodes, wires, labels in SVG points) as JSON.")
@click.option("--stats", is_flag=True,
              help="Print wire crossings, node overlaps, wire length and size.")
@click.option("--boxes", is_flag=True, help="Keep named lets as labelled boxes (as `draw E boxed`).")
@click.option("--arrange", type=click.Choice(["auto", "terms", "backbone"]), default="auto", show_default=True,
              help="How a sum's terms are placed: a residual stream (x + blocks reading x) as a vertical "
                   "backbone with a + per block ('backbone'), side by side ('terms'), or the backbone "
                   "where the sum is a network of blocks ('auto').")
def draw(source: str, out: str | None, decls, widths: bool, as_json: bool, stats: bool,
         boxes: bool, arrange: str) -> None:
    """Draw a diagram in Penrose style (SVG, PNG or TikZ), or measure its picture."""
    def body() -> int:
        from ..views.draw import check_target
        from .session import Session

        if out is None and not (as_json or stats):
            raise click.UsageError("say where to draw (-o OUT.svg|png|tex) or ask for --json or --stats")
        if out is not None:
            check_target(out)
        session = Session()
        for dtext, dname in _decls(decls):
            session.load_declarations(dtext, dname)
        text, name = _source(source)
        value = session.last_value(text, name, boxes=boxes)
        from ..views.draw import Strip, draw as draw_to

        if out is not None:
            draw_to(value, out, widths=widths, strip=Strip.after(session.last_base), arrange=arrange)
            if not (as_json or stats):
                click.echo(f"wrote {out}")
        if as_json or stats:
            from ..views.measure import picture_json, picture_stats

            base = session.last_base  # a derivative is measured as it is drawn
            if as_json:
                data = picture_json(value, widths, Strip.after(base), arrange)
                if stats:
                    data["stats"] = picture_stats(value, widths, Strip.after(base), arrange).as_dict()
                from ..views.render import strict_json

                click.echo(json.dumps(strict_json(data), ensure_ascii=False, allow_nan=False))
            else:
                click.echo(picture_stats(value, widths, Strip.after(base), arrange).text())
        return EXIT_OK

    _guard(body)


def _last_value(source: str, decls):
    """The session after loading `decls`, and the value of the last expression."""
    from .session import Session

    session = Session()
    for dtext, dname in _decls(decls):
        session.load_declarations(dtext, dname)
    text, name = _source(source)
    return session, session.last_value(text, name)


@main.command()
@click.argument("source", metavar="FILE|EXPR")
@click.option("--to", "target", required=True,
              type=click.Choice(["einops", "numpy", "torch", "opt_einsum", "json", "tex"]),
              help="The format: einsum code for a library, JSON, or LaTeX index notation.")
@click.option("-o", "--output", "out", metavar="FILE", help="Write to FILE instead of printing.")
@click.option("--decl", "decls", multiple=True, metavar="FILE",
              help="Load declarations (dim, tensor, let, rule) from FILE first.")
def export(source: str, target: str, out: str | None, decls) -> None:
    """Export the (last) expression as code, JSON or LaTeX."""
    def body() -> int:
        from ..core.files import check_writable, write_text
        from ..views.export import export as export_value

        if out is not None:
            check_writable(out)
        _, value = _last_value(source, decls)
        text = export_value(value, target)
        if out is not None:
            write_text(out, text)
            click.echo(f"wrote {out}")
        else:
            click.echo(text, nl=False)
        return EXIT_OK

    _guard(body)


def _sizes(items: tuple[str, ...]) -> dict[str, int]:
    out = {}
    for item in items:
        name, eq, value = item.partition("=")
        if not eq or not name.strip() or not value.strip().isdigit() or int(value) < 1:
            raise click.UsageError(f"--size wants NAME=POSITIVE_INTEGER, not {item!r}")
        out[name.strip()] = int(value)
    return out


@main.command()
@click.argument("source", metavar="FILE|EXPR")
@click.option("--size", "size_items", multiple=True, metavar="NAME=N",
              help="A concrete value for a symbolic size (others are sampled).")
@click.option("--decl", "decls", multiple=True, metavar="FILE",
              help="Load declarations (dim, tensor, let, rule) from FILE first.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable report.")
def cost(source: str, size_items, decls, as_json: bool) -> None:
    """Contraction orders of the (last) expression and their cost in flops."""
    def body() -> int:
        import json

        from ..numerics.cost import contraction_cost

        sizes = _sizes(size_items)
        session, value = _last_value(source, decls)
        report = contraction_cost(value, session.env, sizes=sizes)
        if as_json:
            from ..views.render import strict_json

            click.echo(json.dumps(strict_json({"schema": "penrose-rewrite/cost/1",
                                               **report.to_json()}),
                                  ensure_ascii=False, indent=2, allow_nan=False))
        else:
            click.echo(report.format())
        return EXIT_OK

    _guard(body)


@main.command()
@click.argument("file", required=False)
def repl(file: str | None) -> None:
    """Explore interactively: simplify step by step, undo, draw, save."""
    def body() -> int:
        from .repl import run_repl

        return run_repl(file)

    _guard(body)


@main.command(name="rules")
def list_rules() -> None:
    """List the built-in rules."""
    def body() -> int:
        from ..rewriting.ruleset import core_rules, definition_rules, gauge_rules

        for title, rules in (("simplification (rules/core.tn, kinds.tn, bubbles.tn)", core_rules()),
                             ("on request and in prove's search (rules/gauge.tn)", gauge_rules()),
                             ("on request and in prove's search (rules/definitions.tn)",
                              definition_rules())):
            click.echo(f"# {title}")
            for r in rules:
                click.echo(f"  {r.source.strip()}")
        return EXIT_OK

    _guard(body)


if __name__ == "__main__":  # pragma: no cover
    main()
