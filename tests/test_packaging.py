"""The distribution is complete: the wheel carries the grammar and the rule
files, installs into a fresh virtual environment, and runs an example from
outside the repository; `rewrite --help` starts without heavy imports."""
import os
import pathlib
import subprocess
import sys
import sysconfig
import venv

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> pathlib.Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-w", str(out), str(ROOT)], check=True, capture_output=True)
    (whl,) = out.glob("penrose_rewrite-*.whl")
    return whl


def test_wheel_contains_the_grammar_and_the_rule_files(wheel):
    import zipfile

    names = set(zipfile.ZipFile(wheel).namelist())
    assert "rewrite/grammar/tn.lark" in names
    assert {"rewrite/rules/core.tn", "rewrite/rules/gauge.tn"} <= names


def test_wheel_runs_an_example_from_a_fresh_environment(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    py = env_dir / "bin" / "python"
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    # The dependencies come from this interpreter's site-packages (no network in
    # tests); a plain path entry does not run the editable install's hook, so
    # the only `rewrite` the new environment sees is the one from the wheel.
    # (A virtual environment with system site packages has two such directories.)
    deps = [sysconfig.get_paths()["purelib"]] + [p for p in sys.path if p.endswith("site-packages")]
    pathlib.Path(site, "deps.pth").write_text("\n".join(dict.fromkeys(deps)) + "\n")
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--target", site,
                    str(wheel)], check=True, capture_output=True)
    example = ROOT / "examples" / "special_tensors.tn"
    run = subprocess.run([str(py), "-m", "rewrite", "run", str(example)], cwd=tmp_path,
                         capture_output=True, text=True, env={**os.environ, "PYTHONPATH": ""})
    where = subprocess.run([str(py), "-c", "import rewrite; print(rewrite.__file__)"],
                           cwd=tmp_path, capture_output=True, text=True).stdout
    assert str(env_dir) in where, where
    assert run.returncode in (0, 1), run.stderr
    assert "proved" in run.stdout and "Traceback" not in run.stderr


def test_help_does_not_import_heavy_libraries():
    code = ("import sys, rewrite.app.cli; heavy = {'sympy', 'numpy', 'matplotlib', 'lark'} & "
            "set(sys.modules); print(sorted(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
