"""memosim's own golden suite: the shipped scenarios, pinned in tests/regression/golden/.

The pinning itself (metrics, seeds, collect, compare, stable dumps) is the
pytest plugin's, memosim.testing.goldens, the same code a user's project runs
with ``--memosim-scenarios``; this module only says where memosim keeps its
scenarios and goldens and which command regenerates them, and keeps the names
tests/test_regression.py and regenerate.py use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from memosim.testing.goldens import (
    FORMAT,
    METRICS,
    GoldenSuite,
    compare,
    dumps,
    reduce_run,
    scenario_digest,
    scenario_name,
    seeds_for,
)

__all__ = [
    "FORMAT",
    "GOLDEN_DIR",
    "METRICS",
    "REGENERATE",
    "REPO",
    "SCENARIOS_DIR",
    "SUITE",
    "collect",
    "compare",
    "dumps",
    "golden_path",
    "load_golden",
    "reduce_run",
    "scenario_digest",
    "scenario_files",
    "scenario_name",
    "seeds_for",
    "write_golden",
]

REPO = Path(__file__).resolve().parents[2]
SCENARIOS_DIR = REPO / "scenarios"
GOLDEN_DIR = Path(__file__).resolve().parent / "golden"

#: The command that rewrites golden files (append ``--scenario NAME``).
REGENERATE = ".venv/bin/python -m tests.regression.regenerate"

SUITE = GoldenSuite(
    scenarios_dir=SCENARIOS_DIR,
    golden_dir=GOLDEN_DIR,
    root=REPO,
    regenerate=REGENERATE + " --scenario {name}",
)


def scenario_files() -> list[Path]:
    """Every shipped scenario file, sorted by file name."""
    return SUITE.scenario_files()


def collect(path: Path) -> dict[str, Any]:
    return SUITE.collect(path)


def golden_path(name: str) -> Path:
    return SUITE.golden_path(name)


def load_golden(name: str) -> dict[str, Any] | None:
    return SUITE.load_golden(name)


def write_golden(doc: dict[str, Any]) -> bool:
    return SUITE.write_golden(doc)
