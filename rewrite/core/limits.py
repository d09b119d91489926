"""Limits on the input that are not about files: each has a default, an option, a message.

A limit is never silent: hitting one is an input error that names the limit
and the option that raises it (docs/limits.md lists them all; the file-size
cap lives with the file helpers in `core.files`).  They live in one mutable
record so the command line can set them once, before anything runs.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import InputError


@dataclass
class Limits:
    # Brackets, parentheses and bubbles nested deeper than this are refused
    # (`--max-depth`): the stages after the parser walk nested expressions
    # recursively, and this default fits Python's default recursion limit.
    max_depth: int = 100
    # Terms `expand` may make (`--max-terms`): distributing 20 binomials makes
    # 2**20 terms.  `prove` notes the limit and lets numbers decide.
    max_terms: int = 10_000
    # Size assignments the systematic size search tries before saying that the
    # size constraints cannot be met (`--size-search`).
    size_search: int = 20_000
    # Forms `prove`'s search may make before it gives up (`--search-budget`):
    # each is one expansion (a gauge or an expansion rule) plus normalising.
    # The verdict then says the budget ran out and how many were explored.
    search_budget: int = 400
    # Seconds `prove`'s search may take for one equation (`--search-seconds`):
    # a guard for large diagrams, where each form costs a normalisation.
    search_seconds: float = 10.0
    # Bytes one numeric check may allocate (`--max-memory MB`): sampled
    # arrays, eye/ones operands, conjugated copies, bubble values and the
    # contraction's intermediates, weighed from the sizes before allocating.
    max_memory: int = 256 * 2 ** 20
    # At most this many slices of one contraction too wide for the budget;
    # past it the check is not run and the budget message is given.
    max_slices: int = 4096
    # Processes that contract the slices of a sliced contraction (`--workers`):
    # a local process pool; 1 runs them one after another in this process.
    # None: one per CPU.
    workers: int | None = None
    # Where slices run instead of the local pool: any concurrent.futures
    # Executor, e.g. a Dask client's `get_executor()` (`--dask ADDRESS`).
    executor: Any = None
    # BLAS threads per process while contracting (`--blas-threads`): numeric
    # checks are many mid-sized steps, where extra threads mostly wait and
    # spend CPU; None leaves the BLAS library's own setting.
    blas_threads: int | None = 1
    # Digits of one number written in a program (`--max-number-digits`): the
    # digits of a literal plus the size of its exponent, so `1e99999999999999`
    # is refused at once instead of building a number with that many digits.
    # Sizes written as numbers count the same way.
    max_number_digits: int = 1000
    # Random instances each numeric check of `check` and `prove` compares
    # (`--trials N`).  None: the policy of `numerics.evaluate.trial_count` -
    # one where every size is a number and no function occurs (one random
    # instance then refutes a false identity with probability one), else 3.
    trials: int | None = None


LIMITS = Limits()
DEFAULTS = Limits()


class LimitError(InputError):
    """A limit was hit: the message names it, the count reached and the option."""

    def __init__(self, what: str, count: int, limit: int, option: str,
                 line: int | None = None, column: int | None = None) -> None:
        super().__init__(f"{what}: {count} is over the limit of {limit} "
                         f"(raise it with {option})", line, column)
        self.count = count
        self.limit = limit


def number_digits(text: str) -> int:
    """How many digits the exact value of a number literal takes: its written
    digits plus the size of its exponent (`2.5e-3`: 2 + 3)."""
    mantissa, _, exponent = text.lower().partition("e")
    digits = sum(ch.isdigit() for ch in mantissa)
    if not exponent:
        return digits
    magnitude = exponent.lstrip("+-").lstrip("0")
    # An exponent too long to convert is over any limit: count its digits.
    return digits + (int(magnitude or "0") if len(magnitude) < 19 else 10 ** 18)


def check_number(text: str, line: int | None = None, column: int | None = None) -> None:
    """Refuse a number literal longer than `LIMITS.max_number_digits`."""
    digits = number_digits(text)
    if digits > LIMITS.max_number_digits:
        raise LimitError("a number with too many digits", digits, LIMITS.max_number_digits,
                         "--max-number-digits", line, column)

