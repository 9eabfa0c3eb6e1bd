"""The colab/ notebooks: committed without outputs, introduced for Colab, and run top to bottom.

Each notebook runs through a Jupyter kernel on this interpreter (`sys.executable`, so the
venv's packages, whatever kernels are registered elsewhere) with `RECSIM_NG_QUICK=1` (tiny
sizes) in a temporary folder, so nothing is written into the repository.
"""

import json
import pathlib
import sys

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

COLAB = pathlib.Path(__file__).resolve().parents[2] / "colab"
NOTEBOOKS = sorted(COLAB.glob("*.ipynb"))
EXPECTED = {"basics", "uncertainty_and_learning", "rl_interest_evolution", "fitting_real_logs",
            "ecosystem", "coming_from_recsim_ng"}
CELL_TIMEOUT_S = 300  # a hung cell fails the test instead of stalling CI
QUICK_LINE = 'QUICK = os.environ.get("RECSIM_NG_QUICK") == "1"'


def _read(path: pathlib.Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def test_every_notebook_is_there():
    assert {path.stem for path in NOTEBOOKS} == EXPECTED
    readme = (COLAB / "README.md").read_text(encoding="utf-8")
    assert all(f"{name}.ipynb" in readme for name in EXPECTED)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_is_committed_without_outputs(path):
    notebook = _read(path)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code
    for index, cell in enumerate(code):
        assert cell.outputs == [], f"{path.name}: code cell {index} has outputs"
        assert cell.execution_count is None, f"{path.name}: code cell {index} has a count"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_opens_with_its_intro_quick_switch_and_colab_install(path):
    cells = _read(path).cells
    intro, quick, install = cells[0], cells[1], cells[2]
    assert intro.cell_type == "markdown" and intro.source.startswith("# ")
    assert "What this teaches" in intro.source
    assert "Open in Colab" in intro.source and "colab.research.google.com" in intro.source
    assert quick.cell_type == "code" and QUICK_LINE in quick.source
    assert install.cell_type == "code"
    assert 'if "google.colab" in sys.modules:' in install.source
    assert "REPO_URL = " in install.source and "PLACEHOLDER" in install.source


@pytest.fixture(scope="module")
def kernel_dirs(tmp_path_factory) -> list[str]:
    """A kernelspec that starts this interpreter's ipykernel with the quick sizes."""
    folder = tmp_path_factory.mktemp("kernels")
    spec = folder / "python3"
    spec.mkdir()
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "recsim_ng tests", "language": "python",
        "env": {"RECSIM_NG_QUICK": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}}))
    return [str(folder)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_runs_top_to_bottom(path, kernel_dirs, tmp_path):
    notebook = _read(path)
    manager = KernelManager(kernel_name="python3",
                            kernel_spec_manager=KernelSpecManager(kernel_dirs=kernel_dirs))
    client = NotebookClient(notebook, km=manager, timeout=CELL_TIMEOUT_S,
                            resources={"metadata": {"path": str(tmp_path)}})
    before = sorted(COLAB.rglob("*"))
    client.execute()  # raises CellExecutionError, naming the cell, on any error
    assert sorted(COLAB.rglob("*")) == before, "the notebook wrote into colab/"
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.execution_count is not None for cell in code)
    errors = [output for cell in code for output in cell.outputs
              if output.output_type == "error"]
    assert errors == []
