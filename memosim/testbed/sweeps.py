"""Parameter sweeps: a grid of scenario overrides, several seeds each, in parallel.

A sweep takes a scenario and one or more parameters, each a key path with a
list of values (``links.0.loss.rate = [0.01, 0.05, 0.2]``). Every combination
of values (the Cartesian product, first parameter outermost) is applied to
the scenario's document and validated like a file; each combination then
runs with seeds ``base, base + 1, ..., base + seeds - 1`` (base: the
combination's own ``scenario.seed`` unless given), every Doer separately, on
the workers of :mod:`memosim.testbed.executor` (a local Dask cluster by
default).

Results are plain data and deterministic: a run's numbers depend only on the
scenario and the seed, results are put back in task order whatever order the
workers finish in, and wall times are left out. The same inputs give the
same rows, byte for byte once written (:func:`write_csv`).

Aggregates per (combination, Doer) over the seeds, each as ``<metric>_mean``
and ``<metric>_ci95`` (half-width of the 95% confidence interval of the
mean, Student t with n - 1 degrees of freedom; empty for one seed):

- ``delivery_ratio``: memos delivered / memos sent;
- ``latency_p99_s``: the run's 99th-percentile latency (seeds that
  delivered nothing have none and are left out of this mean);
- ``retransmissions_per_memo``: grams retransmitted / memos sent;
- ``overhead_ratio``: wire bytes / delivered payload bytes (left out like
  latency for seeds that delivered nothing).
"""

from __future__ import annotations

import csv
import itertools
import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ScenarioError, Text, toml_value
from .executor import run_tasks
from .overrides import override_label
from .progress import Progress
from .scenario import Scenario, check_path, parse_override, parse_scenario

__all__ = [
    "METRICS",
    "RUN_COLUMNS",
    "Param",
    "Progress",
    "SweepResult",
    "T95",
    "aggregate",
    "apply",
    "ci95",
    "grid",
    "parse_param",
    "row_columns",
    "run_sweep",
    "split_values",
    "t95",
    "write_csv",
    "write_outputs",
    "write_plots",
]

#: Two-sided 95% Student t quantiles (t_0.975) for 1..30 degrees of freedom.
T95 = (
    12.706,
    4.303,
    3.182,
    2.776,
    2.571,
    2.447,
    2.365,
    2.306,
    2.262,
    2.228,
    2.201,
    2.179,
    2.160,
    2.145,
    2.131,
    2.120,
    2.110,
    2.101,
    2.093,
    2.086,
    2.080,
    2.074,
    2.069,
    2.064,
    2.060,
    2.056,
    2.052,
    2.048,
    2.045,
    2.042,
)


def t95(df: int) -> float:
    """t_0.975 with df degrees of freedom (df >= 1); the normal 1.96 beyond 30."""
    if df < 1:
        raise ValueError(f"degrees of freedom must be >= 1, got {df}")
    return T95[df - 1] if df <= len(T95) else 1.96


def ci95(values: Sequence[float]) -> tuple[float | None, float | None]:
    """(mean, half-width of its 95% confidence interval); (None, None) for no
    values, (mean, None) for one."""
    n = len(values)
    if n == 0:
        return None, None
    mean = math.fsum(values) / n
    if n == 1:
        return mean, None
    var = math.fsum((x - mean) ** 2 for x in values) / (n - 1)
    return mean, t95(n - 1) * math.sqrt(var) / math.sqrt(n)


def _per_memo(s: dict[str, Any], key: str) -> float | None:
    sent = s.get("memos_sent")
    return s[key] / sent if sent else None


#: Aggregated metrics: (column stem, value of one run's summary or None).
METRICS: tuple[tuple[str, Callable[[dict[str, Any]], float | None]], ...] = (
    ("delivery_ratio", lambda s: s.get("delivery_ratio")),
    ("latency_p99_s", lambda s: (s.get("latency_s") or {}).get("p99")),
    ("retransmissions_per_memo", lambda s: _per_memo(s, "grams_retransmitted")),
    ("overhead_ratio", lambda s: s.get("overhead_ratio")),
)

#: Columns of one run (after the parameter columns) in sweep_runs.csv; no wall time.
RUN_COLUMNS = (
    "seed",
    "doer",
    "memos_sent",
    "memos_delivered",
    "delivery_ratio",
    "duplicates_delivered",
    "corrupt_delivered",
    "latency_p50_s",
    "latency_p90_s",
    "latency_p99_s",
    "latency_max_s",
    "grams_sent",
    "grams_retransmitted",
    "retransmissions_per_memo",
    "acks_sent",
    "wire_bytes",
    "overhead_ratio",
    "goodput_bps",
    "gave_up",
    "lost_silently",
    "in_flight_at_end",
    "false_give_ups",
)


@dataclass(frozen=True)
class Param:
    """One swept parameter: a key path of the scenario document and its values."""

    path: str
    values: tuple[Any, ...]


def split_values(text: str) -> list[str]:
    """Split "a,b,c" at the commas outside brackets, braces and quotes."""
    out, depth, quote, start = [], 0, "", 0
    i = 0
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\" and quote == '"':
                i += 1
            elif c == quote:
                quote = ""
        elif c in "\"'":
            quote = c
        elif c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
        elif c == "," and depth == 0:
            out.append(text[start:i].strip())
            start = i + 1
        i += 1
    out.append(text[start:].strip())
    return out


def _canon(path: str) -> str:
    return re.sub(r"\[(\d+)\]", r".\1", path)


def parse_param(text: str) -> Param:
    """``"links.0.loss.rate=0.01,0.05"`` -> Param; each value read as a TOML value
    (:func:`~memosim.testbed.scenario.parse_override`), else as a bare string.

    Raises ScenarioError (file ``<--param>``) for a malformed text.
    """
    label = "--param"
    path, sep, rest = text.partition("=")
    path = path.strip()
    if not sep or not path:
        raise ScenarioError(label, "", "PATH=V1,V2,... such as links.0.loss.rate=0.01,0.05", text)
    check_path(path, f"{label} {text}")
    raw = split_values(rest)
    if any(not v for v in raw):
        raise ScenarioError(label, path, "a comma-separated list of values, none empty", rest)
    values = tuple(parse_override(f"{path}={v}")[1] for v in raw)
    for i, v in enumerate(values):
        if any(_same(v, w) for w in values[:i]):
            raise ScenarioError(label, path, "each value once", v)
    return Param(path, values)


def _plain(v: Any) -> Any:
    """A numpy scalar as the Python number it holds; anything else unchanged."""
    item = getattr(v, "item", None)
    return item() if callable(item) and type(v).__module__ == "numpy" else v


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def _params(params: Mapping[str, Sequence[Any]] | Sequence[Param]) -> list[Param]:
    if isinstance(params, Mapping):
        out = []
        for path, values in params.items():
            if isinstance(values, (str, bytes, Mapping)) or not hasattr(values, "__iter__"):
                values = [values]
            out.append(Param(str(path), tuple(_plain(v) for v in values)))
    else:
        out = list(params)
    if not out:
        raise ScenarioError("<sweep>", "", "at least one parameter to sweep", Text("none"))
    seen: set[str] = set()
    for p in out:
        if not p.values:
            raise ScenarioError("<sweep>", p.path, "at least one value", Text("none"))
        if _canon(p.path) in seen:
            raise ScenarioError("<sweep>", p.path, "each parameter once", Text("it again"))
        seen.add(_canon(p.path))
    return out


def apply(scenario: Scenario, overrides: Sequence[tuple[str, Any]]) -> Scenario:
    """The scenario with every (path, value) set at once, validated as a whole."""
    return scenario.with_overrides(overrides)


def grid(scenario: Scenario, params: Sequence[Param]) -> list[tuple[dict[str, Any], Scenario]]:
    """Every combination of parameter values (first parameter outermost) with its
    validated scenario. Raises ScenarioError for the first invalid combination."""
    out = []
    for combo in itertools.product(*(p.values for p in params)):
        overrides = [(p.path, v) for p, v in zip(params, combo)]
        out.append(({p.path: v for p, v in zip(params, combo)}, apply(scenario, overrides)))
    return out


@dataclass
class SweepResult:
    """What a sweep gives: the parameters, aggregated rows and per-run rows."""

    scenario: str
    params: list[Param]
    seeds: int
    doers: tuple[str, ...]
    rows: list[dict[str, Any]] = field(default_factory=list)
    """One per (combination, Doer): parameter values, doer, n, <metric>_mean/_ci95."""
    runs: list[dict[str, Any]] = field(default_factory=list)
    """One per (combination, seed, Doer): parameter values and RUN_COLUMNS."""

    @property
    def paths(self) -> list[str]:
        return [p.path for p in self.params]


def _task(doc: dict[str, Any], where: str, seed: int, doer: str) -> dict[str, Any]:
    """Worker: one Doer's run of one scenario document with one seed -> its summary.

    An error names the run: where (the file with the combination's values) and the seed."""
    from .runner import run_scenario

    try:
        scenario = parse_scenario(doc, where)
        result = run_scenario(scenario, backend="sim", seed=seed, doers=(doer,))
    except ScenarioError as ex:
        raise ex.in_file(f"{where}, seed {seed}") from None
    return result.runs[0].summary


def _run_row(values: dict[str, Any], seed: int, s: dict[str, Any]) -> dict[str, Any]:
    lat = s.get("latency_s") or {}
    row = dict(values)
    row.update(
        {
            "seed": seed,
            "doer": s["doer"],
            "memos_sent": s.get("memos_sent"),
            "memos_delivered": s.get("memos_delivered"),
            "delivery_ratio": s.get("delivery_ratio"),
            "duplicates_delivered": s.get("duplicates_delivered"),
            "corrupt_delivered": s.get("corrupt_delivered"),
            "latency_p50_s": lat.get("p50"),
            "latency_p90_s": lat.get("p90"),
            "latency_p99_s": lat.get("p99"),
            "latency_max_s": lat.get("max"),
            "grams_sent": s.get("grams_sent"),
            "grams_retransmitted": s.get("grams_retransmitted"),
            "retransmissions_per_memo": _round(_per_memo(s, "grams_retransmitted")),
            "acks_sent": s.get("acks_sent"),
            "wire_bytes": s.get("wire_bytes"),
            "overhead_ratio": s.get("overhead_ratio"),
            "goodput_bps": s.get("goodput_bps"),
            "gave_up": s.get("gave_up"),
            "lost_silently": s.get("lost_silently"),
            "in_flight_at_end": s.get("in_flight_at_end"),
            "false_give_ups": s.get("false_give_ups"),
            "promises_acked": s.get("promises_acked"),  # for the verdict; no CSV column
        }
    )
    return row


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 6)


def aggregate(
    values: dict[str, Any], doer: str, summaries: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    """One sweep row: parameter values, doer, n and each metric's mean and ci95."""
    row = dict(values)
    row["doer"] = doer
    row["n"] = len(summaries)
    for name, get in METRICS:
        xs = [float(x) for x in (get(s) for s in summaries) if x is not None]
        mean, half = ci95(xs)
        row[f"{name}_mean"] = _round(mean)
        row[f"{name}_ci95"] = _round(half)
    return row


def run_sweep(
    scenario: Scenario,
    params: Mapping[str, Sequence[Any]] | Sequence[Param],
    *,
    seeds: int = 1,
    jobs: int | None = None,
    seed: int | None = None,
    progress: Progress | bool = False,
    scheduler: str | None = None,
) -> SweepResult:
    """Run the grid of params over `seeds` seeds each on `jobs` workers (default:
    os.cpu_count(); 1 runs in this process) of a local Dask cluster, or on the
    Dask scheduler at `scheduler` (memosim.testbed.executor). Raises
    ScenarioError before running anything when a parameter or a combination
    is invalid."""
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        raise ValueError(f"seeds must be an integer >= 1, got {seeds!r}")
    if jobs is None:
        jobs = os.cpu_count() or 1
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be an integer >= 1, got {jobs!r}")
    plist = _params(params)
    cells = grid(scenario, plist)
    doers = scenario.doers
    tasks = []  # (cell index, seed, doer, document, the file with the cell's values)
    for ci, (values, sc) in enumerate(cells):
        base = sc.seed if seed is None else seed
        doc = sc.to_dict()
        where = override_label(sc.file, values.items())
        for k in range(seeds):
            for doer in sc.doers:
                tasks.append((ci, base + k, doer, doc, where))
    bar = Progress(len(tasks)) if progress is True else (progress or None)
    try:
        results = run_tasks(
            _task,
            [(doc, where, sd, doer) for _ci, sd, doer, doc, where in tasks],
            workers=jobs,
            scheduler=scheduler,
            done=(lambda _i, _r: bar.update()) if bar else None,
            name=lambda i: f"{tasks[i][4]}, seed {tasks[i][1]}, {tasks[i][2]}",
        )
    finally:
        if bar:
            bar.close()
    out = SweepResult(scenario.name, plist, seeds, doers)
    by_cell: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for (ci, sd, doer, _doc, _where), summary in zip(tasks, results):
        assert summary is not None
        out.runs.append(_run_row(cells[ci][0], sd, summary))
        by_cell.setdefault((ci, doer), []).append(summary)
    for ci, (values, sc) in enumerate(cells):
        for doer in sc.doers:
            out.rows.append(aggregate(values, doer, by_cell[ci, doer]))
    return out


def _cell(x: Any) -> str:
    """A CSV cell: empty for None, strings bare, everything else as TOML."""
    if x is None:
        return ""
    return x if isinstance(x, str) else toml_value(x)


def write_csv(rows: Sequence[dict[str, Any]], path: str | Path, columns: Sequence[str]) -> Path:
    """Write dict rows as CSV with these columns (None as an empty cell)."""
    path = Path(path)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row.get(c)) for c in columns])
    return path


def row_columns(result: SweepResult) -> list[str]:
    """Columns of sweep.csv."""
    cols = [*result.paths, "doer", "n"]
    for name, _ in METRICS:
        cols += [f"{name}_mean", f"{name}_ci95"]
    return cols


def write_outputs(
    result: SweepResult, out: str | Path, *, title: str | None = None, plots: bool = True
) -> list[Path]:
    """sweep.csv, sweep_runs.csv and (with plots) the sweep PNGs into out."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = [
        write_csv(result.rows, out / "sweep.csv", row_columns(result)),
        write_csv(result.runs, out / "sweep_runs.csv", [*result.paths, *RUN_COLUMNS]),
    ]
    if plots:
        written += write_plots(result, out, title=title)
    return written


def write_plots(result: SweepResult, out: str | Path, *, title: str | None = None) -> list[Path]:
    """The sweep PNGs (plots.SWEEP_PLOTS) into out."""
    from . import plots

    out = Path(out)
    written = []
    for name, metric, ylabel, scale in plots.SWEEP_PLOTS:
        fig = plots.sweep_metric(
            result.rows, result.paths, metric, ylabel=ylabel, scale=scale, title=title
        )
        written.append(plots.save(fig, out / name))
    return written
