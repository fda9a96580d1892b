"""What the plugin keeps for one pytest run: its scenario directories, the
goldens it wrote, and the GoldenSuite of a collected directory.

Apart from the plugin so that the scenario items share it without importing
the plugin; imports only pytest at load time.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .golden_check import Verdict
    from .goldens import GoldenSuite

__all__ = ["DIRS_KEY", "REGEN_COMMAND", "WROTE_KEY", "record", "suite_for"]

#: The scenario directories of this run (resolved), set in pytest_configure.
DIRS_KEY = pytest.StashKey[list[Path]]()
#: Lines telling the goldens --memosim-regen wrote in this run (terminal summary).
WROTE_KEY = pytest.StashKey[list[str]]()
#: The command line that regenerates one scenario collected by the plugin.
REGEN_COMMAND = "pytest {file} --memosim-scenarios {dir} --memosim-regen"


def suite_for(config: pytest.Config, directory: Path) -> GoldenSuite:
    """The golden suite of a scenario directory collected by the plugin: its
    goldens in ``directory/golden``, paths shown from the rootdir."""
    from .goldens import GoldenSuite

    root = config.rootpath
    try:
        shown = directory.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        shown = str(directory)
    return GoldenSuite(
        scenarios_dir=directory,
        golden_dir=directory / "golden",
        root=root,
        regenerate=REGEN_COMMAND.replace("{dir}", shown),
    )


def record(config: pytest.Config, verdict: Verdict) -> None:
    """Keep what --memosim-regen wrote for the terminal summary."""
    if verdict.wrote is not None:
        lines = config.stash.setdefault(WROTE_KEY, [])
        lines.append(f"wrote {verdict.wrote}")
        lines.extend(f"    {line}" for line in verdict.moved)
