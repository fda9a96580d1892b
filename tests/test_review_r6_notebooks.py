"""Review r6: the notebooks use only the public API that README.md and docs/
describe: every name a notebook imports from memosim, and every attribute it
reads of a memosim module it imported, is named in the docs (a notebook is
where a user copies from, so an undocumented name there is one the docs owe)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
DOCS = "\n".join(
    p.read_text(encoding="utf-8") for p in [REPO / "README.md", *REPO.glob("docs/*.md")]
)


def _memosim_names(source: str) -> set[str]:
    """memosim names the code uses: imported names and attributes of imported modules."""
    tree = ast.parse(source)
    names: set[str] = set()
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("memosim"):
            for alias in node.names:
                names.add(alias.name)
                if alias.name in {"plots", "sweeps", "scenario", "executor"}:
                    modules.add(alias.asname or alias.name)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
        ):
            names.add(node.attr)
    return names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebooks_use_only_documented_names(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    source = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    used = _memosim_names(source)
    assert used, "the notebook imports nothing from memosim"
    missing = sorted(n for n in used if not re.search(rf"\b{re.escape(n)}\b", DOCS))
    assert not missing, f"{path.name} uses names the docs never mention: {missing}"
