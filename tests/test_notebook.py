"""examples/notebook.ipynb runs top to bottom in a real Jupyter kernel and shows
pictures, verdicts and the induction head's numbers."""
import json
import pathlib

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOK = pathlib.Path(__file__).parent.parent / "examples" / "notebook.ipynb"


@pytest.fixture(scope="module")
def outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute()
    return [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]


def text_of(outputs) -> str:
    """The outputs as one text.  Stream chunks are joined as they are: a busy
    kernel may flush one printed line in two chunks (`proved` and ` True`)."""
    parts = []
    for o in outputs:
        if o.output_type == "stream":
            parts.append(o.text)
        elif o.output_type in ("execute_result", "display_data"):
            parts.extend("\n" + str(v) + "\n" for v in o.data.values())
        elif o.output_type == "error":
            parts.append(f"\nERROR {o.ename}: {o.evalue}\n")
    return "".join(parts)


def test_notebook_runs_without_errors(outputs):
    assert not [o for o in outputs if o.output_type == "error"]


def test_diagrams_display_as_svg(outputs):
    svgs = [o for o in outputs if o.output_type in ("execute_result", "display_data")
            and "image/svg+xml" in o.data]
    assert svgs and all("<svg" in o.data["image/svg+xml"] for o in svgs)


def test_proofs_display_as_strips_of_pictures(outputs):
    html = [o.data["text/html"] for o in outputs
            if o.output_type in ("execute_result", "display_data") and "text/html" in o.data]
    assert any("rw-strip" in h and "<svg" in h and "proved" in h for h in html)


def test_verdicts_and_numbers(outputs):
    text = text_of(outputs)
    assert "proved True" in text and "refuted False" in text
    assert "matches numpy: True" in text
    assert "refused: L1 is declared an isometry" in text
    assert "layer-2 head (no composition)    norm 3.801" in text
    assert "exact summands" in text
    assert "('K-composition', 3.801)" in text
