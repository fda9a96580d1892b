"""memosim's pytest plugin (the ``pytest11`` entry point ``memosim``).

Loaded in every pytest run of a project that installs memosim, so it imports
only pytest and the standard library here and everything else inside the
hooks and fixtures that need it; without its options or fixtures it adds
nothing to a run.

- ``--memosim-scenarios DIR`` (repeatable) or the ini option
  ``memosim_scenarios``: every ``*.toml`` in DIR is a test pinning the sim
  results per seed and Doer to ``DIR/golden/<scenario>.json``;
- ``--memosim-regen``: write or refresh those goldens instead of failing;
- fixtures ``memosim_net`` (a simulated network factory, see
  :mod:`memosim.testing.simnet`) and ``memosim_golden`` (check any
  :class:`~memosim.testing.goldens.GoldenSuite`, as tests/test_regression.py does).

docs/regression.md is the guide.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .run_state import DIRS_KEY, WROTE_KEY, record

if TYPE_CHECKING:
    from .golden_check import Verdict
    from .goldens import GoldenSuite
    from .simnet import SimNet

__all__ = ["GoldenFixture"]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("memosim", "memosim lossy-network regression tests")
    group.addoption(
        "--memosim-scenarios",
        action="append",
        default=[],
        metavar="DIR",
        dest="memosim_scenarios",
        help="collect every *.toml scenario in DIR as a test pinned by DIR/golden/ (repeatable)",
    )
    group.addoption(
        "--memosim-regen",
        action="store_true",
        default=False,
        dest="memosim_regen",
        help="write or refresh the memosim golden files instead of comparing with them",
    )
    parser.addini(
        "memosim_scenarios",
        type="paths",
        default=[],
        help="directories whose *.toml scenarios are collected as memosim regression tests",
    )


def _overlaps(path: Path, args: list[str], base: Path) -> bool:
    """True when an arg already collects path, or picks something inside it
    (``pytest scenarios/one.toml`` runs that one scenario, not the directory)."""
    for arg in args:
        target = (base / arg.split("::")[0]).resolve()
        if path == target or target in path.parents or path in target.parents:
            return True
    return False


def pytest_configure(config: pytest.Config) -> None:
    config.stash[WROTE_KEY] = []
    base = config.invocation_params.dir
    given = [(base / d).resolve() for d in config.getoption("memosim_scenarios")]
    from_ini = [Path(p).resolve() for p in config.getini("memosim_scenarios")]
    dirs = list(dict.fromkeys([*given, *from_ini]))
    for where, d in [("--memosim-scenarios", d) for d in given] + [
        ("ini option memosim_scenarios", d) for d in from_ini
    ]:
        if not d.is_dir():
            raise pytest.UsageError(f"{where}: {d} is not a directory")
    config.stash[DIRS_KEY] = dirs
    # A directory named on the command line is collected whatever else is; one
    # from the ini file only when no test paths were given, like testpaths.
    explicit = config.args_source == pytest.Config.ArgsSource.ARGS
    for d in dirs:
        wanted = d in given or not explicit
        if wanted and not _overlaps(d, config.args, base):
            config.args.append(str(d))


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix != ".toml" or file_path.name == "pyproject.toml":
        return None
    dirs = parent.config.stash.get(DIRS_KEY, [])
    if not dirs or file_path.parent.resolve() not in dirs:
        return None
    from .scenario_items import ScenarioFile

    return ScenarioFile.from_parent(parent, path=file_path)


class GoldenFixture:
    """Check a scenario file of any GoldenSuite; honours --memosim-regen."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.regen: bool = bool(config.getoption("memosim_regen"))

    def check(self, suite: GoldenSuite, path: Path) -> Verdict:
        """Fail (no traceback) when the scenario's sim results moved from its golden."""
        from .golden_check import check_scenario

        verdict = check_scenario(suite, path, regen=self.regen)
        record(self.config, verdict)
        if verdict.message is not None:
            pytest.fail(verdict.message, pytrace=False)
        return verdict


@pytest.fixture
def memosim_golden(request: pytest.FixtureRequest) -> GoldenFixture:
    """Checks scenario files against a GoldenSuite's goldens (or writes them)."""
    return GoldenFixture(request.config)


@pytest.fixture
def memosim_net() -> Iterator[Callable[..., SimNet]]:
    """A factory of simulated networks: ``net = memosim_net(seed=1)``; see
    memosim.testing.simnet.SimNet. Every network made is closed after the test."""
    from .simnet import SimNet

    made: list[SimNet] = []

    def make(seed: int = 1, **kwa: Any) -> SimNet:
        net = SimNet(seed, **kwa)
        made.append(net)
        return net

    yield make
    for net in made:
        net.close()


def _orphans(dirs: list[Path]) -> list[Path]:
    """Golden files of the scenario dirs whose scenario is gone (renamed, deleted)."""
    if not any((d / "golden").is_dir() for d in dirs):
        return []
    from .goldens import scenario_name

    found = []
    for d in dirs:
        names = {scenario_name(p) for p in d.glob("*.toml") if p.name != "pyproject.toml"}
        found += [g for g in sorted((d / "golden").glob("*.json")) if g.stem not in names]
    return found


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    orphans = _orphans(config.stash.get(DIRS_KEY, []))
    if orphans:
        terminalreporter.section("memosim goldens without a scenario")
        for path in orphans:
            terminalreporter.write_line(f"{path}: no scenario of that name beside it (delete it)")
    wrote = config.stash.get(WROTE_KEY, [])
    if wrote:
        terminalreporter.section("memosim goldens written")
        for line in wrote:
            terminalreporter.write_line(line)
        terminalreporter.write_line("review the change (e.g. git diff) before committing it")
