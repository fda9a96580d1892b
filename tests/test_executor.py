"""Runs on Dask: the same rows and digests whatever the number of workers, a
local cluster by default, --scheduler for an existing one, and a process pool
when Dask is not installed."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_cli import TINY

from memosim.cli import main
from memosim.testbed import executor
from memosim.testbed.executor import ExecutorError, run_tasks
from memosim.testbed.explore import explore
from memosim.testbed.scenario import load_scenario
from memosim.testbed.sweeps import run_sweep

REPO = Path(__file__).resolve().parents[1]


def square_plus(x: int, y: int) -> int:
    return x * x + y


@pytest.fixture(scope="module")
def clusters():  # type: ignore[no-untyped-def]
    """Local Dask clusters of 1 and 2 workers (threads: quick to start; the
    tasks are pure, so where they run cannot change what they return)."""
    from dask.distributed import LocalCluster

    made = {
        n: LocalCluster(n_workers=n, threads_per_worker=1, processes=False, dashboard_address=":0")
        for n in (1, 2)
    }
    yield {n: c.scheduler_address for n, c in made.items()}
    for c in made.values():
        c.close()


def test_results_come_back_in_task_order(clusters) -> None:  # type: ignore[no-untyped-def]
    tasks = [(x, 1) for x in range(30)]
    want = [x * x + 1 for x in range(30)]
    seen: list[int] = []
    assert run_tasks(square_plus, tasks) == want
    got = run_tasks(square_plus, tasks, scheduler=clusters[2], done=lambda i, _r: seen.append(i))
    assert got == want
    assert sorted(seen) == list(range(30))


def test_sweep_rows_are_the_same_on_one_and_two_workers(
    clusters,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    (tmp_path / "tiny.toml").write_text(TINY)
    s = load_scenario(tmp_path / "tiny.toml")
    params = {"links.0.loss.rate": [0.05, 0.3]}
    here = run_sweep(s, params, seeds=2, jobs=1)
    one = run_sweep(s, params, seeds=2, scheduler=clusters[1])
    two = run_sweep(s, params, seeds=2, scheduler=clusters[2])
    assert here.rows == one.rows == two.rows
    assert here.runs == one.runs == two.runs


def test_explore_rows_and_digests_are_the_same_on_one_and_two_workers(
    clusters,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    s = load_scenario(REPO / "scenarios" / "adversarial.toml")
    one = explore(s, tmp_path / "one", runs=4, seed=3, scheduler=clusters[1])
    two = explore(s, tmp_path / "two", runs=4, seed=3, scheduler=clusters[2])
    assert one.rows == two.rows
    assert all(r["trace_digest"] for r in one.rows)
    assert (tmp_path / "one" / "explore.csv").read_bytes() == (
        tmp_path / "two" / "explore.csv"
    ).read_bytes()


def test_sweep_command_on_a_scheduler(clusters, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "tiny.toml").write_text(TINY)
    argv = ["sweep", str(tmp_path / "tiny.toml"), "--param", "links.0.loss.rate=0.05,0.3"]
    assert (
        main([*argv, "--scheduler", clusters[2], "--out", str(tmp_path / "a"), "--no-plots"]) == 0
    )
    assert main([*argv, "--jobs", "1", "--out", str(tmp_path / "b"), "--no-plots"]) == 0
    for name in ("sweep.csv", "sweep_runs.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_without_dask_a_process_pool_runs_and_scheduler_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(executor, "dask_available", lambda: False)
    monkeypatch.setattr(executor, "_on_dask", None)  # would fail if called
    assert run_tasks(square_plus, [(2, 1), (3, 0)], workers=2) == [5, 9]
    with pytest.raises(ExecutorError) as ex:
        run_tasks(square_plus, [(2, 1)], scheduler="tcp://127.0.0.1:8786")
    assert str(ex.value) == (
        "--scheduler needs Dask, which is not installed: pip install 'memosim[dask]'"
    )


def test_an_unreachable_scheduler_is_one_line(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "tiny.toml").write_text(TINY)
    argv = ["sweep", str(tmp_path / "tiny.toml"), "--param", "links.0.loss.rate=0.1"]
    code = main([*argv, "--scheduler", "tcp://127.0.0.1:9", "--out", str(tmp_path / "o")])
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith(
        "memosim sweep: error: cannot reach the Dask scheduler at tcp://127.0.0.1:9"
    )
    assert err.count("\n") == 1


def test_chunks_cover_every_task_once_in_order() -> None:
    from memosim.testbed.executor import chunks

    for n, workers in ((0, 2), (1, 2), (7, 2), (100, 1), (1000, 2), (33, 40)):
        parts = chunks(n, workers)
        assert [i for part in parts for i in part] == list(range(n))
        assert len(parts) <= max(1, workers * 8)
