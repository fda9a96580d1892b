"""The notebooks in notebooks/: stored without outputs, and each runs top to bottom.

Each notebook is executed with nbclient in a fresh kernel whose working
directory is notebooks/ (as when a user opens it there), with a timeout per
cell; any error fails the test with the cell and its traceback. The kernel is
``python3`` from a kernelspec written to a temporary directory whose argv runs
this interpreter (``sys.executable -m ipykernel_launcher``), so the notebooks
see the venv's memosim and never whatever ``python`` a user-level or system
kernelspec would start.

Run only these: ``.venv/bin/python -m pytest -m notebook``; leave them out:
``-m "not notebook"``. 03-sim-vs-udp also uses real UDP sockets (marked udp).
About 20 s in all: 01 ~3 s, 02 ~3-5 s, 03 ~12 s (10 s of it the udp runs).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

pytestmark = pytest.mark.notebook

NB_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NB_DIR.glob("*.ipynb"))
#: Notebooks that open real UDP sockets (also marked udp).
UDP_NOTEBOOKS = {"03-sim-vs-udp.ipynb"}
#: Seconds any one cell may take (the udp cell of 03 takes ~10 s).
CELL_TIMEOUT = 120
KERNEL_NAME = "python3"

CHECK_INTERPRETER = "import sys; print(sys.prefix)"


def _params():
    return [
        pytest.param(p, id=p.stem, marks=[pytest.mark.udp] if p.name in UDP_NOTEBOOKS else [])
        for p in NOTEBOOKS
    ]


@pytest.fixture(scope="module")
def kernel_specs(tmp_path_factory) -> KernelSpecManager:
    """A kernelspec manager that knows one kernel, python3, running this interpreter."""
    kernels = tmp_path_factory.mktemp("kernels")
    spec_dir = kernels / KERNEL_NAME
    spec_dir.mkdir()
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": f"Python 3 ({sys.prefix})",
        "language": "python",
        "metadata": {"debugger": False},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    return KernelSpecManager(kernel_dirs=[str(kernels)], ensure_native_kernel=False)


def test_notebooks_present():
    names = {p.name for p in NOTEBOOKS}
    assert {"01-quickstart.ipynb", "02-doer-vs-safedoer.ipynb", "03-sim-vs-udp.ipynb"} <= names, (
        names
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_stored_without_outputs(path: Path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    dirty = [
        f"cell {i}: execution_count {c.get('execution_count')}, {len(c.get('outputs', []))} outputs"
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and (c.get("execution_count") is not None or c.get("outputs"))
    ]
    assert not dirty, (
        f"{path.name} is stored with outputs ({'; '.join(dirty)}); clear them "
        "(Jupyter: Edit > Clear Outputs of All Cells, or `jupyter nbconvert "
        "--clear-output --inplace`) before committing"
    )
    assert not nb.metadata.get("widgets"), f"{path.name} stores widget state"


@pytest.mark.parametrize("path", _params())
def test_notebook_runs(path: Path, kernel_specs: KernelSpecManager):
    nb = nbformat.read(path, as_version=4)
    # A first cell that reports the kernel's interpreter (removed from nothing on
    # disk: the notebook is executed in memory only).
    nb.cells.insert(0, nbformat.v4.new_code_cell(CHECK_INTERPRETER, id="interpreter-check"))
    km = KernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=kernel_specs)
    client = NotebookClient(
        nb,
        km=km,
        timeout=CELL_TIMEOUT,
        startup_timeout=60,
        allow_errors=False,
        resources={"metadata": {"path": str(NB_DIR)}},
    )
    try:
        client.execute()  # raises CellExecutionError (cell source and traceback) on any error
    finally:  # a client given its km leaves the kernel running: stop it here
        if km.has_kernel:
            km.shutdown_kernel(now=True)
    printed = "".join(
        o.get("text", "") for o in nb.cells[0].outputs if o.get("output_type") == "stream"
    ).strip()
    assert printed == sys.prefix, f"kernel ran {printed!r}, expected the venv {sys.prefix!r}"
    errors = [
        (i, o)
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code"
        for o in c.outputs
        if o.get("output_type") == "error"
    ]
    assert not errors, errors
