"""Drop reasons: one table (memosim/core/drops.py), in step with the code and the docs."""

from __future__ import annotations

import ast
from pathlib import Path

from memosim.core.drops import DROP_REASONS

REPO = Path(__file__).resolve().parents[1]
SOURCES = [*(REPO / "memosim" / "core").glob("*.py"), REPO / "memosim" / "servicing.py"]
MAKERS = {"dropped", "_dropped", "drop", "GramError", "AckError"}  # first argument: a reason


def reasons_in_code() -> set[str]:
    """Reason tags the code can produce: first argument of a drop or error,
    or a string a checking function returns."""
    found: set[str] = set()
    for path in SOURCES:
        if path.name == "drops.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and node.args:
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                arg = node.args[0]
                if name in MAKERS and isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    found.add(arg.value)
            if isinstance(node, ast.Return) and node.value is not None:
                values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
                for value in values:
                    if isinstance(value, ast.Constant) and isinstance(value.value, str):
                        found.add(value.value)
            if isinstance(node, ast.IfExp):  # "mid" if bad_mid else "header"
                for value in (node.body, node.orelse):
                    if isinstance(value, ast.Constant) and isinstance(value.value, str):
                        found.add(value.value)
    return found


def test_every_reason_the_code_drops_for_is_in_the_table_and_back() -> None:
    assert reasons_in_code() == set(DROP_REASONS)


def test_docs_list_every_reason() -> None:
    doc = (REPO / "docs" / "memoer.md").read_text()
    missing = [tag for tag in DROP_REASONS if f"`{tag}`" not in doc]
    assert missing == []
