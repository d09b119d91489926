"""Pictures measured, not looked at: the layout as JSON, and its statistics.

Golden layouts live in tests/golden/*.json (positions rounded to whole points).
After a deliberate change to the drawing, rewrite them with

    pytest tests/test_pictures.py --update-golden

and review the diff like any other change.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import networks as N
from rewrite.app.session import Session
from rewrite.views.measure import picture_json, picture_stats

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).parent / "golden"


def value(decls: str, expr: str):
    s = Session()
    s.load_declarations(decls, "net.tn")
    return s.last_value(expr, "<expr>")


def example(name: str, expr: str):
    return value((ROOT / "examples" / name).read_text(encoding="utf-8"), expr)


def rounded(data):
    """The layout with every number rounded to a whole point, so that golden
    files survive last-digit changes in floating point."""
    if isinstance(data, float):
        return round(data)
    if isinstance(data, list):
        return [rounded(x) for x in data]
    if isinstance(data, dict):
        return {k: rounded(v) for k, v in data.items()}
    return data


GOLDEN_CASES = {
    "mps_norm": lambda: value(*N.mps(3)),
    "mpo_sandwich": lambda: value(*N.mpo_norm(3)),
    "peps_2x2_norm": lambda: value(*N.peps(2, 2)),
    "ttn_norm": lambda: value(*N.ttn(2)),
    "tucker": lambda: value(*N.tucker()),
    "softmax_head": lambda: example("path_expansion.tn", "h1"),
}


@pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
def test_layout_matches_golden_file(name, request):
    got = rounded(picture_json(GOLDEN_CASES[name]()))
    path = GOLDEN / f"{name}.json"
    if request.config.getoption("--update-golden"):
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    assert got == json.loads(path.read_text(encoding="utf-8"))


def _draw_json(seed: str, *args: str) -> str:
    env = dict(os.environ, PYTHONHASHSEED=seed)
    out = subprocess.run([sys.executable, "-m", "rewrite", "draw", *args, "--json"],
                         capture_output=True, text=True, env=env, cwd=ROOT, check=True)
    return out.stdout


@pytest.mark.parametrize("expr", ["out", "paths out"])
def test_layout_json_is_the_same_under_different_hash_seeds(expr):
    args = (expr, "--decl", "examples/path_expansion.tn")
    assert _draw_json("1", *args) == _draw_json("4242", *args)


def test_draw_json_describes_nodes_wires_and_labels_in_svg_points():
    data = json.loads(_draw_json("0", "psi conj(psi)", "--decl", "examples/tensor_train.tn"))
    assert set(data) == {"width", "height", "nodes", "wires", "labels"}
    labels = sorted(n["label"] for n in data["nodes"])
    assert labels == ["C", "C*", "L1", "L1*", "L2", "L2*"]
    for node in data["nodes"]:
        assert 0 <= node["x"] <= data["width"] and 0 <= node["y"] <= data["height"]
    ids = {n["id"] for n in data["nodes"]}
    assert all(w["from"] in ids and w["to"] in ids for w in data["wires"])
    ket = {n["label"]: n["y"] for n in data["nodes"]}
    assert ket["L1"] < ket["L1*"]  # SVG y points down: the ket is above its bra


def test_draw_stats_prints_the_measures(tmp_path):
    out = subprocess.run([sys.executable, "-m", "rewrite", "draw", "psi conj(psi)", "--decl",
                          "examples/tensor_train.tn", "--stats"],
                         capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert "crossings: 0" in out and "overlaps: 0" in out and "size:" in out


def test_draw_without_output_or_measure_is_a_usage_error():
    r = subprocess.run([sys.executable, "-m", "rewrite", "draw", "x", "--decl", "examples/path_expansion.tn"],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and "--json" in r.stderr
