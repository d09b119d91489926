"""Hostile input never ends in an internal error, a traceback or a hang.

Each input runs `python -m rewrite ...` in its own process, under a timeout
and a memory limit kept by the harness (`fuzzing.run_case`): the timeout
finds hangs, it is not a measure of speed.  CI runs a modest count of each
family; `benchmarks/fuzz.py` runs 10^4 and prints the table of outcomes.
Resource cases that an open item still fails are marked xfail (not strict),
so they pass silently once fixed.
"""
from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from fuzzing import ADVERSARIAL, COMMANDS, HEADER, Result, grammar_programs, mutated_case, \
    resource_cases, run_case, with_command

# Seconds: a hang, not slowness - the suite may share a loaded machine.
TIMEOUT = 120.0
KNOWN_TIMEOUT = 15.0  # for inputs an open item still fails: enough once it is fixed


def no_bug(r: Result) -> None:
    assert not r.is_bug, (f"{r.outcome} for:\n{r.case.reproducer()[:3000]}\n"
                          f"--- output ---\n{r.out[-2000:]}")


# Shrinking would rerun the commands many times; the reproducer is in the message.
@settings(max_examples=6, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=list(HealthCheck))
@given(grammar_programs(), st.integers(0, len(COMMANDS) - 1))
def test_grammar_generated_programs_give_results_or_input_errors(text, pick):
    no_bug(run_case(with_command(text.encode(), pick, "grammar"), TIMEOUT))


@pytest.mark.parametrize("seed", range(6))
def test_mutated_examples_give_results_or_input_errors(seed):
    no_bug(run_case(mutated_case(seed), TIMEOUT))


def _resource_params():
    for rc in resource_cases():
        if not rc.ci:
            continue
        marks = [pytest.mark.xfail(reason=rc.known.item, strict=False)] if rc.known else []
        yield pytest.param(rc, id=rc.name, marks=marks)


@pytest.mark.parametrize("rc", list(_resource_params()))
def test_resource_inputs_end_in_a_result_or_a_clear_error(rc):
    r = run_case(rc.case, KNOWN_TIMEOUT if rc.known else TIMEOUT)
    no_bug(r)
    assert r.code in rc.codes, f"exit {r.code}, expected {rc.codes}:\n{r.out[-1500:]}"
    if rc.codes == (2,):
        assert "error" in r.out


def _run_in_process(path: str, *args: str) -> tuple[int, str]:
    """`rewrite run PATH` in this process: the exit code and everything printed."""
    import contextlib
    import io

    from rewrite.app.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            main(["run", *args, path], standalone_mode=False)
            code = 0
        except SystemExit as e:
            code = e.code
    return code, out.getvalue()


# In this process (a subprocess each would cost a second of start-up): the
# profile's example count samples the list; benchmarks/fuzz.py runs them all.
@given(st.sampled_from(ADVERSARIAL), st.sampled_from([(), ("--json",), ("--trace",)]))
def test_adversarial_statements_give_results_or_located_input_errors(tmp_path_factory, statement,
                                                                     options):
    path = tmp_path_factory.mktemp("adv") / "p.tn"
    path.write_text(HEADER + statement + "\n", encoding="utf-8")
    code, out = _run_in_process(str(path), *options)
    assert code in (0, 1, 2) and "internal error" not in out and "Traceback" not in out, \
        f"exit {code} for {statement!r}:\n{out[-2000:]}"
    if code == 2:
        assert re.search(r"p\.tn:\d+:\d+: error: ", out), out[-2000:]
