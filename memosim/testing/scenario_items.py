"""Scenario files collected as pytest tests (``--memosim-scenarios DIR``).

One item per file, named by its scenario, run by
:func:`~memosim.testing.golden_check.check_scenario` against
``DIR/golden/<scenario>.json``. A scenario that does not load fails with its
one-line error; a moved result with the old -> new lines and the command
that regenerates; neither shows a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ..errors import ScenarioError
from .golden_check import check_scenario
from .goldens import GoldenError, scenario_name
from .run_state import record, suite_for

__all__ = ["GoldenMismatch", "ScenarioFile", "ScenarioItem"]


class GoldenMismatch(Exception):
    """A scenario's sim results differ from its golden (the message says how)."""


class ScenarioFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        yield ScenarioItem.from_parent(self, name=scenario_name(self.path))


class ScenarioItem(pytest.Item):
    def runtest(self) -> None:
        suite = suite_for(self.config, self.path.parent)
        verdict = check_scenario(
            suite, self.path, regen=bool(self.config.getoption("memosim_regen"))
        )
        record(self.config, verdict)
        if verdict.message is not None:
            raise GoldenMismatch(verdict.message)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, GoldenMismatch | ScenarioError | GoldenError):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo, style))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"memosim scenario {self.name}"
