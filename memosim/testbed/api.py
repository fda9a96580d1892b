"""A small Python API for notebooks and scripts (the CLI's commands as functions).

    from memosim.testbed import load, run, sweep, table

    s = load("scenarios/loss-5.toml")
    r = run(s)                       # or run("scenarios/loss-5.toml", seed=7)
    print(table(r))
    r.summary()                      # plain data: summary.json's, and wall_s
    r.run("SafePeerMemoerDoer").rows # per-memo rows, as in memos.csv
    rows = sweep(s, {"links.0.loss.rate": [0.01, 0.05, 0.2]}, seeds=5)

Results are plain data (dicts, lists, numbers, strings), so they go straight
into json, csv or a pandas DataFrame (``pd.DataFrame(rows)``). Errors are the
CLI's: a bad scenario or override raises :class:`memosim.errors.ScenarioError`
with its one-line message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .report import format_table, write_results
from .runner import ScenarioResult, run_scenario
from .scenario import Scenario, load_scenario
from .sweeps import Param, SweepResult, run_sweep, write_outputs

__all__ = ["load", "run", "sweep", "sweep_result", "table", "write"]


def load(path: str | Path) -> Scenario:
    """Read and validate a scenario file (raises ScenarioError)."""
    return load_scenario(path)


def _scenario(scenario_or_path: Scenario | str | Path) -> Scenario:
    if isinstance(scenario_or_path, Scenario):
        return scenario_or_path
    return load_scenario(scenario_or_path)


def run(
    scenario_or_path: Scenario | str | Path, backend: str = "sim", seed: int | None = None
) -> ScenarioResult:
    """Run every Doer of the scenario once; ``result.summary()`` is the plain data."""
    return run_scenario(_scenario(scenario_or_path), backend=backend, seed=seed)


def sweep_result(
    scenario_or_path: Scenario | str | Path,
    params: Mapping[str, Sequence[Any]] | Sequence[Param],
    seeds: int = 1,
    jobs: int | None = None,
    seed: int | None = None,
    progress: bool = False,
    scheduler: str | None = None,
) -> SweepResult:
    """Like :func:`sweep`, but the whole SweepResult (``.rows`` aggregated per
    combination and Doer, ``.runs`` one per combination, seed and Doer)."""
    return run_sweep(
        _scenario(scenario_or_path),
        params,
        seeds=seeds,
        jobs=jobs,
        seed=seed,
        progress=progress,
        scheduler=scheduler,
    )


def sweep(
    scenario_or_path: Scenario | str | Path,
    params: Mapping[str, Sequence[Any]],
    seeds: int = 1,
    jobs: int | None = None,
    seed: int | None = None,
    progress: bool = False,
    scheduler: str | None = None,
) -> list[dict[str, Any]]:
    """Run every combination of params (key path -> values) with `seeds` seeds each
    on `jobs` workers of a local Dask cluster (default: one per CPU), or on the
    Dask cluster of `scheduler` ("tcp://host:8786"), on the sim backend.

    Returns the sweep.csv rows as dicts: each parameter path with its value,
    ``doer``, ``n`` and ``<metric>_mean`` / ``<metric>_ci95`` for delivery_ratio,
    latency_p99_s, retransmissions_per_memo and overhead_ratio (None when
    undefined, e.g. a CI over one seed).
    """
    return sweep_result(
        scenario_or_path,
        params,
        seeds=seeds,
        jobs=jobs,
        seed=seed,
        progress=progress,
        scheduler=scheduler,
    ).rows


def table(result: ScenarioResult | dict[str, Any]) -> str:
    """The comparison table the CLI prints (of a ScenarioResult or its summary())."""
    return format_table(result)


def write(result: ScenarioResult | SweepResult, out: str | Path, plots: bool = True) -> list[Path]:
    """Write a run's (summary.json, memos.csv, PNGs) or a sweep's (sweep.csv,
    sweep_runs.csv, PNGs) files into the directory out; return their paths."""
    if isinstance(result, SweepResult):
        return write_outputs(result, out, plots=plots)
    return write_results(result, out, plots=plots)
