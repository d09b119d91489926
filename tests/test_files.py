"""Paths the user gives: every read and write is an input error naming the path
(exit 2), never an internal error (exit 3), and only `run` writes pictures."""
import os

import pytest
from click.testing import CliRunner

from rewrite.app.cli import main
from rewrite.app.repl import ReplState
from rewrite.app.session import Session
from rewrite.core.errors import InputError
from rewrite.core.files import FileError, read_text

PROGRAM = "tensor A[i: 2, j: 2]\nshow A[i, j]\n"


def cli(*args, cwd=None):
    """Run the command in-process; returns (exit code, stdout+stderr)."""
    runner = CliRunner()
    if cwd is None:
        r = runner.invoke(main, list(args))
    else:
        old = os.getcwd()
        os.chdir(cwd)
        try:
            r = runner.invoke(main, list(args))
        finally:
            os.chdir(old)
    assert not isinstance(r.exception, (OSError, UnicodeError)), r.exception
    return r.exit_code, r.output


@pytest.fixture
def program(tmp_path):
    p = tmp_path / "p.tn"
    p.write_text(PROGRAM, encoding="utf-8")
    return str(p)


def unwritable(tmp_path):
    """Places no file can be written: a directory, a missing folder, /proc, a full disk."""
    places = [str(tmp_path), str(tmp_path / "missing" / "out.x"), "/proc/out.x"]
    if os.path.exists("/dev/full"):
        places.append("/dev/full")
    return places


@pytest.mark.parametrize("which", range(4))
def test_html_to_an_unwritable_place_exits_2_naming_it(program, tmp_path, which):
    places = unwritable(tmp_path)
    if which >= len(places):
        pytest.skip("no /dev/full here")
    out = places[which].replace(".x", ".html")
    code, text = cli("run", program, "--html", out)
    assert code == 2 and f"cannot write {out}" in text and "internal error" not in text


@pytest.mark.parametrize("which", range(4))
def test_export_to_an_unwritable_place_exits_2_naming_it(program, tmp_path, which):
    places = unwritable(tmp_path)
    if which >= len(places):
        pytest.skip("no /dev/full here")
    out = places[which].replace(".x", ".py")
    code, text = cli("export", program, "--to", "numpy", "-o", out)
    assert code == 2 and f"cannot write {out}" in text


def test_an_unwritable_html_target_is_refused_before_the_work(program, tmp_path):
    code, text = cli("run", program, "--html", str(tmp_path / "no" / "x.html"))
    assert code == 2 and "A[i, j]" not in text


def test_an_empty_output_name_is_refused(program):
    code, text = cli("export", program, "--to", "numpy", "-o", "")
    assert code == 2 and "output file name is empty" in text


def test_a_missing_file_says_no_such_file_not_a_syntax_error():
    code, text = cli("show", "/no/such/place")
    assert code == 2 and "no such file: /no/such/place" in text and "unexpected" not in text


def test_a_directory_as_file_says_it_is_a_directory(tmp_path):
    code, text = cli("show", str(tmp_path))
    assert code == 2 and f"{tmp_path} is a directory" in text


def test_a_device_is_not_read_as_a_program():
    code, text = cli("show", "A[i]", "--decl", "/dev/zero")
    assert code == 2 and "not a regular file" in text


def test_a_decl_file_that_is_not_utf8_is_located_at_the_bad_byte(tmp_path):
    p = tmp_path / "bin.tn"
    p.write_bytes(b"dim n\ntensor A\x94[i: n]\n")
    code, text = cli("show", "A[i]", "--decl", str(p))
    assert code == 2 and f"{p}:2:9: error: " in text and "0x94" in text


def test_a_utf8_byte_order_mark_is_accepted(tmp_path):
    p = tmp_path / "bom.tn"
    p.write_bytes("\ufeff".encode() + PROGRAM.encode())
    code, text = cli("run", str(p))
    assert code == 0 and "A[i, j]" in text


def test_a_byte_order_mark_is_dropped_only_at_the_start(tmp_path):
    p = tmp_path / "t.tn"
    p.write_bytes(b"\xef\xbb\xbfa\xef\xbb\xbfb")
    assert read_text(str(p)) == "a\ufeffb"


def test_a_file_over_the_size_limit_is_refused_with_the_option_to_raise_it(tmp_path):
    p = tmp_path / "big.tn"
    p.write_text(PROGRAM + "# padding\n" * 20000, encoding="utf-8")
    with pytest.raises(FileError, match="--max-file-size"):
        read_text(str(p), limit=100_000)
    assert read_text(str(p), limit=1_000_000).startswith(PROGRAM)


def test_expressions_with_a_dot_or_number_are_not_taken_for_files():
    code, text = cli("show", "2.5")
    assert code == 0 and "5/2" in text


def test_show_of_a_file_does_not_write_its_pictures(tmp_path):
    (tmp_path / "d.tn").write_text(PROGRAM + 'draw A[i, j] to "pic.svg"\ndraw A[i, j]\n',
                                   encoding="utf-8")
    for verb in ("show", "check", "prove", "simplify"):
        code, text = cli(verb, "d.tn", cwd=tmp_path)
        assert code in (0, 1) and "not written" in text, verb
    assert sorted(os.listdir(tmp_path)) == ["d.tn"]


def test_run_writes_the_pictures_of_draw_statements(tmp_path):
    (tmp_path / "d.tn").write_text(PROGRAM + 'draw A[i, j] to "pic.svg"\n', encoding="utf-8")
    code, _ = cli("run", "d.tn", cwd=tmp_path)
    assert code == 0 and (tmp_path / "pic.svg").read_text().lstrip().startswith("<?xml")


def test_draw_to_an_empty_name_is_a_located_error(tmp_path):
    with pytest.raises(InputError) as e:
        Session(out_dir=str(tmp_path)).run(PROGRAM + 'draw A[i, j] to ""\n', "d.tn")
    assert (e.value.filename, e.value.line, e.value.column) == ("d.tn", 3, 17)
    assert os.listdir(tmp_path) == []


def test_draw_statement_to_a_missing_folder_is_located_at_the_statement(tmp_path):
    target = tmp_path / "missing" / "x.svg"
    with pytest.raises(InputError) as e:
        Session().run(PROGRAM + f'draw A[i, j] to "{target}"\n', "d.tn")
    assert e.value.line == 3 and f"cannot write {target}" in e.value.message


def test_repl_draw_to_an_unsupported_format_says_which_formats(tmp_path):
    s = ReplState()
    s.handle("tensor A[i: 2, j: 2]")
    s.handle("A[i, j]")
    out = s.handle(f":draw {tmp_path / 'x.pdf'}")
    assert "use a .svg, .png or .tex file name" in out and "internal error" not in out
    assert os.listdir(tmp_path) == []


def test_repl_save_with_an_unclosed_quote_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    s = ReplState()
    s.handle("tensor A[i: 2, j: 2]")
    s.handle("A[i, j]")
    assert "unclosed quote" in s.handle(':save "unclosed')
    assert os.listdir(tmp_path) == []


def test_repl_load_of_a_directory_or_binary_file_is_an_error_not_a_crash(tmp_path):
    (tmp_path / "b.tn").write_bytes(b"\xff\xfe\x00")
    s = ReplState()
    assert "is a directory" in s.handle(f":load {tmp_path}")
    assert "not UTF-8" in s.handle(f":load {tmp_path / 'b.tn'}")


def test_inv_of_a_generic_rule_variable_is_refused_at_its_position():
    with pytest.raises(InputError) as e:
        Session().run("tensor Y[a: 2, b: 2]\nrule r(Y: tensor): inv(Y)[a, b] => Y[a, b]\n",
                      "r.tn")
    assert (e.value.line, e.value.column) == (2, 20) and "Y: invertible" in e.value.message
