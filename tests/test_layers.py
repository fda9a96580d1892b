"""The package's shape, checked from its source (docs/architecture.md).

- memosim/core/ is the sans-I/O protocol: it imports nothing from the rest of
  memosim and touches no clock, socket, OS randomness or thread.
- No two modules import each other, directly or round a longer cycle.
- No module is over 500 lines.

The last two list today's exceptions by name; the list may only shrink (a
listed module that complies fails the test until it is taken off).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "memosim"
CORE = PACKAGE / "core"
MAX_LINES = 500

# names whose use in core would read the world: clocks, sockets, OS randomness
WORLD_MODULES = {
    "time",
    "socket",
    "random",
    "secrets",
    "uuid",
    "datetime",
    "threading",
    "select",
    "selectors",
    "asyncio",
    "subprocess",
}
WORLD_CALLS = {"urandom", "getrandom", "monotonic", "perf_counter", "time_ns", "now"}

# modules still over MAX_LINES, to be split (issue: the house)
TOO_LONG: set[str] = set()
# import cycles still to be cut, each as the sorted pair of modules
CYCLES: set[tuple[str, str]] = set()


def modules() -> dict[str, Path]:
    return {
        ".".join(p.relative_to(PACKAGE).with_suffix("").parts): p for p in PACKAGE.rglob("*.py")
    }


def imports_of(name: str, path: Path, tree: ast.AST | None = None) -> set[str]:
    """memosim modules that `name` imports (relative and absolute), at any depth
    (of `tree` when given, else of the whole file)."""
    tree = ast.parse(path.read_text()) if tree is None else tree
    package = name.split(".")[:-1] if path.name != "__init__.py" else name.split(".")
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
            elif node.module and node.module.startswith("memosim"):
                base = []
            else:
                continue
            mod = ".".join(base + (node.module.split(".") if node.module else []))
            mod = mod.removeprefix("memosim.").removeprefix("memosim")
            for alias in node.names:
                out.add(f"{mod}.{alias.name}" if mod else alias.name)
                out.add(mod)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("memosim."):
                    out.add(alias.name.removeprefix("memosim."))
    return {m for m in out if m}


def test_core_imports_nothing_from_above_and_reads_no_world() -> None:
    for path in CORE.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                assert node.level <= 1, f"{path.name} imports from above core: {ast.unparse(node)}"
                if node.level == 0 and node.module:
                    root = node.module.split(".")[0]
                    assert root != "memosim" or node.module.startswith("memosim.core"), path.name
                    assert root not in WORLD_MODULES, f"{path.name}: {ast.unparse(node)}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    root = alias.name.split(".")[0]
                    assert root not in WORLD_MODULES and root != "os", (
                        f"{path.name} imports {alias.name}"
                    )
            elif isinstance(node, ast.Attribute):
                assert node.attr not in WORLD_CALLS, f"{path.name} calls .{node.attr}"


def test_transports_need_only_the_protocols_limits() -> None:
    """What moves datagrams runs without the protocol or the virtual network:
    at run time memosim/transports/ imports, of memosim, only core.codes and
    itself (type-only imports under TYPE_CHECKING aside)."""
    mods = modules()
    for name, path in mods.items():
        if not name.startswith("transports."):
            continue
        tree = ast.parse(path.read_text())
        typing_only = {
            id(n)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
            for n in ast.walk(node)
        }
        runtime = ast.Module(
            body=[n for n in tree.body if id(n) not in typing_only], type_ignores=[]
        )
        used = {m for m in imports_of(name, path, runtime) if m in mods}
        assert used <= {"core.codes"} | {m for m in mods if m.startswith("transports.")}, (
            f"{name} imports {sorted(used)}"
        )


def test_no_two_modules_import_each_other() -> None:
    mods = modules()
    graph = {
        name: {m for m in imports_of(name, path) if m in mods and m != name}
        for name, path in mods.items()
    }
    found = set()
    for a, deps in graph.items():
        for b in deps:
            if a in graph.get(b, ()):
                found.add(tuple(sorted((a, b))))
    assert found == CYCLES


def test_no_module_over_500_lines() -> None:
    long = {
        p.relative_to(PACKAGE).as_posix()
        for p in PACKAGE.rglob("*.py")
        if len(p.read_text().splitlines()) > MAX_LINES
    }
    assert long == TOO_LONG
