"""Sweeps: the grid, confidence intervals, the CSVs and plots, determinism, the Python API."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import pytest
from test_cli import TINY, assert_png

from memosim.cli import main
from memosim.errors import ScenarioError
from memosim.testbed import api
from memosim.testbed.scenario import load_scenario
from memosim.testbed.sweeps import (
    RUN_COLUMNS,
    Param,
    Progress,
    ci95,
    grid,
    parse_param,
    split_values,
    t95,
)

SWEEP_HEADER = [
    "links.0.loss.rate",
    "doer",
    "n",
    "delivery_ratio_mean",
    "delivery_ratio_ci95",
    "latency_p99_s_mean",
    "latency_p99_s_ci95",
    "retransmissions_per_memo_mean",
    "retransmissions_per_memo_ci95",
    "overhead_ratio_mean",
    "overhead_ratio_ci95",
]
DOERS = ["PeerMemoerDoer", "SafePeerMemoerDoer"]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch) -> None:
    """Default output directories (results/...) land in tmp_path, not the checkout."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(TINY)
    return path


def read_csv(path: Path) -> list[list[str]]:
    with path.open(newline="") as f:
        return list(csv.reader(f))


# ------------------------------------------------------------- statistics


def test_t_table() -> None:
    assert t95(1) == 12.706
    assert t95(2) == 4.303
    assert t95(10) == 2.228
    assert t95(30) == 2.042
    assert t95(31) == t95(500) == 1.96
    assert all(t95(k) > t95(k + 1) for k in range(1, 30))
    with pytest.raises(ValueError):
        t95(0)


def test_ci95() -> None:
    assert ci95([]) == (None, None)
    assert ci95([0.5]) == (0.5, None)
    mean, half = ci95([1.0, 2.0, 3.0])
    assert mean == 2.0
    assert math.isclose(half, 4.303 * 1.0 / math.sqrt(3))
    assert ci95([0.7, 0.7, 0.7, 0.7]) == (0.7, 0.0)


# ------------------------------------------------------------- parameters


def test_split_values() -> None:
    assert split_values("0.1, 0.2,0.3") == ["0.1", "0.2", "0.3"]
    assert split_values('[1, 2],{a = 1, b = 2},"x,y",z') == [
        "[1, 2]",
        "{a = 1, b = 2}",
        '"x,y"',
        "z",
    ]


def test_parse_param() -> None:
    assert parse_param("links.0.loss.rate=0.01,0.05") == Param("links.0.loss.rate", (0.01, 0.05))
    assert parse_param("defaults.curt=true,false").values == (True, False)
    assert parse_param("links[0].loss={rate = 0.1},{rate = 0.2}").values == (
        {"rate": 0.1},
        {"rate": 0.2},
    )
    assert parse_param('scenario.doers=["PeerMemoerDoer"]').values == (["PeerMemoerDoer"],)
    assert parse_param("scenario.description=a,b").values == ("a", "b")
    for bad in ("nothing", "=1", "x=", "x=1,,2", "x=1,1", "a b=1"):
        with pytest.raises(ScenarioError):
            parse_param(bad)


def test_grid_applies_a_combination_as_a_whole(tiny: Path) -> None:
    s = load_scenario(tiny)
    # count = 100 alone would end at 4.95 s > duration 3 s; with interval 0.02 it fits.
    cells = grid(s, [Param("workload.0.count", (100, 10)), Param("workload.0.interval_s", (0.02,))])
    assert [values for values, _ in cells] == [
        {"workload.0.count": 100, "workload.0.interval_s": 0.02},
        {"workload.0.count": 10, "workload.0.interval_s": 0.02},
    ]
    assert cells[0][1].memo_count == 100
    with pytest.raises(
        ScenarioError,
        match=r"tiny.toml with workload.0.count = 100, workload.0.interval_s = 0.05: workload\[0\].count",
    ):
        grid(s, [Param("workload.0.count", (100,)), Param("workload.0.interval_s", (0.05,))])


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal_only() -> None:
    quiet = io.StringIO()  # not a terminal: nothing at all
    bar = Progress(40, stream=quiet)
    for _ in range(12):
        bar.update()
    assert bar.done == 12
    bar.update(40)
    bar.close()
    assert quiet.getvalue() == ""

    tty = _Tty()
    bar = Progress(4, stream=tty)
    for _ in range(4):
        bar.update()
    bar.close()
    drawn = tty.getvalue()
    assert drawn.startswith("\rsweep")
    assert "4/4" in drawn and "100%" in drawn


# ------------------------------------------------------------- the command


def test_sweep_command_writes_csvs_and_plots(tiny: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "sw"
    argv = [
        "sweep",
        str(tiny),
        "--param",
        "links.0.loss.rate=0.05,0.3",
        "--seeds",
        "2",
        "--jobs",
        "2",
    ]
    assert main([*argv, "--out", str(out)]) == 0
    stdout, stderr = capsys.readouterr()
    assert stderr == ""  # no progress bar: stderr is not a terminal
    assert "SafePeerMemoerDoer" in stdout and "+-" in stdout

    rows = read_csv(out / "sweep.csv")
    assert rows[0] == SWEEP_HEADER
    body = [dict(zip(rows[0], r)) for r in rows[1:]]
    assert [(r["links.0.loss.rate"], r["doer"]) for r in body] == [
        ("0.05", DOERS[0]),
        ("0.05", DOERS[1]),
        ("0.3", DOERS[0]),
        ("0.3", DOERS[1]),
    ]
    for r in body:
        assert r["n"] == "2"
        for col in SWEEP_HEADER[3:]:
            assert r[col] != "", (r["doer"], col)
            float(r[col])
    fire, safe = body[2], body[3]
    assert float(fire["delivery_ratio_mean"]) < float(safe["delivery_ratio_mean"])
    assert float(fire["retransmissions_per_memo_mean"]) == 0.0
    assert float(safe["retransmissions_per_memo_mean"]) > 0.0

    runs = read_csv(out / "sweep_runs.csv")
    assert runs[0] == ["links.0.loss.rate", *RUN_COLUMNS]
    assert not any("wall" in c for c in runs[0])
    assert len(runs) == 1 + 2 * 2 * 2
    assert [r[1] for r in runs[1:]] == ["3", "3", "4", "4"] * 2  # seeds 3, 4 from the file

    for name in (
        "sweep_delivery.png",
        "sweep_latency.png",
        "sweep_retransmissions.png",
        "sweep_overhead.png",
    ):
        assert_png(out / name)

    # Determinism: the same sweep again (in this process this time) gives the same bytes.
    again = tmp_path / "again"
    assert main([*argv[:-2], "--jobs", "1", "--out", str(again), "--no-plots"]) == 0
    for name in ("sweep.csv", "sweep_runs.csv"):
        assert (out / name).read_bytes() == (again / name).read_bytes()


# ------------------------------------------------------------- the API


def test_api(tiny: Path) -> None:
    s = api.load(tiny)
    result = api.run(s, seed=5)
    doc = result.summary()
    assert doc["seed"] == 5
    assert json.loads(json.dumps(doc)) == doc
    assert api.run(str(tiny), seed=5).summary()["trace_digest"] == doc["trace_digest"]
    text = api.table(result)
    assert "PeerMemoerDoer" in text and "delivery ratio" in text

    rows = api.sweep(s, {"links.0.loss.rate": [0.0, 0.3]}, seeds=2, jobs=1)
    assert json.loads(json.dumps(rows)) == rows
    assert [(r["links.0.loss.rate"], r["doer"], r["n"]) for r in rows] == [
        (0.0, DOERS[0], 2),
        (0.0, DOERS[1], 2),
        (0.3, DOERS[0], 2),
        (0.3, DOERS[1], 2),
    ]
    for r in rows[:2]:  # no loss: everything arrives, no spread
        assert (r["delivery_ratio_mean"], r["delivery_ratio_ci95"]) == (1.0, 0.0)
    with pytest.raises(ScenarioError):
        api.sweep(s, {"links.0.loss.rate": [2.0]}, jobs=1)


def test_api_exports() -> None:
    import memosim.testbed as tb

    for name in ("load", "run", "sweep", "table"):
        assert callable(getattr(tb, name)) and name in tb.__all__


def test_sweep_plot_with_categorical_axis(tmp_path: Path) -> None:
    from memosim.testbed import plots

    rows = [
        {
            "defaults.curt": curt,
            "links.0.loss.rate": rate,
            "doer": doer,
            "n": 3,
            "delivery_ratio_mean": 0.5 + 0.1 * i,
            "delivery_ratio_ci95": 0.05,
        }
        for i, (curt, rate, doer) in enumerate(
            (c, r, d) for c in (False, True) for r in (0.1, 0.2) for d in DOERS
        )
    ]
    fig = plots.sweep_metric(rows, ["defaults.curt", "links.0.loss.rate"], "delivery_ratio")
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["false", "true"]
    assert len(fig.axes[0].get_legend().get_texts()) == 4
    assert_png(plots.save(fig, tmp_path / "cat.png"))


def test_sweep_over_whole_tables_plots_them_as_categories(
    tiny: Path, tmp_path: Path, capsys
) -> None:
    """docs/cli.md's "a whole table as a value" example: table (and array)
    values are unhashable, and the plots once crashed on them with a
    traceback after sweep.csv was already written."""
    out = tmp_path / "tables"
    param = 'links[0].loss={rate = 0.05},{model = "gilbert_elliott", p = 0.01, r = 0.2}'
    argv = ["sweep", str(tiny), "--param", param, "--param", "defaults.curt=false,true"]
    assert main([*argv, "--jobs", "1", "--out", str(out)]) == 0
    stdout, _ = capsys.readouterr()
    assert "{rate = 0.05}" in stdout
    assert '{model = "gilbert_elliott", p = 0.01, r = 0.2}' in stdout
    for name in ("sweep_delivery.png", "sweep_latency.png"):
        assert_png(out / name)

    from memosim.testbed import plots

    rows = [
        {"loss": loss, "curt": curt, "doer": d, "n": 1, "delivery_ratio_mean": 0.9}
        for loss in ({"rate": 0.05}, {"rate": 0.1})
        for curt in ([1, 2], [3])
        for d in DOERS
    ]
    fig = plots.sweep_metric(rows, ["loss", "curt"], "delivery_ratio")
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert ticks == ["{rate = 0.05}", "{rate = 0.1}"]
    assert len(fig.axes[0].get_legend().get_texts()) == 4
